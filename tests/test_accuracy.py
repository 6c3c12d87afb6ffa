"""The accuracy contract: every function of the catalogue within its bound
against the high-precision oracle (`fastact._oracle.ORACLES`), measured as
`python -m fastact check` measures it; the sigmoid trio within 2 ULP on dense
grids, breakpoints and special values; the exact functions equal to the
correctly rounded oracle and bitwise to the reference; tails that keep their
digits. This file runs at the tier in use; test_isa_tiers.py runs it again
at every other tier."""
import math

import numpy as np
import pytest

import _inputs
from _compare import (assert_same_bits, assert_within_ulp, error_in_units,
                      require_oracle_for, ulp_error)
from _functions import EXACT

import fastact
from fastact import reference
from fastact._catalog import SPECS
from fastact._oracle import ELEMENTWISE_IN_MPMATH, ORACLES, in_own_precision

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
UNARY = pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
WITHIN_A_BOUND = [s for s in SPECS if s.ulp != 0]


# ---------------------------------------------------------------------------
# Every function within its catalogue bound

def few_points(dtype):
    """For oracles that run mpmath on every element: a few thousand points
    over the range where the function is not yet 0 or x, the far negative
    tail, and the range where the result approaches the subnormals (float64
    gelu: Phi(x) is subnormal while x Phi(x) is still normal)."""
    lim = 15 if dtype == np.float32 else 39
    lo, hi = (-13.2, -12.8) if dtype == np.float32 else (-37.7, -37.4)
    rng = np.random.default_rng(0)
    specials = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 1.5, -1.5, 0.5, -0.75,
                1e-30, -1e-30, 1e30, -1e30]
    x = np.concatenate([np.linspace(-lim, lim, 3001), rng.uniform(-lim, lim, 1500),
                        rng.standard_normal(1500) * 2, specials,
                        np.linspace(-lim, -5, 1001), np.linspace(lo, hi, 301)])
    return x.astype(dtype)


def outputs(activation, dtype):
    """y for a backward pass that takes the forward's output: the outputs of
    the forward over the sweep, a grid over its range and values close to its
    upper end."""
    f = getattr(reference, activation)
    x = _inputs.activation_sweep(dtype)
    lo, hi = (float(f(dtype(v))) for v in (-np.inf, np.inf))
    near_top = np.logspace(-8 if dtype == np.float32 else -16, 0, 4000) * (hi - lo) / 2
    y = np.concatenate([f(x), np.linspace(lo, hi, 40001), hi - near_top])
    return np.unique(y.astype(dtype))


_inputs_cache = {}


def accuracy_inputs(spec, dtype):
    """The array arguments of `spec` for an accuracy run."""
    key = (spec.name, dtype)
    if key not in _inputs_cache:
        if spec.name in ELEMENTWISE_IN_MPMATH:
            x = few_points(dtype)
        elif spec.inputs[-1] == "y":
            x = outputs(spec.activation, dtype)
        else:
            x = _inputs.activation_sweep(dtype)
        if spec.variant != "backward":
            _inputs_cache[key] = (x,)
        else:
            rng = np.random.default_rng(7)
            g = rng.uniform(-3, 3, x.size).astype(dtype)
            g[::7] = 1
            _inputs_cache[key] = (g, x)
    return _inputs_cache[key]


@DTYPES
@pytest.mark.parametrize("spec", WITHIN_A_BOUND, ids=lambda s: s.name)
def test_within_its_catalogue_bound(spec, dtype):
    """Results within `ulp` ulp; derivatives also accepted within `abs_eps`
    machine epsilons where the exact value is below 1 in magnitude; results
    below the smallest normal may be flushed to zero."""
    require_oracle_for(dtype)
    arrays = accuracy_inputs(spec, dtype)
    result = getattr(fastact, spec.name)(*arrays)
    assert result.dtype == dtype
    units = error_in_units(result, ORACLES[spec.name](*arrays), dtype, spec.abs_eps)
    i = int(np.argmax(units))
    assert units[i] <= spec.ulp, (f"{spec.name} {np.dtype(dtype)} at {fastact.config()['isa']}: "
                                  f"{units[i]:.3g} at {tuple(float(a[i]) for a in arrays)}")


@DTYPES
@pytest.mark.parametrize("name", ["hard_swish_grad", "hard_swish_backward"])
def test_hard_swish_derivatives_within_2_ulp(name, dtype):
    # Tighter than the catalogue's 4: (2x + 3) / 6 is two roundings.
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-8, 8, 6000), np.linspace(-8, 8, 4001),
                        rng.standard_normal(2000) * 2, np.linspace(-1.6, -1.4, 1001)]).astype(dtype)
    arrays = (rng.uniform(-3, 3, x.size).astype(dtype), x) if name.endswith("_backward") else (x,)
    err = ulp_error(getattr(fastact, name)(*arrays), ORACLES[name](*arrays))
    assert err.max() <= 2


