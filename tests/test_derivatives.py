"""Derivatives are derivatives: for every activation of the catalogue *_grad
agrees with finite differences of the forward function, and *_backward is
grad_out times *_grad (of the output y, for the activations whose backward
takes it); tighter checks for the sigmoid and ReLU trios."""
import numpy as np
import pytest

from _compare import assert_same_bits

import fastact
from fastact._catalog import BY_NAME, SPECS
from fastact._oracle import ORACLES, working_dtype

ALPHAS = [0.01, 0.2, -0.5, 2.0]
ACTIVATIONS = list(dict.fromkeys(s.activation for s in SPECS))


def central_difference(f, x, h):
    xp, xm = x + h, x - h
    return (f(xp) - f(xm)) / (xp - xm)  # the step actually taken


def points_away_from_zero():
    x = np.linspace(-10, 10, 20_001)
    return x[np.abs(x) > 1e-3]


def test_sigmoid_grad_agrees_with_finite_differences_of_sigmoid():
    x = points_away_from_zero()
    fd = central_difference(fastact.sigmoid, x, 1e-5)
    np.testing.assert_allclose(fastact.sigmoid_grad(x), fd, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grad_agrees_with_finite_differences_of_the_forward(activation):
    # a step of 0.01 offset by 1e-3: never within h of a kink (0, +-3, 6)
    x = np.linspace(-10, 10, 2001) + 1e-3
    h = 1e-6
    f = getattr(fastact, activation)
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(getattr(fastact, activation + "_grad")(x), numeric,
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_is_grad_out_times_grad(activation):
    takes_y = BY_NAME[activation + "_backward"].inputs[-1] == "y"
    x = np.linspace(-30, 30, 6001)
    rtol = 8 * np.finfo(np.float64).eps
    if takes_y:
        # y = f(x) rounded: 1 - y^2 (tanh) inherits y's rounding error times
        # 2y^2 / (1 - y^2), 20 at |x| = 3
        x = np.linspace(-3, 3, 6001)
        rtol = 64 * np.finfo(np.float64).eps
    g = np.cos(x) * 3
    grad = getattr(fastact, activation + "_grad")(x)
    second = getattr(fastact, activation)(x) if takes_y else x
    np.testing.assert_allclose(getattr(fastact, activation + "_backward")(g, second), g * grad,
                               rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_grad_agrees_with_finite_differences_of_leaky_relu(alpha):
    x = points_away_from_zero()
    fd = central_difference(lambda v: fastact.leaky_relu(v, alpha), x, 1e-6)
    np.testing.assert_allclose(fastact.leaky_relu_grad(x, alpha), fd, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_sigmoid_backward_of_sigmoid_output_is_grad_out_times_sigmoid_grad(dtype):
    rng = np.random.default_rng(0)
    x = np.linspace(-30, 15, 100_001).astype(dtype)
    g = rng.standard_normal(x.size).astype(dtype)
    y = fastact.sigmoid(x)
    result = fastact.sigmoid_backward(g, y)
    wide = working_dtype(dtype)
    exact = g.astype(wide) * ORACLES["sigmoid_grad"](x)
    # y is sigma(x) rounded (and within 2 ULP): a relative error e in y becomes
    # e * |1 - 2y| / (1 - y) in y * (1 - y), on top of backward's own 2 ULP.
    eps = float(np.finfo(dtype).eps)
    yd = y.astype(np.float64)
    rtol = eps * (3 + 2.5 * np.abs(1 - 2 * yd) / (1 - yd))
    err = np.abs(result.astype(wide) - exact).astype(np.float64)
    assert (err <= rtol * np.abs(exact.astype(np.float64))).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_relu_backward_is_grad_out_times_relu_grad(dtype):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(10_000), [0.0, -0.0, np.inf, -np.inf]]).astype(dtype)
    g = rng.standard_normal(x.size).astype(dtype)
    np.testing.assert_array_equal(fastact.relu_backward(g, x), g * fastact.relu_grad(x))


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_leaky_relu_backward_is_grad_out_times_leaky_relu_grad(dtype, alpha):
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal(10_000), [0.0, -0.0, np.inf, -np.inf]]).astype(dtype)
    g = np.concatenate([rng.standard_normal(10_000), [1.0, -2.0, np.inf, -0.0]]).astype(dtype)
    assert_same_bits(fastact.leaky_relu_backward(g, x, alpha),
                     g * fastact.leaky_relu_grad(x, alpha))
