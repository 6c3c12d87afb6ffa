"""The values docs/contract.md's tables and conventions promise at specific
points, checked for fastact and for its numpy reference alike: NaN in, NaN
out for every function; the limits at +-inf; signed zeros; the ReLU and
sigmoid conventions."""
import inspect

import numpy as np
import pytest

from _compare import assert_same_bits
from _functions import BY_NAME, FUNCTIONS

import fastact
from fastact import reference

IMPLEMENTATIONS = pytest.mark.parametrize("impl", [fastact, reference], ids=["fastact", "reference"])
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


def arr(values, dtype):
    return np.array(values, dtype=dtype)


@IMPLEMENTATIONS
@DTYPES
@pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
def test_nan_input_gives_nan(fn, impl, dtype):
    # NaN of both signs, alone and among numbers (the vector loops and their
    # remainders see them)
    nan = arr([np.nan, -np.nan, np.nan, 1.0, np.nan] * 13, dtype)
    where = np.isnan(nan)
    if fn.n_arrays == 1:
        assert np.isnan(fn.call(impl, nan)[where]).all()
    else:
        assert np.isnan(fn.call(impl, np.ones_like(nan), nan)[where]).all()
        # NaN in grad_out too, where the derivative is not masked to 0
        assert np.isnan(fn.call(impl, nan, np.full_like(nan, 0.5))[where]).all()


# (f(-inf), f(+inf)) for every function with a forward or derivative defined
# there; backward passes take grad_out = 1.
_SELU_SCALE = 1.0507009873554805
LIMITS = {
    "sigmoid": (0, 1), "sigmoid_grad": (0, 0),
    "relu": (0, np.inf), "relu_grad": (0, 1),
    "tanh": (-1, 1), "tanh_grad": (0, 0),
    "softsign": (-1, 1), "softsign_grad": (0, 0),
    "softplus": (0, np.inf), "softplus_grad": (0, 1),
    "log_sigmoid": (-np.inf, 0), "log_sigmoid_grad": (1, 0),
    "silu": (0, np.inf), "silu_grad": (0, 1),
    "gelu_tanh": (0, np.inf), "gelu_tanh_grad": (0, 1),
    "elu": (-1, np.inf), "elu_grad": (0, 1),
    "selu": (-_SELU_SCALE * 1.6732632423543772, np.inf), "selu_grad": (0, _SELU_SCALE),
    "mish": (0, np.inf), "mish_grad": (0, 1),
    "gelu": (0, np.inf), "gelu_grad": (0, 1),
    "relu6": (0, 6), "relu6_grad": (0, 0),
    "hard_sigmoid": (0, 1), "hard_sigmoid_grad": (0, 0),
    "hard_swish": (0, np.inf), "hard_swish_grad": (0, 1),
}


@DTYPES
@pytest.mark.parametrize("name", list(LIMITS))
def test_limits_at_infinity(name, dtype):
    x = arr([-np.inf, np.inf], dtype)
    np.testing.assert_allclose(getattr(fastact, name)(x), arr(LIMITS[name], dtype),
                               rtol=2 * np.finfo(dtype).eps)


@DTYPES
def test_gelu_keeps_the_sign_of_zero(dtype):
    y = fastact.gelu(arr([-np.inf, -0.0, 0.0], dtype))
    assert y[0] == 0 and np.signbit(y[0])
    assert y[1] == 0 and np.signbit(y[1])
    assert y[2] == 0 and not np.signbit(y[2])
    g = fastact.gelu_grad(arr([-0.0, 0.0], dtype))
    np.testing.assert_array_max_ulp(g, arr([0.5, 0.5], dtype), maxulp=2)


