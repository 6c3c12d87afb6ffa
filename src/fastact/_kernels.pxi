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


cdef inline real fabs_real(real x) noexcept nogil:
    if real is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline bint is_nan(real x) noexcept nogil:
    return x != x  # != is a quiet compare: no "invalid" for a quiet NaN


cdef inline bint is_inf(real x) noexcept nogil:
    # == is a quiet compare (NaN gives False without a flag). A float compare,
    # not one on the bits: SSE2 has no 64-bit integer compare, and the
    # baseline tier would leave every double loop using it scalar.
    cdef real inf
    if real is float:
        inf = bits_f32(0x7f800000)
    else:
        inf = bits_f64(0x7ff0000000000000LL)
    return fabs_real(x) == inf


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
    cdef float two_m24 = 5.9604644775390625e-8   # 2^-24
    cdef float hi = exp_nonpos_scaled_f32(a, lo)
    lo[0] = lo[0] * two_m24
    return hi * two_m24


cdef inline float exp_nonpos_scaled_f32(float a, float *lo) noexcept nogil:
    """e^a * 2^24 (= hi + *lo) for -104 <= a <= 0: always a normal number, so
    that a product with e^a that is itself normal can be formed before the
    one rounding into the subnormal range (x e^x near x = -90)."""
    cdef float magic = 12582912.0       # 1.5 * 2^23: adding it rounds to an integer
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125       # 16 bits: k * ln2_hi is exact
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q1 = 0.1666657702559798819
    cdef float q2 = 0.041666554662050533982
    cdef float q3 = 0.0083631730745137109028
    cdef float q4 = 0.0013926176119935578884
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
    lo[0] = p_lo * scale
    return p * scale


cdef inline double exp_nonpos_f64(double a, double *lo) noexcept nogil:
    """e^a for -746 <= a <= 0 (callers clamp and remove NaN first), as an
    unevaluated sum hi + *lo."""
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double hi = exp_nonpos_scaled_f64(a, lo)
    lo[0] = lo[0] * two_m60
    return hi * two_m60


cdef inline double exp_nonpos_scaled_f64(double a, double *lo) noexcept nogil:
    """e^a * 2^60 (= hi + *lo) for -746 <= a <= 0, always normal; see
    exp_nonpos_scaled_f32."""
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


cdef inline float expm1_nonpos_f32(float a) noexcept nogil:
    """e^a - 1 for a <= 0 (callers remove NaN first), within 1 ulp.

    Same reduction as exp_nonpos_f32, a = k ln2 + r, but e^r - 1 = r + r^2 q(r)
    is kept apart from the 1 so that it keeps its relative precision near
    0 (q of degree 5 from tools/fit_family_a.py, relative error 5e-10). Then
    e^a - 1 = (2^k - 1) + 2^k (e^r - 1): both terms exact, one rounding."""
    cdef float lowest = -30                # e^-30 - 1 rounds to -1
    cdef float magic = 12582912.0
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q0 = 0.5000000013457727153
    cdef float q1 = 0.16666666681614255706
    cdef float q2 = 0.041666465006040048761
    cdef float q3 = 0.0083333109344488684687
    cdef float q4 = 0.001393364103198670115
    cdef float q5 = 0.00019890980869750325563
    cdef float one = 1
    a = a if a > lowest else lowest
    cdef float kf = a * log2e + magic
    cdef int32_t k = f32_bits(kf) - f32_bits(magic)
    kf = kf - magic
    cdef float r_hi = a - kf * ln2_hi
    cdef float r_lo = -(kf * ln2_lo)
    cdef float r = r_hi + r_lo
    cdef float q = ((((q5 * r + q4) * r + q3) * r + q2) * r + q1) * r + q0
    cdef float p = r_hi + (r_lo + r * r * q)
    cdef float scale = bits_f32((k + 127) << 23)    # 2^k, -44 <= k <= 0
    return (scale - one) + scale * p


cdef inline double expm1_nonpos_f64(double a) noexcept nogil:
    """e^a - 1 for a <= 0, within 1 ulp (q of degree 10, relative error
    5e-19); see expm1_nonpos_f32."""
    cdef double lowest = -40               # e^-40 - 1 rounds to -1
    cdef double magic = 6755399441055744.0
    cdef double log2e = 1.4426950408889634074
    cdef double ln2_hi = 6.93147180369123816490e-01
    cdef double ln2_lo = 1.90821492927058770002e-10
    cdef double q0 = 0.5
    cdef double q1 = 0.16666666666666670986
    cdef double q2 = 0.041666666666666669752
    cdef double q3 = 0.008333333333326140884
    cdef double q4 = 0.0013888888888883752417
    cdef double q5 = 0.00019841269874800491981
    cdef double q6 = 0.000024801587325533363819
    cdef double q7 = 2.7557255425746434282e-6
    cdef double q8 = 2.7557273661348636219e-7
    cdef double q9 = 2.5105206373957011116e-8
    cdef double q10 = 2.09146793765839351e-9
    cdef double one = 1
    a = a if a > lowest else lowest
    cdef double kf = a * log2e + magic
    cdef int64_t k = f64_bits(kf) - f64_bits(magic)
    kf = kf - magic
    cdef double r_hi = a - kf * ln2_hi
    cdef double r_lo = -(kf * ln2_lo)
    cdef double r = r_hi + r_lo
    cdef double q = (((((((((q10 * r + q9) * r + q8) * r + q7) * r + q6) * r + q5) * r
                        + q4) * r + q3) * r + q2) * r + q1) * r + q0
    cdef double p = r_hi + (r_lo + r * r * q)
    cdef double scale = bits_f64((k + 1023) << 52)  # 2^k, -58 <= k <= 0
    return (scale - one) + scale * p


