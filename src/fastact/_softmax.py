"""softmax, log_softmax and softmax_backward along any axis of any array.

The row kernels (fa_softmax_f32 and friends) take C-ordered (rows, cols)
blocks. This module brings an axis of an arbitrary array to that shape: the
axis moved last is already such a block for C-ordered arrays along their last
axis and for F-ordered arrays along their first; any other layout (another
axis, a strided view) is copied into one, and the result copied back. The
output may be the input (`out=x`), computed in place whenever the layout
allows it.

Dtypes follow the ufuncs' rule: float16, float32, float64 and bfloat16
(ml_dtypes) are kept, other real inputs become the float type the ufuncs
would pick (int8, uint8 and bool float16, wider ints float64). A float16 or
bfloat16 row is computed in float32 and each output rounded once.
`axis=None` takes the whole array as one row (as scipy.special.softmax does).

Other array types get what the elementwise ufuncs give them through numpy's
protocols, which a function with an axis cannot use: a dask array stays lazy
(one task per block, after rechunking the axis to a single chunk, since each
row needs all of its elements), and xarray DataArrays and pandas
Series/DataFrames come back as the same kind of object with their dims,
coordinates, index and name. Neither library is imported here: an object is
recognised only if its library is already loaded.
"""
import sys

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from fastact import _ufuncs
from fastact._loop_dtype import as_float_arrays, narrow_dtype

_SOFTMAX, _LOG_SOFTMAX, _BACKWARD = 0, 1, 2


def _rows_view(a, axis):
    """a with `axis` last, as a C-ordered 2-D view if that needs no copy,
    else None."""
    moved = np.moveaxis(a, axis, -1)
    if moved.flags.c_contiguous:
        return moved.reshape(-1, moved.shape[-1]) if moved.ndim else moved.reshape(1, 1)
    return None


def _result_dtype(*dtypes):
    """The dtype the trio returns for inputs of these dtypes."""
    probes = [np.zeros(1, d) for d in dtypes]
    return _run(_BACKWARD if len(probes) == 2 else _SOFTMAX, probes, -1, None).dtype


def _library_type(obj):
    """'dask', 'xarray', 'pandas' or None: which wrapped-array library obj
    belongs to (checked against the already-imported modules only)."""
    da = sys.modules.get("dask.array")
    if da is not None and isinstance(obj, da.Array):
        return "dask"
    xr = sys.modules.get("xarray")
    if xr is not None and isinstance(obj, xr.DataArray):
        return "xarray"
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, (pd.Series, pd.DataFrame)):
        return "pandas"
    return None


_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fast(op, inputs, axis, out):
    """The common case, straight to the row kernels: plain ndarrays of one
    shape and dtype (float32 or float64), C-ordered, along the last axis,
    into a new array or an `out` of that kind which either is one of the
    inputs (in place) or shares no memory with them. The general path's
    set-up (dtype rules, moved axes, overlap analysis) costs more than the
    kernels themselves on arrays of up to ~1e5 elements. None when the case
    is another one; the general path then handles it (and its errors)."""
    a = inputs[0]
    if (type(a) is not np.ndarray or a.dtype not in _FAST_DTYPES or a.ndim == 0
            or type(axis) is not int or (axis != -1 and axis != a.ndim - 1)
            or not a.flags.c_contiguous or a.size == 0):
        return None
    b = a
    if len(inputs) == 2:
        b = inputs[1]
        if (type(b) is not np.ndarray or b.dtype != a.dtype or b.shape != a.shape
                or not b.flags.c_contiguous):
            return None
    if out is None:
        result = np.empty(a.shape, a.dtype)
    else:
        if (type(out) is not np.ndarray or out.dtype != a.dtype or out.shape != a.shape
                or not out.flags.c_contiguous or not out.flags.writeable):
            return None
        for x in inputs:
            if x is not out and np.may_share_memory(x, out):
                return None
        result = out
    cols = a.shape[-1]
    _ufuncs._rows(op, a.reshape(-1, cols), b.reshape(-1, cols), result.reshape(-1, cols))
    return result


def _dispatch(op, inputs, axis, out):
    result = _fast(op, inputs, axis, out)
    if result is not None:
        return result
    kinds = [_library_type(a) for a in inputs]
    kind = next((k for k in ("dask", "xarray", "pandas") if k in kinds), None)
    if kind is None:
        return _run(op, inputs, axis, out)
    if out is not None:
        raise TypeError(f"out= is not supported for {kind} inputs; assign the result instead")
    if kind == "xarray":
        return _on_dataarrays(op, inputs, axis)
    if kind == "pandas":
        return _on_pandas(op, inputs, axis)
    return _on_dask(op, inputs, axis)


def _on_dask(op, inputs, axis):
    """Lazy: every block holds whole rows along `axis` (the axis rechunked to
    one chunk where it had several), and each block is one task."""
    import dask.array as da
    arrays = [a if isinstance(a, da.Array) else da.asarray(a) for a in inputs]
    if len(arrays) == 2:
        arrays = list(da.broadcast_arrays(*arrays))
    ndim = arrays[0].ndim
    dtype = _result_dtype(*[a.dtype for a in arrays])
    if axis is None:
        # One row of all the elements: one block.
        arrays = [a.rechunk(-1) for a in arrays]
    else:
        if ndim == 0:
            raise np.exceptions.AxisError("softmax needs at least one dimension")
        axis = normalize_axis_index(axis, ndim)
        arrays = [a.rechunk({axis: -1}) for a in arrays]
        if len(arrays) == 2:
            arrays[1] = arrays[1].rechunk(arrays[0].chunks)
    return da.map_blocks(_run_block, *arrays, op=op, axis=axis, dtype=dtype,
                         meta=np.empty((0,) * ndim, dtype))


