"""fastact follows PyTorch's torch.nn.functional definitions (docs/contract.md),
apart from two deliberate choices: relu returns +0.0 for -0.0, and a NaN in
x (or y) gives NaN in the backward pass, where torch passes grad_out through.
Every activation's forward, grad and backward against torch's forward and
autograd. Runs only where PyTorch is installed. (The softmax trio:
test_softmax_rows.py.)"""
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


# Activations compared through torch's autograd: forward, and backward with
# a varying grad_out (grad_out = 1: the grad). "smooth": torch and fastact
# both within a few ulp of exact, except where torch's formula cancels
# (gelu_tanh as 0.5 x (1 + tanh(.)) for x < 0: float32 off by ~1e-6
# absolute). "exact": elementwise agreement within a few eps.
F = torch.nn.functional
AUTOGRAD = {
    "tanh": (torch.tanh, "smooth"), "softsign": (F.softsign, "smooth"),
    "softplus": (F.softplus, "smooth"), "log_sigmoid": (F.logsigmoid, "smooth"),
    "silu": (F.silu, "smooth"), "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), "smooth"),
    "elu": (F.elu, "smooth"), "selu": (F.selu, "smooth"), "mish": (F.mish, "smooth"),
    "gelu": (F.gelu, "exact"), "relu6": (F.relu6, "exact"),
    "hard_sigmoid": (F.hardsigmoid, "exact"), "hard_swish": (F.hardswish, "exact"),
}


def autograd_inputs(kind, dtype):
    if kind == "smooth":
        # finite x: torch's softsign(inf) is inf/inf = nan, its backward of
        # silu, mish... at +-inf inf * 0 = nan (fastact's limits: test_semantics)
        return np.concatenate([np.linspace(-10, 10, 4001), [0.0, -0.0, np.nan]]).astype(dtype)
    rng = np.random.default_rng(0)
    specials = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 1.5, -1.5, 0.5, -0.75,
                1e-30, -1e-30, 1e30, -1e30]
    return np.concatenate([np.linspace(-10, 10, 2001), rng.uniform(-10, 10, 1000),
                           rng.standard_normal(1000) * 2, specials]).astype(dtype)


@DTYPES
@pytest.mark.parametrize("activation", list(AUTOGRAD))
def test_forward_grad_and_backward_agree_with_torch_autograd(activation, dtype):
    torch_f, kind = AUTOGRAD[activation]
    x = autograd_inputs(kind, dtype)
    eps = np.finfo(dtype).eps
    if kind == "smooth":
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    else:
        tol = dict(rtol=16 * eps, atol=8 * eps)
    grad_tol = backward_tol = tol
    if activation == "hard_sigmoid":
        # torch's float64 hard_sigmoid slope is float32's 1/6; its backward
        # multiplies by it where fastact divides by 6
        grad_tol = dict(rtol=1e-7)
        backward_tol = dict(rtol=1e-7 + tol["rtol"], atol=tol["atol"])
    xt = torch.tensor(x, requires_grad=True)
    yt = torch_f(xt)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    (grad_t,) = torch.autograd.grad(yt, xt, torch.ones_like(xt), retain_graph=True)
    (backward_t,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    np.testing.assert_allclose(getattr(fastact, activation)(x), yt.detach().numpy(), **tol)
    # backward of tanh takes the output y, the others the input x; at x = nan
    # torch's elu/selu backward pass grad_out through (nan <= 0 is false),
    # fastact's contract is that NaN propagates
    y_or_x = yt.detach().numpy() if activation == "tanh" else x
    ok = ~np.isnan(x)
    np.testing.assert_allclose(getattr(fastact, activation + "_backward")(g, y_or_x)[ok],
                               backward_t.numpy()[ok], **backward_tol)
    if kind == "exact":
        np.testing.assert_allclose(getattr(fastact, activation + "_grad")(x), grad_t.numpy(),
                                   **grad_tol)