cdef inline real expm1_neg_abs(real x) noexcept nogil:
    """e^-|x| - 1 for a non-NaN x."""
    if real is float:
        return expm1_nonpos_f32(-fabsf(x))
    else:
        return expm1_nonpos_f64(-fabs(x))


# log1p on [0, 1]. With u = 1 + t rounded and c what the rounding lost,
# u is brought to m in [sqrt(1/2), sqrt(2)] by halving when needed (k = 1), and
# log(1 + t) = k ln2 + log1p(f) + c/m with f = m - 1 exact. log1p f is
# 2 atanh(s), s = f/(2 + f), written f - s (f - z R(z)) with z = s^2 so that
# the rounding of s only touches a term below f/4. R from
# tools/fit_family_a.py: degree 2 for float32 (relative error 2.7e-9), 6 for
# float64 (4.5e-18). Within 1 ulp.

cdef inline float log1p_r_f32(float z) noexcept nogil:
    cdef float r0 = 0.66666685039575855022
    cdef float r1 = 0.39988780566021981899
    cdef float r2 = 0.29579949391972784709
    return (r2 * z + r1) * z + r0


cdef inline double log1p_r_f64(double z) noexcept nogil:
    cdef double r0 = 0.66666666666666696862
    cdef double r1 = 0.3999999999989950449
    cdef double r2 = 0.28571428625975484921
    cdef double r3 = 0.22222211134795079855
    cdef double r4 = 0.1818288912526172208
    cdef double r5 = 0.15331721600556041269
    cdef double r6 = 0.1461644968504340586
    return (((((r6 * z + r5) * z + r4) * z + r3) * z + r2) * z + r1) * z + r0


cdef inline real log1p_unit(real t, real t_lo) noexcept nogil:
    """log(1 + t + t_lo) for 0 <= t <= 1 and a small correction t_lo (the low
    part of an exp_neg_abs result)."""
    cdef real zero = 0, half = 0.5, one = 1, two = 2
    cdef float sqrt2_f32 = 1.4142135381698608
    cdef double sqrt2_f64 = 1.4142135623730951
    cdef float ln2_hi_f32 = 0.6931471824645996
    cdef float ln2_lo_f32 = -1.9046542999577678785e-9
    cdef double ln2_hi_f64 = 0.6931471805599453
    cdef double ln2_lo_f64 = 2.3190468138462996155e-17
    cdef real sqrt2, ln2_hi, ln2_lo, rz
    if real is float:
        sqrt2 = sqrt2_f32
        ln2_hi = ln2_hi_f32
        ln2_lo = ln2_lo_f32
    else:
        sqrt2 = sqrt2_f64
        ln2_hi = ln2_hi_f64
        ln2_lo = ln2_lo_f64
    cdef real u = one + t
    cdef real c = (t - (u - one)) + t_lo     # Fast2Sum: exact but for t_lo
    cdef bint halve = u > sqrt2
    cdef real m = u * half if halve else u
    cdef real f = m - one                    # exact (Sterbenz)
    cdef real s = f / (two + f)
    cdef real z = s * s
    if real is float:
        rz = z * log1p_r_f32(z)
    else:
        rz = z * log1p_r_f64(z)
    cdef real lf = f - s * (f - rz)
    cdef real k_hi = ln2_hi if halve else zero
    cdef real k_lo = ln2_lo if halve else zero
    return k_hi + (lf + (c / u + k_lo))


# Sums carried to twice the working precision (products: two_prod, below),
# for arguments whose relative error gets multiplied by a large factor
# downstream (the exponent of gelu_tanh's sigmoid).

cdef inline real two_sum(real a, real b, real *lo) noexcept nogil:
    """a + b = result + *lo exactly (Knuth)."""
    cdef real s = a + b
    cdef real bb = s - a
    lo[0] = (a - (s - bb)) + (b - bb)
    return s


cdef inline real exp_neg_abs_scaled(real x, real *lo, real *unscale) noexcept nogil:
    """e^-|x| * 2^S = hi + *lo for a non-NaN x, always normal; *unscale is
    2^-S (S = 24 for float, 60 for double)."""
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    cdef real zero = 0
    cdef real a = -fabs_real(x)
    cdef real t
    cdef bint beyond     # where e^-|x| rounds to 0: give 0, not e^lowest 2^S
    if real is float:
        unscale[0] = two_m24
        beyond = a < lowest_f32
        a = lowest_f32 if beyond else a
        t = exp_nonpos_scaled_f32(a, lo)
    else:
        unscale[0] = two_m60
        beyond = a < lowest_f64
        a = lowest_f64 if beyond else a
        t = exp_nonpos_scaled_f64(a, lo)
    lo[0] = zero if beyond else lo[0]
    return zero if beyond else t


# Lean exp: the same reduction and polynomial without the low part, for
# results whose bound leaves room (the 4-ulp functions and the derivatives):
# within 1 ulp, at half the operations.

cdef inline float exp_lean_scaled_f32(float a) noexcept nogil:
    """e^a * 2^24 for -104 <= a <= 0, within 1 ulp, always normal."""
    cdef float magic = 12582912.0
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q1 = 0.1666657702559798819
    cdef float q2 = 0.041666554662050533982
    cdef float q3 = 0.0083631730745137109028
    cdef float q4 = 0.0013926176119935578884
    cdef float half = 0.5, one = 1
    cdef float kf = a * log2e + magic
    cdef int32_t k = f32_bits(kf) - f32_bits(magic)
    kf = kf - magic
    cdef float r = (a - kf * ln2_hi) - kf * ln2_lo
    cdef float q = (((q4 * r + q3) * r + q2) * r + q1) * r + half
    cdef float p = one + (r + r * r * q)
    return p * bits_f32((k + 24 + 127) << 23)


