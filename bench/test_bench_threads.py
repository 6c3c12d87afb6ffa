"""Threads: fastact releases the GIL (two Python threads on two arrays vs one
thread doing both), and its own OpenMP split of one large array (1 thread vs
all cores)."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastact

N = 10**6
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.fixture
def two_arrays():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(N).astype(np.float32) for _ in range(2)]


@pytest.fixture
def one_fastact_thread():
    old = fastact.get_num_threads()
    fastact.set_num_threads(1)
    yield
    fastact.set_num_threads(old)


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_gil_one_python_thread(benchmark, two_arrays, one_fastact_thread, name):
    f = getattr(fastact, name)
    benchmark.group = f"GIL: {name} on 2 arrays of 1e6 float32"

    def both():
        for a in two_arrays:
            f(a, out=a)

    benchmark(both)


@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_gil_two_python_threads(benchmark, two_arrays, one_fastact_thread, name):
    f = getattr(fastact, name)
    benchmark.group = f"GIL: {name} on 2 arrays of 1e6 float32"
    with ThreadPoolExecutor(2) as pool:
        def both():
            for fut in [pool.submit(f, a, out=a) for a in two_arrays]:
                fut.result()

        benchmark(both)


@pytest.mark.parametrize("threads", sorted({1, CORES}))
@pytest.mark.parametrize("n", [10**6, 10**7], ids=lambda n: f"{n:.0e}")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_openmp_sigmoid(benchmark, dtype, n, threads):
    x = np.random.default_rng(0).standard_normal(n).astype(dtype)
    old = fastact.get_num_threads()
    fastact.set_num_threads(threads)
    try:
        benchmark.group = f"OpenMP: sigmoid {dtype} n={n:.0e}"
        benchmark.extra_info["threads"] = fastact.get_num_threads()
        benchmark(fastact.sigmoid, x, out=x)
    finally:
        fastact.set_num_threads(old)
