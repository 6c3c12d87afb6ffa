# fastact's kernels: the one source of every activation's math.
#
# This file is `include`d by each `_isa_<tier>.pyx` and compiled once per ISA
# tier (baseline, AVX2+FMA, AVX-512) with `-O3 -fno-trapping-math`; gcc turns
# the plain loops below into SIMD code for the tier's vector width. For that
# every per-element function is branch-free: selections are written as
# `a if cond else b` on values that are always computed, so gcc if-converts
# them, and there is no call into libm.
#
# exp. e^a (a <= 0) is reduced as a = k ln2 + r with |r| <= ln2/2, k rounded
# by adding 1.5 * 2^(mantissa bits) so that k also lands in the low bits of the
# sum (read back as an integer: no float->int conversion that could trap on
# NaN). ln2 is split in two (Cody-Waite) so that r is exact. e^r = 1 + r +
# r^2 q(r) with q a near-minimax polynomial from tools/fit_exp.py: degree 4
# for float32 (relative error 1.0e-8, 0.17 ulp), degree 9 for float64 (1.7e-17,
# 0.15 ulp). 2^k is built from exponent bits as 2^(k+m) * 2^-m so that results
# below the smallest normal come out as correctly rounded subnormals.
#
# Floating-point flags. Only quiet operations ever see a NaN: NaN lanes are
# replaced by 0 with `x == x` (a quiet compare) before any ordered compare,
# min/max or arithmetic that could raise "invalid", and restored at the end.
# Sign tests of the ReLU family read the sign bit as an integer. Products that
# could be inf * 0 in a lane that is thrown away multiply by a harmless value
# instead. So no lane leaves a flag behind that its result does not justify.
#
# Constants are typed locals (`cdef real one = 1`), never bare literals in
# arithmetic or compares: Cython writes a literal as a C double (1.0), which
# would silently turn float32 math into float64 math and halve the speed.
#
# Accuracy (measured by `python -m fastact check`, figures in README.md):
# sigmoid, sigmoid_grad and sigmoid_backward are within 2 ulp; the ReLU
# family is exact.

from libc.stdint cimport int32_t, int64_t
from libc.math cimport fabs, fabsf

cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    /* Bit casts; memcpy is how C says it, and gcc turns it into nothing. */
    static inline int32_t fa_f32_bits(float x) { int32_t i; memcpy(&i, &x, 4); return i; }
    static inline float fa_bits_f32(int32_t i) { float x; memcpy(&x, &i, 4); return x; }
    static inline int64_t fa_f64_bits(double x) { int64_t i; memcpy(&i, &x, 8); return i; }
    static inline double fa_bits_f64(int64_t i) { double x; memcpy(&x, &i, 8); return x; }
    """
    int32_t f32_bits "fa_f32_bits"(float x) noexcept nogil
    float bits_f32 "fa_bits_f32"(int32_t i) noexcept nogil
    int64_t f64_bits "fa_f64_bits"(double x) noexcept nogil
    double bits_f64 "fa_bits_f64"(int64_t i) noexcept nogil

ctypedef fused real:
    float
    double


# ---------------------------------------------------------------------------
# Bit-level predicates: no floating-point compare, so no flag for NaN.

cdef inline bint is_positive(real x) noexcept nogil:
    """x > 0 by its bits: sign clear and not +0. (+NaN counts; callers that
    care test is_nan first.)"""
    if real is float:
        return f32_bits(x) > 0
    else:
        return f64_bits(x) > 0


cdef inline bint keeps_sign_for_relu(real x) noexcept nogil:
    """True for x > 0 and for NaN of either sign: the lanes where relu(x) = x.
    As signed integers every negative non-NaN value, -0 and -inf included, is
    at most the bits of -inf; positive values and negative NaNs are above."""
    if real is float:
        return f32_bits(x) > -8388608           # (int32_t)0xff800000, -inf
    else:
        return f64_bits(x) > -4503599627370496LL  # (int64_t)0xfff0000000000000, -inf


cdef inline bint is_nan(real x) noexcept nogil:
    return x != x  # != is a quiet compare: no "invalid" for a quiet NaN


cdef inline bint is_inf(real x) noexcept nogil:
    if real is float:
        return (f32_bits(x) & 0x7fffffff) == 0x7f800000
    else:
        return (f64_bits(x) & 0x7fffffffffffffffLL) == 0x7ff0000000000000LL


cdef inline bint is_finite(real x) noexcept nogil:
    if real is float:
        return (f32_bits(x) & 0x7f800000) != 0x7f800000
    else:
        return (f64_bits(x) & 0x7ff0000000000000LL) != 0x7ff0000000000000LL


cdef inline real nan_of(real x) noexcept nogil:
    """A quiet NaN of x's type."""
    if real is float:
        return bits_f32(0x7fc00000)
    else:
        return bits_f64(0x7ff8000000000000LL)


