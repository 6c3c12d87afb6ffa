"""Draw every activation in fastact's catalogue and its derivative, computed
by fastact itself, into one PNG.

    python tools/plot_activations.py activations.png [--range -7 7]

Each panel shows f(x) (`fastact.<name>`) and f'(x) (`fastact.<name>_grad`, or
`<name>_backward` with grad_out = 1 where there is no _grad), in float64 on a
fine grid, with the catalogue's default parameters. The figure's footer names
the fastact version, the kernel tier and the machine that drew it.
"""
import argparse
import math

import numpy as np

import fastact
from fastact import _catalog
from fastact._bench import _cpu_name


def curves(name, x):
    """f(x) and f'(x) from fastact, with the catalogue's default parameters."""
    specs = {s.variant: s for s in _catalog.SPECS if s.activation == name}
    params = specs["forward"].params
    y = getattr(fastact, specs["forward"].name)(x, **params)
    if "grad" in specs:
        dy = getattr(fastact, specs["grad"].name)(x, **params)
    else:
        backward = specs["backward"]
        arg = y if backward.inputs[-1] == "y" else x
        dy = getattr(fastact, backward.name)(np.ones_like(x), arg, **params)
    return y, dy, params


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="PNG to write, e.g. activations.png")
    parser.add_argument("--range", nargs=2, type=float, default=(-7.0, 7.0), metavar=("LO", "HI"))
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [a for a in _catalog.activations()
             if any(s.activation == a and s.variant == "forward" for s in _catalog.SPECS)
             and any(s.activation == a and s.variant in ("grad", "backward") for s in _catalog.SPECS)
             and hasattr(fastact, a)]
    x = np.linspace(*args.range, 2001)
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows + 0.5), squeeze=False)
    for ax, name in zip(axes.flat, names):
        y, dy, params = curves(name, x)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(x, y, label="f(x)", lw=2)
        ax.plot(x, dy, label="f'(x)", lw=1.5, ls="--")
        extra = ", ".join(f"{k}={v}" for k, v in params.items())
        ax.set_title(f"{name}({extra})" if extra else name, fontsize=11)
        ax.set_xlim(*args.range)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(loc="upper left", fontsize="small")
    cfg = fastact.config()
    fig.text(0.5, 0.005, f"drawn by fastact {cfg['version']} (tools/plot_activations.py), "
             f"ISA {cfg['isa']}, {_cpu_name()}", ha="center", va="bottom", fontsize=8, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(args.path, dpi=100)
    print(f"wrote {args.path}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
