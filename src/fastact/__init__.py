"""fastact: neural-network activation functions and their derivatives, fast.

Every elementwise function is a numpy ufunc (or a thin function over one that
supplies a default parameter), with float32 and float64 loops that run SIMD
kernels chosen for this CPU, split across threads for large arrays. numpy's
ufunc machinery gives `out=` (in place with `out=x`), `where=`, `dtype=`,
broadcasting, casting and `__array_ufunc__` dispatch.

    >>> import numpy as np, fastact
    >>> x = np.linspace(-5, 5, 11, dtype=np.float32)
    >>> y = fastact.sigmoid(x, out=x)      # in place: y is x

`fastact.reference` holds numpy implementations of the same functions.
The raw kernels `fa_<name>_<f32|f64>` are for Cython (`from fastact.kernels
cimport fa_sigmoid_f32`), C (`fastact.get_include()`, fastact.h) and
ctypes/cffi/numba (`fastact.kernel_address(name)`).
"""
from __future__ import annotations

import os as _os

import numpy as _np
from typing import Any

from fastact import kernels as _kernels
from fastact._capi import get_include, kernel_address
from fastact import _ufuncs
from fastact._catalog import SPECS as _SPECS
from fastact._softmax import log_softmax, softmax, softmax_backward
from fastact._sklearn import SklearnPatchError, patch_sklearn, unpatch_sklearn
from fastact._ufuncs import (
    gelu,
    gelu_backward,
    gelu_grad,
    hard_sigmoid,
    hard_sigmoid_backward,
    hard_sigmoid_grad,
    hard_swish,
    hard_swish_backward,
    hard_swish_grad,
    relu6,
    relu6_backward,
    relu6_grad,
    gelu_tanh,
    gelu_tanh_backward,
    gelu_tanh_grad,
    log_sigmoid,
    log_sigmoid_backward,
    log_sigmoid_grad,
    mish,
    mish_backward,
    mish_grad,
    relu,
    relu_backward,
    relu_grad,
    selu,
    selu_backward,
    selu_grad,
    sigmoid,
    sigmoid_backward,
    sigmoid_grad,
    silu,
    silu_backward,
    silu_grad,
    softsign,
    softsign_backward,
    softsign_grad,
    tanh,
    tanh_backward,
    tanh_grad,
)

__version__ = "0.1.0"

# Every catalogued elementwise function, the softmax trio, and the package's
# own functions: the catalogue is the one list of the former.
__all__ = [spec.name for spec in _SPECS] + [
    "softmax", "log_softmax", "softmax_backward",
    "set_num_threads", "get_num_threads", "config", "reference",
    "get_include", "kernel_address",
    "patch_sklearn", "unpatch_sklearn", "SklearnPatchError",
]


# Operand dtypes for which the ufunc twins with the parameters at their
# defaults pick the same loop as the parameterized ufuncs. (For other inputs
# numpy's promotion with a Python float parameter may differ: int8 with
# alpha=0.01 computes in float64, int8 alone in float32.)
_FLOAT_DTYPES = frozenset([_np.dtype(_np.float32), _np.dtype(_np.float64)])


def leaky_relu(x, alpha=0.01, **kwargs):
    """x where x > 0, else alpha * x (alpha broadcasts against x).

    Keyword arguments are the ufunc's: out=, where=, dtype=, casting=, ...
    """
    if type(alpha) is float and alpha == 0.01 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.leaky_relu_defaults(x, **kwargs)
    return _ufuncs.leaky_relu(x, alpha, **kwargs)


def leaky_relu_grad(x, alpha=0.01, **kwargs):
    """Derivative of leaky_relu: 1 where x > 0, else alpha (alpha at x = 0)."""
    if type(alpha) is float and alpha == 0.01 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.leaky_relu_grad_defaults(x, **kwargs)
    return _ufuncs.leaky_relu_grad(x, alpha, **kwargs)


def leaky_relu_backward(grad_out, x, alpha=0.01, **kwargs):
    """Backward pass of leaky_relu: grad_out where x > 0, else alpha * grad_out."""
    if (type(alpha) is float and alpha == 0.01 and getattr(x, 'dtype', None) in _FLOAT_DTYPES
            and getattr(grad_out, 'dtype', None) in _FLOAT_DTYPES):
        return _ufuncs.leaky_relu_backward_defaults(grad_out, x, **kwargs)
    return _ufuncs.leaky_relu_backward(grad_out, x, alpha, **kwargs)


