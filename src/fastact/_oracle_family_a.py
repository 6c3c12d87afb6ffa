"""High-precision oracles for the activation family of issue 5, part A.

ORACLES maps a public name (tanh, tanh_grad, tanh_backward, ... mish_backward)
to a callable taking the same array inputs and keyword parameters as the
fastact function and returning the exact values as np.longdouble (x86-64:
64-bit significand, 11 bits more than float64) or, where that is not enough,
computed with mpmath. The inputs are float32 or float64 arrays; the values
are those of the mathematical function at exactly those inputs (and at the
parameters rounded to the inputs' dtype, as the kernels receive them), so the
error of a result is |result - oracle| with no further rounding in between.

Each oracle is written from the definition in the most direct stable form,
not the kernels' formulas: long double exp/log1p/expm1/tanh from the C
library, and mpmath where a float64 result depends on an argument whose
relative error is amplified (gelu_tanh's lower tail, where e^v with |v| up
to 700 would turn long double's 2^-64 into a third of a float64 ulp).

Where long double is no wider than double (MSVC, some ARM ABIs) every
float64 oracle runs through mpmath instead: exact but slow.

To be merged with fastact/_oracle.py (one dict, name -> oracle).
"""
import mpmath
import numpy as np

L = np.longdouble
_EXTENDED = np.finfo(L).nmant >= 63

# PyTorch's constants, exactly as written there
_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"
_GELU_KAPPA = "0.044715"


def _mp():
    ctx = mpmath.mp.clone()
    ctx.dps = 40
    return ctx


_MP = _mp()


def _wide(a):
    """The array in the oracle's working type."""
    return np.asarray(a).astype(L)


def _use_mpmath(*arrays):
    return not _EXTENDED and any(np.asarray(a).dtype == np.float64 for a in arrays)


def _elementwise_mp(f, *arrays):
    """f evaluated with mpmath on every element; longdouble result."""
    mpf = _MP.mpf

    def one(*xs):
        return L(_MP.nstr(f(*[mpf(float(x)) for x in xs]), 30))

    arrays = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    out = np.frompyfunc(one, len(arrays), 1)(*arrays)
    return np.asarray(out, dtype=L)


# Scalar mpmath definitions, for the fallback and the gelu_tanh tail.

def _mp_sigmoid(v):
    return 1 / (1 + _MP.exp(-v))


def _mp_softplus(x, beta=1, threshold=None):
    z = beta * x
    return _MP.log1p(_MP.exp(z)) / beta


def _mp_gelu_v(x):
    k = _MP.sqrt(2 / _MP.pi)
    return 2 * k * (x + _MP.mpf(_GELU_KAPPA) * x**3)


_MP_DEFS = {
    "tanh": lambda x: _MP.tanh(x),
    "tanh_grad": lambda x: 1 / _MP.cosh(x) ** 2,
    "tanh_backward": lambda g, y: g * (1 - y * y),
    "softsign": lambda x: x / (1 + abs(x)),
    "softsign_grad": lambda x: 1 / (1 + abs(x)) ** 2,
    "softsign_backward": lambda g, x: g / (1 + abs(x)) ** 2,
    "log_sigmoid": lambda x: -_MP.log1p(_MP.exp(-x)),
    "log_sigmoid_grad": lambda x: _mp_sigmoid(-x),
    "log_sigmoid_backward": lambda g, x: g * _mp_sigmoid(-x),
    "silu": lambda x: x * _mp_sigmoid(x),
    "silu_grad": lambda x: _mp_sigmoid(x) * (1 + x * _mp_sigmoid(-x)),
    "silu_backward": lambda g, x: g * _mp_sigmoid(x) * (1 + x * _mp_sigmoid(-x)),
    "gelu_tanh": lambda x: x * _mp_sigmoid(_mp_gelu_v(x)),
    "mish": lambda x: x * _MP.tanh(_mp_softplus(x)),
}


# ---------------------------------------------------------------------------
# long double definitions

def _sigmoid(v):
    t = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + t), t / (1 + t))


