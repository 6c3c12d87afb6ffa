"""Every kernel tier this CPU can run (FASTACT_ISA caps the choice) keeps the
contract: the accuracy, semantics and no-warning tests pass under each one.
The tier in use by default is tested directly by those files; the others run
them in a child process."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastact

HERE = Path(__file__).parent
DEFAULT = fastact.config()["isa"]
OTHER_TIERS = [t for t in fastact.config()["isas"] if t != DEFAULT]


def run_with_tier(tier, *args):
    env = dict(os.environ, FASTACT_ISA=tier)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          cwd=HERE.parent, timeout=600)


@pytest.mark.parametrize("tier", fastact.config()["isas"])
def test_fastact_isa_selects_the_tier(tier):
    child = run_with_tier(tier, "-c", "import fastact; print(fastact.config()['isa'])")
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == tier


@pytest.mark.parametrize("tier", OTHER_TIERS)
def test_every_tier_keeps_the_contract(tier, ulp_report):
    files = [str(HERE / f) for f in ("test_accuracy.py", "test_semantics.py", "test_warnings.py",
                                     "test_narrow.py")]
    child = run_with_tier(tier, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files)
    # pass the child's max-ULP table (see conftest) on to this run's
    for name, dtype, value in re.findall(r"^(\w+) +(float32|float64|float16|bfloat16) +([0-9.]+)$",
                                         child.stdout, flags=re.MULTILINE):
        ulp_report(f"{name} [{tier}]", dtype, float(value))
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-2000:]
