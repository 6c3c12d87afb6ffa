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
