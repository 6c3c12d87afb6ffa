# The smooth family: tanh, softsign, softplus, elu, selu, mish, per element.
# Part of _kernels.pxi.
#
# Here and in the sigmoid family's log_sigmoid and silu and in gelu_tanh, each
# `<name>_1` takes a possibly-NaN x, runs its
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


cdef extern from *:
    """
    #if defined(__AVX512F__)
    #define FA_SMOOTH_AVX512 1
    #else
    #define FA_SMOOTH_AVX512 0
    #endif
    """
    const bint FA_SMOOTH_AVX512


# tanh. |x| < 0.625: x + x^3 P(x^2), P of degree 4 / 10 from
# tools/fit_tanh_log1p_expm1.py (relative error 0.3 ulp / 0.4 ulp). Beyond:
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


cdef inline float tanh_exp_f32(float a) noexcept nogil:
    """e^a for -44 <= a <= 0 (tanh's far side), within 1 ulp: the lean exp
    of _kernels_exp.pxi (exp_lean_parts_f32) with 2^k built directly, normal
    for k >= -64: the same bits as exp_lean_scaled_f32's result times 2^-24,
    one multiply fewer."""
    cdef float magic = 12583040.0       # 1.5 * 2^23 + 128: 2^(k+1)
    cdef float half = 0.5
    cdef int32_t kb
    cdef float p = exp_lean_parts_f32(a, magic, half, &kb)
    return p * bits_f32(<int32_t>(<uint32_t>kb << 23))


cdef inline double tanh_exp_f64(double a) noexcept nogil:
    """e^a for -44 <= a <= 0, within 1 ulp: exp_lean_parts_f64 with 2^k
    built directly (see tanh_exp_f32)."""
    cdef double magic = 6755399441056768.0      # 1.5 * 2^52 + 1024: 2^(k+1)
    cdef double half = 0.5
    cdef int64_t kb
    cdef double p = exp_lean_parts_f64(a, magic, half, &kb)
    return p * bits_f64(<int64_t>(<uint64_t>kb << 52))


cdef inline real tanh_1(real x) noexcept nogil:
    # On the bits of |x| (see "Tiny arguments" in _kernels_exp.pxi): capped
    # at 22 (NaN too) and raised to the tiny bound, below which (and for
    # NaN) the result is x itself, picked at the end. SSE2 has no 64-bit
    # integer compare: float64 there on floats, as it was.
    # The far side is sigmoid_lean(-2a) written out: -2a is already within
    # the exp's clamps and below 0, so their clamp, the sign select and the
    # 2^-S scaling would change nothing (the same bits) at ~9 vector
    # operations of ~50. Tiny and NaN lanes, whose result is x itself, are
    # picked by one unsigned compare of |x|'s bits.
    cdef real zero = 0, one = 1, cut = 0.625, flat = 22   # tanh(22) rounds to 1
    cdef int32_t b32, m32, c32
    cdef int64_t b64, m64, c64
    cdef real a, a_raised, a_factor, w, p, near, t, s, far, r
    cdef bint nan
    cdef real xs
    if real is float:
        b32 = f32_bits(x)
        m32 = b32 & 0x7fffffff
        c32 = min_i32(m32, 0x41b00000)                       # 22
        a = bits_f32(c32)
        a_raised = bits_f32(max_i32(c32, 0x2b800000))        # 2^-40
        a_factor = a_raised
    elif FA_I64_CMP:
        b64 = f64_bits(x)
        m64 = b64 & 0x7fffffffffffffffLL
        c64 = min_i64(m64, 0x4036000000000000LL)             # 22
        a = bits_f64(c64)
        a_raised = bits_f64(max_i64(c64, 0x2d30000000000000LL))   # 2^-300
        a_factor = a_raised
    else:
        nan = is_nan(x)
        xs = zero if nan else x
        a = fabs_real(xs)
        a = a if a < flat else flat
        a_raised = a
        a_factor = a
    w = a_raised * a_raised
    if real is float:
        p = tanh_p_f32(w)
    else:
        p = tanh_p_f64(w)
    near = a_raised + a_factor * (w * p)
    # 2s < 0.45 here: its 2 ulp are at most 1 ulp of the result
    if real is float:
        t = tanh_exp_f32(-(a_raised + a_raised))
    else:
        t = tanh_exp_f64(-(a_raised + a_raised))
    s = t / (one + t)
    far = one - (s + s)
    r = near if a < cut else far
    if real is float:
        # x itself where |x| < 2^-40 or x is NaN: (|x| - 2^-40) as unsigned
        # is then below 0 or above inf's
        return bits_f32(sel_i32(<uint32_t>(m32 - 0x2b800000) > <uint32_t>0x54000000,
                                b32, f32_bits(r) | (b32 ^ m32)))
    elif FA_I64_CMP:
        return bits_f64(sel_i64(<uint64_t>(m64 - 0x2d30000000000000LL) > <uint64_t>0x52c0000000000000LL,
                                b64, f64_bits(r) | (b64 ^ m64)))
    else:
        r = negative_if(r, x)
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


