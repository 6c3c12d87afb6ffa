# fastact's C-level API: the kernels as monomorphic functions, for Cython
# (`from fastact.kernels cimport fa_sigmoid_f32`), for C through fastact.h,
# and for numba/ctypes/cffi through `fastact.kernel_address`.
#
# Every function works on contiguous buffers of n elements, releases nothing
# and needs no GIL, runs on the calling thread only, and is reentrant. Output
# and input pointers may be equal (in place); other overlap is not supported.
# Each call goes to the ISA tier chosen when fastact was imported.
#
# This list is an ABI: names and signatures never change (tests/test_abi.py,
# which also lists the lines a new kernel adds to tests/c_api_abi.txt).
# setup.py generates fastact.h from it (fastact/_capi.py), so keep one form:
# `cdef void fa_<name>_<f32|f64>(<params>) noexcept nogil`, plain C types,
# parameters named, nothing else declared here (every cdef function declared
# in this file is exported).

cdef void fa_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_sigmoid_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_sigmoid_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_relu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_relu_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_leaky_relu_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_leaky_relu_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil
cdef void fa_leaky_relu_grad_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_leaky_relu_grad_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil
cdef void fa_leaky_relu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_leaky_relu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double alpha) noexcept nogil

# The ReLU6 and hard family and gelu: relu6, hard_sigmoid, hard_swish, gelu.
# Backward takes the forward input x.
cdef void fa_relu6_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu6_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu6_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu6_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_relu6_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_relu6_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_hard_sigmoid_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_hard_swish_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil

# softmax along the last axis of a C-ordered (rows, cols) block: each of the
# `rows` rows of `cols` contiguous elements is done on its own (in place when
# y == x). softmax_backward takes y = softmax(x) and returns y (g - <g, y>).
cdef void fa_softmax_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_softmax_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_log_softmax_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_log_softmax_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_softmax_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_softmax_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
cdef void fa_tanh_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_tanh_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_tanh_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_tanh_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_tanh_backward_f32(const float *grad_out, const float *y, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_tanh_backward_f64(const double *grad_out, const double *y, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_softsign_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_softplus_f32(const float *x, float *y, Py_ssize_t n, float beta, float threshold) noexcept nogil
cdef void fa_softplus_f64(const double *x, double *y, Py_ssize_t n, double beta, double threshold) noexcept nogil
cdef void fa_softplus_grad_f32(const float *x, float *y, Py_ssize_t n, float beta, float threshold) noexcept nogil
cdef void fa_softplus_grad_f64(const double *x, double *y, Py_ssize_t n, double beta, double threshold) noexcept nogil
cdef void fa_softplus_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float beta, float threshold) noexcept nogil
cdef void fa_softplus_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double beta, double threshold) noexcept nogil
cdef void fa_log_sigmoid_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_log_sigmoid_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_log_sigmoid_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_log_sigmoid_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_log_sigmoid_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_log_sigmoid_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_silu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_silu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_silu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_silu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_silu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_silu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_gelu_tanh_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_elu_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_elu_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil
cdef void fa_elu_grad_f32(const float *x, float *y, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_elu_grad_f64(const double *x, double *y, Py_ssize_t n, double alpha) noexcept nogil
cdef void fa_elu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n, float alpha) noexcept nogil
cdef void fa_elu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n, double alpha) noexcept nogil
cdef void fa_selu_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_selu_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_selu_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_selu_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_selu_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_selu_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_mish_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_mish_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_mish_grad_f32(const float *x, float *y, Py_ssize_t n) noexcept nogil
cdef void fa_mish_grad_f64(const double *x, double *y, Py_ssize_t n) noexcept nogil
cdef void fa_mish_backward_f32(const float *grad_out, const float *x, float *grad_in, Py_ssize_t n) noexcept nogil
cdef void fa_mish_backward_f64(const double *grad_out, const double *x, double *grad_in, Py_ssize_t n) noexcept nogil
