# The sigmoid family: sigmoid, log_sigmoid and silu, their derivatives and
# backward passes, per element. Part of _kernels.pxi.

cdef inline real sigmoid_of_t_scaled(real t_s, real t_lo_s, real unscale, bint upper,
                                     real *mult) noexcept nogil:
    """sigmoid(v) = result * *mult from t_s + t_lo_s = e^-|v| 2^S and
    unscale = 2^-S (exp_neg_abs_scaled); upper = v >= 0. The lower tail comes
    scaled (*mult = 2^-S) so that a product with it rounds only once, even
    where sigmoid(v) alone would be subnormal. sigmoid(|v|) = 1/(1+t) and
    sigmoid(-|v|) = t/(1+t), with d + dl = 1 + t + t_lo (Fast2Sum, t <= 1);
    the quotient num/d is corrected to first order for what d and num leave
    out, (num + num_lo)/(d + dl) ~ q + (num_lo - q dl)/d, with 1/d taken from
    the quotient itself."""
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


cdef inline real sigmoid_lean(real v) noexcept nogil:
    """sigmoid(v) for a non-NaN v, within 2 ulp."""
    cdef real zero = 0, one = 1
    cdef real t = exp_lean_neg_abs(v)
    return (one if v >= zero else t) / (one + t)


cdef inline void sigmoid_pair_lean(real v, real *s, real *s_neg) noexcept nogil:
    """*s = sigmoid(v), *s_neg = sigmoid(-v), each within 2.5 ulp."""
    sigmoid_pair_from_t(v, exp_lean_neg_abs(v), s, s_neg)


cdef inline void sigmoid_pair_from_t(real v, real t, real *s, real *s_neg) noexcept nogil:
    """sigmoid_pair_lean from its t = e^-|v| (exp_lean_neg_abs)."""
    cdef real zero = 0, one = 1
    cdef real big = one / (one + t)
    cdef real small = t * big
    cdef bint upper = v >= zero
    s[0] = big if upper else small
    s_neg[0] = small if upper else big


cdef inline real sigmoid_1(real x) noexcept nogil:
    # With t = e^-|x| <= 1: sigmoid(x) = 1/(1+t) for x >= 0 and t/(1+t)
    # below, so nothing overflows and the lower tail keeps its precision.
    # In two parts (the catalogue's Spec.parts): its loop runs them as two
    # passes over a block.
    cdef real s, small
    sigmoid_parts(x, &s, &small)
    return sigmoid_from_parts(x, s, small)


cdef inline void sigmoid_parts(real x, real *s, real *small) noexcept nogil:
    """sigmoid_1's first part: e^-|x| = S (1 + small), exp_scaled's S and
    small. (Handing over t + t_lo, below, instead ran 0.90x: the passes'
    chains were less even.)"""
    s[0] = exp_scaled(neg_abs_clamped(x), small)


cdef inline real exp_double_word(real s, real small, real *t_lo) noexcept nogil:
    """S (1 + small) = t + *t_lo exactly: Fast2Sum of S and S*small, which is
    exact as S is a power of 2."""
    cdef real t = s + s * small
    t_lo[0] = (s - t) + s * small
    return t


cdef inline real sigmoid_from_parts(real x, real s, real small) noexcept nogil:
    """sigmoid_1's second part, from sigmoid_parts' e^-|x| = t + t_lo: d + dl
    = 1 + t + t_lo (Fast2Sum). The quotient num/d is corrected to first
    order for what num and d leave out: q + (num_lo - q dl)/d, with 1/d from
    a line (6% off: the correction is at most ~1.5 ulp, so that costs < 0.1
    ulp)."""
    cdef real zero = 0, one = 1
    cdef real inv_c0 = 1.4117647058823529   # 24/17
    cdef real inv_c1 = 0.47058823529411765  # 8/17
    cdef real t, t_lo, d, dl, num, num_lo, q
    cdef bint upper = sign_clear(x)
    t = exp_double_word(s, small, &t_lo)
    d = one + t
    dl = (t - (d - one)) + t_lo
    if real is float:
        num = bits_f32(sel_i32(upper, f32_bits(one), f32_bits(t)))
    else:
        num = bits_f64(sel_i64(upper, f64_bits(one), f64_bits(t)))
    num_lo = zero if upper else t_lo
    q = num / d
    q = q + (num_lo - q * dl) * (inv_c0 - inv_c1 * d)
    return x if is_nan(x) else q


