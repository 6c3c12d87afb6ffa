"""The wheel `pip wheel .` builds holds what users of the C API need.

Slow (it compiles every extension, a minute or two), so it is one test,
marked `slow`: left out of the default run, run once by .ci/run. It
builds from a copy of the source tree: the checkout above tests/, or the one
FASTACT_SOURCE_DIR names (CI runs the tests from a copy of tests/ alone).
The build environment is this one (--no-build-isolation: setuptools, Cython
and numpy from the [test] extra); the wheel's contents do not depend on it.
"""
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fastact import _capi


def source_dir():
    candidates = []
    if os.environ.get("FASTACT_SOURCE_DIR"):
        candidates.append(Path(os.environ["FASTACT_SOURCE_DIR"]))
    candidates.append(Path(__file__).resolve().parents[1])
    for path in candidates:
        if (path / "pyproject.toml").is_file() and (path / "src" / "fastact").is_dir():
            return path
    pytest.fail(f"fastact's source tree not found (looked in {', '.join(map(str, candidates))}); "
                "run the tests from a checkout or set FASTACT_SOURCE_DIR")


def copy_source(src, dst):
    """The tracked kind of files only: no build products of an in-place build."""
    ignore = shutil.ignore_patterns("build", "dist", "*.egg-info", "*.so", "*.pyd", "*.c",
                                    "*.html", "include", "__pycache__", ".*", "venv*")
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)
    shutil.copytree(src / "src", dst / "src", ignore=ignore)


@pytest.mark.slow
def test_wheel_holds_the_pxd_files_the_header_and_the_compiled_modules(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    copy_source(source_dir(), project)
    dist = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-w", str(dist)],
        cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    (wheel,) = dist.glob("fastact-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        pxd = zf.read("fastact/kernels.pxd").decode()
        header = zf.read("fastact/include/fastact.h").decode()

    assert {"fastact/kernels.pxd", "fastact/_table.pxd", "fastact/include/fastact.h",
            "fastact/__init__.py", "fastact/_capi.py", "fastact/reference.py"} <= names
    # Every .pxd of the source, so that any cimport chain of kernels.pxd resolves.
    for path in (project / "src" / "fastact").glob("*.pxd"):
        assert f"fastact/{path.name}" in names, path.name
    tiers = ["baseline", "avx2", "avx512"] if platform.machine().lower() in (
        "x86_64", "amd64") else ["baseline"]
    for module in ["kernels", "_ufuncs"] + [f"_isa_{t}" for t in tiers]:
        assert any(n.startswith(f"fastact/{module}.") and n.endswith((".so", ".pyd"))
                   for n in names), f"compiled fastact.{module} missing from the wheel"
    assert not [n for n in names if n.endswith(".c")], "generated C sources in the wheel"
    # The header is generated from the pxd it ships with.
    decls = _capi.declarations(pxd)
    assert len(decls) >= 18
    assert header == _capi.render_header(decls)