cdef inline real tanh_derivative_of_output(real y) noexcept nogil:
    # 1 - y^2, y = tanh(x), as (1 - |y|)(1 + |y|): exact 1 - |y| near |y| =
    # 1 where it matters, 1.5 ulp at most elsewhere. No compare, so a NaN y
    # just flows through; a subnormal y meets only the adds (no assist).
    cdef real one = 1
    cdef real a = fabs_real(y)
    return (one - a) * (one + a)


cdef inline real tanh_backward_normal_1(real grad_out, real y) noexcept nogil:
    # The product rounded once (mul_fused): right everywhere, only slower on
    # a subnormal grad_out where the guards are on (tanh_backward_1 gives
    # its bits without the assist). The loop checks
    # grad_out only (see tanh_derivative_of_output for y).
    return mul_fused(grad_out, tanh_derivative_of_output(y))


cdef inline real tanh_backward_1(real grad_out, real y) noexcept nogil:
    # tanh_backward_normal_1's bits, a subnormal grad_out's product (by a
    # derivative of at most 1 for |y| <= 1) taken on the bits
    return mul_subnormal_product(grad_out, tanh_derivative_of_output(y))


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


cdef inline double softsign_plain_f64(double x) noexcept nogil:
    """float64 softsign as a / (1 + a) with a = |x| capped: right everywhere,
    slow on a subnormal x (the division)."""
    cdef double zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef double xs = zero if nan else x
    cdef double a = fabs(xs)
    a = a if a < softsign_cap(a) else softsign_cap(a)
    return x if nan else negative_if(a / (one + a), xs)


