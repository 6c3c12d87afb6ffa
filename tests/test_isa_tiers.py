"""Every ISA tier this CPU can run, each in its own process selected with
FASTACT_ISA (which caps the choice): the tier is the one in use, the exact
functions (the catalogue's bound 0) give the same bits at every tier, and the
accuracy, semantics, no-warning, narrow-type and subnormal tests pass under
each tier. The tier in use
by default runs those files directly; the others run them in a child process.
`python -m fastact check` at every tier is tests/test_cli.py's
test_check_default_run_passes (the default run checks every tier)."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

import fastact
from fastact import kernels
from fastact._catalog import SPECS

from _subproc import run_code, run_python

HERE = Path(__file__).parent
DEFAULT = fastact.config()["isa"]
OTHER_TIERS = [t for t in fastact.config()["isas"] if t != DEFAULT]
TIERS = kernels.available_isas()
EXACT = [s for s in SPECS if s.ulp == 0]

# Results of every exact function on special values, sweeps and a large
# (threaded) array; run in each tier's process and in this one.
EXACT_RESULTS = r"""
def exact_results():
    import numpy as np
    import fastact
    from fastact import _check
    arrays = {}
    for spec in _check.SPECS:
        if spec.ulp != 0:
            continue
        for dtype in (np.float32, np.float64):
            inputs = _check.make_inputs(spec, dtype, 2000, seed=1)
            rng = np.random.default_rng(2)
            big = [rng.standard_normal(300_001).astype(dtype) * 4 for _ in spec.inputs]
            for tag, ins in (("sweep", inputs), ("big", big)):
                with np.errstate(all="ignore"):
                    r = getattr(fastact, spec.name)(*ins, **spec.params)
                arrays[f"{spec.name}/{np.dtype(dtype).name}/{tag}"] = r
    return arrays
"""

SCRIPT = EXACT_RESULTS + r"""
import json
import numpy as np
import fastact

isa = fastact.config()["isa"]
np.savez(OUT_PATH, **exact_results())
print("RESULT " + json.dumps({"isa": isa}))
"""


def _exact_results_here():
    namespace = {}
    exec(EXACT_RESULTS, namespace)
    return namespace["exact_results"]()


@pytest.fixture(scope="module")
def per_tier(tmp_path_factory):
    """tier -> (isa in use, the child's output, saved results)."""
    results = {}
    for tier in TIERS:
        path = tmp_path_factory.mktemp("tiers") / f"{tier}.npz"
        proc = run_code(f"OUT_PATH = {str(path)!r}\n" + SCRIPT,
                        env={"FASTACT_ISA": tier}, timeout=1200)
        line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        assert line, f"tier {tier}: script failed\n{proc.stdout}\n{proc.stderr}"
        info = json.loads(line[-1][len("RESULT "):])
        results[tier] = (info["isa"], proc.stdout, dict(np.load(path)))
    return results


@pytest.mark.parametrize("tier", TIERS)
def test_exact_functions_bitwise_identical_across_tiers(per_tier, tier):
    """Each tier's results equal those of this process (the best tier), bit
    for bit (any NaN equals any NaN)."""
    want_all = _exact_results_here()
    got_all = per_tier[tier][2]
    assert set(got_all) == set(want_all)
    for spec in EXACT:
        assert f"{spec.name}/float32/big" in got_all
    for key, want in want_all.items():
        got = got_all[key]
        bits = np.uint32 if want.dtype == np.float32 else np.uint64
        same = (got.view(bits) == want.view(bits)) | (np.isnan(got) & np.isnan(want))
        assert same.all(), f"{key}: {tier} differs at {np.flatnonzero(~same)[:5]}"


@pytest.mark.parametrize("tier", TIERS)
def test_fastact_isa_selects_the_tier(per_tier, tier):
    # in the child that computed the results, and in a bare interpreter
    assert per_tier[tier][0] == tier
    child = run_python(["-c", "import fastact; print(fastact.config()['isa'])"],
                       env={"FASTACT_ISA": tier})
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == tier


@pytest.mark.parametrize("tier", OTHER_TIERS)
def test_every_tier_keeps_the_contract(tier, ulp_report):
    files = [str(HERE / f) for f in ("test_accuracy.py", "test_semantics.py", "test_warnings.py",
                                     "test_narrow.py", "test_tanh_table.py", "test_subnormal.py")]
    child = run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
                       env={"FASTACT_ISA": tier}, timeout=1200)
    # pass the child's max-ULP table (see conftest) on to this run's
    for name, dtype, value in re.findall(r"^(\w+) +(float32|float64|float16|bfloat16) +([0-9.]+)$",
                                         child.stdout, flags=re.MULTILINE):
        ulp_report(f"{name} [{tier}]", dtype, float(value))
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-2000:]


NO_TIER_SCRIPT = r"""
import sys
class BlockTiers:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("fastact._isa_"):
            raise ImportError(f"blocked for the test: {name}")
        return None
sys.meta_path.insert(0, BlockTiers())
try:
    import fastact
except ImportError as exc:
    print("ImportError:", exc)
"""


def test_no_importable_tier_module_gives_a_clear_import_error():
    from _subproc import run_code
    proc = run_code(NO_TIER_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError: fastact: no kernel module"), proc.stdout
