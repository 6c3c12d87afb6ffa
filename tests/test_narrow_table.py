"""The float16 and bfloat16 tables (docs/contract.md, "float16 and
bfloat16"; _kernels_narrow.pxi, "Tables"): a function's result table holds
exactly what its narrow loop computes, and a backward pass's derivative
table what the float32 derivative gives, so a call that reads a table gives
the bits of a call that computes, at every ISA tier; tables are used only in
the default floating-point mode, and for parameters only at their defaults;
threads filling one at once agree.

Each check runs in a fresh process (a table, once filled, lives as long as
the process): calls of fewer elements than the fill threshold compute until a
large call fills the table."""
import json
import platform

import pytest

from fastact import kernels
from fastact._catalog import SPECS

from _subproc import run_code

TABLED = [s.name for s in SPECS if s.narrow_table]
DERIVATIVE_TABLED = [s.name for s in SPECS if s.narrow_derivative_table]
TIERS = kernels.available_isas()
X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")

COMMON = r"""
import json
import numpy as np
import fastact
try:
    import ml_dtypes
    NARROW = [np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)]
except ImportError:
    NARROW = [np.dtype(np.float16)]
NAMES = NAMES_HERE
CHUNK = 4096            # below the fill threshold (16384): computes

def every_input(dtype):
    return np.arange(65536, dtype=np.uint16).view(dtype)

def chunked(f, x):
    return np.concatenate([f(x[i:i + CHUNK]) for i in range(0, x.size, CHUNK)])

def bits(a):
    return a.view(np.uint16)
"""

SAME_BITS = COMMON + r"""
report = {"isa": fastact.config()["isa"], "mismatch": [], "checked": 0}
for dtype in NARROW:
    for name in NAMES:
        f = getattr(fastact, name)
        x = every_input(dtype)
        computed = chunked(f, x)            # no table yet: these compute
        looked_up = f(x)                    # fills the table, then uses it
        again = chunked(f, x)               # small calls use it now too
        in_place = x.copy()
        f(in_place, out=in_place)
        odd = f(x[1:65001])                 # a length that is no multiple of 16
        for tag, got in (("table", looked_up), ("small after", again),
                         ("in place", in_place), ("offset", odd)):
            want = computed[1:65001] if tag == "offset" else computed
            if not np.array_equal(bits(got), bits(want)):
                report["mismatch"].append([name, dtype.name, tag])
        report["checked"] += 1
# backward passes with a derivative table: every x against grad_out values
# of every kind (specials, subnormals, random), one call against small ones
rng = np.random.default_rng(5)
for dtype in NARROW:
    x = every_input(dtype)
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-40, -3e-39,
                         6e-8, 65504.0], dtype=np.float32).astype(dtype)
    g = np.concatenate([np.resize(specials, 32768),
                        (rng.standard_normal(32768) * 3).astype(np.float32).astype(dtype)])
    g = g[rng.permutation(g.size)]
    for name in DERIVATIVE_NAMES:
        f = getattr(fastact, name)
        computed = np.concatenate([f(g[i:i + CHUNK], x[i:i + CHUNK])
                                   for i in range(0, x.size, CHUNK)])
        looked_up = f(g, x)
        in_place = x.copy()
        f(g, in_place, out=in_place)
        odd = f(g[3:65000], x[3:65000])
        for tag, got, want in (("table", looked_up, computed), ("in place", in_place, computed),
                               ("offset", odd, computed[3:65000])):
            # every bit, where grad_out and x are both NaN too (both loops
            # finish with the same product, so they pick the same NaN)
            if not np.array_equal(bits(got), bits(want)):
                report["mismatch"].append([name, dtype.name, tag])
        report["checked"] += 1
# a table is its parameters' defaults': other values compute (the same bits
# in one call as in small ones) and differ from the defaults' results
for dtype in NARROW:
    for name, params in (("softplus", {"beta": 2.0}), ("softplus", {"threshold": 1.0}),
                         ("elu_grad", {"alpha": 0.5})):
        f = getattr(fastact, name)
        x = every_input(dtype)
        g = lambda a: f(a, **params)
        if not np.array_equal(bits(g(x)), bits(chunked(g, x))):
            report["mismatch"].append([name, dtype.name, repr(params)])
        if np.array_equal(bits(g(x)), bits(f(x))):
            report["mismatch"].append([name, dtype.name, "same as defaults"])
print("RESULT " + json.dumps(report))
"""