@DTYPES
@pytest.mark.parametrize("spec", [s for s in SPECS if s.ulp == 0], ids=lambda s: s.name)
def test_exact_functions_equal_the_correctly_rounded_oracle(spec, dtype):
    """The exact functions: the oracle rounded once to the dtype (the hard
    family: after torch's own roundings), at every kink and its neighbours,
    over a grid and at random values."""
    rng = np.random.default_rng(1)
    x = np.concatenate([_inputs.around([-6, -3, 0, 3, 6], dtype, steps=2),
                        np.linspace(-8, 8, 4001),
                        rng.uniform(-8, 8, 2000), rng.standard_normal(2000) * 2,
                        _inputs.special_values(dtype)]).astype(dtype)
    arrays = (rng.standard_normal(x.size).astype(dtype), x) if spec.variant == "backward" else (x,)
    params = {k: dtype(v) for k, v in spec.params.items()}
    with np.errstate(all="ignore"):
        assert_same_bits(getattr(fastact, spec.name)(*arrays, **params),
                         in_own_precision(spec.name, *arrays, **params))


# ---------------------------------------------------------------------------
# The sigmoid trio within 2 ULP, everywhere

def check_unary(name, x, ulp_report):
    result = getattr(fastact, name)(x)
    assert result.dtype == x.dtype
    assert_within_ulp(result, ORACLES[name](x), [x],
                      report=lambda worst: ulp_report(name, x.dtype, worst))