def _run_block(*blocks, op, axis):
    return _run(op, blocks, axis, None)


def _on_dataarrays(op, inputs, axis):
    """The result is the (first) DataArray with new data: same dims, coords,
    name and attributes. Two DataArrays are broadcast and aligned by name
    first, as xarray's arithmetic does."""
    import xarray as xr
    arrays = list(inputs)
    labelled = [a for a in arrays if isinstance(a, xr.DataArray)]
    if len(labelled) == 2:
        labelled = list(xr.broadcast(*labelled))
        labelled[1] = labelled[1].transpose(*labelled[0].dims)
        arrays = labelled
    template = labelled[0]
    data = [a.data if isinstance(a, xr.DataArray) else a for a in arrays]
    return template.copy(data=_dispatch(op, data, axis, None))


def _on_pandas(op, inputs, axis):
    """The result has the (first) Series'/DataFrame's index, columns and
    name; the axis counts as on its numpy values (-1: along each row)."""
    import pandas as pd  # type: ignore[import-untyped]
    template = next(a for a in inputs if isinstance(a, (pd.Series, pd.DataFrame)))
    values = [a.to_numpy() if isinstance(a, (pd.Series, pd.DataFrame)) else a for a in inputs]
    result = _run(op, values, axis, None)
    if isinstance(template, pd.Series):
        return pd.Series(result, index=template.index, name=template.name)
    return pd.DataFrame(result, index=template.index, columns=template.columns)


def _run(op, inputs, axis, out):
    narrow = narrow_dtype(*inputs)
    if narrow is not None:
        dtype, arrays = narrow, [np.asarray(a, narrow) for a in inputs]
    else:
        dtype, arrays = as_float_arrays(*inputs)
    if dtype not in (np.float32, np.float64, narrow):
        dtype = np.dtype(np.float64) if dtype.itemsize > 8 else np.dtype(np.float32)
        arrays = [a.astype(dtype) for a in arrays]
    if len(arrays) == 2:
        arrays = list(np.broadcast_arrays(*arrays))
    shape = arrays[0].shape
    if axis is None:
        return _run_whole(op, arrays, dtype, out)
    if len(shape) == 0:
        raise np.exceptions.AxisError("softmax needs at least one dimension")
    axis = normalize_axis_index(axis, len(shape))
    _check_out(out, shape, dtype)
    if 0 in shape:
        result = np.empty(shape, dtype) if out is None else out
        return result

    # Inputs as C-ordered row blocks (views when possible, copies otherwise).
    blocks = []
    for a in arrays:
        v = _rows_view(a, axis)
        if v is None or (len(arrays) == 2 and a.strides[axis] == 0):
            v = np.ascontiguousarray(np.moveaxis(a, axis, -1)).reshape(-1, shape[axis])
        blocks.append(v)

    # Write straight into out when it is such a block of the right dtype and
    # either is one of the inputs exactly (in place) or overlaps none of them.
    target, direct = None, False
    if out is not None and out.dtype == dtype:
        v = _rows_view(out, axis)
        if v is not None:
            same = [b for b in blocks if b.__array_interface__["data"][0] == v.__array_interface__["data"][0]
                    and b.strides == v.strides]
            overlapping = [b for b in blocks if np.shares_memory(b, v)]
            if len(overlapping) == len(same):
                target, direct = v, True
    if target is None:
        target = np.empty(blocks[0].shape, dtype)

    b = blocks[1] if len(blocks) == 2 else blocks[0]
    _ufuncs._rows(op, blocks[0], b, target)

    if out is None:
        moved_shape = np.moveaxis(np.empty(shape, dtype=np.int8), axis, -1).shape
        return np.moveaxis(target.reshape(moved_shape), -1, axis)
    if not direct:
        moved = np.moveaxis(out, axis, -1)
        moved[...] = target.reshape(moved.shape)
    return out


def _check_out(out, shape, dtype):
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if not out.flags.writeable:
        raise ValueError("output array is read-only")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    if not np.can_cast(dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"cannot cast the result from {dtype} to out's {out.dtype}")


def _run_whole(op, arrays, dtype, out):
    """axis=None: every element in one row, whatever the shape."""
    shape = arrays[0].shape
    _check_out(out, shape, dtype)
    rows = [a.reshape(1, -1) for a in arrays]       # a copy only if a is not contiguous
    if out is not None and out.flags.c_contiguous:
        _run(op, rows, -1, out.reshape(1, -1))      # a view of out: writes land in out
        return out
    result = _run(op, rows, -1, None).reshape(shape)
    if out is None:
        return result
    out[...] = result
    return out


def softmax(x, axis=-1, out=None):
    """exp(x) / sum(exp(x)) along `axis`, stable for any input (the row max is
    subtracted first). A row holding NaN, +inf, or only -inf is all NaN, as in
    torch; -inf elements of other rows give 0. Each element is within 2 ulp
    and each row sums to 1 within n eps. `out=x` works in place."""
    return _dispatch(_SOFTMAX, (x,), axis, out)


def log_softmax(x, axis=-1, out=None):
    """log(softmax(x)) along `axis`, computed as (x - max) - log1p(sum of the
    other exps): no overflow, no cancellation. Same NaN/inf rules as softmax
    (-inf elements give -inf)."""
    return _dispatch(_LOG_SOFTMAX, (x,), axis, out)


def softmax_backward(grad_out, y, axis=-1, out=None):
    """Backward pass of softmax: y * (grad_out - sum(grad_out * y)) along
    `axis`, where y = softmax(x) is the forward output."""
    return _dispatch(_BACKWARD, (grad_out, y), axis, out)
