"""The dtype a fastact function computes in, chosen from its operands.

fastact's ufuncs have float16, float32 and float64 loops, in that order, and
bfloat16 loops when ml_dtypes is installed; numpy picks one by its casting
rules. The Python-level functions that are not ufuncs (the softmax trio) and
the numpy twins in `fastact.reference` follow the same rule: `narrow_dtype`
says whether the operands compute in float16 or bfloat16, and otherwise
`as_float_arrays` chooses between float32 and float64.
"""
import numbers

import numpy as np


def is_weak_scalar(a):
    """A Python int or float, which numpy's promotion treats as "weak"."""
    return isinstance(a, numbers.Real) and not isinstance(a, (bool, np.generic))


def as_float_arrays(*args):
    """(dtype, arrays): the operands converted to the dtype fastact's ufuncs
    compute in.

    As for any ufunc with float32 and float64 loops: the operands are promoted
    by numpy's rules, Python scalars being "weak" (leaky_relu(float32 array,
    alpha=0.01) stays float32, leaky_relu(2.0) is float64 like np.exp(2.0)),
    and the first of float32 and float64 that the promoted dtype casts to
    safely is used (int16 computes in float32; int32, int64 and mixed
    operands such as int8 with a Python float in float64). Operands that
    `narrow_dtype` assigns to float16 or bfloat16 are the caller's to handle
    first. Anything else raises TypeError.
    """
    operands = []
    for a in args:
        if is_weak_scalar(a):
            operands.append(a)
        else:
            a = np.asarray(a)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"unsupported operand dtype {a.dtype}")
            operands.append(a.dtype)
    promoted = np.result_type(*operands)
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        if np.can_cast(promoted, dtype):
            return dtype, [np.asarray(a, dtype=dtype) for a in args]
    raise TypeError(f"unsupported operand types: no float32 or float64 loop for {promoted}")


def _bfloat16():
    """ml_dtypes' bfloat16 dtype, or None without ml_dtypes (never required)."""
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


BFLOAT16 = _bfloat16()


def narrow_dtype(*operands):
    """float16 or bfloat16 if fastact's ufuncs compute these operands (arrays,
    and Python scalars as weak) in that type, else None."""
    dtypes = [np.asarray(a).dtype for a in operands if not is_weak_scalar(a)]
    if BFLOAT16 is not None and BFLOAT16 in dtypes:
        return BFLOAT16 if all(d == BFLOAT16 for d in dtypes) else None
    if any(d.kind not in "biuf" for d in dtypes):
        return None
    promoted = np.result_type(*[a if is_weak_scalar(a) else np.asarray(a).dtype for a in operands])
    return promoted if promoted == np.float16 else (
        np.dtype(np.float16) if np.can_cast(promoted, np.float16) else None)
