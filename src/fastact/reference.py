"""Pure-numpy twins of fastact's nine activation functions.

This module is the oracle the tests compare the compiled kernels against and
the "numpy" column of the benchmarks: each function has the same name,
signature and semantics as its fastact counterpart, written the way a careful
numpy user would write it.  Every function computes in the dtype fastact's
ufuncs would (float32 stays float32, float64 and int64 give float64, by
numpy's casting rules), is numerically stable (sigmoid goes through exp(-|x|), which cannot
overflow, and sigmoid_grad is t / (1 + t)^2 with t = exp(-|x|), so its tails
stay accurate instead of cancelling to 0), and never emits a floating-point
warning.  NaN propagates from x (or y), the ReLU family returns +0.0 rather
than -0.0 for non-positive inputs, and 0-d inputs give numpy scalars.
"""
import numbers

import numpy as np

__all__ = [
    "sigmoid",
    "relu",
    "leaky_relu",
    "sigmoid_grad",
    "relu_grad",
    "leaky_relu_grad",
    "sigmoid_backward",
    "relu_backward",
    "leaky_relu_backward",
]


def _as_float_arrays(*args):
    """Convert the operands to the dtype fastact's ufuncs compute in.

    As for any ufunc with float32 and float64 loops: the operands are promoted
    by numpy's rules, Python scalars being "weak" (leaky_relu(float32 array,
    alpha=0.01) stays float32, leaky_relu(2.0) is float64 like np.exp(2.0)),
    and the first loop the promoted dtype casts to safely is used (float16,
    int8 and int16 compute in float32; int32, int64 and mixed operands such as
    int8 with a Python float in float64).  Anything else raises TypeError.
    """
    operands = []
    for a in args:
        if isinstance(a, numbers.Real) and not isinstance(a, (bool, np.generic)):
            operands.append(a)  # weak Python scalar
        else:
            a = np.asarray(a)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"unsupported operand dtype {a.dtype}")
            operands.append(a.dtype)
    promoted = np.result_type(*operands)
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        if np.can_cast(promoted, dtype):
            return dtype, [np.asarray(a, dtype=dtype) for a in args]
    raise TypeError(f"unsupported operand types: no float32 or float64 loop for {promoted}")


def _result(r):
    """Return 0-d results as numpy scalars, as ufuncs do."""
    return r[()] if r.ndim == 0 else r


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(x))  # in (0, 1]: no overflow anywhere
        one = dtype.type(1)
        r = np.where(x >= 0, one / (one + t), t / (one + t))
    return _result(r)


def relu(x):
    """x if x > 0 else +0.0; NaN stays NaN."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        # `x <= 0` is False for NaN, so NaN passes through; -0.0 becomes +0.0.
        r = np.where(x <= 0, dtype.type(0), x)
    return _result(r)


def leaky_relu(x, alpha=0.01):
    """x if x > 0 else alpha * x; NaN stays NaN.  alpha broadcasts."""
    _, (x, alpha) = _as_float_arrays(x, alpha)
    with np.errstate(all="ignore"):
        r = np.where(x > 0, x, alpha * x)
    return _result(r)


def sigmoid_grad(x):
    """sigma(x) * (1 - sigma(x)) = t / (1 + t)^2 with t = exp(-|x|)."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(x))
        d = dtype.type(1) + t
        r = t / (d * d)
    return _result(r)


def relu_grad(x):
    """1 if x > 0 else 0 (0 at x = 0); NaN stays NaN."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = np.where(x > 0, dtype.type(1), dtype.type(0))
        r = np.where(np.isnan(x), x, r)
    return _result(r)


def leaky_relu_grad(x, alpha=0.01):
    """1 if x > 0 else alpha (alpha at x = 0); NaN stays NaN.  alpha broadcasts."""
    dtype, (x, alpha) = _as_float_arrays(x, alpha)
    with np.errstate(all="ignore"):
        r = np.where(x > 0, dtype.type(1), alpha)
        r = np.where(np.isnan(x), x, r)
    return _result(r)


def sigmoid_backward(grad_out, y):
    """grad_out * (y * (1 - y)), where y = sigmoid(x) is the forward output."""
    dtype, (g, y) = _as_float_arrays(grad_out, y)
    with np.errstate(all="ignore"):
        r = g * (y * (dtype.type(1) - y))
    return _result(r)


def relu_backward(grad_out, y):
    """grad_out where y > 0 else +0.0; NaN in y gives NaN.

    A NaN in grad_out where y <= 0 gives 0, as in PyTorch's threshold_backward:
    the gradient is masked, not multiplied.
    """
    dtype, (g, y) = _as_float_arrays(grad_out, y)
    with np.errstate(all="ignore"):
        r = np.where(y > 0, g, dtype.type(0))
        r = np.where(np.isnan(y), y, r)
    return _result(r)


def leaky_relu_backward(grad_out, x, alpha=0.01):
    """grad_out where x > 0 else alpha * grad_out; NaN in x gives NaN."""
    _, (g, x, alpha) = _as_float_arrays(grad_out, x, alpha)
    with np.errstate(all="ignore"):
        r = np.where(x > 0, g, alpha * g)
        r = np.where(np.isnan(x), x, r)
    return _result(r)
