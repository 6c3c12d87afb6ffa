# The ReLU and hard family: relu, leaky_relu, relu6, hard_sigmoid, hard_swish,
# per element; exact (or torch's arithmetic, correctly rounded). Part of
# _kernels.pxi.

cdef inline real relu_1(real x) noexcept nogil:
    return keep_or_zero(keeps_sign_for_relu(x), x)


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


cdef inline real leaky_relu_small_alpha_normal_1(real x, real alpha) noexcept nogil:
    # For finite alpha with |alpha| <= 1: alpha * x is never inf * 0 and
    # never overflows, so it may be computed in the lanes that keep x too.
    return x if is_positive(x) else alpha * x


cdef inline real leaky_relu_small_alpha_1(real x, real alpha) noexcept nogil:
    # leaky_relu_small_alpha_normal_1, and alpha * x by the bits where x is
    # subnormal (as |alpha| <= 1 the product is exact, as the normal form's,
    # and no lane multiplies a subnormal). For the blocks that hold one.
    return pick(is_positive(x), x, mul_subnormal_product(x, alpha))


cdef inline real leaky_relu_backward_small_alpha_normal_1(real grad_out, real x,
                                                          real alpha) noexcept nogil:
    cdef real g = grad_out if is_positive(x) else alpha * grad_out
    return x if is_nan(x) else g


cdef inline real leaky_relu_backward_small_alpha_fused_1(real grad_out, real x,
                                                         real alpha) noexcept nogil:
    # leaky_relu_backward_small_alpha_normal_1 with its product fused
    # (mul_fused): the same bits in round to nearest, and right on a
    # subnormal grad_out too, which an FMA takes without an assist on the
    # CPUs where kernels.pyx turns the guards off
    return nan_or(x, pick(is_positive(x), grad_out, mul_fused(alpha, grad_out)))


cdef inline real leaky_relu_backward_small_alpha_1(real grad_out, real x,
                                                   real alpha) noexcept nogil:
    # the normal form, and alpha * grad_out by the bits where grad_out is
    # subnormal (as leaky_relu_small_alpha_1)
    return nan_or(x, pick(is_positive(x), grad_out, mul_subnormal_product(grad_out, alpha)))


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


# The loops of leaky_relu and leaky_relu_backward, written here rather than
# generated (the catalogue says loop="hand"): per call they pick the cheaper
# small-alpha form, which computes alpha * x in every lane. Inline: the
# float16/bfloat16 loops run them on every block of 64 (_kernels_narrow.pxi),
# where a call per block cost more than the block's work.

cdef inline bint leaky_relu_block(const real *x, real *y, Py_ssize_t n, real alpha,
                                   bint guarded) noexcept nogil:
    """One block of the small-alpha loop, in the form `guarded` picks, and
    whether x held a subnormal: the loops of k_leaky_relu and
    k_leaky_relu_backward are the generated _marked_split_loop's, written
    here (both forms are exact). The marks in 32-bit integers for float32:
    in 64-bit ones, the loop ran 1.3x slower."""
    cdef Py_ssize_t i
    cdef int32_t marks32 = NO_MARKS_F32
    cdef int64_t marks64 = NO_MARKS_F64
    if real is float:
        if guarded:
            for i in range(n):
                marks32 = fold_marks_f32(marks32, subnormal_key_f32(x[i]))
                y[i] = leaky_relu_small_alpha_1(x[i], alpha)
        else:
            for i in range(n):
                marks32 = fold_marks_f32(marks32, subnormal_key_f32(x[i]))
                y[i] = leaky_relu_small_alpha_normal_1(x[i], alpha)
        return marked_f32(marks32)
    else:
        if guarded:
            for i in range(n):
                marks64 = fold_marks_f64(marks64, subnormal_key_f64(x[i]))
                y[i] = leaky_relu_small_alpha_1(x[i], alpha)
        else:
            for i in range(n):
                marks64 = fold_marks_f64(marks64, subnormal_key_f64(x[i]))
                y[i] = leaky_relu_small_alpha_normal_1(x[i], alpha)
        return marked_f64(marks64)


