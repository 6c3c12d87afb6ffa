"""Command line: `python -m fastact <command> ...`.

A minimal dispatcher; bench, check and info are added by their issues.
"""
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"demo": "train a small numpy MLP with each activation (fastact._demo)"}
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in commands:
        print("usage: python -m fastact <command> [options]\n\ncommands:", file=sys.stderr)
        for name, text in commands.items():
            print(f"  {name:10s} {text}", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if argv[0] == "demo":
        from fastact._demo import main as demo_main
        return demo_main(argv[1:])
    return 2


if __name__ == "__main__":
    sys.exit(main())