@IMPLEMENTATIONS
@DTYPES
def test_sigmoid_is_one_at_inf_and_zero_at_minus_inf(impl, dtype):
    assert_same_bits(impl.sigmoid(arr([np.inf, -np.inf], dtype)), arr([1.0, 0.0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_sigmoid_of_zero_is_one_half_and_its_slope_one_quarter(impl, dtype):
    assert_same_bits(impl.sigmoid(arr([0.0, -0.0], dtype)), arr([0.5, 0.5], dtype))
    assert_same_bits(impl.sigmoid_grad(arr([0.0, -0.0], dtype)), arr([0.25, 0.25], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_relu_keeps_positives_and_zeroes_the_rest(impl, dtype):
    x = arr([3.5, np.inf, -2.0, -np.inf, 0.0, -0.0], dtype)
    assert_same_bits(impl.relu(x), arr([3.5, np.inf, 0.0, 0.0, 0.0, 0.0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_relu_grad_is_one_for_positives_and_zero_at_zero(impl, dtype):
    x = arr([3.5, np.inf, -2.0, -np.inf, 0.0, -0.0], dtype)
    assert_same_bits(impl.relu_grad(x), arr([1, 1, 0, 0, 0, 0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_leaky_relu_scales_non_positives_by_alpha(impl, dtype):
    x = arr([3.0, -2.0, -np.inf, 0.0], dtype)
    assert_same_bits(impl.leaky_relu(x, 0.5), arr([3.0, -1.0, -np.inf, 0.0], dtype))
    assert_same_bits(impl.leaky_relu(x, -1.0), arr([3.0, 2.0, np.inf, -0.0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_leaky_relu_grad_is_alpha_at_zero(impl, dtype):
    x = arr([3.0, -2.0, 0.0, -0.0], dtype)
    assert_same_bits(impl.leaky_relu_grad(x, 0.25), arr([1.0, 0.25, 0.25, 0.25], dtype))


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"])
def test_leaky_relu_family_defaults_to_alpha_one_hundredth(impl, name):
    assert inspect.signature(getattr(impl, name)).parameters["alpha"].default == 0.01
    fn = BY_NAME[name]
    x = np.array([-3.0, 2.0])
    default = getattr(impl, name)(*[x] * fn.n_arrays)
    assert_same_bits(default, fn.call(impl, *[x] * fn.n_arrays, alpha=0.01))


@IMPLEMENTATIONS
@DTYPES
def test_sigmoid_backward_is_grad_out_times_y_times_one_minus_y(impl, dtype):
    g = arr([2.0, -4.0, 1.0, 8.0], dtype)
    y = arr([0.5, 0.25, 1.0, 0.0], dtype)
    assert_same_bits(impl.sigmoid_backward(g, y), arr([0.5, -0.75, 0.0, 0.0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_relu_backward_passes_grad_out_where_y_is_positive(impl, dtype):
    g = arr([2.0, -4.0, 1.0, 8.0, -0.0], dtype)
    y = arr([0.5, 3.0, 0.0, -1.0, 2.0], dtype)
    assert_same_bits(impl.relu_backward(g, y), arr([2.0, -4.0, 0.0, 0.0, -0.0], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_relu_backward_masks_nan_and_inf_gradients_where_y_is_not_positive(impl, dtype):
    # like torch's threshold_backward: the gradient is selected, not multiplied
    g = arr([np.nan, np.inf, -np.inf, np.nan], dtype)
    y = arr([0.0, -1.0, -0.0, 1.0], dtype)
    assert_same_bits(impl.relu_backward(g, y), arr([0.0, 0.0, 0.0, np.nan], dtype))


@IMPLEMENTATIONS
@DTYPES
def test_leaky_relu_backward_scales_grad_out_by_alpha_where_x_is_not_positive(impl, dtype):
    g = arr([2.0, -4.0, 1.0, 8.0], dtype)
    x = arr([0.5, 3.0, 0.0, -1.0], dtype)
    assert_same_bits(impl.leaky_relu_backward(g, x, 0.5), arr([2.0, -4.0, 0.5, 4.0], dtype))


@IMPLEMENTATIONS
def test_relu_backward_accepts_the_input_or_the_output(impl):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    g = rng.standard_normal(1000)
    assert_same_bits(impl.relu_backward(g, impl.relu(x)), impl.relu_backward(g, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["softplus", "softplus_grad", "softplus_backward"])
def test_a_nan_softplus_beta_gives_nan(name, dtype):
    x = np.array([-30, -1, -0.0, 0, 1, 30, np.inf, -np.inf], dtype=dtype)
    f = getattr(fastact, name)
    args = (x, x) if name.endswith("backward") else (x,)
    with np.errstate(all="raise"):
        assert np.isnan(f(*args, beta=np.nan)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_silu_grad_at_minus_inf_is_plus_zero_like_the_reference(dtype):
    x = np.array([-np.inf], dtype=dtype)
    got = fastact.silu_grad(x)
    assert got[0] == 0 and not np.signbit(got[0])
    with np.errstate(all="ignore"):
        assert not np.signbit(fastact.reference.silu_grad(x)[0])
    # finite arguments far below keep the sign of their (negative) value
    assert np.signbit(fastact.silu_grad(np.array([-1e30], dtype=dtype))[0])


@pytest.mark.parametrize("n", [2, 16, 33])
def test_softmax_backward_whose_dot_product_overflows_gives_the_references_inf(n):
    g = np.full(n, 1e300)
    y = np.full(n, 1e300)
    with np.errstate(all="ignore"):
        want = fastact.reference.softmax_backward(g, y)
    assert np.isneginf(want).all()
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(fastact.softmax_backward(g, y), want)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_softmax_trio_axis_none_takes_the_whole_array_as_one_row(name, order):
    rng = np.random.default_rng(3)
    x = np.asarray(rng.standard_normal((3, 4, 5)) * 3, order=order)
    args = [x] if name != "softmax_backward" else [
        np.asarray(rng.standard_normal(x.shape), order=order),
        np.asarray(fastact.softmax(x, axis=None), order=order)]
    fn = getattr(fastact, name)
    got = fn(*args, axis=None)
    assert got.shape == x.shape
    want = fn(*[np.ascontiguousarray(a).reshape(1, -1) for a in args]).reshape(x.shape)
    np.testing.assert_array_equal(got, want)
    out = np.zeros(x.shape, order=order)
    assert fn(*args, axis=None, out=out) is out
    np.testing.assert_array_equal(out, want)
    if name == "softmax":
        assert got.sum() == pytest.approx(1.0, rel=1e-13)


def test_softmax_axis_none_matches_scipy_and_takes_a_scalar():
    special = pytest.importorskip("scipy.special")
    x = np.random.default_rng(4).standard_normal((6, 7))
    np.testing.assert_allclose(fastact.softmax(x, axis=None), special.softmax(x, axis=None),
                               rtol=1e-14)
    np.testing.assert_allclose(fastact.log_softmax(x, axis=None),
                               special.log_softmax(x, axis=None), rtol=1e-13)
    assert fastact.softmax(np.float64(2.5), axis=None) == 1.0
    in_place = x.copy()
    assert fastact.softmax(in_place, axis=None, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, fastact.softmax(x, axis=None))