cdef inline real softsign_1(real x) noexcept nogil:
    # float32 on the bits of |x| (see "Tiny arguments" in _kernels_exp.pxi):
    # capped (NaN too, given back at the end) and raised to the tiny bound,
    # below which a / (1 + a) is a: picked there, as the division is slow on
    # a subnormal. float64 capped by a float min (64-bit integer clamps and
    # picks, with no 64-bit min or max below AVX-512, cost 17% on normal
    # inputs); at AVX-512 float32's form in 64-bit integers (below);
    # elsewhere the plain form of x made +0 where subnormal, and x itself
    # there (softsign(x) = x), on blocks that hold one (softsign_normal_1
    # on the others).
    cdef real one = 1
    cdef int32_t b32, m32, r32
    cdef int64_t b64, m64, r64
    cdef real a
    if real is float:
        b32 = f32_bits(x)
        m32 = b32 & 0x7fffffff
        a = bits_f32(max_i32(min_i32(m32, 0x65a96816), 0x2b800000))   # 1e23, 2^-40
        r32 = f32_bits(a / (one + a))
        r32 = pick_i32(-<int32_t>(m32 < 0x2b800000), m32, r32) | (b32 ^ m32)
        return bits_f32(pick_i32(-<int32_t>(m32 > 0x7f800000), b32, r32))
    elif FA_SMOOTH_AVX512:
        # float32's form in 64-bit integers (AVX-512 has their min, max and
        # compares): |x| clamped to [2^-300, 1e163] on its bits, |x| itself
        # below 2^-300, NaN given back. Capped by a float min and picked
        # with float compares instead, gcc built the loop from masked moves
        # and mask-register logic, 24 instructions a vector for this
        # form's 11: 0.30 ns/element at every size on an AMD Zen 5, 1.3x
        # the memory bound at 1e7. (Raised by a float max, gcc had divided
        # |x| in a masked divide, whose masked-off subnormal lanes still
        # cost an assist there: 3.5 times the normal time.)
        b64 = f64_bits(x)
        m64 = b64 & 0x7fffffffffffffffLL
        a = bits_f64(max_i64(min_i64(m64, 0x61c63a432c8f5cd6LL), 0x2d30000000000000LL))
        r64 = f64_bits(a / (one + a))
        r64 = sel_i64(m64 < 0x2d30000000000000LL, m64, r64) | (b64 ^ m64)
        return bits_f64(sel_i64(m64 > 0x7ff0000000000000LL, b64, r64))
    else:
        # The AVX2 tier divided a again even so (a subnormal x cost 18 times
        # the normal time there): here the subnormal is made +0 by an
        # integer and (normal_part) and x picked back on the bits.
        return bits_f64(sel_i64(is_subnormal(x), f64_bits(x),
                                f64_bits(softsign_plain_f64(normal_part(x)))))


cdef inline real softsign_normal_1(real x) noexcept nogil:
    # float64 below AVX-512: the plain form, right everywhere and only slow
    # on a subnormal x; its loop runs softsign_1 on the blocks after one
    # that held a subnormal (the catalogue's normal_forms). The extra
    # integer operations of that form cost it 1.4-1.5 times the time on
    # every block. Elsewhere softsign_1 itself.
    if real is float or FA_SMOOTH_AVX512:
        return softsign_1(x)
    else:
        return softsign_plain_f64(x)


cdef inline real softsign_grad_1(real x) noexcept nogil:
    cdef real one = 1
    cdef real r = one / (one + fabs_real(x))
    return r * r


cdef inline real softsign_backward_1(real grad_out, real x) noexcept nogil:
    return mul_flush(grad_out, softsign_grad_1(x))


# softplus log(1 + e^(beta x)) / beta, x itself where beta x > threshold (as
# PyTorch). With z = beta x: max(z, 0) + log1p(e^-|z|), never overflowing and
# accurate in the lower tail (softplus(-100) = 3.7e-44).


cdef inline real softplus_1(real x, real beta, real threshold) noexcept nogil:
    # in two parts (Spec.parts): e^-|beta x| as hi + lo, then the log1p
    cdef real t, t_lo
    softplus_parts(x, beta, threshold, &t, &t_lo)
    return softplus_from_parts(x, beta, threshold, t, t_lo)


cdef inline real softplus_z(real x, real beta) noexcept nogil:
    """beta x, with NaN x made 0. beta = 1 (the default) skips the product,
    slow on a subnormal: gcc takes the loop-invariant test out of the
    loop."""
    cdef real zero = 0, one = 1
    cdef real xs = zero if is_nan(x) else x
    return xs if beta == one else beta * xs


cdef inline void softplus_parts(real x, real beta, real threshold, real *t,
                                real *t_lo) noexcept nogil:
    t[0] = exp_neg_abs(softplus_z(x, beta), t_lo)


cdef inline real softplus_from_parts(real x, real beta, real threshold, real t,
                                     real t_lo) noexcept nogil:
    cdef real zero = 0
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real z = softplus_z(x, beta)
    cdef real sp = ((z if z > zero else zero) + log1p_unit(t, t_lo)) / beta
    cdef real r = xs if z > threshold else sp
    return x if nan else r


