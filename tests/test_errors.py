"""Bad input fails the way numpy's own ufuncs fail, and leaves outputs alone;
Python lists and scalars work as they do with np.exp."""
import numpy as np
import pytest

from _functions import FUNCTIONS

import fastact
from fastact import reference

EVERY_FUNCTION = pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
IMPLEMENTATIONS = pytest.mark.parametrize("impl", [fastact, reference], ids=["fastact", "reference"])


def operands(fn, n=8):
    return tuple(np.linspace(-2, 2, n) for _ in range(fn.n_arrays))


@EVERY_FUNCTION
def test_read_only_out_raises_value_error_and_stays_unchanged(fn):
    out = np.full(8, 3.0)
    out.flags.writeable = False
    with pytest.raises(ValueError):
        fn.fast(*operands(fn), out=out)
    assert (out == 3.0).all()


@EVERY_FUNCTION
def test_read_only_input_used_as_out_raises_value_error(fn):
    arrays = operands(fn)
    arrays[0].flags.writeable = False
    with pytest.raises(ValueError):
        fn.fast(*arrays, out=arrays[0])
    assert (arrays[0] == np.linspace(-2, 2, 8)).all()


@EVERY_FUNCTION
def test_integer_out_raises_numpys_casting_type_error(fn):
    out = np.zeros(8, dtype=np.int64)
    with pytest.raises(TypeError):
        fn.fast(*operands(fn), out=out)
    assert (out == 0).all()


@EVERY_FUNCTION
def test_out_of_the_wrong_shape_raises_value_error(fn):
    with pytest.raises(ValueError):
        fn.fast(*operands(fn), out=np.empty(7))


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.n_arrays == 2], ids=str)
def test_operands_of_mismatched_shapes_raise_value_error(fn):
    with pytest.raises(ValueError):
        fn.fast(np.ones(3), np.ones(4))


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.has_alpha], ids=str)
def test_alpha_of_mismatched_shape_raises_value_error(fn):
    with pytest.raises(ValueError):
        fn.fast(*operands(fn, 3), alpha=np.full(4, 0.1))


@IMPLEMENTATIONS
@EVERY_FUNCTION
@pytest.mark.parametrize("bad", [np.array(["a", None, object()], dtype=object),
                                 np.array(["1.0", "2.0", "x"])],
                         ids=["object_array", "string_array"])
def test_object_and_string_arrays_raise_type_error(fn, impl, bad):
    for i in range(fn.n_arrays):
        arrays = [np.ones(3)] * fn.n_arrays
        arrays[i] = bad
        with pytest.raises(TypeError):
            fn.call(impl, *arrays)


@IMPLEMENTATIONS
@EVERY_FUNCTION
def test_python_lists_work_like_arrays(fn, impl):
    lists = [[-1.5, 0.0, 0.25, 2.0]] * fn.n_arrays
    result = fn.call(impl, *lists)
    assert isinstance(result, np.ndarray) and result.dtype == np.float64
    np.testing.assert_array_equal(result, fn.call(impl, *(np.array(v) for v in lists)))


@IMPLEMENTATIONS
@EVERY_FUNCTION
@pytest.mark.parametrize("value, scalar_type", [
    (0.75, np.float64), (2, np.float64), (np.float64(-0.75), np.float64),
    (np.float32(0.75), np.float32),
], ids=["float", "int", "np.float64", "np.float32"])
def test_scalars_give_numpy_scalars(fn, impl, value, scalar_type):
    result = fn.call(impl, *[value] * fn.n_arrays)
    assert type(result) is scalar_type
