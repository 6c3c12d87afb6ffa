# GELU, the erf form (gelu) and the tanh approximation (gelu_tanh), per
# element. Part of _kernels.pxi.

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
# float32 is computed in float32 as Q(a) = e^(-a^2/2) R(a), R the Mills
# ratio as a rational function, a^2/2 carried exactly as s + e: where the
# tier has FMA all of it in float32 (gelu_f32_fused), without FMA (the
# baseline tier) with R in double (gelu_f32_double_ratio). The two give
# different bits (within 3 ulp of each other), as the FMA and plain products
# of the other float32 kernels do; the FMA tiers (avx2, avx512) agree.
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


cdef inline real mills_ratio(real a) noexcept nogil:
    """R(a) = Q(a) e^(a^2/2) for 0 <= a <= 14.4, as P(a)/S(a) (tools/fit_gelu.py
    rational 4 5 14.4: relative error 6e-9; R(0) = 1/2 exactly). Positive
    coefficients: no cancellation. In double (rounded to float32 once) within
    1.1 * 2^-24; in float32 Horner's roundings reach 5.5 * 2^-24."""
    cdef real p0 = 0.5
    cdef real p1 = 0.4373910528827454
    cdef real p2 = 0.18253932960524405
    cdef real p3 = 0.04039104726813723
    cdef real p4 = 0.004078088449665069
    cdef real s0 = 1.0
    cdef real s1 = 1.672666947305016
    cdef real s2 = 1.1996699125349475
    cdef real s3 = 0.46762689490089815
    cdef real s4 = 0.10125199109035313
    cdef real s5 = 0.010222127525780422
    cdef real num = (((p4 * a + p3) * a + p2) * a + p1) * a + p0
    cdef real den = ((((s5 * a + s4) * a + s3) * a + s2) * a + s1) * a + s0
    return num / den


cdef inline float half_square_f32(float a, float *e) noexcept nogil:
    """a^2 / 2 = result + *e exactly, for a float32 a >= 0 that is 0 or normal
    (a / 2 is then exact): by one fused multiply-add where the tier has it,
    else with a split in 12-bit halves by masking (the products of halves
    are exact)."""
    cdef float half = 0.5
    cdef float h = a * half
    cdef float s, ah, al, u_hi, u_mid
    if FA_FMA:
        s = a * h
        e[0] = fmaf(a, h, -s)
    else:
        ah = bits_f32(f32_bits(a) & <int32_t>0xFFFFF000)
        al = a - ah
        u_hi = ah * ah * half
        u_mid = ah * al + al * al * half     # one rounding, far below s's ulp
        s = u_hi + u_mid
        e[0] = (u_hi - s) + u_mid            # Fast2Sum
    return s


cdef inline float fma_or_plain_f32(float a, float b, float c) noexcept nogil:
    """a * b + c: fused where the tier has FMA, written out so that gcc's
    contraction cannot pick another product of the expression instead."""
    if FA_FMA:
        return fmaf(a, b, c)
    else:
        return a * b + c


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


# float32 gelu without fused multiply-add (the baseline tier): Q(a) =
# e^(-s - e) R(a), with a^2/2 = s + e exactly and e^(-s - e) = e^-s (1 - e)
# (e < 2^-18); e^-s as hi + lo, scaled by 2^24 as in gauss_tail_f64, R in
# double: 2.7 ulp at most (a dense sweep: check's figure below).
#
# The lanes are sorted out with integer operations on the bits, so that no
# NaN reaches an ordered compare and no multiply underflows (a product of
# normal numbers that underflows costs a microcode assist on x86: 10-20x on
# Zen 4, as do subnormal operands on Intel); no select is spent on NaN:
# - |x| is clamped by an integer min (NaN and inf go there too): at 6.5 for
#   x >= 0, where 1 - Q(6.5) rounds to 1, so that x - x Q is x from there
#   on, the unclamped x being the addend (NaN flows through it), and Q
#   unscaled only in these lanes (Q(13) is subnormal); for x < 0
#   at 13.146246, the last float where |gelu(x)| >= 2^-126: beyond, the
#   result may flush and the factor is -0 (every product stays normal).
# - Q's argument is at least 2^-25: below, gelu(x) = x/2 + x^2 phi(0) + ...
#   rounds to x/2 (x^2 phi(0) is under half an ulp of x/2), and Q(2^-25)
#   = 1/2 - 1.2e-8 still gives x/2; a^2/2 stays normal.
# - |x| < 2^-125 (subnormal x, or gelu(x) = x/2 below the smallest normal)
#   is taken as +-0.


