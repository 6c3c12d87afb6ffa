"""Input values for the tests: special values, breakpoints, grids, random draws.

Everything here is deterministic (fixed seeds), so a failure names inputs that
reproduce.
"""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)

# fastact's exp clamps its argument at these values (kernel source,
# `exp_neg_abs`); values around them are breakpoints of its math.
EXP_CLAMP = {np.dtype(np.float32): -104.0, np.dtype(np.float64): -746.0}

# The generated loops prefetch in chunks on an input above this many bytes
# (kernel source, PREFETCH_FROM_BYTES and PREFETCH_CHEAP_FROM_BYTES in
# _kernels_bits.pxi): the cheap grain's bound is for its inputs together.
def prefetch_from_bytes(spec):
    if spec.grain == "cheap":
        return (12 << 20) // len(spec.inputs)
    return 1 << 20


def special_values(dtype):
    """The values every argument of every function must handle."""
    fi = np.finfo(dtype)
    ss = float(fi.smallest_subnormal)
    tiny = float(fi.tiny)
    largest_subnormal = np.nextafter(fi.tiny, dtype(0), dtype=dtype)
    eps = float(fi.eps)
    pos = [0.0, np.inf, ss, float(largest_subnormal), tiny, float(fi.max),
           1.0, 0.5, 2.0, eps, 1e-3, 30.0, 100.0, 800.0]
    values = pos + [-v for v in pos] + [np.nan, -np.nan]
    return np.array(values, dtype=dtype)


def around(centres, dtype, steps=4):
    """Each centre rounded to `dtype` and its `steps` neighbours on each side."""
    dtype = np.dtype(dtype)
    c = np.asarray(centres, dtype=np.longdouble).astype(dtype)
    out = [c]
    up, down = c.copy(), c.copy()
    for _ in range(steps):
        up = np.nextafter(up, dtype.type(np.inf))
        down = np.nextafter(down, dtype.type(-np.inf))
        out += [up, down]
    return np.unique(np.concatenate(out))


def sigmoid_breakpoints(dtype):
    """Arguments where sigmoid-type math changes regime, with neighbours.

    ln of the smallest normal, of the smallest subnormal and of the largest
    finite value (where e^x stops being normal, underflows to 0, overflows),
    where sigmoid(x) rounds to 1 (ln(2/eps), ln(4/eps)), fastact's exp clamp,
    and the range-reduction boundaries (k + 1/2) ln 2 — all of both signs.
    """
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    ld = np.longdouble
    centres = [
        np.log(ld(fi.tiny)),
        np.log(ld(fi.smallest_subnormal)),
        np.log(ld(fi.smallest_subnormal) / 2),
        np.log(ld(fi.max)),
        np.log(2 / ld(fi.eps)),
        np.log(4 / ld(fi.eps)),
        ld(EXP_CLAMP[dtype]),
        ld(0.0),
    ]
    k_max = int(-EXP_CLAMP[dtype] / np.log(2)) + 2
    reduction = (np.arange(-k_max, k_max, dtype=ld) + ld(0.5)) * np.log(ld(2))
    centres = np.concatenate([np.array(centres, dtype=ld), reduction])
    centres = np.concatenate([centres, -centres])
    return around(centres, dtype, steps=3)


def dense_grid(dtype):
    """2,000,001 evenly spaced points across the range where sigmoid's tails
    go from 1 to 0 (±120 for float32, ±750 for float64)."""
    limit = 120.0 if np.dtype(dtype) == np.float32 else 750.0
    return np.linspace(-limit, limit, 2_000_001).astype(dtype)


def log_uniform(dtype, n, seed, low=None, high=None):
    """n values of both signs with magnitudes log-uniform in [low, high]
    (default: smallest subnormal to largest finite)."""
    fi = np.finfo(dtype)
    low = float(fi.smallest_subnormal) if low is None else low
    high = float(fi.max) if high is None else high
    rng = np.random.default_rng(seed)
    mag = np.exp(rng.uniform(np.log(low), np.log(high), n))
    with np.errstate(over="ignore"):
        return (mag * rng.choice([-1.0, 1.0], n)).astype(dtype)


