"""scikit-learn acceleration: fastact's kernels inside MLPClassifier/MLPRegressor.

scikit-learn's multi-layer perceptrons look their activations up, at every
forward and backward pass, in two module-level tables of
`sklearn.neural_network._base`: ACTIVATIONS (name -> f(X), in place) and
DERIVATIVES (name -> f(Z, delta), in place on delta, with Z the activation's
*output*). `patch_sklearn()` swaps the entries for logistic, tanh, relu and
softmax (the output layer of a multi-class classifier; it has no derivative
entry: scikit-learn folds it into the loss) for in-place fastact calls with
the same contract, and `unpatch_sklearn()` puts scikit-learn's own back.

Those tables are private to scikit-learn, so nothing is assumed about them:
before any entry is replaced, each one is checked to exist, to be the same
object the estimators read, and to compute what the replacement computes on
a probe array. If any of that fails, `patch_sklearn` raises
`SklearnPatchError` and changes nothing.

scikit-learn itself is never imported until `patch_sklearn()` is called, and
is not a dependency (the `sklearn` extra installs it).
"""
from collections.abc import Callable
from typing import Any

import numpy as np

from fastact import _ufuncs
from fastact._softmax import softmax as _softmax

__all__ = ["patch_sklearn", "unpatch_sklearn", "SklearnPatchError"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class SklearnPatchError(RuntimeError):
    """scikit-learn's private activation tables are not what fastact expects."""


def _fast(X):
    """True for the arrays the kernels take in place (dense float32/float64).
    Anything else (a sparse matrix, another dtype) goes to scikit-learn's own
    function."""
    return type(X) is np.ndarray and X.dtype in _FLOAT_DTYPES and X.flags.writeable


# The fast paths, (table, key) -> in-place computation. The backward ufuncs
# of sigmoid, tanh and relu take the forward output y, as scikit-learn's
# derivatives take Z; their argument order is (grad_out, y), the reverse of
# scikit-learn's (Z, delta).
_FAST = {
    ("ACTIVATIONS", "logistic"): lambda X: _ufuncs.sigmoid(X, out=X),
    ("ACTIVATIONS", "tanh"): lambda X: _ufuncs.tanh(X, out=X),
    ("ACTIVATIONS", "relu"): lambda X: _ufuncs.relu(X, out=X),
    ("ACTIVATIONS", "softmax"): lambda X: _softmax(X, axis=1, out=X),
    ("DERIVATIVES", "logistic"): lambda Z, delta: _ufuncs.sigmoid_backward(delta, Z, out=delta),
    ("DERIVATIVES", "tanh"): lambda Z, delta: _ufuncs.tanh_backward(delta, Z, out=delta),
    ("DERIVATIVES", "relu"): lambda Z, delta: _ufuncs.relu_backward(delta, Z, out=delta),
}

# While patched: (table, key) -> (scikit-learn's function, its replacement).
_PATCHED: dict[tuple[str, str], tuple[Callable[..., Any], Callable[..., Any]]] = {}


def _replacement(table, key, original):
    """scikit-learn's function `original` with fastact's fast path for the
    arrays the kernels take in place; anything else (a sparse matrix, another
    dtype) still goes to `original`, so patching never narrows what
    scikit-learn accepts."""
    fast = _FAST[(table, key)]
    if table == "ACTIVATIONS":
        def inplace(X):
            if _fast(X):
                fast(X)
            else:
                original(X)
        inplace.__doc__ = f"{key} of X in place, computed by fastact."
        fn = inplace
    else:
        def inplace_derivative(Z, delta):
            if _fast(Z) and _fast(delta) and Z.dtype == delta.dtype:
                fast(Z, delta)
            else:
                original(Z, delta)
        inplace_derivative.__doc__ = (f"delta times the derivative of {key} at its output "
                                      f"Z, in place on delta, computed by fastact.")
        fn = inplace_derivative
    fn.__name__ = fn.__qualname__ = f"fastact_{fn.__name__.replace('inplace', 'inplace_' + key)}"
    return fn


def _tables():
    """scikit-learn's two tables, after checking that they are the ones the
    estimators read."""
    try:
        import sklearn  # type: ignore[import-untyped]
        from sklearn.neural_network import _base, _multilayer_perceptron  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ImportError(
            "fastact.patch_sklearn needs scikit-learn, which is not installed "
            "(pip install 'fastact[sklearn]')") from exc
    version = getattr(sklearn, "__version__", "unknown")
    tables = {}
    for table in ("ACTIVATIONS", "DERIVATIVES"):
        obj = getattr(_base, table, None)
        if not isinstance(obj, dict):
            raise SklearnPatchError(
                f"scikit-learn {version}: sklearn.neural_network._base.{table} is "
                f"{type(obj).__name__}, not the dict fastact patches; nothing was changed")
        if getattr(_multilayer_perceptron, table, None) is not obj:
            raise SklearnPatchError(
                f"scikit-learn {version}: the multi-layer perceptron no longer reads "
                f"sklearn.neural_network._base.{table}; nothing was changed")
        tables[table] = obj
    for table, key in _FAST:
        if not callable(tables[table].get(key)):
            raise SklearnPatchError(
                f"scikit-learn {version}: sklearn.neural_network._base.{table} has no "
                f"callable {key!r}; nothing was changed")
    return version, tables


def _probe_matches(table, original, replacement):
    """Whether the replacement computes what scikit-learn's function computes
    (in place, same argument order) on a small float64 block."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5)) * 3
    x[0, :2] = 0.0                       # relu's kink
    if table == "ACTIVATIONS":
        want, got = x.copy(), x.copy()
        original(want)
        replacement(got)
    else:
        # Z as the forward pass leaves it: an activation's output. For relu
        # that has exact zeros, for logistic values in (0, 1), for tanh in
        # (-1, 1); a sigmoid of x is inside the range of every one of them.
        Z = 1.0 / (1.0 + np.exp(-x))
        Z[0, :2] = 0.0
        delta = rng.standard_normal(x.shape)
        want, got = delta.copy(), delta.copy()
        original(Z, want)
        replacement(Z, got)
    return np.allclose(got, want, rtol=1e-12, atol=1e-15)


def patch_sklearn():
    """Make scikit-learn's MLPClassifier and MLPRegressor use fastact.

    Replaces, in ``sklearn.neural_network._base.ACTIVATIONS`` and
    ``DERIVATIVES``, the in-place logistic, tanh, relu and softmax functions
    and the derivatives of the first three with fastact's kernels. Models fit
    afterwards (and predictions made) use them; results agree with
    scikit-learn's own to rounding. Float32 and float64 dense arrays take the
    fast path; anything else goes to scikit-learn's function.

    Returns an object usable as a context manager: ``with
    fastact.patch_sklearn(): ...`` patches for the block only (and leaves an
    earlier patch in place). Calling it again while patched does nothing.

    Raises ImportError if scikit-learn is not installed, and
    SklearnPatchError, changing nothing, if its tables do not look or compute
    as expected (a scikit-learn version that reorganised them).
    """
    version, tables = _tables()
    already = bool(_PATCHED)
    if not already:
        for (table, key), fast in _FAST.items():
            if not _probe_matches(table, tables[table][key], fast):
                raise SklearnPatchError(
                    f"scikit-learn {version}: {table}[{key!r}] does not compute what "
                    f"fastact's replacement computes; nothing was changed")
        for table, key in _FAST:
            original = tables[table][key]
            replacement = _replacement(table, key, original)
            _PATCHED[(table, key)] = (original, replacement)
            tables[table][key] = replacement
    return _Patched(undo=not already)


def unpatch_sklearn():
    """Put scikit-learn's own activation functions back (undo
    `patch_sklearn`). Does nothing if it is not patched. An entry that someone
    else replaced after fastact did is left as it is."""
    if not _PATCHED:
        return
    from sklearn.neural_network import _base
    for (table, key), (original, replacement) in _PATCHED.items():
        current = getattr(_base, table)
        if current.get(key) is replacement:
            current[key] = original
    _PATCHED.clear()


class _Patched:
    """What patch_sklearn returns: as a context manager, undoes the patch on
    exit if this call made it."""

    def __init__(self, undo):
        self._undo = undo

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._undo:
            unpatch_sklearn()
        return False

    def __repr__(self):
        return "<fastact.patch_sklearn: scikit-learn's MLP activations run on fastact>"