cdef inline float gelu_f32_double_ratio(float x) noexcept nogil:
    cdef float two_m24 = 5.9604644775390625e-8
    cdef int32_t b = f32_bits(x)
    cdef int32_t m = b & 0x7fffffff
    cdef int32_t sign = b ^ m
    cdef int32_t below = b >> 31                          # all ones for x < 0
    cdef int32_t lim = pick_i32(below, 0x41525706, 0x40d00000)   # 13.146246f, 6.5f
    cdef int32_t c = min_i32(m, lim)
    cdef int32_t flushed = -<int32_t>(m < 0x1000000)      # |x| < 2^-125
    cdef float a = bits_f32(max_i32(c, 0x33000000))       # >= 2^-25
    # the factor: x clamped, +-0 where flushed and below -13.146246
    cdef int32_t gone = flushed | (below & -<int32_t>(m > lim))
    cdef float xc = bits_f32((c & ~gone) | sign)
    cdef float x_add = bits_f32(pick_i32(flushed, sign, b))   # x, +-0 where flushed
    cdef float e, x_lo
    cdef float s = half_square_f32(a, &e)
    cdef float x_hi = exp_nonpos_scaled_f32(-s, &x_lo)   # 2^24 e^-s
    x_lo = x_lo - x_hi * e                               # e^-(s + e), first order
    cdef float r = <float>mills_ratio[double](<double>a)
    cdef float q_s = fma_or_plain_f32(x_hi, r, x_lo * r)  # 2^24 Q(a)
    # x >= +0 or NaN (as signed integers, negative non-NaN values are at
    # most -inf's bits): x - x Q = x Phi(x), one rounding. Q unscaled in
    # these lanes only (1 elsewhere: Q(13) is subnormal).
    cdef int32_t upper = -<int32_t>(b > -8388608)
    cdef float unscale = bits_f32(pick_i32(upper, 0x33800000, 0x3f800000))   # 2^-24, 1
    cdef float y_pos = fma_or_plain_f32(-xc, q_s * unscale, x_add)
    cdef float y_neg = (xc * q_s) * two_m24
    return bits_f32(pick_i32(upper, f32_bits(y_pos), f32_bits(y_neg)))


cdef inline float twice_mills_ratio_f32(float a) noexcept nogil:
    """2 R(a) = 2 Q(a) e^(a^2/2) for 0 <= a <= 13.15, as P/(a P + V) in
    float32 with fused multiply-adds (tools/fit_gelu.py mills 4 5 13.15:
    relative error 5e-9; P(0) = V(0), so the ratio is 1 at 0 exactly).
    Written so, the roundings of P and V enter damped by V/(a P + V) (0.2
    for large a, where Horner's roundings pile up): with the division and
    the rounding of a P + V, within 2.9 * 2^-24 (exhaustive). P(0) = 1.25
    rather than 1 keeps P, V and a P + V off the bottom of a binade at small
    a, where a rounding costs most relative to the value."""
    cdef float p0 = 1.25
    cdef float p1 = 1.0866296291351318
    cdef float p2 = 0.4513016939163208
    cdef float p3 = 0.09928341209888458
    cdef float p4 = 0.009945576079189777
    cdef float v0 = 1.25
    cdef float v1 = 0.8339856863021851
    cdef float v2 = 0.4024478495121002
    cdef float v3 = 0.12657301127910614
    cdef float v4 = 0.025159470736980438
    cdef float v5 = 0.0025191674940288067
    cdef float p = fmaf(fmaf(fmaf(fmaf(p4, a, p3), a, p2), a, p1), a, p0)
    cdef float v = fmaf(fmaf(fmaf(fmaf(fmaf(v5, a, v4), a, v3), a, v2), a, v1), a, v0)
    return p / fmaf(a, p, v)


