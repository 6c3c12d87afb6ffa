"""`python -m fastact info`: version, build settings and run-time settings."""
import importlib.util
import os
import platform
import sys
from importlib import metadata

import numpy as np

import fastact
from fastact import kernels

ENV_VARS = ("FASTACT_ISA", "FASTACT_NUM_THREADS", "OMP_NUM_THREADS")
PEERS = ("torch", "scipy", "numexpr", "threadpoolctl", "matplotlib")


def _compiler(module_name):
    """The compiler that built a module, from the `GCC: (...)` / `clang version`
    note compilers leave in the binary's .comment section; None if not found."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin:
        return None
    try:
        with open(spec.origin, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for marker in (b"GCC: (", b"clang version "):
        i = data.find(marker)
        if i >= 0:
            end = data.find(b"\0", i)
            return data[i:end if end > 0 else i + 80].decode("ascii", "replace")
    return None


def built_tiers():
    """Tiers whose kernel module exists in this installation (whether or not
    this CPU can run them)."""
    return [t for t in kernels.TIERS
            if importlib.util.find_spec("fastact._isa_" + t) is not None]


def gather():
    cfg = fastact.config()
    return {
        "version": fastact.__version__,
        "location": os.path.dirname(fastact.__file__),
        "build": {
            "openmp": cfg["openmp"],
            "tiers_built": built_tiers(),
            "compiler": _compiler("fastact._ufuncs"),
        },
        "runtime": {
            "isa": cfg["isa"],
            "isas_supported": cfg["isas"],
            "num_threads": cfg["num_threads"],
            "subnormal_guards": kernels.subnormal_guards(),
            "env": {k: os.environ.get(k) for k in ENV_VARS},
            "cpu_count": os.cpu_count(),
        },
        "platform": {
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "system": platform.system(),
            "numpy": np.__version__,
        },
        "peers": {name: _version(name) for name in PEERS},
    }


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def run(args=None):
    info = gather()
    b, r, p = info["build"], info["runtime"], info["platform"]
    print(f"fastact {info['version']}  ({info['location']})")
    print()
    print("build")
    print(f"  OpenMP               {'yes' if b['openmp'] else 'no (single-threaded build)'}")
    print(f"  tiers built          {', '.join(b['tiers_built'])}")
    print(f"  compiler             {b['compiler'] or 'unknown'}")
    print()
    print("run time")
    print(f"  tier in use          {r['isa']}")
    print(f"  tiers supported      {', '.join(r['isas_supported'])}  (this CPU and this build)")
    print(f"  threads              {r['num_threads']}  (of {r['cpu_count']} CPUs)")
    print(f"  subnormal guards     "
          f"{'yes' if r['subnormal_guards'] else 'no  (this CPU multiplies subnormals without an assist)'}")
    for k, v in r["env"].items():
        print(f"  {k:20s} {v if v is not None else '(not set)'}")
    print()
    print("platform")
    print(f"  Python               {p['python']} ({p['implementation']}, {p['system']} {p['machine']})")
    print(f"  numpy                {p['numpy']}")
    for name, v in info["peers"].items():
        print(f"  {name:20s} {v or 'not installed'}")
    return 0
