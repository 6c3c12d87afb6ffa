"""`python -m fastact demo`: train a small numpy MLP with fastact's functions.

A multilayer perceptron written in plain numpy learns a generated, seeded
three-armed spiral, once per activation in the catalogue that has a forward
and a backward function (sigmoid, relu, leaky_relu and whatever else is
there). Every hidden layer calls `fastact.<name>` forward and
`fastact.<name>_backward` backward; the output layer is a softmax with
cross-entropy, written in numpy, the same for every run.

Two settings, so that each effect the founding document claims shows up:

- "deep": 6 hidden layers, He initialisation, SGD with momentum. Reports the
  final loss and accuracy, the gradient norm of every layer's weights in the
  first epoch (a sigmoid net's first layer gets orders of magnitude less than
  its last: vanishing gradients), and wall time per epoch with fastact against
  the same loop running `fastact.reference` (numpy), whole epochs and the
  part spent in the activation calls.
- "dying": 3 hidden layers trained with a learning rate ten times larger.
  Big steps push ReLU units to where they are negative on every sample; their
  gradient is then 0 for good. Reports the fraction of such dead units (units
  whose derivative is 0 on every training sample) after training. Leaky ReLU's
  derivative is never 0, so its units keep learning.

Threads: the demo runs fastact on one thread unless `--threads N` says
otherwise, and numpy's BLAS on one thread too (with threadpoolctl installed).
Its arrays are small (a batch of 256 x 64 values), where a split gains
little, and threads of either kind that spin or wait for each other between
the calls make the epoch times erratic on a busy machine.

`--quick` shrinks the data and the epochs so that the whole run takes
seconds; `--plot PATH` draws loss curves, gradient norms and dead fractions;
`--json` prints the results as JSON instead of tables.
"""
import argparse
import os
import contextlib
import json
import sys
import time

import numpy as np

import fastact
from fastact import _catalog, reference

# Activations whose "forward" is not elementwise cannot be a hidden layer's
# nonlinearity here.
_NOT_ELEMENTWISE = {"softmax", "log_softmax", "softmin", "glu"}

SETTINGS = {
    #          hidden layers, width, learning rate, epochs (full, quick)
    "deep":  dict(depth=6, width=64, lr=0.05, epochs=(60, 8)),
    "dying": dict(depth=3, width=64, lr=0.5, epochs=(40, 8)),
}
MOMENTUM = 0.9
BATCH = 256
CLASSES = 3


def demo_activations():
    """Catalogue activations with an elementwise forward and a backward."""
    found = []
    for name in _catalog.activations():
        variants = {s.variant: s for s in _catalog.SPECS if s.activation == name}
        if "forward" not in variants or "backward" not in variants:
            continue
        if name in _NOT_ELEMENTWISE or set(variants["forward"].params) & {"axis", "dim"}:
            continue
        if not all(hasattr(m, s.name) for m in (fastact, reference) for s in variants.values()):
            continue
        found.append(name)
    return found


def spirals(n_per_class, seed):
    """Three interleaved noisy spiral arms in the plane, float32, shuffled."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(CLASSES):
        r = np.linspace(0.05, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.25, n_per_class)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(n_per_class, c))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys)
    order = rng.permutation(len(y))
    return x[order], y[order]


class Activation:
    """One activation's forward, backward and derivative from a module
    (fastact or fastact.reference), with the catalogue's default parameters."""

    def __init__(self, name, module):
        specs = {s.variant: s for s in _catalog.SPECS if s.activation == name}
        self.name = name
        self.params = dict(specs["forward"].params)
        self.forward_fn = getattr(module, specs["forward"].name)
        self.backward_fn = getattr(module, specs["backward"].name)
        # sigmoid and tanh differentiate from the output y, the rest from x.
        self.backward_takes_output = specs["backward"].inputs[-1] == "y"
        grad = specs.get("grad")
        self.grad_fn = getattr(module, grad.name) if grad else None
        self.seconds = 0.0    # time spent in forward and backward calls

    def forward(self, z):
        start = time.perf_counter()
        h = self.forward_fn(z, **self.params)
        self.seconds += time.perf_counter() - start
        return h

    def backward(self, grad_out, z, h):
        start = time.perf_counter()
        g = self.backward_fn(grad_out, h if self.backward_takes_output else z, **self.params)
        self.seconds += time.perf_counter() - start
        return g

    def derivative(self, z):
        if self.grad_fn is not None:
            return self.grad_fn(z, **self.params)
        h = self.forward(z)
        return self.backward(np.ones_like(z), z, h)


