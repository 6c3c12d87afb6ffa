# exp, expm1 and log1p on the non-positive axis, and the double-word helpers
# (two_sum, two_prod) the accurate kernels carry their low parts with.
# Part of _kernels.pxi; the header there gives the error bounds.

# ---------------------------------------------------------------------------
# Tiny arguments. Below 2^-40 (float) / 2^-300 (double) a kernel's result
# is its value at 0, or x times it, to the last bit; yet its math on such an
# x (a subnormal above all) squares it into an underflow, or multiplies or
# divides a subnormal, and on Zen 4 those take a slow path (a product of
# normals that underflows costs about 10 times a normal one). So the
# kernels raise |x| to the bound where its value no longer matters (e^-2^-40
# rounds to 1), and where the result still follows x they pick it, or zero
# the factor of a correction, by a mask; the bound keeps squares and cubes
# of the raised value normal. All by integer operations on the bits: with
# float compares and selects gcc saw that the raised value equals |x| in
# every lane whose result it keeps, and ran the math on |x| again. A
# float32 clamp is then one integer max; float64 has no 64-bit integer min
# or max below AVX-512 (a compare and a blend each, none at all in SSE2):
# the exps and tanh take it all the same (a float max and min in their
# place left the exp as slow as before), and the baseline tier keeps its
# float clamp (slow on subnormals). On Sapphire Rapids a subnormal operand
# costs far more than on Zen 4: 3 (float32) / 6 (float64) ns an element for
# one vector multiply, 20 to 400 ns an element for the exps before this.

cdef extern from *:
    """
    /* -|x| limited to [lowest, -2^-40] by the bits of |x| (x not NaN;
       lowest_mag is |lowest|'s bits) */
    static inline float fa_neg_abs_within_f32(float x, int32_t lowest_mag) {
        int32_t m = fa_f32_bits(x) & 0x7fffffff;
        m = m > 0x2b800000 ? m : 0x2b800000;
        m = m < lowest_mag ? m : lowest_mag;
        return fa_bits_f32(m | (int32_t)0x80000000); }
    /* -|x| limited to [lowest, -2^-300] (x not NaN) by the bits of |x|.
       A float max and min in its place left the exp as slow on a subnormal
       x as before (gcc, as above). SSE2 has no 64-bit integer compare: the
       baseline tier keeps the float clamp alone, slow on subnormals. */
    static inline double fa_neg_abs_within_f64(double x, double lowest) {
    #if FA_I64_CMP
        int64_t m = fa_f64_bits(x) & 0x7fffffffffffffffLL;
        int64_t lo = fa_f64_bits(-lowest);
        m = m > 0x2d30000000000000LL ? m : 0x2d30000000000000LL;
        m = m < lo ? m : lo;
        return fa_bits_f64(m | INT64_MIN);
    #else
        double a = -fabs(x);
        return a > lowest ? a : lowest;
    #endif
    }
    """
    float neg_abs_within_f32 "fa_neg_abs_within_f32"(float x, int32_t lowest_mag) noexcept nogil
    double neg_abs_within_f64 "fa_neg_abs_within_f64"(double x, double lowest) noexcept nogil



# Products with a subnormal factor. A backward pass multiplies grad_out by
# the derivative, and a subnormal grad_out costs the product a microcode
# assist of about 3 ns (float32) / 6 ns (float64) an element on Sapphire
# Rapids. Where the derivative is at most 1 in magnitude the product is
# below the smallest normal, which the contract lets flush: grad_out is
# made +-0 by an integer mask first (mul_flush). The exact functions may
# not flush: they take the product on the bits (mul_subnormal, below: the
# subnormal's pattern as a float, rounded back onto the grid by one FMA),
# which costs several operations more, so only in the <name>_1 forms that
# their split loops run after a block that held a subnormal
# (Spec.normal_form_everywhere).