cdef inline double exp_lean_scaled_f64(double a) noexcept nogil:
    """e^a * 2^60 for -746 <= a <= 0, within 1 ulp, always normal."""
    cdef double magic = 6755399441055744.0
    cdef double log2e = 1.4426950408889634074
    cdef double ln2_hi = 6.93147180369123816490e-01
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
    cdef double r = (a - kf * ln2_hi) - kf * ln2_lo
    cdef double q = ((((((((q9 * r + q8) * r + q7) * r + q6) * r + q5) * r + q4) * r
                      + q3) * r + q2) * r + q1) * r + q0
    cdef double p = one + (r + r * r * q)
    return p * bits_f64((k + 60 + 1023) << 52)


cdef inline real exp_lean_neg_abs_scaled(real x, real *unscale) noexcept nogil:
    """e^-|x| * 2^S for a non-NaN x (0 where e^-|x| rounds to 0); *unscale
    is 2^-S. Lean: within 1 ulp."""
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    cdef real zero = 0
    cdef real a = -fabs_real(x)
    cdef real t
    cdef bint beyond
    if real is float:
        unscale[0] = two_m24
        beyond = a < lowest_f32
        t = exp_lean_scaled_f32(lowest_f32 if beyond else a)
    else:
        unscale[0] = two_m60
        beyond = a < lowest_f64
        t = exp_lean_scaled_f64(lowest_f64 if beyond else a)
    return zero if beyond else t


cdef inline real exp_lean_neg_abs(real x) noexcept nogil:
    """e^-|x| for a non-NaN x, within 1 ulp where normal. At the clamp e^a
    is below half the smallest subnormal, so unscaled it rounds to 0 by
    itself."""
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    cdef real a = -fabs_real(x)
    if real is float:
        a = a if a > lowest_f32 else lowest_f32
        return exp_lean_scaled_f32(a) * two_m24
    else:
        a = a if a > lowest_f64 else lowest_f64
        return exp_lean_scaled_f64(a) * two_m60


# ---------------------------------------------------------------------------
# Per-element math

cdef inline real sigmoid_of_t(real t, real t_lo, bint upper) noexcept nogil:
    """sigmoid(|v|) if upper else sigmoid(-|v|), given t + t_lo = e^-|v|.

    sigmoid(|v|) = 1/(1+t) and sigmoid(-|v|) = t/(1+t), so nothing overflows
    and the lower tail keeps full precision. d + dl = 1 + t + t_lo (Fast2Sum,
    as t <= 1). The quotient num/d is corrected to first order for what d and
    num leave out: (num + num_lo)/(d + dl) ~ q + (num_lo - q dl)/d, with 1/d
    taken from the quotient itself (1/d = 1 - t/(1+t)). What remains is the
    rounding of the division and the exp polynomial's error: under 1 ulp."""
    cdef real zero = 0, one = 1
    cdef real d = one + t
    cdef real dl = (t - (d - one)) + t_lo
    cdef real q = (one if upper else t) / d
    cdef real inv_d = q if upper else one - q
    cdef real num_lo = zero if upper else t_lo
    return q + (num_lo - q * dl) * inv_d


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


cdef inline real sigmoid_not_nan(real xs) noexcept nogil:
    """sigmoid(xs) for a non-NaN xs (see sigmoid_of_t)."""
    cdef real zero = 0
    cdef real t_lo
    cdef real t = exp_neg_abs(xs, &t_lo)
    return sigmoid_of_t(t, t_lo, xs >= zero)


cdef inline void sigmoid_pair_of_t(real t, real t_lo, bint upper, real *s,
                                   real *s_neg) noexcept nogil:
    """*s = sigmoid(v) and *s_neg = sigmoid(-v) = 1 - sigmoid(v), both to
    full relative precision, from t + t_lo = e^-|v| and upper = v >= 0."""
    cdef real one = 1
    cdef real d = one + t
    cdef real dl = (t - (d - one)) + t_lo
    cdef real big = one / d
    cdef real small = t / d
    big = big - (big * dl) * big
    small = small + (t_lo - small * dl) * big
    s[0] = big if upper else small
    s_neg[0] = small if upper else big


cdef inline real sigmoid_of_t_scaled(real t_s, real t_lo_s, real unscale, bint upper,
                                     real *mult) noexcept nogil:
    """sigmoid(v) = result * *mult from t_s + t_lo_s = e^-|v| 2^S and
    unscale = 2^-S (exp_neg_abs_scaled); upper = v >= 0. The lower tail comes
    scaled (*mult = 2^-S) so that a product with it rounds only once, even
    where sigmoid(v) alone would be subnormal. As sigmoid_of_t otherwise."""
    cdef real zero = 0, one = 1
    cdef real t = t_s * unscale
    cdef real d = one + t
    cdef real dl = (t - (d - one)) + t_lo_s * unscale
    cdef real q = (one if upper else t_s) / d
    cdef real inv_d = q if upper else one - q * unscale
    cdef real num_lo = zero if upper else t_lo_s
    mult[0] = one if upper else unscale
    return q + (num_lo - q * dl) * inv_d


# Lean sigmoids: t from the lean exp, one division, no correction terms;
# within 2 ulp. For the 4-ulp functions and the derivatives.

cdef inline real sigmoid_lean_scaled(real v, real *mult) noexcept nogil:
    """sigmoid(v) = result * *mult for a non-NaN v; the lower tail comes
    scaled by 2^S (see sigmoid_of_t_scaled)."""
    cdef real zero = 0, one = 1
    cdef real unscale
    cdef real t_s = exp_lean_neg_abs_scaled(v, &unscale)
    cdef bint upper = v >= zero
    mult[0] = one if upper else unscale
    return (one if upper else t_s) / (one + t_s * unscale)


