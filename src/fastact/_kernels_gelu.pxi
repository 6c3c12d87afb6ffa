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