def softplus(x, beta=1.0, threshold=20.0, **kwargs):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold
    (torch.nn.functional.softplus). beta and threshold broadcast against x.

    Keyword arguments are the ufunc's: out=, where=, dtype=, casting=, ...
    """
    if type(beta) is float and beta == 1.0 and type(threshold) is float and threshold == 20.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.softplus_defaults(x, **kwargs)
    return _ufuncs.softplus(x, beta, threshold, **kwargs)


def softplus_grad(x, beta=1.0, threshold=20.0, **kwargs):
    """Derivative of softplus: sigmoid(beta * x), 1 where beta * x > threshold."""
    if type(beta) is float and beta == 1.0 and type(threshold) is float and threshold == 20.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.softplus_grad_defaults(x, **kwargs)
    return _ufuncs.softplus_grad(x, beta, threshold, **kwargs)


def softplus_backward(grad_out, x, beta=1.0, threshold=20.0, **kwargs):
    """Backward pass of softplus: grad_out * softplus_grad(x, beta, threshold)."""
    if (type(beta) is float and beta == 1.0 and type(threshold) is float and threshold == 20.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES
            and getattr(grad_out, 'dtype', None) in _FLOAT_DTYPES):
        return _ufuncs.softplus_backward_defaults(grad_out, x, **kwargs)
    return _ufuncs.softplus_backward(grad_out, x, beta, threshold, **kwargs)


def elu(x, alpha=1.0, **kwargs):
    """x where x > 0, else alpha * (exp(x) - 1) (torch.nn.functional.elu).

    Keyword arguments are the ufunc's: out=, where=, dtype=, casting=, ...
    """
    if type(alpha) is float and alpha == 1.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.elu_defaults(x, **kwargs)
    return _ufuncs.elu(x, alpha, **kwargs)


def elu_grad(x, alpha=1.0, **kwargs):
    """Derivative of elu: 1 where x > 0, else alpha * exp(x)."""
    if type(alpha) is float and alpha == 1.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES:
        return _ufuncs.elu_grad_defaults(x, **kwargs)
    return _ufuncs.elu_grad(x, alpha, **kwargs)


def elu_backward(grad_out, x, alpha=1.0, **kwargs):
    """Backward pass of elu: grad_out where x > 0, else grad_out * alpha * exp(x)."""
    if (type(alpha) is float and alpha == 1.0 and getattr(x, 'dtype', None) in _FLOAT_DTYPES
            and getattr(grad_out, 'dtype', None) in _FLOAT_DTYPES):
        return _ufuncs.elu_backward_defaults(grad_out, x, **kwargs)
    return _ufuncs.elu_backward(grad_out, x, alpha, **kwargs)


def set_num_threads(n: int) -> None:
    """Split large arrays across at most `n` threads (1 = never).

    Arrays too small to gain from threads always run on the calling thread.
    The OpenMP limit (threadpoolctl, OMP_NUM_THREADS) caps it as well.
    """
    if _in_forked_child and n > 1:
        import warnings
        warnings.warn("fastact stays single-threaded in a process forked after "
                      "its threads ran (GNU OpenMP's pool does not survive fork)",
                      RuntimeWarning, stacklevel=2)
        n = 1
    _ufuncs.set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads large arrays are split across."""
    return _ufuncs.get_num_threads()


def config() -> dict[str, Any]:
    """Build and run-time settings: version, ISA tier in use, tiers available,
    OpenMP, threads."""
    return {
        "version": __version__,
        "isa": _kernels.current_isa(),
        "isas": list(_kernels.available_isas()),
        "openmp": _ufuncs.openmp,
        "num_threads": get_num_threads(),
    }


def _default_num_threads():
    env = _os.environ.get("FASTACT_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"FASTACT_NUM_THREADS must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ValueError(f"FASTACT_NUM_THREADS must be a positive integer, got {env!r}")
        return n
    try:
        return len(_os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return _os.cpu_count() or 1


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
