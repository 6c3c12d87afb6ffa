"""The raw kernels of relu6, hard_sigmoid and hard_swish (and their backward
passes) raise no "invalid", "overflow" or "divide by zero" flag on NaN,
+-inf, +-huge and subnormal inputs, at every ISA tier. Through the C API
(ctypes), since the ufunc layer saves and restores the flags and would hide
them: gcc (-fno-trapping-math) may move an ordered compare onto a NaN lane or
a product onto an unclamped one, which this catches."""
import ctypes
import ctypes.util

import numpy as np
import pytest

from fastact import kernels
from fastact._capi import kernel_address

libm = ctypes.CDLL(ctypes.util.find_library("m"))
# glibc x86-64 values of FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW; FE_ALL_EXCEPT
BAD, ALL = 0x01 | 0x04 | 0x08, 0x3D
NAMES = ["relu6", "relu6_backward", "hard_sigmoid", "hard_sigmoid_backward",
         "hard_swish", "hard_swish_backward"]
P = ctypes.c_void_p


def values(dtype):
    fi = np.finfo(dtype)
    v = np.array([np.nan, -np.nan, np.inf, -np.inf, fi.max, -fi.max, 1e30, -1e30, 7.0, -7.0,
                  3.0, -3.0, 0.0, -0.0, 1.0, -1.0, fi.smallest_subnormal, -fi.smallest_subnormal],
                 dtype=dtype)
    return np.tile(v, 17)


@pytest.mark.skipif(not hasattr(libm, "fetestexcept"), reason="no fetestexcept")
@pytest.mark.parametrize("tier", kernels.available_isas())
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_raw_kernel_raises_no_flag(name, dtype, tier):
    before = kernels.current_isa()
    kernels._set_isa(tier)
    try:
        x = values(dtype)
        g = np.ones_like(x)
        g[::3] = np.inf
        out = np.empty_like(x)
        addr = kernel_address(f"fa_{name}_{'f32' if dtype == np.float32 else 'f64'}")
        if name.endswith("backward"):
            f = ctypes.CFUNCTYPE(None, P, P, P, ctypes.c_ssize_t)(addr)
            args = (g.ctypes.data, x.ctypes.data, out.ctypes.data, x.size)
        else:
            f = ctypes.CFUNCTYPE(None, P, P, ctypes.c_ssize_t)(addr)
            args = (x.ctypes.data, out.ctypes.data, x.size)
        libm.feclearexcept(ALL)
        f(*args)
        raised = libm.fetestexcept(ALL)
        libm.feclearexcept(ALL)
    finally:
        kernels._set_isa(before)
    assert raised & BAD == 0, hex(raised)