cdef inline real sigmoid_lean(real v) noexcept nogil:
    """sigmoid(v) for a non-NaN v, within 2 ulp."""
    cdef real zero = 0, one = 1
    cdef real t = exp_lean_neg_abs(v)
    return (one if v >= zero else t) / (one + t)


cdef inline void sigmoid_pair_lean(real v, real *s, real *s_neg) noexcept nogil:
    """*s = sigmoid(v), *s_neg = sigmoid(-v), each within 2.5 ulp."""
    cdef real zero = 0, one = 1
    cdef real t = exp_lean_neg_abs(v)
    cdef real big = one / (one + t)
    cdef real small = t * big
    cdef bint upper = v >= zero
    s[0] = big if upper else small
    s_neg[0] = small if upper else big


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
    cdef double x_hi = exp_nonpos_scaled_f64(-s, &x_lo)
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
# The activation family: tanh, softsign, softplus, log_sigmoid, silu,
# gelu_tanh, elu, selu, mish. Each `<name>_1` takes a possibly-NaN x, runs its
# math on `xs` (NaN replaced by 0) and gives x back in the NaN lanes. Products
# that would be inf * 0 in a limit (x sigmoid(x) at x = -inf) use x clamped to
# where the other factor is exactly 0 or 1 instead.
#
# Speed. The 2-ulp forwards (tanh near 0 aside) use the hi + lo exp and the
# corrected sigmoid; the 4-ulp ones and every derivative use the lean exp
# and sigmoid, at about half the operations. Backward passes multiply
# grad_out by a derivative that is finite for every x, so inf * 0 there
# comes only from grad_out = +-inf at a zero slope, where NaN is the true
# result: a plain product, not mul_quiet (whose tests cost as much as a
# lean exp); the ufunc loops restore the flags it raises.

cdef inline real negative_if(real r, real x) noexcept nogil:
    """r (>= 0) with x's sign bit: odd functions, -0 kept. Bit operations
    only (SSE2 has 64-bit and/or but no 64-bit compare)."""
    if real is float:
        return bits_f32(f32_bits(r) | (f32_bits(x) & (-2147483647 - 1)))
    else:
        return bits_f64(f64_bits(r) | (f64_bits(x) & (-9223372036854775807LL - 1)))


cdef inline real clamp_abs(real x, real bound) noexcept nogil:
    """x limited to [-bound, bound] (x not NaN)."""
    cdef real lo = -bound
    x = x if x < bound else bound
    return x if x > lo else lo


cdef inline real far_x(real x) noexcept nogil:
    """|x| beyond which e^-|x| is 0 in x's type (200 / 1000)."""
    cdef float far_f32 = 200
    cdef double far_f64 = 1000
    if real is float:
        return far_f32
    else:
        return far_f64


# tanh. |x| < 0.625: x + x^3 P(x^2), P of degree 4 / 10 from
# tools/fit_family_a.py (relative error 0.3 ulp / 0.4 ulp). Beyond:
# 1 - 2 sigmoid(-2|x|) with the lean sigmoid: 2 sigmoid(-2|x|) < 0.45, so
# its 2 ulp are at most 1 ulp of the result, and the subtraction adds half
# an ulp. Within 2 ulp.

cdef inline float tanh_p_f32(float w) noexcept nogil:
    cdef float p0 = -0.33333328944134254565
    cdef float p1 = 0.13332769736976327858
    cdef float p2 = -0.053850909578513580828
    cdef float p3 = 0.020997178999074750572
    cdef float p4 = -0.0060967141659081975745
    return (((p4 * w + p3) * w + p2) * w + p1) * w + p0


cdef inline double tanh_p_f64(double w) noexcept nogil:
    cdef double p0 = -0.33333333333333322565
    cdef double p1 = 0.13333333333326657736
    cdef double p2 = -0.053968253961395570821
    cdef double p3 = 0.021869488260559114645
    cdef double p4 = -0.0088632298309257087457
    cdef double p5 = 0.0035920589774734553151
    cdef double p6 = -0.001455309297534642025
    cdef double p7 = 0.00058743728600943818973
    cdef double p8 = -0.000230776162695198579
    cdef double p9 = 0.000079599557352648080002
    cdef double p10 = -0.000017244874494844330172
    return (((((((((p10 * w + p9) * w + p8) * w + p7) * w + p6) * w + p5) * w + p4) * w
              + p3) * w + p2) * w + p1) * w + p0


cdef inline real tanh_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1, cut = 0.625, flat = 22   # tanh(22) rounds to 1
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real a = fabs_real(xs)
    a = a if a < flat else flat
    cdef real w = a * a
    cdef real p
    if real is float:
        p = tanh_p_f32(w)
    else:
        p = tanh_p_f64(w)
    cdef real near = a + a * (w * p)
    # 2s < 0.45 here: its 2 ulp are at most 1 ulp of the result
    cdef real s = sigmoid_lean(-(a + a))
    cdef real far = one - (s + s)
    cdef real r = negative_if(near if a < cut else far, xs)
    return x if nan else r


cdef inline real tanh_grad_1(real x) noexcept nogil:
    # 1 - tanh^2 = sech^2 x = 4 s (1 - s) with s = sigmoid(-2|x|): no
    # cancellation, accurate in the tails (as sigmoid_grad).
    cdef real zero = 0, four = 4, flat = 400     # 4 e^-800 is 0 in either type
    cdef bint nan = is_nan(x)
    cdef real a = fabs_real(zero if nan else x)
    a = a if a < flat else flat
    cdef real s = sigmoid_lean(-(a + a))
    cdef real g = four * (s - s * s)
    return x if nan else g


