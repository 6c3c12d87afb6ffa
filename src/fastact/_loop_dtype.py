"""The dtype a fastact function computes in, chosen from its operands.

fastact's ufuncs have float32 and float64 loops; numpy picks one by its
casting rules. The Python-level functions that are not ufuncs (the softmax
trio) and the numpy twins in `fastact.reference` follow the same rule
through `as_float_arrays`.
"""
import numbers

import numpy as np


def as_float_arrays(*args):
    """(dtype, arrays): the operands converted to the dtype fastact's ufuncs
    compute in.

    As for any ufunc with float32 and float64 loops: the operands are promoted
    by numpy's rules, Python scalars being "weak" (leaky_relu(float32 array,
    alpha=0.01) stays float32, leaky_relu(2.0) is float64 like np.exp(2.0)),
    and the first loop the promoted dtype casts to safely is used (float16,
    int8 and int16 compute in float32; int32, int64 and mixed operands such as
    int8 with a Python float in float64).  Anything else raises TypeError.
    """
    operands = []
    for a in args:
        if isinstance(a, numbers.Real) and not isinstance(a, (bool, np.generic)):
            operands.append(a)  # weak Python scalar
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
