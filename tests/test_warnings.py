"""No floating-point warning for any input: every argument of every function
of the catalogue gets every special value (NaN of both signs, ±inf, ±max,
subnormals, ±0, the breakpoints of sigmoid's math, the thresholds and kinks
of the other activations), alone, in long and strided arrays, in place and
over a dense sweep, and nothing may warn or raise under
np.errstate(all='raise', under='ignore'). test_isa_tiers.py runs this file
at every ISA tier."""
import warnings

import numpy as np
import pytest

import _inputs
from _functions import FUNCTIONS

import fastact
from fastact import reference


def alphas(dtype):
    fi = np.finfo(dtype)
    return np.array([0.01, 0.0, -0.0, 1.0, -1.0, 5.0, fi.smallest_subnormal, fi.max,
                     np.inf, -np.inf, np.nan], dtype=dtype)


def every_value(dtype):
    breakpoints = _inputs.sigmoid_breakpoints(dtype)
    return np.concatenate([_inputs.special_values(dtype), breakpoints[::50],
                           _inputs.activation_landmarks(dtype)])


def all_combinations(fn, dtype):
    """Arrays (and alpha) broadcasting every value of each argument against
    every value of the others."""
    v = every_value(dtype)
    if fn.n_arrays == 1:
        return (v[:, None],), alphas(dtype)[None, :]
    return (v[:, None, None], v[None, :, None]), alphas(dtype)[None, None, :]


def long_arrays(fn, dtype, n=200_003):
    """Long arrays of random picks from every value: the vectorized main
    loops, their remainders and the threaded path all see them."""
    rng = np.random.default_rng(0)
    v = every_value(dtype)
    arrays = tuple(v[rng.integers(0, v.size, n)] for _ in range(fn.n_arrays))
    return arrays


def call_strictly(fn, impl, arrays, alpha, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            return fn.call(impl, *arrays, alpha=alpha, **kwargs)


IMPLEMENTATIONS = pytest.mark.parametrize("impl", [fastact, reference], ids=["fastact", "reference"])
DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
EVERY_FUNCTION = pytest.mark.parametrize("fn", FUNCTIONS, ids=str)


@IMPLEMENTATIONS
@DTYPES
@EVERY_FUNCTION
def test_no_warning_for_any_combination_of_special_values(fn, dtype, impl):
    arrays, alpha = all_combinations(fn, dtype)
    call_strictly(fn, impl, arrays, alpha)


@DTYPES
@EVERY_FUNCTION
def test_no_warning_for_long_arrays_of_special_values(fn, dtype):
    arrays = long_arrays(fn, dtype)
    for alpha in alphas(dtype) if fn.has_alpha else [0.01]:
        call_strictly(fn, fastact, arrays, alpha)


@DTYPES
@EVERY_FUNCTION
def test_no_warning_for_strided_arrays_of_special_values(fn, dtype):
    arrays = tuple(a[::-3] for a in long_arrays(fn, dtype, n=20_001))
    for alpha in alphas(dtype) if fn.has_alpha else [0.01]:
        call_strictly(fn, fastact, arrays, alpha)


@DTYPES
@EVERY_FUNCTION
def test_no_warning_in_place(fn, dtype):
    for alpha in alphas(dtype) if fn.has_alpha else [0.01]:
        arrays = long_arrays(fn, dtype, n=20_001)
        call_strictly(fn, fastact, arrays, alpha, out=arrays[0])


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308, np.inf, -np.inf, np.nan, 5e-324])
def test_python_scalars_never_warn(x):
    for fn in FUNCTIONS:
        call_strictly(fn, fastact, (x,) * fn.n_arrays, 0.01)


@DTYPES
@EVERY_FUNCTION
def test_no_warning_over_a_dense_sweep(fn, dtype):
    x = _inputs.activation_sweep(dtype)[::97]
    call_strictly(fn, fastact, (x,) * fn.n_arrays, 0.01)
    if fn.n_arrays == 2:
        call_strictly(fn, fastact, (np.ones_like(x), x), 0.01)
        call_strictly(fn, fastact, (x, np.full_like(x, 0.5)), 0.01)
