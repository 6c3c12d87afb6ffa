# The ReLU and hard family: relu, leaky_relu, relu6, hard_sigmoid, hard_swish,
# per element; exact (or torch's arithmetic, correctly rounded). Part of
# _kernels.pxi.

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


# The loops of leaky_relu and leaky_relu_backward, written here rather than
# generated (the catalogue says loop="hand"): per call they pick the cheaper
# small-alpha form, which computes alpha * x in every lane.

cdef void k_leaky_relu(const real *x, real *y, Py_ssize_t n, real alpha) noexcept nogil:
    cdef Py_ssize_t i
    if is_small_alpha(alpha):
        for i in range(n):
            y[i] = leaky_relu_small_alpha_1(x[i], alpha)
    else:
        for i in range(n):
            y[i] = leaky_relu_1(x[i], alpha)


cdef void k_leaky_relu_backward(const real *g, const real *x, real *out, Py_ssize_t n,
                                real alpha) noexcept nogil:
    cdef Py_ssize_t i
    if is_small_alpha(alpha):
        for i in range(n):
            out[i] = leaky_relu_backward_small_alpha_1(g[i], x[i], alpha)
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