def _softplus_wide(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _with_limits(x, r, at_neg_inf, at_pos_inf):
    r = np.where(np.isneginf(x), L(at_neg_inf), r)
    return np.where(np.isposinf(x), L(at_pos_inf), r)


def _quiet(f):
    def wrapped(*args, **kwargs):
        with np.errstate(all="ignore"):
            return f(*args, **kwargs)
    wrapped.__name__ = f.__name__
    wrapped.__doc__ = f.__doc__
    return wrapped


def _fallback(name, n_arrays):
    """Wrap a long double oracle so that float64 inputs go through mpmath
    where long double is not extended precision."""
    def decorate(f):
        def oracle(*args, **params):
            arrays = args[:n_arrays]
            if name in _MP_DEFS and not params and _use_mpmath(*arrays):
                return _elementwise_mp(_MP_DEFS[name], *arrays)
            return f(*args, **params)
        oracle.__name__ = name
        oracle.__doc__ = f.__doc__
        return oracle
    return decorate


@_quiet
def _tanh(x):
    return np.tanh(_wide(x))


@_quiet
def _tanh_grad(x):
    t = np.exp(-2 * np.abs(_wide(x)))
    return 4 * t / ((1 + t) * (1 + t))


@_quiet
def _tanh_backward(grad_out, y):
    y = _wide(y)
    return _wide(grad_out) * ((1 - y) * (1 + y))


@_quiet
def _softsign(x):
    x = _wide(x)
    return np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))


@_quiet
def _softsign_grad(x):
    d = 1 + np.abs(_wide(x))
    return 1 / (d * d)


@_quiet
def _softsign_backward(grad_out, x):
    return _wide(grad_out) * _softsign_grad(x)


def _softplus_parts(x, beta, threshold):
    x = np.asarray(x)
    dt = x.dtype.type
    above = (x * dt(beta)) > dt(threshold)      # decided in x's dtype, as the kernel does
    return _wide(x), L(dt(beta)), above


@_quiet
def _softplus(x, beta=1.0, threshold=20.0):
    xw, b, above = _softplus_parts(x, beta, threshold)
    if _use_mpmath(x):
        value = _elementwise_mp(lambda v: _mp_softplus(v, _MP.mpf(float(b))), x)
    else:
        value = _softplus_wide(xw * b) / b
    return np.where(above, xw, value)


@_quiet
def _softplus_grad(x, beta=1.0, threshold=20.0):
    xw, b, above = _softplus_parts(x, beta, threshold)
    return np.where(above, L(1), _sigmoid(xw * b))


@_quiet
def _softplus_backward(grad_out, x, beta=1.0, threshold=20.0):
    return _wide(grad_out) * _softplus_grad(x, beta, threshold)