cdef inline real sigmoid_grad_1(real x) noexcept nogil:
    # sigmoid'(x) = s (1 - s) with s = sigmoid(-|x|) <= 1/2, even in x. In
    # two parts (Spec.parts), the first sigmoid's.
    cdef real s, small
    sigmoid_grad_parts(x, &s, &small)
    return sigmoid_grad_from_parts(x, s, small)


cdef inline void sigmoid_grad_parts(real x, real *s, real *small) noexcept nogil:
    sigmoid_parts(x, s, small)


cdef inline real sigmoid_grad_from_parts(real x, real s, real small) noexcept nogil:
    # From sigmoid_parts' e^-|x| = t + t_lo: the sigmoid is taken as a double
    # word q + q_lo: as in sigmoid_from_parts plus the division's own
    # rounding (the remainder num - q d, exact by two_prod), with the exact
    # 1/d = 1 - q. Then 1 - q = c + c_lo (Fast2Sum) and (q + q_lo)(c + c_lo)
    # ~ q c + (q c_lo + q_lo (1 - 2q)), q c exact by two_prod: one rounding.
    # Accurate in the tails (e^-|x| to first order).
    cdef real one = 1, two = 2
    cdef real t, t_lo, d, dl, q, q_lo, c, c_lo, p, p_lo
    t = exp_double_word(s, small, &t_lo)
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


cdef inline real sigmoid_derivative_of_output(real y) noexcept nogil:
    # y (1 - y) = y - y^2 with one rounding: a fused multiply-add where the
    # tier has one (correctly rounded: no cancellation survives an exact
    # product). Without FMA, 1 - y = c + c_lo exactly (Fast2Sum; c_lo is 0
    # for y >= 1/2 by Sterbenz) and Dekker's exact y c, so again one
    # rounding. y = +-inf gives -inf (its limit), NaN NaN.
    cdef real zero = 0, one = 1, two = 2
    cdef bint finite
    cdef real y_finite, w, w_lo, c, c_lo, y_small
    if FA_FMA:
        # -y^2 + y, with the addend's +inf (only +inf: -inf gives -inf +
        # -inf) lowered to the largest float by an integer min on the bits,
        # so that y = +inf gives -inf + max = -inf, not inf - inf. One
        # operation where the finite test and its select took five, in the
        # memory-bound backward pass. (+NaN is lowered too: the product's
        # NaN stays.)
        if real is float:
            return fmaf(-y, y, bits_f32(min_i32(f32_bits(y), 0x7f7fffff)))
        else:
            return fma(-y, y, bits_f64(min_i64(f64_bits(y), 0x7fefffffffffffffLL)))
    finite = is_finite(y)
    y_finite = y if finite else zero             # no inf - inf below
    # on y in [-2, 2] (the outputs of sigmoid, with room): no overflow in
    # Dekker's splitting; anything else takes the plain product
    y_small = y_finite if fabs_real(y_finite) <= two else zero
    c = one - y_small
    c_lo = -y_small - ((one - y_small) - one)
    w = two_prod(y_small, c, &w_lo)
    w = w + (w_lo + y_small * c_lo)
    w = w if y_small == y_finite else y_finite * (one - y_finite)
    return w if finite else -fabs_real(y)


cdef inline real sigmoid_backward_normal_1(real grad_out, real y) noexcept nogil:
    # y (1 - y) rounded once (above), then once more for grad_out: about 1
    # ulp in all (three plain roundings reach 2.5 ulp). The product rounded
    # once (mul_fused), not mul_quiet: every lane is kept, and grad_out * w
    # raises "invalid" only for inf * 0, whose NaN result is what the flag
    # reports (the ufunc layer restores the flags anyway). Right everywhere,
    # only slower on subnormals where the guards are on (sigmoid_backward_1
    # gives its bits without the assists).
    return mul_fused(grad_out, sigmoid_derivative_of_output(y))