@pytest.mark.parametrize("tier", TIERS)
def test_table_gives_the_computed_bits_at_every_tier(tier):
    proc = run_code(SAME_BITS.replace("NAMES_HERE", repr(TABLED))
                    .replace("DERIVATIVE_NAMES", repr(DERIVATIVE_TABLED)),
                    env={"FASTACT_ISA": tier}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.split("RESULT ")[-1])
    assert report["isa"] == tier
    assert report["mismatch"] == []
    assert report["checked"] >= len(TABLED) + len(DERIVATIVE_TABLED)


# In round-toward-zero mode, or with flush-to-zero and denormals-are-zero, a
# call computes in that mode, as the float32 kernels do: its result is the
# float32 kernel's result in that mode, rounded (outside the mode, so that
# numpy's conversion is not in question), not the default mode's table.
OTHER_MODE = COMMON + r"""
from fastact import _ufuncs
normal = _ufuncs._get_fpmode()
report = {"mismatch": [], "mode_changes_results": False}
for dtype in NARROW:
    for name in NAMES:
        f = getattr(fastact, name)
        x = every_input(dtype)
        default = f(x)                      # fills the table
        wide = x.astype(np.float32)
        for mode in (0x6000, 0x8040):       # round toward zero; FTZ + DAZ
            _ufuncs._set_fpmode(normal | mode)
            try:
                got = f(x)
                wide_result = f(wide)
            finally:
                _ufuncs._set_fpmode(normal)
            want = wide_result.astype(dtype)
            nan = np.isnan(want.astype(np.float32))
            same = np.array_equal(bits(got)[~nan], bits(want)[~nan])
            same = same and bool(np.isnan(got[nan].astype(np.float32)).all())
            if not same:
                report["mismatch"].append([name, dtype.name, hex(mode)])
            if not np.array_equal(bits(got), bits(default)):
                report["mode_changes_results"] = True
print("RESULT " + json.dumps(report))
"""


@pytest.mark.skipif(not X86, reason="the floating-point modes set here are MXCSR's (x86)")
def test_other_floating_point_modes_compute_in_that_mode():
    proc = run_code(OTHER_MODE.replace("NAMES_HERE", repr(TABLED)), timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.split("RESULT ")[-1])
    assert report["mismatch"] == []
    # round toward zero changes some results: a table used in that mode
    # would have been seen above
    assert report["mode_changes_results"]


THREADS_FILL = COMMON + r"""
import threading
fastact.set_num_threads(1)
report = {"mismatch": []}
for dtype in NARROW:
    for name in ("sigmoid", "gelu", "tanh_grad"):
        f = getattr(fastact, name)
        x = every_input(dtype)
        want = chunked(f, x)                # computes: no table yet
        start = threading.Barrier(6)
        results = [None] * 6
        def work(k):
            start.wait()
            results[k] = f(x)               # all six may fill at once
        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            if not np.array_equal(bits(r), bits(want)):
                report["mismatch"].append([name, dtype.name])
print("RESULT " + json.dumps(report))
"""


def test_threads_filling_a_table_at_once_agree():
    proc = run_code(THREADS_FILL.replace("NAMES_HERE", repr(TABLED)), timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.split("RESULT ")[-1])
    assert report["mismatch"] == []


def test_the_derivative_tabled_backward_passes():
    # the exp-based backward passes that take x (Spec.narrow_derivative_table)
    assert {"silu_backward", "gelu_backward", "softplus_backward", "mish_backward"} <= set(
        DERIVATIVE_TABLED)
    assert not {"sigmoid_backward", "tanh_backward", "relu_backward",
                "hard_swish_backward"} & set(DERIVATIVE_TABLED)


def test_the_tabled_functions():
    # one input, exp-based (Spec.narrow_table); the cheap ones and the
    # two-input backward passes compute
    assert {"sigmoid", "gelu_grad", "softplus", "elu_grad"} <= set(TABLED)
    assert not {"relu", "hard_swish", "leaky_relu", "softsign",
                "sigmoid_backward", "gelu_backward"} & set(TABLED)
