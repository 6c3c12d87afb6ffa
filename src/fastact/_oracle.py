"""High-precision oracles: the exact values of every fastact function.

ORACLES maps the name of each function of the catalogue
(`fastact._catalog.SPECS`) and of the softmax trio to its oracle, a callable
with the function's signature: the arrays positionally, exactly as fastact
receives them (float32 or float64, all of one dtype), and the parameters as
keywords (the oracle rounds them to that dtype first, as the ufunc does). It
returns the exact values in the working precision of that dtype
(`working_dtype`): float64 for float32 results, np.longdouble for float64
results. `python -m fastact check` and the tests measure errors against it.

Each oracle is written from the definition in docs/contract.md, in the most
direct numerically stable form, independently of the kernels and of
`fastact.reference`. Three ways of computing, by what the function needs:

- In the working precision: the sigmoid and ReLU trios (exp(-|x|), which
  cannot overflow; no cancellation). Their own error is a few roundings of
  the working precision, about 1e-3 ulp of the result dtype on x86-64, where
  np.longdouble carries a 64-bit significand.
- In np.longdouble whatever the result dtype (the C library's expl, log1pl,
  expm1l, tanhl): the smooth activations (tanh ... mish), the ReLU6 and hard
  family and the softmax trio. Where a float64 result depends on an argument
  whose relative error is amplified (gelu_tanh's lower tail: e^v with |v| up
  to 700 would turn longdouble's 2^-64 into a third of a float64 ulp), that
  part goes through mpmath at 40 digits; so does gelu (erfc) everywhere.
- The hard family (hard_sigmoid, hard_swish) repeats the roundings torch's
  arithmetic makes before its last operation, in the result dtype
  (fl(x + 3), fl(x * fl(x + 3))), then does the last one exactly: a kernel
  following torch's arithmetic is then 0 ulp from the rounded oracle.

Where np.longdouble is no wider than double (MSVC, some ARM ABIs) the float64
oracles of the smooth activations run through mpmath instead: exact, slow.

The functions computing in long double take their working precision as the
keyword `work` (np.longdouble by default). `float32_sweep_oracle` gives them
np.float64 for the sweep over all 2**32 float32 inputs (`check --exhaustive`):
enough for a float32 result and about ten times as fast.

mpmath is a test dependency, not a run-time one: without it the oracles that
need it are left out of ORACLES and MISSING says which and why.
"""
import functools

import numpy as np

L: type[np.longdouble] = np.longdouble
EXTENDED_LONGDOUBLE = np.finfo(L).nmant >= 63

# PyTorch's constants, exactly as written there
_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"
_GELU_KAPPA = "0.044715"
# 2 sqrt(2 / pi) and 2 sqrt(2 / pi) 0.044715 to 30 digits (mpmath, 40 digits)
_GELU_C1 = "1.59576912160573071175978423974"
_GELU_C2 = "0.0713548162726002487763387522799"