cdef inline real tanh_backward_1(real grad_out, real y) noexcept nogil:
    # grad_out (1 - y^2), y = tanh(x), as (1 - |y|)(1 + |y|): exact 1 - |y|
    # near |y| = 1 where it matters, 1.5 ulp at most elsewhere. No compare,
    # so a NaN y just flows through.
    cdef real one = 1
    cdef real a = fabs_real(y)
    return grad_out * ((one - a) * (one + a))


# softsign x / (1 + |x|): two roundings, |x| capped where the quotient rounds
# to 1 (keeps inf/inf away). Its derivative 1/(1 + |x|)^2 as (1/d)^2, under
# 3 ulp; d^2 is never formed, so nothing overflows and NaN flows through.

cdef inline real softsign_cap(real x) noexcept nogil:
    cdef float cap_f32 = 1e23
    cdef double cap_f64 = 1e163
    if real is float:
        return cap_f32
    else:
        return cap_f64


cdef inline real softsign_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real a = fabs_real(xs)
    cdef real cap = softsign_cap(a)
    a = a if a < cap else cap
    cdef real r = negative_if(a / (one + a), xs)
    return x if nan else r


cdef inline real softsign_grad_1(real x) noexcept nogil:
    cdef real one = 1
    cdef real r = one / (one + fabs_real(x))
    return r * r


cdef inline real softsign_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * softsign_grad_1(x)


# softplus log(1 + e^(beta x)) / beta, x itself where beta x > threshold (as
# PyTorch). With z = beta x: max(z, 0) + log1p(e^-|z|), never overflowing and
# accurate in the lower tail (softplus(-100) = 3.7e-44).

cdef inline real softplus_1(real x, real beta, real threshold) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real z = beta * xs
    cdef real t_lo
    cdef real t = exp_neg_abs(z, &t_lo)
    cdef real sp = ((z if z > zero else zero) + log1p_unit(t, t_lo)) / beta
    cdef real r = xs if z > threshold else sp
    return x if nan else r


cdef inline real softplus_grad_1(real x, real beta, real threshold) noexcept nogil:
    # sigmoid(beta x), 1 above the threshold
    cdef real zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef real z = beta * (zero if nan else x)
    cdef real s = sigmoid_lean(z)
    cdef real g = one if z > threshold else s
    return x if nan else g


cdef inline real softplus_backward_1(real grad_out, real x, real beta,
                                     real threshold) noexcept nogil:
    return grad_out * softplus_grad_1(x, beta, threshold)


# log_sigmoid = -softplus(-x) = min(x, 0) - log1p(e^-|x|); derivative
# sigmoid(-x).

cdef inline real log_sigmoid_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real t_lo
    cdef real t = exp_neg_abs(xs, &t_lo)
    cdef real r = (xs if xs < zero else zero) - log1p_unit(t, t_lo)
    return x if nan else r


cdef inline real log_sigmoid_grad_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real s = sigmoid_lean(-(zero if nan else x))
    return x if nan else s


cdef inline real log_sigmoid_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * log_sigmoid_grad_1(x)


# silu x sigmoid(x); derivative s (1 + x (1 - s)) with 1 - s = sigmoid(-x)
# computed directly, not by subtraction.

cdef inline real silu_1(real x) noexcept nogil:
    # x sigmoid(x) = x / (1 + t) for x >= 0, x t / (1 + t) below, t = e^-|x|
    # (lean, scaled by 2^S so that the product rounds once near x = -90 /
    # -710). Below 0, x is -|x|: its clamped copy, the exp's argument, is
    # the factor, so that x = -inf gives -lowest * 0 = -0, not -inf * 0.
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    cdef real zero = 0, one = 1
    cdef real lowest, unscale, t_s
    if real is float:
        lowest = lowest_f32
        unscale = two_m24
    else:
        lowest = lowest_f64
        unscale = two_m60
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real a = -fabs_real(xs)
    cdef bint beyond = a < lowest
    a = lowest if beyond else a
    if real is float:
        t_s = exp_lean_scaled_f32(a)
    else:
        t_s = exp_lean_scaled_f64(a)
    t_s = zero if beyond else t_s
    cdef bint upper = xs >= zero
    cdef real q = (xs if upper else a * t_s) / (one + t_s * unscale)
    cdef real r = q * (one if upper else unscale)
    return x if nan else r


cdef inline real silu_grad_1(real x) noexcept nogil:
    # s (1 + x (1 - s)) with t = e^-|x| (lean) and d = 1 + t is
    # 1 + t (x - d) / d^2 for x >= 0 and t (d + x) / d^2 below: one
    # division.
    # |x| is clamped with the exp's own argument (x t and t x are then
    # -lowest * 0, never inf * 0); near the zero crossing (x = -1.28) d + x
    # cancels among terms of size 1.
    cdef float lowest_f32 = -104
    cdef double lowest_f64 = -746
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    cdef real zero = 0, one = 1
    cdef real lowest, unscale, t
    if real is float:
        lowest = lowest_f32
        unscale = two_m24
    else:
        lowest = lowest_f64
        unscale = two_m60
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real a = -fabs_real(xs)
    cdef bint beyond = a < lowest
    a = lowest if beyond else a
    if real is float:
        t = exp_lean_scaled_f32(a) * unscale
    else:
        t = exp_lean_scaled_f64(a) * unscale
    t = zero if beyond else t
    cdef bint upper = xs >= zero
    cdef real d = one + t
    # x >= 0 as 1 - t (d + a) / d^2 (a = -x there): the rounded part is
    # below 0.1 where the result is above 1. Both sides share t (d + a).
    cdef real q = (t * (d + a)) / (d * d)
    cdef real g = one - q if upper else q
    return x if nan else g