# float32 gelu where the tier has FMA, all in float32, as x_add - |x| Q(|x|):
# x_add = x for x >= 0 (x - x Q = x Phi(x)) and -0 for x < 0 (-|x| Q(|x|) =
# x Phi(x)), so one expression serves both signs; nothing is selected after
# the math.
# - a = |x| clamped to [2^-25, 13.146246] (NaN and inf too), h = a/2 exactly;
#   a h = s + e exactly by one FMA; e^(-s - e) = 2^k e^r with r = r_hi + r_lo
#   (r_hi exact, e in r_lo: a 1-ulp error in s would cost up to 86 ulp), and
#   e^r - 1 = small by exp_nonpos_scaled_f32's reduction and polynomial, one
#   rounding on a value below 0.42.
# - |x| 2^(k-1) is exact and normal (k >= -125 at the clamp), so |x| Q =
#   |x| 2^(k-1) * 2R (1 + small) needs no scaling afterwards: u = 2R (1 +
#   small) rounded once (one FMA), then x_add - |x| 2^(k-1) u rounded once
#   (one FMA; for x < 0 that is -(|x| 2^(k-1) u), as -0 adds nothing).
#   Carrying |x| 2^(k-1) 2R as a double word instead (a product, an FMA
#   for its error and an add more) saved up to 0.2 ulp, but the chain of
#   dependent operations after the division was twice as long: 16% of the
#   time (same-run A/B of C copies, 1e5 elements).
# What remains is mostly R's error (2.9 * 2^-24 relative), which costs most
# where the result's significand is near 2: 3.49 ulp at most over all
# float32 inputs (at x = -0.031926014; AVX-512 sweep of all 2^32).
# Lanes, by integer operations on the bits, so that every product stays
# normal and no NaN meets an ordered compare: |x| is the multiplier only for
# 2^-125 <= |x| <= 13.146246, else 0; x_add is x for x >= 2^-125 (+inf
# too) and for NaN (either sign), which flow through it, and x's sign with a
# zero significand otherwise. So x < -13.146246 gives -0 (gelu(x) is below
# the smallest normal there, which the contract lets flush; gelu(-inf) =
# -0), |x| < 2^-125 gives +-0 (gelu(x) = x/2 would be subnormal; the
# baseline tier's kernel flushes it too), x > 13.146246 gives x (Q(13.15) x
# is below half an ulp of x).


