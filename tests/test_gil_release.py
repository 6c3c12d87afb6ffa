"""The kernels release the GIL: Python threads calling them concurrently each
get their own correct result (the speedup is measured in bench/, not here)."""
import threading

import numpy as np
import pytest

import fastact


@pytest.mark.parametrize("name", ["sigmoid", "leaky_relu_backward"])
def test_concurrent_calls_from_python_threads_give_the_serial_results(name):
    fn = getattr(fastact, name)
    n_args = 2 if name.endswith("backward") else 1
    rng = np.random.default_rng(0)
    inputs = [[rng.standard_normal(1_000_000) * 10 for _ in range(n_args)] for _ in range(4)]
    serial = [fn(*args) for args in inputs]

    results = [None] * 4
    start = threading.Barrier(4)

    def work(i):
        start.wait()
        for _ in range(3):
            results[i] = fn(*inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, expected in zip(results, serial):
        np.testing.assert_array_equal(got, expected)


def test_concurrent_in_place_calls_on_disjoint_halves_of_one_array():
    x = np.random.default_rng(1).standard_normal(2_000_000)
    expected = fastact.sigmoid(x)
    halves = [x[:1_000_000], x[1_000_000:]]
    threads = [threading.Thread(target=fastact.sigmoid, args=(h,), kwargs={"out": h})
               for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(x, expected)