cdef inline bint leaky_relu_backward_block(const real *g, const real *x, real *out,
                                           Py_ssize_t n, real alpha, bint guarded) noexcept nogil:
    """leaky_relu_block for the backward pass: grad_out's subnormals."""
    cdef Py_ssize_t i
    cdef int32_t marks32 = NO_MARKS_F32
    cdef int64_t marks64 = NO_MARKS_F64
    if real is float:
        if guarded:
            for i in range(n):
                marks32 = fold_marks_f32(marks32, subnormal_key_f32(g[i]))
                out[i] = leaky_relu_backward_small_alpha_1(g[i], x[i], alpha)
        else:
            for i in range(n):
                marks32 = fold_marks_f32(marks32, subnormal_key_f32(g[i]))
                out[i] = leaky_relu_backward_small_alpha_normal_1(g[i], x[i], alpha)
        return marked_f32(marks32)
    else:
        if guarded:
            for i in range(n):
                marks64 = fold_marks_f64(marks64, subnormal_key_f64(g[i]))
                out[i] = leaky_relu_backward_small_alpha_1(g[i], x[i], alpha)
        else:
            for i in range(n):
                marks64 = fold_marks_f64(marks64, subnormal_key_f64(g[i]))
                out[i] = leaky_relu_backward_small_alpha_normal_1(g[i], x[i], alpha)
        return marked_f64(marks64)


cdef inline void k_leaky_relu(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    k_leaky_relu_in_mode(x, y, n, alpha, default_fp_mode())


# The hand loops' *_in_mode forms take default_fp_mode()'s answer from the
# caller: the float16 and bfloat16 loops run them on blocks of 64 and read
# the mode once per call (reading MXCSR, stmxcsr, per block took 60% of
# float16 leaky_relu's time on an AMD Zen 5).


cdef inline void k_leaky_relu_in_mode(const real *x, real *y, Py_ssize_t n, real alpha,
                                      bint default_mode) noexcept nogil:
    cdef Py_ssize_t i, start = 0, stop
    cdef bint guarded
    if is_small_alpha(alpha) and default_mode:
        guarded = any_subnormal(x, SUBNORMAL_BLOCK if n > SUBNORMAL_BLOCK else n)
        while start < n:
            stop = start + SUBNORMAL_BLOCK if n - start > SUBNORMAL_BLOCK else n
            guarded = leaky_relu_block(x + start, y + start, stop - start, alpha, guarded)
            start = stop
    elif is_small_alpha(alpha):
        # another floating-point mode: computed in it (_other_fp_mode)
        for i in range(n):
            y[i] = leaky_relu_small_alpha_normal_1(x[i], alpha)
    else:
        for i in range(n):
            y[i] = leaky_relu_1(x[i], alpha)


cdef inline void k_leaky_relu_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                                real alpha) noexcept nogil:
    k_leaky_relu_backward_in_mode(g, x, out, n, alpha, default_fp_mode())


cdef inline void k_leaky_relu_backward_in_mode(const real *g, const real *x, real *out,
                                               Py_ssize_t n, real alpha,
                                               bint default_mode) noexcept nogil:
    # without prefetches: as for the relu family's loops, the hardware
    # prefetcher keeps up (_kernels_bits.pxi). In the chunks that asked for
    # their lines ahead, float64 ran 1.20-1.22x slower at 1e6, 1.09x at 2e6
    # and 1.06x at 1e7 where the guards are off (AMD Zen 5); with the guards
    # on, the marked loop 0.93x / 1.05x at 1e6 / 1e7.
    cdef Py_ssize_t i, start = 0, stop
    cdef bint guarded
    if is_small_alpha(alpha) and default_mode and FA_FMA and not subnormal_guards:
        # a CPU whose FMA takes a subnormal grad_out without an assist
        # (kernels.pyx): the fused form on every element, unmarked
        for i in range(n):
            out[i] = leaky_relu_backward_small_alpha_fused_1(g[i], x[i], alpha)
    elif is_small_alpha(alpha) and default_mode:
        guarded = any_subnormal(g, SUBNORMAL_BLOCK if n > SUBNORMAL_BLOCK else n)
        while start < n:
            stop = start + SUBNORMAL_BLOCK if n - start > SUBNORMAL_BLOCK else n
            guarded = leaky_relu_backward_block(g + start, x + start, out + start,
                                                stop - start, alpha, guarded)
            start = stop
    elif is_small_alpha(alpha):
        for i in range(n):
            out[i] = leaky_relu_backward_small_alpha_normal_1(g[i], x[i], alpha)
    else:
        for i in range(n):
            out[i] = leaky_relu_backward_1(g[i], x[i], alpha)


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


