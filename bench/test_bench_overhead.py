"""Call overhead: every catalogue function on a 1-element float64 array in
place, against numpy's own ufunc overhead (np.negative(x, out=x))."""
import numpy as np
import pytest

import fastact
from fastact import _bench
from fastact._catalog import SPECS


def test_overhead_np_negative(benchmark):
    x = np.zeros(1)
    benchmark.group = "call overhead, 1 element float64 in place"
    benchmark(np.negative, x, out=x)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_overhead(benchmark, spec):
    arrays = _bench.make_inputs(spec, np.float64, 1)
    f = getattr(fastact, spec.name)
    benchmark.group = "call overhead, 1 element float64 in place"
    benchmark(lambda: f(*arrays, out=arrays[0], **spec.params))
