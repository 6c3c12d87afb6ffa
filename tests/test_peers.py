"""fastact follows PyTorch's torch.nn.functional definitions (DESIGN.md),
apart from two deliberate choices: relu returns +0.0 for -0.0, and a NaN in
x (or y) gives NaN in the backward pass, where torch passes grad_out through.
Runs only where PyTorch is installed."""
import numpy as np
import pytest

import _inputs

import fastact

torch = pytest.importorskip("torch")

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
ALPHAS = pytest.mark.parametrize("alpha", [0.01, 0.2, -0.5])


def values(dtype, seed=0):
    return np.concatenate([_inputs.special_values(dtype),
                           _inputs.mixed_sample(dtype, 5000, seed, specials=False)])


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def assert_equal_values(actual, expected):
    # == semantics: NaN positions must match, +0.0 equals -0.0
    np.testing.assert_array_equal(actual, expected)


@DTYPES
def test_relu_matches_torch(dtype):
    x = values(dtype)
    assert_equal_values(fastact.relu(x), torch.relu(t(x)).numpy())


@DTYPES
@ALPHAS
def test_leaky_relu_matches_torch(dtype, alpha):
    x = values(dtype)
    expected = torch.nn.functional.leaky_relu(t(x), negative_slope=alpha).numpy()
    assert_equal_values(fastact.leaky_relu(x, alpha), expected)


@DTYPES
def test_relu_grad_and_backward_match_torch_threshold_backward(dtype):
    x = values(dtype)
    x = x[~np.isnan(x)]
    g = values(dtype, seed=1)[:x.size]
    assert_equal_values(fastact.relu_grad(x),
                        torch.ops.aten.threshold_backward(t(np.ones_like(x)), t(x), 0).numpy())
    assert_equal_values(fastact.relu_backward(g, x),
                        torch.ops.aten.threshold_backward(t(g), t(x), 0).numpy())


@DTYPES
@ALPHAS
def test_leaky_relu_grad_and_backward_match_torch(dtype, alpha):
    x = values(dtype)
    x = x[~np.isnan(x)]
    g = values(dtype, seed=1)[:x.size]

    def torch_backward(grad):
        return torch.ops.aten.leaky_relu_backward(t(grad), t(x), alpha, False).numpy()

    assert_equal_values(fastact.leaky_relu_grad(x, alpha), torch_backward(np.ones_like(x)))
    assert_equal_values(fastact.leaky_relu_backward(g, x, alpha), torch_backward(g))


@DTYPES
def test_sigmoid_and_its_backward_are_within_a_few_ulp_of_torch(dtype):
    # both sides are within a few ULP of exact; they need not agree bitwise
    fi = np.finfo(dtype)
    x = values(dtype)
    np.testing.assert_allclose(fastact.sigmoid(x), torch.sigmoid(t(x)).numpy(),
                               rtol=8 * fi.eps, atol=fi.tiny)
    y = np.random.default_rng(2).uniform(0, 1, x.size).astype(dtype)
    g = values(dtype, seed=3)
    np.testing.assert_allclose(fastact.sigmoid_backward(g, y),
                               torch.ops.aten.sigmoid_backward(t(g), t(y)).numpy(),
                               rtol=8 * fi.eps, atol=fi.tiny)