cdef inline float gelu_f32_fused(float x) noexcept nogil:
    cdef float magic = 12582911.0       # 1.5 * 2^23 - 1: rounds to an integer, k - 1 in the low bits
    cdef float log2e = 1.44269504088896341
    cdef float ln2_hi = 0.693145751953125
    cdef float ln2_lo = 1.42860682030941723212e-6
    cdef float q1 = 0.1666657702559798819
    cdef float q2 = 0.041666554662050533982
    cdef float q3 = 0.0083631730745137109028
    cdef float q4 = 0.0013926176119935578884
    cdef float half = 0.5
    cdef int32_t b = f32_bits(x)
    cdef int32_t m = b & 0x7fffffff
    cdef int32_t ab = max_i32(min_i32(m, 0x41525706), 0x33000000)   # 13.146246f, 2^-25
    cdef float a = bits_f32(ab)
    cdef float h = bits_f32(ab - 0x00800000)                # a / 2, exactly
    # 2^-125 <= |x| <= 13.146246
    cdef int32_t keep_a = -<int32_t>(<uint32_t>(m - 0x01000000) <= <uint32_t>(0x41525706 - 0x01000000))
    # x >= 2^-125 or NaN
    cdef int32_t keep_x = -<int32_t>((b >= 0x01000000) | (m > 0x7f800000))
    cdef float x_add = bits_f32(b & (keep_x | <int32_t>0x80000000))
    cdef float s = a * h
    cdef float e = fmaf(a, h, -s)
    cdef float kf = fmaf(-s, log2e, magic)
    cdef int32_t k_field = <int32_t>(<uint32_t>f32_bits(kf) << 23)      # (k - 1) 2^23
    kf = kf - magic
    cdef float r_hi = fmaf(-kf, ln2_hi, -s)     # exact
    cdef float r_lo = fmaf(-kf, ln2_lo, -e)
    cdef float r = r_hi + r_lo
    cdef float q = fmaf(fmaf(fmaf(fmaf(q4, r, q3), r, q2), r, q1), r, half)
    cdef float small = r_hi + fmaf(r * r, q, r_lo)          # e^r - 1
    cdef float rm = twice_mills_ratio_f32(a)
    # |x| 2^(k-1), normal where kept: k - 1 added to |x|'s exponent field, an
    # integer operation where a product would take one of the FMA pipes, which
    # bound this kernel (23 products and FMAs a vector, 17 other operations)
    cdef float am = bits_f32((m + k_field) & keep_a)
    return fmaf(-am, fmaf(rm, small, rm), x_add)            # x_add - |x| Q(|x|)


cdef inline float gelu_f32(float x) noexcept nogil:
    if FA_FMA:
        return gelu_f32_fused(x)
    else:
        return gelu_f32_double_ratio(x)


cdef inline float gelu_grad_f32(float x) noexcept nogil:
    # Phi(x) + x phi(x): Q - a phi below 0, 1 - Q + a phi above; 1/2 near 0.
    # The bound is 4 eps absolute below 1, and above, 1 - Q + a phi <= 1.13
    # takes Q and a phi <= 0.25 at a weight below 1/4: R in float32, the
    # lean exp and s's rounding left in (relative s 2^-24 on e^-s) suffice.
    # Lanes as in gelu_f32: |x| clamped at 6.5 above 0 (1 from there on),
    # at 14 below (0 beyond: |gelu'(x)| < 2e-42 there, every factor still
    # normal); not at the last normal result, as gelu_backward multiplies
    # by grad_out, which may lift a subnormal derivative above 2^-126.
    # Q's argument at least 2^-27 (1/2 below).
    cdef float one = 1, half = 0.5, two_m24 = 5.9604644775390625e-8
    cdef float inv_sqrt_2pi = 0.398942280401432677940
    cdef int32_t b = f32_bits(x)
    cdef int32_t m = b & 0x7fffffff
    cdef int32_t below = b >> 31
    cdef int32_t lim = pick_i32(below, 0x41600000, 0x40d00000)   # 14f, 6.5f
    cdef int32_t c = min_i32(m, lim)
    cdef float a = bits_f32(max_i32(c, 0x32000000))       # >= 2^-27
    cdef float s = a * (a * half)
    cdef float x_s = exp_lean_scaled_f32(-s)             # 2^24 e^-s
    cdef float q_s = x_s * mills_ratio[float](a)         # 2^24 Q(a)
    cdef float phi_s = x_s * inv_sqrt_2pi                # 2^24 phi(a)
    cdef float unscale = bits_f32(0x33800000 & ~(below & -<int32_t>(m > lim)))   # 2^-24, 0
    cdef float g_neg = (q_s - a * phi_s) * unscale
    cdef float g_pos = fma_or_plain_f32(a * two_m24, phi_s,
                                        fma_or_plain_f32(-q_s, two_m24, one))
    cdef float g = bits_f32(pick_i32(below, f32_bits(g_neg), f32_bits(g_pos)))
    return x if is_nan(x) else g


