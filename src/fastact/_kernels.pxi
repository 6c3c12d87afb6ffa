# fastact's kernels: the one source of every activation's math.
#
# This file is `include`d by each `_isa_<tier>.pyx` and compiled once per ISA
# tier (baseline, AVX2+FMA, AVX-512) with `-O3 -fno-trapping-math`; gcc turns
# the plain loops below into SIMD code for the tier's vector width. For that
# every per-element function is branch-free: selections are written as
# `a if cond else b` on values that are always computed, so gcc if-converts
# them, and there is no call into libm.
#
# Speed. On AVX-512 a kernel costs about one cycle per vector instruction in
# its loop body (the FMA pipes, two 256-bit halves per 512-bit op, are the
# bottleneck), so the math is written to need few instructions: clamps and
# sign tests on the bit patterns as integers (one `min` both clamps -|x| and
# sends NaN out of the way), 2^k built from exponent bits with no multiply,
# exact error terms by Fast2Sum rather than by longer algorithms, no divide
# but sigmoid's one. Float64 has no 64-bit integer compare on SSE2 (the x86-64
# baseline): there, FA_I64_CMP is 0 and the same tests are quiet float
# compares on NaN-free values, so the baseline loops vectorize too. The
# ufunc layer starts the bulk of each run on a 64-byte boundary (numpy's
# buffers are usually 16 bytes off), worth up to 1.5x to the memory-bound
# kernels on AVX-512.
#
# exp (exp_scaled: sigmoid's). e^a (a <= 0) is reduced as a = k ln2 + r with
# |r| <= ln2/2, k rounded by adding 1.5 * 2^(mantissa bits) + bias, so that
# k + bias also lands in the low bits of the sum: shifted up, those bits are
# 2^k's pattern (read back as an integer: no float->int conversion that could
# trap on NaN). k ln2_hi is exact (Cody-Waite), r = (a - k ln2_hi) -
# k ln2_lo is rounded once. e^r - 1 = r + r^2 q(r), q near-minimax from
# tools/fit_exp.py: degree 4 for float32 (relative error 1.0e-8, 0.17 ulp),
# 9 for float64 (1.7e-17, 0.15 ulp). e^a = S (1 + small) with S = 2^k;
# below a ~ -87.68 / -708.75 (result under the smallest normal) k's
# exponent field is 0 and S = +0, which flushes those results to +0. (The
# older exp_nonpos_f32/f64 and exp_neg_abs give e^a as hi + lo with correct
# subnormals, for the kernels that want them.)
#
# sigmoid. t = e^-|x| as t + t_lo exactly (Fast2Sum of S and S*small: S*small
# is exact, S being a power of 2); 1/(1+t) above 0 and t/(1+t) below, so
# nothing overflows and the lower tail keeps its precision; the quotient is
# corrected to first order for what t_lo and the rounding of 1 + t leave out,
# with 1/(1+t) taken from a line (6% off, on a correction of ~1 ulp). What
# remains: the division's rounding, the rounding of r and of small, the
# polynomial: 1.52 ulp at most for float32 (every input, every tier), 1.46
# measured for float64. Plain t/(1+t) would be 2.3 ulp; correcting only
# 1 + t, 1.99. sigmoid_grad = s (1 - s) with s = sigmoid(-|x|) carried as a
# double word (the division's remainder by two_prod too) and s (1 - s)
# formed with one rounding: 1.06 ulp. sigmoid_backward: y - y*y by one FMA
# (correctly rounded), then one product: 1.48 ulp; without FMA, Dekker's
# product keeps it so (plain, 2.06). two_prod is one FMA where the tier has
# it (FA_FMA), else Dekker's product with Veltkamp's split.
#
# Floating-point flags. Only quiet operations ever see a NaN: NaN lanes are
# replaced with `x == x` (a quiet compare) or moved by the integer clamp
# before any ordered compare, min/max or arithmetic that could raise
# "invalid", and restored at the end. Sign tests of the ReLU family read the
# sign bit as an integer. Products that could be inf * 0 use mul_quiet or are
# guarded (`one if keep else x`) where the lane is thrown away, or are
# proved impossible for the whole loop (leaky_relu with |alpha| <= 1). So no
# lane leaves a flag behind that its result does not justify (sigmoid_backward
# keeps every lane: its grad_out * y(1-y) raises "invalid" only for inf * 0,
# whose result is NaN).
#
# Constants are typed locals (`cdef real one = 1`), never bare literals in
# arithmetic or compares: Cython writes a literal as a C double (1.0), which
# would silently turn float32 math into float64 math and halve the speed.
#
# Accuracy (max error vs a long double oracle, `python -m fastact check`):
# sigmoid, sigmoid_grad and sigmoid_backward within 1.6 ulp at every tier
# (the contract is 2; results below the smallest normal may be 0); the ReLU
# family is exact (bitwise, sign of zero included). gelu: float32 0.52 ulp,
# float64 3.2 ulp at most (measured on dense sweeps, every tier); relu6,
# hard_sigmoid, hard_swish: the correctly rounded result of torch's
# arithmetic; softmax 2.9 ulp, log_softmax 2.1 ulp; derivatives within 2 ulp
# or 2 eps absolute where below 1 (see the sections). The seed's kernels
# vectorize at every tier: `python tools/check_vectorization.py`.

from libc.stdint cimport int32_t, int64_t
from libc.math cimport fabs, fabsf, fma, fmaf, log1p

cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    /* Bit casts; memcpy is how C says it, and gcc turns it into nothing. */
    static inline int32_t fa_f32_bits(float x) { int32_t i; memcpy(&i, &x, 4); return i; }
    static inline float fa_bits_f32(int32_t i) { float x; memcpy(&x, &i, 4); return x; }
    static inline int64_t fa_f64_bits(double x) { int64_t i; memcpy(&i, &x, 8); return i; }
    static inline double fa_bits_f64(int64_t i) { double x; memcpy(&x, &i, 8); return x; }
    /* 64-bit integer compares: x86-64's baseline (SSE2) has none, and gcc
       leaves loops that need them scalar. */
    #if (defined(__x86_64__) || defined(_M_X64)) && !defined(__SSE4_2__) && !defined(__AVX__)
    #define FA_I64_CMP 0
    #else
    #define FA_I64_CMP 1
    #endif
    /* Does the tier have fused multiply-add (one rounding for a*b+c)? */
    #if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
    #define FA_FMA 1
    #else
    #define FA_FMA 0
    #endif
    """
    int32_t f32_bits "fa_f32_bits"(float x) noexcept nogil
    float bits_f32 "fa_bits_f32"(int32_t i) noexcept nogil
    int64_t f64_bits "fa_f64_bits"(double x) noexcept nogil
    double bits_f64 "fa_bits_f64"(int64_t i) noexcept nogil
    const bint FA_I64_CMP
    const bint FA_FMA

ctypedef fused real:
    float
    double


# ---------------------------------------------------------------------------
# Bit-level predicates: no floating-point compare, so no flag for NaN.

cdef inline bint is_positive(real x) noexcept nogil:
    """x > 0 by its bits: sign clear and not +0. (+NaN counts; callers that
    care test is_nan first.)"""
    cdef real zero = 0
    if real is float:
        return f32_bits(x) > 0
    elif FA_I64_CMP:
        return f64_bits(x) > 0
    else:
        # ordered compare only once NaN is gone (NaN counts as not positive)
        return (x if x == x else zero) > zero


cdef inline bint keeps_sign_for_relu(real x) noexcept nogil:
    """True for x > 0 and for NaN of either sign: the lanes where relu(x) = x.
    As signed integers every negative non-NaN value, -0 and -inf included, is
    at most the bits of -inf; positive values and negative NaNs are above."""
    cdef real zero = 0, one = 1
    if real is float:
        return f32_bits(x) > -8388608           # (int32_t)0xff800000, -inf
    elif FA_I64_CMP:
        return f64_bits(x) > -4503599627370496LL  # (int64_t)0xfff0000000000000, -inf
    else:
        return (x if x == x else one) > zero    # NaN -> 1 before the ordered compare


cdef inline bint is_nan(real x) noexcept nogil:
    return x != x  # != is a quiet compare: no "invalid" for a quiet NaN


cdef inline bint is_inf(real x) noexcept nogil:
    if real is float:
        return (f32_bits(x) & 0x7fffffff) == 0x7f800000
    elif FA_I64_CMP:
        return (f64_bits(x) & 0x7fffffffffffffffLL) == 0x7ff0000000000000LL
    else:
        return fabs(x) == bits_f64(0x7ff0000000000000LL)   # == is quiet


cdef inline bint is_finite(real x) noexcept nogil:
    cdef real zero = 0
    if real is float:
        return (f32_bits(x) & 0x7f800000) != 0x7f800000
    elif FA_I64_CMP:
        return (f64_bits(x) & 0x7ff0000000000000LL) != 0x7ff0000000000000LL
    else:
        # NaN made inf first; then one quiet compare
        return fabs(x if x == x else bits_f64(0x7ff0000000000000LL)) != bits_f64(0x7ff0000000000000LL)


cdef inline real nan_of(real x) noexcept nogil:
    """A quiet NaN of x's type."""
    if real is float:
        return bits_f32(0x7fc00000)
    else:
        return bits_f64(0x7ff8000000000000LL)


cdef inline real mul_quiet(real a, real b) noexcept nogil:
    """a * b, giving NaN for inf * 0 without raising "invalid" (the only
    product that raises it: NaN operands are quiet). With the magnitudes'
    bits as integers that case is min == 0 and max == inf."""
    cdef real zero = 0
    cdef int32_t ma32, mb32
    cdef int64_t ma64, mb64
    cdef bint undefined
    if real is float:
        ma32 = f32_bits(a) & 0x7fffffff
        mb32 = f32_bits(b) & 0x7fffffff
        undefined = (((ma32 if ma32 < mb32 else mb32) == 0)
                     & ((ma32 if ma32 > mb32 else mb32) == 0x7f800000))
    elif FA_I64_CMP:
        ma64 = f64_bits(a) & 0x7fffffffffffffffLL
        mb64 = f64_bits(b) & 0x7fffffffffffffffLL
        undefined = (((ma64 if ma64 < mb64 else mb64) == 0)
                     & ((ma64 if ma64 > mb64 else mb64) == 0x7ff0000000000000LL))
    else:
        undefined = (is_inf(a) & (b == zero)) | ((a == zero) & is_inf(b))
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
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double hi = exp_nonpos_f64_2p60(a, lo)
    lo[0] = lo[0] * two_m60
    return hi * two_m60


cdef inline double exp_nonpos_f64_2p60(double a, double *lo) noexcept nogil:
    """e^a * 2^60 as hi + *lo, for -746 <= a <= 0: always a normal number, so
    a caller whose result is smaller still can round only once at the end."""
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
    lo[0] = p_lo * scale
    return p * scale


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

cdef inline real two_prod(real a, real b, real *lo) noexcept nogil:
    """a * b = result + *lo exactly (for products far from under/overflow):
    by one fused multiply-add where the tier has it (gcc inlines fma() then),
    else by Dekker's product of halves split with Veltkamp's constant."""
    cdef real p = a * b
    cdef float split32 = 4097              # 2^12 + 1
    cdef double split64 = 134217729        # 2^27 + 1
    cdef real ca, cb, ah, al, bh, bl
    if FA_FMA:
        if real is float:
            lo[0] = fmaf(a, b, -p)
        else:
            lo[0] = fma(a, b, -p)
    else:
        if real is float:
            ca = a * split32
            cb = b * split32
        else:
            ca = a * split64
            cb = b * split64
        ah = ca - (ca - a)
        al = a - ah
        bh = cb - (cb - b)
        bl = b - bh
        lo[0] = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p