cdef extern from *:
    """
    /* x / 2 rounded (to even), by the bits, for finite x: the exponent
       field less 1, or where it is 0 or 1 (the value is then the pattern
       times 2^-149 / 2^-1074) the pattern halved, rounded to even */
    static inline float fa_half_finite_f32(float x) {
        int32_t b = fa_f32_bits(x), m = b & 0x7fffffff;
        int32_t h = m >= 0x01000000 ? m - 0x00800000 : (m >> 1) + (m & (m >> 1) & 1);
        return fa_bits_f32(h | (b ^ m)); }
    static inline double fa_half_finite_f64(double x) {
        int64_t b = fa_f64_bits(x), m = b & INT64_MAX;
        int64_t h = m >= 0x0020000000000000LL ? m - 0x0010000000000000LL
                                              : (m >> 1) + (m & (m >> 1) & 1);
        return fa_bits_f64(h | (b ^ m)); }
    /* g * d, where a subnormal g and |d| <= 1 give +-0 (the sign of the
       product): the result is below the smallest normal there, which the
       contract lets be flushed. g is zeroed by an integer mask, so no lane
       multiplies a subnormal g; other lanes (|d| > 1, NaN, inf) keep the
       plain product. */
    static inline float fa_mul_flush_f32(float g, float d) {
        int32_t gb = fa_f32_bits(g);
        int32_t flush = -(int32_t)(((gb & 0x7fffffff) < 0x00800000)
                                   & ((fa_f32_bits(d) & 0x7fffffff) <= 0x3f800000));
        return fa_bits_f32(gb & (INT32_MIN | ~flush)) * d; }
    /* float64: the same by a 64-bit mask where the tier has 64-bit integer
       compares; at the baseline tier (SSE2) that mask, the compares' result
       widened to a 64-bit integer, left each loop scalar (gcc: "no
       vectype"), and a C conditional between g and its signed zero, one
       blend per vector, vectorizes. */
    static inline double fa_mul_flush_f64(double g, double d) {
        int64_t gb = fa_f64_bits(g);
        int flush = __builtin_isless(fabs(g), 2.2250738585072013831e-308)
                    & __builtin_islessequal(fabs(d), 1.0);
    #if FA_I64_CMP
        return fa_bits_f64(gb & (INT64_MIN | ~(-(int64_t)flush))) * d;
    #else
        return (flush ? fa_bits_f64(gb & INT64_MIN) : g) * d;
    #endif
    }
    /* Exact products and quotients of a subnormal a, with no subnormal
       operand or result in any floating-point operation (each would take a
       microcode assist). Below the smallest normal, |a| is its bit pattern m
       (an integer) times the smallest subnormal (units_*: m as a float,
       exact: float32 converts m < 2^23, float64 puts it in the mantissa of
       2^52 and takes 2^52 away). A result below the smallest normal is the
       integer nearest its value in those units: u + 2^23 (2^52), for
       0 <= u <= 2^23, is rounded onto the integers, where the grid there is
       1, and its bits less 2^23's are the result's pattern (2^23 itself
       gives the smallest normal's, also right). A normal result is the
       product of the units rounded as a float, moved down to its place:
       float32 by two exact power-of-2 factors (on the other lanes, the
       smallest normal's units: no subnormal result there either), float64
       by subtracting 1074 from its exponent field, an exact integer
       operation (the two products took three operations with their max). */
    static inline float fa_units_f32(float a) { return (float)(fa_f32_bits(a) & INT32_MAX); }
    static inline double fa_units_f64(double a) {
        return fa_bits_f64((fa_f64_bits(a) & INT64_MAX) | 0x4330000000000000LL)
               - 4503599627370496.0; }
    /* a * s for a subnormal (or zero) a and |s| <= 2^64: the product
       rounded once, by one FMA for a subnormal result; without FMA in
       double (exact: 24 + 24 bits). */
    static inline float fa_mul_subnormal_f32(float a, float s) {
        int32_t sign = (fa_f32_bits(a) ^ fa_f32_bits(s)) & INT32_MIN;
        float m = fa_units_f32(a), as = fabsf(s);
    #if FA_FMA
        float p = m * as;
        float u = fmaf(m, as, 8388608.0f);
        /* the units' product moved down by 2^-149; an integer max, as gcc
           carries the factors into both arms of a float select with a
           constant arm. (float64's exponent subtraction, below, made
           mish's subnormal form here twice as slow, and with the max kept,
           sigmoid_backward's 8% slower, in gcc 12's code for the loops
           around it; why, I did not establish.) */
        float normal = fa_bits_f32(fa_max_i32(fa_f32_bits(p), 0x4b000000)) * 0x1p-75f * 0x1p-74f;
        int32_t r = p >= 8388608.0f ? fa_f32_bits(normal) : fa_f32_bits(u) - 0x4b000000;
    #else
        double p = (double)m * (double)as;
        float normal = (float)((p >= 8388608.0 ? p : 8388608.0) * 0x1p-149);
        int32_t r = p >= 8388608.0 ? fa_f32_bits(normal)
                                   : (int32_t)(fa_f64_bits(p + 4503599627370496.0)
                                               - 0x4330000000000000LL);
    #endif
        return fa_bits_f32(r | sign);
    }
    /* float64: for |s| <= 2^64; without FMA the plain product. */
    static inline double fa_mul_subnormal_f64(double a, double s) {
    #if FA_FMA
        int64_t sign = (fa_f64_bits(a) ^ fa_f64_bits(s)) & INT64_MIN;
        double m = fa_units_f64(a), as = fabs(s);
        double p = m * as;
        double u = fma(m, as, 4503599627370496.0);
        int64_t normal = fa_f64_bits(p) - (1074LL << 52);
        int64_t r = p >= 4503599627370496.0 ? normal : fa_f64_bits(u) - 0x4330000000000000LL;
        return fa_bits_f64(r | sign);
    #else
        return a * s;
    #endif
    }
    /* a * s for a subnormal (or zero) a and |s| <= 1: the product is below
       the smallest normal (or rounds to it), so only the subnormal branch
       above: one FMA onto the integer grid of units. Without FMA: float32
       in double (exact, then rounded once onto the integers), float64 the
       plain product. */
    static inline float fa_mul_subnormal_unit_f32(float a, float s) {
        int32_t sign = (fa_f32_bits(a) ^ fa_f32_bits(s)) & INT32_MIN;
    #if FA_FMA
        float u = fmaf(fa_units_f32(a), fabsf(s), 8388608.0f);
        return fa_bits_f32((fa_f32_bits(u) - 0x4b000000) | sign);
    #else
        double p = (double)fa_units_f32(a) * (double)fabsf(s);
        return fa_bits_f32((int32_t)(fa_f64_bits(p + 4503599627370496.0) - 0x4330000000000000LL)
                           | sign);
    #endif
    }
    static inline double fa_mul_subnormal_unit_f64(double a, double s) {
    #if FA_FMA
        int64_t sign = (fa_f64_bits(a) ^ fa_f64_bits(s)) & INT64_MIN;
        double u = fma(fa_units_f64(a), fabs(s), 4503599627370496.0);
        return fa_bits_f64((fa_f64_bits(u) - 0x4330000000000000LL) | sign);
    #else
        return a * s;
    #endif
    }
    /* u / 6 in units with the sign of a, for an integer 0 <= u < 3 * 2^23
       (3 * 2^52): rounded twice (the quotient, then to an integer), and
       still right: u / 6's fraction is a multiple of 1/6, at least 1/6 from
       1/2 unless it is 1/2 itself, and the quotient (below 2^22 / 2^51)
       moves it by at most 2^-3. Where div6_fast takes div6's products
       (FA_DIV6_BY_PRODUCTS, _kernels_relu.pxi) so does the quotient here (u
       is 0 or at least 1, in their range): the same correctly rounded
       quotient without a divide (at AVX2 the divide: hard_swish on
       subnormals ran 0.91x as fast with the products). */
    static inline float fa_div6_units_f32(float u, float a) {
    #if FA_DIV6_BY_PRODUCTS
        const float sixth = 1.0f / 6.0f;
        float q = u * sixth;
        float v = fmaf(fmaf(q, 6.0f, -u), -sixth, q) + 8388608.0f;
    #else
        float v = u / 6.0f + 8388608.0f;
    #endif
        return fa_bits_f32((fa_f32_bits(v) - 0x4b000000) | (fa_f32_bits(a) & INT32_MIN)); }
    static inline double fa_div6_units_f64(double u, double a) {
    #if FA_DIV6_BY_PRODUCTS
        const double sixth = 1.0 / 6.0;
        double q = u * sixth;
        double v = fma(fma(q, 6.0, -u), -sixth, q) + 4503599627370496.0;
    #else
        double v = u / 6.0 + 4503599627370496.0;
    #endif
        return fa_bits_f64((fa_f64_bits(v) - 0x4330000000000000LL) | (fa_f64_bits(a) & INT64_MIN)); }
    """
    float mul_flush_f32 "fa_mul_flush_f32"(float g, float d) noexcept nogil
    float mul_subnormal_f32 "fa_mul_subnormal_f32"(float a, float s) noexcept nogil
    double mul_subnormal_f64 "fa_mul_subnormal_f64"(double a, double s) noexcept nogil
    float mul_subnormal_unit_f32 "fa_mul_subnormal_unit_f32"(float a, float s) noexcept nogil
    double mul_subnormal_unit_f64 "fa_mul_subnormal_unit_f64"(double a, double s) noexcept nogil
    float units_f32 "fa_units_f32"(float a) noexcept nogil
    double units_f64 "fa_units_f64"(double a) noexcept nogil
    float div6_units_f32 "fa_div6_units_f32"(float u, float a) noexcept nogil
    double div6_units_f64 "fa_div6_units_f64"(double u, double a) noexcept nogil
    double mul_flush_f64 "fa_mul_flush_f64"(double g, double d) noexcept nogil
    float half_finite_f32 "fa_half_finite_f32"(float x) noexcept nogil
    double half_finite_f64 "fa_half_finite_f64"(double x) noexcept nogil