cdef inline real mul_quiet(real a, real b) noexcept nogil:
    """a * b, giving NaN for inf * 0 without raising "invalid"."""
    cdef real zero = 0
    cdef bint undefined = (is_inf(a) & (b == zero)) | ((a == zero) & is_inf(b))
    return (nan_of(a) if undefined else a) * b


# ---------------------------------------------------------------------------
# exp on the non-positive axis

cdef inline float exp_nonpos_f32(float a, float *lo) noexcept nogil:
    """e^a for -104 <= a <= 0 (callers clamp and remove NaN first), as an
    unevaluated sum hi + *lo that carries the last rounding's error too."""
    cdef float magic = 12582912.0       # 1.5 * 2^23: adding it rounds to an integer
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125       # 16 bits: k * ln2_hi is exact
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q1 = 0.1666657702559798819
    cdef float q2 = 0.041666554662050533982
    cdef float q3 = 0.0083631730745137109028
    cdef float q4 = 0.0013926176119935578884
    cdef float two_m24 = 5.9604644775390625e-8   # 2^-24
    cdef float half = 0.5, one = 1
    cdef float kf = a * log2e + magic
    cdef int32_t k = f32_bits(kf) - f32_bits(magic)
    kf = kf - magic
    cdef float r_hi = a - kf * ln2_hi      # exact
    cdef float r_lo = -(kf * ln2_lo)
    cdef float r = r_hi + r_lo
    cdef float q = (((q4 * r + q3) * r + q2) * r + q1) * r
    q = q + half
    # r_lo joins the small terms, so the only rounding that matters is the last
    cdef float small = r_hi + (r_lo + r * r * q)
    cdef float p = one + small
    cdef float p_lo = small - (p - one)     # exact: Fast2Sum, |small| < 1
    # 2^(k+24): k >= -150 keeps the exponent field positive
    cdef float scale = bits_f32((k + 24 + 127) << 23)
    lo[0] = (p_lo * scale) * two_m24
    return (p * scale) * two_m24