cdef inline real sigmoid_backward_1(real grad_out, real y) noexcept nogil:
    # sigmoid_backward_normal_1's bits with no product of a subnormal factor
    # and one of magnitude at most 2^64 (mul_subnormal_bounded takes it on
    # the bits): a subnormal grad_out with y (1 - y); a subnormal y
    # (sigmoid's output below x = -87.3 / -708.4), where y (1 - y) is y
    # itself, with grad_out; both subnormal, y with the zero of grad_out's
    # sign. A subnormal factor beside a larger one takes the plain product:
    # the same bits, with the assists. The loop runs this form on the blocks
    # after one that held a subnormal grad_out or y. (The form before it
    # took those rare lanes on the bits too, and cost 1.5-1.9 times as
    # much.) The factors are picked on their bits: through float selects
    # gcc carried the arithmetic into both arms at the AVX2 tier, and met
    # the subnormal y after all.
    cdef bint sub_y = is_subnormal(y)
    cdef real w = sigmoid_derivative_of_output(normal_part(y))
    cdef real g_signed = negative_if(normal_part(grad_out), grad_out)
    cdef real a, b
    if real is float:
        a = bits_f32(sel_i32(sub_y, f32_bits(y), f32_bits(grad_out)))
        b = bits_f32(sel_i32(sub_y, f32_bits(g_signed), f32_bits(w)))
    else:
        a = bits_f64(sel_i64(sub_y, f64_bits(y), f64_bits(grad_out)))
        b = bits_f64(sel_i64(sub_y, f64_bits(g_signed), f64_bits(w)))
    return mul_subnormal_bounded(a, b)


# log_sigmoid = -softplus(-x) = min(x, 0) - log1p(e^-|x|); derivative
# sigmoid(-x).


cdef inline real log_sigmoid_1(real x) noexcept nogil:
    # in two parts (Spec.parts): e^-|x| as hi + lo, then the log1p
    cdef real t, t_lo
    log_sigmoid_parts(x, &t, &t_lo)
    return log_sigmoid_from_parts(x, t, t_lo)


cdef inline void log_sigmoid_parts(real x, real *t, real *t_lo) noexcept nogil:
    cdef real zero = 0
    t[0] = exp_neg_abs(zero if is_nan(x) else x, t_lo)


cdef inline real log_sigmoid_from_parts(real x, real t, real t_lo) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real r = (xs if xs < zero else zero) - log1p_unit(t, t_lo)
    return x if nan else r


cdef inline real log_sigmoid_grad_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real s = sigmoid_lean(-(zero if nan else x))
    return x if nan else s


cdef inline real log_sigmoid_backward_of(real grad_out, real d) noexcept nogil:
    """The backward pass from the derivative d = log_sigmoid_grad_1(x) (the
    narrow loops take d from a table: _kernels_narrow.pxi): the product
    rounded once (mul_fused)."""
    return mul_fused(grad_out, d)


cdef inline real log_sigmoid_backward_1(real grad_out, real x) noexcept nogil:
    # log_sigmoid_backward_normal_1's bits with no product of a subnormal
    # grad_out (the derivative is within [0, 1] or NaN: "Normal forms",
    # _kernels_exp.pxi)
    return mul_subnormal_product(grad_out, log_sigmoid_grad_1(x))


cdef inline real log_sigmoid_backward_normal_1(real grad_out, real x) noexcept nogil:
    return log_sigmoid_backward_of(grad_out, log_sigmoid_grad_1(x))


# silu x sigmoid(x); derivative s (1 + x (1 - s)) with 1 - s = sigmoid(-x)
# computed directly, not by subtraction.


cdef inline float silu_lean_f32(float x_exp, float x) noexcept nogil:
    """x / (1 + e^-x_exp) for x_exp = x but where x_exp is x raised away
    from 0 (silu_1): one exp, one division, on every lane. Below x = -64,
    where e^-x would overflow, numerator and denominator are both scaled
    by 2^-64 (exact: |x| >= 64 there, e^-x <= e^110). The exp's argument
    -x is clamped to [-80, 110] on its bits (NaN to 110 or -80): e^-80
    leaves 1 + e^-x at 1, and below x = -110 the result rounds to -0,
    given at the end. inf gives inf / 1, NaN itself (quiet). The exp's 1
    ulp and the roundings of the sum and the quotient: 2.40 ulp at most
    over all float32 inputs (check --exhaustive). A subnormal x is
    multiplied and divided (right, but slow: silu_1 takes those on the
    bits)."""
    cdef float one = 1, two_m64 = 5.42101086242752217e-20, x_lowest = -110
    cdef int32_t b = f32_bits(x_exp)
    # -x_exp's bits, unsigned min: a negative one to at most 80 in
    # magnitude; signed min: a positive one to at most 110
    cdef float a = bits_f32(min_i32(<int32_t>min_u32(<uint32_t>b ^ 0x80000000u, 0xc2a00000u),
                                    0x42dc0000))
    cdef float mult = bits_f32(sel_i32(<uint32_t>b > 0xc2800000u, f32_bits(two_m64),
                                       f32_bits(one)))                      # x < -64
    cdef float r = (x * mult) / (mult + exp_lean_times_f32(a, mult))
    return bits_f32(sel_i32(lt_quiet_f32(x, x_lowest), <int32_t>-2147483647 - 1, f32_bits(r)))


