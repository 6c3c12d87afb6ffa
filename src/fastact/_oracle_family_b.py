"""Exact values for the issue-5 functions built on branch family-b, to be
merged into fastact._oracle.

ORACLES maps a public name to a callable taking the same array inputs (and
keyword parameters) as the fastact function and returning the exact values
as np.longdouble (64-bit significand: exact enough to measure float64 results
to a few thousandths of an ulp). gelu and its derivatives go through mpmath
(40 digits); the rest is arithmetic that longdouble does exactly or to 2^-64.

"Exact" for the hard family follows the issue's "exact up to the final
rounding of their arithmetic": the roundings torch's formula makes before its
last operation are repeated in the input's dtype (fl(x + 3), fl(x * fl(x + 3))),
then the last operation is done exactly. A kernel matching torch's arithmetic
is then 0 ulp from the rounded oracle.
"""
import numpy as np

LD = np.longdouble


def _mp():
    import mpmath
    mpmath.mp.dps = 40
    return mpmath


def _elementwise_mp(fn, *arrays):
    mp = _mp()
    arrays = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    out = np.empty(arrays[0].shape, dtype=LD)
    flat = [a.ravel() for a in arrays]
    res = out.ravel()
    for i in range(res.size):
        vals = [float(a[i]) for a in flat]
        if any(v != v for v in vals):
            res[i] = np.nan
            continue
        v = fn(mp, *[mp.mpf(v) for v in vals])
        if abs(v) < mp.mpf("1e-4900"):       # below longdouble's range
            v = mp.mpf(0)
        res[i] = LD(float(v)) if mp.isinf(v) or v == 0 else LD(mp.nstr(v, 30))
    return out


def _phi_cdf(mp, x):
    # Past |x| = 1e4 Phi is 0 or 1 far beyond any float's resolution (and
    # mpmath's erfc overflows a float in its series test for huge arguments).
    if abs(x) > 10000:
        return mp.mpf(1) if x > 0 else mp.exp(-x * x / 2) / (-x * mp.sqrt(2 * mp.pi))
    return mp.erfc(-x / mp.sqrt(2)) / 2


def _gelu(mp, x):
    if mp.isinf(x):
        return x if x > 0 else mp.mpf(0)
    return x * _phi_cdf(mp, x)


def _gelu_grad(mp, x):
    if mp.isinf(x):
        return mp.mpf(1) if x > 0 else mp.mpf(0)
    return _phi_cdf(mp, x) + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu(x):
    return _elementwise_mp(_gelu, x)


def gelu_grad(x):
    return _elementwise_mp(_gelu_grad, x)


def gelu_backward(grad_out, x):
    return _elementwise_mp(lambda mp, g, v: g * _gelu_grad(mp, v), grad_out, x)


def _nan_of(x, r):
    return np.where(np.isnan(x), LD(np.nan), r)


def relu6(x):
    x = np.asarray(x)
    # +0.0 for every x <= 0, -0.0 included, as relu
    return _nan_of(x, np.where(x > 0, np.clip(x.astype(LD), 0, 6), LD(0)))


def relu6_grad(x):
    x = np.asarray(x)
    return _nan_of(x, np.where((x > 0) & (x < 6), LD(1), LD(0)))


def relu6_backward(grad_out, x):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    return _nan_of(x, np.where((x > 0) & (x < 6), g.astype(LD), LD(0)))


def hard_sigmoid(x):
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        a = x + x.dtype.type(3)                      # torch's first rounding
    return _nan_of(x, np.clip(a.astype(LD), 0, 6) / LD(6))


def hard_sigmoid_grad(x):
    x = np.asarray(x)
    return _nan_of(x, np.where((x > -3) & (x < 3), LD(1) / LD(6), LD(0)))


def hard_sigmoid_backward(grad_out, x):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    return _nan_of(x, np.where((x > -3) & (x < 3), g.astype(LD) / LD(6), LD(0)))


def hard_swish(x):
    x = np.asarray(x)
    t = x.dtype.type
    with np.errstate(all="ignore"):
        a = np.clip(x + t(3), t(0), t(6))            # torch's first rounding
        xa = x * a                                    # and its second
        r = np.where(x >= 3, x.astype(LD), xa.astype(LD) / LD(6))
        r = np.where(x <= -3, LD(-0.0), r)          # x * 0 with x < 0
    return _nan_of(x, r)


def hard_swish_grad(x):
    x = np.asarray(x)
    xl = x.astype(LD)
    with np.errstate(all="ignore"):
        r = np.where(x <= -3, LD(0), np.where(x < 3, (2 * xl + 3) / 6, LD(1)))
    return _nan_of(x, r)


def hard_swish_backward(grad_out, x):
    g, x = np.broadcast_arrays(np.asarray(grad_out), np.asarray(x))
    with np.errstate(all="ignore"):
        r = g.astype(LD) * hard_swish_grad(x)
    return _nan_of(x, r)


def softmax(x, axis=-1):
    xl = np.asarray(x).astype(LD)
    with np.errstate(all="ignore"):
        e = np.exp(xl - np.max(xl, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    xl = np.asarray(x).astype(LD)
    with np.errstate(all="ignore"):
        s = xl - np.max(xl, axis=axis, keepdims=True)
        # log1p of the sum without the max's own 1, so rows dominated by
        # their max keep every digit
        e = np.exp(s)
        top = np.expand_dims(np.argmax(np.where(np.isnan(xl), -np.inf, xl), axis=axis), axis)
        np.put_along_axis(e, top, LD(0), axis=axis)
        rest = np.sum(e, axis=axis, keepdims=True)
        r = s - np.log1p(rest)
        # A row holding +inf (or NaN) is all NaN, as softmax's: its max
        # subtraction is inf - inf, which the log1p of the other terms drops.
        bad = np.any(np.isnan(xl) | np.isposinf(xl), axis=axis, keepdims=True)
        return np.where(bad, LD(np.nan), r)


def softmax_backward(grad_out, y, axis=-1):
    g, y = np.broadcast_arrays(np.asarray(grad_out).astype(LD), np.asarray(y).astype(LD))
    with np.errstate(all="ignore"):
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))


ORACLES = {f.__name__: f for f in (
    gelu, gelu_grad, gelu_backward,
    relu6, relu6_grad, relu6_backward,
    hard_sigmoid, hard_sigmoid_grad, hard_sigmoid_backward,
    hard_swish, hard_swish_grad, hard_swish_backward,
    softmax, log_softmax, softmax_backward,
)}