cdef inline real exp_scaled(real a, real *small) noexcept nogil:
    """e^a = S (1 + *small) for a in [-88, 0] (float) / [-709, 0] (double),
    non-NaN: returns S = 2^k built from the exponent bits alone (no
    multiply): a normal number, or +0 where k = -127 / -1023 (a below about
    -87.68 / -708.75, where e^a is under the smallest normal); and
    *small = e^r - 1 with a = k ln2 + r, |r| <= ln2/2 (relative error of
    1 + small about 0.2 ulp from the polynomial plus the rounding of r)."""
    cdef float m32 = 12583039.0          # 1.5 * 2^23 + 127 (exponent bias)
    cdef float log2e32 = 1.44269504088896341
    cdef float ln2_hi32 = 0.693145751953125      # 16 bits: kf * ln2_hi exact
    cdef float ln2_lo32 = 1.42860682030941723212e-6
    cdef float f1 = 0.1666657702559798819
    cdef float f2 = 0.041666554662050533982
    cdef float f3 = 0.0083631730745137109028
    cdef float f4 = 0.0013926176119935578884
    cdef float half32 = 0.5
    cdef double m64 = 6755399441056767.0  # 1.5 * 2^52 + 1023
    cdef double log2e64 = 1.4426950408889634074
    cdef double ln2_hi64 = 6.93147180369123816490e-01   # 32 bits
    cdef double ln2_lo64 = 1.90821492927058770002e-10
    cdef double d1 = 0.16666666666666667452
    cdef double d2 = 0.041666666666624161903
    cdef double d3 = 0.0083333333333300644495
    cdef double d4 = 0.0013888888917196719077
    cdef double d5 = 0.00019841269863040545271
    cdef double d6 = 0.000024801521322368693266
    cdef double d7 = 2.7557268480310025526e-6
    cdef double d8 = 2.7620075879983366586e-7
    cdef double d9 = 2.5100375832561233664e-8
    cdef double d0 = 0.50000000000000010211
    cdef real kf, r, q
    cdef int32_t scale_bits
    cdef int64_t scale_bits64
    if real is float:
        # kf rounds to an integer k (plus m32) and k + 127 sits in the low
        # bits of its pattern: shifted up 23 bits they are 2^k's pattern.
        kf = a * log2e32 + m32
        scale_bits = f32_bits(kf) << 23
        kf = kf - m32
        r = (a - kf * ln2_hi32) - kf * ln2_lo32
        q = (((f4 * r + f3) * r + f2) * r + f1) * r + half32
        small[0] = r + r * r * q
        return bits_f32(scale_bits)
    else:
        kf = a * log2e64 + m64
        scale_bits64 = f64_bits(kf) << 52
        kf = kf - m64
        r = (a - kf * ln2_hi64) - kf * ln2_lo64
        q = ((((((((d9 * r + d8) * r + d7) * r + d6) * r + d5) * r + d4) * r
              + d3) * r + d2) * r + d1) * r + d0
        small[0] = r + r * r * q
        return bits_f64(scale_bits64)


cdef inline real neg_abs_clamped(real x) noexcept nogil:
    """-|x| clamped below at -88 (float) / -709 (double), NaN sent there too.
    There 2^k, the scale of e^a, is 2^-127 / 2^-1023: its exponent field is
    0, so exp_scaled gives S = +0 and every result below the smallest normal
    (e^-87.68 / e^-708.75 and under) comes out as +0, flushed with no extra
    select (the contract allows the flush)."""
    cdef real zero = 0
    cdef real lowest = -709.0                          # SSE2 path only
    cdef int32_t lowest32 = -1028653056                # 0xc2b00000, -88.0f
    cdef int64_t lowest64 = -4573924391083048960LL     # 0xc086280000000000, -709.0
    cdef int32_t na32
    cdef int64_t na64
    cdef real a
    if real is float:
        # -|x| as bits; as signed integers negative floats grow with their
        # magnitude, so min() is the clamp, and takes NaN there too.
        na32 = f32_bits(x) | (<int32_t>-2147483647 - 1)
        return bits_f32(na32 if na32 < lowest32 else lowest32)
    elif FA_I64_CMP:
        na64 = f64_bits(x) | (<int64_t>-9223372036854775807LL - 1)
        return bits_f64(na64 if na64 < lowest64 else lowest64)
    else:
        # SSE2 has no 64-bit integer compare: NaN replaced by 0 first, then
        # an ordered compare
        a = -fabs_real(x if x == x else zero)
        return a if a > lowest else lowest


cdef inline bint sign_clear(real x) noexcept nogil:
    """x >= +0 by the sign bit (NaN of either sign may go either way)."""
    cdef real zero = 0
    if real is float:
        return f32_bits(x) >= 0
    elif FA_I64_CMP:
        return f64_bits(x) >= 0
    else:
        return (x if x == x else zero) >= zero


cdef inline real sigmoid_1(real x) noexcept nogil:
    # With t = e^-|x| <= 1: sigmoid(x) = 1/(1+t) for x >= 0 and t/(1+t)
    # below, so nothing overflows and the lower tail keeps its precision.
    # t = S (1 + small) = t + t_lo exactly (Fast2Sum of S and S*small, which
    # is exact as S is a power of 2); d + dl = 1 + t + t_lo (Fast2Sum). The
    # quotient num/d is corrected to first order for what num and d leave
    # out: q + (num_lo - q dl)/d, with 1/d from a line (6% off: the
    # correction is at most ~1.5 ulp, so that costs < 0.1 ulp).
    cdef real zero = 0, one = 1
    cdef real inv_c0 = 1.4117647058823529   # 24/17
    cdef real inv_c1 = 0.47058823529411765  # 8/17
    cdef real small, s, t, t_lo, d, dl, num, num_lo, q
    cdef bint upper = sign_clear(x)
    s = exp_scaled(neg_abs_clamped(x), &small)
    t = s + s * small
    t_lo = (s - t) + s * small
    d = one + t
    dl = (t - (d - one)) + t_lo
    num = one if upper else t
    num_lo = zero if upper else t_lo
    q = num / d
    q = q + (num_lo - q * dl) * (inv_c0 - inv_c1 * d)
    return x if is_nan(x) else q


cdef inline real sigmoid_grad_1(real x) noexcept nogil:
    # sigmoid'(x) = s (1 - s) with s = sigmoid(-|x|) <= 1/2, even in x. s is
    # taken as a double word s + s_lo: as in sigmoid_1 plus the division's
    # own rounding (the remainder num - s d, exact by two_prod), with the
    # exact 1/d = 1 - s. Then 1 - s = c + c_lo (Fast2Sum) and
    # (s + s_lo)(c + c_lo) ~ s c + (s c_lo + s_lo (1 - 2s)), s c exact by
    # two_prod: one rounding. Accurate in the tails (e^-|x| to first order).
    cdef real one = 1, two = 2
    cdef real small, s, t, t_lo, d, dl, q, q_lo, c, c_lo, p, p_lo
    s = exp_scaled(neg_abs_clamped(x), &small)
    t = s + s * small
    t_lo = (s - t) + s * small
    d = one + t
    dl = (t - (d - one)) + t_lo
    q = t / d
    c = one - q
    p = two_prod(q, d, &p_lo)
    q_lo = (((t - p) - p_lo) + (t_lo - q * dl)) * c
    c_lo = (one - c) - q
    p = two_prod(q, c, &p_lo)
    q = p + (p_lo + (q * c_lo + q_lo * (one - two * q)))
    return x if is_nan(x) else q


