# The contiguous loops over (pointer, n), one per kernel, and fill_table, which
# publishes them as one tier's fa_table. Part of _kernels.pxi.

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
