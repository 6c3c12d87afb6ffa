"""Resident memory stays flat over many calls of every kind, including calls
that raise (read-only out, shape mismatch, bad axis, bad dtype): no
reference, buffer or exception path leaks.

The default run makes ~10^5 calls in all; `-m hunt` makes ~10^5 of each
kind. Linux only (it reads the resident set size from /proc)."""
import os

import numpy as np
import pytest

import fastact
from fastact import _ufuncs

STATM = "/proc/self/statm"
pytestmark = [
    pytest.mark.skipif(not os.path.exists(STATM),
                       reason="resident set size is read from /proc (Linux)"),
    # AddressSanitizer keeps freed memory in quarantine: resident memory
    # grows by design there (tools/sanitize.sh), and ASan finds leaks itself.
    pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                       reason="resident memory is not a leak measure under AddressSanitizer"),
]

# A leak of one small object per call shows as megabytes over 10^5 calls;
# allocator noise (arenas, numpy's small-block cache) stays well below this.
MAX_GROWTH = 4 << 20


def rss():
    with open(STATM) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def call_kinds():
    """(name, zero-argument callable, exception it raises or None)."""
    x32 = np.linspace(-5, 5, 37, dtype=np.float32)
    x64 = np.linspace(-5, 5, 37)
    y64 = np.linspace(0, 1, 37)
    out32 = np.empty_like(x32)
    read_only = np.zeros(37, np.float32)
    read_only.flags.writeable = False
    rows = np.linspace(-3, 3, 6 * 7).reshape(6, 7)
    mask = x32 > 0
    strided = np.linspace(-5, 5, 74)[::2]
    return [
        ("ufunc", lambda: fastact.sigmoid(x32), None),
        ("ufunc out=", lambda: fastact.tanh(x32, out=out32), None),
        ("ufunc where=", lambda: fastact.gelu(x32, out=out32, where=mask), None),
        ("ufunc strided", lambda: fastact.silu(strided), None),
        ("ufunc cast", lambda: fastact.mish(x64, dtype=np.float32), None),
        ("binary", lambda: fastact.sigmoid_backward(x64, y64), None),
        ("parameter default", lambda: fastact.leaky_relu(x32), None),
        ("parameter given", lambda: fastact.softplus(x64, beta=2.0, threshold=10.0), None),
        ("scalar", lambda: fastact.elu(0.5), None),
        ("list", lambda: fastact.relu([1.0, -2.0, 3.0]), None),
        ("overlap", lambda: fastact.sigmoid(x64[1:], out=x64[:-1]), None),
        ("reduce", lambda: _ufuncs.sigmoid_backward.reduce(y64), None),
        ("accumulate", lambda: _ufuncs.leaky_relu.accumulate(x64), None),
        ("softmax", lambda: fastact.softmax(rows, axis=0), None),
        ("log_softmax", lambda: fastact.log_softmax(rows), None),
        ("softmax_backward", lambda: fastact.softmax_backward(rows, rows, axis=1), None),
        ("read-only out", lambda: fastact.sigmoid(x32, out=read_only), ValueError),
        ("shape mismatch", lambda: fastact.relu_backward(x64, x64[:5]), ValueError),
        ("bad out shape", lambda: fastact.sigmoid(x32, out=out32[:3]), ValueError),
        ("bad axis", lambda: fastact.softmax(rows, axis=5), np.exceptions.AxisError),
        ("bad dtype", lambda: fastact.sigmoid(np.array(["a"])), TypeError),
        ("integer out", lambda: fastact.tanh(x32, out=np.empty(37, np.int32)), TypeError),
        ("bad parameter", lambda: fastact.elu(x32, alpha="x"), TypeError),
        ("softmax read-only", lambda: fastact.softmax(x32, out=read_only), ValueError),
    ]


def run_calls(kinds, calls_per_kind):
    for _name, f, exc in kinds:
        for _ in range(calls_per_kind):
            if exc is None:
                f()
            else:
                try:
                    f()
                except exc:
                    pass
                else:
                    raise AssertionError(f"{_name} did not raise {exc.__name__}")


def growth_over(calls_per_kind):
    kinds = call_kinds()
    with np.errstate(all="ignore"):
        run_calls(kinds, 500)                 # warm-up: caches, arenas
        before = rss()
        run_calls(kinds, calls_per_kind)
        return rss() - before


def test_resident_memory_stays_flat_over_many_calls_of_every_kind():
    growth = growth_over(100_000 // len(call_kinds()))
    assert growth < MAX_GROWTH, f"resident memory grew by {growth / 2**20:.1f} MiB"


@pytest.mark.hunt
def test_resident_memory_stays_flat_over_100k_calls_of_each_kind():
    growth = growth_over(100_000)
    assert growth < MAX_GROWTH, f"resident memory grew by {growth / 2**20:.1f} MiB"
