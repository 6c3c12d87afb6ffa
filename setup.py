"""Build fastact's extension modules.

- `fastact._isa_<tier>`: the kernels of `_kernels.pxi`, compiled once per ISA
  tier. On x86-64: baseline (SSE2), avx2 (AVX2 + FMA), avx512 (F/BW/DQ/VL);
  elsewhere the baseline only. The best one the CPU supports is chosen at
  import (fastact/kernels.pyx).
- `fastact.kernels`: that dispatch point and the C API.
- `fastact._ufuncs`: the numpy ufuncs, threaded with OpenMP when the compiler
  has it (FASTACT_OPENMP=0 builds without).
- Generated first, from the catalogue (fastact/_catalog.py), by
  fastact/_generate.py: the kernel table, the C API declarations
  (kernels.pxd) and trampolines, the contiguous loops, the tier modules, the
  stubs and `fastact/include/fastact.h`. They are build outputs, untracked
  and not in the sdist, so an unpacked sdist builds the same way.

Kernels are compiled with -O3 -fno-trapping-math: without the latter gcc will
not if-convert the clamps and selects, and the loops stay scalar. Never
-ffast-math (it would change results and the process's FP mode) nor
-march=native (the wheel must run on any CPU of its architecture).
"""
import os
import platform
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib.util import module_from_spec, spec_from_file_location

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64", "x64")

# Extra compiler flags per tier, for gcc/clang and for MSVC.
TIER_FLAGS_UNIX = {
    "baseline": [],
    "avx2": ["-mavx2", "-mfma", "-mf16c"],
    "avx512": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq",
               "-mavx512vl", "-mprefer-vector-width=512"],
}
TIER_FLAGS_MSVC = {"baseline": [], "avx2": ["/arch:AVX2"], "avx512": ["/arch:AVX512"]}
TIERS = ["baseline", "avx2", "avx512"] if IS_X86_64 else ["baseline"]

KERNEL_FLAGS_UNIX = ["-O3", "-fno-trapping-math", "-funroll-loops"]
KERNEL_FLAGS_MSVC = ["/O2"]
# gcc stops inlining once a translation unit has grown by inline-unit-growth
# percent (default 40), and a kernel whose math is left as a call is not
# vectorized ("control flow in loop"): the tier modules, every kernel in one
# unit, reached that limit (the float64 gelu loops were scalar, 3-4x slower).
# gcc takes a test of a loop-invariant parameter out of a loop (beta == 1 in
# softplus, alpha == 1 in elu: the product they skip is slow on a subnormal
# x) only in loops of at most max-unswitch-insns instructions (default 50):
# at the AVX2 tier it kept those products, and a subnormal x cost softplus
# 5.5 and elu 12 times the normal time (AVX-512's masked operations hid it).
# Each is added where the compiler takes it (gcc; probed one by one, as
# clang or another gcc may not).
KERNEL_FLAGS_GCC_PARAMS = ["--param=inline-unit-growth=200", "--param=max-unswitch-insns=1000"]


def _compiler_has_openmp(compiler, flag):
    """Compile and link a tiny OpenMP program with the build's compiler and
    the user's CFLAGS and LDFLAGS (a sanitizer's flags in CFLAGS need its
    runtime at link time too). Returns (True, "") or (False, why)."""
    src = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\n{n=omp_get_num_threads();}\nreturn n<0;}\n"
    cflags = shlex.split(os.environ.get("CFLAGS", ""))
    ldflags = shlex.split(os.environ.get("LDFLAGS", ""))
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "omp_probe.c")
        with open(path, "w") as f:
            f.write(src)
        objs = compiler.compile([path], output_dir=tmp, extra_postargs=cflags + [flag])
        compiler.link_executable(objs, "omp_probe", output_dir=tmp,
                                 extra_postargs=cflags + ldflags + [flag])
        return True, ""
    except Exception as exc:   # CompileError, LinkError: the reason is in their text
        return False, f"{type(exc).__name__}: {exc}".strip()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compiler_accepts(compiler, flags):
    """Does the build's compiler take these flags without a warning?"""
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "flag_probe.c")
        with open(path, "w") as f:
            f.write("int fastact_flag_probe(int x) { return x + 1; }\n")
        compiler.compile([path], output_dir=tmp, extra_postargs=["-Werror"] + flags)
        return True
    except Exception:   # CompileError: the flag is not this compiler's
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """Adds each extension's flags for the compiler actually in use."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        openmp_flag = "/openmp" if msvc else "-fopenmp"
        want_openmp = os.environ.get("FASTACT_OPENMP", "1") != "0"
        if want_openmp:
            openmp, why = _compiler_has_openmp(self.compiler, openmp_flag)
        else:
            openmp, why = False, "FASTACT_OPENMP=0"
        if openmp:
            print("fastact: OpenMP on", file=sys.stderr)
        else:
            print(f"fastact: OpenMP off ({why}): large arrays will run on one thread",
                  file=sys.stderr)
        param_flags = [] if msvc else [flag for flag in KERNEL_FLAGS_GCC_PARAMS
                                        if _compiler_accepts(self.compiler, [flag])]
        for ext in self.extensions:
            leaf = ext.name.rsplit(".", 1)[-1]
            if leaf.startswith("_isa_"):
                tier = leaf[len("_isa_"):]
                if msvc:
                    ext.extra_compile_args += KERNEL_FLAGS_MSVC + TIER_FLAGS_MSVC[tier]
                else:
                    ext.extra_compile_args += KERNEL_FLAGS_UNIX + param_flags + TIER_FLAGS_UNIX[tier]
            elif leaf == "_ufuncs" and openmp:
                ext.extra_compile_args.append(openmp_flag)
                if not msvc:
                    ext.extra_link_args.append(openmp_flag)
        super().build_extensions()


def extension(name, **kw):
    return Extension(
        f"fastact.{name}",
        [f"src/fastact/{name}.pyx"],
        include_dirs=[numpy.get_include()],
        # numpy >= 2 is the run-time requirement: its 2.0 API, which has
        # the ArrayMethod functions _ufuncs.pyx registers its loops with.
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
                       ("NPY_TARGET_VERSION", "NPY_2_0_API_VERSION")],
        **kw,
    )


def generate_sources():
    """Write the files that follow from the catalogue (fastact/_generate.py)."""
    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.join(here, "src", "fastact")
    # Loaded by path: the package itself cannot be imported before it is built.
    spec = spec_from_file_location("_fastact_generate", os.path.join(package, "_generate.py"))
    generator = module_from_spec(spec)
    spec.loader.exec_module(generator)
    for name in generator.generate(package, tiers=list(TIER_FLAGS_UNIX)):
        print(f"fastact: generated {name}", file=sys.stderr)


generate_sources()

extensions = [extension(f"_isa_{tier}") for tier in TIERS]
extensions += [extension("kernels"), extension("_ufuncs")]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["src"],
        compiler_directives={
            "language_level": 3,
            "cdivision": True,       # C division: no zero checks in kernels
            "embedsignature": True,
        },
    ),
    cmdclass={"build_ext": BuildExt},
)