cdef inline real mul_flush(real g, real d) noexcept nogil:
    """g * d, +-0 for a subnormal g and |d| <= 1 (above)."""
    if real is float:
        return mul_flush_f32(g, d)
    else:
        return mul_flush_f64(g, d)


cdef inline real mul_subnormal(real a, real s) noexcept nogil:
    """a * s, correctly rounded, for a subnormal (or zero) a and |s| <= 2^64:
    by the bits, no assist (above)."""
    if real is float:
        return mul_subnormal_f32(a, s)
    else:
        return mul_subnormal_f64(a, s)


cdef inline real mul_subnormal_unit(real a, real s) noexcept nogil:
    """a * s, correctly rounded, for a subnormal (or zero) a and |s| <= 1:
    mul_subnormal's subnormal branch alone (the product is subnormal)."""
    if real is float:
        return mul_subnormal_unit_f32(a, s)
    else:
        return mul_subnormal_unit_f64(a, s)


cdef inline bint factors_on_bits(real g, bint d_in_bound, real *g_tiny, real *plain) noexcept nogil:
    """Whether g * d is taken on the bits (g below the smallest normal, d
    within the caller's bound), and g's two factors for the pick that
    follows: g itself for the product on the bits (+0 elsewhere), g for
    the plain product (+0 where taken on the bits). A zero g takes the bits
    too (its product is the signed zero either way), so one test of g's
    bits picks both factors, on the bits: through a float select gcc may
    carry the product into both arms, and multiply the subnormal g. (Three
    tests, is_subnormal, subnormal_part and normal_part, cost the guarded
    loops of leaky_relu and the backward passes 1.02-1.3x more at AVX-512,
    Intel Xeon.)"""
    cdef bint on_bits = below_normal(g) & d_in_bound
    if real is float:
        g_tiny[0] = bits_f32(sel_i32(on_bits, f32_bits(g), 0))
        plain[0] = bits_f32(sel_i32(on_bits, 0, f32_bits(g)))
    else:
        g_tiny[0] = bits_f64(sel_i64(on_bits, f64_bits(g), 0))
        plain[0] = bits_f64(sel_i64(on_bits, 0, f64_bits(g)))
    return on_bits


