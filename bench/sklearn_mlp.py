"""Time scikit-learn's MLPClassifier.fit with and without fastact.patch_sklearn().

For each activation and dtype, fits the same model (same data, same seed,
a fixed number of epochs) with scikit-learn's own activation functions and
with fastact's, alternating the two `--repeat` times, and prints the best
time of each: the whole `fit`, and the share of it spent in the activation
functions and their derivatives (timed by wrapping the entries of
sklearn.neural_network._base.ACTIVATIONS / DERIVATIVES). Also prints the
final losses, which must agree to rounding.

    python bench/sklearn_mlp.py                      # 20000 x 64, hidden (256, 256)
    python bench/sklearn_mlp.py --samples 5000 --epochs 3 --repeat 2   # quicker

Only ratios measured in the same run mean anything on a shared machine.
"""
import argparse
import time
import warnings

import numpy as np

import fastact

try:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, _base
except ImportError:
    raise SystemExit("this benchmark needs scikit-learn (pip install 'fastact[sklearn]')")


class ActivationTimer:
    """Wraps the entries of scikit-learn's activation tables to add up the
    time spent in them while in effect."""

    KEYS = [("ACTIVATIONS", k) for k in ("logistic", "tanh", "relu", "softmax")] + \
           [("DERIVATIVES", k) for k in ("logistic", "tanh", "relu")]

    def __init__(self):
        self.seconds = 0.0

    def _wrap(self, fn):
        def timed(*args):
            t = time.perf_counter()
            fn(*args)
            self.seconds += time.perf_counter() - t
        return timed

    def __enter__(self):
        self._saved = {}
        for table, key in self.KEYS:
            d = getattr(_base, table)
            self._saved[(table, key)] = d[key]
            d[key] = self._wrap(d[key])
        return self

    def __exit__(self, *exc):
        for (table, key), fn in self._saved.items():
            getattr(_base, table)[key] = fn


def data(samples, features, classes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, features)).astype(dtype)
    w = rng.standard_normal((features, classes))
    y = np.argmax(X @ w + rng.standard_normal((samples, classes)), axis=1)
    return X, y


def fit_once(X, y, activation, hidden, epochs, patched):
    model = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, max_iter=epochs,
                          batch_size=200, random_state=0, tol=0.0, n_iter_no_change=10**9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if patched:
            fastact.patch_sklearn()
        try:
            with ActivationTimer() as timer:
                t = time.perf_counter()
                model.fit(X, y)
                total = time.perf_counter() - t
        finally:
            fastact.unpatch_sklearn()
    return total, timer.seconds, model.loss_curve_[-1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--hidden", default="256,256", help="comma-separated layer sizes")
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--activations", default="logistic,relu,tanh")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="BLAS threads for the matmuls (default 1, through threadpoolctl if "
                        "installed): on a shared machine a multi-threaded BLAS waiting for "
                        "busy cores makes fit times vary many-fold")
    a = p.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=a.blas_threads, user_api="blas")
        blas = f"{a.blas_threads} BLAS thread(s)"
    except ImportError:
        limits, blas = None, "BLAS threads not limited (no threadpoolctl)"
    hidden = tuple(int(h) for h in a.hidden.split(","))
    print(f"MLPClassifier.fit: {a.samples} x {a.features}, hidden {hidden}, {a.classes} classes "
          f"(softmax output), {a.epochs} epochs, batch 200; best of {a.repeat}; "
          f"fastact {fastact.__version__} ({fastact.config()['isa']}, "
          f"{fastact.get_num_threads()} threads); {blas}")
    print(f"{'activation':10s} {'dtype':8s} {'fit sklearn':>12s} {'fit fastact':>12s} "
          f"{'speedup':>8s}   {'act. sklearn':>12s} {'act. fastact':>12s} {'speedup':>8s}   "
          f"{'share':>6s}  {'loss sklearn':>12s} {'loss fastact':>12s}")
    for activation in a.activations.split(","):
        for dtype in a.dtypes.split(","):
            X, y = data(a.samples, a.features, a.classes, np.dtype(dtype))
            best = {False: [np.inf, np.inf, None], True: [np.inf, np.inf, None]}
            for patched in (False, True):      # warm-up: first-call costs, caches
                fit_once(X[:1000], y[:1000], activation, hidden, 1, patched)
            for _ in range(a.repeat):
                for patched in (False, True):
                    total, act, loss = fit_once(X, y, activation, hidden, a.epochs, patched)
                    b = best[patched]
                    b[0], b[1], b[2] = min(b[0], total), min(b[1], act), loss
            (fs, as_, ls), (ff, af, lf) = best[False], best[True]
            print(f"{activation:10s} {dtype:8s} {fs:11.2f}s {ff:11.2f}s {fs / ff:7.2f}x   "
                  f"{as_:11.2f}s {af:11.2f}s {as_ / af:7.1f}x   {as_ / fs:6.0%}  "
                  f"{ls:12.6g} {lf:12.6g}")
    print("share: the activation functions' share of scikit-learn's own fit time")
    if limits is not None:
        limits.restore_original_limits()


if __name__ == "__main__":
    main()