def probabilities(dtype, seed):
    """Values of y in [0, 1] for sigmoid_backward: sigmoid outputs over the
    dense grid, uniform draws, values log-uniformly close to 0 and to 1, and
    the special points 0, 1/4, 1/2, 3/4, 1, subnormals."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    rng = np.random.default_rng(seed)
    x = np.linspace(-120 if dtype == np.float32 else -750, 40, 400_001)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(x))
        from_grid = np.where(x >= 0, 1 / (1 + t), t / (1 + t))
    near0 = np.exp(rng.uniform(np.log(float(fi.smallest_subnormal)), 0, 200_000))
    near1 = 1 - np.exp(rng.uniform(np.log(float(fi.eps) / 2), 0, 200_000))
    points = [0.0, 0.25, 0.5, 0.75, 1.0, float(fi.smallest_subnormal), float(fi.tiny),
              1 - float(fi.eps) / 2, float(fi.eps), float(fi.eps) / 2]
    y = np.concatenate([from_grid, rng.uniform(0, 1, 200_000), near0, near1, points])
    return y.astype(dtype)


def compounding_backward_inputs(dtype, n, seed):
    """(grad_out, y) pairs where the three roundings of g * (y * (1 - y))
    compound: y < 1/2, so 1 - y is rounded, and g chosen so that the product's
    significand is just below 2 (its ULP is then smallest relative to it)."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(0, 0.5, n).astype(dtype)
    wide = np.longdouble
    q = y.astype(wide) * (1 - y.astype(wide))
    mq, _ = np.frexp(q.astype(np.float64))  # q = mq * 2^e, mq in [0.5, 1)
    g = (0.999999 / (2 * mq)) * 2.0 ** rng.integers(-20, 20, n)
    g = g * rng.choice([-1.0, 1.0], n)
    return g.astype(dtype), y


def gradients(dtype, n, seed):
    """grad_out values: log-uniform magnitudes of both signs over the whole
    finite range, so products underflow and come close to overflowing."""
    return log_uniform(dtype, n, seed)


def mixed_sample(dtype, shape, seed, specials=True):
    """Normal values of scale 10 with special values strewn in (about 1 in 10)."""
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    if specials and a.size:
        sv = special_values(dtype)
        mask = rng.random(shape) < 0.1
        a[mask] = sv[rng.integers(0, sv.size, int(mask.sum()))]
    return a


def activation_sweep(dtype):
    """Finite x: a dense grid over the interesting range, random values, and
    magnitudes from the smallest normal to far beyond every saturation."""
    rng = np.random.default_rng(20261129)
    big = 30 if dtype == np.float32 else 300
    mags = np.logspace(-37 if dtype == np.float32 else -307, big, 4000)
    parts = [
        np.linspace(-40, 40, 160001),
        np.linspace(-1, 1, 20001),
        rng.standard_normal(40000) * 5,
        rng.standard_normal(10000) * 200,
        mags, -mags,
    ]
    return np.unique(np.concatenate(parts).astype(dtype))


def activation_landmarks(dtype):
    """Where the activations switch regime, both signs: softplus's default
    threshold and its neighbours, the kinks of relu6 and the hard family, and
    the points where exp-based kernels clamp, underflow or overflow in either
    dtype (values outside float32's range become +-inf there)."""
    values = [20.0, 20.000001, 19.999999, 3.0, 6.0, 0.5, 1e-30, 1e-45, 5e-324, 1e-300,
              88.0, 89.0, 104.0, 710.0, 745.0, 746.0, 800.0, 1e4, 1e30, 3e38, 1e300]
    with np.errstate(over="ignore", under="ignore"):
        v = np.array(values + [-v for v in values], dtype=dtype)
    return v