# Written for few vector instructions per element, since at 1e6 elements
# these run from cache and the instruction count, not memory, sets the speed:
# - float32 clamps on the bit patterns as integers (vpmaxsd/vpminsd): no
#   floating-point compare, so NaN needs no replacing first, and every
#   negative value, -0 included, is below +0's bits;
# - float64 without 64-bit integer compares (SSE2): float compares only on
#   NaN-free values (nan_to_one), as selects written as C expressions
#   (pick; Cython's `a if c else b` is an if statement, which gcc may thread
#   into several paths);
# - the division by 6 by the exact product method below where the tier has
#   FMA: a divide costs 3.5 (float32) to 5 (float64) cycles per vector on Zen 4,
#   more than the rest of the kernel.

cdef extern from *:
    """
    static inline float fa_pick_f32(int c, float a, float b) { return c ? a : b; }
    static inline double fa_pick_f64(int c, double a, double b) { return c ? a : b; }
    /* x, or +1 for NaN: x's bits masked with all ones where the quiet
       compare x == x holds, else with 1's exponent (NaN's all-ones exponent
       becomes 1's, its sign and mantissa go). For the float64 tests where
       there is no 64-bit integer compare (SSE2). A mask widened from the
       compare (x's bits & -(int64_t)(x == x)) has no SSE2 vector type in
       gcc 12, which left the loops scalar. */
    static inline float fa_nan_to_one_f32(float x) {
        return fa_bits_f32(fa_f32_bits(x) & (x == x ? -1 : 0x3f800000)); }
    static inline double fa_nan_to_one_f64(double x) {
        return fa_bits_f64(fa_f64_bits(x) & fa_f64_bits(x == x ? fa_bits_f64(-1) : 1.0)); }
    """
    float pick_f32 "fa_pick_f32"(bint c, float a, float b) noexcept nogil
    double pick_f64 "fa_pick_f64"(bint c, double a, double b) noexcept nogil
    float nan_to_one_f32 "fa_nan_to_one_f32"(float x) noexcept nogil
    double nan_to_one_f64 "fa_nan_to_one_f64"(double x) noexcept nogil


cdef inline real pick(bint c, real a, real b) noexcept nogil:
    """c ? a : b as one C expression (a blend)."""
    if real is float:
        return pick_f32(c, a, b)
    else:
        return pick_f64(c, a, b)


cdef inline real keep_or_zero(bint c, real a) noexcept nogil:
    """c ? a : +0, by an AND of a's bits with c's mask where the tier has
    64-bit integer compares for float64 (float32 everywhere), else as pick.
    Written as a select, gcc 12 loads an input a second time at AVX-512, by
    a masked load, for the lanes that keep it: relu ran so 1.06-1.15x
    slower than np.negative at 1e6 on an AMD Zen 5, and level with it with
    the AND (a compare and a zero-masking move; the same bits)."""
    cdef real zero = 0
    if real is float:
        return bits_f32(f32_bits(a) & sel_i32(c, -1, 0))
    elif FA_I64_CMP:
        return bits_f64(f64_bits(a) & sel_i64(c, -1, 0))
    else:
        return pick(c, a, zero)


cdef inline real nan_to_one(real x) noexcept nogil:
    """x, or +1 where x is NaN: a value the ordered compares that follow may
    see without raising "invalid" (the callers restore NaN at the end).
    Without a condition, see fa_nan_to_one_f64. -fno-trapping-math lets gcc
    move a compare across a select, so what follows it is written as
    selects nested on one compare each (between): gcc 12 pushed a min and
    max (clamp_0_6), an AND of two compares or a compare of the magnitude
    into both arms of the select made here, which then compared NaN itself
    ("invalid"; a test of the raw kernels on NaN at the baseline tier)."""
    if real is float:
        return nan_to_one_f32(x)
    else:
        return nan_to_one_f64(x)


