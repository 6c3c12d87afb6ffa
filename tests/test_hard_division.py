"""relu6's family divides by 6 (hard_sigmoid, hard_swish and their
derivatives): the kernels use a product and an exact remainder instead of a
division where the tier has FMA, and x * 0.5 for hard_swish's tiny inputs.
Both must give the correctly rounded quotient of torch's formula, which
numpy's own arithmetic in the same dtype computes: checked on inputs dense
near the kinks, on tiny and subnormal ones (where a quotient can be a tie
between two subnormals) and on every grad_out scale."""
import numpy as np
import pytest

import fastact
from fastact import kernels

DTYPES = [np.float32, np.float64]


def ties_in_smallest_normal_binade(dtype, k):
    """Integers m = 6j + 3 with 2^p <= m < 2^(p+1), p the mantissa's bits:
    m times the smallest subnormal is a normal whose sixth is a tie between
    two subnormals."""
    p = np.finfo(dtype).nmant
    first = (2 ** p + 5) // 6
    return (6 * (first + k.astype(np.int64)) + 3).astype(dtype)


def inputs(dtype):
    fi = np.finfo(dtype)
    rng = np.random.default_rng(6)
    tiny = fi.smallest_subnormal
    k = np.arange(1, 4000, dtype=dtype)
    parts = [
        rng.uniform(-3, 3, 20000).astype(dtype),
        rng.uniform(-7, 7, 20000).astype(dtype),
        k * tiny, -k * tiny,                                  # subnormals: (6k + 3) * tiny ties
        (6 * k + 3) * tiny,
        # ties in the smallest normal binade (|grad_out| < 2^-125 or 2^-1021,
        # where hard_sigmoid_backward's division scales before it divides)
        ties_in_smallest_normal_binade(dtype, k) * tiny,
        fi.smallest_normal * rng.uniform(-8, 8, 4000).astype(dtype),
        np.exp(rng.uniform(np.log(float(tiny)), 1.1, 20000)).astype(dtype),
        np.array([0.0, -0.0, 3, -3, 6, -6, 1.5, -1.5, fi.max, -fi.max], dtype),
    ]
    return np.concatenate(parts)


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_sigmoid_is_the_rounded_quotient(dtype):
    x = inputs(dtype)
    with np.errstate(all="ignore"):
        want = np.clip(x + dtype(3), dtype(0), dtype(6)) / dtype(6)
    np.testing.assert_array_equal(fastact.hard_sigmoid(x).view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_swish_is_the_rounded_quotient_inside(dtype):
    x = inputs(dtype)
    x = x[np.abs(x) < 3]
    with np.errstate(all="ignore"):
        want = (x * (x + dtype(3))) / dtype(6)
    np.testing.assert_array_equal(fastact.hard_swish(x).view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("tier", kernels.available_isas())
@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_sigmoid_backward_divides_every_grad_out(dtype, tier):
    g = np.concatenate([inputs(dtype), [np.inf, -np.inf, np.nan]]).astype(dtype)
    x = np.full_like(g, 1)
    before = kernels.current_isa()
    kernels._set_isa(tier)
    try:
        got = fastact.hard_sigmoid_backward(g, x)
    finally:
        kernels._set_isa(before)
    np.testing.assert_array_equal(got.view(np.uint8), (g / dtype(6)).view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_swish_backward_slope_is_the_rounded_quotient(dtype):
    x = inputs(dtype)
    x = x[np.abs(x) < 3]
    g = np.full_like(x, 1)
    want = (x + x + dtype(3)) / dtype(6)
    np.testing.assert_array_equal(fastact.hard_swish_backward(g, x).view(np.uint8),
                                  want.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_swish_outside_is_minus_zero_and_x(dtype):
    fi = np.finfo(dtype)
    below = np.array([-3, -3.5, -1e10, -fi.max, -np.inf], dtype)
    above = np.array([3, 3.5, 1e10, fi.max, np.inf], dtype)
    np.testing.assert_array_equal(fastact.hard_swish(below).view(np.uint8),
                                  np.full_like(below, -0.0).view(np.uint8))
    np.testing.assert_array_equal(fastact.hard_swish(above), above)
    zeros = np.array([0.0, -0.0], dtype)
    np.testing.assert_array_equal(fastact.hard_swish(zeros).view(np.uint8), zeros.view(np.uint8))
