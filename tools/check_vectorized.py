"""Report which kernel loops gcc vectorizes, per ISA tier.

Compiles src/fastact/_isa_baseline.c (run the build first) with each tier's
flags from setup.py and -fopt-info-vec, and lists every `k_<name>` kernel
with the tiers at which its loop was vectorized, float and double apart.
Run: python tools/check_vectorized.py [name-substring]
"""
import os
import re
import subprocess
import sys
import sysconfig
import tempfile

import numpy



def _setup_constant(name):
    """A literal assigned at the top level of setup.py (importing it would
    run setup())."""
    import ast
    with open("setup.py") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise KeyError(name)


KERNEL_FLAGS_UNIX = _setup_constant("KERNEL_FLAGS_UNIX")
TIER_FLAGS_UNIX = _setup_constant("TIER_FLAGS_UNIX")

SOURCE = "src/fastact/_isa_baseline.c"
DEF = re.compile(r"^static void __pyx_fuse_(\d)__pyx_f_\w+?_k_(\w+)\(")


def kernel_lines(path):
    """(first line, name) of every kernel definition in the C file."""
    starts = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            m = DEF.match(line)
            if m:
                dtype = "f32" if m.group(1) == "0" else "f64"
                starts.append((number, f"{m.group(2)}_{dtype}"))
    return starts


def vectorized(path, flags):
    includes = [f"-I{numpy.get_include()}", f"-I{sysconfig.get_paths()['include']}"]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["gcc", "-c", "-fPIC", *includes, path, "-o", os.path.join(tmp, "k.o"),
             *flags, "-fopt-info-vec-optimized"],
            capture_output=True, text=True, check=True)
    return {int(m.group(1)) for m in
            re.finditer(r":(\d+):\d+: optimized: loop vectorized", out.stderr)}


def main():
    want = sys.argv[1] if len(sys.argv) > 1 else ""
    starts = kernel_lines(SOURCE)
    result = {name: [] for _, name in starts}
    for tier, flags in TIER_FLAGS_UNIX.items():
        lines = vectorized(SOURCE, KERNEL_FLAGS_UNIX + flags)
        for i, (first, name) in enumerate(starts):
            last = starts[i + 1][0] if i + 1 < len(starts) else 10**9
            if any(first <= ln < last for ln in lines):
                result[name].append(tier)
    missing = 0
    for name, tiers in result.items():
        if want in name:
            print(f"{name:28s} {' '.join(tiers) or 'NOT VECTORIZED'}")
            missing += len(tiers) < len(TIER_FLAGS_UNIX)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
