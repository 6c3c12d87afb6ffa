"""High-precision oracles for `python -m fastact check`.

ORACLE maps each catalogue function name to a callable with the function's
signature (inputs positionally, parameters as keywords) that computes it in
the *working precision* of its arguments: the check passes float64 arrays for
float32 results and np.longdouble arrays for float64 results, with parameters
first rounded to the result dtype (what the ufunc sees) and then widened. The
callables return an array of that working precision.

The formulas come from DESIGN.md, written independently of the kernels and of
`fastact.reference`: each uses the numerically stable form (exp(-|x|), which
cannot overflow), so its own error is a few units of the working precision —
around 1e-3 ulp of the result dtype on x86-64, where longdouble carries a
64-bit significand. (Where longdouble is plain double, the float64 check is
only as good as a float64 computation; `check` says so.)

To add a function: one entry here, named as in `fastact._catalog.SPECS`.
"""
import numpy as np


def _one(x):
    return x.dtype.type(1)


def _zero(x):
    return x.dtype.type(0)


def _nan_where_nan(x, r):
    """NaN in x gives NaN out, whatever the formula did with it."""
    return np.where(np.isnan(x), x, r)


def sigmoid(x):
    # s = 1 / (1 + t) with t = e^-|x| in [0, 1] (never overflows) is sigma(|x|);
    # sigma(-|x|) = t s. Each step rounds in the working precision only.
    t = np.exp(-np.abs(x))
    s = _one(x) / (_one(x) + t)
    return np.where(x >= 0, s, t * s)


def sigmoid_grad(x):
    # sigma(x) (1 - sigma(x)) = t / (1 + t)^2 = t s^2: no cancellation.
    t = np.exp(-np.abs(x))
    s = _one(x) / (_one(x) + t)
    return t * s * s


def sigmoid_backward(grad_out, y):
    return grad_out * (y * (_one(y) - y))


def relu(x):
    # max(x, 0) with +0.0 for every x <= 0 (also -0.0); NaN stays NaN.
    return np.where(x > 0, x, _nan_where_nan(x, np.zeros_like(x)))


def relu_grad(x):
    return _nan_where_nan(x, np.where(x > 0, _one(x), _zero(x)))


def relu_backward(grad_out, y):
    # The gradient is masked, not multiplied: NaN in grad_out where y <= 0
    # gives 0 (PyTorch's threshold_backward); NaN in y gives NaN.
    return _nan_where_nan(y, np.where(y > 0, grad_out, _zero(grad_out)))


def leaky_relu(x, alpha):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_grad(x, alpha):
    return _nan_where_nan(x, np.where(x > 0, _one(x), alpha + _zero(x)))


def leaky_relu_backward(grad_out, x, alpha):
    return _nan_where_nan(x, np.where(x > 0, grad_out, alpha * grad_out))


ORACLE = {
    "sigmoid": sigmoid,
    "sigmoid_grad": sigmoid_grad,
    "sigmoid_backward": sigmoid_backward,
    "relu": relu,
    "relu_grad": relu_grad,
    "relu_backward": relu_backward,
    "leaky_relu": leaky_relu,
    "leaky_relu_grad": leaky_relu_grad,
    "leaky_relu_backward": leaky_relu_backward,
}


def result_dtype(x):
    """The dtype fastact's result has when the oracle works in x's dtype: for
    oracles that must repeat a rounding of the kernel's own arithmetic."""
    return np.dtype(np.float32) if x.dtype == np.float64 else np.dtype(np.float64)


def working_dtype(dtype):
    """The precision the oracle computes in for results of `dtype`."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float32 else np.dtype(np.longdouble)