cdef inline double exp_nonpos_f64(double a, double *lo) noexcept nogil:
    """e^a for -746 <= a <= 0 (callers clamp and remove NaN first), as an
    unevaluated sum hi + *lo."""
    cdef double magic = 6755399441055744.0    # 1.5 * 2^52
    cdef double log2e = 1.4426950408889634074
    cdef double ln2_hi = 6.93147180369123816490e-01   # 32 bits: k * ln2_hi exact
    cdef double ln2_lo = 1.90821492927058770002e-10
    cdef double q1 = 0.16666666666666667452
    cdef double q2 = 0.041666666666624161903
    cdef double q3 = 0.0083333333333300644495
    cdef double q4 = 0.0013888888917196719077
    cdef double q5 = 0.00019841269863040545271
    cdef double q6 = 0.000024801521322368693266
    cdef double q7 = 2.7557268480310025526e-6
    cdef double q8 = 2.7620075879983366586e-7
    cdef double q9 = 2.5100375832561233664e-8
    cdef double q0 = 0.50000000000000010211
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double one = 1
    cdef double kf = a * log2e + magic
    cdef int64_t k = f64_bits(kf) - f64_bits(magic)
    kf = kf - magic
    cdef double r_hi = a - kf * ln2_hi     # exact
    cdef double r_lo = -(kf * ln2_lo)
    cdef double r = r_hi + r_lo
    cdef double q = ((((((((q9 * r + q8) * r + q7) * r + q6) * r + q5) * r + q4) * r
                      + q3) * r + q2) * r + q1) * r + q0
    cdef double small = r_hi + (r_lo + r * r * q)
    cdef double p = one + small
    cdef double p_lo = small - (p - one)    # exact: Fast2Sum, |small| < 1
    # 2^(k+60): k >= -1076 keeps the exponent field positive
    cdef double scale = bits_f64((k + 60 + 1023) << 52)
    lo[0] = (p_lo * scale) * two_m60
    return (p * scale) * two_m60


cdef inline real fabs_real(real x) noexcept nogil:
    if real is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline real exp_neg_abs(real x, real *lo) noexcept nogil:
    """e^-|x| = hi + *lo for a non-NaN x; 0 (or a subnormal) far out."""
    # Below the clamp e^a is under half the smallest subnormal.
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef real a = -fabs_real(x)
    if real is float:
        a = a if a > lowest_f32 else lowest_f32
        return exp_nonpos_f32(a, lo)
    else:
        a = a if a > lowest_f64 else lowest_f64
        return exp_nonpos_f64(a, lo)


# ---------------------------------------------------------------------------
# Per-element math

cdef inline real sigmoid_not_nan(real xs) noexcept nogil:
    """sigmoid(xs) for a non-NaN xs.

    With t = e^-|x| <= 1: sigmoid(|x|) = 1/(1+t) and sigmoid(-|x|) = t/(1+t),
    so nothing overflows and the lower tail keeps full precision. t comes as
    t + t_lo; d + dl = 1 + t + t_lo (Fast2Sum, as t <= 1). The quotient
    num/d is corrected to first order for what d and num leave out:
    (num + num_lo)/(d + dl) ~ q + (num_lo - q dl)/d, with 1/d taken from the
    quotient itself (1/d = 1 - t/(1+t)). What remains is the rounding of the
    division and the exp polynomial's error: under 1 ulp."""
    cdef real zero = 0, one = 1
    cdef real t_lo
    cdef real t = exp_neg_abs(xs, &t_lo)
    cdef real d = one + t
    cdef real dl = (t - (d - one)) + t_lo
    cdef bint upper = xs >= zero
    cdef real q = (one if upper else t) / d
    cdef real inv_d = q if upper else one - q
    cdef real num_lo = zero if upper else t_lo
    return q + (num_lo - q * dl) * inv_d


cdef inline real sigmoid_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real s = sigmoid_not_nan(zero if nan else x)
    return x if nan else s


cdef inline real sigmoid_grad_1(real x) noexcept nogil:
    # sigmoid'(x) = s (1 - s) = s - s^2 with s = sigmoid(-|x|) <= 1/2: even in
    # x, no cancellation (s - s^2 >= s/2), and one rounding where the tier
    # has FMA. Accurate in the tails, where s - s^2 is e^-|x| to first order.
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real s = sigmoid_not_nan(zero if nan else -fabs_real(x))
    cdef real g = s - s * s
    return x if nan else g


cdef inline real sigmoid_backward_1(real grad_out, real y) noexcept nogil:
    # y (1 - y) with one rounding: 1 - y = c + c_lo exactly (Fast2Sum; c_lo
    # is 0 for y >= 1/2 by Sterbenz), and y * c_lo is far below y * c. Then
    # one more rounding for grad_out: about 1 ulp in all (three plain
    # roundings reach 2.5 ulp).
    cdef real zero = 0, one = 1
    cdef real y_finite = y if is_finite(y) else zero   # no inf - inf below
    cdef real c = one - y
    cdef real c_lo = -y_finite - ((one - y_finite) - one)
    return mul_quiet(grad_out, y * c + y_finite * c_lo)