cdef inline real silu_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * silu_grad_1(x)


# gelu_tanh 0.5 x (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi), is
# x sigmoid(v) with v = x (c1 + c2 x^2), c1 = 2k, c2 = 0.044715 c1. For x < 0
# the relative error of v is multiplied by |v| (up to 700) in sigmoid(v), so v
# is computed in twice the working precision, constants included, and its
# low part enters e^-|v| as a first-order factor.

cdef inline real gelu_tanh_v(real xs, real *v_lo) noexcept nogil:
    """v = x (c1 + c2 x^2) as v + *v_lo, for |x| <= 30 (so that v_lo stays
    small enough for a first-order correction of e^v)."""
    cdef float c1_hi_f32 = 1.5957691669464111
    cdef float c1_lo_f32 = -4.534068042105271576e-8
    cdef float c2_hi_f32 = 0.07135481387376785
    cdef float c2_lo_f32 = 2.3988323959931356273e-9
    cdef double c1_hi_f64 = 1.5957691216057308
    cdef double c1_lo_f64 = -9.9693088091109203146e-17
    cdef double c2_hi_f64 = 0.07135481627260025
    cdef double c2_lo_f64 = -6.1751499181553154534e-19
    cdef real c1_hi, c1_lo, c2_hi, c2_lo
    if real is float:
        c1_hi = c1_hi_f32
        c1_lo = c1_lo_f32
        c2_hi = c2_hi_f32
        c2_lo = c2_lo_f32
    else:
        c1_hi = c1_hi_f64
        c1_lo = c1_lo_f64
        c2_hi = c2_hi_f64
        c2_lo = c2_lo_f64
    cdef real x2_lo, p_lo, w_lo, v_l
    cdef real x2 = two_prod(xs, xs, &x2_lo)
    cdef real p = two_prod(c2_hi, x2, &p_lo)
    p_lo = p_lo + (c2_hi * x2_lo + c2_lo * x2)
    cdef real w = two_sum(c1_hi, p, &w_lo)
    w_lo = w_lo + (c1_lo + p_lo)
    cdef real wh = w + w_lo                      # renormalise: Fast2Sum
    w_lo = w_lo - (wh - w)
    cdef real v = two_prod(xs, wh, &v_l)
    v_lo[0] = v_l + xs * w_lo
    return v


cdef inline real gelu_tanh_1(real x) noexcept nogil:
    cdef real zero = 0, far = 30      # sigmoid(v(-30)) is 0, sigmoid(v(30)) is 1
    cdef bint nan = is_nan(x)
    cdef real xs = clamp_abs(zero if nan else x, far)
    cdef real v_lo, unscale, mult
    cdef real v = gelu_tanh_v(xs, &v_lo)
    cdef real t = exp_lean_neg_abs_scaled(v, &unscale)
    cdef real t_lo = t * (v_lo if v < zero else -v_lo)  # e^-|v + v_lo|, first order
    cdef real s = sigmoid_of_t_scaled(t, t_lo, unscale, v >= zero, &mult)
    cdef real r = ((x if xs > zero else xs) * s) * mult
    return x if nan else r


cdef inline real gelu_tanh_grad_1(real x) noexcept nogil:
    # s + x s (1 - s) v'(x), v' = c1 + 3 c2 x^2, s = sigmoid(v)
    cdef real zero = 0, one = 1, far = 30
    cdef float c1_f32 = 1.5957691669464111
    cdef float c3_f32 = 0.21406444907188416
    cdef double c1_f64 = 1.5957691216057308
    cdef double c3_f64 = 0.21406444881780073
    cdef real c1, c3
    if real is float:
        c1 = c1_f32
        c3 = c3_f32
    else:
        c1 = c1_f64
        c3 = c3_f64
    cdef float c2_f32 = 0.07135481387376785
    cdef double c2_f64 = 0.07135481627260025
    cdef real c2
    if real is float:
        c2 = c2_f32
    else:
        c2 = c2_f64
    cdef bint nan = is_nan(x)
    cdef real xs = clamp_abs(zero if nan else x, far)
    cdef real s, s_neg
    # v in working precision: where |g| >= 1 (x > 0.8) s is near 1 and v's
    # error hardly matters; below, the bound is absolute
    cdef real x2 = xs * xs
    cdef real v = xs * (c1 + c2 * x2)
    sigmoid_pair_lean(v, &s, &s_neg)
    cdef real dv = c1 + c3 * x2
    cdef real g = s + (xs * s) * (s_neg * dv)
    return x if nan else g


cdef inline real gelu_tanh_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * gelu_tanh_grad_1(x)


# elu x if x > 0 else alpha (e^x - 1), with expm1; derivative alpha e^x.
# selu is scale * elu(x, alpha) with PyTorch's constants, scale and
# scale * alpha carried as hi + lo so that the constants add no error.

cdef inline real elu_1(real x, real alpha) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real e = expm1_neg_abs(xs)
    cdef real r = xs if xs > zero else alpha * e
    return x if nan else r


cdef inline real elu_grad_1(real x, real alpha) noexcept nogil:
    cdef real zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real t = exp_lean_neg_abs(xs)
    cdef real g = one if xs > zero else alpha * t
    return x if nan else g


cdef inline real elu_backward_1(real grad_out, real x, real alpha) noexcept nogil:
    return grad_out * elu_grad_1(x, alpha)


