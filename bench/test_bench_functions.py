"""Every catalogue function, float32 and float64, sizes 1e3..1e7, in place and
out of place: fastact against the numpy reference, the hand-written numpy
ufunc chain and, when installed, PyTorch, SciPy and numexpr.

Each benchmark group holds one (function, dtype, size, mode), so
`pytest bench --benchmark-group-by=group` compares implementations side by
side. The callables are those of `python -m fastact bench` (fastact._bench),
on the same arrays; in place, the inputs are restored before every round
(untimed), so repeated calls never drift into subnormals.
"""
import importlib.util

import numpy as np
import pytest

from _benchutil import restore_inputs, rounds_for
from fastact import _bench
from fastact._catalog import SPECS

SIZES = (10**3, 10**5, 10**6, 10**7)
DTYPES = ("float32", "float64")
MODES = ("inplace", "out")

# implementation -> (package it needs or None, the maker of its call)
IMPLS = {
    "fastact": (None, _bench._make_fastact, None),
    "numpy": (None, _bench._make_reference, None),
    "np-ufunc": (None, _bench._make_from(_bench.NUMPY_UFUNC), _bench.NUMPY_UFUNC),
    "torch": ("torch", _bench._make_torch, _bench.TORCH),
    "scipy": ("scipy", _bench._make_from(_bench.SCIPY), _bench.SCIPY),
    "numexpr": ("numexpr", _bench._make_numexpr, _bench.NUMEXPR),
}


def _cases():
    """(spec, impl) pairs where the implementation has the function at all."""
    for spec in SPECS:
        for impl, (_, _, table) in IMPLS.items():
            if table is None or spec.name in table:
                yield pytest.param(spec, impl, id=f"{spec.name}-{impl}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"{n:.0e}")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec, impl", list(_cases()))
def test_function(benchmark, spec, impl, dtype, n, mode):
    package, make, _ = IMPLS[impl]
    if package and importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} not installed")
    pristine = _bench.make_inputs(spec, dtype, n)
    arrays = [a.copy() for a in pristine]
    out = arrays[0] if mode == "inplace" else np.empty_like(arrays[0])
    call = make(spec, arrays, out)
    benchmark.group = f"{spec.name} {dtype} n={n:.0e} {mode}"
    benchmark.extra_info["n"] = n
    with np.errstate(all="ignore"):
        if mode == "inplace":
            benchmark.pedantic(call, setup=restore_inputs(arrays, pristine),
                               rounds=rounds_for(n), warmup_rounds=1)
        else:
            benchmark.pedantic(call, rounds=rounds_for(n), warmup_rounds=1)