cdef inline double gelu_f64(double x) noexcept nogil:
    cdef double zero = 0
    cdef double xs = not_nan_or_zero(x)
    cdef bint neg = xs < zero
    cdef double clamp_f64 = 38.5, one_d = 1, zero_d = 0
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double a, phi, q, q_lo, xd, r, r_neg
    cdef bint far
    a = fabs(xs)
    far = a > clamp_f64
    a = clamp_f64 if far else a
    xd = zero_d if far else xs
    q = gauss_tail_f64(a, &q_lo, &phi)
    r_neg = (xd * q + xd * q_lo) * two_m60
    r = r_neg if neg else xd * (one_d - (q + q_lo) * two_m60)
    cdef double y = r
    cdef double negzero = -zero
    y = (negzero if neg else x) if far else y
    return x if is_nan(x) else y


cdef inline double gelu_grad_f64(double x) noexcept nogil:
    cdef double zero = 0, one = 1
    cdef double xs = not_nan_or_zero(x)
    cdef bint neg = xs < zero
    cdef double clamp_f64 = 38.5, one_d = 1
    cdef double two_m60 = 8.673617379884035472e-19   # 2^-60
    cdef double a, phi, q, q_lo, r, r_neg
    cdef bint far
    a = fabs(xs)
    far = a > clamp_f64
    # raised to 2^-300 by the bits as in gelu_f64: the result is then 1/2
    # exactly, as it is for every |x| below
    a = -neg_abs_within_f64(xs, -clamp_f64)
    q = gauss_tail_f64(a, &q_lo, &phi)
    r_neg = ((q - a * phi) + q_lo) * two_m60
    r = r_neg if neg else (((one_d - q * two_m60) - q_lo * two_m60) + a * phi * two_m60)
    cdef double g = r
    g = (zero if neg else one) if far else g
    return x if is_nan(x) else g


cdef inline real gelu_1(real x) noexcept nogil:
    # float64: x/2 on the bits where x is tiny (is_tiny: below 2^-300,
    # where x Phi(x) = x/2 + x^2 phi(0) rounds as x/2 does; gelu_f64 gives
    # that rounding too, its 1 - Q(a) and 2^60 Q(a) being 1/2 and 2^59
    # exactly there), gelu_f64 of the raised value elsewhere, so that its
    # math sees no subnormal (12 times the normal time on the Intel Xeon
    # here). gelu_normal_1 gives the same bits, only slower on subnormals,
    # so the loop runs this form on the blocks after one that held a
    # subnormal x (Spec.normal_form_everywhere, as gelu_backward's).
    # float32's gelu_f32 takes tiny x on the bits itself.
    if real is float:
        return gelu_f32(x)
    else:
        return bits_f64(sel_i64(is_tiny(x), f64_bits(half_finite_f64(x)),
                                f64_bits(gelu_f64(raise_tiny(x)))))


cdef inline real gelu_normal_1(real x) noexcept nogil:
    if real is float:
        return gelu_f32(x)
    else:
        return gelu_f64(x)


cdef inline real gelu_grad_1(real x) noexcept nogil:
    if real is float:
        return gelu_grad_f32(x)
    else:
        return gelu_grad_f64(x)


cdef inline real gelu_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once (mul_fused): a subnormal grad_out is
    # gelu_backward_1's (the split loop's), so the float16/bfloat16 loops,
    # which finish with this, give the float32 kernel's product rounded
    # once. Not mul_quiet, as no other backward pass: inf * 0 (grad_out
    # infinite where the derivative is 0, x below -14 / -38.5) is NaN, the
    # true result, and "invalid" is what it raises (the ufunc loops restore
    # the flags); its integer tests made the loop 1.27-1.30x slower in
    # float32, 1.08-1.11x in float64 (1e5, 1e6; AMD Zen 5).
    return mul_fused(grad_out, d)


cdef inline real gelu_backward_normal_1(real grad_out, real x) noexcept nogil:
    return gelu_backward_of(grad_out, gelu_grad_1(x))