cdef inline void selu_constants(real *scale_hi, real *scale_lo, real *sa_hi,
                                real *sa_lo) noexcept nogil:
    # scale = 1.0507009873554804934193349852946,
    # scale * alpha with alpha = 1.6732632423543772848170429916717
    cdef float scale_hi_f32 = 1.0507010221481323
    cdef float scale_lo_f32 = -3.4792651830799415015e-8
    cdef float sa_hi_f32 = 1.7580993175506592
    cdef float sa_lo_f32 = 2.3296717680252717521e-8
    cdef double scale_hi_f64 = 1.0507009873554805
    cdef double scale_lo_f64 = 3.987484766715414541e-17
    cdef double sa_hi_f64 = 1.7580993408473768
    cdef double sa_lo_f64 = 1.4153519380084497605e-17
    if real is float:
        scale_hi[0] = scale_hi_f32
        scale_lo[0] = scale_lo_f32
        sa_hi[0] = sa_hi_f32
        sa_lo[0] = sa_lo_f32
    else:
        scale_hi[0] = scale_hi_f64
        scale_lo[0] = scale_lo_f64
        sa_hi[0] = sa_hi_f64
        sa_lo[0] = sa_lo_f64


cdef inline real selu_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef real scale_hi, scale_lo, sa_hi, sa_lo
    selu_constants(&scale_hi, &scale_lo, &sa_hi, &sa_lo)
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real e = expm1_neg_abs(xs)
    cdef real finite = 1e30                 # scale_lo * inf would be -inf for float
    cdef real pos = scale_hi * xs + scale_lo * clamp_abs(xs, finite)
    cdef real neg = sa_hi * e + sa_lo * e
    cdef real r = pos if xs > zero else neg
    return x if nan else r


cdef inline real selu_grad_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef real scale_hi, scale_lo, sa_hi, sa_lo
    selu_constants(&scale_hi, &scale_lo, &sa_hi, &sa_lo)
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real t = exp_lean_neg_abs(xs)
    # a*b + c*d is ambiguous under FMA contraction (gcc may fuse either
    # product, and not the same one in the vector body and the scalar tail):
    # the select keeps the low product unfused, so every element of every
    # tier gets the same rounding wherever it sits in the array.
    cdef real lo = sa_lo * t if xs <= zero else zero
    cdef real g = scale_hi if xs > zero else sa_hi * t + lo
    return x if nan else g


cdef inline real selu_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * selu_grad_1(x)


# mish x tanh(softplus(x)). With t = e^-|x| the tanh is a rational function of
# t, no log needed: (1 + 2t) / (1 + 2t + 2t^2) for x > 0, (t^2 + 2t) /
# (t^2 + 2t + 2) for x <= 0. The derivative tanh(sp) + x sigmoid(x)
# sech^2(sp) is (n d + 4 x e (1 + t)) / d^2 with n, d that numerator and
# denominator and e = t^2 (x > 0) or t (x <= 0).

cdef inline void mish_parts(real xs, real *n, real *d, real *e, real *t) noexcept nogil:
    cdef real zero = 0, one = 1, two = 2
    cdef real tt = exp_lean_neg_abs(xs)
    cdef real t2 = tt * tt
    cdef bint pos = xs > zero
    n[0] = (one + (tt + tt)) if pos else (t2 + (tt + tt))
    d[0] = n[0] + ((t2 + t2) if pos else two)
    e[0] = t2 if pos else tt
    t[0] = tt


cdef inline real mish_1(real x) noexcept nogil:
    # x > 0: w = n/d as in mish_parts. x <= 0: w = t (1 - t (t + 1)/d), whose
    # rounded part t (t + 1)/d is small where t is, with t = e^x taken as
    # hi + lo and scaled by 2^S so that the product near x = -90 (float) /
    # -710 (double) rounds once into the subnormals. One division for both.
    cdef real zero = 0, one = 1, two = 2
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real lo = -far_x(xs)
    xs = xs if xs > lo else lo                  # -inf * 0 -> -far * 0
    cdef real t_lo_s, unscale
    cdef real t_s = exp_neg_abs_scaled(xs, &t_lo_s, &unscale)
    cdef real t = t_s * unscale
    cdef bint pos = xs > zero
    cdef real n_pos = one + (t + t)
    cdef real d_pos = n_pos + (t + t) * t
    cdef real d_neg = t * (t + two) + two
    cdef real q = (n_pos if pos else t * (t + one)) / (d_pos if pos else d_neg)
    cdef real one_q = one - q
    cdef real w = q if pos else one_q * t_s + one_q * t_lo_s
    cdef real r = (xs * w) * (one if pos else unscale)
    return x if nan else r


cdef inline real mish_grad_1(real x) noexcept nogil:
    cdef real zero = 0, one = 1, four = 4
    cdef bint nan = is_nan(x)
    cdef real xs = clamp_abs(zero if nan else x, far_x(x))
    cdef real n, d, e, t
    mish_parts(xs, &n, &d, &e, &t)
    # x > 0: 1 + t^2 (4x (1 + t) - 2d) / d^2, the small part apart from the 1
    # (n/d = 1 - 2t^2/d). x <= 0: t (t^3 + 4t^2 + (6 + 4x) t + 4 (1 + x)) /
    # d^2, which near the zero crossing (x = -1.19) cancels among terms of
    # size 1, not of size 1/t.
    cdef bint pos = xs > zero
    cdef real four_x = four * xs
    cdef real six = 6
    cdef real num_pos = e * (four_x * (one + t) - (d + d))
    cdef real num_neg = t * (((t + four) * t + (six + four_x)) * t + four * (one + xs))
    cdef real g = (one if pos else zero) + (num_pos if pos else num_neg) / (d * d)
    return x if nan else g