cdef inline real sigmoid_backward_1(real grad_out, real y) noexcept nogil:
    # y (1 - y) = y - y^2 with one rounding: a fused multiply-add where the
    # tier has one (correctly rounded: no cancellation survives an exact
    # product). Without FMA, 1 - y = c + c_lo exactly (Fast2Sum; c_lo is 0
    # for y >= 1/2 by Sterbenz) and Dekker's exact y c, so again one
    # rounding. Then one more for grad_out: about 1 ulp in all (three plain
    # roundings reach 2.5 ulp). y = +-inf gives -inf (its limit), NaN NaN.
    cdef real zero = 0, one = 1, two = 2
    cdef bint finite = is_finite(y)
    cdef real y_finite = y if finite else zero   # no inf - inf below
    cdef real w, w_lo, c, c_lo, y_small
    if FA_FMA:
        w = y_finite - y_finite * y_finite       # contracted: one rounding
    else:
        # on y in [-2, 2] (the outputs of sigmoid, with room): no overflow
        # in Dekker's splitting; anything else takes the plain product
        y_small = y_finite if fabs_real(y_finite) <= two else zero
        c = one - y_small
        c_lo = -y_small - ((one - y_small) - one)
        w = two_prod(y_small, c, &w_lo)
        w = w + (w_lo + y_small * c_lo)
        w = w if y_small == y_finite else y_finite * (one - y_finite)
    w = w if finite else -fabs_real(y)
    # A plain product: every lane is kept, and grad_out * w raises "invalid"
    # only for inf * 0, whose NaN result is what the flag reports (the ufunc
    # layer restores the flags anyway).
    return grad_out * w


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


cdef inline real leaky_relu_small_alpha_1(real x, real alpha) noexcept nogil:
    # For finite alpha with |alpha| <= 1: alpha * x is never inf * 0 and
    # never overflows, so it may be computed in the lanes that keep x too.
    return x if is_positive(x) else alpha * x


cdef inline real leaky_relu_backward_small_alpha_1(real grad_out, real x,
                                                   real alpha) noexcept nogil:
    cdef real g = grad_out if is_positive(x) else alpha * grad_out
    return x if is_nan(x) else g


cdef inline bint is_small_alpha(real alpha) noexcept nogil:
    """|alpha| <= 1 (so not NaN, not inf): the case of every common slope."""
    cdef real one = 1
    return fabs_real(alpha if alpha == alpha else one + one) <= one


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
# The hard family: relu6, hard_sigmoid, hard_swish. PyTorch's definitions and
# its choices at the kinks (checked against torch 2.13's autograd): relu6' is
# 1 on the open interval (0, 6); hard_sigmoid' is 1/6 on (-3, 3); hard_swish'
# is 0 for x <= -3, (2x + 3)/6 for -3 < x < 3 and 1 for x >= 3. NaN stays NaN
# in every one of them (torch's gradients give 0 there; fastact's contract
# says NaN propagates). Values are torch's arithmetic: relu6 and the clamps
# are exact, hard_sigmoid is fl(fl(x + 3) / 6), hard_swish is
# fl(fl(x * fl(x + 3)) / 6) on (-3, 3), exactly x from 3 up (torch computes
# x * 6 / 6 there) and -0.0 from -3 down (the limit at -inf, where torch
# gives NaN).

cdef inline real not_nan_or_zero(real x) noexcept nogil:
    cdef real zero = 0
    return x if x == x else zero


cdef inline real relu6_1(real x) noexcept nogil:
    cdef real zero = 0, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real r = xs if keeps_sign_for_relu(xs) else zero
    r = six if xs > six else r
    return x if is_nan(x) else r


cdef inline real relu6_grad_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real g = one if (xs > zero) & (xs < six) else zero
    return x if is_nan(x) else g


cdef inline real relu6_backward_1(real grad_out, real x) noexcept nogil:
    cdef real zero = 0, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real g = grad_out if (xs > zero) & (xs < six) else zero
    return x if is_nan(x) else g


cdef inline real hard_sigmoid_1(real x) noexcept nogil:
    cdef real zero = 0, three = 3, six = 6
    cdef real a = not_nan_or_zero(x) + three
    a = a if a > zero else zero
    a = a if a < six else six
    cdef real r = a / six
    return x if is_nan(x) else r


cdef inline real hard_sigmoid_grad_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1, three = 3, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real sixth = one / six
    cdef real g = sixth if (xs > -three) & (xs < three) else zero
    return x if is_nan(x) else g


cdef inline real hard_sigmoid_backward_1(real grad_out, real x) noexcept nogil:
    # grad_out / 6 rather than grad_out * fl(1/6): one rounding, not two
    cdef real zero = 0, three = 3, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef bint inside = (xs > -three) & (xs < three)
    cdef real g = (grad_out if inside else zero) / six
    return x if is_nan(x) else g


cdef inline real hard_swish_1(real x) noexcept nogil:
    cdef real zero = 0, three = 3, six = 6
    cdef real xs = not_nan_or_zero(x)
    # x clamped to [-3, 3]: x * 0 below -3 is -0.0 without ever being -inf * 0
    cdef real xc = xs if xs > -three else -three
    xc = xc if xc < three else three
    cdef real mid = (xc * (xc + three)) / six     # xc + 3 is in [0, 6] already
    # x >= 3: x itself (torch's x * 6 / 6 could round or overflow)
    cdef real r = x if xs >= three else mid
    return x if is_nan(x) else r


cdef inline real hard_swish_grad_1(real x) noexcept nogil:
    # (2x + 3) / 6: 2x is exact and, near the zero at x = -1.5, so is 2x + 3
    # (Sterbenz), which x/3 + 1/2 would not be.
    cdef real zero = 0, one = 1, three = 3, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real xc = xs if fabs_real(xs) < three else zero   # keeps 2x + 3 finite
    cdef real mid = (xc + xc + three) / six
    cdef real g = zero if xs <= -three else (mid if xs < three else one)
    return x if is_nan(x) else g


cdef inline real hard_swish_backward_1(real grad_out, real x) noexcept nogil:
    cdef real zero = 0, one = 1, three = 3, six = 6
    cdef real xs = not_nan_or_zero(x)
    cdef real xc = xs if fabs_real(xs) < three else zero
    cdef real mid = (xc + xc + three) / six
    cdef real slope = zero if xs <= -three else (mid if xs < three else one)
    return x if is_nan(x) else mul_quiet(grad_out, slope)