@_quiet
def _log_sigmoid(x):
    x = _wide(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@_quiet
def _log_sigmoid_grad(x):
    return _sigmoid(-_wide(x))


@_quiet
def _log_sigmoid_backward(grad_out, x):
    return _wide(grad_out) * _sigmoid(-_wide(x))


@_quiet
def _silu(x):
    x = _wide(x)
    return _with_limits(x, x * _sigmoid(x), 0, np.inf)


@_quiet
def _silu_grad(x):
    x = _wide(x)
    return _with_limits(x, _sigmoid(x) * (1 + x * _sigmoid(-x)), 0, 1)


@_quiet
def _silu_backward(grad_out, x):
    return _wide(grad_out) * _silu_grad(x)


_GELU_C1 = L(_MP.nstr(2 * _MP.sqrt(2 / _MP.pi), 30))
_GELU_C2 = L(_MP.nstr(2 * _MP.sqrt(2 / _MP.pi) * _MP.mpf(_GELU_KAPPA), 30))


def _gelu_v(x):
    return x * (_GELU_C1 + _GELU_C2 * (x * x))


@_quiet
def _gelu_tanh(x):
    xw = _wide(x)
    v = _gelu_v(xw)
    r = _with_limits(xw, xw * _sigmoid(v), 0, np.inf)
    if np.asarray(x).dtype == np.float64:
        # e^v amplifies v's relative error |v|-fold: exact values below -30
        tail = np.isfinite(xw) & (v < -30) & (v > -1000)
        if np.any(tail):
            r = np.array(r, copy=True)
            r[tail] = _elementwise_mp(_MP_DEFS["gelu_tanh"], np.asarray(x)[tail])
    return r


@_quiet
def _gelu_tanh_grad(x):
    x = _wide(x)
    v = _gelu_v(x)
    s = _sigmoid(v)
    dv = _GELU_C1 + 3 * _GELU_C2 * (x * x)
    return _with_limits(x, s + x * s * _sigmoid(-v) * dv, 0, 1)


@_quiet
def _gelu_tanh_backward(grad_out, x):
    return _wide(grad_out) * _gelu_tanh_grad(x)


def _alpha(x, alpha):
    return L(np.asarray(x).dtype.type(alpha))


@_quiet
def _elu(x, alpha=1.0):
    a = _alpha(x, alpha)
    xw = _wide(x)
    return np.where(xw > 0, xw, a * np.expm1(np.minimum(xw, 0)))


@_quiet
def _elu_grad(x, alpha=1.0):
    a = _alpha(x, alpha)
    xw = _wide(x)
    return np.where(xw > 0, L(1), a * np.exp(np.minimum(xw, 0)))


@_quiet
def _elu_backward(grad_out, x, alpha=1.0):
    return _wide(grad_out) * _elu_grad(x, alpha)


@_quiet
def _selu(x):
    xw = _wide(x)
    return L(_SELU_SCALE) * np.where(xw > 0, xw, L(_SELU_ALPHA) * np.expm1(np.minimum(xw, 0)))


@_quiet
def _selu_grad(x):
    xw = _wide(x)
    return L(_SELU_SCALE) * np.where(xw > 0, L(1), L(_SELU_ALPHA) * np.exp(np.minimum(xw, 0)))


@_quiet
def _selu_backward(grad_out, x):
    return _wide(grad_out) * _selu_grad(x)


@_quiet
def _mish(x):
    x = _wide(x)
    return _with_limits(x, x * np.tanh(_softplus_wide(x)), 0, np.inf)


@_quiet
def _mish_grad(x):
    x = _wide(x)
    sp = _softplus_wide(x)
    sech = 1 / np.cosh(sp)
    return _with_limits(x, np.tanh(sp) + x * _sigmoid(x) * (sech * sech), 0, 1)


@_quiet
def _mish_backward(grad_out, x):
    return _wide(grad_out) * _mish_grad(x)


ORACLES = {}
for _name, _f in [
    ("tanh", _tanh), ("tanh_grad", _tanh_grad), ("tanh_backward", _tanh_backward),
    ("softsign", _softsign), ("softsign_grad", _softsign_grad),
    ("softsign_backward", _softsign_backward),
    ("softplus", _softplus), ("softplus_grad", _softplus_grad),
    ("softplus_backward", _softplus_backward),
    ("log_sigmoid", _log_sigmoid), ("log_sigmoid_grad", _log_sigmoid_grad),
    ("log_sigmoid_backward", _log_sigmoid_backward),
    ("silu", _silu), ("silu_grad", _silu_grad), ("silu_backward", _silu_backward),
    ("gelu_tanh", _gelu_tanh), ("gelu_tanh_grad", _gelu_tanh_grad),
    ("gelu_tanh_backward", _gelu_tanh_backward),
    ("elu", _elu), ("elu_grad", _elu_grad), ("elu_backward", _elu_backward),
    ("selu", _selu), ("selu_grad", _selu_grad), ("selu_backward", _selu_backward),
    ("mish", _mish), ("mish_grad", _mish_grad), ("mish_backward", _mish_backward),
]:
    ORACLES[_name] = _fallback(_name, 2 if _name.endswith("_backward") else 1)(_f)
del _name, _f
