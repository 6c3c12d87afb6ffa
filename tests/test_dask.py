"""fastact on dask arrays: lazy through the ufunc protocol, correct on a
distributed cluster of worker processes, and every public function pickles."""
import pickle

import numpy as np
import pytest

import fastact
from fastact import _catalog, reference

da = pytest.importorskip("dask.array")

SPECS = _catalog.SPECS
IDS = [spec.name for spec in SPECS]


def operands(spec, dtype, n=10_000, seed=0):
    """numpy arrays for the spec's inputs: x and grad_out standard normal
    (with zeros, infinities and NaN), y a forward output in (0, 1)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for name in spec.inputs:
        a = rng.standard_normal(n) * 4
        if name == "y":
            a = reference.sigmoid(a)
        else:
            a[:4] = [0.0, np.inf, -np.inf, np.nan]
        arrays.append(a.astype(dtype))
    return arrays


def assert_matches(spec, got, args):
    """Bit for bit what fastact gives on the whole numpy array here, and close
    to the reference. (The ulp bound itself is the accuracy tests' business:
    this checks that the workers ran the right function on the right data.)"""
    np.testing.assert_array_equal(got, getattr(fastact, spec.name)(*args, **spec.params))
    want = getattr(reference, spec.name)(*args, **spec.params)
    assert got.dtype == want.dtype
    tol = 4 * max(spec.ulp, 1) * np.finfo(got.dtype).eps
    np.testing.assert_allclose(got, want, rtol=tol, atol=4 * tol, equal_nan=True)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_dask_array_in_gives_lazy_dask_array_out(spec):
    args = operands(spec, np.float32)
    lazy = [da.from_array(a, chunks=2_500) for a in args]
    result = getattr(fastact, spec.name)(*lazy, **spec.params)
    assert isinstance(result, da.Array)
    assert result.dtype == np.float32
    assert result.chunks == lazy[0].chunks
    # Chunk by chunk, the same kernels give the same bits as on the whole array.
    np.testing.assert_array_equal(result.compute(), getattr(fastact, spec.name)(*args))


def numeric_params(spec):
    return {k: v for k, v in spec.params.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


@pytest.mark.parametrize("spec", [s for s in SPECS if numeric_params(s)], ids=lambda s: s.name)
def test_parameter_wrappers_pass_dask_arrays_through(spec):
    args = operands(spec, np.float64)
    lazy = [da.from_array(a, chunks=3_000) for a in args]
    # Not the defaults: each numeric parameter scaled.
    params = dict(spec.params) | {k: v * 20 for k, v in numeric_params(spec).items()}
    result = getattr(fastact, spec.name)(*lazy, **params)
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), getattr(fastact, spec.name)(*args, **params))
    # A parameter that is itself a dask array broadcasts like any operand.
    key = next(iter(numeric_params(spec)))
    per_element = da.from_array(np.full(args[0].shape, params[key]), chunks=3_000)
    result = getattr(fastact, spec.name)(*lazy, **(params | {key: per_element}))
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), getattr(fastact, spec.name)(*args, **params))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_public_function_pickles_to_itself(spec):
    f = getattr(fastact, spec.name)
    assert pickle.loads(pickle.dumps(f)) is f
    cloudpickle = pytest.importorskip("cloudpickle")
    assert cloudpickle.loads(cloudpickle.dumps(f)) is f


def test_compiled_ufuncs_pickle_to_themselves():
    for spec in SPECS:
        u = getattr(fastact._ufuncs, spec.name)
        assert isinstance(u, np.ufunc)
        assert pickle.loads(pickle.dumps(u)) is u


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_function_on_a_distributed_cluster_matches_reference(client, dtype):
    specs = SPECS
    arguments = [operands(spec, dtype, n=40_000, seed=i) for i, spec in enumerate(specs)]
    lazy = [getattr(fastact, spec.name)(*[da.from_array(a, chunks=10_000) for a in args],
                                        **spec.params)
            for spec, args in zip(specs, arguments)]
    results = client.gather(client.compute(lazy))
    # The chunks really ran in the worker processes.
    assert len(client.scheduler_info()["workers"]) == 2
    for spec, args, got in zip(specs, arguments, results):
        assert isinstance(got, np.ndarray)
        assert_matches(spec, got, args)


def test_workers_report_fastact_as_imported_there(client):
    # The workers are separate processes that import fastact themselves
    # (pickles name the functions, they do not carry code).
    configs = client.run(fastact.config)
    assert len(configs) == 2
    assert all(c["version"] == fastact.__version__ for c in configs.values())


# The softmax trio: row functions, so each block must hold whole rows.

SOFTMAX_TRIO = ["softmax", "log_softmax", "softmax_backward"]


def trio_operands(name, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if name != "softmax_backward":
        return [x]
    return [rng.standard_normal(shape).astype(dtype), fastact.softmax(x, axis=0)]


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", SOFTMAX_TRIO)
def test_softmax_trio_on_dask_stays_lazy_along_any_axis(name, axis):
    args = trio_operands(name, (60, 50), np.float32)
    # Chunked along both axes: the softmax axis must be rechunked to one chunk.
    lazy = [da.from_array(a, chunks=(20, 25)) for a in args]
    result = getattr(fastact, name)(*lazy, axis=axis)
    assert isinstance(result, da.Array)
    assert result.dtype == np.float32 and result.shape == (60, 50)
    assert len(result.chunks[axis]) == 1                 # whole rows per block
    other = 1 - (axis % 2)
    assert result.chunks[other] == lazy[0].chunks[other]  # the other axis as it was
    np.testing.assert_array_equal(result.compute(), getattr(fastact, name)(*args, axis=axis))


@pytest.mark.parametrize("name", SOFTMAX_TRIO)
def test_softmax_trio_on_dask_axis_none_is_over_the_whole_array(name):
    args = trio_operands(name, (30, 40), np.float64)
    lazy = [da.from_array(a, chunks=(10, 10)) for a in args]
    result = getattr(fastact, name)(*lazy, axis=None)
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), getattr(fastact, name)(*args, axis=None))


def test_softmax_on_dask_keeps_the_dtype_rule_and_an_already_whole_axis():
    x = np.arange(24, dtype=np.int32).reshape(4, 6)
    lazy = da.from_array(x, chunks=(2, 6))
    result = fastact.softmax(lazy)
    assert result.dtype == fastact.softmax(x).dtype == np.float64
    assert result.chunks == lazy.chunks                  # no rechunk needed
    np.testing.assert_array_equal(result.compute(), fastact.softmax(x))


def test_softmax_backward_mixes_dask_and_numpy():
    g, y = trio_operands("softmax_backward", (8, 12), np.float64)
    result = fastact.softmax_backward(da.from_array(g, chunks=4), y, axis=0)
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), fastact.softmax_backward(g, y, axis=0))


def test_softmax_on_dask_refuses_out_and_a_bad_axis():
    lazy = da.ones((4, 4), chunks=2)
    with pytest.raises(TypeError, match="out= is not supported for dask"):
        fastact.softmax(lazy, out=np.empty((4, 4)))
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(lazy, axis=2)