# ---------------------------------------------------------------------------
# gelu: x * Phi(x), Phi the standard normal CDF (PyTorch's exact F.gelu).
#
# Everything goes through the upper tail Q(a) = Phi(-a) = erfc(a/sqrt2)/2 for
# a = |x| >= 0, written as
#
#     Q(a) = e^(-a^2/2) * t * G(t),    t = k / (k + a) in (0, 1],
#
# where G is smooth on all of [0, 1], so one polynomial covers every a with no
# branch and no table (tools/fit_gelu.py: Chebyshev interpolant in t). Then
# gelu(x) = x * Q(|x|) for x < 0 (small and accurate in relative terms all
# the way down the tail) and x * (1 - Q(x)) for x >= 0; gelu'(x) = Phi(x) +
# x phi(x) with phi(x) = e^(-x^2/2) / sqrt(2 pi), the same exponential.
#
# float32 is computed in double from the float input: x^2 is then exact, G
# has degree 12 (k = 3, relative error 2e-9) and the result is rounded once,
# so it is within 0.5 ulp plus a hair.
#
# float64 needs every part to hold ~1e-16 relative: G has degree 24 (k = 4.5,
# error 5e-18), in powers of t - 1/4 (condition number <= 1.5 on the range); a^2/2 is carried as s + e exactly (a split in halves by
# masking mantissa bits, so FMA contraction cannot disturb it) and e^(-s-e)
# = e^-s (1 - e), because a 1-ulp error in s would cost up to 750 ulp in e^-s;
# t's two roundings (k + a, then the division) are undone to first order:
# k + a is a TwoSum d + dl, the division's remainder k - t d is exact (a
# two-product by the same halves), and the correction dt times d(tG)/dt (a
# short fit) is added to t G. Past |x| = 38.5 Q underflows: gelu is x or -0.

cdef inline double hi_half_f64(double x) noexcept nogil:
    """x with its low 27 significand bits cleared: 26 bits, so the product
    of two such halves, or of one with the 27-bit rest, is exact."""
    return bits_f64(f64_bits(x) & <int64_t>0xFFFFFFFFF8000000ULL)


cdef inline double gauss_tail_f32(double a, double *phi) noexcept nogil:
    """Q(a) = Phi(-a) for 0 <= a <= 20 to ~3e-9 relative, and phi(a); for
    the float32 kernels (a is a float32 value, so a*a is exact)."""
    cdef double k = 3, one = 1, half = 0.5
    cdef double inv_sqrt_2pi = 0.398942280401432677940
    cdef double g0 = 0.13298075985857155
    cdef double g1 = 0.13298085349026917
    cdef double g2 = 0.11819980081107016
    cdef double g3 = 0.0887744599739471
    cdef double g4 = 0.04781549893304955
    cdef double g5 = 0.020111257104603875
    cdef double g6 = -0.06465287209402637
    cdef double g7 = 0.11997372981103283
    cdef double g8 = -0.3041852650173585
    cdef double g9 = 0.39691208205279194
    cdef double g10 = -0.2710383660390786
    cdef double g11 = 0.0964738735942451
    cdef double g12 = -0.014345812573934504
    cdef double t = k / (k + a)
    cdef double g = ((((((((((((g12 * t + g11) * t + g10) * t + g9) * t + g8) * t + g7) * t
                           + g6) * t + g5) * t + g4) * t + g3) * t + g2) * t + g1) * t + g0)
    cdef double e_lo
    cdef double e = exp_nonpos_f64(-(a * a * half), &e_lo)
    phi[0] = e * inv_sqrt_2pi
    return e * (t * g)


cdef inline double gauss_tail_f64(double a, double *q_lo, double *phi) noexcept nogil:
    """2^60 Q(a) = 2^60 Phi(-a) as hi + *q_lo for 0 <= a <= 38.5, and
    2^60 phi(a): scaled, so that Q stays normal where gelu(-a) = -a Q(a) is
    still normal; callers scale back once, in their last operation."""
    cdef double k = 4.5, half = 0.5, one = 1, quarter = 0.25
    cdef double inv_sqrt_2pi = 0.398942280401432677940
    cdef double g0 = 0.1175669265181191
    cdef double g1 = 0.15005647392836155
    cdef double g2 = 0.1743994388406509
    cdef double g3 = 0.18165005302557227
    cdef double g4 = 0.1653655602967321
    cdef double g5 = 0.1258066774973124
    cdef double g6 = 0.07229152891140773
    cdef double g7 = 0.021076593670701974
    cdef double g8 = -0.011802624319530417
    cdef double g9 = -0.01945696993594172
    cdef double g10 = -0.008618048840205584
    cdef double g11 = 0.005046606749893579
    cdef double g12 = 0.00871018415632812
    cdef double g13 = 0.001931666866967904
    cdef double g14 = -0.005183149544699821
    cdef double g15 = -0.004184113801784922
    cdef double g16 = 0.002095054930227927
    cdef double g17 = 0.004825392364317051
    cdef double g18 = 0.0003126689672301301
    cdef double g19 = -0.006779133615084079
    cdef double g20 = 0.0007132912382585182
    cdef double g21 = 0.008758396104735533
    cdef double g22 = -0.009330101689938445
    cdef double g23 = 0.004140381093122019
    cdef double g24 = -0.0007202109161255409
    cdef double d0 = 0.08845131413270009
    cdef double d1 = 0.1872764326818091
    cdef double d2 = 0.1362186024794807
    cdef double d3 = 0.8463490445807104
    cdef double d4 = -0.8577411775256427
    cdef double d5 = 1.3947916041517805
    # a^2 / 2 = s + e
    cdef double ah = hi_half_f64(a)
    cdef double al = a - ah
    cdef double u_hi = ah * ah * half
    cdef double u_mid = ah * al + al * al * half
    cdef double s = u_hi + u_mid
    cdef double e = (u_hi - s) + u_mid
    # k + a = d + dl (TwoSum, ordered by size)
    cdef double big = a if a > k else k
    cdef double small = k if a > k else a
    cdef double d = big + small
    cdef double dl = small - (d - big)
    cdef double t = k / d
    # k - t d exactly: t d = p + pe with halves
    cdef double th = hi_half_f64(t)
    cdef double tl = t - th
    cdef double dh = hi_half_f64(d)
    cdef double dlo = d - dh
    cdef double p = t * d
    cdef double pe = ((th * dh - p) + th * dlo + tl * dh) + tl * dlo
    cdef double rem = (k - p) - pe
    cdef double dt = (rem - t * dl) * (t / k)
    # G is a polynomial in v = t - 1/4 (well conditioned on all of [0.1, 1]);
    # v is exact for t >= 1/8; below, its rounding error v_err is corrected
    cdef double v = t - quarter
    cdef double v_err = t - (v + quarter)
    cdef double g = g24
    g = g * v + g23
    g = g * v + g22
    g = g * v + g21
    g = g * v + g20
    g = g * v + g19
    g = g * v + g18
    g = g * v + g17
    g = g * v + g16
    g = g * v + g15
    g = g * v + g14
    g = g * v + g13
    g = g * v + g12
    g = g * v + g11
    g = g * v + g10
    g = g * v + g9
    g = g * v + g8
    g = g * v + g7
    g = g * v + g6
    g = g * v + g5
    g = g * v + g4
    g = g * v + g3
    g = g * v + g2
    g = g * v + g1
    g = g * v + g0
    cdef double slope = ((((d5 * t + d4) * t + d3) * t + d2) * t + d1) * t + d0
    cdef double h = t * g
    # t G(t) moves by slope dt; G's argument alone by v_err: t G' v_err
    cdef double h_lo = dt * slope + v_err * (slope - g)
    cdef double x_lo
    cdef double x_hi = exp_nonpos_f64_2p60(-s, &x_lo)
    x_lo = x_lo - x_hi * e
    phi[0] = (x_hi + x_lo) * inv_sqrt_2pi
    cdef double q = x_hi * h
    q_lo[0] = x_lo * h + x_hi * h_lo
    return q


