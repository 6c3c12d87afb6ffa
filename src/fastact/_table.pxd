# The table of contiguous kernels that one ISA tier provides.
#
# Every `_isa_<tier>` module fills one of these from the same source
# (`_kernels.pxi`) and hands it out as a PyCapsule named FA_TABLE_CAPSULE;
# `fastact.kernels` picks one table at import and everything else calls
# through it. Adding a kernel means adding a field here and a line in
# `fill_table` in `_kernels.pxi`.

# Kernel shapes; T is float or double, n the element count. Input and output
# pointers may be equal (in place); partial overlap is not supported.
ctypedef void (*unary_f32)(const float *x, float *y, Py_ssize_t n) noexcept nogil
ctypedef void (*unary_f64)(const double *x, double *y, Py_ssize_t n) noexcept nogil
ctypedef void (*unary_p_f32)(const float *x, float *y, Py_ssize_t n, float p) noexcept nogil
ctypedef void (*unary_p_f64)(const double *x, double *y, Py_ssize_t n, double p) noexcept nogil
ctypedef void (*binary_f32)(const float *a, const float *b, float *out, Py_ssize_t n) noexcept nogil
ctypedef void (*binary_f64)(const double *a, const double *b, double *out, Py_ssize_t n) noexcept nogil
ctypedef void (*binary_p_f32)(const float *a, const float *b, float *out, Py_ssize_t n, float p) noexcept nogil
ctypedef void (*binary_p_f64)(const double *a, const double *b, double *out, Py_ssize_t n, double p) noexcept nogil

# Row kernels: `rows` C-ordered rows of `cols` elements each.
ctypedef void (*rows_f32)(const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
ctypedef void (*rows_f64)(const double *x, double *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
ctypedef void (*rows2_f32)(const float *a, const float *b, float *out, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil
ctypedef void (*rows2_f64)(const double *a, const double *b, double *out, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil

cdef struct fa_table:
    unary_f32 sigmoid_f32
    unary_f64 sigmoid_f64
    unary_f32 sigmoid_grad_f32
    unary_f64 sigmoid_grad_f64
    binary_f32 sigmoid_backward_f32
    binary_f64 sigmoid_backward_f64

    unary_f32 relu_f32
    unary_f64 relu_f64
    unary_f32 relu_grad_f32
    unary_f64 relu_grad_f64
    binary_f32 relu_backward_f32
    binary_f64 relu_backward_f64

    unary_p_f32 leaky_relu_f32
    unary_p_f64 leaky_relu_f64
    unary_p_f32 leaky_relu_grad_f32
    unary_p_f64 leaky_relu_grad_f64
    binary_p_f32 leaky_relu_backward_f32
    binary_p_f64 leaky_relu_backward_f64

    unary_f32 relu6_f32
    unary_f64 relu6_f64
    unary_f32 relu6_grad_f32
    unary_f64 relu6_grad_f64
    binary_f32 relu6_backward_f32
    binary_f64 relu6_backward_f64

    unary_f32 hard_sigmoid_f32
    unary_f64 hard_sigmoid_f64
    unary_f32 hard_sigmoid_grad_f32
    unary_f64 hard_sigmoid_grad_f64
    binary_f32 hard_sigmoid_backward_f32
    binary_f64 hard_sigmoid_backward_f64

    unary_f32 hard_swish_f32
    unary_f64 hard_swish_f64
    unary_f32 hard_swish_grad_f32
    unary_f64 hard_swish_grad_f64
    binary_f32 hard_swish_backward_f32
    binary_f64 hard_swish_backward_f64

    unary_f32 gelu_f32
    unary_f64 gelu_f64
    unary_f32 gelu_grad_f32
    unary_f64 gelu_grad_f64
    binary_f32 gelu_backward_f32
    binary_f64 gelu_backward_f64

    rows_f32 softmax_f32
    rows_f64 softmax_f64
    rows_f32 log_softmax_f32
    rows_f64 log_softmax_f64
    rows2_f32 softmax_backward_f32
    rows2_f64 softmax_backward_f64
