"""The test instruments themselves: the high-precision oracle agrees with
mpmath, and ulp_error measures what the accuracy contract says."""
from fractions import Fraction

import numpy as np
import pytest

import _inputs
from _compare import require_oracle_for, ulp_error

from fastact._catalog import SPECS
from fastact._oracle import (ELEMENTWISE_IN_MPMATH, EXTENDED_LONGDOUBLE, ORACLES,
                             float32_sweep_oracle, working_dtype)


def significand_and_exponent(v):
    """(n, e) with v == n * 2**e exactly, for any numpy float up to longdouble."""
    m, e = np.frexp(np.longdouble(v))
    return int(np.ldexp(m, 64)), int(e) - 64


def as_fraction(v):
    n, e = significand_and_exponent(v)
    return Fraction(n) * Fraction(2) ** e


DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_oracle_is_within_a_hundredth_of_an_ulp_of_mpmath(name, dtype):
    mp = pytest.importorskip("mpmath")
    require_oracle_for(dtype)
    mp.mp.prec = 200
    x = np.concatenate([_inputs.dense_grid(dtype)[::4001], _inputs.sigmoid_breakpoints(dtype)[::40],
                        _inputs.log_uniform(dtype, 300, seed=0)])
    exact = []
    for v in x:
        # the same stable identities, evaluated with 200 bits: no cancellation
        t = mp.exp(-abs(mp.mpf(float(v))))
        if name == "sigmoid":
            exact.append(1 / (1 + t) if v >= 0 else t / (1 + t))
        else:
            exact.append(t / (1 + t) ** 2)
    oracle = ORACLES[name](x)
    fi = np.finfo(dtype)
    for v, o, e in zip(x, oracle, exact):
        if abs(e) < fi.tiny:
            continue  # results below the smallest normal may be flushed anyway
        ulp = mp.mpf(float(np.spacing(abs(dtype(float(e))))))
        assert abs(mp.ldexp(*significand_and_exponent(o)) - e) / ulp < 0.01, v


@DTYPES
def test_oracle_backward_is_within_a_hundredth_of_an_ulp_of_exact_arithmetic(dtype):
    require_oracle_for(dtype)
    g = _inputs.log_uniform(dtype, 200, seed=1, low=1e-30, high=1e30)
    y = np.random.default_rng(0).uniform(0, 1, 200).astype(dtype)
    for gi, yi, oi in zip(g, y, ORACLES["sigmoid_backward"](g, y)):
        exact = as_fraction(gi) * as_fraction(yi) * (1 - as_fraction(yi))
        ulp = as_fraction(np.spacing(abs(dtype(float(exact)))))
        assert abs(as_fraction(oi) - exact) / ulp < 0.01, (gi, yi)


def test_ulp_error_counts_one_spacing_as_one_ulp():
    for dtype in (np.float32, np.float64):
        wide = working_dtype(dtype)
        v = dtype(0.3)
        err = ulp_error(np.array([np.nextafter(v, dtype(1))]), np.array([v], dtype=wide))
        assert err[0] == 1.0


def test_ulp_error_requires_nan_where_the_exact_value_is_nan_and_only_there():
    r = np.array([np.nan, np.nan, 1.0], dtype=np.float32)
    e = np.array([np.nan, 1.0, np.nan])
    assert list(ulp_error(r, e)) == [0.0, np.inf, np.inf]


def test_ulp_error_requires_matching_infinities():
    r = np.array([np.inf, np.inf, -np.inf, np.finfo(np.float32).max], dtype=np.float32)
    e = np.array([1e300, 1.0, np.inf, np.inf])
    assert list(ulp_error(r, e)) == [0.0, np.inf, np.inf, np.inf]


def test_ulp_error_lets_results_below_the_smallest_normal_flush_to_zero():
    fi = np.finfo(np.float32)
    r = np.zeros(3, dtype=np.float32)
    e = np.array([float(fi.smallest_subnormal) * 3, float(fi.tiny) * 0.99, float(fi.tiny) * 2])
    err = ulp_error(r, e)
    assert err[0] == 0 and err[1] == 0 and err[2] > 1e6