cdef inline real gelu_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef real xs = not_nan_or_zero(x)
    cdef bint neg = xs < zero
    cdef float clamp_f32 = 20
    cdef double clamp_f64 = 38.5, one_d = 1, zero_d = 0
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double a, phi, q, q_lo, xd, r, r_neg
    cdef bint far
    if real is float:
        xd = xs
        a = fabs(xd)
        far = a > clamp_f32
        a = clamp_f32 if far else a
        xd = zero_d if far else xd
        q = gauss_tail_f32(a, &phi)
        r = xd * q if neg else xd * (one_d - q)
    else:
        a = fabs(xs)
        far = a > clamp_f64
        a = clamp_f64 if far else a
        xd = zero_d if far else xs
        q = gauss_tail_f64(a, &q_lo, &phi)
        r_neg = (xd * q + xd * q_lo) * two_m60
        r = r_neg if neg else xd * (one_d - (q + q_lo) * two_m60)
    cdef real y = <real>r
    cdef real negzero = -zero
    y = (negzero if neg else x) if far else y
    return x if is_nan(x) else y


cdef inline real gelu_grad_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1
    cdef real xs = not_nan_or_zero(x)
    cdef bint neg = xs < zero
    cdef float clamp_f32 = 20
    cdef double clamp_f64 = 38.5, one_d = 1
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double a, phi, q, q_lo, r, r_neg
    cdef bint far
    if real is float:
        a = fabs(<double>xs)
        far = a > clamp_f32
        a = clamp_f32 if far else a
        q = gauss_tail_f32(a, &phi)
        r = (q - a * phi) if neg else ((one_d - q) + a * phi)
    else:
        a = fabs(xs)
        far = a > clamp_f64
        a = clamp_f64 if far else a
        q = gauss_tail_f64(a, &q_lo, &phi)
        r_neg = ((q - a * phi) + q_lo) * two_m60
        r = r_neg if neg else (((one_d - q * two_m60) - q_lo * two_m60) + a * phi * two_m60)
    cdef real g = <real>r
    g = (zero if neg else one) if far else g
    return x if is_nan(x) else g


cdef inline real gelu_backward_1(real grad_out, real x) noexcept nogil:
    return mul_quiet(grad_out, gelu_grad_1(x))


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
    if is_small_alpha(alpha):
        for i in range(n):
            y[i] = leaky_relu_small_alpha_1(x[i], alpha)
    else:
        for i in range(n):
            y[i] = leaky_relu_1(x[i], alpha)

cdef void k_leaky_relu_grad(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = leaky_relu_grad_1(x[i], alpha)

cdef void k_leaky_relu_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                                real alpha) noexcept nogil:
    cdef Py_ssize_t i
    if is_small_alpha(alpha):
        for i in range(n):
            out[i] = leaky_relu_backward_small_alpha_1(g[i], x[i], alpha)
    else:
        for i in range(n):
            out[i] = leaky_relu_backward_1(g[i], x[i], alpha)


