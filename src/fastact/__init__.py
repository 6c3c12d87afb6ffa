"""fastact: neural-network activation functions and their derivatives, fast.

Every elementwise function is a numpy ufunc (or a thin function over one that
supplies a default parameter), with float16, float32 and float64 loops (and
bfloat16 ones, for ml_dtypes.bfloat16, when ml_dtypes is installed) that run
SIMD kernels chosen for this CPU, split across threads for large arrays. A
float16 or bfloat16 result is the float32 result rounded once. numpy's
ufunc machinery gives `out=` (in place with `out=x`), `where=`, `dtype=`,
broadcasting, casting and `__array_ufunc__` dispatch.

    >>> import numpy as np, fastact
    >>> x = np.linspace(-5, 5, 11, dtype=np.float32)
    >>> y = fastact.sigmoid(x, out=x)      # in place: y is x

`fastact.reference` holds numpy implementations of the same functions.
The raw kernels `fa_<name>_<f32|f64|f16|bf16>` are for Cython (`from fastact.kernels
cimport fa_sigmoid_f32`), C (`fastact.get_include()`, fastact.h) and
ctypes/cffi/numba (`fastact.kernel_address(name)`).
"""
import operator as _operator
import os as _os
import warnings as _warnings

from typing import Any as _Any

from fastact import kernels as _kernels
from fastact._capi import get_include, kernel_address
from fastact import _ufuncs
from fastact._catalog import SPECS as _SPECS
from fastact._softmax import log_softmax, softmax, softmax_backward
from fastact._sklearn import SklearnPatchError, patch_sklearn, unpatch_sklearn
from fastact import _parameterized
from fastact._parameterized import public_function as _public_function

# One public function per catalogue entry: the ufunc itself, or for the
# parameterized ones a function that gives the parameters their defaults.
for _spec in _SPECS:
    globals()[_spec.name] = _public_function(_spec, _ufuncs)
del _spec

__version__ = "0.1.0"


def _register_bfloat16():
    """Give the ufuncs their bfloat16 loops when ml_dtypes (the optional extra
    fastact[bfloat16]) is installed: numpy has no bfloat16 of its own, and
    ml_dtypes' is the one the Python ML stack shares. Returns its dtype, or
    None without ml_dtypes."""
    try:
        import ml_dtypes
    except ImportError:
        return None
    import numpy

    dtype = numpy.dtype(ml_dtypes.bfloat16)
    _ufuncs.register_bfloat16(dtype.num)
    _parameterized._USER_DTYPES.add(dtype)
    return dtype


#: numpy dtype of bfloat16 (ml_dtypes.bfloat16), or None when ml_dtypes is
#: not installed.
bfloat16 = _register_bfloat16()

# Every catalogued elementwise function, the softmax trio, and the package's
# own functions: the catalogue is the one list of the former.
__all__ = [spec.name for spec in _SPECS] + [
    "softmax", "log_softmax", "softmax_backward",
    "set_num_threads", "get_num_threads", "config", "reference",
    "get_include", "kernel_address",
    "patch_sklearn", "unpatch_sklearn", "SklearnPatchError",
]


def set_num_threads(n: int) -> None:
    """Split large arrays across at most `n` threads (1 = never).

    `n` is an integer >= 1 (a bool, float or string raises TypeError).
    Arrays too small to gain from threads always run on the calling thread.
    The OpenMP limit caps it as well: OMP_NUM_THREADS or threadpoolctl's
    limit where set, else the number of CPUs; fastact never changes that
    limit (other OpenMP users in the process share it). Values above
    four threads per CPU (`fastact._ufuncs._MAX_THREADS`) count as that.
    """
    if isinstance(n, bool):
        raise TypeError(f"number of threads must be an integer, got {n!r}")
    n = _operator.index(n)
    if _in_forked_child and n > 1:
        import warnings
        warnings.warn("fastact stays single-threaded in a process forked after "
                      "its threads ran (GNU OpenMP's pool does not survive fork)",
                      RuntimeWarning, stacklevel=2)
        n = 1
    _ufuncs.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads large arrays are split across."""
    return _ufuncs.get_num_threads()


def config() -> dict[str, _Any]:
    """Build and run-time settings: version, ISA tier in use, tiers available,
    OpenMP, threads."""
    return {
        "version": __version__,
        "isa": _kernels.current_isa(),
        "isas": list(_kernels.available_isas()),
        "openmp": _ufuncs.openmp,
        "num_threads": get_num_threads(),
    }


def _cpu_count():
    try:
        return len(_os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return _os.cpu_count() or 1


def _default_num_threads():
    """FASTACT_NUM_THREADS, else the CPUs this process may run on. A bad
    value must not break `import fastact` in production: like OpenMP and
    OpenBLAS with theirs, warn (once: this runs at import) and use the
    default; a value above the cap is capped."""
    env = _os.environ.get("FASTACT_NUM_THREADS", "").strip()
    default = _cpu_count()
    if not env:
        return default
    try:
        n = int(env)
    except ValueError:
        n = 0
    if n < 1:
        _warnings.warn(f"FASTACT_NUM_THREADS={env!r} is not a positive integer; "
                       f"using the default, {default} threads", RuntimeWarning, stacklevel=3)
        return default
    if n > _ufuncs._MAX_THREADS:
        _warnings.warn(f"FASTACT_NUM_THREADS={env!r} is above the cap of {_ufuncs._MAX_THREADS} "
                       f"threads (four per CPU); using {_ufuncs._MAX_THREADS}",
                       RuntimeWarning, stacklevel=3)
        return _ufuncs._MAX_THREADS
    return n


# A child forked after fastact's OpenMP threads ran would hang entering the
# (GNU) pool again: it exists only in the parent. Such a child runs on one
# thread. A child forked before any threads ran is unaffected.
_in_forked_child = False


def _after_fork_in_child():
    global _in_forked_child
    if _ufuncs._pool_started():
        _in_forked_child = True
        _ufuncs.set_num_threads(1)


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)

set_num_threads(_default_num_threads())

from fastact import reference  # noqa: E402  (after the ufuncs it mirrors)