cdef inline real mul_subnormal_product(real g, real d) noexcept nogil:
    """g * d rounded once, the plain product's bits, with no multiplication
    of a subnormal g where |d| <= 1 (the derivatives of log_sigmoid and
    softplus, elu's and leaky_relu's alpha for |alpha| <= 1): that product,
    subnormal itself, is taken on the bits (one FMA onto the grid of units);
    every other one is the plain product, of a g made +0 where it was taken
    so (factors_on_bits). A NaN or larger d multiplies g itself (slower on a
    subnormal g, the same bits)."""
    cdef real g_tiny, plain
    cdef bint unit_d, on_bits
    if real is float:
        unit_d = (f32_bits(d) & 0x7fffffff) <= 0x3f800000
    else:
        unit_d = le_quiet(fabs_real(d), 1.0)
    on_bits = factors_on_bits(g, unit_d, &g_tiny, &plain)
    return pick(on_bits, mul_subnormal_unit(g_tiny, d), plain * d)


cdef inline real mul_subnormal_bounded(real g, real d) noexcept nogil:
    """g * d rounded once, the plain product's bits, for any g and d, with
    no multiplication of a subnormal g where |d| <= 2^64: that product is
    taken on the bits (mul_subnormal); every other one is the plain
    product, of a g made +0 where it was taken so (factors_on_bits). A NaN
    or larger d multiplies g itself (slower on a subnormal g, the same
    bits), where such lanes are rare (sigmoid_backward's): taking them on
    the bits too cost 1.5-1.9 times as much there."""
    cdef double two_64 = 18446744073709551616.0
    cdef real g_tiny, plain
    cdef bint bounded, on_bits
    if real is float:
        bounded = (f32_bits(d) & 0x7fffffff) <= 0x5f800000
    else:
        bounded = le_quiet(fabs_real(d), two_64)
    on_bits = factors_on_bits(g, bounded, &g_tiny, &plain)
    return pick(on_bits, mul_subnormal(g_tiny, d), plain * d)