cdef inline real between(real v, real lo, real hi, real a, real b) noexcept nogil:
    """a where lo < v < hi, else b: two nested selects, v not NaN."""
    return pick(v < hi, pick(v > lo, a, b), b)


cdef inline real nan_or(real x, real r) noexcept nogil:
    """x where x is NaN (a quiet compare), else r."""
    return pick(x != x, x, r)


cdef inline real clamp_0_6(real a) noexcept nogil:
    """min(max(a, +0), 6) (-0 and every negative give +0). With integer
    compares, on the bits: then NaN needs no replacing (+NaN gives 6, -NaN
    +0; callers restore it); without (float64 on SSE2), a may not be NaN,
    and the clamp is two nested selects (see nan_to_one)."""
    cdef real zero = 0, six = 6
    if real is float:
        return bits_f32(min_i32(max_i32(f32_bits(a), 0), 0x40c00000))
    elif FA_I64_CMP:
        return bits_f64(min_i64(max_i64(f64_bits(a), 0), 0x4018000000000000LL))
    else:
        return pick(a < six, pick(a > zero, a, zero), six)


cdef inline real div6(real a) noexcept nogil:
    """fl(a / 6), correctly rounded, for a = +-0 or |a| >= 2^-125 (float32) or
    2^-1021 (float64). With FMA: q = fl(a * s), s = fl(1/6); the remainder
    a - 6q is exact by one FMA, and q + remainder * s rounded once is the
    correctly rounded quotient (Markstein's theorem) -- except where a/6 is a
    midpoint between two floats, rounded to even by the division but not
    here. That happens only when the quotient is subnormal and a is on the
    finest grid (a = (6k + 3) * 2^-149 or 2^-1074), hence the bound on |a|;
    checked over every float32 a, zeros keep their sign. A multiply and two
    FMAs in place of one divide. Without FMA (the baseline tier) the divide."""
    cdef real one = 1, six = 6
    cdef real sixth = one / six
    cdef real q
    if FA_FMA:
        # q + (6q - a)(-1/6) rather than q + (a - 6q)/6: the same value, and
        # for a = -0 the sum keeps -0 (-0 + -0) where the other gives +0
        q = a * sixth
        if real is float:
            return fmaf(fmaf(q, six, -a), -sixth, q)
        else:
            return fma(fma(q, six, -a), -sixth, q)
    else:
        return a / six


cdef inline real magnitude_at_most(real x, real limit) noexcept nogil:
    """x with its magnitude limited to the positive finite `limit`, on its
    bits: an integer min of the magnitude's bits, x's sign bit kept. -0
    stays -0; inf and NaN give +-limit (callers restore NaN). No float
    compare or select: gcc has no condition to split the kernel on."""
    if real is float:
        return bits_f32(min_i32(f32_bits(x) & 0x7fffffff, f32_bits(limit))
                        | (f32_bits(x) & (-2147483647 - 1)))
    else:
        return bits_f64(min_i64(f64_bits(x) & 0x7fffffffffffffffLL, f64_bits(limit))
                        | (f64_bits(x) & (-9223372036854775807LL - 1)))


cdef inline real div6_fast(real a) noexcept nogil:
    """fl(a / 6) for a in div6's range by its products where the tier is
    fastest so (DIV6_BY_PRODUCTS: AVX-512); elsewhere the divide, right for
    every a. For normal forms run on the blocks that any_outside_div6 passes
    (_kernels_bits.pxi)."""
    cdef real six = 6
    if DIV6_BY_PRODUCTS:
        return div6(a)
    return a / six


