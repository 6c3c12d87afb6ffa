# cython: language_level=3, boundscheck=False, wraparound=False
"""A Cython module that calls fastact's kernels directly.

`from fastact.kernels cimport ...` finds fastact/kernels.pxd in the installed
package; nothing is linked: at import this module imports fastact.kernels and
takes the functions from its __pyx_capi__. The kernels need no GIL, run on
the calling thread and work in place (out may be x).
"""
from fastact.kernels cimport (
    fa_leaky_relu_f32, fa_leaky_relu_f64,
    fa_sigmoid_backward_f32, fa_sigmoid_backward_f64,
    fa_sigmoid_f32, fa_sigmoid_f64,
)

# A fused type of our own, for one Python function per activation; fastact's
# exported names are plain C names, one per dtype.
ctypedef fused real:
    float
    double


def sigmoid(const real[::1] x, real[::1] out):
    """out[:] = sigmoid(x) for 1-d contiguous float32 or float64 arrays."""
    cdef Py_ssize_t n = x.shape[0]
    if out.shape[0] != n:
        raise ValueError("x and out differ in length")
    if n == 0:
        return
    with nogil:
        if real is float:
            fa_sigmoid_f32(&x[0], &out[0], n)
        else:
            fa_sigmoid_f64(&x[0], &out[0], n)


def leaky_relu(const real[::1] x, real[::1] out, double alpha=0.01):
    """out[:] = leaky_relu(x, alpha)."""
    cdef Py_ssize_t n = x.shape[0]
    if out.shape[0] != n:
        raise ValueError("x and out differ in length")
    if n == 0:
        return
    with nogil:
        if real is float:
            fa_leaky_relu_f32(&x[0], &out[0], n, <float>alpha)
        else:
            fa_leaky_relu_f64(&x[0], &out[0], n, alpha)


def sigmoid_backward(const real[::1] grad_out, const real[::1] y, real[::1] grad_in):
    """grad_in[:] = grad_out * y * (1 - y), y being sigmoid's output."""
    cdef Py_ssize_t n = y.shape[0]
    if grad_out.shape[0] != n or grad_in.shape[0] != n:
        raise ValueError("grad_out, y and grad_in differ in length")
    if n == 0:
        return
    with nogil:
        if real is float:
            fa_sigmoid_backward_f32(&grad_out[0], &y[0], &grad_in[0], n)
        else:
            fa_sigmoid_backward_f64(&grad_out[0], &y[0], &grad_in[0], n)