cdef inline double silu_lean_f64(double x) noexcept nogil:
    """silu_lean_f32 in float64: scaled by 2^-512 below x = -512, the exp's
    argument -x clamped to [-80, 760] (NaN to 760 or -80), -0 below x =
    -760. On the bits where the tier compares 64-bit integers; by float
    compares at the baseline tier."""
    cdef double one = 1, two_m512 = 7.4583407312002067e-155
    cdef double exp_lowest = -80, exp_highest = 760, scale_from = 512
    cdef double a, mult, r
    cdef int64_t b = f64_bits(x)
    if FA_I64_CMP:
        a = bits_f64(min_i64(<int64_t>min_u64(<uint64_t>b ^ 0x8000000000000000ULL,
                                              0xc054000000000000ULL),      # -80
                             0x4087c00000000000LL))                        # 760
        mult = bits_f64(sel_i64(<uint64_t>b > 0xc080000000000000ULL,       # x < -512
                                f64_bits(two_m512), f64_bits(one)))
    else:
        a = -x
        a = bits_f64(sel_i64(lt_quiet(a, exp_highest), f64_bits(a), f64_bits(exp_highest)))
        a = bits_f64(sel_i64(a > exp_lowest, f64_bits(a), f64_bits(exp_lowest)))
        mult = bits_f64(sel_i64(a > scale_from, f64_bits(two_m512), f64_bits(one)))
    r = (x * mult) / (mult + exp_lean_times_f64(a, mult))
    return bits_f64(sel_i64(lt_quiet(x, -exp_highest), <int64_t>-9223372036854775807LL - 1,
                            f64_bits(r)))


cdef inline real silu_1(real x) noexcept nogil:
    # silu_normal_1's bits with no subnormal in an operation, for the
    # blocks that hold a subnormal x (the catalogue's normal_form): float32
    # raises |x| to 2^-40 for the exp ("Tiny arguments", _kernels_exp.pxi;
    # e^-x is 1 there either way) and to 2^-125 for the numerator, and
    # takes x/2 on the bits below that (half_finite: the quotient's bits).
    # float64 takes x/2 on the bits where |x| < 2^-300 (the value
    # silu_normal_1 rounds to there, division and all; zeros too) and runs
    # silu_normal_1 on |x| raised to that bound by an integer max. (With
    # raise_tiny's select on the same test as the pick after it, gcc ran the
    # arithmetic on x itself, the tiny lanes masked off: a masked divide of
    # a subnormal still took the assist, 4.6x the normal time.) Without
    # 64-bit integer compares (the baseline tier), silu_normal_1.
    cdef int32_t b, m
    cdef int64_t b64, m64
    cdef float r
    if real is float:
        b = f32_bits(x)
        m = b & 0x7fffffff
        r = silu_lean_f32(bits_f32(max_i32(m, 0x2b800000) | (b ^ m)),
                          bits_f32(max_i32(m, 0x01000000) | (b ^ m)))
        return bits_f32(sel_i32(m < 0x01000000, f32_bits(half_finite_f32(x)), f32_bits(r)))
    elif FA_I64_CMP:
        b64 = f64_bits(x)
        m64 = b64 & 0x7fffffffffffffffLL
        return bits_f64(sel_i64(m64 < 0x2d30000000000000LL, f64_bits(half_finite_f64(x)),
                                f64_bits(silu_normal_1(bits_f64(max_i64(m64, 0x2d30000000000000LL)
                                                                | (b64 ^ m64))))))
    else:
        return silu_normal_1(x)


cdef inline real silu_normal_1(real x) noexcept nogil:
    if real is float:
        return silu_lean_f32(x, x)
    else:
        return silu_lean_f64(x)


cdef inline real silu_grad_1(real x) noexcept nogil:
    # s (1 + x (1 - s)) with t = e^-|x| (lean) and d = 1 + t is
    # 1 + t (x - d) / d^2 for x >= 0 and t (d + x) / d^2 below: one
    # division. In two parts (Spec.parts): t, then the rest.
    cdef real t
    silu_grad_parts(x, &t)
    return silu_grad_from_parts(x, t)


