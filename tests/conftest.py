"""Shared pytest set-up: the opt-in markers, hypothesis settings, and a table of the largest ULP
errors the accuracy tests measured, printed at the end of the run (and stored
as test properties for --junitxml) so the figures can go into the README."""
import sys
from pathlib import Path

import numpy as np
import pytest

# The helper modules (_inputs, _compare, _functions, _subproc) sit beside the
# tests; make them importable whatever pytest's --import-mode.
sys.path.insert(0, str(Path(__file__).parent))

try:
    from hypothesis import settings
except ImportError:  # hypothesis is optional; its tests skip without it
    pass
else:
    # No deadline: tests never assert on time (CI machines vary).
    settings.register_profile("fastact", deadline=None, max_examples=60)
    settings.load_profile("fastact")


# The long runs are opt-in: `-m large` (over 2^31 elements, ~9 GB of
# memory), `-m hunt` (many more random calls) and `-m slow` (the wheel
# build, check's default run). Set here rather than in pyproject.toml, so
# that the tests keep these defaults wherever they are run from (CI runs a
# copy outside the source tree, which pyproject.toml's settings never reach).
MARKERS = {
    "large": "arrays of more than 2**31 elements (~9 GB); run with -m large",
    "slow": "runs that take minutes (the wheel build, check's default run); "
            "CI runs them once with -m slow",
    "hunt": "long randomized sweeps (property tests with many examples); run with -m hunt",
}


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")
    if not config.option.markexpr:     # a -m on the command line replaces the default
        config.option.markexpr = " and ".join(f"not {name}" for name in MARKERS)


@pytest.fixture
def fastact_threads():
    """fastact.set_num_threads for one test: call it with the count; the
    count found before the test is restored after it."""
    import fastact
    before = fastact.get_num_threads()
    yield fastact.set_num_threads
    fastact.set_num_threads(before)


@pytest.fixture
def subnormal_guards():
    """kernels._set_subnormal_guards for one test: call it with True or
    False; the setting found before the test (the CPU's) is restored after."""
    from fastact import kernels
    before = kernels.subnormal_guards()
    yield kernels._set_subnormal_guards
    kernels._set_subnormal_guards(before)


_MAX_ULP = {}


@pytest.fixture
def ulp_report(record_property):
    """ulp_report(function_name, dtype, measured_max_ulp)."""
    def report(name, dtype, value):
        key = (name, np.dtype(dtype).name)
        _MAX_ULP[key] = max(_MAX_ULP.get(key, 0.0), float(value))
        record_property(f"max_ulp:{name}:{key[1]}", float(value))
    return report


def pytest_terminal_summary(terminalreporter):
    if not _MAX_ULP:
        return
    terminalreporter.section("largest error vs the oracle, in ULP")
    for (name, dtype), value in sorted(_MAX_ULP.items()):
        terminalreporter.write_line(f"{name:<28} {dtype:<8} {value:.3f}")