def test_ulp_error_measures_subnormal_results_in_subnormal_spacings():
    ss = np.finfo(np.float32).smallest_subnormal
    r = np.array([ss * 5], dtype=np.float32)
    e = np.array([float(ss) * 3])
    assert ulp_error(r, e)[0] == 2.0


# ---------------------------------------------------------------------------
# The float32 sweep's oracle (`check --exhaustive`) computes in float64, not
# long double: it must give the same float32 results as the long double
# oracle everywhere but at near-ties.

SWEPT = [s for s in SPECS if len(s.inputs) == 1 and (s.variant == "forward" or s.exhaustive)]
# The rounding of a float64 oracle may differ from the long double one's only
# where the exact value is this close (relatively) to a float32 tie.
NEAR_TIE = 1e-13


def float32_sample():
    """2**21 bit patterns spread evenly over all 2**32 (every exponent of both
    signs, NaNs included), the special values, the breakpoints of the
    exp-based kernels and the landmarks of the activations."""
    rng = np.random.default_rng(20261201)
    bits = np.arange(0, 1 << 32, 1 << 11, dtype=np.uint64)
    bits = (bits + rng.integers(0, 1 << 11, bits.size, dtype=np.uint64)).astype(np.uint32)
    f32 = np.float32
    return np.concatenate([bits.view(f32), _inputs.special_values(f32),
                           _inputs.sigmoid_breakpoints(f32), _inputs.activation_landmarks(f32),
                           _inputs.around([3.0, -3.0, 6.0, 20.0, 0.0], f32, steps=64)])


@pytest.mark.parametrize("spec", SWEPT, ids=lambda s: s.name)
def test_the_float64_sweep_oracle_rounds_as_the_long_double_oracle(spec):
    if not EXTENDED_LONGDOUBLE:
        pytest.skip("long double is no wider than double here: nothing to compare")
    fast = float32_sweep_oracle(spec.name)
    if fast is None:
        pytest.skip(f"no float64 oracle for {spec.name} without scipy")
    if spec.name in ELEMENTWISE_IN_MPMATH:
        pytest.importorskip("mpmath")
    x = float32_sample()
    if spec.name in ELEMENTWISE_IN_MPMATH:      # thousands of points a second
        x = np.concatenate([x[::701], x[-600:]])
    params = {k: np.float32(v) for k, v in spec.params.items()}
    wide = float32_sweep_oracle(spec.name, work=np.longdouble)(x, **params)
    narrow = fast(x, **params)
    assert narrow.dtype == np.float64 and wide.dtype == np.longdouble

    # Relative difference: float64's own rounding errors, not a float32 ulp's,
    # wherever the result does not round to zero in float32 (far below, e^v
    # amplifies them, and float64 itself runs out of digits).
    nonzero = np.abs(wide) >= np.longdouble(np.finfo(np.float32).smallest_subnormal) / 2
    finite = np.isfinite(wide) & nonzero
    with np.errstate(all="ignore"):
        rel = np.abs((narrow[finite].astype(np.longdouble) - wide[finite]) / wide[finite])
    assert rel.size > x.size // 4
    i = int(np.argmax(rel))
    assert rel[i] < NEAR_TIE, (x[finite][i], narrow[finite][i], wide[finite][i])

    # Rounded to float32: the same bits, except within NEAR_TIE of a tie.
    with np.errstate(all="ignore"):
        r_narrow, r_wide = narrow.astype(np.float32), wide.astype(np.float32)
    same = (r_narrow == r_wide) | (np.isnan(r_narrow) & np.isnan(r_wide))
    if spec.ulp == 0:   # exact functions: check compares bits, the sign of zero too
        same &= np.isnan(r_narrow) | (np.signbit(r_narrow) == np.signbit(r_wide))
    differ = np.flatnonzero(~same)
    if differ.size:
        lo = np.minimum(r_narrow[differ], r_wide[differ])
        assert (np.nextafter(lo, np.float32(np.inf)) == np.maximum(r_narrow[differ],
                                                                    r_wide[differ])).all()
        tie = (lo.astype(np.longdouble) + np.maximum(r_narrow[differ], r_wide[differ])) / 2
        off = np.abs(wide[differ] - tie) / np.abs(wide[differ])
        assert (off < NEAR_TIE).all(), x[differ][np.argmax(off)]