cdef inline real gelu_backward_1(real grad_out, real x) noexcept nogil:
    # gelu_backward_normal_1 with no product of a subnormal: a tiny x raised
    # to the tiny bound (raise_tiny: the derivative there is 1/2 to the last
    # bit), a subnormal grad_out times the derivative (below 1.13) taken on
    # the bits (mul_subnormal, rounded once as the plain product). The same
    # bits as gelu_backward_normal_1's, so the loop runs this form on the
    # blocks after one that held a subnormal grad_out or x
    # (Spec.normal_form_everywhere: a mark in the loop, no pass of its own;
    # 1.18x faster at 1e6 in float32 and float64, same-run A/B, Intel Xeon).
    # Written out, not mul_subnormal_derivative: the normal lanes are
    # gelu_backward_of's.
    cdef real d = gelu_grad_1(raise_tiny(x))
    return pick(is_subnormal(grad_out) & (d == d), mul_subnormal(subnormal_part(grad_out), d),
                gelu_backward_of(normal_part(grad_out), d))


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


cdef inline real clamp_raised(real x) noexcept nogil:
    """x limited to 2^-40 <= |x| <= 30 (float) / 2^-300 <= |x| <= 30
    (double) by the bits of |x|, sign kept; NaN gives +-30 (callers pick x
    back). Raised, so that no lane squares or multiplies a subnormal (see
    "Tiny arguments" in _kernels_exp.pxi; the baseline tier, without 64-bit
    integer compares, keeps a tiny float64 |x| and stays slow there)."""
    cdef int32_t b32, m32
    cdef double lowest = -30
    if real is float:
        b32 = f32_bits(x)
        m32 = b32 & 0x7fffffff
        return bits_f32(min_i32(max_i32(m32, 0x2b800000), 0x41f00000) | (b32 ^ m32))
    else:
        return negative_if(-neg_abs_within_f64(not_nan_or_zero(x), lowest), x)


cdef inline real gelu_tanh_1(real x) noexcept nogil:
    # float64: x/2 on the bits where x is tiny (is_tiny; the value
    # gelu_tanh_normal_1 rounds to there), gelu_tanh_normal_1 of the raised
    # value elsewhere, so that its math sees no subnormal (3 times the normal
    # time on AMD Zen 5). The same bits as gelu_tanh_normal_1, so the loop
    # runs this form on the blocks after one that held a subnormal x
    # (normal_form_everywhere). float32 takes tiny x on the bits itself.
    # Both forms in two parts (Spec.parts): up to e^-|v|, then the rest.
    cdef real t, t_lo, unscale, v
    gelu_tanh_parts(x, &t, &t_lo, &unscale, &v)
    return gelu_tanh_from_parts(x, t, t_lo, unscale, v)


cdef inline void gelu_tanh_parts(real x, real *t, real *t_lo, real *unscale,
                                 real *v) noexcept nogil:
    if real is float:
        gelu_tanh_normal_parts(x, t, t_lo, unscale, v)
    else:
        gelu_tanh_normal_parts(raise_tiny(x), t, t_lo, unscale, v)


cdef inline real gelu_tanh_from_parts(real x, real t, real t_lo, real unscale,
                                      real v) noexcept nogil:
    if real is float:
        return gelu_tanh_normal_from_parts(x, t, t_lo, unscale, v)
    else:
        return bits_f64(sel_i64(is_tiny(x), f64_bits(half_finite_f64(x)),
                                f64_bits(gelu_tanh_normal_from_parts(raise_tiny(x), t, t_lo,
                                                                     unscale, v))))


