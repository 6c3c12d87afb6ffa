"""Shared set-up of the pytest-benchmark suites (`pytest bench`).

Every implementation gets the same number of threads, `--bench-threads N`
(default 1: a per-core comparison; numpy and SciPy have no threads anyway).
"""
import pytest

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
