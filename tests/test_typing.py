"""Type information ships with fastact: a .pyi stub beside every compiled
module and one for the package, checked against what imports at run time by
mypy's stubtest over the whole package, and a py.typed marker so that type
checkers use them."""
import importlib.machinery
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastact
from fastact import reference
from fastact._catalog import SPECS

PACKAGE = Path(fastact.__file__).parent
TESTS = Path(__file__).resolve().parent
# The whole-package stubtest's mypy settings (its [tool.mypy] section): in the
# checkout above tests/, or in the source tree FASTACT_SOURCE_DIR names (CI
# runs a copy of tests/ alone, beside the unpacked sdist).
PYPROJECT = Path(os.environ.get("FASTACT_SOURCE_DIR") or TESTS.parent) / "pyproject.toml"


def compiled_modules():
    """fastact's extension modules as they are installed here."""
    names = set()
    for path in PACKAGE.iterdir():
        # Longest first: ".cpython-311-x86_64-linux-gnu.so" before ".so".
        for suffix in sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True):
            if path.name.endswith(suffix):
                names.add("fastact." + path.name[:-len(suffix)])
                break
    return sorted(names)


def test_every_compiled_module_has_a_stub_beside_it():
    modules = compiled_modules()
    assert {"fastact._ufuncs", "fastact.kernels", "fastact._isa_baseline"} <= set(modules)
    missing = [m for m in modules if not (PACKAGE / (m.split(".")[1] + ".pyi")).is_file()]
    assert not missing, f"write a .pyi stub for {missing}"


def test_package_is_marked_typed():
    assert (PACKAGE / "py.typed").is_file()


def run_mypy(args, cwd):
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    # The fastact imported here, also when the tests run from another
    # directory against a source tree (PYTHONPATH=src is relative).
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), *sys.path[1:]])
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def test_whole_package_matches_its_stubs(tmp_path):
    # `python -m mypy.stubtest fastact`, every module of the package: the
    # generated stubs against the compiled modules, and each .py module's own
    # annotations against what it holds after import (an unannotated empty
    # dict, an optional import of an untyped peer, a computed __all__ all fail
    # here). pyproject.toml leaves out the avx512 tier (see there; the test
    # below checks it where the CPU can run it).
    pytest.importorskip("mypy")
    assert PYPROJECT.is_file(), f"the stubtest's settings are in {PYPROJECT}"
    proc = run_mypy(["mypy.stubtest", "fastact", "--mypy-config-file", str(PYPROJECT),
                     "--allowlist", str(TESTS / "stubtest_allowlist.txt")],
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Every module was checked, not just the package's __init__.
    assert "Success: no issues found in" in proc.stdout, proc.stdout
    checked = int(proc.stdout.split("Success: no issues found in")[1].split()[0])
    assert checked >= 15, proc.stdout


def test_reference_exports_the_catalogue():
    # reference.__all__ is spelled out for type checkers: it must still name
    # every function of the catalogue, and only functions the module has.
    names = [s.name for s in SPECS] + ["softmax", "log_softmax", "softmax_backward"]
    assert sorted(reference.__all__) == sorted(names)
    assert all(callable(getattr(reference, n)) for n in reference.__all__)


def test_stubs_match_the_compiled_modules(tmp_path):
    # stubtest imports each module and compares every public name and
    # signature with its stub: a ufunc added in _ufuncs.pyx but not to
    # _ufuncs.pyi fails here ("... is not present in stub"). Unlike the
    # whole-package check, this includes every tier this CPU can run.
    pytest.importorskip("mypy")
    # stubtest imports each module: a tier this CPU cannot run would die of
    # SIGILL in its module init (compiled with the tier's instructions).
    runnable = [m for m in compiled_modules()
                if not m.startswith("fastact._isa_")
                or m[len("fastact._isa_"):] in fastact.kernels.available_isas()]
    proc = run_mypy(["mypy.stubtest", "--mypy-config-file", os.devnull, *runnable],
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_type_checker_sees_ufuncs_and_typed_functions(tmp_path):
    pytest.importorskip("mypy")
    (tmp_path / "user.py").write_text(textwrap.dedent("""\
        import numpy as np
        import fastact

        u: np.ufunc = fastact.sigmoid
        v: np.ufunc = fastact.relu_backward
        isa: str | None = fastact.kernels.current_isa()
        n: int = fastact.get_num_threads()
        fastact.leaky_relu(np.ones(3), alpha=0.2)
        fastact.set_num_threads("two")
        p: np.ndarray = fastact.softmax(np.ones((2, 3)), axis=None)
        q: np.ndarray = fastact.log_softmax(np.ones((2, 3)), axis=1)
    """))
    # --strict: the package's names must be explicit exports (its stub).
    proc = run_mypy(["mypy", "--strict", "--no-incremental", "--config-file", os.devnull,
                     "user.py"],
                    cwd=tmp_path)
    # Exactly one error: the str passed where an int belongs.
    assert proc.stdout.count("error:") == 1, proc.stdout + proc.stderr
    assert 'user.py:9: error: Argument 1 to "set_num_threads" has incompatible type "str"' \
        in proc.stdout, proc.stdout
