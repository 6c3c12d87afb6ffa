# The one dispatch point: choose the best ISA tier at import and expose its
# kernels as the fixed C API declared in kernels.pxd.
#
# Tiers are separate extension modules (`_isa_baseline`, `_isa_avx2`,
# `_isa_avx512`) built from the same `_kernels.pxi`; each hands out a table of
# function pointers. A tier is available when its module was built and the
# CPU (and OS) support its instructions. FASTACT_ISA caps the choice, the way
# NPY_DISABLE_CPU_FEATURES does for numpy.
import importlib
import os
import warnings

from cpython.pycapsule cimport PyCapsule_GetPointer
from fastact._table cimport fa_table

cdef extern from *:
    """
    /* What the CPU and the OS (saved vector state) support. gcc's and
       clang's __builtin_cpu_supports check both; other compilers and
       other architectures get the portable baseline only. */
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    static int fa_cpu_has_avx2(void) {
        __builtin_cpu_init();
        /* F16C: the float16 conversions of the tiers above baseline */
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("f16c");
    }
    static int fa_cpu_has_avx512(void) {
        __builtin_cpu_init();
        return fa_cpu_has_avx2() && __builtin_cpu_supports("avx512f")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl");
    }
    #else
    static int fa_cpu_has_avx2(void) { return 0; }
    static int fa_cpu_has_avx512(void) { return 0; }
    #endif
    /* Whether the CPU takes subnormal factors in products without a
       microcode assist, as measured on AMD Zen 5 (family 1Ah): there a
       fused multiply-add with a subnormal factor ran at full speed in the
       loops (the backward passes' last product, mul_fused), and so did the
       plain forms of the loops that Spec.normal_form_without_assists lists
       (a plain multiply of a subnormal grad_out did not always: 2.8 times
       the normal time in selu_backward's loop, though alone in a loop of
       its own it ran at 1.15 times). Intel's cores take an assist there
       (the guards of the marked loops were made for them); other AMD
       families were not measured, so they keep the guards. */
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    #include <cpuid.h>
    static int fa_cpu_products_without_assists(void) {
        unsigned int eax, ebx, ecx, edx, family;
        if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
            return 0;
        /* "AuthenticAMD" in ebx, edx, ecx */
        if (ebx != 0x68747541u || edx != 0x69746e65u || ecx != 0x444d4163u)
            return 0;
        if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
            return 0;
        family = (eax >> 8) & 0xfu;
        if (family == 0xfu)
            family += (eax >> 20) & 0xffu;
        return family >= 0x1au;
    }
    #else
    static int fa_cpu_products_without_assists(void) { return 0; }
    #endif
    """
    int cpu_has_avx2 "fa_cpu_has_avx2"() noexcept nogil
    int cpu_has_avx512 "fa_cpu_has_avx512"() noexcept nogil
    int cpu_products_without_assists "fa_cpu_products_without_assists"() noexcept nogil

#: Every tier fastact knows, lowest first.
TIERS = ("baseline", "avx2", "avx512")

cdef fa_table TABLE     # the chosen tier's kernels; every fa_* call goes here
cdef dict _tables = {}  # tier name -> its module (kept alive: TABLE points into it)
_isa = None
# Whether the marked loops of Spec.normal_form_without_assists keep their
# guards against subnormal products (each tier module's subnormal_guards):
# not on a CPU that multiplies subnormals without an assist.
_subnormal_guards = not cpu_products_without_assists()


def _cpu_supports(tier):
    if tier == "baseline":
        return True
    if tier == "avx2":
        return bool(cpu_has_avx2())
    if tier == "avx512":
        return bool(cpu_has_avx512())
    return False


def available_isas():
    """Tiers that were built and that this CPU can run, lowest first."""
    found = []
    for tier in TIERS:
        if not _cpu_supports(tier):
            continue
        try:
            importlib.import_module("fastact._isa_" + tier)
        except ImportError:
            continue
        found.append(tier)
    return tuple(found)


def current_isa():
    """The tier the kernels run at now."""
    return _isa


def _set_isa(tier):
    """Switch every kernel to `tier` (one of available_isas()).

    For tests, `python -m fastact check` and the bench; not thread-safe
    against calls running at the same moment."""
    global _isa, TABLE
    if tier not in available_isas():
        raise ValueError(f"ISA tier {tier!r} is not available here; "
                         f"available: {', '.join(available_isas())}")
    module = importlib.import_module("fastact._isa_" + tier)
    module._set_subnormal_guards(_subnormal_guards)
    TABLE = (<fa_table *>PyCapsule_GetPointer(module.table, "fastact.fa_table"))[0]
    _tables[tier] = module
    _isa = tier


def subnormal_guards():
    """Whether the loops that can run their plain (normal) form on
    subnormal inputs guard those inputs instead (the default; False on a
    CPU that multiplies subnormals without a microcode assist: AMD Zen 5).
    Either way the results are the same bits; only the speed differs."""
    return _subnormal_guards


def _set_subnormal_guards(on):
    """Set subnormal_guards() for every tier, whatever the CPU: for tests
    and the bench; not thread-safe against calls running at the time."""
    global _subnormal_guards
    _subnormal_guards = bool(on)
    for module in _tables.values():
        module._set_subnormal_guards(_subnormal_guards)


def _initial_isa():
    available = available_isas()
    if not available:
        # Every tier module failed to import (a broken or partial install):
        # say so, with the baseline's own error, rather than fail on an
        # empty list.
        try:
            importlib.import_module("fastact._isa_baseline")
        except ImportError as exc:
            raise ImportError(
                "fastact: no kernel module (fastact._isa_<tier>) could be imported; "
                f"the installation is incomplete or was built for another platform ({exc})"
            ) from exc
        raise ImportError("fastact: no kernel module (fastact._isa_<tier>) could be imported")
    env = os.environ.get("FASTACT_ISA", "")
    cap = env.strip().lower()
    if not cap:
        return available[-1]
    if cap not in TIERS:
        # A bad value must not break the import: warn (once, at import) and
        # use the best tier, as for FASTACT_NUM_THREADS.
        warnings.warn(f"FASTACT_ISA={env!r} is not one of {', '.join(TIERS)}; "
                      f"using {available[-1]}", RuntimeWarning, stacklevel=2)
        return available[-1]
    allowed = TIERS[:TIERS.index(cap) + 1]
    return [t for t in available if t in allowed][-1]


_set_isa(_initial_isa())


# The C API (kernels.pxd): generated from the catalogue, one indirect call
# into TABLE each.
include "_trampolines.pxi"