cdef inline real gelu_tanh_normal_1(real x) noexcept nogil:
    # float32, tiny and subnormal x, on the bits of |x| = m and the sign sg:
    # - v's argument xs is |x| limited to [2^-40, 30], sign
    #   kept (as clamp_raised; NaN gives +-30): sigmoid(v) is then what it
    #   is at x, 1/2 scaled as at x, so the result is x/2 as before;
    # - the factor f is |x| limited to [2^-125, largest finite], sign kept:
    #   x itself wherever the result is normal
    #   (below -30 s = 0 and f = x gives -0 as xs did; -inf gives
    #   -largest * 0 = -0); +inf and NaN take x at the end;
    # - below 2^-125 x/2 is subnormal, and a product forming it
    #   costs a microcode assist (an add with a subnormal operand does not,
    #   measured): f is raised there and x/2 taken from the bits, the
    #   pattern halved and truncated (within half the smallest subnormal).
    # All integer: with a float select or clamp gcc formed x * s as well,
    # the assist included.
    cdef real t, t_lo, unscale, v
    gelu_tanh_normal_parts(x, &t, &t_lo, &unscale, &v)
    return gelu_tanh_normal_from_parts(x, t, t_lo, unscale, v)


cdef inline void gelu_tanh_normal_parts(real x, real *t, real *t_lo, real *unscale,
                                        real *v) noexcept nogil:
    """gelu_tanh_normal_1's first part: v + v_lo (gelu_tanh_v) and e^-|v + v_lo|
    as t + t_lo (to first order), scaled by 1 / *unscale (exp_lean_neg_abs_scaled)."""
    cdef real zero = 0, far = 30      # sigmoid(v(-30)) is 0, sigmoid(v(30)) is 1
    cdef int32_t m32
    cdef real xs, v_lo
    if real is float:
        m32 = f32_bits(x) & 0x7fffffff
        xs = bits_f32(min_i32(max_i32(m32, 0x2b800000), 0x41f00000) | (f32_bits(x) ^ m32))
    else:
        # float64 as before (slow on tiny x): the same on 64-bit integers
        # left the loop scalar at avx2/avx512 (check_vectorization)
        xs = clamp_abs(zero if is_nan(x) else x, far)
    v[0] = gelu_tanh_v(xs, &v_lo)
    t[0] = exp_lean_neg_abs_scaled(v[0], unscale)
    t_lo[0] = t[0] * (v_lo if v[0] < zero else -v_lo)  # e^-|v + v_lo|, first order


cdef inline real gelu_tanh_normal_from_parts(real x, real t, real t_lo, real unscale,
                                             real v) noexcept nogil:
    cdef real zero = 0, far = 30
    cdef bint nan = is_nan(x)
    cdef bint tiny, keep_x
    cdef int32_t b32, m32, sg32
    cdef real xs, f, mult
    if real is float:
        b32 = f32_bits(x)
        m32 = b32 & 0x7fffffff
        sg32 = b32 ^ m32
        f = bits_f32(min_i32(max_i32(m32, 0x01000000), 0x7f7fffff) | sg32)
        tiny = m32 < 0x01000000
        keep_x = not lt_quiet_f32(x, bits_f32(0x7f800000))      # +inf, NaN
    else:
        xs = clamp_abs(zero if nan else x, far)
        f = x if xs > zero else xs
        keep_x = nan
    cdef real s = sigmoid_of_t_scaled(t, t_lo, unscale, v >= zero, &mult)
    cdef real r = (f * s) * mult
    if real is float:
        r = bits_f32(sel_i32(tiny, ((f32_bits(x) & 0x7fffffff) >> 1) | (f32_bits(x) & (-2147483647 - 1)),
                             f32_bits(r)))
    return x if keep_x else r


cdef inline real gelu_tanh_grad_1(real x) noexcept nogil:
    # s + x s (1 - s) v'(x), v' = c1 + 3 c2 x^2, s = sigmoid(v). In two parts
    # (Spec.parts): v and the lean e^-|v|, then the rest.
    cdef real t, v
    gelu_tanh_grad_parts(x, &t, &v)
    return gelu_tanh_grad_from_parts(x, t, v)


cdef inline real gelu_tanh_grad_xs(real x) noexcept nogil:
    """x clamped and raised (clamp_raised): at the raised x the result is 1/2
    exactly, as it is for every |x| below. The baseline tier's float64 keeps
    the float clamp: without 64-bit integer compares (SSE2) the raised form
    left its loops scalar, 0.7x their earlier speed."""
    cdef real zero = 0, far = 30
    if real is float or FA_I64_CMP:
        return clamp_raised(x)
    else:
        return clamp_abs(zero if is_nan(x) else x, far)