cdef inline real mul_subnormal_derivative(real g, real d) noexcept nogil:
    """g * d rounded once, the plain product's bits, with no multiplication
    of a subnormal g, for a derivative d of at most 2^64 in magnitude or NaN
    (silu's, gelu_tanh's, selu's, mish's): a subnormal g's product taken on
    the bits (mul_subnormal), every other the plain product of g made +0
    where it was taken so; a NaN d multiplies (the plain product's NaN)."""
    return pick(is_subnormal(g) & (d == d), mul_subnormal(subnormal_part(g), d), normal_part(g) * d)


cdef inline real units(real a) noexcept nogil:
    """|a| in units of the smallest subnormal, for a subnormal (or zero) a."""
    if real is float:
        return units_f32(a)
    else:
        return units_f64(a)


cdef inline real div6_units(real u, real a) noexcept nogil:
    """u / 6 rounded to an integer, as the pattern of a subnormal with a's
    sign, for an integer 0 <= u < 3 * 2^23 (float32) / 3 * 2^52 (above)."""
    if real is float:
        return div6_units_f32(u, a)
    else:
        return div6_units_f64(u, a)


# Normal forms. The exp-based backward passes have a <name>_normal_1 beside
# <name>_1: the plain product grad_out * d, slow where grad_out is subnormal
# (a microcode assist on Intel). Those of silu, gelu, gelu_tanh, selu, mish,
# log_sigmoid, softplus and elu take that product exactly in <name>_1
# (mul_subnormal_derivative, mul_subnormal_product; gelu's by mul_subnormal
# itself), so their normal forms are right everywhere and their loops mark
# the blocks that hold a subnormal as they compute (cheaper than a check
# pass first on these costly loops: 1.1-1.4x at 1e6 on the Intel Xeon). A
# loop whose normal form is not right everywhere (mish's forward rounds
# x w twice where it is subnormal) checks each block first and runs the
# normal form on the blocks free of subnormals (the catalogue's
# normal_form). The memory-bound backward passes that end in mul_flush keep
# it throughout: split, they gained nothing.


# exp's and expm1's float64 polynomials are evaluated in pairs: a + b r
# first (independent of each other), then Horner's form in r^2 over the
# pairs, so that the longest chain is r^2 and four or five multiply-adds
# rather than Horner's nine or ten in r. Profiled on an AMD Zen 5, sigmoid's
# float64 loop waited on that chain, not on an execution port (1.12-1.18x
# faster so). Estrin's full scheme, with r^4, was shorter still, but r^4
# underflows where |r| < 2^-255, which the tiny bounds (2^-300) allow: on
# subnormal x tanh, silu, sigmoid and softplus_backward ran 0.4-0.8x as
# fast (microcode assists). r^2 Horner's form computed too.
# float32 keeps Horner's form (degree 4: one multiply-add to gain).


