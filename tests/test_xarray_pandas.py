"""fastact on labelled data: xarray DataArrays and pandas Series/DataFrames
come back as the same kind of object with their labels, through numpy's
__array_ufunc__ protocol."""
import numpy as np
import pytest

import fastact
from fastact import _catalog, reference

SPECS = _catalog.SPECS
IDS = [spec.name for spec in SPECS]


def values(spec, shape, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for name in spec.inputs:
        a = rng.standard_normal(shape) * 3
        out.append(reference.sigmoid(a) if name == "y" else a)
    return out


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_dataarray_in_dataarray_out_with_coordinates(spec):
    xr = pytest.importorskip("xarray")
    coords = {"time": np.arange(4), "unit": ["a", "b", "c"], "label": ("time", list("wxyz"))}
    arrays = [xr.DataArray(v, dims=("time", "unit"), coords=coords, name="act",
                           attrs={"units": "V"})
              for v in values(spec, (4, 3))]
    result = getattr(fastact, spec.name)(*arrays)
    assert isinstance(result, xr.DataArray)
    assert result.dims == ("time", "unit")
    xr.testing.assert_identical(result.coords.to_dataset(), arrays[0].coords.to_dataset())
    np.testing.assert_array_equal(result.values,
                                  getattr(fastact, spec.name)(*[a.values for a in arrays]))


def test_dataarray_float32_stays_float32_and_parameters_broadcast():
    xr = pytest.importorskip("xarray")
    x = xr.DataArray(np.linspace(-2, 2, 5, dtype=np.float32), dims="t", coords={"t": np.arange(5)})
    assert fastact.sigmoid(x).dtype == np.float32
    alpha = xr.DataArray([0.1, 0.2], dims="channel", coords={"channel": ["l", "r"]})
    result = fastact.leaky_relu(x, alpha=alpha)
    assert result.dims == ("t", "channel")
    assert result.dtype == np.float64   # a float64 alpha array promotes, as in numpy
    np.testing.assert_array_equal(result.sel(channel="r").values,
                                  fastact.leaky_relu(x.values.astype(np.float64), alpha=0.2))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_series_in_series_out_with_index(spec):
    pd = pytest.importorskip("pandas")
    index = pd.date_range("2026-01-01", periods=6, name="day")
    series = [pd.Series(v, index=index, name="s") for v in values(spec, 6)]
    result = getattr(fastact, spec.name)(*series)
    assert isinstance(result, pd.Series)
    assert result.index.equals(index)
    np.testing.assert_array_equal(result.to_numpy(),
                                  getattr(fastact, spec.name)(*[s.to_numpy() for s in series]))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_dataframe_in_dataframe_out_with_index_and_columns(spec):
    pd = pytest.importorskip("pandas")
    frames = [pd.DataFrame(v, index=list("pqrs"), columns=["u", "v", "w"])
              for v in values(spec, (4, 3))]
    result = getattr(fastact, spec.name)(*frames)
    assert isinstance(result, pd.DataFrame)
    assert list(result.index) == list("pqrs") and list(result.columns) == ["u", "v", "w"]
    np.testing.assert_array_equal(result.to_numpy(),
                                  getattr(fastact, spec.name)(*[f.to_numpy() for f in frames]))


def test_series_with_a_parameter_keeps_its_name_and_index():
    pd = pytest.importorskip("pandas")
    s = pd.Series([-2.0, 0.0, 3.0], index=["a", "b", "c"], name="z")
    result = fastact.leaky_relu(s, alpha=0.5)
    assert isinstance(result, pd.Series) and result.name == "z"
    assert result.to_dict() == {"a": -1.0, "b": 0.0, "c": 3.0}


# The softmax trio keeps labels too (it is not a ufunc: it dispatches itself).

SOFTMAX_TRIO = ["softmax", "log_softmax", "softmax_backward"]


def trio_values(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    if name != "softmax_backward":
        return [x]
    return [rng.standard_normal(shape), fastact.softmax(x, axis=0)]


@pytest.mark.parametrize("axis", [0, -1, None])
@pytest.mark.parametrize("name", SOFTMAX_TRIO)
def test_softmax_trio_on_dataarrays_keeps_dims_coords_name_attrs(name, axis):
    xr = pytest.importorskip("xarray")
    coords = {"time": np.arange(4), "unit": ["a", "b", "c"], "label": ("time", list("wxyz"))}
    values = trio_values(name, (4, 3))
    arrays = [xr.DataArray(v, dims=("time", "unit"), coords=coords, name="act",
                           attrs={"units": "V"}) for v in values]
    result = getattr(fastact, name)(*arrays, axis=axis)
    assert isinstance(result, xr.DataArray)
    assert result.dims == ("time", "unit") and result.name == "act"
    xr.testing.assert_identical(result.coords.to_dataset(), arrays[0].coords.to_dataset())
    np.testing.assert_array_equal(result.values, getattr(fastact, name)(*values, axis=axis))


def test_softmax_backward_aligns_two_dataarrays_by_dimension_name():
    xr = pytest.importorskip("xarray")
    g, y = trio_values("softmax_backward", (4, 3))
    G = xr.DataArray(g, dims=("time", "unit"))
    Y = xr.DataArray(y.T.copy(), dims=("unit", "time"))     # same data, dims swapped
    result = fastact.softmax_backward(G, Y, axis=0)
    assert result.dims == ("time", "unit")
    np.testing.assert_array_equal(result.values, fastact.softmax_backward(g, y, axis=0))


def test_softmax_on_a_dask_backed_dataarray_stays_lazy():
    xr = pytest.importorskip("xarray")
    pytest.importorskip("dask.array")
    x = xr.DataArray(np.random.default_rng(0).standard_normal((6, 8)), dims=("b", "c"))
    result = fastact.softmax(x.chunk({"b": 2, "c": 4}), axis=-1)
    assert result.chunks is not None                      # still dask inside
    np.testing.assert_array_equal(result.compute().values, fastact.softmax(x.values))


@pytest.mark.parametrize("name", SOFTMAX_TRIO)
def test_softmax_trio_on_a_series_keeps_index_and_name(name):
    pd = pytest.importorskip("pandas")
    values = trio_values(name, (5,))
    index = pd.Index(list("vwxyz"), name="k")
    series = [pd.Series(v, index=index, name="s") for v in values]
    result = getattr(fastact, name)(*series)
    assert isinstance(result, pd.Series)
    assert result.index.equals(index) and result.name == "s"
    np.testing.assert_array_equal(result.to_numpy(), getattr(fastact, name)(*values))


@pytest.mark.parametrize("axis", [0, -1, None])
@pytest.mark.parametrize("name", SOFTMAX_TRIO)
def test_softmax_trio_on_a_dataframe_keeps_index_and_columns(name, axis):
    pd = pytest.importorskip("pandas")
    values = trio_values(name, (4, 3))
    index = pd.date_range("2026-01-01", periods=4, name="day")
    frames = [pd.DataFrame(v, index=index, columns=["a", "b", "c"]) for v in values]
    result = getattr(fastact, name)(*frames, axis=axis)
    assert isinstance(result, pd.DataFrame)
    assert result.index.equals(index) and list(result.columns) == ["a", "b", "c"]
    np.testing.assert_array_equal(result.to_numpy(), getattr(fastact, name)(*values, axis=axis))


def test_softmax_on_labelled_data_refuses_out():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="out= is not supported for pandas"):
        fastact.softmax(pd.Series([1.0, 2.0]), out=np.empty(2))
