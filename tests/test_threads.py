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


@pytest.mark.parametrize("bad", [2.5, "2", True, None, 2.0])
def test_set_num_threads_accepts_integers_only(restore_threads, bad):
    before = fastact.get_num_threads()
    with pytest.raises(TypeError):
        fastact.set_num_threads(bad)
    assert fastact.get_num_threads() == before


def test_set_num_threads_takes_integer_like_objects(restore_threads):
    fastact.set_num_threads(np.int64(1))
    assert fastact.get_num_threads() == 1


def test_absurd_thread_counts_are_capped(restore_threads):
    # 10**9 threads once grew the pool to 1,527 OS threads on 2 cores
    fastact.set_num_threads(10**9)
    cap = fastact._ufuncs._MAX_THREADS
    assert 1 <= fastact.get_num_threads() <= cap
    x = np.random.default_rng(0).standard_normal(N_LARGE).astype(np.float32)
    fastact.set_num_threads(1)
    want = fastact.sigmoid(x)
    fastact.set_num_threads(10**9)
    assert np.array_equal(fastact.sigmoid(x).view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("value", ["abc", "-1", "0", "2.5", " "])
def test_a_bad_fastact_num_threads_warns_and_falls_back(value):
    code = ("import warnings; warnings.simplefilter('always')\n"
            "import fastact, os\n"
            "print(fastact.get_num_threads(), min(len(os.sched_getaffinity(0)),"
            " fastact._ufuncs._omp_max_threads()) if fastact.config()['openmp'] else 1)")
    proc = run_code(code, env={"FASTACT_NUM_THREADS": value})
    assert proc.returncode == 0, proc.stderr
    got, default = proc.stdout.split()
    assert got == default
    if value.strip():
        assert proc.stderr.count("RuntimeWarning") == 1, proc.stderr
        assert "FASTACT_NUM_THREADS" in proc.stderr and repr(value) in proc.stderr
    else:   # blank means unset: no warning
        assert "RuntimeWarning" not in proc.stderr


def test_a_huge_fastact_num_threads_is_capped_with_a_warning():
    proc = run_code("import fastact; print(fastact._ufuncs._MAX_THREADS, fastact.get_num_threads())",
                    env={"FASTACT_NUM_THREADS": "100000"})
    assert proc.returncode == 0, proc.stderr
    cap, threads = map(int, proc.stdout.split())
    assert threads <= cap
    assert "RuntimeWarning" in proc.stderr and "'100000'" in proc.stderr


def test_a_bad_fastact_isa_warns_and_uses_the_best_tier():
    proc = run_code("import fastact; print(fastact.config()['isa'])",
                    env={"FASTACT_ISA": "sse9"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == fastact.config()["isas"][-1]
    assert "RuntimeWarning" in proc.stderr and "FASTACT_ISA='sse9'" in proc.stderr


OMP_SCRIPT = r"""
import json
import numpy as np
import fastact
from fastact import _ufuncs
first = _ufuncs._omp_max_threads()
fastact.set_num_threads(2)
fastact.set_num_threads(1)
after_setting = _ufuncs._omp_max_threads()
fastact.set_num_threads(2)
fastact.sigmoid(np.zeros(4_000_000, np.float32))
print(json.dumps({"omp": first, "omp_after_setting": after_setting,
                  "threads": fastact.get_num_threads(), "pool": _ufuncs._pool_started()}))
"""


def test_omp_num_threads_caps_fastact_and_import_leaves_it_alone():
    if not OPENMP:
        pytest.skip("fastact was built without OpenMP: there is no pool")
    proc = run_code(OMP_SCRIPT, env={"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r == {"omp": 1, "omp_after_setting": 1, "threads": 1, "pool": False}


def test_set_num_threads_leaves_the_openmp_limit_of_other_users_alone():
    if not OPENMP:
        pytest.skip("fastact was built without OpenMP: there is no pool")
    proc = run_code(OMP_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["omp_after_setting"] == r["omp"]      # set_num_threads(1) did not touch it


# Flush-to-zero and denormals-are-zero, as a library built with -ffast-math
# sets them in MXCSR at load. softplus around -95 gives results below
# float32's smallest normal: flushed in this mode, subnormal without it.
# The pool starts first: threads inherit the mode of the thread that creates
# them, so workers started after the change would hide the difference.
FTZ_SCRIPT = r"""
import json
import numpy as np
import fastact
from fastact import _ufuncs
normal_mode = _ufuncs._get_fpmode()
assert _ufuncs._worker_fpmodes(2) == [normal_mode, normal_mode]
_ufuncs._set_fpmode(normal_mode | 0x8040)
x = np.linspace(-96, -94, 1_000_003, dtype=np.float32)
results = []
for threads in (1, 2):
    fastact.set_num_threads(threads)
    results.append(fastact.softplus(x).view(np.uint32))
    rows = np.stack([x[:300_000], x[1:300_001]] * 4)
    rows[:, 0] = 0      # the others near exp(-95) / 1: subnormal
    results.append(fastact.softmax(rows).view(np.uint32).ravel())
workers = _ufuncs._worker_fpmodes(2)
print(json.dumps({"softplus_same": bool(np.array_equal(results[0], results[2])),
                  "softmax_same": bool(np.array_equal(results[1], results[3])),
                  "flushed": bool((results[0] == 0).all() and (results[1] == 0).sum() > 2_000_000),
                  "caller_mode_kept": _ufuncs._get_fpmode() == (normal_mode | 0x8040),
                  "worker_mode_restored": workers[1] == normal_mode}))
"""


def test_results_do_not_depend_on_threads_in_flush_to_zero_mode():
    if not OPENMP:
        pytest.skip("fastact was built without OpenMP: one thread only")
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("MXCSR flush-to-zero bits are x86's")
    proc = run_code(FTZ_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r == {"softplus_same": True, "softmax_same": True, "flushed": True,
                 "caller_mode_kept": True, "worker_mode_restored": True}


def test_thread_hammer_gives_the_serial_results(restore_threads):
    # Many Python threads calling random functions (numpy releases the GIL
    # around the loops, so they run at once, each splitting large calls
    # across OpenMP threads) while another thread keeps changing the thread
    # count: every result is bit-identical to the serial one.
    import threading
    rng = np.random.default_rng(11)
    sizes = [100, 70_001, 300_007]
    cases = []
    for k in range(24):
        spec = SPECS[rng.integers(len(SPECS))]
        dtype = (np.float32, np.float64)[k % 2]
        n = sizes[k % 3]
        arrays = [a[:n].copy() for a in _large_inputs(spec, dtype)]
        cases.append((spec, arrays))
    cases += [("softmax", [rng.standard_normal((64, 4099)).astype(np.float32)]),
              ("softmax_backward", [rng.standard_normal((64, 4099)),
                                    rng.random((64, 4099))])]

    def compute(case):
        spec, arrays = case
        if isinstance(spec, str):
            return getattr(fastact, spec)(*arrays)
        return getattr(fastact, spec.name)(*arrays, **spec.params)

    fastact.set_num_threads(1)
    with np.errstate(all="ignore"):
        want = [compute(c) for c in cases]
    stop = threading.Event()
    failures = []

    def changer():
        r = np.random.default_rng(12)
        while not stop.is_set():
            fastact.set_num_threads(int(r.integers(1, 4)))

    def worker(seed):
        r = np.random.default_rng(seed)
        with np.errstate(all="ignore"):
            for _ in range(15):
                i = int(r.integers(len(cases)))
                got = compute(cases[i])
                if not np.array_equal(got, want[i], equal_nan=True) or \
                        not np.array_equal(np.signbit(got), np.signbit(want[i])):
                    failures.append(i)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(6)]
    change = threading.Thread(target=changer)
    change.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    change.join()
    assert failures == []