cdef inline real silu_grad_a(real x) noexcept nogil:
    """-|x| on the bits (neg_abs_within): raised to the tiny bound, where t =
    1 and d + a = 2 all the same ("Tiny arguments" in _kernels_exp.pxi), so
    a subnormal x reaches no arithmetic and the loops need no mark for it;
    clamped at the exp's lowest, where t rounds to 0 (x t and t x are then
    -lowest * 0, never inf * 0), NaN too (its result is x, picked at the
    end). At the baseline tier, which has no 64-bit integer compare,
    float64's clamp is a float one: NaN is made 0 before it, and a subnormal
    x is slow there (right all the same)."""
    cdef double lowest_f64 = -746
    cdef real zero = 0
    if real is float:
        return neg_abs_within_f32(x, 0x42d00000)      # -104
    elif FA_I64_CMP:
        return neg_abs_within_f64(x, lowest_f64)
    else:
        return neg_abs_within_f64(zero if is_nan(x) else x, lowest_f64)


cdef inline void silu_grad_parts(real x, real *t) noexcept nogil:
    """silu_grad_1's first part: t = e^-|x|, the lean exp."""
    cdef float two_m24 = 5.9604644775390625e-8
    cdef double two_m60 = 8.673617379884035472e-19
    if real is float:
        t[0] = exp_lean_scaled_f32(silu_grad_a(x)) * two_m24
    else:
        t[0] = exp_lean_scaled_f64(silu_grad_a(x)) * two_m60


cdef inline real silu_grad_from_parts(real x, real t) noexcept nogil:
    # Near the zero crossing (x = -1.28) d + x cancels among terms of size 1.
    cdef real zero = 0, one = 1
    cdef real neg_inf
    if real is float:
        neg_inf = -bits_f32(0x7f800000)
    else:
        neg_inf = -bits_f64(0x7ff0000000000000)
    cdef real a = silu_grad_a(x)
    cdef real d = one + t
    # x >= 0 as 1 - t (d + a) / d^2 (a = -x there): the rounded part is
    # below 0.1 where the result is above 1. Both sides share t (d + a).
    cdef real q = (t * (d + a)) / (d * d)
    cdef real g = one - q if sign_clear(x) else q
    # At -inf the limit is approached from below, but -0.0 there would differ
    # from the reference (and torch), whose s (1 + x (1 - s)) is 0 * (-inf)
    # made +0.0: fastact gives +0.0 at -inf. Finite x below the clamp keep
    # the -0.0 the negative true value rounds to.
    g = zero if x == neg_inf else g      # == is quiet: no flag for NaN
    return x if is_nan(x) else g


cdef inline real silu_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once (mul_fused): a subnormal grad_out is
    # silu_backward_1's (the split loop's), so the float16/bfloat16 loops,
    # which finish with this, give the float32 kernel's product rounded once
    return mul_fused(grad_out, d)


cdef inline real silu_backward_1(real grad_out, real x) noexcept nogil:
    # silu_backward_normal_1's bits with no product of a subnormal grad_out:
    # times the derivative (|d| < 1.1) taken on the bits
    # (mul_subnormal_derivative, rounded once as the plain product). The
    # same bits as the normal form, so the loop runs this form on the blocks
    # after one that held a subnormal grad_out (Spec.normal_form_everywhere:
    # a mark in the loop, no pass of its own); silu_grad_1 takes a subnormal
    # x itself.
    return mul_subnormal_derivative(grad_out, silu_grad_1(x))


cdef inline real silu_backward_normal_1(real grad_out, real x) noexcept nogil:
    return grad_out * silu_grad_1(x)     # "Normal forms", _kernels_exp.pxi


# silu_backward's forms in two parts (Spec.parts), silu_grad's first part
# and the product after its second


cdef inline void silu_backward_parts(real grad_out, real x, real *t) noexcept nogil:
    silu_grad_parts(x, t)


cdef inline real silu_backward_from_parts(real grad_out, real x, real t) noexcept nogil:
    return mul_subnormal_derivative(grad_out, silu_grad_from_parts(x, t))


cdef inline void silu_backward_normal_parts(real grad_out, real x, real *t) noexcept nogil:
    silu_grad_parts(x, t)


cdef inline real silu_backward_normal_from_parts(real grad_out, real x, real t) noexcept nogil:
    return grad_out * silu_grad_from_parts(x, t)
