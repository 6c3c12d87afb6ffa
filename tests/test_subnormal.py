"""Values at subnormal and tiny inputs, where the kernels take a function's
limit at 0 by a select instead of running the exp (or the polynomial) on an
argument that would slow the hardware down (issue: subnormal inputs cost a
microcode assist). The limits here are mathematical facts about each function
near 0, so they test the selects' values, not their speed. test_isa_tiers.py
runs every test file at every ISA tier."""
import numpy as np
import pytest

import fastact

DTYPES = (np.float32, np.float64)


def tiny_inputs(dtype):
    """Subnormals of both signs (the smallest, the largest, and a spread in
    between) and normal numbers below 2^-40 (float32) / 2^-80 (float64):
    every such x is far inside the range where each function below equals
    its limit at 0."""
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    largest_sub = int(np.array(fi.smallest_normal, dtype).view(uint)) - 1
    rng = np.random.default_rng(11)
    sub_bits = np.concatenate([np.array([1, 2, 3, largest_sub - 1, largest_sub], dtype=uint),
                               rng.integers(1, largest_sub, 4000, dtype=uint)])
    top = 2.0 ** (-40 if dtype == np.float32 else -80)
    normals = np.exp(rng.uniform(np.log(float(fi.smallest_normal)), np.log(top), 4000))
    pos = np.concatenate([sub_bits.view(dtype), normals.astype(dtype)])
    return np.concatenate([pos, -pos])


def subnormal_grads(dtype, n):
    fi = np.finfo(dtype)
    g = np.random.default_rng(12).uniform(-1, 1, n) * float(fi.smallest_normal)
    return g.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, limit", [
    ("sigmoid", 0.5), ("sigmoid_grad", 0.25), ("tanh_grad", 1.0), ("softsign_grad", 1.0),
    ("silu_grad", 0.5), ("softplus", np.log(2)), ("softplus_grad", 0.5),
    ("log_sigmoid", -np.log(2)), ("log_sigmoid_grad", 0.5), ("elu_grad", 1.0),
    ("gelu_tanh_grad", 0.5),
])
def test_constant_limit_at_tiny_x(name, limit, dtype):
    x = tiny_inputs(dtype)
    r = getattr(fastact, name)(x)
    assert r.dtype == dtype
    np.testing.assert_array_equal(r, np.full_like(x, limit))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "softsign", "elu"])
def test_identity_at_tiny_x(name, dtype):
    # tanh x = x - x^3/3, softsign x = x - x|x|, elu x = x + x^2/2 (x < 0):
    # the correction is far below half an ulp of x, subnormal x included
    x = tiny_inputs(dtype)
    r = getattr(fastact, name)(x)
    np.testing.assert_array_equal(r.view(r.dtype), x)
    assert np.array_equal(np.signbit(r), np.signbit(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, slope", [
    ("silu", 0.5), ("gelu_tanh", 0.5), ("mish", np.tanh(np.log(2))),
])
def test_linear_limit_at_tiny_x(name, slope, dtype):
    # f(x) = slope x (1 + O(x)): within the contract's bound, which counts
    # subnormal results in units of the smallest subnormal
    x = tiny_inputs(dtype)
    r = getattr(fastact, name)(x).astype(np.longdouble)
    exact = x.astype(np.longdouble) * np.longdouble(slope)
    unit = np.longdouble(np.finfo(dtype).smallest_subnormal)
    normal = np.abs(exact) >= np.finfo(dtype).smallest_normal
    ulp = np.where(normal, np.spacing(np.abs(exact).astype(dtype)).astype(np.longdouble), unit)
    assert np.all(np.abs(r - exact) <= 4 * ulp)
    assert np.all(np.signbit(r[r != 0]) == np.signbit(x[r != 0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softsign", "softplus", "log_sigmoid", "silu", "elu",
                                  "selu", "mish", "gelu_tanh"])
def test_backward_of_subnormals_is_one_product(name, dtype):
    # subnormal x and subnormal or normal grad_out: the backward pass is
    # grad_out times the derivative, rounded once
    x = tiny_inputs(dtype)
    grad = getattr(fastact, name + "_grad")(x)
    for g in (subnormal_grads(dtype, x.size), np.linspace(-3, 3, x.size, dtype=dtype)):
        np.testing.assert_array_equal(getattr(fastact, name + "_backward")(g, x), g * grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_from_output_of_subnormals(dtype):
    # y = sigmoid(x) = 1/2 gives grad_out / 4; y = tanh(x) = x gives grad_out
    x = tiny_inputs(dtype)
    g = subnormal_grads(dtype, x.size)
    np.testing.assert_array_equal(fastact.sigmoid_backward(g, fastact.sigmoid(x)),
                                  g * dtype(0.25))
    np.testing.assert_array_equal(fastact.tanh_backward(g, fastact.tanh(x)), g)


def around_tiny_bound(dtype):
    """x next to the bound below which the kernels raise |x| and pick the
    result by the bits, 2^-40 (float32) / 2^-300 (float64): a few floats
    either side of it, of both signs. Still deep inside the range where the
    functions below equal x or their limit at 0."""
    bound = dtype(2.0 ** (-40 if dtype == np.float32 else -300))
    xs = [bound]
    up = down = bound
    for _ in range(4):
        up = np.nextafter(up, dtype(1))
        down = np.nextafter(down, dtype(0))
        xs += [up, down]
    pos = np.array(xs, dtype=dtype)
    return np.concatenate([pos, -pos])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "softsign"])
def test_identity_either_side_of_tiny_bound(name, dtype):
    # the pick of x below the bound and the math above it agree there
    x = around_tiny_bound(dtype)
    r = getattr(fastact, name)(x)
    np.testing.assert_array_equal(r.view(r.dtype), x)
    assert np.array_equal(np.signbit(r), np.signbit(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, limit", [
    ("softplus", np.log(2)), ("log_sigmoid", -np.log(2)),
])
def test_constant_limit_either_side_of_tiny_bound(name, limit, dtype):
    # the exp's argument raised to the bound below it, its own above
    x = around_tiny_bound(dtype)
    np.testing.assert_array_equal(getattr(fastact, name)(x), np.full_like(x, limit))