cdef inline void gelu_tanh_grad_coefficients(real *c1, real *c2, real *c3) noexcept nogil:
    """v = x (c1 + c2 x^2) in working precision and v' = c1 + c3 x^2 (c3 =
    3 c2), rounded to the type: for both parts of gelu_tanh_grad_1."""
    cdef float c1_f32 = 1.5957691669464111
    cdef float c2_f32 = 0.07135481387376785
    cdef float c3_f32 = 0.21406444907188416
    cdef double c1_f64 = 1.5957691216057308
    cdef double c2_f64 = 0.07135481627260025
    cdef double c3_f64 = 0.21406444881780073
    if real is float:
        c1[0] = c1_f32
        c2[0] = c2_f32
        c3[0] = c3_f32
    else:
        c1[0] = c1_f64
        c2[0] = c2_f64
        c3[0] = c3_f64


cdef inline void gelu_tanh_grad_parts(real x, real *t, real *v) noexcept nogil:
    """gelu_tanh_grad_1's first part: v in working precision (where |g| >= 1,
    x > 0.8, s is near 1 and v's error hardly matters; below, the bound is
    absolute) and t = e^-|v| (sigmoid_pair_lean's)."""
    cdef real c1, c2, c3
    gelu_tanh_grad_coefficients(&c1, &c2, &c3)
    cdef real xs = gelu_tanh_grad_xs(x)
    v[0] = xs * (c1 + c2 * (xs * xs))
    t[0] = exp_lean_neg_abs(v[0])


cdef inline real gelu_tanh_grad_from_parts(real x, real t, real v) noexcept nogil:
    cdef real c1, c2, c3
    gelu_tanh_grad_coefficients(&c1, &c2, &c3)
    cdef real xs = gelu_tanh_grad_xs(x)
    cdef real s, s_neg
    sigmoid_pair_from_t(v, t, &s, &s_neg)
    cdef real dv = c1 + c3 * (xs * xs)
    cdef real g = s + (xs * s) * (s_neg * dv)
    return x if is_nan(x) else g


cdef inline real gelu_tanh_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once (mul_fused, as gelu_backward_of)
    return mul_fused(grad_out, d)


cdef inline real gelu_tanh_backward_normal_1(real grad_out, real x) noexcept nogil:
    return gelu_tanh_backward_of(grad_out, gelu_tanh_grad_1(x))


cdef inline real gelu_tanh_backward_1(real grad_out, real x) noexcept nogil:
    # as gelu_backward_1: gelu_tanh_backward_normal_1's bits with no product
    # of a subnormal (the derivative at the tiny bound is 1/2 to the last
    # bit, as at x; a subnormal grad_out's product on the bits,
    # mul_subnormal_derivative), so the loop marks (Spec.normal_form_everywhere)
    return mul_subnormal_derivative(grad_out, gelu_tanh_grad_1(raise_tiny(x)))


# gelu_tanh_backward's forms in two parts (Spec.parts): gelu_tanh_grad's
# first part, then its second and the product


cdef inline void gelu_tanh_backward_parts(real grad_out, real x, real *t, real *v) noexcept nogil:
    gelu_tanh_grad_parts(raise_tiny(x), t, v)


cdef inline real gelu_tanh_backward_from_parts(real grad_out, real x, real t, real v) noexcept nogil:
    return mul_subnormal_derivative(grad_out, gelu_tanh_grad_from_parts(raise_tiny(x), t, v))


cdef inline void gelu_tanh_backward_normal_parts(real grad_out, real x, real *t,
                                                 real *v) noexcept nogil:
    gelu_tanh_grad_parts(x, t, v)


cdef inline real gelu_tanh_backward_normal_from_parts(real grad_out, real x, real t,
                                                      real v) noexcept nogil:
    return gelu_tanh_backward_of(grad_out, gelu_tanh_grad_from_parts(x, t, v))