cdef inline real in_div6_range(real a) noexcept nogil:
    """a where div6 takes it (0, or finite and at least 2^-125 (2^-1021) in
    magnitude), else +0: a's bits masked by one unsigned compare."""
    if real is float:
        return bits_f32(f32_bits(a) & -<int32_t>(
            <uint32_t>((f32_bits(a) & 0x7fffffff) - 0x01000000) < <uint32_t>(0x7f800000 - 0x01000000)))
    else:
        return bits_f64(f64_bits(a) & -<int64_t>(
            <uint64_t>((f64_bits(a) & 0x7fffffffffffffffLL) - 0x0020000000000000LL)
            < <uint64_t>(0x7ff0000000000000LL - 0x0020000000000000LL)))


cdef inline real div6_any(real a) noexcept nogil:
    """fl(a / 6), correctly rounded, for every a, with no divide where
    div6_fast takes none and no microcode assist on a subnormal a at any
    tier. Outside div6's range: for 0 < |a| < 2^-125 (2^-1021; subnormals
    and the smallest normals) the quotient is subnormal, a/6 in units of
    the smallest subnormal rounded to a whole number of them (div6_units),
    and |a| in those units is its magnitude's bits read as an integer (below
    2^24 / 2^53); inf and NaN give themselves (inf / 6 = inf), kept out of
    the arithmetic (inf - inf in div6 would raise "invalid"), as are the
    tiny values (a subnormal product: an assist). Elsewhere the divide, with
    a subnormal a taken in units the same way (at AVX2 this form made
    hard_sigmoid_backward's float64 loop on subnormals 0.73x as fast)."""
    cdef real six = 6
    cdef real tiny_part, tiny_units, tiny_quotient
    cdef bint tiny, finite
    if not DIV6_BY_PRODUCTS:
        return pick(is_subnormal(a), div6_units(units(subnormal_part(a)), a), normal_part(a) / six)
    # a where |a| < 2^-125 (2^-1021; zeros included), else +0, by an integer
    # mask (the units of inf would be inf, and div6_units would raise
    # "invalid" on it)
    if real is float:
        finite = (f32_bits(a) & 0x7fffffff) < 0x7f800000
        tiny = (f32_bits(a) & 0x7fffffff) < 0x01000000
        tiny_part = bits_f32(f32_bits(a) & -<int32_t>tiny)
        tiny_units = units(tiny_part)           # the bits as an integer, converted
    else:
        finite = (f64_bits(a) & 0x7fffffffffffffffLL) < 0x7ff0000000000000LL
        tiny = (f64_bits(a) & 0x7fffffffffffffffLL) < 0x0020000000000000LL
        # |a| in units of the smallest subnormal: its magnitude's bits (below
        # 2^53 here, the smallest normals too) converted, one instruction at
        # AVX-512 (vcvtqq2pd), the only tier with div6's products
        tiny_units = <double>(f64_bits(a) & 0x7fffffffffffffffLL & -<int64_t>tiny)
    tiny_quotient = div6_units(tiny_units, a)
    # div6 on a made +0 where outside its range, by an integer mask: a select
    # there, gcc moved after the products, which then met the subnormals
    return pick(finite, pick(tiny, tiny_quotient, div6(in_div6_range(a))), a)


cdef inline real relu6_1(real x) noexcept nogil:
    cdef real zero = 0, six = 6
    cdef real r
    if real is float or FA_I64_CMP:
        r = clamp_0_6(x)
    else:
        r = clamp_0_6(nan_to_one(x))
    return nan_or(x, r)


cdef inline bint in_0_6(real x) noexcept nogil:
    """0 < x < 6, False for NaN; no ordered compare on NaN. (Without 64-bit
    integer compares, True for NaN: NaN is tested as 1. Callers restore NaN.)"""
    cdef real zero = 0, six = 6
    cdef int32_t b
    if real is float:
        # as integers, +NaN is above 6's bits and every negative below 0
        b = f32_bits(x)
        return (b > 0) & (b < 0x40c00000)
    elif FA_I64_CMP:
        return (f64_bits(x) > 0) & (f64_bits(x) < 0x4018000000000000LL)
    else:
        x = nan_to_one(x)
        return (x > zero) & (x < six)


