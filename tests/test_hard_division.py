"""relu6's family divides by 6 (hard_sigmoid, hard_swish and their
derivatives): the kernels use a product and an exact remainder instead of a
division where the tier has FMA, and x * 0.5 for hard_swish's tiny inputs.
Both must give the correctly rounded quotient of torch's formula, which
numpy's own arithmetic in the same dtype computes: checked on inputs dense
near the kinks, on tiny and subnormal ones (where a quotient can be a tie
between two subnormals) and on every grad_out scale."""
import contextlib

import numpy as np
import pytest

import _inputs

import fastact
from fastact import kernels
from fastact._catalog import BY_NAME

DTYPES = [np.float32, np.float64]


@contextlib.contextmanager
def tier_in_use(tier):
    """The kernels of ISA tier `tier` for the block, the tier before after."""
    before = kernels.current_isa()
    kernels._set_isa(tier)
    try:
        yield
    finally:
        kernels._set_isa(before)


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
        # where hard_sigmoid_backward's division takes the quotient in units
        # of the smallest subnormal)
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
    with tier_in_use(tier):
        got = fastact.hard_sigmoid_backward(g, x)
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


def odd_grads(dtype):
    """grad_out values outside the range where the AVX-512 loops divide by
    6 with products (0 < |g| < 2^-125 or 2^-1021, inf, NaN), and either side
    of its bounds: each must send its block to the form that divides every
    value (any_outside_div6)."""
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    bound = dtype(2.0 ** (-125 if dtype == np.float32 else -1021))
    tie = ties_in_smallest_normal_binade(dtype, np.arange(1, 2, dtype=dtype))[0] * fi.smallest_subnormal
    odd = [np.inf, -np.inf, np.nan, -np.nan, tie, -tie, fi.smallest_subnormal * 9,
           fi.smallest_normal, np.nextafter(bound, dtype(0)), -np.nextafter(bound, dtype(0))]
    edges = [bound, -bound, np.nextafter(bound, dtype(1)), fi.max, -fi.max, 0.0, -0.0]
    return np.array(odd, dtype), np.array(edges, dtype), uint


@pytest.mark.parametrize("tier", kernels.available_isas())
@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_sigmoid_backward_one_odd_grad_out_in_a_block(dtype, tier, fastact_threads):
    # One odd grad_out among normal ones, first, inside and last in a block
    # of 2048 (SUBNORMAL_BLOCK) or a prefetch chunk (inputs above 12 MiB),
    # out of place and in place: the quotient of every element, exactly.
    fastact_threads(1)
    odd, edges, uint = odd_grads(dtype)
    rng = np.random.default_rng(3)
    with tier_in_use(tier):
        for n in (2 * 2048 + 100,
                  _inputs.prefetch_from_bytes(BY_NAME["hard_sigmoid_backward"])
                  // np.dtype(dtype).itemsize + 5000):
            base = (rng.standard_normal(n) * 100).astype(dtype)
            base[7::1000] = np.resize(edges, base[7::1000].size)
            x = rng.uniform(-3.5, 3.5, n).astype(dtype)
            for value in odd:
                g = base.copy()
                for at in (0, 1, 127, 128, 2047, 2048, n - 1):
                    g[at] = value
                with np.errstate(all="ignore"):
                    want = np.where(np.abs(x) < 3, g / dtype(6), dtype(0))
                got = fastact.hard_sigmoid_backward(g, x)
                in_place = g.copy()
                fastact.hard_sigmoid_backward(in_place, x, out=in_place)
                np.testing.assert_array_equal(got.view(uint), want.view(uint), err_msg=repr(value))
                np.testing.assert_array_equal(in_place.view(uint), want.view(uint))


@pytest.mark.parametrize("tier", kernels.available_isas())
@pytest.mark.parametrize("narrow", ["float16", "bfloat16"])
def test_hard_sigmoid_backward_narrow_every_grad_out(narrow, tier):
    # every float16 / bfloat16 grad_out (bfloat16 has float32's tiny values,
    # which its widened blocks must route as the float32 loop does): the
    # float32 quotient rounded once
    if narrow == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes", reason="bfloat16 is the fastact[bfloat16] extra")
        dtype = np.dtype(ml_dtypes.bfloat16)
    else:
        dtype = np.dtype(np.float16)
    g = np.arange(1 << 16, dtype=np.uint16).view(dtype)
    x = np.ones(g.size, dtype)
    with tier_in_use(tier):
        got = fastact.hard_sigmoid_backward(g, x)
    with np.errstate(invalid="ignore"):        # signaling NaN patterns
        want = (g.astype(np.float32) / np.float32(6)).astype(dtype)
    nan = np.isnan(want.astype(np.float32))
    np.testing.assert_array_equal(got.view(np.uint16)[~nan], want.view(np.uint16)[~nan])
    assert np.isnan(got[nan].astype(np.float32)).all()
