"""The accuracy contract: sigmoid, sigmoid_grad and sigmoid_backward within
2 ULP of the correctly rounded result (measured against the high-precision
oracle), the ReLU family bitwise equal to the reference."""
import numpy as np
import pytest

import _inputs
import _oracle
from _compare import assert_same_bits, assert_within_ulp
from _functions import EXACT

import fastact

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
UNARY = pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])


def check_unary(name, x, ulp_report):
    result = getattr(fastact, name)(x)
    assert result.dtype == x.dtype
    assert_within_ulp(result, getattr(_oracle, name)(x), [x],
                      report=lambda worst: ulp_report(name, x.dtype, worst))


def check_backward(g, y, ulp_report):
    result = fastact.sigmoid_backward(g, y)
    assert result.dtype == g.dtype
    assert_within_ulp(result, _oracle.sigmoid_backward(g, y), [g, y],
                      report=lambda worst: ulp_report("sigmoid_backward", g.dtype, worst))


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_on_a_dense_grid(name, dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
    check_unary(name, _inputs.dense_grid(dtype), ulp_report)


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_on_log_uniform_values(name, dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
    whole_range = _inputs.log_uniform(dtype, 300_000, seed=1)
    working_range = _inputs.log_uniform(dtype, 300_000, seed=2, low=2.0**-30, high=1e3)
    check_unary(name, np.concatenate([whole_range, working_range]), ulp_report)


@DTYPES
@UNARY
def test_sigmoid_family_is_within_2_ulp_at_special_values_and_breakpoints(
        name, dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
    x = np.concatenate([_inputs.special_values(dtype), _inputs.sigmoid_breakpoints(dtype)])
    check_unary(name, x, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_for_probabilities_and_random_gradients(
        dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
    y = _inputs.probabilities(dtype, seed=3)
    g = _inputs.gradients(dtype, y.size, seed=4)
    check_backward(g, y, ulp_report)
    check_backward(np.ones_like(y), y, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_where_rounding_errors_compound(dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
    g, y = _inputs.compounding_backward_inputs(dtype, 1_000_000, seed=5)
    check_backward(g, y, ulp_report)


@DTYPES
def test_sigmoid_backward_is_within_2_ulp_at_special_values(dtype, ulp_report):
    _oracle.require_oracle_for(dtype)
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
        _inputs.around([0.0, 1.0, -1.0], dtype, steps=3),
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
