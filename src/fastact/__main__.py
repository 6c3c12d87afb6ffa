"""Command line: `python -m fastact {info,bench,check,demo}` (also `fastact ...`).

Each command lives in its own module; this file only parses and dispatches.
`main(argv)` returns the exit code, so tests and other tools can call it.
"""
import argparse
import os
import sys


def _parser():
    import fastact
    from fastact import _bench, _check

    parser = argparse.ArgumentParser(
        prog="python -m fastact",
        description="fastact: fast neural-network activations for numpy.")
    parser.add_argument("--version", action="version", version=f"fastact {fastact.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    sub.add_parser("info", help="version, build and run-time settings",
                   description="Print the version, build settings and run-time settings.")

    bench = sub.add_parser(
        "bench", help="benchmark against numpy and the installed peers",
        description="ns/element of every catalogue function, fastact against the numpy "
                    "reference, numpy ufunc chains and, when installed, PyTorch, SciPy and "
                    "numexpr; plus the memory-bandwidth bound and the call overhead.")
    _bench.add_arguments(bench)

    check = sub.add_parser(
        "check", help="accuracy of every function at every ISA tier",
        description="Max ulp error of every catalogue function at every ISA tier against a "
                    "high-precision oracle; exits 1 if any exceeds its bound. The default "
                    "run verifies an installation in a minute or two; --thorough sweeps "
                    "20 times as many points (about a quarter of an hour). Needs mpmath.")
    _check.add_arguments(check)

    demo = sub.add_parser("demo", help="train a small numpy network with fastact",
                          add_help=False)
    demo.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv=None):
    """Run the command line with `argv` (default sys.argv[1:]); the exit code.

    A reader that stops early (`python -m fastact info | head`) closes the
    pipe: that ends the output quietly, as for any Unix tool, instead of in a
    BrokenPipeError traceback.
    """
    try:
        code = _main(argv)
        sys.stdout.flush()     # here, not at exit, so a closed pipe is caught
        return code
    except BrokenPipeError:
        # Python would try to flush stdout once more at exit and report the
        # same error: point it at /dev/null first.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass               # stdout is not a file descriptor (captured)
        return 141             # 128 + SIGPIPE, what a shell reports for it


def _main(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "demo":
        # The demo parses its own options.
        try:
            from fastact._demo import main as demo_main
        except ImportError as exc:
            print(f"fastact: the demo is not available in this installation ({exc})",
                  file=sys.stderr)
            return 2
        return demo_main(argv[1:]) or 0

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "info":
        from fastact import _info
        return _info.run(args)
    if args.command == "bench":
        from fastact import _bench
        return _bench.run(args)
    if args.command == "check":
        from fastact import _check
        return _check.run(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
