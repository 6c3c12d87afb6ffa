"""The public API has docs/contract.md's names and shapes: ufuncs with float32 and
float64 loops, thin leaky_relu functions over ufuncs, numpy's dtype rules,
config(), and an import that leaves the floating-point mode alone."""
import inspect

import numpy as np
import pytest

from _functions import FUNCTIONS, UFUNC_NAMES

import fastact
from fastact import _catalog, reference
from numpy.testing import assert_array_equal


@pytest.mark.parametrize("name", UFUNC_NAMES)
def test_parameterless_functions_are_ufuncs_with_float16_float32_and_float64_loops(name):
    uf = getattr(fastact, name)
    assert isinstance(uf, np.ufunc)
    assert uf.__name__ == name
    assert uf.nout == 1
    # in this order: numpy takes the first loop the inputs cast to safely
    if uf.nin == 1:
        assert uf.types == ["e->e", "f->f", "d->d"]
    else:
        assert uf.nin == 2 and uf.types == ["ee->e", "ff->f", "dd->d"]


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad", "leaky_relu_backward"])
def test_leaky_relu_functions_wrap_ufuncs_of_the_same_name(name):
    assert isinstance(getattr(fastact._ufuncs, name), np.ufunc)
    params = inspect.signature(getattr(fastact, name)).parameters
    assert params["alpha"].default == 0.01
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


@pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
def test_reference_has_the_same_signature(fn):
    fast = inspect.signature(getattr(fastact, fn.name))
    ref = inspect.signature(getattr(reference, fn.name))
    if isinstance(getattr(fastact, fn.name), np.ufunc):
        assert len(ref.parameters) == fn.n_arrays
    else:
        expected = [p for p in fast.parameters.values() if p.kind is not p.VAR_KEYWORD]
        assert list(ref.parameters.values()) == expected


INPUT_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64,
                np.float16, np.float32, np.float64]


def expected_result_dtype(fn, dtype):
    dtype = np.dtype(dtype)
    if dtype in (np.float16, np.float32):
        return dtype
    if dtype.itemsize == 1 and not fn.has_params:
        return np.float16  # bool, int8, uint8 cast safely to float16, as np.exp's
    if dtype.itemsize == 2 and not fn.has_params:
        return np.float32  # int16 casts safely to float32
    # wider integers; and numpy promotes any integer with a Python float
    # (a default parameter such as alpha) to float64 before choosing a loop
    return np.float64


@pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
@pytest.mark.parametrize("dtype", INPUT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_result_dtype_follows_numpys_casting_and_the_reference_agrees(fn, dtype):
    arrays = [np.ones(3, dtype=dtype)] * fn.n_arrays
    result = fn.fast(*arrays)
    assert result.dtype == expected_result_dtype(fn, dtype)
    assert fn.ref(*arrays).dtype == result.dtype


@pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
def test_python_floats_give_float64_numpy_scalars(fn):
    assert isinstance(fn.fast(*[0.5] * fn.n_arrays), np.float64)


def test_integers_are_computed_in_float64():
    assert fastact.sigmoid(np.arange(3)).dtype == np.float64
    assert fastact.relu(np.arange(-3, 3, dtype=np.int32)).dtype == np.float64


def test_float16_stays_float16_and_small_integers_become_float16_as_in_numpy():
    assert fastact.sigmoid(np.ones(3, dtype=np.float16)).dtype == np.float16
    assert fastact.leaky_relu(np.ones(3, dtype=np.float16), 0.2).dtype == np.float16
    for dtype in (np.int8, np.uint8, np.bool_):
        assert fastact.sigmoid(np.ones(3, dtype=dtype)).dtype == np.exp(np.ones(3, dtype)).dtype


def test_float32_alpha_array_keeps_float32_and_float64_alpha_array_promotes():
    x = np.ones(3, dtype=np.float32)
    assert fastact.leaky_relu(x, np.float32(0.1)).dtype == np.float32
    assert fastact.leaky_relu(x, 0.1).dtype == np.float32
    assert fastact.leaky_relu(x, np.full(3, 0.1)).dtype == np.float64


def test_config_reports_version_isa_threads():
    cfg = fastact.config()
    assert {"version", "isa", "isas", "openmp", "num_threads"} <= set(cfg)
    assert cfg["version"] == fastact.__version__
    assert cfg["isa"] in cfg["isas"]
    assert isinstance(cfg["openmp"], bool)
    assert isinstance(cfg["num_threads"], int) and cfg["num_threads"] >= 1


def test_import_leaves_subnormal_arithmetic_on():
    # No flush-to-zero / denormals-are-zero: the process's float mode is the
    # user's (fastact is never built with -ffast-math).
    for dtype in (np.float32, np.float64):
        ss = np.finfo(dtype).smallest_subnormal
        assert np.array([ss], dtype=dtype)[0] * dtype(1) == ss
        assert np.array([np.finfo(dtype).tiny], dtype=dtype) / dtype(2) > 0


def test_ufuncs_dispatch_to_array_ufunc_overrides():
    class Wrapped:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return ("handled", ufunc.__name__)

    assert fastact.sigmoid(Wrapped()) == ("handled", "sigmoid")
    assert fastact.leaky_relu(Wrapped()) == ("handled", "leaky_relu")


@pytest.mark.parametrize("name", [spec.name for spec in _catalog.SPECS])
def test_docstring_has_the_numpydoc_sections_and_its_examples_run(name):
    # Generated from the catalogue (Spec.docstring); the examples' results
    # are literals there, so running them checks the kernels.
    import doctest

    spec = _catalog.BY_NAME[name]
    if name not in _catalog.EXAMPLES:
        x = np.array([-2.0, 0.0, 2.0])
        args = [x] if spec.variant != "backward" else [
            np.ones(3), getattr(reference, spec.activation)(x) if spec.inputs[1] == "y" else x]
        want = repr(getattr(reference, name)(*args))
        pytest.fail(f"add the example's result to EXAMPLES in _catalog.py: {name!r}: {want!r},")
    f = getattr(fastact, name)
    for section in ("Parameters\n----------", "Returns\n-------", "See Also\n--------",
                    "Notes\n-----", "Examples\n--------"):
        assert section in f.__doc__, (name, section)
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(f, name, globs={}):
        runner.run(test)
    assert runner.tries >= 4 and runner.failures == 0


@pytest.mark.parametrize("spec", [s for s in _catalog.SPECS if s.variant == "backward"],
                         ids=lambda s: s.name)
def test_backward_docstring_names_the_arguments_in_order(spec):
    first_line = getattr(fastact._ufuncs, spec.name).__doc__.splitlines()[0]
    assert first_line.startswith(f"{spec.name}(grad_out, {spec.inputs[1]}, ")


def test_leaky_relu_takes_pytorchs_name_for_alpha():
    x = np.array([-2.0, 3.0], dtype=np.float32)
    assert_array_equal(fastact.leaky_relu(x, negative_slope=0.2), fastact.leaky_relu(x, 0.2))
    assert_array_equal(fastact.leaky_relu_backward(np.ones(2), x, negative_slope=0.2),
                       fastact.leaky_relu_backward(np.ones(2), x, alpha=0.2))
    with pytest.raises(TypeError, match="both 'alpha' and 'negative_slope'"):
        fastact.leaky_relu(x, 0.3, negative_slope=0.2)


@pytest.mark.parametrize("name", [s.name for s in _catalog.SPECS if s.params])
def test_a_parameter_that_is_not_a_number_is_named_in_the_error(name):
    spec = _catalog.BY_NAME[name]
    arrays = [np.ones(2)] * len(spec.inputs)
    param = next(iter(spec.params))
    with pytest.raises(TypeError, match=f"{name}\\(\\): {param} must be a real number"):
        getattr(fastact, name)(*arrays, **{param: "0.1"})


def test_dir_shows_no_typing_helpers():
    assert not {"Any", "annotations"} & set(dir(fastact))


def test_every_loop_runs_as_a_numpy_array_method():
    # _ufuncs.pyx registers each float16/float32/float64 loop a second time
    # as an ArrayMethod flagged free of floating-point errors (numpy then
    # skips its flag check, the cheaper call); if a numpy refuses one, the
    # legacy loop serves silently, and this count is where it shows.
    ufuncs = {id(u): u for u in vars(fastact._ufuncs).values() if isinstance(u, np.ufunc)}
    assert len(ufuncs) > len(UFUNC_NAMES)     # the parameter functions and their twins too
    assert fastact._ufuncs._array_methods() == 3 * len(ufuncs)
