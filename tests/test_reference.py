"""fastact.reference is a trustworthy numpy twin: stable, close to the oracle
and to fastact for every function of the catalogue, computed in the input's
precision. (Its exact semantics are checked beside fastact's in
test_semantics, test_warnings and test_errors; the exact functions bitwise in
test_accuracy.)"""
import numpy as np
import pytest

import _inputs
from _compare import assert_within_ulp, require_oracle_for

import fastact
from fastact import reference
from fastact._catalog import SPECS
from fastact._oracle import ORACLES

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_grad"])
def test_reference_sigmoid_family_is_within_a_few_ulp_of_the_oracle(name, dtype):
    # Plain numpy in the input's precision (exp, an add, a division, a square):
    # its roundings add up to about 3 ULP for float32 sigmoid, 4.5 for
    # sigmoid_grad. Not held to fastact's 2 ULP, but never far off.
    require_oracle_for(dtype)
    x = np.concatenate([_inputs.dense_grid(dtype)[::4],
                        _inputs.special_values(dtype), _inputs.sigmoid_breakpoints(dtype)])
    assert_within_ulp(getattr(reference, name)(x), ORACLES[name](x), [x], max_ulp=8)


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


# The twin computes in the input's own precision, so where the function is
# a few roundings deep its error adds to fastact's: tolerances in machine
# epsilons, relative to max(|value|, 1).
CLOSE_EPS = 8
# mish's derivatives: tanh(softplus x) and sech^2 each rounded in the dtype
# before they are combined.
CLOSE_EPS_EXCEPT = {"mish_grad": 16, "mish_backward": 16}


def agreement_inputs(spec, dtype):
    rng = np.random.default_rng(11)
    finite = _inputs.activation_landmarks(dtype)
    finite = finite[np.isfinite(finite) & (np.abs(finite) < 1e4)]
    x = np.concatenate([np.linspace(-20, 20, 4001), rng.uniform(-20, 20, 2000),
                        rng.standard_normal(2000) * 2, finite]).astype(dtype)
    if spec.variant != "backward":
        return (x,)
    if spec.inputs[-1] == "y":
        x = getattr(reference, spec.activation)(x)
    return (np.linspace(-2, 2, x.size).astype(dtype), x)


@DTYPES
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_reference_agrees_with_fastact(spec, dtype):
    arrays = agreement_inputs(spec, dtype)
    ref = getattr(reference, spec.name)(*arrays)
    assert ref.dtype == dtype
    got = getattr(fastact, spec.name)(*arrays)
    tol = CLOSE_EPS_EXCEPT.get(spec.name, CLOSE_EPS) * np.finfo(dtype).eps
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