def init_params(sizes, seed):
    """He-uniform weights (variance 2 / fan_in), zero biases, float32."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / fan_in)
        w = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
        params.append([w, np.zeros(fan_out, np.float32)])
    return params


def forward_pass(params, act, x):
    """Hidden pre-activations zs, hidden outputs hs, softmax probabilities."""
    zs, hs = [], [x]
    for w, b in params[:-1]:
        z = hs[-1] @ w + b
        zs.append(z)
        hs.append(act.forward(z))
    w, b = params[-1]
    logits = hs[-1] @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    # e^-60 ~ 1e-26: probabilities of confidently wrong classes stay normal
    # floats. Subnormal ones would make every matmul downstream crawl (a
    # microcode assist per operation) and the timing meaningless.
    np.maximum(logits, -60, out=logits)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return zs, hs, p


def backward_pass(params, act, zs, hs, p, y):
    """Gradients of the mean cross-entropy for every (w, b), and the loss."""
    n = len(y)
    loss = float(-np.log(np.maximum(p[np.arange(n), y], 1e-12)).mean())
    g = p.copy()
    g[np.arange(n), y] -= 1
    g /= n
    grads = [None] * len(params)
    for layer in range(len(params) - 1, -1, -1):
        w, _ = params[layer]
        grads[layer] = (hs[layer].T @ g, g.sum(axis=0))
        if layer > 0:
            g = act.backward(g @ w.T, zs[layer - 1], hs[layer])
    return grads, loss


def train_epoch(params, velocity, act, x, y, lr, order, grad_norms=None):
    """One epoch of minibatch SGD with momentum; returns the mean loss."""
    losses = []
    for start in range(0, len(y), BATCH):
        idx = order[start:start + BATCH]
        zs, hs, p = forward_pass(params, act, x[idx])
        grads, loss = backward_pass(params, act, zs, hs, p, y[idx])
        losses.append(loss)
        if grad_norms is not None:
            grad_norms.append([float(np.linalg.norm(gw)) for gw, _ in grads])
        for pv, vv, gv in zip(params, velocity, grads):
            for k in range(2):
                vv[k] *= MOMENTUM
                vv[k] -= lr * gv[k]
                pv[k] += vv[k]
    return float(np.mean(losses))


def evaluate(params, act, x, y):
    zs, _, p = forward_pass(params, act, x)
    accuracy = float((p.argmax(axis=1) == y).mean())
    dead = [float((act.derivative(z) == 0).all(axis=0).mean()) for z in zs]
    loss = float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())
    return loss, accuracy, dead


def run_one(name, setting, x, y, epochs, seed, progress, time_reference=True):
    """Train one activation in one setting; returns its results as a dict."""
    cfg = SETTINGS[setting]
    sizes = [x.shape[1]] + [cfg["width"]] * cfg["depth"] + [CLASSES]
    act = Activation(name, fastact)
    params = init_params(sizes, seed)
    velocity = [[np.zeros_like(w), np.zeros_like(b)] for w, b in params]
    rng = np.random.default_rng(seed + 1)
    orders = [rng.permutation(len(y)) for _ in range(epochs)]
    first_epoch_norms = []
    losses, seconds = [], []
    # The same loop with numpy's functions (fastact.reference) runs from the
    # same start, each epoch right after fastact's so that both see the same
    # machine load; the two must agree on the loss.
    timed = epochs if time_reference else 0
    ref = Activation(name, reference)
    ref_params = init_params(sizes, seed)
    ref_velocity = [[np.zeros_like(w), np.zeros_like(b)] for w, b in ref_params]
    ref_losses, ref_seconds = [], []
    # A large learning rate may make a net diverge (the dying setting is meant
    # to be harsh); its loss then reads nan, with no warnings on the way.
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            act.seconds = 0.0
            start = time.perf_counter()
            losses.append(train_epoch(params, velocity, act, x, y, cfg["lr"], orders[epoch],
                                      first_epoch_norms if epoch == 0 else None))
            seconds.append((time.perf_counter() - start, act.seconds))
            if epoch < timed:
                ref.seconds = 0.0
                start = time.perf_counter()
                ref_losses.append(train_epoch(ref_params, ref_velocity, ref, x, y, cfg["lr"],
                                              orders[epoch]))
                ref_seconds.append((time.perf_counter() - start, ref.seconds))
            progress(f"{setting:5s} {name:12s} epoch {epoch + 1}/{epochs}")
        loss, accuracy, dead = evaluate(params, act, x, y)
    result = {
        "activation": name,
        "setting": setting,
        "layers": sizes,
        "epochs": epochs,
        "loss_curve": losses,
        "final_loss": loss,
        "accuracy": accuracy,
        "grad_norms": np.mean(first_epoch_norms, axis=0).tolist(),
        "dead_fraction": float(np.mean(dead)),
        "dead_fraction_per_layer": dead,
        # A diverged net's activations are NaN, whose derivative is NaN, not
        # 0: its dead fraction reads 0 and means nothing.
        "diverged": not np.isfinite(loss),
        # Best of the epochs: the least disturbed by other work on the machine.
        "seconds_per_epoch": min(t for t, _ in seconds[:timed] or seconds),
        "activation_seconds_per_epoch": min(a for _, a in seconds[:timed] or seconds),
    }
    if timed:
        result["seconds_per_epoch_reference"] = min(t for t, _ in ref_seconds)
        result["activation_seconds_per_epoch_reference"] = min(a for _, a in ref_seconds)
        result["loss_curve_reference"] = ref_losses
        result["speedup"] = result["seconds_per_epoch_reference"] / result["seconds_per_epoch"]
        result["activation_speedup"] = (result["activation_seconds_per_epoch_reference"]
                                        / result["activation_seconds_per_epoch"])
    return result


def run(quick=False, activations=None, seed=0, progress=None):
    """Both settings for every activation; returns the report as a dict."""
    progress = progress or (lambda message: None)
    names = activations or demo_activations()
    n_per_class = 400 if quick else 2000
    x, y = spirals(n_per_class, seed)
    report = {"config": fastact.config(), "quick": quick, "samples": len(y),
              "batch": BATCH, "settings": {}, "runs": []}
    for setting, cfg in SETTINGS.items():
        epochs = cfg["epochs"][1 if quick else 0]
        report["settings"][setting] = {k: v for k, v in cfg.items() if k != "epochs"} | {"epochs": epochs}
        for name in names:
            report["runs"].append(run_one(name, setting, x, y, epochs, seed, progress,
                                          time_reference=(setting == "deep")))
    return report


def format_report(report):
    """The report as two plain-text tables."""
    lines = []
    deep = report["settings"]["deep"]
    lines.append(f"fastact demo: {report['samples']} spiral points, 3 classes, batch {report['batch']}, "
                 f"ISA {report['config']['isa']}, fastact threads: {report['config']['num_threads']}, "
                 f"BLAS threads: {report.get('blas_threads', 'default')}")
    lines.append("")
    lines.append(f"deep net: {deep['depth']} hidden layers of {deep['width']}, lr {deep['lr']}, "
                 f"momentum {MOMENTUM}, {deep['epochs']} epochs")
    lines.append(f"{'activation':12s} {'loss':>7s} {'acc':>6s} {'|dW| first':>10s} {'|dW| last':>10s} "
                 f"{'last/first':>10s} {'dead':>6s} {'ms/epoch':>9s} {'numpy':>7s} {'speedup':>7s} "
                 f"{'in act.':>7s} {'numpy':>7s} {'speedup':>7s}")
    for r in report["runs"]:
        if r["setting"] != "deep":
            continue
        g = r["grad_norms"]
        ratio = g[-1] / g[0] if g[0] > 0 else float("inf")
        lines.append(f"{r['activation']:12s} {r['final_loss']:7.3f} {r['accuracy']:6.1%} {g[0]:10.2e} "
                     f"{g[-1]:10.2e} {ratio:10.1e} {r['dead_fraction']:6.1%} "
                     f"{1e3 * r['seconds_per_epoch']:9.1f} {1e3 * r['seconds_per_epoch_reference']:7.1f} "
                     f"{r['speedup']:6.1f}x "
                     f"{1e3 * r['activation_seconds_per_epoch']:7.2f} "
                     f"{1e3 * r['activation_seconds_per_epoch_reference']:7.2f} "
                     f"{r['activation_speedup']:6.1f}x")
    dying = report["settings"]["dying"]
    lines.append("")
    lines.append(f"dying units: {dying['depth']} hidden layers of {dying['width']}, lr {dying['lr']} "
                 f"(10x), {dying['epochs']} epochs; dead = derivative 0 on every sample; "
                 f"loss nan = diverged")
    lines.append(f"{'activation':12s} {'loss':>7s} {'acc':>6s} {'dead':>6s}  per layer")
    for r in report["runs"]:
        if r["setting"] != "dying":
            continue
        if r["diverged"]:
            lines.append(f"{r['activation']:12s} {r['final_loss']:7.3f} {r['accuracy']:6.1%} "
                         f"{'-':>6s}  diverged (dead units not measurable)")
            continue
        per_layer = " ".join(f"{d:5.1%}" for d in r["dead_fraction_per_layer"])
        lines.append(f"{r['activation']:12s} {r['final_loss']:7.3f} {r['accuracy']:6.1%} "
                     f"{r['dead_fraction']:6.1%}  {per_layer}")
    return "\n".join(lines)


def plot(report, path, machine=None):
    """One figure, three parts, every activation on its own row or panel so
    that none hides another: the deep net's loss curve per activation (small
    multiples on one scale), the first-epoch gradient ratio last layer /
    first layer (vanishing gradients), and the dying setting's dead units
    (diverged runs marked as such, not as 0%)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    deep = [r for r in report["runs"] if r["setting"] == "deep"]
    dying = {r["activation"]: r for r in report["runs"] if r["setting"] == "dying"}
    names = [r["activation"] for r in deep]
    cols = 4
    rows = max(1, -(-len(deep) // cols))
    fig = plt.figure(figsize=(15, 1.6 * rows + 1.6), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.45, 1])

    # Loss curves: one small panel per activation, shared axes.
    axes = left.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    top = max((max(np.nan_to_num(r["loss_curve"], nan=0.0, posinf=0.0)) for r in deep),
              default=1.0)
    top = min(top, 3.0) * 1.05 or 1.0
    for ax, r in zip(axes.flat, deep):
        curve = np.asarray(r["loss_curve"], dtype=float)
        ax.plot(np.arange(1, len(curve) + 1), curve, color="tab:blue", lw=1.2)
        ax.set_ylim(0, top)
        ax.set_title(f"{r['activation']}: {r['accuracy']:.0%}", fontsize=9, pad=2)
        ax.tick_params(labelsize=7)
        if not np.all(np.isfinite(curve)) or curve.max() > top:
            ax.text(0.5, 0.5, "off the scale" if np.all(np.isfinite(curve)) else "diverged",
                    transform=ax.transAxes, ha="center", color="tab:red", fontsize=8)
    for ax in list(axes.flat)[len(deep):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("loss", fontsize=8)
    deep_cfg = report["settings"]["deep"]
    left.suptitle(f"training loss, deep net ({deep_cfg['depth']} hidden layers of "
                  f"{deep_cfg['width']}), final accuracy in each title", fontsize=10)

    # Right: two bar charts over the same activations, one row each.
    ax_grad, ax_dead = right.subplots(1, 2, sharey=True)
    y = np.arange(len(names))[::-1]
    ratios = [r["grad_norms"][-1] / r["grad_norms"][0] if r["grad_norms"][0] > 0 else np.inf
              for r in deep]
    ax_grad.barh(y, ratios, color=["tab:red" if q > 100 else "tab:blue" for q in ratios])
    ax_grad.set_xscale("log")
    ax_grad.set_xlim(0.5, max([q for q in ratios if np.isfinite(q)] + [10]) * 30)
    ax_grad.axvline(1, color="grey", lw=0.8)
    ax_grad.set_yticks(y, names, fontsize=8)
    ax_grad.set_title("vanishing gradient:\n|dW| last layer / first layer", fontsize=9)
    ax_grad.tick_params(axis="x", labelsize=7)
    for yi, q in zip(y, ratios):
        ax_grad.text(q, yi, f" {q:.0f}" if q < 1e3 else f" {q:.0e}", va="center", fontsize=7)

    dying_cfg = report["settings"]["dying"]
    for yi, name in zip(y, names):
        r = dying.get(name)
        if r is None:
            continue
        if r["diverged"]:
            ax_dead.barh(yi, 100, color="none", edgecolor="grey", hatch="///", lw=0.5)
            ax_dead.text(50, yi, "diverged", va="center", ha="center", fontsize=7)
        else:
            share = 100 * r["dead_fraction"]
            ax_dead.barh(yi, share, color="tab:red")
            ax_dead.text(share + 1, yi, f"{share:.0f}%", va="center", fontsize=7)
    ax_dead.set_xlim(0, 115)
    ax_dead.set_title(f"dying units: dead after {dying_cfg['epochs']} epochs\n"
                      f"at lr {dying_cfg['lr']} (% of hidden units)", fontsize=9)
    ax_dead.tick_params(axis="x", labelsize=7)
    if machine:
        fig.supxlabel(machine, fontsize=8, color="dimgrey")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _machine_note(report):
    """The footer naming what drew the figure: results depend on it."""
    from fastact._bench import _cpu_name
    return (f"drawn by fastact {fastact.__version__} ({fastact.config()['isa']} tier) on "
            f"{_cpu_name()}, {os.cpu_count()} CPUs; seed {report.get('seed', 0)}")


@contextlib.contextmanager
def _one_blas_thread():
    """Limit numpy's BLAS to one thread while the demo runs, if threadpoolctl
    is there. Its matmuls are small (256 x 64 x 64); a multi-threaded BLAS
    gains nothing on them and, on a machine with other work running, its
    threads waiting for each other made epochs vary 50-fold."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield False
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield True


def _progress_printer(stream):
    """Progress on one rewritten line when `stream` is a terminal, else nothing."""
    if not stream.isatty():
        return lambda message: None

    def show(message):
        stream.write("\r\033[K" + message)
        stream.flush()
    return show


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fastact demo",
        description="Train a small numpy MLP on spirals with each activation: loss, accuracy, "
                    "vanishing gradients, dead units, and time per epoch vs numpy.")
    parser.add_argument("--quick", action="store_true", help="small data, few epochs: seconds")
    parser.add_argument("--plot", metavar="PATH", help="write a figure (needs matplotlib)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--activations", metavar="NAMES",
                        help="comma-separated subset, default: every one in the catalogue")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="fastact threads during the demo (default 1, see the module doc)")
    args = parser.parse_args(argv)

    available = demo_activations()
    names = available
    if args.activations:
        names = [n.strip() for n in args.activations.split(",") if n.strip()]
        unknown = [n for n in names if n not in available]
        if unknown:
            parser.error(f"unknown activation(s) {', '.join(unknown)}; available: {', '.join(available)}")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install matplotlib")

    show = _progress_printer(sys.stderr)
    threads_before = fastact.get_num_threads()
    fastact.set_num_threads(args.threads)
    try:
        with _one_blas_thread() as blas_limited:
            report = run(quick=args.quick, activations=names, seed=args.seed, progress=show)
        report["blas_threads"] = 1 if blas_limited else "default"
    finally:
        fastact.set_num_threads(threads_before)
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print(format_report(report))
    if args.plot:
        plot(report, args.plot, machine=_machine_note(report))
        print(f"figure written to {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
