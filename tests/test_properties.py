"""Property-based: for any float32 or float64 arrays (NaN, inf and subnormals
included) fastact agrees with the contract — bitwise with the reference for
the ReLU family, within 2 ULP of the oracle for the sigmoid family."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from _compare import assert_same_bits, assert_within_ulp, require_oracle_for  # noqa: E402
from _functions import BY_NAME, EXACT  # noqa: E402

import fastact  # noqa: E402
from fastact._oracle import ORACLES  # noqa: E402

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=16)


def floats(dtype, **kwargs):
    return st.floats(width=np.dtype(dtype).itemsize * 8, allow_subnormal=True, **kwargs)


def arrays(dtype, shape, **kwargs):
    return hnp.arrays(dtype, shape, elements=floats(dtype, **kwargs))


@DTYPES
@pytest.mark.parametrize("fn", EXACT, ids=str)
@given(data=st.data())
def test_relu_family_equals_the_reference_bitwise_for_any_arrays(fn, dtype, data):
    shape = data.draw(SHAPES, label="shape")
    operands = [data.draw(arrays(dtype, shape), label=f"operand{i}") for i in range(fn.n_arrays)]
    alpha = data.draw(floats(dtype), label="alpha") if fn.has_alpha else 0.01
    alpha = dtype(alpha)
    with np.errstate(all="ignore"):  # signalling NaNs may be drawn; not this test's subject
        assert_same_bits(fn.fast(*operands, alpha=alpha), fn.ref(*operands, alpha=alpha))


@DTYPES
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
@given(data=st.data())
def test_sigmoid_and_its_grad_are_within_2_ulp_for_any_arrays(name, dtype, data):
    require_oracle_for(dtype)
    x = data.draw(arrays(dtype, SHAPES), label="x")
    with np.errstate(all="ignore"):
        result = BY_NAME[name].fast(x)
        assert_within_ulp(result, ORACLES[name](x), [x])


@DTYPES
@given(data=st.data())
def test_sigmoid_backward_is_within_2_ulp_for_any_gradient_and_probability(dtype, data):
    require_oracle_for(dtype)
    shape = data.draw(SHAPES, label="shape")
    g = data.draw(arrays(dtype, shape), label="grad_out")
    y = data.draw(arrays(dtype, shape, min_value=0.0, max_value=1.0), label="y")
    with np.errstate(all="ignore"):
        result = fastact.sigmoid_backward(g, y)
        assert_within_ulp(result, ORACLES["sigmoid_backward"](g, y), [g, y])


@DTYPES
@given(data=st.data())
def test_sigmoid_of_any_array_lies_in_the_unit_interval(dtype, data):
    x = data.draw(arrays(dtype, SHAPES, allow_nan=False), label="x")
    y = np.asarray(fastact.sigmoid(x))
    assert ((y >= 0) & (y <= 1)).all()
    g = np.asarray(fastact.sigmoid_grad(x))
    assert ((g >= 0) & (g <= 0.25)).all()
