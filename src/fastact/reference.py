"""Pure-numpy twins of fastact's activation functions.

This module is the numpy twin the tests compare the compiled kernels'
semantics against and the "numpy" column of the benchmarks (the
high-precision oracles are `fastact._oracle`): each function has the same name,
signature and semantics as its fastact counterpart, written the way a careful
numpy user would write it.  Every function computes in the dtype fastact's
ufuncs would (float32 stays float32, float64 and int64 give float64, by
numpy's casting rules), is numerically stable (sigmoid goes through exp(-|x|), which cannot
overflow, and sigmoid_grad is t / (1 + t)^2 with t = exp(-|x|), so its tails
stay accurate instead of cancelling to 0), and never emits a floating-point
warning.  NaN propagates from x (or y), the ReLU family returns +0.0 rather
than -0.0 for non-positive inputs, and 0-d inputs give numpy scalars.
"""
import numpy as np

from fastact._catalog import SPECS as _SPECS
from fastact._loop_dtype import as_float_arrays as _as_float_arrays
from fastact._loop_dtype import narrow_dtype as _narrow_dtype

# The catalogue's elementwise functions and the softmax trio (defined below),
# spelled out so that type checkers see the exports (tests/test_typing.py
# checks the list against the catalogue).
__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "sigmoid_backward",
    "relu",
    "relu_grad",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_grad",
    "leaky_relu_backward",
    "tanh",
    "tanh_grad",
    "tanh_backward",
    "softsign",
    "softsign_grad",
    "softsign_backward",
    "softplus",
    "softplus_grad",
    "softplus_backward",
    "log_sigmoid",
    "log_sigmoid_grad",
    "log_sigmoid_backward",
    "silu",
    "silu_grad",
    "silu_backward",
    "gelu_tanh",
    "gelu_tanh_grad",
    "gelu_tanh_backward",
    "elu",
    "elu_grad",
    "elu_backward",
    "selu",
    "selu_grad",
    "selu_backward",
    "mish",
    "mish_grad",
    "mish_backward",
    "gelu",
    "gelu_grad",
    "gelu_backward",
    "relu6",
    "relu6_grad",
    "relu6_backward",
    "hard_sigmoid",
    "hard_sigmoid_grad",
    "hard_sigmoid_backward",
    "hard_swish",
    "hard_swish_grad",
    "hard_swish_backward",
    "softmax",
    "log_softmax",
    "softmax_backward",
]


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


# ---------------------------------------------------------------------------
# ReLU6, the hard family and gelu: relu6, hard_sigmoid, hard_swish, gelu and
# the softmax trio. Same conventions: NaN in x propagates (also in the
# derivatives, where torch gives 0), the ReLU-like ones give +0.0 for x <= 0,
# infinities give the mathematical limits.



def _keep_nan(x, r):
    return np.where(np.isnan(x), x, r)


def relu6(x):
    """min(max(x, 0), 6); +0.0 for x <= 0; NaN stays NaN."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = np.where(x <= 0, dtype.type(0), np.minimum(x, dtype.type(6)))
    return _result(r)


def relu6_grad(x):
    """1 where 0 < x < 6, else 0 (torch's choice at both kinks)."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = np.where((x > 0) & (x < 6), dtype.type(1), dtype.type(0))
    return _result(_keep_nan(x, r))


def relu6_backward(grad_out, x):
    """grad_out where 0 < x < 6, else 0; NaN in x gives NaN."""
    dtype, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = np.where((x > 0) & (x < 6), g, dtype.type(0))
    return _result(_keep_nan(x, r))


def hard_sigmoid(x):
    """relu6(x + 3) / 6, in torch's order of operations."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        a = x + dtype.type(3)
        r = np.where(a <= 0, dtype.type(0), np.minimum(a, dtype.type(6))) / dtype.type(6)
    return _result(r)


def hard_sigmoid_grad(x):
    """1/6 where -3 < x < 3, else 0."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = np.where((x > -3) & (x < 3), dtype.type(1) / dtype.type(6), dtype.type(0))
    return _result(_keep_nan(x, r))


def hard_sigmoid_backward(grad_out, x):
    """grad_out / 6 where -3 < x < 3, else 0."""
    dtype, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = np.where((x > -3) & (x < 3), g, dtype.type(0)) / dtype.type(6)
    return _result(_keep_nan(x, r))


def hard_swish(x):
    """x * relu6(x + 3) / 6: (x * (x + 3)) / 6 on (-3, 3), x above, -0.0 below."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        xc = np.clip(x, dtype.type(-3), dtype.type(3))
        a = np.maximum(xc + dtype.type(3), dtype.type(0))
        r = np.where(x >= 3, x, (xc * a) / dtype.type(6))
    return _result(_keep_nan(x, r))


def hard_swish_grad(x):
    """0 for x <= -3, (2x + 3) / 6 for -3 < x < 3, 1 for x >= 3."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        mid = (x + x + dtype.type(3)) / dtype.type(6)
        r = np.where(x <= -3, dtype.type(0), np.where(x < 3, mid, dtype.type(1)))
    return _result(_keep_nan(x, r))


def hard_swish_backward(grad_out, x):
    """grad_out * hard_swish_grad(x)."""
    dtype, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * hard_swish_grad(x)
    return _result(_keep_nan(x, r))


def _ndtr(x):
    """The standard normal CDF: scipy's when installed (accurate in both
    tails), else erfc through the standard library, element by element."""
    try:
        from scipy.special import ndtr  # type: ignore[import-untyped]
    except ImportError:
        import math
        erfc = np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)), otypes=[np.float64])
        return erfc(x).astype(x.dtype)
    return ndtr(x)