cdef inline bint abs_below_3(real x) noexcept nogil:
    """|x| < 3, False for NaN; no ordered compare on NaN. (Without 64-bit
    integer compares, True for NaN: NaN is tested as 1. Callers restore NaN.)"""
    cdef real three = 3
    if real is float:
        return (f32_bits(x) & 0x7fffffff) < 0x40400000
    elif FA_I64_CMP:
        return (f64_bits(x) & 0x7fffffffffffffffLL) < 0x4008000000000000LL
    else:
        return fabs_real(nan_to_one(x)) < three


cdef inline real relu6_backward_1(real grad_out, real x) noexcept nogil:
    cdef real zero = 0, six = 6
    if real is double and not FA_I64_CMP:
        return nan_or(x, between(nan_to_one(x), zero, six, grad_out, zero))
    return nan_or(x, pick(in_0_6(x), grad_out, zero))


cdef inline real relu6_grad_1(real x) noexcept nogil:
    # the backward pass with a grad_out of 1: its test of 0 < x < 6 on the bits
    cdef real one = 1
    return relu6_backward_1(one, x)


cdef inline real hard_sigmoid_1(real x) noexcept nogil:
    # x + 3 is NaN for NaN x (no flag: arithmetic is quiet on quiet NaNs);
    # clamped to [0, 6] it is 0 or at least 2^-22 (2^-51), so div6 applies
    cdef real three = 3
    cdef real a
    if real is float or FA_I64_CMP:
        a = clamp_0_6(x + three)
    else:
        a = clamp_0_6(nan_to_one(x) + three)
    return nan_or(x, div6(a))


cdef inline real where_abs_below_3(real x, real v) noexcept nogil:
    """v where -3 < x < 3, else +0 (either for NaN x: callers restore x):
    the test on the bits (abs_below_3), by float compares on x with NaN made
    1 where the tier has no 64-bit integer compares (float64 at baseline)."""
    cdef real zero = 0, three = 3
    if real is double and not FA_I64_CMP:
        return between(nan_to_one(x), -three, three, v, zero)
    return pick(abs_below_3(x), v, zero)


cdef inline real hard_sigmoid_grad_1(real x) noexcept nogil:
    # hard_sigmoid_backward's test of -3 < x < 3, 1/6 there
    cdef real one = 1, six = 6
    return nan_or(x, where_abs_below_3(x, one / six))


cdef inline real hard_sigmoid_backward_normal_1(real grad_out, real x) noexcept nogil:
    # grad_out / 6 rather than grad_out * fl(1/6): one rounding, not two; by
    # div6_fast (at AVX-512 div6's products, no divide: the float32 loop ran
    # 1.13-1.18x faster than with the divide), so this form is right only
    # where grad_out is in its range: the loop runs it on the blocks that
    # hold no other grad_out (Spec.normal_form_check), hard_sigmoid_backward_1
    # on the others. The zero picked before the quotient: 1.04x at baseline.
    return nan_or(x, div6_fast(where_abs_below_3(x, grad_out)))


cdef inline real hard_sigmoid_backward_1(real grad_out, real x) noexcept nogil:
    # every grad_out: div6_any (no assist on a subnormal one either)
    return nan_or(x, where_abs_below_3(x, div6_any(grad_out)))


cdef inline real clamp_abs_3(real x) noexcept nogil:
    """x limited to [-3, 3] on its bits (magnitude_at_most)."""
    cdef real three = 3
    return magnitude_at_most(x, three)


cdef inline float clamp_abs_3_by_mins(float x) noexcept nogil:
    """clamp_abs_3 of a float32 in two integer mins (vpminud, vpminsd)
    rather than four instructions: as unsigned, -3's bits are above every
    positive value and below the negatives from -3 down (-inf and -NaN
    included); as signed, 3's are above every negative value and below the
    positives from 3 up. For hard_swish, which needs no magnitude otherwise
    (hard_swish_backward does, and is faster with clamp_abs_3's)."""
    return bits_f32(min_i32(<int32_t>min_u32(<uint32_t>f32_bits(x), 0xc0400000U),
                            0x40400000))


cdef inline bint at_least_3(real x) noexcept nogil:
    """x >= 3 or x = +NaN: as signed integers, the bits of the positive
    floats from 3 up (+inf, +NaN) and no others are at least 3's. (Without
    64-bit integer compares, x >= 3 and False for NaN.)"""
    cdef real three = 3
    if real is float:
        return f32_bits(x) >= 0x40400000
    elif FA_I64_CMP:
        return f64_bits(x) >= 0x4008000000000000LL
    else:
        return nan_to_one(x) >= three