def working_dtype(dtype):
    """The precision the oracle computes in for results of `dtype`."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float32 else np.dtype(np.longdouble)


def _dtype_of(arrays):
    return np.result_type(*[np.asarray(a) for a in arrays])


# ---------------------------------------------------------------------------
# mpmath, where longdouble is not enough

@functools.lru_cache(maxsize=None)
def _mp():
    import mpmath  # type: ignore[import-untyped]
    ctx = mpmath.mp.clone()
    ctx.dps = 40
    return ctx


def _mpmath_missing():
    """Why mpmath cannot be imported, or None."""
    try:
        _mp()
    except ImportError as exc:
        return f"{exc} (pip install mpmath)"
    return None


def _elementwise_mp(f, *arrays):
    """f(mp, *values) for every element, with mpmath at 40 digits; longdouble result."""
    mp = _mp()
    arrays = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    out = np.empty(arrays[0].shape, dtype=L)
    flat = [a.ravel() for a in arrays]
    res = out.reshape(-1)
    for i in range(res.size):
        vals = [float(a[i]) for a in flat]
        if any(v != v for v in vals):
            res[i] = np.nan
            continue
        v = f(mp, *[mp.mpf(v) for v in vals])
        if abs(v) < mp.mpf("1e-4900"):       # below longdouble's range
            v = mp.mpf(0)
        res[i] = L(float(v)) if mp.isinf(v) or v == 0 else L(mp.nstr(v, 30))
    return out


def _mp_sigmoid(mp, v):
    return 1 / (1 + mp.exp(-v))


def _mp_softplus(mp, x, beta=1):
    return mp.log1p(mp.exp(beta * x)) / beta


def _mp_gelu_v(mp, x):
    k = mp.sqrt(2 / mp.pi)
    return 2 * k * (x + mp.mpf(_GELU_KAPPA) * x**3)


# The smooth activations by their definitions, for platforms whose
# longdouble is plain double (see _with_mpmath_fallback).
_MP_DEFINITIONS = {
    "tanh": lambda mp, x: mp.tanh(x),
    "tanh_grad": lambda mp, x: 1 / mp.cosh(x) ** 2,
    "tanh_backward": lambda mp, g, y: g * (1 - y * y),
    "softsign": lambda mp, x: x / (1 + abs(x)),
    "softsign_grad": lambda mp, x: 1 / (1 + abs(x)) ** 2,
    "softsign_backward": lambda mp, g, x: g / (1 + abs(x)) ** 2,
    "log_sigmoid": lambda mp, x: -mp.log1p(mp.exp(-x)),
    "log_sigmoid_grad": lambda mp, x: _mp_sigmoid(mp, -x),
    "log_sigmoid_backward": lambda mp, g, x: g * _mp_sigmoid(mp, -x),
    "silu": lambda mp, x: x * _mp_sigmoid(mp, x),
    "silu_grad": lambda mp, x: _mp_sigmoid(mp, x) * (1 + x * _mp_sigmoid(mp, -x)),
    "silu_backward": lambda mp, g, x: g * _mp_sigmoid(mp, x) * (1 + x * _mp_sigmoid(mp, -x)),
    "gelu_tanh": lambda mp, x: x * _mp_sigmoid(mp, _mp_gelu_v(mp, x)),
    "mish": lambda mp, x: x * mp.tanh(_mp_softplus(mp, x)),
}


def _use_mpmath(*arrays):
    return not EXTENDED_LONGDOUBLE and any(np.asarray(a).dtype == np.float64 for a in arrays)


# ---------------------------------------------------------------------------
# The sigmoid and ReLU trios, in the precision of their arguments (the table
# gives them arrays widened to the working precision)

def _one(x):
    return x.dtype.type(1)


def _zero(x):
    return x.dtype.type(0)


def _nan_where_nan(x, r):
    """NaN in x gives NaN out, whatever the formula did with it."""
    return np.where(np.isnan(x), x, r)


def sigmoid(x):
    # t = e^-|x| in [0, 1] never overflows; sigma(|x|) = 1 / (1 + t) and
    # sigma(-|x|) = t / (1 + t), two roundings each.
    t = np.exp(-np.abs(x))
    return np.where(x >= 0, _one(x) / (_one(x) + t), t / (_one(x) + t))


def sigmoid_grad(x):
    # sigma(x) (1 - sigma(x)) = t / (1 + t)^2: no cancellation.
    t = np.exp(-np.abs(x))
    return t / ((_one(x) + t) * (_one(x) + t))


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


# ---------------------------------------------------------------------------
# The smooth activations, in the working precision `work`: np.longdouble for
# ORACLES, np.float64 for the float32 sweep (float32_sweep_oracle). Their
# inputs come as fastact gets them; parameters are rounded to the inputs'
# dtype, then widened.

def _wide(a, work):
    return np.asarray(a).astype(work)


def _sigmoid(v):
    t = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + t), t / (1 + t))


def _softplus_wide(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _with_limits(x, r, at_neg_inf, at_pos_inf):
    r = np.where(np.isneginf(x), x.dtype.type(at_neg_inf), r)
    return np.where(np.isposinf(x), x.dtype.type(at_pos_inf), r)


def _quiet(f):
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        with np.errstate(all="ignore"):
            return f(*args, **kwargs)
    return wrapped


def _with_mpmath_fallback(name, n_arrays, f):
    """f, except that float64 inputs go through mpmath where longdouble is
    not extended precision."""
    @functools.wraps(f)
    def oracle(*args, **params):
        arrays = args[:n_arrays]
        if name in _MP_DEFINITIONS and not params and _use_mpmath(*arrays):
            return _elementwise_mp(_MP_DEFINITIONS[name], *arrays)
        return f(*args, **params)
    return oracle


@_quiet
def tanh(x, *, work=L):
    return np.tanh(_wide(x, work))


@_quiet
def tanh_grad(x, *, work=L):
    t = np.exp(-2 * np.abs(_wide(x, work)))
    return 4 * t / ((1 + t) * (1 + t))


@_quiet
def tanh_backward(grad_out, y, *, work=L):
    y = _wide(y, work)
    return _wide(grad_out, work) * ((1 - y) * (1 + y))


@_quiet
def softsign(x, *, work=L):
    x = _wide(x, work)
    return np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))


@_quiet
def softsign_grad(x, *, work=L):
    d = 1 + np.abs(_wide(x, work))
    return 1 / (d * d)


@_quiet
def softsign_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * softsign_grad(x, work=work)


def _softplus_parts(x, beta, threshold, work):
    x = np.asarray(x)
    dt = x.dtype.type
    above = (x * dt(beta)) > dt(threshold)      # decided in x's dtype, as the kernel does
    return _wide(x, work), work(dt(beta)), above


@_quiet
def softplus(x, beta=1.0, threshold=20.0, *, work=L):
    xw, b, above = _softplus_parts(x, beta, threshold, work)
    if _use_mpmath(x):
        value = _elementwise_mp(lambda mp, v: _mp_softplus(mp, v, mp.mpf(float(b))), x)
    else:
        value = _softplus_wide(xw * b) / b
    return np.where(above, xw, value)


@_quiet
def softplus_grad(x, beta=1.0, threshold=20.0, *, work=L):
    xw, b, above = _softplus_parts(x, beta, threshold, work)
    return np.where(above, work(1), _sigmoid(xw * b))


@_quiet
def softplus_backward(grad_out, x, beta=1.0, threshold=20.0, *, work=L):
    return _wide(grad_out, work) * softplus_grad(x, beta, threshold, work=work)


@_quiet
def log_sigmoid(x, *, work=L):
    x = _wide(x, work)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@_quiet
def log_sigmoid_grad(x, *, work=L):
    return _sigmoid(-_wide(x, work))


@_quiet
def log_sigmoid_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * _sigmoid(-_wide(x, work))


@_quiet
def silu(x, *, work=L):
    x = _wide(x, work)
    return _with_limits(x, x * _sigmoid(x), 0, np.inf)


@_quiet
def silu_grad(x, *, work=L):
    x = _wide(x, work)
    return _with_limits(x, _sigmoid(x) * (1 + x * _sigmoid(-x)), 0, 1)


@_quiet
def silu_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * silu_grad(x, work=work)


def _gelu_v(x):
    work = x.dtype.type
    return x * (work(_GELU_C1) + work(_GELU_C2) * (x * x))


@_quiet
def gelu_tanh(x, *, work=L):
    xw = _wide(x, work)
    v = _gelu_v(xw)
    r = _with_limits(xw, xw * _sigmoid(v), 0, np.inf)
    if np.asarray(x).dtype == np.float64:
        # e^v amplifies v's relative error |v|-fold: exact values below -30
        tail = np.isfinite(xw) & (v < -30) & (v > -1000)
        if np.any(tail):
            r = np.array(r, copy=True)
            r[tail] = _elementwise_mp(_MP_DEFINITIONS["gelu_tanh"], np.asarray(x)[tail])
    return r


@_quiet
def gelu_tanh_grad(x, *, work=L):
    x = _wide(x, work)
    v = _gelu_v(x)
    s = _sigmoid(v)
    dv = work(_GELU_C1) + 3 * work(_GELU_C2) * (x * x)
    return _with_limits(x, s + x * s * _sigmoid(-v) * dv, 0, 1)


@_quiet
def gelu_tanh_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * gelu_tanh_grad(x, work=work)


def _alpha(x, alpha, work):
    return work(np.asarray(x).dtype.type(alpha))


@_quiet
def elu(x, alpha=1.0, *, work=L):
    a = _alpha(x, alpha, work)
    xw = _wide(x, work)
    return np.where(xw > 0, xw, a * np.expm1(np.minimum(xw, 0)))


@_quiet
def elu_grad(x, alpha=1.0, *, work=L):
    a = _alpha(x, alpha, work)
    xw = _wide(x, work)
    return np.where(xw > 0, work(1), a * np.exp(np.minimum(xw, 0)))


@_quiet
def elu_backward(grad_out, x, alpha=1.0, *, work=L):
    return _wide(grad_out, work) * elu_grad(x, alpha, work=work)


@_quiet
def selu(x, *, work=L):
    xw = _wide(x, work)
    return work(_SELU_SCALE) * np.where(xw > 0, xw,
                                        work(_SELU_ALPHA) * np.expm1(np.minimum(xw, 0)))


@_quiet
def selu_grad(x, *, work=L):
    xw = _wide(x, work)
    return work(_SELU_SCALE) * np.where(xw > 0, work(1),
                                        work(_SELU_ALPHA) * np.exp(np.minimum(xw, 0)))


@_quiet
def selu_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * selu_grad(x, work=work)


@_quiet
def mish(x, *, work=L):
    x = _wide(x, work)
    return _with_limits(x, x * np.tanh(_softplus_wide(x)), 0, np.inf)


@_quiet
def mish_grad(x, *, work=L):
    x = _wide(x, work)
    sp = _softplus_wide(x)
    sech = 1 / np.cosh(sp)
    return _with_limits(x, np.tanh(sp) + x * _sigmoid(x) * (sech * sech), 0, 1)


@_quiet
def mish_backward(grad_out, x, *, work=L):
    return _wide(grad_out, work) * mish_grad(x, work=work)


# ---------------------------------------------------------------------------
# gelu (erf-based), with mpmath

def _phi_cdf(mp, x):
    # Past |x| = 1e4 Phi is 0 or 1 far beyond any float's resolution (and
    # mpmath's erfc overflows a float in its series test for huge arguments).
    if abs(x) > 10000:
        return mp.mpf(1) if x > 0 else mp.exp(-x * x / 2) / (-x * mp.sqrt(2 * mp.pi))
    return mp.erfc(-x / mp.sqrt(2)) / 2


def _mp_gelu(mp, x):
    if mp.isinf(x):
        return x if x > 0 else mp.mpf(0)
    return x * _phi_cdf(mp, x)


def _mp_gelu_grad(mp, x):
    if mp.isinf(x):
        return mp.mpf(1) if x > 0 else mp.mpf(0)
    return _phi_cdf(mp, x) + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu(x):
    return _elementwise_mp(_mp_gelu, x)


def gelu_grad(x):
    return _elementwise_mp(_mp_gelu_grad, x)


def gelu_backward(grad_out, x):
    return _elementwise_mp(lambda mp, g, v: g * _mp_gelu_grad(mp, v), grad_out, x)


# ---------------------------------------------------------------------------
# ReLU6 and the hard family: exact up to the final rounding of torch's
# arithmetic

def _nan_of(x, r):
    return np.where(np.isnan(x), r.dtype.type(np.nan), r)


def relu6(x, *, work=L):
    x = np.asarray(x)
    # +0.0 for every x <= 0, -0.0 included, as relu
    return _nan_of(x, np.where(x > 0, np.clip(x.astype(work), 0, 6), work(0)))


def relu6_grad(x, *, work=L):
    x = np.asarray(x)
    return _nan_of(x, np.where((x > 0) & (x < 6), work(1), work(0)))


def relu6_backward(grad_out, x, *, work=L):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    return _nan_of(x, np.where((x > 0) & (x < 6), g.astype(work), work(0)))


def hard_sigmoid(x, *, work=L):
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        a = x + x.dtype.type(3)                      # torch's first rounding
    return _nan_of(x, np.clip(a.astype(work), 0, 6) / work(6))


def hard_sigmoid_grad(x, *, work=L):
    x = np.asarray(x)
    return _nan_of(x, np.where((x > -3) & (x < 3), work(1) / work(6), work(0)))


def hard_sigmoid_backward(grad_out, x, *, work=L):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    return _nan_of(x, np.where((x > -3) & (x < 3), g.astype(work) / work(6), work(0)))


def hard_swish(x, *, work=L):
    x = np.asarray(x)
    t = x.dtype.type
    with np.errstate(all="ignore"):
        a = np.clip(x + t(3), t(0), t(6))            # torch's first rounding
        xa = x * a                                    # and its second
        r = np.where(x >= 3, x.astype(work), xa.astype(work) / work(6))
        r = np.where(x <= -3, work(-0.0), r)        # x * 0 with x < 0
    return _nan_of(x, r)


def hard_swish_grad(x, *, work=L):
    x = np.asarray(x)
    xl = x.astype(work)
    with np.errstate(all="ignore"):
        r = np.where(x <= -3, work(0), np.where(x < 3, (2 * xl + 3) / 6, work(1)))
    return _nan_of(x, r)


def hard_swish_backward(grad_out, x, *, work=L):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    with np.errstate(all="ignore"):
        r = g.astype(work) * hard_swish_grad(x, work=work)
    return _nan_of(x, r)


# ---------------------------------------------------------------------------
# The softmax trio: whole rows along `axis`, in longdouble

def softmax(x, axis=-1):
    xl = np.asarray(x).astype(L)
    with np.errstate(all="ignore"):
        e = np.exp(xl - np.max(xl, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    xl = np.asarray(x).astype(L)
    with np.errstate(all="ignore"):
        s = xl - np.max(xl, axis=axis, keepdims=True)
        # log1p of the sum without the max's own 1, so rows dominated by
        # their max keep every digit
        e = np.exp(s)
        top = np.expand_dims(np.argmax(np.where(np.isnan(xl), -np.inf, xl), axis=axis), axis)
        np.put_along_axis(e, top, L(0), axis=axis)
        rest = np.sum(e, axis=axis, keepdims=True)
        r = s - np.log1p(rest)
        # A row holding +inf (or NaN) is all NaN, as softmax's: its max
        # subtraction is inf - inf, which the log1p of the other terms drops.
        bad = np.any(np.isnan(xl) | np.isposinf(xl), axis=axis, keepdims=True)
        return np.where(bad, L(np.nan), r)


def softmax_backward(grad_out, y, axis=-1):
    g, y = np.broadcast_arrays(np.asarray(grad_out).astype(L), np.asarray(y).astype(L))
    with np.errstate(all="ignore"):
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))


# ---------------------------------------------------------------------------
# The table

def _in_working_precision(f):
    """An oracle of the sigmoid or ReLU trio, taking the arrays as fastact
    gets them: arrays and parameters widened to the working precision (the
    parameters first rounded to the arrays' dtype)."""
    @functools.wraps(f)
    def oracle(*arrays, **params):
        dtype = _dtype_of(arrays)
        wd = working_dtype(dtype)
        wide = [np.asarray(a, dtype=dtype).astype(wd) for a in arrays]
        params = {k: np.asarray(v, dtype=dtype).astype(wd) for k, v in params.items()}
        with np.errstate(all="ignore"):
            return np.asarray(f(*wide, **params), dtype=wd)
    oracle.in_own_precision = f
    return oracle


def _from_longdouble(f):
    """An oracle computed in longdouble (or mpmath), its values returned in
    the working precision."""
    @functools.wraps(f)
    def oracle(*args, **params):
        wd = working_dtype(_dtype_of(args[:2] if f.__name__.endswith("_backward")
                                     else args[:1]))
        return np.asarray(f(*args, **params)).astype(wd)
    return oracle


_IN_WORKING_PRECISION = [
    sigmoid, sigmoid_grad, sigmoid_backward,
    relu, relu_grad, relu_backward,
    leaky_relu, leaky_relu_grad, leaky_relu_backward,
]
_SMOOTH = [
    tanh, tanh_grad, tanh_backward,
    softsign, softsign_grad, softsign_backward,
    softplus, softplus_grad, softplus_backward,
    log_sigmoid, log_sigmoid_grad, log_sigmoid_backward,
    silu, silu_grad, silu_backward,
    gelu_tanh, gelu_tanh_grad, gelu_tanh_backward,
    elu, elu_grad, elu_backward,
    selu, selu_grad, selu_backward,
    mish, mish_grad, mish_backward,
]
_GELU = [gelu, gelu_grad, gelu_backward]
_HARD = [
    relu6, relu6_grad, relu6_backward,
    hard_sigmoid, hard_sigmoid_grad, hard_sigmoid_backward,
    hard_swish, hard_swish_grad, hard_swish_backward,
]
_IN_LONGDOUBLE = _GELU + _HARD + [softmax, log_softmax, softmax_backward]

ORACLES = {}
for _f in _IN_WORKING_PRECISION:
    ORACLES[_f.__name__] = _in_working_precision(_f)
for _f in _SMOOTH:
    _n = 2 if _f.__name__.endswith("_backward") else 1
    ORACLES[_f.__name__] = _from_longdouble(_with_mpmath_fallback(_f.__name__, _n, _f))
for _f in _IN_LONGDOUBLE:
    ORACLES[_f.__name__] = _from_longdouble(_f)
del _f, _n

# Oracles that run mpmath on every element: slow, thousands of points per
# second, not millions.
ELEMENTWISE_IN_MPMATH = {"gelu", "gelu_grad", "gelu_backward"}
# Oracles that call mpmath for some inputs; without mpmath they are left out.
NEEDS_MPMATH = ELEMENTWISE_IN_MPMATH | {"gelu_tanh"}
if not EXTENDED_LONGDOUBLE:
    NEEDS_MPMATH |= set(_MP_DEFINITIONS) | {"softplus"}

MISSING: dict[str, str] = {}   # what could not be loaded -> why
_why = _mpmath_missing()
if _why is not None:
    _left_out = [name for name in ORACLES if name in NEEDS_MPMATH]
    for _name in _left_out:
        del ORACLES[_name]
    MISSING[", ".join(_left_out)] = _why
del _why


def in_own_precision(name, *arrays, **params):
    """`name`'s formula evaluated in the arrays' own dtype, where the oracle
    is one (the sigmoid and ReLU trios): for the exact functions whose
    formula is one IEEE operation (leaky_relu's alpha x) this is the
    correctly rounded result, which settles the ties of a longdouble oracle
    rounded twice. Other functions: the oracle rounded to the arrays' dtype."""
    dtype = _dtype_of(arrays)
    f = getattr(ORACLES[name], "in_own_precision", None)
    with np.errstate(all="ignore"):
        if f is None:
            return ORACLES[name](*arrays, **params).astype(dtype)
        params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
        return np.asarray(f(*[np.asarray(a, dtype=dtype) for a in arrays], **params), dtype=dtype)


_FUNCTIONS = {f.__name__: f for f in _IN_WORKING_PRECISION + _SMOOTH + _IN_LONGDOUBLE}


def float32_sweep_oracle(name, work=np.float64):
    """The oracle for float32 results over all 2**32 inputs: a callable
    taking float32 arrays (and the parameters as keywords) as fastact does
    and returning the exact values computed in `work`; None if none fast
    enough is at hand.

    float64 is enough for a float32 result: the formulas are the stable
    ones of ORACLES (no cancellation), so their relative error is a few
    float64 roundings, amplified at most by the |v| <= 104 of e^v where a
    float32 result is not zero: below 1e-13, 1e-6 of a float32 ulp. The
    exact values then differ from ORACLES' longdouble ones by rounding to
    float32 only where these sit within 1e-13 of a tie (tests/test_oracle.py
    measures both). And float64 is about ten times as fast: long double
    arithmetic is x87 code, its expl and log1pl are not vectorized.

    gelu's oracle in ORACLES runs mpmath on every element (days over 2**32
    inputs); with work=np.float64 it is scipy's float64 erfc instead (None
    without scipy), with work=np.longdouble that mpmath oracle."""
    if name not in _FUNCTIONS:
        return None
    f = _FUNCTIONS[name]
    if name == "gelu" and work == np.float64:
        try:
            from scipy.special import erfc  # type: ignore[import-untyped]
        except ImportError:
            return None

        @_quiet
        def gelu_in_float64(x):
            xw = np.asarray(x).astype(np.float64)
            r = xw * (0.5 * erfc(-xw * np.sqrt(0.5)))
            return np.where(np.isneginf(xw), 0.0, np.where(np.isposinf(xw), xw, r))
        return gelu_in_float64
    # (signalling NaNs raise "invalid" when widened: _quiet)
    if f in _IN_WORKING_PRECISION:
        @_quiet
        def oracle(*arrays, **params):
            wide = [np.asarray(a, dtype=np.float32).astype(work) for a in arrays]
            params = {k: work(np.float32(v)) for k, v in params.items()}
            return np.asarray(f(*wide, **params), dtype=work)
    elif f in _SMOOTH or f in _HARD:
        @_quiet
        def oracle(*arrays, **params):
            arrays = [np.asarray(a, dtype=np.float32) for a in arrays]
            return np.asarray(f(*arrays, work=work, **params), dtype=work)
    elif f in _GELU:
        def oracle(*arrays, **params):
            return np.asarray(f(*[np.asarray(a, dtype=np.float32) for a in arrays]), dtype=work)
    else:
        return None      # the softmax trio: whole rows, not elementwise
    oracle.__name__ = name
    return oracle