cdef inline real relu_1(real x) noexcept nogil:
    cdef real zero = 0
    return x if keeps_sign_for_relu(x) else zero


cdef inline real relu_grad_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1
    cdef real one_or_zero = one if is_positive(x) else zero
    return x if is_nan(x) else one_or_zero


cdef inline real relu_backward_1(real grad_out, real y) noexcept nogil:
    cdef real zero = 0
    cdef real passed = grad_out if is_positive(y) else zero
    return y if is_nan(y) else passed


cdef inline real leaky_relu_1(real x, real alpha) noexcept nogil:
    cdef real one = 1
    cdef bint pos = is_positive(x)
    # alpha * 1 in the lanes that keep x: never inf * 0 or an overflow there
    cdef real scaled = mul_quiet(alpha, one if pos else x)
    return x if pos else scaled


cdef inline real leaky_relu_grad_1(real x, real alpha) noexcept nogil:
    cdef real one = 1
    cdef real slope = one if is_positive(x) else alpha
    return x if is_nan(x) else slope


cdef inline real leaky_relu_backward_1(real grad_out, real x, real alpha) noexcept nogil:
    cdef real one = 1
    cdef bint pos = is_positive(x)
    cdef real scaled = mul_quiet(alpha, one if pos else grad_out)
    cdef real g = grad_out if pos else scaled
    return x if is_nan(x) else g


# ---------------------------------------------------------------------------
# Loops over contiguous buffers. Kept separate from the math so that each is a
# plain counted loop gcc can vectorize.

cdef void k_sigmoid(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = sigmoid_1(x[i])

cdef void k_sigmoid_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = sigmoid_grad_1(x[i])

cdef void k_sigmoid_backward(const real *g, const real *y, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = sigmoid_backward_1(g[i], y[i])

cdef void k_relu(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = relu_1(x[i])

cdef void k_relu_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = relu_grad_1(x[i])

cdef void k_relu_backward(const real *g, const real *y, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = relu_backward_1(g[i], y[i])

cdef void k_leaky_relu(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = leaky_relu_1(x[i], alpha)

cdef void k_leaky_relu_grad(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = leaky_relu_grad_1(x[i], alpha)

cdef void k_leaky_relu_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                                real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = leaky_relu_backward_1(g[i], x[i], alpha)


cdef void fill_table(fa_table *t) noexcept nogil:
    t.sigmoid_f32 = k_sigmoid[float]
    t.sigmoid_f64 = k_sigmoid[double]
    t.sigmoid_grad_f32 = k_sigmoid_grad[float]
    t.sigmoid_grad_f64 = k_sigmoid_grad[double]
    t.sigmoid_backward_f32 = k_sigmoid_backward[float]
    t.sigmoid_backward_f64 = k_sigmoid_backward[double]
    t.relu_f32 = k_relu[float]
    t.relu_f64 = k_relu[double]
    t.relu_grad_f32 = k_relu_grad[float]
    t.relu_grad_f64 = k_relu_grad[double]
    t.relu_backward_f32 = k_relu_backward[float]
    t.relu_backward_f64 = k_relu_backward[double]
    t.leaky_relu_f32 = k_leaky_relu[float]
    t.leaky_relu_f64 = k_leaky_relu[double]
    t.leaky_relu_grad_f32 = k_leaky_relu_grad[float]
    t.leaky_relu_grad_f64 = k_leaky_relu_grad[double]
    t.leaky_relu_backward_f32 = k_leaky_relu_backward[float]
    t.leaky_relu_backward_f64 = k_leaky_relu_backward[double]