cdef inline bint below_div6_bound_or_nan(real x) noexcept nogil:
    """|x| <= floor(2^24 / 3) * 2^-149 (floor(2^53 / 3) * 2^-1074), below
    div6's bound once multiplied by x + 3 (hard_swish_normal_1), or x is
    NaN: one signed compare of |x|'s bits plus an offset that takes NaN's,
    the patterns above inf's, past the largest integer to the negatives.
    (Without 64-bit integer compares: the bound alone, False for NaN.)"""
    cdef uint32_t m32
    cdef uint64_t m64
    if real is float:
        m32 = <uint32_t>f32_bits(x) & 0x7fffffffU
        return <int32_t>(m32 + 0x7fffffU) <= 0x555555 + 0x7fffff
    elif FA_I64_CMP:
        m64 = <uint64_t>f64_bits(x) & 0x7fffffffffffffffULL
        return <int64_t>(m64 + 0xfffffffffffffULL) <= 0xAAAAAAAAAAAAALL + 0xfffffffffffffLL
    else:
        return fabs_real(nan_to_one(x)) <= bits_f64(0xAAAAAAAAAAAAALL)


cdef inline real hard_swish_normal_1(real x) noexcept nogil:
    cdef real three = 3, half = 0.5
    # x * 0 below -3 is -0.0 from xc = -3, without ever being -inf * 0
    cdef real xc, p, mid
    # fl(p / 6): div6 where it is exact. Below its bound p is subnormal,
    # and for |x| < 2^-125 / 3 (2^-1021 / 3) exactly 3x: x + 3 rounds to 3
    # and 3x is on x's grid. So there p / 6 is x / 2, which the product
    # x * 0.5 rounds correctly. (Above, up to p = 2^-125, p = fl(3x) is a
    # multiple of 2^-148 and p / 6 never a tie.) NaN takes x * 0.5 too, a
    # NaN (-NaN's xc is -3, whose p would give -0), so that the last pick
    # needs no NaN test of its own: one integer compare for the two tests
    # (below_div6_bound_or_nan), where two float compares into mask
    # registers and their OR were 1.14-1.25x slower on an AMD Zen 5.
    if real is float:
        xc = clamp_abs_3_by_mins(x)
    else:
        # (float64 keeps div6 and the 64-bit clamp. A divide measured 1.1x
        # faster on Zen 4 for normal x, but a divide whose quotient is
        # subnormal takes a microcode assist, 1.3-1.6x slower on subnormal
        # x, where the products and FMAs of div6 cost nothing extra.)
        xc = clamp_abs_3(x)
    p = xc * (xc + three)                   # xc + 3 is in [0, 6]
    mid = pick(below_div6_bound_or_nan(x), x * half, div6(p))
    # x >= 3 and +NaN: x itself (torch's x * 6 / 6 could round or overflow)
    if real is double and not FA_I64_CMP:
        return pick(at_least_3(x) | (x != x), x, mid)
    return pick(at_least_3(x), x, mid)


cdef inline real hard_swish_1(real x) noexcept nogil:
    # hard_swish_normal_1, and where x is subnormal fl(fl(3x) / 6) in units of
    # the smallest subnormal (div6_units; fl(3x) there is 3m rounded as
    # a float, m x's pattern: below the smallest normal 3m itself, above it
    # rounded to the same 24 (53) bits); the normal form sees a zero there
    # (normal_part). The loop runs this form only on blocks that hold a
    # subnormal x (Spec.normal_form).
    cdef real three = 3
    cdef real tiny_part = div6_units(units(subnormal_part(x)) * three, x)
    return pick(is_subnormal(x), tiny_part, hard_swish_normal_1(normal_part(x)))