def gelu(x):
    """x * Phi(x), Phi the standard normal CDF; -0.0 at -inf."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = x * _ndtr(x)
        r = np.where(x == -np.inf, dtype.type(-0.0), r)
    return _result(r)


def gelu_grad(x):
    """Phi(x) + x phi(x); 1 at +inf, 0 at -inf."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        phi = np.exp(-(x * x) / dtype.type(2)) / dtype.type(np.sqrt(2 * np.pi))
        r = _ndtr(x) + x * phi
        r = np.where(np.isinf(x), np.where(x > 0, dtype.type(1), dtype.type(0)), r)
    return _result(r.astype(dtype, copy=False))


def gelu_backward(grad_out, x):
    """grad_out * gelu_grad(x)."""
    dtype, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * gelu_grad(x)
    return _result(np.asarray(r, dtype=dtype))


def _finish(r, out):
    if out is None:
        return r
    np.copyto(out, r, casting="same_kind")
    return out


def softmax(x, axis=-1, out=None):
    """exp(x - max) / sum(exp(x - max)) along axis; rows with NaN, +inf or
    only -inf give NaN (as torch)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        r = e / np.sum(e, axis=axis, keepdims=True)
    return _finish(r, out)


def log_softmax(x, axis=-1, out=None):
    """(x - max) - log(sum(exp(x - max))) along axis."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        s = x - np.max(x, axis=axis, keepdims=True)
        r = s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    return _finish(r, out)


def softmax_backward(grad_out, y, axis=-1, out=None):
    """y * (grad_out - sum(grad_out * y)) along axis, y = softmax(x)."""
    _, (g, y) = _as_float_arrays(grad_out, y)
    with np.errstate(all="ignore"):
        r = y * (g - np.sum(g * y, axis=axis, keepdims=True))
    return _finish(r, out)
# The activation family (PyTorch's torch.nn.functional definitions). Products
# whose limit is finite but that numpy would evaluate as inf * 0 (x sigmoid(x)
# at x = -inf) are given their limit explicitly.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_GELU_K = 0.7978845608028654      # sqrt(2 / pi)
_GELU_C = 0.044715


def _sigmoid_arr(x):
    """sigmoid for an array already in its result dtype (no conversion)."""
    t = np.exp(-np.abs(x))
    one = x.dtype.type(1)
    return np.where(x >= 0, one / (one + t), t / (one + t))


def _limit_at_inf(x, r, at_neg_inf, at_pos_inf):
    """r with the given limits where x is -inf / +inf."""
    r = np.where(np.isneginf(x), x.dtype.type(at_neg_inf), r)
    return np.where(np.isposinf(x), x.dtype.type(at_pos_inf), r)


def tanh(x):
    """tanh x."""
    _, (x,) = _as_float_arrays(x)
    return _result(np.tanh(x))