cdef inline real mish_backward_1(real grad_out, real x) noexcept nogil:
    return grad_out * mish_grad_1(x)


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
cdef void k_tanh(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = tanh_1(x[i])

cdef void k_tanh_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = tanh_grad_1(x[i])

cdef void k_tanh_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = tanh_backward_1(g[i], x[i])

cdef void k_softsign(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = softsign_1(x[i])

cdef void k_softsign_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = softsign_grad_1(x[i])

cdef void k_softsign_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = softsign_backward_1(g[i], x[i])

cdef void k_softplus(const real *x, real *y, Py_ssize_t n, real beta,
                   real threshold) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = softplus_1(x[i], beta, threshold)

cdef void k_softplus_grad(const real *x, real *y, Py_ssize_t n, real beta,
                   real threshold) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = softplus_grad_1(x[i], beta, threshold)

cdef void k_softplus_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                   real beta, real threshold) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = softplus_backward_1(g[i], x[i], beta, threshold)

cdef void k_log_sigmoid(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = log_sigmoid_1(x[i])

cdef void k_log_sigmoid_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = log_sigmoid_grad_1(x[i])

cdef void k_log_sigmoid_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = log_sigmoid_backward_1(g[i], x[i])

cdef void k_silu(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = silu_1(x[i])

cdef void k_silu_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = silu_grad_1(x[i])

cdef void k_silu_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = silu_backward_1(g[i], x[i])

cdef void k_gelu_tanh(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = gelu_tanh_1(x[i])

cdef void k_gelu_tanh_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = gelu_tanh_grad_1(x[i])

cdef void k_gelu_tanh_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = gelu_tanh_backward_1(g[i], x[i])

cdef void k_elu(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = elu_1(x[i], alpha)

cdef void k_elu_grad(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = elu_grad_1(x[i], alpha)

cdef void k_elu_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                   real alpha) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = elu_backward_1(g[i], x[i], alpha)

cdef void k_selu(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = selu_1(x[i])

cdef void k_selu_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = selu_grad_1(x[i])

cdef void k_selu_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = selu_backward_1(g[i], x[i])

cdef void k_mish(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = mish_1(x[i])

cdef void k_mish_grad(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = mish_grad_1(x[i])

cdef void k_mish_backward(const real *g, const real *x, real *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = mish_backward_1(g[i], x[i])


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
    t.tanh_f32 = k_tanh[float]
    t.tanh_f64 = k_tanh[double]
    t.tanh_grad_f32 = k_tanh_grad[float]
    t.tanh_grad_f64 = k_tanh_grad[double]
    t.tanh_backward_f32 = k_tanh_backward[float]
    t.tanh_backward_f64 = k_tanh_backward[double]
    t.softsign_f32 = k_softsign[float]
    t.softsign_f64 = k_softsign[double]
    t.softsign_grad_f32 = k_softsign_grad[float]
    t.softsign_grad_f64 = k_softsign_grad[double]
    t.softsign_backward_f32 = k_softsign_backward[float]
    t.softsign_backward_f64 = k_softsign_backward[double]
    t.softplus_f32 = k_softplus[float]
    t.softplus_f64 = k_softplus[double]
    t.softplus_grad_f32 = k_softplus_grad[float]
    t.softplus_grad_f64 = k_softplus_grad[double]
    t.softplus_backward_f32 = k_softplus_backward[float]
    t.softplus_backward_f64 = k_softplus_backward[double]
    t.log_sigmoid_f32 = k_log_sigmoid[float]
    t.log_sigmoid_f64 = k_log_sigmoid[double]
    t.log_sigmoid_grad_f32 = k_log_sigmoid_grad[float]
    t.log_sigmoid_grad_f64 = k_log_sigmoid_grad[double]
    t.log_sigmoid_backward_f32 = k_log_sigmoid_backward[float]
    t.log_sigmoid_backward_f64 = k_log_sigmoid_backward[double]
    t.silu_f32 = k_silu[float]
    t.silu_f64 = k_silu[double]
    t.silu_grad_f32 = k_silu_grad[float]
    t.silu_grad_f64 = k_silu_grad[double]
    t.silu_backward_f32 = k_silu_backward[float]
    t.silu_backward_f64 = k_silu_backward[double]
    t.gelu_tanh_f32 = k_gelu_tanh[float]
    t.gelu_tanh_f64 = k_gelu_tanh[double]
    t.gelu_tanh_grad_f32 = k_gelu_tanh_grad[float]
    t.gelu_tanh_grad_f64 = k_gelu_tanh_grad[double]
    t.gelu_tanh_backward_f32 = k_gelu_tanh_backward[float]
    t.gelu_tanh_backward_f64 = k_gelu_tanh_backward[double]
    t.elu_f32 = k_elu[float]
    t.elu_f64 = k_elu[double]
    t.elu_grad_f32 = k_elu_grad[float]
    t.elu_grad_f64 = k_elu_grad[double]
    t.elu_backward_f32 = k_elu_backward[float]
    t.elu_backward_f64 = k_elu_backward[double]
    t.selu_f32 = k_selu[float]
    t.selu_f64 = k_selu[double]
    t.selu_grad_f32 = k_selu_grad[float]
    t.selu_grad_f64 = k_selu_grad[double]
    t.selu_backward_f32 = k_selu_backward[float]
    t.selu_backward_f64 = k_selu_backward[double]
    t.mish_f32 = k_mish[float]
    t.mish_f64 = k_mish[double]
    t.mish_grad_f32 = k_mish_grad[float]
    t.mish_grad_f64 = k_mish_grad[double]
    t.mish_backward_f32 = k_mish_backward[float]
    t.mish_backward_f64 = k_mish_backward[double]