def check_backward(g, y, ulp_report):
    result = fastact.sigmoid_backward(g, y)
    assert result.dtype == g.dtype
    assert_within_ulp(result, ORACLES["sigmoid_backward"](g, y), [g, y],
                      report=lambda worst: ulp_report("sigmoid_backward", g.dtype, worst))


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_on_a_dense_grid(name, dtype, ulp_report):
    require_oracle_for(dtype)
    check_unary(name, _inputs.dense_grid(dtype), ulp_report)


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_on_log_uniform_values(name, dtype, ulp_report):
    require_oracle_for(dtype)
    whole_range = _inputs.log_uniform(dtype, 300_000, seed=1)
    working_range = _inputs.log_uniform(dtype, 300_000, seed=2, low=2.0**-30, high=1e3)
    check_unary(name, np.concatenate([whole_range, working_range]), ulp_report)


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_at_special_values_and_breakpoints(
        name, dtype, ulp_report):
    require_oracle_for(dtype)
    x = np.concatenate([_inputs.special_values(dtype), _inputs.sigmoid_breakpoints(dtype)])
    check_unary(name, x, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_for_probabilities_and_random_gradients(
        dtype, ulp_report):
    require_oracle_for(dtype)
    y = _inputs.probabilities(dtype, seed=3)
    g = _inputs.gradients(dtype, y.size, seed=4)
    check_backward(g, y, ulp_report)
    check_backward(np.ones_like(y), y, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_where_rounding_errors_compound(dtype, ulp_report):
    require_oracle_for(dtype)
    g, y = _inputs.compounding_backward_inputs(dtype, 1_000_000, seed=5)
    check_backward(g, y, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_at_special_values(dtype, ulp_report):
    require_oracle_for(dtype)
    g = _inputs.special_values(dtype)[:, None]
    y = _inputs.special_values(dtype)
    y = y[np.isnan(y) | ((y >= 0) & (y <= 1))]
    y = np.concatenate([y, _inputs.around([0.5, 0.25, 1.0], dtype, steps=3)])
    y = y[np.isnan(y) | ((y >= 0) & (y <= 1))][None, :]
    g, y = np.broadcast_arrays(g, y)
    check_backward(g, y, ulp_report)


def test_sigmoid_grad_is_accurate_in_the_float64_tail():
    assert fastact.sigmoid_grad(40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)
    assert fastact.sigmoid_grad(-40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)


def test_sigmoid_grad_is_not_zero_in_the_float32_tail():
    x = np.array([80.0, -80.0, 87.0, -87.0], dtype=np.float32)
    assert (fastact.sigmoid_grad(x) > 0).all()


@DTYPES
def test_sigmoid_reaches_its_limits_at_infinity(dtype):
    x = np.array([np.inf, -np.inf], dtype=dtype)
    assert_same_bits(fastact.sigmoid(x), np.array([1.0, 0.0], dtype=dtype))
    assert_same_bits(fastact.sigmoid_grad(x), np.array([0.0, 0.0], dtype=dtype))


ALPHAS = [0.01, 0.0, -0.0, 1.0, -1.0, 0.2, 5.0, 1e-40, np.inf, np.nan]


def _exact_inputs(dtype):
    x = np.concatenate([
        _inputs.special_values(dtype),
        _inputs.around([0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0], dtype, steps=3),
        _inputs.log_uniform(dtype, 2000, seed=6),
        _inputs.mixed_sample(dtype, 2000, seed=7, specials=False),
    ])
    return x


@DTYPES
@pytest.mark.parametrize("fn", EXACT, ids=str)
def test_relu_family_equals_the_reference_bitwise(fn, dtype):
    x = _exact_inputs(dtype)
    if fn.n_arrays == 1:
        arrays = (x,)
    else:
        # every grad_out value against every x value
        arrays = (x[::3, None], x[::7][None, :])
    for alpha in (ALPHAS if fn.has_alpha else [0.01]):
        assert_same_bits(fn.fast(*arrays, alpha=alpha), fn.ref(*arrays, alpha=alpha))


@DTYPES
@pytest.mark.parametrize("name", ["relu", "relu_grad"])
def test_relu_of_zero_is_positive_zero(name, dtype):
    x = np.array([0.0, -0.0], dtype=dtype)
    assert_same_bits(getattr(fastact, name)(x), np.zeros(2, dtype=dtype))


# ---------------------------------------------------------------------------
# Tails that keep their digits

def test_softplus_keeps_its_lower_tail():
    assert fastact.softplus(-100.0) == pytest.approx(math.exp(-100) - math.exp(-200) / 2,
                                                     rel=1e-15)
    assert fastact.softplus(np.float32(-80.0)) == pytest.approx(math.exp(-80), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_selu_stays_finite_where_its_exact_value_rounds_to_the_largest_finite(dtype):
    # scale * x with the scale rounded to the dtype overflowed at float32
    # x = 3.2386221e38, whose exact selu rounds to the largest float32
    # (found by the exhaustive float32 sweep).
    largest = np.finfo(dtype).max
    x = np.array([3.2386221e38 if dtype == np.float32 else largest / 1.06,
                  largest / 2, 2.0 ** 100, 1.5e30, 1.1e30, np.inf], dtype=dtype)
    got = fastact.selu(x)
    assert got[-1] == np.inf
    if dtype == np.float32:
        assert got[0] == largest
    assert_within_ulp(got[:-1], ORACLES["selu"](x[:-1]), x[:-1], 2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_silu_across_its_scaling_and_clamps(dtype):
    # silu_lean_f32 / _f64: x / (1 + e^-x) with both scaled by 2^-64 /
    # 2^-512 below x = -64 / -512, the exp's argument clamped to [-80, 110] /
    # [-80, 760], and -0 below -110 / -760 (where the exact value rounds to
    # -0). Each switch point and its neighbours, within the 4-ulp bound; the
    # subnormal results down to the last ones are rounded, not flushed.
    scale, clamp_hi, lowest = (64, 110, 110) if dtype == np.float32 else (512, 760, 760)
    points = np.array([-scale, -80, 80, -clamp_hi, -lowest, -104, -88, -746, -750, 17, 40],
                      dtype=dtype)
    points = points[np.abs(points) <= lowest]
    x = np.concatenate([points, np.nextafter(points, dtype(-np.inf)),
                        np.nextafter(points, dtype(np.inf)),
                        np.linspace(-lowest - 2, -scale + 2, 4001, dtype=dtype)])
    got = fastact.silu(x)
    assert_within_ulp(got, ORACLES["silu"](x), [x], 4.0)
    exact = ORACLES["silu"](x).astype(dtype)
    tail = exact != 0
    assert np.all(got[tail] != 0), x[tail][got[tail] == 0]
    below = np.array([-lowest * 1.0001, -lowest * 2, np.finfo(dtype).min, -np.inf], dtype)
    assert_same_bits(fastact.silu(below), np.full(4, -0.0, dtype))
    assert fastact.silu(dtype(np.inf)) == np.inf
    assert np.isnan(fastact.silu(np.array([np.nan, -np.nan], dtype))).all()


def test_log_sigmoid_is_linear_far_below_zero():
    assert fastact.log_sigmoid(-800.0) == -800.0
    assert fastact.log_sigmoid(np.float32(-800.0)) == np.float32(-800.0)
    assert fastact.log_sigmoid(40.0) == pytest.approx(-math.exp(-40), rel=1e-15)


def test_derivatives_keep_their_tails():
    assert fastact.tanh_grad(20.0) == pytest.approx(4 * math.exp(-40), rel=1e-14)
    assert fastact.silu_grad(-50.0) == pytest.approx(-49 * math.exp(-50), rel=1e-13)
    assert fastact.elu_grad(-700.0) == pytest.approx(math.exp(-700), rel=1e-14)
    exact = float(ORACLES["gelu_tanh"](np.array([-10.0]))[0])
    assert fastact.gelu_tanh(-10.0) == pytest.approx(exact, rel=1e-15)


def test_gelu_keeps_its_negative_tail():
    assert fastact.gelu(-10.0) == pytest.approx(-7.619853024160527e-23, rel=4e-16)
    assert fastact.gelu(np.float32(-10.0)) == pytest.approx(-7.619853e-23, rel=3e-7)
    assert fastact.gelu_grad(-10.0) == pytest.approx(-7.6198530241605e-22 * 0.99, rel=0.02)