cdef inline double exp_q_f64(double r, bint in_pairs) noexcept nogil:
    """q(r) with e^r = 1 + r + r^2 q(r) for |r| <= ln2/2: degree 9, relative
    error of 1 + r + r^2 q about 0.2 ulp. Shared by every float64 exp but
    expm1's; in_pairs (a constant at each call) picks the form above, else
    Horner's."""
    cdef double q0 = 0.50000000000000010211
    cdef double q1 = 0.16666666666666667452
    cdef double q2 = 0.041666666666624161903
    cdef double q3 = 0.0083333333333300644495
    cdef double q4 = 0.0013888888917196719077
    cdef double q5 = 0.00019841269863040545271
    cdef double q6 = 0.000024801521322368693266
    cdef double q7 = 2.7557268480310025526e-6
    cdef double q8 = 2.7620075879983366586e-7
    cdef double q9 = 2.5100375832561233664e-8
    cdef double r2 = r * r
    if in_pairs:
        return ((((q9 * r + q8) * r2 + (q7 * r + q6)) * r2 + (q5 * r + q4)) * r2
                + (q3 * r + q2)) * r2 + (q1 * r + q0)
    return ((((((((q9 * r + q8) * r + q7) * r + q6) * r + q5) * r + q4) * r
              + q3) * r + q2) * r + q1) * r + q0


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
    cdef double one = 1
    cdef double kf = a * log2e + magic
    cdef int64_t k = f64_bits(kf) - f64_bits(magic)
    kf = kf - magic
    cdef double r_hi = a - kf * ln2_hi     # exact
    cdef double r_lo = -(kf * ln2_lo)
    cdef double r = r_hi + r_lo
    # Horner's form here: in pairs, mish's subnormal form (x raised to 2^-300
    # before this exp) ran 2.4x slower on Zen 5, in gcc's code for that loop
    # (its other users, softplus and log_sigmoid, would gain 1.13-1.16x)
    cdef double small = r_hi + (r_lo + r * r * exp_q_f64(r, False))
    cdef double p = one + small
    cdef double p_lo = small - (p - one)    # exact: Fast2Sum, |small| < 1
    # 2^(k+60): k >= -1076 keeps the exponent field positive
    cdef double scale = bits_f64((k + 60 + 1023) << 52)
    lo[0] = p_lo * scale
    return p * scale


cdef inline real exp_neg_abs(real x, real *lo) noexcept nogil:
    """e^-|x| = hi + *lo for a non-NaN x; 0 (or a subnormal) far out."""
    # Below the clamp e^a is under half the smallest subnormal.
    # Above -2^-40 / -2^-300 e^a is 1 + a to the last bit of hi + lo: a
    # raised there (see "Tiny arguments").
    if real is float:
        return exp_nonpos_f32(neg_abs_within_f32(x, 0x42d00000), lo)     # -104
    else:
        return exp_nonpos_f64(neg_abs_within_f64(x, -746.0), lo)


cdef inline float expm1_nonpos_f32(float a) noexcept nogil:
    """e^a - 1 for a <= 0 (callers remove NaN first), within 1 ulp."""
    cdef float lowest = -30                # e^-30 - 1 rounds to -1
    return expm1_in_range_f32(a if a > lowest else lowest)


cdef inline float expm1_in_range_f32(float a) noexcept nogil:
    """e^a - 1 for -30 <= a <= 0 (callers that clamp a themselves, on its
    bits, call this directly), within 1 ulp.

    Same reduction as exp_nonpos_f32, a = k ln2 + r, but e^r - 1 = r + r^2 q(r)
    is kept apart from the 1 so that it keeps its relative precision near
    0 (q of degree 5 from tools/fit_tanh_log1p_expm1.py, relative error 5e-10). Then
    e^a - 1 = (2^k - 1) + 2^k (e^r - 1): both terms exact, one rounding."""
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
    """e^a - 1 for a <= 0, within 1 ulp; see expm1_nonpos_f32."""
    cdef double lowest = -40               # e^-40 - 1 rounds to -1
    return expm1_in_range_f64(a if a > lowest else lowest)


