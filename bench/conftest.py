"""Shared set-up of the pytest-benchmark suites (`pytest bench`).

Every implementation gets the same number of threads, `--bench-threads N`
(default 1: a per-core comparison; numpy and SciPy have no threads anyway).
"""
import pytest

import fastact
from fastact import _bench


def pytest_addoption(parser):
    parser.addoption("--bench-threads", type=int, default=1,
                     help="threads for fastact, torch and numexpr (default 1)")


@pytest.fixture(scope="session", autouse=True)
def bench_threads(request):
    n = request.config.getoption("--bench-threads")
    undo = _bench._set_threads(n, _bench.peers())
    yield n
    undo()


def rounds_for(n):
    """Timed rounds per benchmark: many for small arrays, few for 1e7."""
    return max(5, min(200, int(2e7 // max(n, 1))))


def restore_inputs(arrays, pristine):
    def setup():
        for a, p in zip(arrays, pristine):
            a[...] = p
    return setup


__all__ = ["rounds_for", "restore_inputs", "fastact"]
