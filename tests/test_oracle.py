"""The test instruments themselves: the high-precision oracle agrees with
mpmath, and ulp_error measures what the accuracy contract says."""
from fractions import Fraction

import numpy as np
import pytest

import _inputs
from _compare import require_oracle_for, ulp_error

from fastact._oracle import ORACLES, working_dtype


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
