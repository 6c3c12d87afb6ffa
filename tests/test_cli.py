"""The command line: `python -m fastact info`, `bench` and `check`."""
import json
import math

import pytest

import fastact
from fastact import _check, kernels
from fastact.__main__ import main
from fastact._catalog import BY_NAME, SPECS

from _subproc import SRC, run_python

NAMES = {s.name for s in SPECS}


def _positive_finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


def test_info_prints_version_and_settings():
    proc = run_python(["-m", "fastact", "info"], env={"FASTACT_ISA": "baseline"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert fastact.__version__ in out
    assert "OpenMP" in out and "numpy" in out
    for tier in fastact.config()["isas"]:
        assert tier in out
    assert "tier in use          baseline" in out     # the environment is honoured
    assert "FASTACT_ISA          baseline" in out
    guards = "yes" if kernels.subnormal_guards() else "no "     # the CPU's setting
    assert f"subnormal guards     {guards}" in out


def test_version_option_prints_the_version():
    proc = run_python(["-m", "fastact", "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"fastact {fastact.__version__}"


def test_info_into_a_closed_pipe_ends_quietly():
    # `fastact info | head -1`: the reader goes away before the output is
    # written. Closing our end of the pipe before the child writes makes
    # every write fail with EPIPE, deterministically.
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "fastact", "info"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 141


@pytest.mark.parametrize("sizes, message", [
    ("1e4x", "'1e4x' is not a number"),
    ("1000,-5", "'-5' is not a positive whole number"),
    ("2.5", "'2.5' is not a positive whole number"),
    (",", "no sizes given"),
])
def test_bench_bad_sizes_are_a_usage_error(sizes, message):
    proc = run_python(["-m", "fastact", "bench", "--sizes", sizes])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error: argument --sizes: " + message in proc.stderr


def test_bench_sizes_accepts_exponents():
    from fastact._bench import _parse_sizes
    assert _parse_sizes("1e3, 100000,2E2") == (1000, 100000, 200)


def test_check_without_mpmath_says_what_to_install():
    # What `pip install ".[bench]"` gave before mpmath joined that extra: the
    # check must say what is missing, not crash half-way through a table.
    code = ("import sys; sys.modules['mpmath'] = None\n"
            "from fastact.__main__ import main\n"
            "sys.exit(main(['check', '--functions', 'gelu', '--isa', 'current']))")
    proc = run_python(["-c", code])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "needs mpmath" in proc.stderr and "pip install mpmath" in proc.stderr


def test_bench_extra_installs_what_check_needs():
    # The README installs the [bench] extra before running bench and check.
    import os
    import pathlib
    candidates = [pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml"]
    if os.environ.get("FASTACT_SOURCE_DIR"):
        candidates.insert(0, pathlib.Path(os.environ["FASTACT_SOURCE_DIR"]) / "pyproject.toml")
    pyproject = next((p for p in candidates if p.exists()), None)
    assert pyproject is not None, f"pyproject.toml not found in {candidates}"
    bench = [line for line in pyproject.read_text().splitlines() if line.startswith("bench = [")]
    assert len(bench) == 1 and '"mpmath' in bench[0], bench


def test_check_thorough_takes_more_points(capsys):
    rc = main(["check", "--thorough", "--functions", "relu", "--isa", "current"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "~200000 points per sweep" in out
    rc = main(["check", "--functions", "relu", "--isa", "current"])
    assert rc == 0
    assert "~10000 points per sweep" in capsys.readouterr().out


def test_no_command_prints_usage_and_fails(capsys):
    assert main([]) == 2
    assert "bench" in capsys.readouterr().err


def test_bench_quick_writes_table_and_json(tmp_path):
    path = tmp_path / "bench.json"
    proc = run_python(["-m", "fastact", "bench", "--quick", "--json", str(path)], timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "[1/" not in proc.stderr          # progress only on a terminal
    assert "fastact" in proc.stdout and "memory-bandwidth bound" in proc.stdout
    rep = json.loads(path.read_text())
    assert rep["config"]["isa"] in fastact.config()["isas"]
    assert rep["threads"] == 1 and rep["quick"] is True
    results = rep["results"]
    assert results
    assert {r["function"] for r in results} == {
        s.name for s in SPECS if s.variant in ("forward", "backward")}
    for r in results:
        assert r["function"] in NAMES
        assert r["dtype"] in ("float32", "float64")
        assert r["mode"] in ("inplace", "out")
        assert r["n"] > 0
        ns = r["ns_per_element"]
        assert _positive_finite(ns["fastact"])
        assert "numpy" in ns and _positive_finite(ns["numpy"])
        for peer, v in ns.items():
            assert v is None or _positive_finite(v), (peer, v)
        for peer, v in r["speedup"].items():
            assert _positive_finite(v)
            assert v == pytest.approx(ns[peer] / ns["fastact"])
    for peer, version in rep["peers"].items():
        if version is None:                  # not installed: no timings
            assert all(r["ns_per_element"][peer] is None for r in results)
    assert all(_positive_finite(v) for v in rep["bandwidth_ns_per_element"].values())
    bw2 = rep["bandwidth_two_inputs_ns_per_element"]
    assert all(_positive_finite(v) for v in bw2.values())
    assert rep["memory_bound"]
    for m in rep["memory_bound"]:
        assert _positive_finite(m["ratio_to_bound"])
        two_inputs = len(BY_NAME[m["function"]].inputs) == 2
        bound = (bw2 if two_inputs else rep["bandwidth_ns_per_element"])[m["dtype"]]
        assert m["bound_ns_per_element"] == bound
    assert all(_positive_finite(v) for v in rep["call_overhead_ns"].values())
    # The softmax trio: its own section, every function x dtype x row length.
    sm = rep["softmax"]
    assert {(r["function"], r["dtype"], r["n"]) for r in sm} == {
        (f, d, n) for f in _check.SOFTMAX_NAMES for d in ("float32", "float64")
        for n in (10, 1000, 100_000)}
    for r in sm:
        assert r["mode"] == "inplace" and r["rows"] >= 1
        ns = r["ns_per_element"]
        assert _positive_finite(ns["fastact"]) and _positive_finite(ns["numpy"])
        assert (ns["torch"] is None) == (rep["peers"]["torch"] is None)
        for peer, v in r["speedup"].items():
            assert v == pytest.approx(ns[peer] / ns["fastact"])
    assert "softmax trio" in proc.stdout


def test_bench_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "speedup.png"
    rc = main(["bench", "--functions", "relu", "--sizes", "1000,4000",
               "--isa", "all", "--plot", str(path)])
    assert rc == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    for tier in fastact.config()["isas"]:
        if tier != fastact.config()["isa"]:
            assert f"fastact[{tier}]" in out     # one column per extra tier


# Over a minute since check covers every float16/bfloat16 input at every
# tier (tests/test_narrow.py checks those loops in the default run): CI runs
# it once with -m slow.
@pytest.mark.slow
def test_check_default_run_passes():
    # The default run is the quick one: a new user's first check.
    proc = run_python(["-m", "fastact", "check"], timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for spec in SPECS:
        assert spec.name in proc.stdout
    # The softmax trio's rows follow the catalogue's: one per dtype and tier.
    lines = proc.stdout.splitlines()
    for name in _check.SOFTMAX_NAMES:
        for dtype in ("float32", "float64"):
            for tier in fastact.config()["isas"]:
                row = [ln for ln in lines if ln.split()[:3] == [name, dtype, tier]]
                assert len(row) == 1, (name, dtype, tier)
                assert row[0].split()[5] == "ok"
                assert float(row[0].split()[3]) <= _check.SOFTMAX_ULP
    assert "row sums within" in proc.stdout
    # The narrow types follow: one row per function, narrow type and tier.
    narrow = ["float16"] + (["bfloat16"] if fastact.bfloat16 is not None else [])
    for spec in SPECS:
        for dtype in narrow:
            for tier in fastact.config()["isas"]:
                row = [ln for ln in lines if ln.split()[:3] == [spec.name, dtype, tier]]
                assert len(row) == 1, (spec.name, dtype, tier)
                assert row[0].split()[6] == "ok", row[0]
    assert "check passed" in proc.stdout


def test_check_fails_when_a_narrow_result_is_off(monkeypatch, capsys):
    # float16 relu one ulp off where x > 1 (the float32 loop untouched):
    # the narrow rows must fail and say where.
    import numpy as np
    relu = fastact.relu

    def off_for_float16(x, **kw):
        r = relu(x, **kw)
        if r.dtype == np.float16:
            r = np.where(x > 1, (r.view(np.uint16) ^ 1).view(np.float16), r)
        return r

    monkeypatch.setattr(fastact, "relu", off_for_float16)
    rc = main(["check", "--functions", "relu", "--isa", "current"])
    out = capsys.readouterr().out
    assert rc == 1
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("relu ")]
    assert [r[1] for r in rows if r[-1] == "FAIL"] == ["float16"]
    assert "not the float32 result rounded once" in out


def test_check_fails_when_a_result_is_off(monkeypatch, capsys):
    # An oracle one ulp away from relu's correct results: check must see it.
    import numpy as np
    good = _check.ORACLES["relu"]

    def off_by_some_ulp(x):
        r = good(x)
        eps = 2.0 ** -20 if x.dtype == np.float32 else 2.0 ** -49
        return np.where(x > 1, r * x.dtype.type(1 + eps), r)

    monkeypatch.setitem(_check.ORACLES, "relu", off_by_some_ulp)
    rc = main(["check", "--quick", "--functions", "relu", "--isa", "current"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL" in out and "not bitwise correct" in out


def test_check_fails_without_an_oracle(monkeypatch, capsys):
    monkeypatch.delitem(_check.ORACLES, "relu_grad")
    rc = main(["check", "--quick", "--functions", "relu_grad", "--isa", "current"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "no oracle" in out and "relu_grad" in out


def test_check_fails_when_a_softmax_result_is_off(monkeypatch, capsys):
    # An oracle 8 ulp away from the float32 softmax results: above the
    # 4-ulp bound, so the row must fail and the exit status be 1.
    import numpy as np
    good = _check.ORACLES["softmax"]

    def off(x):
        r = good(x)
        return r * np.longdouble(1 + 8 * 2.0 ** -23) if x.dtype == np.float32 else r

    monkeypatch.setitem(_check.ORACLES, "softmax", off)
    rc = main(["check", "--quick", "--functions", "softmax", "--isa", "current"])
    out = capsys.readouterr().out
    assert rc == 1
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("softmax ")]
    assert [r[1] for r in rows if r[5] == "FAIL"] == ["float32"]
    assert [r[1] for r in rows if r[5] == "ok"] == ["float64"]


# `check --exhaustive` over a sample of its chunks (the whole sweep takes an
# hour or more): every swept function at every tier within its bound.
SWEEP_SAMPLE = range(0, 1 << 32, 1 << 27)      # 32 chunks of 2**14, every binade touched


def test_the_exhaustive_sweep_passes_on_a_sample_of_its_chunks(capsys):
    tiers = fastact.config()["isas"]
    failures = _check.run_exhaustive(SPECS, tiers, starts=SWEEP_SAMPLE)
    out = capsys.readouterr().out
    assert failures == 0, out
    swept = [s for s in SPECS if len(s.inputs) == 1 and (s.variant == "forward" or s.exhaustive)]
    for spec in swept:
        if _check._oracle.float32_sweep_oracle(spec.name) is None:
            continue    # gelu without scipy: said, and skipped
        for tier in tiers:
            row = [ln.split() for ln in out.splitlines()
                   if ln.split()[:3] == [spec.name, "float32", tier]]
            assert len(row) == 1 and row[0][5] == "ok", (spec.name, tier)


def test_the_sweeps_ulp_scale_is_the_inverse_ulp_in_float32():
    import numpy as np
    rng = np.random.default_rng(5)
    with np.errstate(invalid="ignore"):     # signalling NaNs among the bit patterns
        v = np.concatenate([rng.integers(0, 1 << 64, 1 << 16, dtype=np.uint64).view(np.float64),
                            rng.integers(0, 1 << 32, 1 << 16, dtype=np.uint64)
                            .astype(np.uint32).view(np.float32).astype(np.float64),
                            [1.0, -1.0, 0.75, 2.0 ** -1000, 2.0 ** -999,
                             np.finfo(np.float64).max]])
    v = v[np.isfinite(v) & (np.abs(v) >= 2.0 ** -1000)]
    expected = np.ldexp(1.0, 24 - np.frexp(v)[1])      # 1 / ulp at v's binade
    assert (_check._float32_inverse_ulp(v) == expected).all()


def test_the_exhaustive_sweep_fails_when_a_result_is_off(monkeypatch, capsys):
    # hard_sigmoid's sweep oracle a little off above 1: the exact function's
    # row must fail. (The sweep's oracle is float32_sweep_oracle, not ORACLES.)
    import numpy as np
    good = _check._oracle.float32_sweep_oracle

    def with_one_off(name, work=np.float64):
        oracle = good(name, work)
        if name != "hard_sigmoid":
            return oracle
        return lambda x: np.where(x > 1, oracle(x) * (1 + 2.0 ** -20), oracle(x))

    monkeypatch.setattr(_check._oracle, "float32_sweep_oracle", with_one_off)
    hard_sigmoid = [s for s in SPECS if s.name in ("hard_sigmoid", "sigmoid")]
    from fastact import kernels
    tier_before = kernels.current_isa()
    failures = _check.run_exhaustive(hard_sigmoid, ["baseline"], starts=SWEEP_SAMPLE)
    # the sweep gives back the tier it found (it once left the whole test
    # session on the baseline tier)
    assert kernels.current_isa() == tier_before
    out = capsys.readouterr().out
    assert failures == 1, out
    assert "not bitwise correct" in out
    rows = {ln.split()[0]: ln.split()[5] for ln in out.splitlines() if "float32  baseline" in ln}
    assert rows == {"sigmoid": "ok", "hard_sigmoid": "FAIL"}
