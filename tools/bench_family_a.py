"""Quick single-threaded timing of the family-A functions at n = 1e6:
fastact vs fastact.reference (numpy) vs PyTorch, best of several runs,
all measured in the same run. The bench suite in bench/ supersedes this;
it is kept to reproduce the figures in the issue 5 note.
Run: PYTHONPATH=src python tools/bench_family_a.py [float32|float64] [repeats]
"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import fastact
from fastact import reference

torch.set_num_threads(1)
fastact.set_num_threads(1)
aten = torch.ops.aten
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def torch_fns(x, g, y):
    """name -> zero-argument callable doing the PyTorch counterpart."""
    xt, gt, yt = (torch.from_numpy(a) for a in (x, g, y))
    ones = torch.ones_like(xt)
    _, buffer = aten.log_sigmoid_forward(xt)
    fns = {
        "tanh": lambda: torch.tanh(xt),
        "tanh_backward": lambda: aten.tanh_backward(gt, yt),
        "softsign": lambda: F.softsign(xt),
        "softplus": lambda: F.softplus(xt),
        "softplus_backward": lambda: aten.softplus_backward(gt, xt, 1.0, 20.0),
        "log_sigmoid": lambda: F.logsigmoid(xt),
        "log_sigmoid_backward": lambda: aten.log_sigmoid_backward(gt, xt, buffer),
        "silu": lambda: F.silu(xt),
        "silu_backward": lambda: aten.silu_backward(gt, xt),
        "gelu_tanh": lambda: F.gelu(xt, approximate="tanh"),
        "gelu_tanh_backward": lambda: aten.gelu_backward(gt, xt, approximate="tanh"),
        "elu": lambda: F.elu(xt),
        "elu_backward": lambda: aten.elu_backward(gt, 1.0, 1.0, 1.0, False, xt),
        "selu": lambda: F.selu(xt),
        "selu_backward": lambda: aten.elu_backward(gt, SELU_ALPHA, SELU_SCALE, 1.0, False, xt),
        "mish": lambda: F.mish(xt),
        "mish_backward": lambda: aten.mish_backward(gt, xt),
    }
    # a derivative alone is the backward with grad_out = 1 in PyTorch
    grads = {
        "tanh_grad": lambda: aten.tanh_backward(ones, torch.tanh(xt)),
        "softplus_grad": lambda: aten.softplus_backward(ones, xt, 1.0, 20.0),
        "log_sigmoid_grad": lambda: aten.log_sigmoid_backward(ones, xt, buffer),
        "silu_grad": lambda: aten.silu_backward(ones, xt),
        "gelu_tanh_grad": lambda: aten.gelu_backward(ones, xt, approximate="tanh"),
        "elu_grad": lambda: aten.elu_backward(ones, 1.0, 1.0, 1.0, False, xt),
        "selu_grad": lambda: aten.elu_backward(ones, SELU_ALPHA, SELU_SCALE, 1.0, False, xt),
        "mish_grad": lambda: aten.mish_backward(ones, xt),
    }
    fns.update(grads)
    return fns


def best(f, repeats):
    f()
    t = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    dtype = np.dtype(sys.argv[1] if len(sys.argv) > 1 else "float32")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    n = 1_000_000
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    y = np.tanh(x)
    tfn = torch_fns(x, g, y)
    print(f"{dtype}, n = {n}, one thread, isa {fastact.config()['isa']}; ns/element "
          f"and ratios (>1: fastact faster)")
    print(f"{'function':22s} {'fastact':>8s} {'numpy':>8s} {'torch':>8s} {'x numpy':>8s} {'x torch':>8s}")
    for act in ["tanh", "softsign", "softplus", "log_sigmoid", "silu", "gelu_tanh",
                "elu", "selu", "mish"]:
        for name in (act, act + "_grad", act + "_backward"):
            args = ((g, y if act == "tanh" else x) if name.endswith("_backward") else (x,))
            ours = getattr(fastact, name)
            ref = getattr(reference, name)
            t_fa = best(lambda: ours(*args), repeats)
            t_np = best(lambda: ref(*args), max(3, repeats // 3))
            t_th = best(tfn[name], repeats) if name in tfn else float("nan")
            print(f"{name:22s} {t_fa / n * 1e9:8.3f} {t_np / n * 1e9:8.3f} {t_th / n * 1e9:8.3f} "
                  f"{t_np / t_fa:8.1f} {t_th / t_fa:8.2f}", flush=True)


if __name__ == "__main__":
    main()