cdef inline double expm1_in_range_f64(double a) noexcept nogil:
    """e^a - 1 for -40 <= a <= 0, within 1 ulp (q of degree 10, relative
    error 5e-19); see expm1_in_range_f32."""
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
    cdef double kf = a * log2e + magic
    cdef int64_t k = f64_bits(kf) - f64_bits(magic)
    kf = kf - magic
    cdef double r_hi = a - kf * ln2_hi
    cdef double r_lo = -(kf * ln2_lo)
    cdef double r = r_hi + r_lo
    cdef double r2 = r * r
    cdef double q = (((((q10 * r2 + (q9 * r + q8)) * r2 + (q7 * r + q6)) * r2 + (q5 * r + q4)) * r2
                      + (q3 * r + q2)) * r2 + (q1 * r + q0))     # in pairs (above)
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
# tools/fit_tanh_log1p_expm1.py: degree 2 for float32 (relative error 2.7e-9), 6 for
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
        # |x| raised to the tiny bound as in exp_neg_abs
        unscale[0] = two_m24
        beyond = (f32_bits(x) & 0x7fffffff) > 0x42d00000        # 104
        t = exp_nonpos_scaled_f32(neg_abs_within_f32(x, 0x42d00000), lo)
    else:
        unscale[0] = two_m60
        beyond = a < lowest_f64
        t = exp_nonpos_scaled_f64(neg_abs_within_f64(x, lowest_f64), lo)
    lo[0] = zero if beyond else lo[0]
    return zero if beyond else t


# Lean exp: the same reduction and polynomial without the low part, for
# results whose bound leaves room (the 4-ulp functions and the derivatives):
# within 1 ulp, at half the operations.


cdef inline float exp_lean_parts_f32(float a, float magic, float mult,
                                     int32_t *k_biased) noexcept nogil:
    """e^r * mult (mult 1 or 1/2: exact), within 1 ulp, for a = k ln2 + r
    (|r| <= ln2/2, a not NaN), k rounded by adding magic = 1.5 * 2^23 +
    bias (an even integer 0 <= bias < 2^22: an odd one would turn a tie in
    that rounding, possible where a * log2e is rounded on its own, without
    FMA, the other way): *k_biased = the sum's pattern, whose low bits are
    k + bias, so that 2^(k + bias - 127) is one shift. The lean exps below
    and tanh's far side (_kernels_smooth.pxi) share these operations; the
    scaled ones build their power of 2 so, with an even bias one above
    theirs and mult 1/2, where adding the scale's exponent to k took three
    operations (the same bits: the halving is exact)."""
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q1 = 0.1666657702559798819
    cdef float q2 = 0.041666554662050533982
    cdef float q3 = 0.0083631730745137109028
    cdef float q4 = 0.0013926176119935578884
    cdef float half = 0.5, one = 1
    cdef float kf = a * log2e + magic
    k_biased[0] = f32_bits(kf)
    kf = kf - magic
    cdef float r = (a - kf * ln2_hi) - kf * ln2_lo
    cdef float q = (((q4 * r + q3) * r + q2) * r + q1) * r + half
    return mult + (r + r * r * q) * mult


cdef inline double exp_lean_parts_f64(double a, double magic, double mult,
                                      int64_t *k_biased) noexcept nogil:
    """exp_lean_parts_f32 in float64: magic = 1.5 * 2^52 + bias."""
    cdef double log2e = 1.4426950408889634074
    cdef double ln2_hi = 6.93147180369123816490e-01
    cdef double ln2_lo = 1.90821492927058770002e-10
    cdef double one = 1
    cdef double kf = a * log2e + magic
    k_biased[0] = f64_bits(kf)
    kf = kf - magic
    cdef double r = (a - kf * ln2_hi) - kf * ln2_lo
    return mult + (r + r * r * exp_q_f64(r, True)) * mult


cdef inline float exp_lean_scaled_f32(float a) noexcept nogil:
    """e^a * 2^24 for -104 <= a <= 0, within 1 ulp, always normal: e^r / 2
    times 2^(k+25) (k + 152 is 2 to 152 here)."""
    cdef float magic = 12583064.0       # 1.5 * 2^23 + 152
    cdef float half = 0.5
    cdef int32_t kb
    cdef float p = exp_lean_parts_f32(a, magic, half, &kb)
    return p * bits_f32(<int32_t>(<uint32_t>kb << 23))


cdef inline float exp_lean_times_f32(float a, float scale) noexcept nogil:
    """e^a * scale for a power of 2 scale (per lane: it may differ between
    lanes), within 1 ulp, where the result and scale * 2^round(a / ln2) are
    normal: the power of 2 of the reduction is added to scale's exponent."""
    cdef float magic = 12582912.0       # 1.5 * 2^23
    cdef float one = 1
    cdef int32_t kb
    cdef float p = exp_lean_parts_f32(a, magic, one, &kb)
    cdef int32_t k = kb - f32_bits(magic)
    # k is often negative: shifted as unsigned (a left shift of a negative
    # int is undefined in C; UBSan stops on it)
    return p * bits_f32(<int32_t>(<uint32_t>k << 23) + f32_bits(scale))


