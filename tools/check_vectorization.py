"""Check that gcc vectorizes every kernel loop at every ISA tier.

Compiles the Cython output src/fastact/_isa_<tier>.c (run the build first)
with the tier's flags from setup.py and -fopt-info-vec-optimized, and prints,
for every k_* kernel and dtype, the vector sizes gcc used (main loop and
epilogue) or NOT VECTORIZED. Exits non-zero if any elementwise kernel is
left scalar. The softmax row kernels are written with GCC vector extensions
(explicit SIMD, nothing for the vectorizer to report): listed, not counted.
The float16/bfloat16 kernels of a hand-written loop (leaky_relu) inline that
float32 loop, which gcc reports at its own lines: listed as such. So are the
loops written with a tier's intrinsics (EXPLICIT_SIMD) and their narrow
kernels.
Run from the repository root: python tools/check_vectorization.py [tier ...]
"""
import ast
import os
import re
import subprocess
import sys
import sysconfig
import tempfile

import numpy

# Loops written with intrinsics at a tier (explicit SIMD): tier -> kernels.
EXPLICIT_SIMD = {"avx512": {"tanh_f32": "AVX-512 intrinsics (_kernels_tanh_table.pxi)"}}


def setup_constants():
    tree = ast.parse(open("setup.py").read())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name in ("TIER_FLAGS_UNIX", "KERNEL_FLAGS_UNIX", "KERNEL_FLAGS_GCC_PARAMS"):
                out[name] = ast.literal_eval(node.value)
    return out


def kernels_of(c_source):
    """(line, name) of every k_* kernel definition in the generated C."""
    found = []
    for i, line in enumerate(open(c_source), 1):
        # the hand-written loops (inline or not): fused over float/double (or, for the
        # narrow row kernels, over the float16/bfloat16 storage types)
        m = re.match(r"static (?:CYTHON_INLINE )?void __pyx_fuse_(\d)__pyx_f_\w+?_k_(\w+)\(.*\{\s*$", line)
        if m:
            name = m.group(2)
            if name.endswith("_narrow"):
                found.append((i, name[:-len("_narrow")] + ("_f16", "_bf16")[int(m.group(1))]))
            else:
                found.append((i, name + ("_f32" if m.group(1) == "0" else "_f64")))
            continue
        # the generated loops, one per dtype: k_<name>_<f32|f64|f16|bf16>
        m = re.match(r"static void __pyx_f_\w+?_k_(\w+_(?:f32|f64|f16|bf16))\(.*\{\s*$", line)
        if m:
            found.append((i, m.group(1)))
    return sorted(found)


def check(tier, flags, kernel_flags):
    src = f"src/fastact/_isa_{tier}.c"
    includes = ["-I" + numpy.get_include(), "-I" + sysconfig.get_paths()["include"]]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = (["gcc", "-c", src, "-o", os.path.join(tmp, "k.o"), "-fPIC", "-fwrapv"]
               + includes + kernel_flags + flags + ["-fopt-info-vec-optimized"])
        report = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    kernels = kernels_of(src)
    sizes = {name: [] for _, name in kernels}
    for m in re.finditer(r":(\d+):\d+: optimized: loop vectorized using (\d+) byte vectors", report):
        line = int(m.group(1))
        owner = [name for start, name in kernels if start <= line]
        if owner:
            sizes[owner[-1]].append(int(m.group(2)))
    ok = True
    for _, name in kernels:
        got = sizes[name]
        if "softmax" in name:
            print(f"{tier:9s} {name:28s} explicit SIMD (vector extensions)")
            continue
        base = name.rsplit("_", 1)[0]
        explicit = EXPLICIT_SIMD.get(tier, {})
        if name in explicit:
            print(f"{tier:9s} {name:28s} explicit SIMD, {explicit[name]}")
            continue
        if name.endswith(("_f16", "_bf16")) and base + "_f32" in explicit:
            print(f"{tier:9s} {name:28s} the float32 loop on blocks (see {base}_f32)")
            continue
        if not got and name.endswith(("_f16", "_bf16")) and sizes.get(base + "_f32"):
            # A narrow kernel of a hand-written loop runs that float32 loop on
            # each block: gcc reports the inlined copy at the float32 loop's
            # own lines (counted there, above).
            print(f"{tier:9s} {name:28s} the float32 loop on blocks (see {base}_f32)")
            continue
        ok &= bool(got)
        print(f"{tier:9s} {name:28s} {got if got else 'NOT VECTORIZED'}")
    return ok


def main():
    consts = setup_constants()
    tiers = sys.argv[1:] or list(consts["TIER_FLAGS_UNIX"])
    ok = True
    for tier in tiers:
        if os.path.exists(f"src/fastact/_isa_{tier}.c"):
            ok &= check(tier, consts["TIER_FLAGS_UNIX"][tier],
                        consts["KERNEL_FLAGS_UNIX"] + consts["KERNEL_FLAGS_GCC_PARAMS"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
