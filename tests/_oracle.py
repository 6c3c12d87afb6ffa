"""High-precision values of the sigmoid family and a ULP-error measure.

The accuracy contract (DESIGN.md) is "at most 2 ULP from the correctly rounded
result"; measuring that needs values more precise than the dtype under test.
A float32 result is compared with the same formula evaluated in float64
(29 extra bits), a float64 result with it evaluated in np.longdouble, which on
x86-64 is the 80-bit format with a 64-bit significand (11 extra bits, and
glibc's expl is accurate to about one of its own ULP).  The formulas are the
stable ones (exp(-|x|) never overflows), so the oracle's own error is a small
fraction of a ULP of the dtype under test.
"""
import numpy as np
import pytest

LONGDOUBLE_IS_EXTENDED = np.finfo(np.longdouble).nmant >= 63


def require_oracle_for(dtype):
    """Skip the calling test where the oracle for `dtype` would be no more
    precise than `dtype` itself: float64 needs np.longdouble to be the x87
    80-bit format (it is on x86-64 Linux, where CI runs)."""
    if np.dtype(dtype) == np.float64 and not LONGDOUBLE_IS_EXTENDED:
        pytest.skip("the float64 oracle needs an extended-precision np.longdouble")


def wide_dtype(dtype):
    """The dtype the oracle computes in for results of `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return np.dtype(np.float64)
    if dtype == np.float64:
        return np.dtype(np.longdouble)
    raise TypeError(f"no oracle for {dtype}")


def _widen(*arrays):
    dtype = np.result_type(*arrays)
    wide = wide_dtype(dtype)
    return [np.asarray(a, dtype=dtype).astype(wide) for a in arrays]


def sigmoid(x):
    """sigma(x) in the wide dtype of x's dtype."""
    (x,) = _widen(x)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + t), t / (1 + t))


def sigmoid_grad(x):
    """sigma'(x) = t / (1 + t)^2, t = exp(-|x|), in the wide dtype."""
    (x,) = _widen(x)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(x))
        return t / ((1 + t) * (1 + t))


def sigmoid_backward(grad_out, y):
    """grad_out * y * (1 - y) in the wide dtype of the common input dtype."""
    g, y = _widen(grad_out, y)
    with np.errstate(all="ignore"):
        return g * (y * (1 - y))


def ulp_error(result, exact):
    """Elementwise |result - exact| in ULPs of the result's dtype.

    `result` has the dtype under test (float32 or float64); `exact` is the
    oracle's wide value.  The ULP of an exact value v is the spacing of
    |v| rounded to the result dtype (for subnormal or zero v that is the
    smallest subnormal).  Special cases:

    - NaN must be NaN in both places; a mismatch counts as an infinite error.
    - Where either the result or the rounded exact value is infinite, they must
      be equal, else the error is infinite.
    - The contract allows results below the smallest normal to be flushed to
      0: a zero result counts as exact where |exact| is below the smallest
      normal or within 2 ULP of it (a result 2 ULP low there is subnormal and
      may be flushed).  Non-zero subnormal results are measured in units of
      the smallest subnormal.
    """
    result = np.asarray(result)
    dtype = result.dtype
    wide = wide_dtype(dtype)
    exact = np.asarray(exact, dtype=wide)
    result, exact = np.broadcast_arrays(result, exact)
    err = np.zeros(result.shape, dtype=np.float64)
    with np.errstate(all="ignore"):
        rounded = exact.astype(dtype)
        nan_r, nan_e = np.isnan(result), np.isnan(exact)
        err[nan_r != nan_e] = np.inf
        both = ~(nan_r | nan_e)
        infinite = both & (np.isinf(result) | np.isinf(rounded))
        err[infinite & (result != rounded)] = np.inf
        finite = both & ~infinite
        r = result[finite].astype(wide)
        e = exact[finite]
        ulp = np.spacing(np.abs(rounded[finite])).astype(wide)
        e_ulp = np.abs(r - e) / ulp
        tiny = np.finfo(dtype).tiny
        flush_ok = (r == 0) & (np.abs(e) <= wide.type(tiny) + 2 * np.spacing(dtype.type(tiny)))
        e_ulp[flush_ok] = 0
        err[finite] = e_ulp.astype(np.float64)
    return err


def max_ulp(result, exact):
    """(max ULP error, index of the worst element) — see ulp_error."""
    err = ulp_error(result, exact)
    if err.size == 0:
        return 0.0, None
    i = int(np.argmax(err))
    return float(err.flat[i]), np.unravel_index(i, err.shape)
