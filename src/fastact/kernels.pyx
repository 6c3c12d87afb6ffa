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
    """
    int cpu_has_avx2 "fa_cpu_has_avx2"() noexcept nogil
    int cpu_has_avx512 "fa_cpu_has_avx512"() noexcept nogil

#: Every tier fastact knows, lowest first.
TIERS = ("baseline", "avx2", "avx512")

cdef fa_table TABLE     # the chosen tier's kernels; every fa_* call goes here
cdef dict _tables = {}  # tier name -> its module (kept alive: TABLE points into it)
_isa = None


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
    TABLE = (<fa_table *>PyCapsule_GetPointer(module.table, "fastact.fa_table"))[0]
    _tables[tier] = module
    _isa = tier


def _initial_isa():
    available = available_isas()
    cap = os.environ.get("FASTACT_ISA", "").strip().lower()
    if not cap:
        return available[-1]
    if cap not in TIERS:
        warnings.warn(f"FASTACT_ISA={cap!r} is not one of {', '.join(TIERS)}; ignored",
                      RuntimeWarning, stacklevel=2)
        return available[-1]
    allowed = TIERS[:TIERS.index(cap) + 1]
    return [t for t in available if t in allowed][-1]


_set_isa(_initial_isa())


# The C API (see kernels.pxd). Each is one indirect call into the table.

cdef void fa_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_f32(x, y, n)

cdef void fa_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_f64(x, y, n)

cdef void fa_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_grad_f32(x, y, n)

cdef void fa_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_grad_f64(x, y, n)

cdef void fa_sigmoid_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_backward_f32(grad_out, y, grad_in, n)

cdef void fa_sigmoid_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.sigmoid_backward_f64(grad_out, y, grad_in, n)

cdef void fa_relu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu_f32(x, y, n)

cdef void fa_relu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu_f64(x, y, n)

cdef void fa_relu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu_grad_f32(x, y, n)

cdef void fa_relu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu_grad_f64(x, y, n)

cdef void fa_relu_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.relu_backward_f32(grad_out, y, grad_in, n)

cdef void fa_relu_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.relu_backward_f64(grad_out, y, grad_in, n)

cdef void fa_leaky_relu_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.leaky_relu_f32(x, y, n, alpha)

cdef void fa_leaky_relu_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.leaky_relu_f64(x, y, n, alpha)

cdef void fa_leaky_relu_grad_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.leaky_relu_grad_f32(x, y, n, alpha)

cdef void fa_leaky_relu_grad_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.leaky_relu_grad_f64(x, y, n, alpha)

cdef void fa_leaky_relu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.leaky_relu_backward_f32(grad_out, x, grad_in, n, alpha)

cdef void fa_leaky_relu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.leaky_relu_backward_f64(grad_out, x, grad_in, n, alpha)


# The activation family: relu6, hard_sigmoid, hard_swish, gelu; softmax rows.

cdef void fa_relu6_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_f32(x, y, n)

cdef void fa_relu6_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_f64(x, y, n)

cdef void fa_relu6_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_grad_f32(x, y, n)

cdef void fa_relu6_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_grad_f64(x, y, n)

cdef void fa_relu6_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_backward_f32(grad_out, x, grad_in, n)

cdef void fa_relu6_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.relu6_backward_f64(grad_out, x, grad_in, n)

cdef void fa_hard_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_f32(x, y, n)

cdef void fa_hard_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_f64(x, y, n)

cdef void fa_hard_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_grad_f32(x, y, n)

cdef void fa_hard_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_grad_f64(x, y, n)

cdef void fa_hard_sigmoid_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_backward_f32(grad_out, x, grad_in, n)

cdef void fa_hard_sigmoid_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.hard_sigmoid_backward_f64(grad_out, x, grad_in, n)

cdef void fa_hard_swish_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_f32(x, y, n)

cdef void fa_hard_swish_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_f64(x, y, n)

cdef void fa_hard_swish_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_grad_f32(x, y, n)

cdef void fa_hard_swish_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_grad_f64(x, y, n)

cdef void fa_hard_swish_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_backward_f32(grad_out, x, grad_in, n)

cdef void fa_hard_swish_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.hard_swish_backward_f64(grad_out, x, grad_in, n)

cdef void fa_gelu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_f32(x, y, n)

cdef void fa_gelu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_f64(x, y, n)

cdef void fa_gelu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_grad_f32(x, y, n)

cdef void fa_gelu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_grad_f64(x, y, n)

cdef void fa_gelu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_backward_f32(grad_out, x, grad_in, n)

cdef void fa_gelu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_backward_f64(grad_out, x, grad_in, n)

cdef void fa_softmax_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.softmax_f32(x, y, rows, cols)

cdef void fa_softmax_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.softmax_f64(x, y, rows, cols)

cdef void fa_log_softmax_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.log_softmax_f32(x, y, rows, cols)

cdef void fa_log_softmax_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.log_softmax_f64(x, y, rows, cols)

cdef void fa_softmax_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.softmax_backward_f32(grad_out, y, grad_in, rows, cols)

cdef void fa_softmax_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    TABLE.softmax_backward_f64(grad_out, y, grad_in, rows, cols)
cdef void fa_tanh_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_f32(x, y, n)

cdef void fa_tanh_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_f64(x, y, n)

cdef void fa_tanh_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_grad_f32(x, y, n)

cdef void fa_tanh_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_grad_f64(x, y, n)

cdef void fa_tanh_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_backward_f32(grad_out, y, grad_in, n)

cdef void fa_tanh_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.tanh_backward_f64(grad_out, y, grad_in, n)

cdef void fa_softsign_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_f32(x, y, n)

cdef void fa_softsign_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_f64(x, y, n)

cdef void fa_softsign_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_grad_f32(x, y, n)

cdef void fa_softsign_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_grad_f64(x, y, n)

cdef void fa_softsign_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_backward_f32(grad_out, x, grad_in, n)

cdef void fa_softsign_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.softsign_backward_f64(grad_out, x, grad_in, n)

cdef void fa_softplus_f32(const float *x, float *y, Py_ssize_t n, float beta, float threshold) noexcept nogil:
    TABLE.softplus_f32(x, y, n, beta, threshold)

cdef void fa_softplus_f64(const double *x, double *y, Py_ssize_t n, double beta, double threshold) noexcept nogil:
    TABLE.softplus_f64(x, y, n, beta, threshold)

cdef void fa_softplus_grad_f32(const float *x, float *y, Py_ssize_t n, float beta, float threshold) noexcept nogil:
    TABLE.softplus_grad_f32(x, y, n, beta, threshold)

cdef void fa_softplus_grad_f64(const double *x, double *y, Py_ssize_t n, double beta, double threshold) noexcept nogil:
    TABLE.softplus_grad_f64(x, y, n, beta, threshold)

cdef void fa_softplus_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float beta, float threshold) noexcept nogil:
    TABLE.softplus_backward_f32(grad_out, x, grad_in, n, beta, threshold)

cdef void fa_softplus_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double beta, double threshold) noexcept nogil:
    TABLE.softplus_backward_f64(grad_out, x, grad_in, n, beta, threshold)

cdef void fa_log_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_f32(x, y, n)

cdef void fa_log_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_f64(x, y, n)

cdef void fa_log_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_grad_f32(x, y, n)

cdef void fa_log_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_grad_f64(x, y, n)

cdef void fa_log_sigmoid_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_backward_f32(grad_out, x, grad_in, n)

cdef void fa_log_sigmoid_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.log_sigmoid_backward_f64(grad_out, x, grad_in, n)

cdef void fa_silu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.silu_f32(x, y, n)

cdef void fa_silu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.silu_f64(x, y, n)

cdef void fa_silu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.silu_grad_f32(x, y, n)

cdef void fa_silu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.silu_grad_f64(x, y, n)

cdef void fa_silu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.silu_backward_f32(grad_out, x, grad_in, n)

cdef void fa_silu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.silu_backward_f64(grad_out, x, grad_in, n)

cdef void fa_gelu_tanh_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_f32(x, y, n)

cdef void fa_gelu_tanh_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_f64(x, y, n)

cdef void fa_gelu_tanh_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_grad_f32(x, y, n)

cdef void fa_gelu_tanh_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_grad_f64(x, y, n)

cdef void fa_gelu_tanh_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_backward_f32(grad_out, x, grad_in, n)

cdef void fa_gelu_tanh_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.gelu_tanh_backward_f64(grad_out, x, grad_in, n)

cdef void fa_elu_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.elu_f32(x, y, n, alpha)

cdef void fa_elu_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.elu_f64(x, y, n, alpha)

cdef void fa_elu_grad_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.elu_grad_f32(x, y, n, alpha)

cdef void fa_elu_grad_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.elu_grad_f64(x, y, n, alpha)

cdef void fa_elu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float alpha) noexcept nogil:
    TABLE.elu_backward_f32(grad_out, x, grad_in, n, alpha)

cdef void fa_elu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double alpha) noexcept nogil:
    TABLE.elu_backward_f64(grad_out, x, grad_in, n, alpha)

cdef void fa_selu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.selu_f32(x, y, n)

cdef void fa_selu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.selu_f64(x, y, n)

cdef void fa_selu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.selu_grad_f32(x, y, n)

cdef void fa_selu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.selu_grad_f64(x, y, n)

cdef void fa_selu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.selu_backward_f32(grad_out, x, grad_in, n)

cdef void fa_selu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.selu_backward_f64(grad_out, x, grad_in, n)

cdef void fa_mish_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.mish_f32(x, y, n)

cdef void fa_mish_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.mish_f64(x, y, n)

cdef void fa_mish_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil:
    TABLE.mish_grad_f32(x, y, n)

cdef void fa_mish_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil:
    TABLE.mish_grad_f64(x, y, n)

cdef void fa_mish_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.mish_backward_f32(grad_out, x, grad_in, n)

cdef void fa_mish_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil:
    TABLE.mish_backward_f64(grad_out, x, grad_in, n)
