"""fastact.reference is a trustworthy numpy twin: stable, close to the oracle,
computed in the input's precision. (Its exact semantics are checked beside
fastact's in test_semantics, test_warnings and test_errors.)"""
import numpy as np
import pytest

import _inputs
import _oracle
from _compare import assert_within_ulp

from fastact import reference

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_reference_sigmoid_family_is_within_a_few_ulp_of_the_oracle(name, dtype):
    # Plain numpy in the input's precision (exp, an add, a division, a square):
    # its roundings add up to about 3 ULP for float32 sigmoid, 4.5 for
    # sigmoid_grad. Not held to fastact's 2 ULP, but never far off.
    _oracle.require_oracle_for(dtype)
    x = np.concatenate([_inputs.dense_grid(dtype)[::4],
                        _inputs.special_values(dtype), _inputs.sigmoid_breakpoints(dtype)])
    assert_within_ulp(getattr(reference, name)(x), getattr(_oracle, name)(x), [x], max_ulp=8)


@DTYPES
def test_reference_computes_in_the_input_precision(dtype):
    x = np.linspace(-5, 5, 11, dtype=dtype)
    for name in ["sigmoid", "relu", "leaky_relu", "sigmoid_grad", "relu_grad", "leaky_relu_grad"]:
        assert getattr(reference, name)(x).dtype == dtype
    for name in ["sigmoid_backward", "relu_backward", "leaky_relu_backward"]:
        assert getattr(reference, name)(x, x).dtype == dtype


def test_reference_sigmoid_does_not_overflow_far_out():
    assert reference.sigmoid(-1000.0) == 0.0
    assert reference.sigmoid(1000.0) == 1.0
    assert reference.sigmoid(np.float32(-200)) == 0.0


def test_reference_sigmoid_grad_keeps_its_tails():
    assert reference.sigmoid_grad(40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)
    assert reference.sigmoid_grad(np.float32(80)) > 0