cdef void k_relu6(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = relu6_1(x[i])

cdef void k_relu6_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = relu6_grad_1(x[i])

cdef void k_relu6_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = relu6_backward_1(g[i], x[i])

cdef void k_hard_sigmoid(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = hard_sigmoid_1(x[i])

cdef void k_hard_sigmoid_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = hard_sigmoid_grad_1(x[i])

cdef void k_hard_sigmoid_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = hard_sigmoid_backward_1(g[i], x[i])

cdef void k_hard_swish(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = hard_swish_1(x[i])

cdef void k_hard_swish_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = hard_swish_grad_1(x[i])

cdef void k_hard_swish_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = hard_swish_backward_1(g[i], x[i])

cdef void k_gelu(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = gelu_1(x[i])

cdef void k_gelu_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = gelu_grad_1(x[i])

cdef void k_gelu_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = gelu_backward_1(g[i], x[i])


# ---------------------------------------------------------------------------
# softmax, log_softmax, softmax_backward over the rows of a C-ordered
# (rows, cols) block. Each row is done start to finish by one call, with a
# fixed order of operations, so results never depend on how rows are split
# across threads.
#
# The elementwise passes are plain loops like the ones above. The reductions
# (row max, sums, the backward's dot product) are written in C below with
# GCC/Clang vector extensions: gcc does not vectorize a running float sum or
# max without -ffast-math (it may not reorder them), and lanes kept in a C
# array stay in memory; a vector variable stays in registers. Each vector lane
# sums its own subsequence, then the lanes are combined in a fixed order.
# Other compilers get the scalar loops.
#
# A row holding NaN is all NaN; so is a row whose max is +inf or -inf (torch
# gives NaN there: inf - inf). -inf elements of other rows give 0 (log: -inf).
#
# softmax: e_i = e^(x_i - m) (m the row max, argument <= 0, its rounding
# error carried into the low part), stored as fl(e_i) in y, summed in double
# (float32) or Kahan-compensated lanes (float64); then y_i *= 1/S. Within
# ~2 ulp, and the row sums to 1 within n eps.
# log_softmax: y_i = (x_i - m) - log1p(T), T the sum of e_j over all j but
# one index of the max (whose e_j is exactly 1; each element equal to the max
# is left out of the sum and count - 1 added back exactly): log1p(T) keeps
# the low bits
# log(1 + T) would lose when the max dominates. Both terms are <= 0, so there
# is no cancellation. The exps go through a stack buffer (y may be x).
# softmax_backward: grad_in_i = y_i (g_i - sum_j g_j y_j), the dot product
# in double (float32: exact products) or compensated lanes (float64), the
# last pass in the row's own type.
# The reductions may leave the "invalid" flag set for a row holding NaN; the
# ufunc-level driver (fastact._ufuncs) restores the flags it found.

cdef extern from *:
    """
    #include <math.h>
    #if defined(__GNUC__) || defined(__clang__)
    #define FA_VEC 1
    typedef float fa_f32x16 __attribute__((vector_size(64)));
    typedef float fa_f32x8 __attribute__((vector_size(32)));
    typedef int32_t fa_i32x16 __attribute__((vector_size(64)));
    typedef double fa_f64x8 __attribute__((vector_size(64)));
    typedef int64_t fa_i64x8 __attribute__((vector_size(64)));
    #endif

    /* Max of x[0..n) into the return value; *nan = 1 if a NaN was seen. */
    static inline float fa_row_max_f32(const float *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; float m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f32x16 vm; fa_i32x16 seen = {0};
            for (k = 0; k < 16; k++) vm[k] = -INFINITY;
            for (; i + 16 <= n; i += 16) {
                fa_f32x16 v; memcpy(&v, x + i, sizeof v);
                fa_i32x16 num = (v == v);
                fa_i32x16 up = (v > vm) & num;
                seen |= ~num;
                vm = (fa_f32x16)(((fa_i32x16)v & up) | ((fa_i32x16)vm & ~up));
            }
            for (k = 0; k < 16; k++) { if (vm[k] > m) m = vm[k]; any |= seen[k] != 0; }
        }
    #endif
        for (; i < n; i++) { float v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    static inline double fa_row_max_f64(const double *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; double m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x8 vm; fa_i64x8 seen = {0};
            for (k = 0; k < 8; k++) vm[k] = -INFINITY;
            for (; i + 8 <= n; i += 8) {
                fa_f64x8 v; memcpy(&v, x + i, sizeof v);
                fa_i64x8 num = (v == v);
                fa_i64x8 up = (v > vm) & num;
                seen |= ~num;
                vm = (fa_f64x8)(((fa_i64x8)v & up) | ((fa_i64x8)vm & ~up));
            }
            for (k = 0; k < 8; k++) { if (vm[k] > m) m = vm[k]; any |= seen[k] != 0; }
        }
    #endif
        for (; i < n; i++) { double v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    /* Sum of float32 values in double: 16 lanes, then the lanes in order. */
    static inline double fa_row_sum_f32(const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f64x8 a0 = {0}, a1 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f32x8 u, w; memcpy(&u, y + i, sizeof u); memcpy(&w, y + i + 8, sizeof w);
                a0 += __builtin_convertvector(u, fa_f64x8);
                a1 += __builtin_convertvector(w, fa_f64x8);
            }
            for (k = 0; k < 8; k++) s += a0[k];
            for (k = 0; k < 8; k++) s += a1[k];
        }
    #endif
        for (; i < n; i++) s += y[i];
        return s;
    }

    /* TwoSum into (s, c): s + v rounded, its error added to c. */
    #define FA_TWO_SUM(s, c, v) do { double t_ = (s) + (v); double b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)

    /* Compensated sum of doubles (Kahan-Babuska per lane): hi + *lo. */
    static inline double fa_row_sum_f64(const double *y, Py_ssize_t n, double *lo) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x8 vs = {0}, vc = {0};
            for (; i + 8 <= n; i += 8) {
                fa_f64x8 v; memcpy(&v, y + i, sizeof v);
                fa_f64x8 t = vs + v, b = t - vs;
                vc += (vs - (t - b)) + (v - b);
                vs = t;
            }
            for (k = 0; k < 8; k++) { FA_TWO_SUM(s, c, vs[k]); c += vc[k]; }
        }
    #endif
        for (; i < n; i++) FA_TWO_SUM(s, c, y[i]);
        *lo = c;
        return s;
    }

    /* sum g_i y_i: exact float32 products summed in double. */
    static inline double fa_row_dot_f32(const float *g, const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f64x8 a0 = {0}, a1 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f32x8 g0, g1, y0, y1;
                memcpy(&g0, g + i, sizeof g0); memcpy(&g1, g + i + 8, sizeof g1);
                memcpy(&y0, y + i, sizeof y0); memcpy(&y1, y + i + 8, sizeof y1);
                a0 += __builtin_convertvector(g0, fa_f64x8) * __builtin_convertvector(y0, fa_f64x8);
                a1 += __builtin_convertvector(g1, fa_f64x8) * __builtin_convertvector(y1, fa_f64x8);
            }
            for (k = 0; k < 8; k++) s += a0[k];
            for (k = 0; k < 8; k++) s += a1[k];
        }
    #endif
        for (; i < n; i++) s += (double)g[i] * (double)y[i];
        return s;
    }

    /* sum g_i y_i in float64: rounded products, compensated sum. */
    static inline double fa_row_dot_f64(const double *g, const double *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x8 vs = {0}, vc = {0};
            for (; i + 8 <= n; i += 8) {
                fa_f64x8 a, b; memcpy(&a, g + i, sizeof a); memcpy(&b, y + i, sizeof b);
                fa_f64x8 v = a * b;
                fa_f64x8 t = vs + v, bp = t - vs;
                vc += (vs - (t - bp)) + (v - bp);
                vs = t;
            }
            for (k = 0; k < 8; k++) { FA_TWO_SUM(s, c, vs[k]); c += vc[k]; }
        }
    #endif
        for (; i < n; i++) { double v = g[i] * y[i]; FA_TWO_SUM(s, c, v); }
        return s + c;
    }
    """
    float row_max_f32 "fa_row_max_f32"(const float *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_max_f64 "fa_row_max_f64"(const double *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_sum_f32 "fa_row_sum_f32"(const float *y, Py_ssize_t n) noexcept nogil
    double row_sum_f64 "fa_row_sum_f64"(const double *y, Py_ssize_t n, double *lo) noexcept nogil
    double row_dot_f32 "fa_row_dot_f32"(const float *g, const float *y, Py_ssize_t n) noexcept nogil
    double row_dot_f64 "fa_row_dot_f64"(const double *g, const double *y, Py_ssize_t n) noexcept nogil


cdef enum:
    EXP_CHUNK = 1024     # log_softmax's stack buffer of exps, elements


cdef inline bint row_max(const real *x, Py_ssize_t n, real *m) noexcept nogil:
    """The row max into *m; True when the row holds NaN."""
    cdef int nan = 0
    if real is float:
        m[0] = row_max_f32(x, n, &nan)
    else:
        m[0] = row_max_f64(x, n, &nan)
    return nan != 0


cdef inline double row_sum(const real *y, Py_ssize_t n) noexcept nogil:
    cdef double lo
    if real is float:
        return row_sum_f32(y, n)
    else:
        return row_sum_f64(y, n, &lo) + lo


cdef inline real exp_shifted(real v, real m, real *lo) noexcept nogil:
    """e^(v - m) as hi + *lo for v <= m, both non-NaN, m finite.

    v - m is rounded; its error a_lo (TwoSum) would cost |v - m| * a_lo
    relative error in e^(v - m), up to ~15 ulp for |v - m| ~ 30. So
    e^(a + a_lo) = e^a (1 + a_lo) goes into the low part."""
    cdef real zero = 0
    cdef real lowest
    if real is float:
        lowest = -104
    else:
        lowest = -746
    cdef real a = v - m
    cdef bint far = not (a > lowest)      # far below the max, or -inf
    cdef real vs = m if far else v         # keeps the TwoSum finite
    cdef real a2 = vs - m
    cdef real bp = a2 - vs
    cdef real a_lo = (vs - (a2 - bp)) + (-m - bp)
    a = lowest if far else a2
    a_lo = zero if far else a_lo
    cdef real hi
    if real is float:
        hi = exp_nonpos_f32(a, lo)
    else:
        hi = exp_nonpos_f64(a, lo)
    lo[0] = lo[0] + hi * a_lo
    return hi


cdef inline void exps_into(const real *x, real *e, Py_ssize_t n, real m) noexcept nogil:
    """e[i] = fl(e^(x[i] - m)), a plain loop (e may be x)."""
    cdef Py_ssize_t i
    cdef real hi, lo
    for i in range(n):
        hi = exp_shifted(x[i], m, &lo)
        e[i] = hi + lo


cdef inline void fill_row(real *y, Py_ssize_t n, real v) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = v


cdef void softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real m, inv
    cdef double one_d = 1
    if n == 0:
        return
    cdef bint nan = row_max(x, n, &m)
    if nan or is_inf(m):
        fill_row(y, n, nan_of(m))
        return
    exps_into(x, y, n, m)
    inv = <real>(one_d / row_sum(y, n))
    for i in range(n):
        y[i] = y[i] * inv


cdef void log_softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef real buf[EXP_CHUNK]
    cdef Py_ssize_t i, start, m_len, count = 0
    cdef real m, zero = 0, hi, lo
    cdef double t = 0, t_c = 0, part, b, tt, log_s
    if n == 0:
        return
    cdef bint nan = row_max(x, n, &m)
    if nan or is_inf(m):
        fill_row(y, n, nan_of(m))
        return
    # Every element equal to the max contributes exactly 1: leave them all
    # out of the float sum and add (count - 1) back exactly, which is the
    # sum over all but one of them.
    for i in range(n):
        count += x[i] == m          # quiet compare
    start = 0
    while start < n:
        m_len = min(<Py_ssize_t>EXP_CHUNK, n - start)
        for i in range(m_len):
            hi = exp_shifted(x[start + i], m, &lo)
            buf[i] = zero if x[start + i] == m else hi + lo
        part = row_sum(buf, m_len)
        tt = t + part                        # TwoSum of the chunk sums
        b = tt - t
        t_c += (t - (tt - b)) + (part - b)
        t = tt
        start += m_len
    log_s = log1p((t + <double>(count - 1)) + t_c)
    # Both terms are <= 0: each rounding is at most half an ulp of the result
    cdef real log_s_r = <real>log_s
    for i in range(n):
        y[i] = (x[i] - m) - log_s_r


cdef void softmax_backward_row(const real *g, const real *y, real *out,
                               Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real dot_r
    if real is float:
        dot_r = <float>row_dot_f32(g, y, n)
    else:
        dot_r = row_dot_f64(g, y, n)
    for i in range(n):
        out[i] = y[i] * (g[i] - dot_r)


cdef void k_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        softmax_row(x + r * cols, y + r * cols, cols)

cdef void k_log_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        log_softmax_row(x + r * cols, y + r * cols, cols)

cdef void k_softmax_backward(const real *g, const real *y, real *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        softmax_backward_row(g + r * cols, y + r * cols, out + r * cols, cols)


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
    t.relu6_f32 = k_relu6[float]
    t.relu6_f64 = k_relu6[double]
    t.relu6_grad_f32 = k_relu6_grad[float]
    t.relu6_grad_f64 = k_relu6_grad[double]
    t.relu6_backward_f32 = k_relu6_backward[float]
    t.relu6_backward_f64 = k_relu6_backward[double]
    t.hard_sigmoid_f32 = k_hard_sigmoid[float]
    t.hard_sigmoid_f64 = k_hard_sigmoid[double]
    t.hard_sigmoid_grad_f32 = k_hard_sigmoid_grad[float]
    t.hard_sigmoid_grad_f64 = k_hard_sigmoid_grad[double]
    t.hard_sigmoid_backward_f32 = k_hard_sigmoid_backward[float]
    t.hard_sigmoid_backward_f64 = k_hard_sigmoid_backward[double]
    t.hard_swish_f32 = k_hard_swish[float]
    t.hard_swish_f64 = k_hard_swish[double]
    t.hard_swish_grad_f32 = k_hard_swish_grad[float]
    t.hard_swish_grad_f64 = k_hard_swish_grad[double]
    t.hard_swish_backward_f32 = k_hard_swish_backward[float]
    t.hard_swish_backward_f64 = k_hard_swish_backward[double]
    t.gelu_f32 = k_gelu[float]
    t.gelu_f64 = k_gelu[double]
    t.gelu_grad_f32 = k_gelu_grad[float]
    t.gelu_grad_f64 = k_gelu_grad[double]
    t.gelu_backward_f32 = k_gelu_backward[float]
    t.gelu_backward_f64 = k_gelu_backward[double]
    t.softmax_f32 = k_softmax[float]
    t.softmax_f64 = k_softmax[double]
    t.log_softmax_f32 = k_log_softmax[float]
    t.log_softmax_f64 = k_log_softmax[double]
    t.softmax_backward_f32 = k_softmax_backward[float]
    t.softmax_backward_f64 = k_softmax_backward[double]
