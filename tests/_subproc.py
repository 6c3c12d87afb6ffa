"""Run a Python snippet in a fresh interpreter that imports this same fastact."""
import os
import subprocess
import sys

import fastact

SRC = os.path.dirname(os.path.dirname(os.path.abspath(fastact.__file__)))


def run_python(args, env=None, timeout=120):
    """`python <args>` with fastact importable as in this process; returns
    the CompletedProcess (text mode, output captured)."""
    full_env = dict(os.environ)
    for var in ("FASTACT_ISA", "FASTACT_NUM_THREADS", "OMP_NUM_THREADS"):
        full_env.pop(var, None)
    full_env["PYTHONPATH"] = SRC + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, *args], env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def run_code(code, env=None, timeout=120):
    return run_python(["-c", code], env=env, timeout=timeout)