def tanh_grad(x):
    """1 - tanh(x)^2 = 4 t / (1 + t)^2 with t = exp(-2|x|): accurate in the tails."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        t = np.exp(-2 * np.abs(x))
        d = dtype.type(1) + t
        r = 4 * t / (d * d)
    return _result(r)


def tanh_backward(grad_out, y):
    """grad_out * (1 - y^2), where y = tanh(x) is the forward output."""
    dtype, (g, y) = _as_float_arrays(grad_out, y)
    with np.errstate(all="ignore"):
        r = g * (dtype.type(1) - y * y)
    return _result(r)


def softsign(x):
    """x / (1 + |x|); +-1 at +-inf."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = x / (dtype.type(1) + np.abs(x))
        r = np.where(np.isinf(x), np.sign(x), r)
    return _result(r)


def softsign_grad(x):
    """1 / (1 + |x|)^2."""
    dtype, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = dtype.type(1) / (dtype.type(1) + np.abs(x))
        r = r * r
    return _result(r)


def softsign_backward(grad_out, x):
    """grad_out / (1 + |x|)^2."""
    dtype, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = dtype.type(1) / (dtype.type(1) + np.abs(x))
        r = g * (r * r)
    return _result(r)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, x where beta x > threshold; computed as
    (max(z, 0) + log1p(exp(-|z|))) / beta with z = beta x, which neither
    overflows nor loses the lower tail."""
    _, (x, beta, threshold) = _as_float_arrays(x, beta, threshold)
    with np.errstate(all="ignore"):
        z = beta * x
        r = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        r = np.where(z > threshold, x, r)
    return _result(r)


def softplus_grad(x, beta=1.0, threshold=20.0):
    """sigmoid(beta x), 1 where beta x > threshold."""
    dtype, (x, beta, threshold) = _as_float_arrays(x, beta, threshold)
    with np.errstate(all="ignore"):
        z = beta * x
        r = np.where(z > threshold, dtype.type(1), _sigmoid_arr(z))
    return _result(r)


def softplus_backward(grad_out, x, beta=1.0, threshold=20.0):
    """grad_out * softplus_grad(x, beta, threshold)."""
    dtype, (g, x, beta, threshold) = _as_float_arrays(grad_out, x, beta, threshold)
    with np.errstate(all="ignore"):
        z = beta * x
        r = g * np.where(z > threshold, dtype.type(1), _sigmoid_arr(z))
    return _result(r)


def log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return _result(r)


def log_sigmoid_grad(x):
    """sigmoid(-x)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _sigmoid_arr(-x)
    return _result(r)


def log_sigmoid_backward(grad_out, x):
    """grad_out * sigmoid(-x)."""
    _, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * _sigmoid_arr(-x)
    return _result(r)


def silu(x):
    """x * sigmoid(x); 0 at -inf."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _limit_at_inf(x, x * _sigmoid_arr(x), -0.0, np.inf)
    return _result(r)


def _silu_grad(x):
    s = _sigmoid_arr(x)
    return _limit_at_inf(x, s * (1 + x * _sigmoid_arr(-x)), 0, 1)


def silu_grad(x):
    """s (1 + x (1 - s)) with s = sigmoid(x)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _silu_grad(x)
    return _result(r)


def silu_backward(grad_out, x):
    """grad_out * silu_grad(x)."""
    _, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * _silu_grad(x)
    return _result(r)


def _gelu_tanh_v(x):
    """2 sqrt(2/pi) (x + 0.044715 x^3): 0.5 (1 + tanh(v/2)) = sigmoid(v)."""
    return (2 * _GELU_K) * (x + _GELU_C * (x * x * x))


def gelu_tanh(x):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) written as x sigmoid(v),
    which does not cancel for negative x."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _limit_at_inf(x, x * _sigmoid_arr(_gelu_tanh_v(x)), -0.0, np.inf)
    return _result(r)


def _gelu_tanh_grad(x):
    v = _gelu_tanh_v(x)
    s = _sigmoid_arr(v)
    dv = (2 * _GELU_K) * (1 + (3 * _GELU_C) * (x * x))
    return _limit_at_inf(x, s + x * s * _sigmoid_arr(-v) * dv, 0, 1)


def gelu_tanh_grad(x):
    """Derivative of gelu_tanh: s + x s (1 - s) v'(x), s = sigmoid(v)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _gelu_tanh_grad(x)
    return _result(r)


def gelu_tanh_backward(grad_out, x):
    """grad_out * gelu_tanh_grad(x)."""
    _, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * _gelu_tanh_grad(x)
    return _result(r)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha (exp(x) - 1)."""
    _, (x, alpha) = _as_float_arrays(x, alpha)
    with np.errstate(all="ignore"):
        r = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return _result(r)


