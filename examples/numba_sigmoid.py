"""numba code calling fastact's kernels, found by name in fastact.kernels.

numba's get_cython_function_address reads a function's address from a Cython
module's __pyx_capi__; ctypes describes its C signature; numba then compiles
a direct call to it (no Python objects, no GIL). Run: python numba_sigmoid.py
"""
import ctypes

import numba
import numpy as np
from numba.extending import get_cython_function_address

# void fa_sigmoid_f32(const float *x, float *y, Py_ssize_t n)
_sigmoid_f32 = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t)(
    get_cython_function_address("fastact.kernels", "fa_sigmoid_f32"))
# void fa_leaky_relu_f64(const double *x, double *y, Py_ssize_t n, double alpha)
_leaky_relu_f64 = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_double)(
    get_cython_function_address("fastact.kernels", "fa_leaky_relu_f64"))


@numba.njit(nogil=True, parallel=True)
def sigmoid_rows(x, out):
    """out[i] = sigmoid(x[i]) for each row of C-contiguous float32 2-d arrays,
    rows spread over numba's threads (the kernels are single-threaded)."""
    for i in numba.prange(x.shape[0]):
        _sigmoid_f32(x[i].ctypes.data, out[i].ctypes.data, x.shape[1])
    return out


@numba.njit(nogil=True)
def leaky_relu(x, alpha):
    """leaky_relu of a contiguous float64 array, into a new array."""
    out = np.empty_like(x)
    _leaky_relu_f64(x.ctypes.data, out.ctypes.data, x.size, alpha)
    return out


if __name__ == "__main__":
    import fastact

    x = np.random.default_rng(0).standard_normal((4, 1000)).astype(np.float32)
    print("sigmoid_rows matches fastact.reference:",
          np.allclose(sigmoid_rows(x, np.empty_like(x)), fastact.reference.sigmoid(x), rtol=1e-6))
    z = x.astype(np.float64).ravel()
    print("leaky_relu matches fastact.reference:",
          np.array_equal(leaky_relu(z, 0.2), fastact.reference.leaky_relu(z, 0.2)))