cdef inline real hard_swish_slope(real x) noexcept nogil:
    # (2x + 3) / 6 on (-3, 3): 2x + 3 is 0 or at least 2^-22 (2^-51) there,
    # so div6 gives the quotient; 1 from 3 up, 0 from -3 down. 2x is exact
    # and, near the zero at x = -1.5, so is 2x + 3 (Sterbenz), which
    # x/3 + 1/2 would not be.
    cdef real zero = 0, one = 1, three = 3
    cdef real xc = clamp_abs_3(x)
    cdef real mid = div6(xc + xc + three)
    cdef real outside = pick(at_least_3(x), one, zero)
    return pick(abs_below_3(x), mid, outside)


cdef inline real hard_swish_grad_normal_1(real x) noexcept nogil:
    # hard_swish_slope (above), NaN restored: (2x + 3) / 6 by div6, 1.4x
    # (float32) / 1.2-1.9x (float64) faster than the divide at AVX2 and
    # AVX-512. Without 64-bit integer compares (float64 at the baseline
    # tier) its clamp on the bits is scalar code (0.35x): the divide there,
    # with 2x + 3 kept finite. Right everywhere, only slow on a subnormal x:
    # x + x + 3 costs 11-14 times the normal time there (microcode assists),
    # which hard_swish_grad_1 avoids.
    cdef real zero = 0, one = 1, three = 3, six = 6
    cdef real xs, xc, mid, g
    if real is double and not FA_I64_CMP:
        xs = not_nan_or_zero(x)
        xc = xs if fabs_real(xs) < three else zero   # keeps 2x + 3 finite
        mid = (xc + xc + three) / six
        g = zero if xs <= -three else (mid if xs < three else one)
        return x if is_nan(x) else g
    return nan_or(x, hard_swish_slope(x))


cdef inline real hard_swish_grad_1(real x) noexcept nogil:
    # the normal form of x made +0 where subnormal, whose slope 1/2 is its
    # own (2x + 3 rounds to 3). For the blocks that hold one: on every block
    # it cost 1.3-1.4 times the normal form's time.
    return hard_swish_grad_normal_1(normal_part(x))


cdef inline real hard_swish_backward_normal_1(real grad_out, real x) noexcept nogil:
    return nan_or(x, mul_by_finite_quiet(grad_out, hard_swish_slope(x)))


cdef inline real hard_swish_backward_1(real grad_out, real x) noexcept nogil:
    # hard_swish_backward_normal_1, and where grad_out is subnormal its exact
    # product with the slope (in [-1/2, 3/2]: mul_subnormal); a subnormal x is
    # made 0 first, whose slope 1/2 is its own (2x + 3 rounds to 3). The
    # loop runs this form only on blocks with a subnormal grad_out or x.
    cdef real slope = hard_swish_slope(normal_part(x))
    cdef real product = mul_by_finite_quiet(normal_part(grad_out), slope)
    return nan_or(x, pick(is_subnormal(grad_out),
                          mul_subnormal(subnormal_part(grad_out), slope), product))


cdef inline real mul_by_finite_quiet(real a, real s) noexcept nogil:
    """a * s for a finite s: mul_quiet's result (NaN for inf * 0, without
    "invalid"), the product as one FMA (mul_fused: hard_swish_backward's
    normal form runs on subnormals too on AMD Zen 5). With s never inf the
    case is |a| = inf and s = +-0, one integer compare of (|a|'s bits ^ inf's) | |s|'s bits with 0: fewer
    instructions than mul_quiet's integer min and max, which float64 builds
    from 64-bit compares and blends (1.1x float32, 1.2x float64 over
    hard_swish_backward's loop). Without 64-bit integer compares, mul_quiet."""
    cdef int32_t u32
    cdef int64_t u64
    if real is float:
        u32 = ((f32_bits(a) & 0x7fffffff) ^ 0x7f800000) | (f32_bits(s) & 0x7fffffff)
        return mul_fused(nan_of(a) if u32 == 0 else a, s)
    elif FA_I64_CMP:
        u64 = (((f64_bits(a) & 0x7fffffffffffffffLL) ^ 0x7ff0000000000000LL)
               | (f64_bits(s) & 0x7fffffffffffffffLL))
        return mul_fused(nan_of(a) if u64 == 0 else a, s)
    else:
        return mul_quiet(a, s)