def _elu_grad(x, alpha):
    r = np.where(x > 0, x.dtype.type(1), alpha * np.exp(np.minimum(x, 0)))
    return np.where(np.isnan(x), x, r)


def elu_grad(x, alpha=1.0):
    """1 if x > 0 else alpha exp(x)."""
    _, (x, alpha) = _as_float_arrays(x, alpha)
    with np.errstate(all="ignore"):
        r = _elu_grad(x, alpha)
    return _result(r)


def elu_backward(grad_out, x, alpha=1.0):
    """grad_out * elu_grad(x, alpha)."""
    _, (g, x, alpha) = _as_float_arrays(grad_out, x, alpha)
    with np.errstate(all="ignore"):
        r = g * _elu_grad(x, alpha)
    return _result(r)


def selu(x):
    """scale * elu(x, alpha) with PyTorch's constants."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    return _result(r)


def _selu_grad(x):
    return _SELU_SCALE * _elu_grad(x, x.dtype.type(_SELU_ALPHA))


def selu_grad(x):
    """scale if x > 0 else scale alpha exp(x)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _selu_grad(x)
    return _result(r)


def selu_backward(grad_out, x):
    """grad_out * selu_grad(x)."""
    _, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * _selu_grad(x)
    return _result(r)


def _softplus_arr(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def mish(x):
    """x tanh(softplus(x)); 0 at -inf."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _limit_at_inf(x, x * np.tanh(_softplus_arr(x)), -0.0, np.inf)
    return _result(r)


def _mish_grad(x):
    w = np.tanh(_softplus_arr(x))
    return _limit_at_inf(x, w + x * _sigmoid_arr(x) * (1 - w * w), 0, 1)


def mish_grad(x):
    """tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x)."""
    _, (x,) = _as_float_arrays(x)
    with np.errstate(all="ignore"):
        r = _mish_grad(x)
    return _result(r)


def mish_backward(grad_out, x):
    """grad_out * mish_grad(x)."""
    _, (g, x) = _as_float_arrays(grad_out, x)
    with np.errstate(all="ignore"):
        r = g * _mish_grad(x)
    return _result(r)


# ---------------------------------------------------------------------------
# float16 and bfloat16. fastact's ufuncs have a float16 loop before their
# float32 one (so float16, and int8, uint8 and bool, which cast to float16
# safely, compute there, as with numpy's own ufuncs: np.exp(int8) is float16)
# and, with ml_dtypes installed, a bfloat16 loop. Their contract is the
# float32 result of the same function rounded once to the narrow type, the
# parameters cast to that type first; the twins below do exactly that.

def _rounded_once(function, n_arrays, params=()):
    """`function`, computing in float32 and rounding once for operands that
    fastact computes in float16 or bfloat16. `params`: its parameters'
    names, in order after the arrays, with their defaults."""
    params = dict(params)

    def twin(*args, **kwargs):
        arrays = list(args[:n_arrays])
        given = dict(zip(params, args[n_arrays:]))
        given.update((p, kwargs.pop(p)) for p in params if p in kwargs)
        values = [given.get(p, default) for p, default in params.items()]
        rest = args[n_arrays + len(params):]     # softmax's axis
        narrow = _narrow_dtype(*arrays, *values)
        if narrow is None:
            return function(*arrays, *values, *rest, **kwargs)
        wide = [np.asarray(a, narrow).astype(np.float32) for a in arrays + values]
        if not any(np.ndim(a) for a in arrays):
            wide = [w[()] for w in wide]
        with np.errstate(all="ignore"):   # ml_dtypes' NaN casts warn
            r = function(*wide, *rest, **kwargs)
            if kwargs.get("out") is not None:
                return r        # written into out, rounded by the cast
            return np.asarray(r).astype(narrow)[()] if np.ndim(r) == 0 else r.astype(narrow)
    twin.__name__ = function.__name__
    twin.__qualname__ = function.__qualname__
    twin.__doc__ = function.__doc__
    twin.__wrapped__ = function
    return twin


for _spec in _SPECS:
    globals()[_spec.name] = _rounded_once(globals()[_spec.name], len(_spec.inputs),
                                          _spec.params)
softmax = _rounded_once(softmax, 1)
log_softmax = _rounded_once(log_softmax, 1)
softmax_backward = _rounded_once(softmax_backward, 2)
del _spec
