"""Threads: the setting and its environment variable, results bitwise
identical for any thread count, threadpoolctl control of the OpenMP pool, and
fork safety after the pool has run."""
import json

import numpy as np
import pytest

import fastact
from fastact._catalog import SPECS

from _subproc import run_code

OPENMP = fastact.config()["openmp"]
N_LARGE = 1_000_003          # odd, and far above the threading threshold


@pytest.fixture
def restore_threads():
    old = fastact.get_num_threads()
    yield
    fastact.set_num_threads(old)


def test_set_and_get_num_threads(restore_threads):
    fastact.set_num_threads(1)
    assert fastact.get_num_threads() == 1
    fastact.set_num_threads(2)
    assert fastact.get_num_threads() == (2 if OPENMP else 1)
    assert fastact.config()["num_threads"] == fastact.get_num_threads()


@pytest.mark.parametrize("bad", [0, -1])
def test_set_num_threads_rejects_less_than_one(restore_threads, bad):
    before = fastact.get_num_threads()
    with pytest.raises(ValueError):
        fastact.set_num_threads(bad)
    assert fastact.get_num_threads() == before


@pytest.mark.parametrize("n", [1, 2])
def test_fastact_num_threads_environment(n):
    proc = run_code("import fastact; print(fastact.get_num_threads())",
                    env={"FASTACT_NUM_THREADS": str(n)})
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) == (n if OPENMP else 1)


def _large_inputs(spec, dtype):
    """Random values with special values sprinkled in; y in [0, 1] for
    backward-from-output functions."""
    rng = np.random.default_rng(3)
    arrays = []
    for name in spec.inputs:
        a = rng.standard_normal(N_LARGE) * 6
        if name == "y":
            a = 1 / (1 + np.exp(-a))
        idx = rng.integers(0, N_LARGE, 64)
        a[idx] = rng.choice([0.0, -0.0, np.inf, -np.inf, np.nan], 64)
        arrays.append(a.astype(dtype))
    return arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_results_bitwise_identical_for_any_thread_count(restore_threads, spec, dtype):
    f = getattr(fastact, spec.name)
    inputs = _large_inputs(spec, dtype)
    results = {}
    for threads in (1, 2, 3):
        fastact.set_num_threads(threads)
        with np.errstate(all="ignore"):
            results[threads] = f(*inputs, **spec.params)
    bits = np.uint32 if np.dtype(dtype) == np.float32 else np.uint64
    for threads in (2, 3):
        assert np.array_equal(results[threads].view(bits), results[1].view(bits)), \
            f"{spec.name}: {threads} threads differ from 1"


THREADPOOLCTL_SCRIPT = r"""
import json
import numpy as np
import fastact
from threadpoolctl import threadpool_info, threadpool_limits

seen = [i for i in threadpool_info() if i["user_api"] == "openmp"]
fastact.set_num_threads(2)
x = np.random.default_rng(0).standard_normal(4_000_000).astype(np.float32)
want = fastact.sigmoid(np.array(x[:10]))  # too small for threads
with threadpool_limits(limits=1, user_api="openmp"):
    limited_threads = fastact.get_num_threads()
    fastact.sigmoid(x)
    pool_under_limit = fastact._ufuncs._pool_started()
threads_after = fastact.get_num_threads()
fastact.sigmoid(x)
print(json.dumps({"openmp_libs": len(seen), "limited": limited_threads,
                  "pool_under_limit": pool_under_limit, "after": threads_after,
                  "pool_after": fastact._ufuncs._pool_started()}))
"""


def test_threadpoolctl_sees_and_limits_the_openmp_pool():
    pytest.importorskip("threadpoolctl")
    if not OPENMP:
        pytest.skip("fastact was built without OpenMP: there is no pool")
    proc = run_code(THREADPOOLCTL_SCRIPT, env={"OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["openmp_libs"] >= 1             # threadpoolctl finds the OpenMP runtime
    assert r["limited"] == 1                 # and its limit caps fastact ...
    assert r["pool_under_limit"] is False    # ... so a large array stays on one thread
    assert r["after"] == 2                   # the limit is lifted on leaving the block
    assert r["pool_after"] is True


FORK_SCRIPT = r"""
import json
import multiprocessing as mp
import numpy as np
import fastact

fastact.set_num_threads(2)
x = np.random.default_rng(0).standard_normal(2_000_000)
want = fastact.sigmoid(x)                    # runs on the OpenMP pool
pool_started = fastact._ufuncs._pool_started()

def child(q):
    r = fastact.sigmoid(x)
    g = fastact.relu_backward(x, x)
    q.put(bool(np.array_equal(r, want)) and bool(np.array_equal(g, np.where(x > 0, x, 0))))

ctx = mp.get_context("fork")
q = ctx.Queue()
p = ctx.Process(target=child, args=(q,), daemon=True)
p.start()
try:
    child_ok = q.get(timeout=CHILD_TIMEOUT)
except Exception:                            # a hung child: fail, leave nothing behind
    p.kill()
    raise
p.join(CHILD_TIMEOUT)
again = bool(np.array_equal(fastact.sigmoid(x), want))   # the parent keeps its threads
print(json.dumps({"pool_started": pool_started, "child_ok": child_ok,
                  "child_exit": p.exitcode, "parent_ok": again}))
"""


def test_fork_after_threads_ran_child_computes_without_hanging():
    proc = run_code("CHILD_TIMEOUT = 30\n" + FORK_SCRIPT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["pool_started"] is OPENMP
    assert r["child_ok"] is True
    assert r["child_exit"] == 0
    assert r["parent_ok"] is True