cdef inline real softplus_grad_1(real x, real beta, real threshold) noexcept nogil:
    # sigmoid(beta x), 1 above the threshold. A NaN beta gives NaN, as
    # softplus and the reference do (sigmoid_lean would turn it into 0).
    cdef real zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real z = xs if beta == one else beta * xs    # as in softplus_1
    cdef real s = sigmoid_lean(z)
    cdef real g = one if z > threshold else s
    g = beta if is_nan(beta) else g
    return x if nan else g


cdef inline real softplus_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once, mul_fused (the float16/bfloat16 loops finish
    # with it)
    return mul_fused(grad_out, d)


cdef inline real softplus_backward_1(real grad_out, real x, real beta,
                                     real threshold) noexcept nogil:
    # softplus_backward_normal_1's bits with no product of a subnormal
    # grad_out (the derivative is within [0, 1] or NaN: "Normal forms",
    # _kernels_exp.pxi)
    return mul_subnormal_product(grad_out, softplus_grad_1(x, beta, threshold))


cdef inline real softplus_backward_normal_1(real grad_out, real x, real beta,
                                            real threshold) noexcept nogil:
    return softplus_backward_of(grad_out, softplus_grad_1(x, beta, threshold))


# elu x if x > 0 else alpha (e^x - 1), with expm1; derivative alpha e^x.
# selu is scale * elu(x, alpha) with PyTorch's constants, scale and
# scale * alpha carried as hi + lo so that the constants add no error.


cdef inline real elu_1(real x, real alpha) noexcept nogil:
    # On the bits of |x| (see "Tiny arguments" in _kernels_exp.pxi): |x|
    # capped where e^-|x| - 1 rounds to -1 (NaN and inf too) and raised to
    # the tiny bound, below which e^x - 1 is x to the last bit: x itself is
    # taken there, so no lane runs the expm1 on a subnormal (60-80x slower
    # on Sapphire Rapids). alpha = 1, the default, skips the product, slow
    # on a subnormal x (gcc takes the loop-invariant test out of the loop).
    # SSE2 has no 64-bit integer compare: float64 there as it was.
    cdef real zero = 0, one = 1
    cdef int32_t b32, m32
    cdef int64_t b64, m64
    cdef real e, neg, xs, r
    cdef bint nan
    if real is float:
        b32 = f32_bits(x)
        m32 = b32 & 0x7fffffff
        e = expm1_in_range_f32(-bits_f32(max_i32(min_i32(m32, 0x41f00000), 0x2b800000)))  # 30, 2^-40
        # x itself below the bound, but +0 for -0 (as the expm1 gives)
        e = bits_f32(sel_i32(m32 < 0x2b800000, b32 & -<int32_t>(m32 != 0), f32_bits(e)))
        neg = e if alpha == one else alpha * e
        # x where x > 0 (+NaN included) or x is NaN
        return bits_f32(sel_i32((b32 > 0) | (m32 > 0x7f800000), b32, f32_bits(neg)))
    elif FA_I64_CMP:
        b64 = f64_bits(x)
        m64 = b64 & 0x7fffffffffffffffLL
        e = expm1_in_range_f64(-bits_f64(max_i64(min_i64(m64, 0x4044000000000000LL),
                                            0x2d30000000000000LL)))     # 40, 2^-300
        e = bits_f64(sel_i64(m64 < 0x2d30000000000000LL, b64 & -<int64_t>(m64 != 0), f64_bits(e)))
        neg = e if alpha == one else alpha * e
        return bits_f64(sel_i64((b64 > 0) | (m64 > 0x7ff0000000000000LL), b64, f64_bits(neg)))
    else:
        nan = is_nan(x)
        xs = zero if nan else x
        e = expm1_neg_abs(xs)
        r = xs if xs > zero else alpha * e
        return x if nan else r


cdef inline real elu_grad_1(real x, real alpha) noexcept nogil:
    cdef real zero = 0, one = 1
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real t = exp_lean_neg_abs(xs)
    cdef real g = one if xs > zero else alpha * t
    return x if nan else g


cdef inline real elu_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once, mul_fused (the float16/bfloat16 loops finish
    # with it)
    return mul_fused(grad_out, d)


cdef inline real elu_backward_1(real grad_out, real x, real alpha) noexcept nogil:
    # elu_backward_normal_1's bits with no product of a subnormal grad_out
    # (mul_subnormal_product, "Normal forms" in _kernels_exp.pxi) where the
    # derivative, 1 or alpha e^x, is at most 1 in magnitude: everywhere for
    # |alpha| <= 1 (the default is 1)
    return mul_subnormal_product(grad_out, elu_grad_1(x, alpha))


cdef inline real elu_backward_normal_1(real grad_out, real x, real alpha) noexcept nogil:
    return elu_backward_of(grad_out, elu_grad_1(x, alpha))


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


cdef inline real selu_normal_1(real x) noexcept nogil:
    cdef real zero = 0
    cdef real scale_hi, scale_lo, sa_hi, sa_lo
    selu_constants(&scale_hi, &scale_lo, &sa_hi, &sa_lo)
    # The smallest x whose exact selu rounds to infinity (mpmath), and the
    # largest finite value
    cdef float overflow_f32 = 3.2386223516606216e38
    cdef double overflow_f64 = 1.710946460026603e308
    cdef real overflow, largest, infinity
    if real is float:
        overflow = overflow_f32
        largest = bits_f32(0x7f7fffff)
        infinity = bits_f32(0x7f800000)
    else:
        overflow = overflow_f64
        largest = bits_f64(0x7fefffffffffffffLL)
        infinity = bits_f64(0x7ff0000000000000LL)
    cdef bint nan = is_nan(x)
    cdef real xs = zero if nan else x
    cdef real e = expm1_neg_abs(xs)
    cdef real finite = 1e30                 # scale_lo * inf would be -inf for float
    cdef real pos = scale_hi * xs + scale_lo * clamp_abs(xs, finite)
    # Next to the overflow threshold the two roundings can land on the wrong
    # side of it (float32 x = 3.2386221e38 gave inf where the exact value
    # rounds to the largest finite): the threshold settles it, one compare
    # and two selects.
    pos = (pos if pos < largest else largest) if xs < overflow else infinity
    # as in selu_grad: the select keeps the low product unfused, so the
    # contraction is sa_hi * e + lo at every tier that has FMA
    cdef real lo = sa_lo * e if xs <= zero else zero
    cdef real neg = sa_hi * e + lo
    cdef real r = pos if xs > zero else neg
    return x if nan else r


cdef inline real selu_1(real x) noexcept nogil:
    # selu_normal_1, and where x is subnormal x times scale (x > 0) or scale
    # alpha (x < 0), taken on the bits (mul_subnormal): selu's value there to
    # far below half an ulp, the constant's rounding within 1 ulp in all,
    # with no product of a subnormal (microcode assists: 50-70 times the
    # normal time on Intel). The same bits as selu_normal_1 (checked over
    # every float32 subnormal at every tier), so the loop runs this form on
    # the blocks after one that held a subnormal x (normal_form_everywhere).
    cdef real scale_hi, scale_lo, sa_hi, sa_lo
    selu_constants(&scale_hi, &scale_lo, &sa_hi, &sa_lo)
    cdef real tiny_part = mul_subnormal(subnormal_part(x), pick(is_positive(x), scale_hi, sa_hi))
    return pick(is_subnormal(x), tiny_part, selu_normal_1(normal_part(x)))


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


cdef inline real selu_backward_of(real grad_out, real d) noexcept nogil:
    return grad_out * d


cdef inline real selu_backward_normal_1(real grad_out, real x) noexcept nogil:
    # the product fused (mul_fused): this form runs on subnormals too on
    # AMD Zen 5 (Spec.normal_form_without_assists)
    return mul_fused(grad_out, selu_grad_1(x))


cdef inline real selu_backward_1(real grad_out, real x) noexcept nogil:
    # selu_backward_normal_1 with no product of a subnormal: a tiny x is
    # raised to the tiny bound (raise_tiny; the derivative there is its
    # limit, scale or scale alpha, to the last bit), and a subnormal
    # grad_out times the derivative (at most 1.76) is taken on the bits
    # (mul_subnormal_derivative); a NaN derivative (x NaN) gives the plain
    # product's NaN. The same bits as selu_backward_normal_1 (as selu_1's),
    # so the loop runs this form on the blocks after one that held a
    # subnormal grad_out or x (normal_form_everywhere).
    return mul_subnormal_derivative(grad_out, selu_grad_1(raise_tiny(x)))


# mish x tanh(softplus(x)). With t = e^-|x| the tanh is a rational function of
# t, no log needed: (1 + 2t) / (1 + 2t + 2t^2) for x > 0, (t^2 + 2t) /
# (t^2 + 2t + 2) for x <= 0. The derivative tanh(sp) + x sigmoid(x)
# sech^2(sp) is (n d + 4 x e (1 + t)) / d^2 with n, d that numerator and
# denominator and e = t^2 (x > 0) or t (x <= 0).


cdef inline void mish_terms(real xs, real tt, real *n, real *d, real *e) noexcept nogil:
    """n, d and e at xs from tt = e^-|xs| (above)."""
    cdef real zero = 0, one = 1, two = 2
    cdef real t2 = tt * tt
    cdef bint pos = xs > zero
    n[0] = (one + (tt + tt)) if pos else (t2 + (tt + tt))
    d[0] = n[0] + ((t2 + t2) if pos else two)
    e[0] = t2 if pos else tt


cdef inline real mish_1(real x) noexcept nogil:
    # mish_normal_1 with no subnormal in its arithmetic: below the tiny
    # bound b = 2^-40 / 2^-300 mish(x) is x w to the last bit, w its slope
    # at 0 as the kernel rounds it (t = e^-|x| is 1 there), and at b itself
    # the result b w (x > 0) or b w_s 2^-S (below: w_s = 2^S w) is exact, so
    # w is that result over b, exactly. A subnormal x is raised to b (its
    # sign) for mish_normal_1, and its result is x w rounded once, on the
    # bits (mul_subnormal). (mish_normal_1 itself rounds the product twice
    # below 0: x w_s, then 2^-S x w_s onto the subnormal grid; this is the
    # more accurate, and the contract lets a result below the smallest
    # normal flush anyway.) 7-9 times the normal time without (Intel Xeon);
    # the loop runs this form only on blocks that hold a subnormal x
    # (normal_form: checked first, as mish_normal_1 rounds such x w twice).
    cdef float inv_bound_f32 = 1099511627776.0                       # 2^40
    cdef double inv_bound_f64 = 2.0370359763344860863e+90            # 2^300
    cdef bint sub = is_subnormal(x)
    cdef real r = mish_normal_1(raise_subnormal(x))
    cdef real w
    # |r| / b; elsewhere |r| is limited to 2 b on its bits first (inf and
    # NaN too), so that the product below stays finite in every lane
    if real is float:
        w = bits_f32(min_i32(f32_bits(r) & 0x7fffffff, 0x2c000000)) * inv_bound_f32
    else:
        w = bits_f64(min_i64(f64_bits(r) & 0x7fffffffffffffffLL, 0x2d40000000000000LL)) * inv_bound_f64
    return pick(sub, mul_subnormal(subnormal_part(x), w), r)


cdef inline real mish_normal_1(real x) noexcept nogil:
    # x > 0: w = n/d as in mish_terms. x <= 0: w = t (1 - t (t + 1)/d), whose
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
    # numerator and denominator picked on the bits, as variables: picked
    # inside the quotient, gcc split the division in two (one per branch,
    # every lane dividing twice). float32 at avx512 picks them by xs's sign
    # bit rather than pos (the same lanes: xs is not NaN): by the condition
    # that also picks w below, gcc moved the division into both arms of w's
    # masked select in mish_1's loop (subnormal x 1.8x faster once it
    # divides once; same-run A/B, Intel Xeon, 1e5). Elsewhere the sign bit
    # cost time (avx2's normal loop 4-10%, float64's subnormal one 5%).
    cdef real num, den
    cdef bint pos_bits
    if real is float:
        pos_bits = f32_bits(xs) > 0 if FA_AVX512 else pos
        num = bits_f32(sel_i32(pos_bits, f32_bits(n_pos), f32_bits(t * (t + one))))
        den = bits_f32(sel_i32(pos_bits, f32_bits(d_pos), f32_bits(d_neg)))
    else:
        num = bits_f64(sel_i64(pos, f64_bits(n_pos), f64_bits(t * (t + one))))
        den = bits_f64(sel_i64(pos, f64_bits(d_pos), f64_bits(d_neg)))
    cdef real q = num / den
    cdef real one_q = one - q
    cdef real w = q if pos else one_q * t_s + one_q * t_lo_s
    cdef real r = (xs * w) * (one if pos else unscale)
    return x if nan else r


cdef inline real mish_grad_1(real x) noexcept nogil:
    # its value at the tiny bound below it (raise_tiny), 0.6, which
    # mish_grad_normal_1 rounds to there too: the loops run this form on the
    # blocks after one that held a subnormal x (normal_form_everywhere)
    return mish_grad_normal_1(raise_tiny(x))


cdef inline real mish_grad_normal_1(real x) noexcept nogil:
    # in two parts (Spec.parts): the lean e^-|x|, then the rest
    cdef real t
    mish_grad_normal_parts(x, &t)
    return mish_grad_normal_from_parts(x, t)


cdef inline real mish_grad_xs(real x) noexcept nogil:
    """x clamped, NaN made 0 (the result picks x back)."""
    cdef real zero = 0
    return clamp_abs(zero if is_nan(x) else x, far_x(x))


cdef inline void mish_grad_normal_parts(real x, real *t) noexcept nogil:
    t[0] = exp_lean_neg_abs(mish_grad_xs(x))


cdef inline real mish_grad_normal_from_parts(real x, real t) noexcept nogil:
    cdef real zero = 0, one = 1, four = 4
    cdef real xs = mish_grad_xs(x)
    cdef real n, d, e
    mish_terms(xs, t, &n, &d, &e)
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
    return x if is_nan(x) else g


cdef inline void mish_grad_parts(real x, real *t) noexcept nogil:
    mish_grad_normal_parts(raise_tiny(x), t)


cdef inline real mish_grad_from_parts(real x, real t) noexcept nogil:
    return mish_grad_normal_from_parts(raise_tiny(x), t)


cdef inline real mish_backward_of(real grad_out, real d) noexcept nogil:
    # the product rounded once, mul_fused (the float16/bfloat16 loops finish
    # with it)
    return mul_fused(grad_out, d)


cdef inline real mish_backward_1(real grad_out, real x) noexcept nogil:
    # mish_backward_normal_1's bits with no product of a subnormal: a tiny x
    # raised (mish_grad_1), a subnormal grad_out times the derivative (at
    # most 1.09 in magnitude) taken on the bits (mul_subnormal_derivative,
    # rounded once as the plain product), so the loop marks
    # (normal_form_everywhere)
    return mul_subnormal_derivative(grad_out, mish_grad_1(x))


cdef inline real mish_backward_normal_1(real grad_out, real x) noexcept nogil:
    return mish_backward_of(grad_out, mish_grad_normal_1(x))


# mish_backward's forms in two parts (Spec.parts), mish_grad's and the
# product


cdef inline void mish_backward_parts(real grad_out, real x, real *t) noexcept nogil:
    mish_grad_parts(x, t)


cdef inline real mish_backward_from_parts(real grad_out, real x, real t) noexcept nogil:
    return mul_subnormal_derivative(grad_out, mish_grad_from_parts(x, t))


cdef inline void mish_backward_normal_parts(real grad_out, real x, real *t) noexcept nogil:
    mish_grad_normal_parts(x, t)


cdef inline real mish_backward_normal_from_parts(real grad_out, real x, real t) noexcept nogil:
    return mish_backward_of(grad_out, mish_grad_normal_from_parts(x, t))
