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
"""
import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from fastact import _ufuncs
from fastact.reference import _as_float_arrays, _narrow_dtype

_SOFTMAX, _LOG_SOFTMAX, _BACKWARD = 0, 1, 2


def _rows_view(a, axis):
    """a with `axis` last, as a C-ordered 2-D view if that needs no copy,
    else None."""
    moved = np.moveaxis(a, axis, -1)
    if moved.flags.c_contiguous:
        return moved.reshape(-1, moved.shape[-1]) if moved.ndim else moved.reshape(1, 1)
    return None


def _run(op, inputs, axis, out):
    narrow = _narrow_dtype(*inputs)
    if narrow is not None:
        dtype, arrays = narrow, [np.asarray(a, narrow) for a in inputs]
    else:
        dtype, arrays = _as_float_arrays(*inputs)
    if dtype not in (np.float32, np.float64, narrow):
        dtype = np.dtype(np.float64) if dtype.itemsize > 8 else np.dtype(np.float32)
        arrays = [a.astype(dtype) for a in arrays]
    if len(arrays) == 2:
        arrays = list(np.broadcast_arrays(*arrays))
    shape = arrays[0].shape
    if len(shape) == 0:
        raise np.exceptions.AxisError("softmax needs at least one dimension")
    axis = normalize_axis_index(axis, len(shape))
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError("out must be a numpy array")
        if not out.flags.writeable:
            raise ValueError("output array is read-only")
        if out.shape != shape:
            raise ValueError(f"out has shape {out.shape}, expected {shape}")
        if not np.can_cast(dtype, out.dtype, casting="same_kind"):
            raise TypeError(f"cannot cast the result from {dtype} to out's {out.dtype}")
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


def softmax(x, axis=-1, out=None):
    """exp(x) / sum(exp(x)) along `axis`, stable for any input (the row max is
    subtracted first). A row holding NaN, +inf, or only -inf is all NaN, as in
    torch; -inf elements of other rows give 0. Each element is within 2 ulp
    and each row sums to 1 within n eps. `out=x` works in place."""
    return _run(_SOFTMAX, (x,), axis, out)


def log_softmax(x, axis=-1, out=None):
    """log(softmax(x)) along `axis`, computed as (x - max) - log1p(sum of the
    other exps): no overflow, no cancellation. Same NaN/inf rules as softmax
    (-inf elements give -inf)."""
    return _run(_LOG_SOFTMAX, (x,), axis, out)


def softmax_backward(grad_out, y, axis=-1, out=None):
    """Backward pass of softmax: y * (grad_out - sum(grad_out * y)) along
    `axis`, where y = softmax(x) is the forward output."""
    return _run(_BACKWARD, (grad_out, y), axis, out)