cdef inline double exp_lean_scaled_f64(double a) noexcept nogil:
    """e^a * 2^60 for -746 <= a <= 0, within 1 ulp, always normal: e^r / 2
    times 2^(k+61) (k + 1084 is 8 to 1084 here)."""
    cdef double magic = 6755399441056828.0      # 1.5 * 2^52 + 1084
    cdef double half = 0.5
    cdef int64_t kb
    cdef double p = exp_lean_parts_f64(a, magic, half, &kb)
    return p * bits_f64(<int64_t>(<uint64_t>kb << 52))


cdef inline double exp_lean_times_f64(double a, double scale) noexcept nogil:
    """exp_lean_times_f32 in float64."""
    cdef double magic = 6755399441055744.0      # 1.5 * 2^52
    cdef double one = 1
    cdef int64_t kb
    cdef double p = exp_lean_parts_f64(a, magic, one, &kb)
    cdef int64_t k = kb - f64_bits(magic)
    return p * bits_f64(<int64_t>(<uint64_t>k << 52) + f64_bits(scale))


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
        # |x| raised to the tiny bound as in exp_neg_abs
        return exp_lean_scaled_f32(neg_abs_within_f32(x, 0x42d00000)) * two_m24   # -104
    else:
        return exp_lean_scaled_f64(neg_abs_within_f64(x, lowest_f64)) * two_m60


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
    cdef real kf, r, q
    cdef int32_t scale_bits
    cdef int64_t scale_bits64
    if real is float:
        # kf rounds to an integer k (plus m32) and k + 127 sits in the low
        # bits of its pattern: shifted up 23 bits they are 2^k's pattern.
        kf = a * log2e32 + m32
        scale_bits = <int32_t>(<uint32_t>f32_bits(kf) << 23)
        kf = kf - m32
        r = (a - kf * ln2_hi32) - kf * ln2_lo32
        q = (((f4 * r + f3) * r + f2) * r + f1) * r + half32
        small[0] = r + r * r * q
        return bits_f32(scale_bits)
    else:
        kf = a * log2e64 + m64
        scale_bits64 = <int64_t>(<uint64_t>f64_bits(kf) << 52)
        kf = kf - m64
        r = (a - kf * ln2_hi64) - kf * ln2_lo64
        small[0] = r + r * r * exp_q_f64(r, True)
        return bits_f64(scale_bits64)


cdef inline real neg_abs_clamped(real x) noexcept nogil:
    """-|x| clamped below at -88 (float) / -709 (double), NaN sent there too.
    There 2^k, the scale of e^a, is 2^-127 / 2^-1023: its exponent field is
    0, so exp_scaled gives S = +0 and every result below the smallest normal
    (e^-87.68 / e^-708.75 and under) comes out as +0, flushed with no extra
    select (the contract allows the flush)."""
    cdef real zero = 0
    cdef double lowest = -709.0
    cdef int32_t lowest32 = -1028653056                # 0xc2b00000, -88.0f
    cdef int32_t na32
    if real is float:
        # -|x| as bits; as signed integers negative floats grow with their
        # magnitude, so min() is the clamp, and takes NaN there too; max()
        # raises it to -2^-40 (see "Tiny arguments": e^a is then 1 - 2^-40,
        # and sigmoid and its derivative 1/2 and 1/4 as at a = -|x|)
        na32 = f32_bits(x) | (<int32_t>-2147483647 - 1)
        return bits_f32(max_i32(min_i32(na32, lowest32), -1417674752))   # 0xab800000
    elif FA_I64_CMP:
        # on the bits of |x|: NaN's exceed the bound's, so the integer min
        # clamps NaN too (the callers put x back in NaN lanes). A NaN select
        # in front made gcc thread the NaN lanes through the whole kernel:
        # 51 against 45 AVX-512 instructions in sigmoid's float64 loop.
        return neg_abs_within_f64(x, lowest)
    else:
        # the float clamp (SSE2 has no 64-bit integer compare) needs NaN
        # replaced by 0 first: no ordered compare on it
        return neg_abs_within_f64(x if x == x else zero, lowest)
