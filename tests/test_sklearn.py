"""fastact.patch_sklearn: scikit-learn's MLPs trained with fastact's kernels
give the losses and predictions they give with scikit-learn's own functions,
and unpatching restores scikit-learn exactly."""
import warnings

import numpy as np
import pytest

import fastact

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor, _base  # noqa: E402

KEYS = [("ACTIVATIONS", k) for k in ("logistic", "tanh", "relu", "softmax")] + \
       [("DERIVATIVES", k) for k in ("logistic", "tanh", "relu")]


@pytest.fixture(autouse=True)
def restore_sklearn():
    """Every test starts and ends with scikit-learn unpatched."""
    before = {key: getattr(_base, key[0])[key[1]] for key in KEYS}
    fastact.unpatch_sklearn()
    yield before
    fastact.unpatch_sklearn()
    for (table, name), fn in before.items():
        getattr(_base, table)[name] = fn


def current():
    return {key: getattr(_base, key[0])[key[1]] for key in KEYS}


def spirals(n=600, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    k = rng.integers(classes, size=n)
    r = rng.uniform(0.1, 1, n)
    t = 4 * r + 2 * np.pi * k / classes + rng.normal(0, 0.2, n)
    return np.c_[r * np.cos(t), r * np.sin(t)], k


def fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_classifier_trains_the_same_with_and_without_fastact(activation, dtype):
    # Three classes: the output layer is softmax, so it is patched too.
    X, y = spirals()
    X = X.astype(dtype)

    def model():
        return MLPClassifier(hidden_layer_sizes=(32, 32), activation=activation,
                             max_iter=40, random_state=0)

    plain = fit(model(), X, y)
    with fastact.patch_sklearn():
        fast = fit(model(), X, y)
        fast_proba = fast.predict_proba(X)
    # The patch was in force: the hidden activation is fastact's.
    assert plain.coefs_[0].dtype == fast.coefs_[0].dtype == dtype
    # Per-step rounding differs (fastact's kernels vs numpy's), so losses agree
    # to a tolerance that grows with the steps taken, not bit for bit.
    rtol = 1e-3 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(fast.loss_curve_, plain.loss_curve_, rtol=rtol)
    np.testing.assert_allclose(fast_proba, plain.predict_proba(X), rtol=0, atol=50 * rtol)
    agree = np.mean(fast.predict(X) == plain.predict(X))
    assert agree >= 0.99
    assert plain.loss_curve_[-1] < plain.loss_curve_[0]


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_regressor_trains_the_same_with_and_without_fastact(activation):
    X, _ = spirals()
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2

    def model():
        return MLPRegressor(hidden_layer_sizes=(32,), activation=activation,
                            max_iter=30, random_state=0)

    plain = fit(model(), X, y)
    with fastact.patch_sklearn():
        fast = fit(model(), X, y)
    np.testing.assert_allclose(fast.loss_curve_, plain.loss_curve_, rtol=1e-8)
    np.testing.assert_allclose(fast.predict(X), plain.predict(X), rtol=1e-6, atol=1e-8)


def test_patch_replaces_every_entry_and_unpatch_restores_them(restore_sklearn):
    originals = restore_sklearn
    fastact.patch_sklearn()
    patched = current()
    for key in KEYS:
        assert patched[key] is not originals[key], key
        assert patched[key].__name__.startswith("fastact_"), key
    # identity, exp and the identity derivative are scikit-learn's still.
    assert _base.ACTIVATIONS["identity"].__module__.startswith("sklearn")
    fastact.patch_sklearn()             # again: nothing changes
    assert current() == patched
    fastact.unpatch_sklearn()
    assert current() == originals
    fastact.unpatch_sklearn()           # again: nothing changes
    assert current() == originals


def test_context_manager_undoes_only_its_own_patch(restore_sklearn):
    originals = restore_sklearn
    with fastact.patch_sklearn():
        assert current() != originals
    assert current() == originals
    fastact.patch_sklearn()
    patched = current()
    with fastact.patch_sklearn():       # nested in an earlier patch
        assert current() == patched
    assert current() == patched         # the earlier patch stays


def test_unpatch_leaves_an_entry_replaced_by_someone_else():
    fastact.patch_sklearn()

    def theirs(X):
        np.maximum(X, 0, out=X)

    _base.ACTIVATIONS["relu"] = theirs
    fastact.unpatch_sklearn()
    assert _base.ACTIVATIONS["relu"] is theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_patched_functions_compute_in_place_like_sklearns(restore_sklearn, dtype):
    originals = restore_sklearn
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((50, 7)) * 5).astype(dtype)
    x[0, :3] = 0
    with fastact.patch_sklearn():
        patched = current()
    tol = 8 * np.finfo(dtype).eps
    for (table, name) in KEYS:
        if table == "ACTIVATIONS":
            want, got = x.copy(), x.copy()
            originals[(table, name)](want)
            assert patched[(table, name)](got) is None
        else:
            Z = x.copy()
            originals[("ACTIVATIONS", name)](Z)
            delta = rng.standard_normal(x.shape).astype(dtype)
            want, got = delta.copy(), delta.copy()
            originals[(table, name)](Z, want)
            patched[(table, name)](Z, got)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{table}[{name}]")


def test_inputs_the_kernels_do_not_take_go_to_sklearns_function(restore_sklearn):
    originals = restore_sklearn
    fastact.patch_sklearn()
    x = np.array([[-2.0, 0.5, 3.0]], dtype=np.float16)
    want = x.copy()
    originals[("ACTIVATIONS", "logistic")](want)
    _base.ACTIVATIONS["logistic"](x)
    assert x.dtype == np.float16
    np.testing.assert_array_equal(x, want)
    Z = np.array([[0.0, 1.0, 2.0]], dtype=np.float32)
    delta = np.ones((1, 3), dtype=np.float64)        # mixed dtypes: scikit-learn's
    _base.DERIVATIVES["relu"](Z, delta)
    np.testing.assert_array_equal(delta, [[0.0, 1.0, 1.0]])


def test_changed_internals_raise_and_change_nothing(monkeypatch, restore_sklearn):
    originals = restore_sklearn

    def wrong(X):                       # not what logistic computes
        np.tanh(X, out=X)

    monkeypatch.setitem(_base.ACTIVATIONS, "logistic", wrong)
    with pytest.raises(fastact.SklearnPatchError, match="ACTIVATIONS\\['logistic'\\]"):
        fastact.patch_sklearn()
    assert _base.ACTIVATIONS["logistic"] is wrong
    assert all(current()[k] is originals[k] for k in KEYS if k != ("ACTIVATIONS", "logistic"))
    monkeypatch.undo()

    monkeypatch.delitem(_base.DERIVATIVES, "relu")
    with pytest.raises(fastact.SklearnPatchError, match="no callable 'relu'"):
        fastact.patch_sklearn()
    monkeypatch.undo()

    monkeypatch.setattr(_base, "ACTIVATIONS", dict(_base.ACTIVATIONS))
    with pytest.raises(fastact.SklearnPatchError, match="no longer reads"):
        fastact.patch_sklearn()
    monkeypatch.undo()
    assert current() == originals


def test_missing_sklearn_gives_a_clear_import_error(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"fastact\[sklearn\]"):
        fastact.patch_sklearn()
