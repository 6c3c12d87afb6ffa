"""fastact's kernels used from C, Cython, numba, ctypes and cffi.

The two example extensions in examples/ are built here, in a temporary
directory and a subprocess, against the fastact this test session imports
(the installed package in CI), so a .pxd or header missing from the package
fails a test. Their results, and those of the ctypes, cffi and numba recipes,
are compared with fastact.reference and with fastact's own ufuncs.
"""
import ctypes
import doctest
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import fastact
from fastact import _capi, _catalog, kernels, reference

FASTACT_ROOT = str(Path(fastact.__file__).resolve().parents[1])
DTYPES = [np.float32, np.float64]


def examples_dir():
    """examples/ beside tests/ (a checkout, or CI's copy), else in the source
    tree named by FASTACT_SOURCE_DIR."""
    candidates = [Path(__file__).resolve().parents[1] / "examples"]
    if os.environ.get("FASTACT_SOURCE_DIR"):
        candidates.insert(0, Path(os.environ["FASTACT_SOURCE_DIR"]) / "examples")
    for path in candidates:
        if (path / "c").is_dir() and (path / "cython").is_dir():
            return path
    pytest.fail(f"examples/ not found (looked in {', '.join(map(str, candidates))}); "
                "run the tests from a checkout or set FASTACT_SOURCE_DIR")


def build_inplace(source, workdir, cflags=""):
    """Copy `source` to `workdir` and run its setup.py build_ext --inplace in
    a subprocess that imports the same fastact as this process."""
    shutil.copytree(source, workdir)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (FASTACT_ROOT, env.get("PYTHONPATH")) if p)
    if cflags:
        env["CFLAGS"] = (env.get("CFLAGS", "") + " " + cflags).strip()
    proc = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"],
                          cwd=workdir, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"build of {source} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return workdir


def load_extension(workdir, name):
    for path in Path(workdir).iterdir():
        if path.name.startswith(name + ".") and path.name.endswith(
                tuple(importlib.machinery.EXTENSION_SUFFIXES)):
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise AssertionError(f"no built {name} in {workdir}: {os.listdir(workdir)}")


def strict_cflags():
    cc = sysconfig.get_config_var("CC") or ""
    return "-Wall -Werror" if ("gcc" in cc or "clang" in cc) else ""


@pytest.fixture(scope="module")
def c_demo(tmp_path_factory):
    work = build_inplace(examples_dir() / "c", tmp_path_factory.mktemp("c") / "c",
                         cflags=strict_cflags())
    return load_extension(work, "fastact_c_demo")


@pytest.fixture(scope="module")
def cython_demo(tmp_path_factory):
    work = build_inplace(examples_dir() / "cython", tmp_path_factory.mktemp("cy") / "cython")
    return load_extension(work, "fastact_cython_demo")


@pytest.fixture(params=["c", "cython"])
def demo(request):
    return request.getfixturevalue(request.param + "_demo")


def inputs(dtype, n=1001):
    x = np.linspace(-20, 20, n).astype(dtype)
    x[:5] = [0.0, -0.0, np.inf, -np.inf, np.nan]
    return x


def assert_matches_reference(got, want, dtype):
    """Close to the numpy reference: a check that the call computed the right
    function, not an accuracy test. Exactness is checked against fastact's
    ufuncs, accuracy against the oracles in test_accuracy.py and the family
    tests; the reference itself is off by more than a few ulp in some tails
    (gelu's through scipy's float32 ndtr), and results below the smallest
    normal number may be flushed."""
    np.testing.assert_allclose(got, want, rtol=np.sqrt(np.finfo(dtype).eps),
                               atol=np.finfo(dtype).smallest_normal)


# --- the example extensions -------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_example_sigmoid_matches_reference_and_ufunc(demo, dtype):
    x = inputs(dtype)
    out = np.full_like(x, 7)
    assert demo.sigmoid(x, out) is None
    assert_matches_reference(out, reference.sigmoid(x), dtype)
    np.testing.assert_array_equal(out, fastact.sigmoid(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_example_sigmoid_works_in_place(demo, dtype):
    x = inputs(dtype)
    want = fastact.sigmoid(x)
    demo.sigmoid(x, x)
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [0.01, 0.2, -1.5])
def test_example_leaky_relu_matches_reference(demo, dtype, alpha):
    x = inputs(dtype)
    out = np.empty_like(x)
    demo.leaky_relu(x, out, alpha)
    np.testing.assert_array_equal(out, reference.leaky_relu(x, dtype(alpha)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_example_sigmoid_backward_matches_reference(demo, dtype):
    rng = np.random.default_rng(4)
    y = reference.sigmoid(inputs(dtype))
    grad_out = rng.standard_normal(y.size).astype(dtype)
    grad_in = np.empty_like(y)
    demo.sigmoid_backward(grad_out, y, grad_in)
    assert_matches_reference(grad_in, reference.sigmoid_backward(grad_out, y), dtype)
    np.testing.assert_array_equal(grad_in, fastact.sigmoid_backward(grad_out, y))


def test_example_handles_empty_arrays(demo):
    x = np.empty(0, np.float32)
    demo.sigmoid(x, np.empty_like(x))


def test_c_example_rejects_a_non_float_buffer(c_demo):
    x = np.arange(4, dtype=np.int32)
    with pytest.raises(TypeError, match="float32 or float64"):
        c_demo.sigmoid(x, np.empty(4, np.float32))


def test_import_fastact_reports_a_missing_or_changed_kernel_as_importerror(tmp_path):
    """A C extension built against another fastact gets ImportError from
    import_fastact(), naming the kernel, instead of calling a wrong function."""
    decls = _capi.declarations(Path(kernels.__file__).with_name("kernels.pxd").read_text())
    changed = [dict(d) for d in decls]
    changed[0]["signature"] = changed[0]["signature"].replace("Py_ssize_t", "int")
    missing = decls + [dict(decls[0], name="fa_not_yet_written_f32")]
    src = tmp_path / "src"
    src.mkdir()
    module_c = """
        #include "fastact.h"
        static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "%(name)s", NULL, -1, NULL};
        PyMODINIT_FUNC PyInit_%(name)s(void) {
            if (import_fastact() < 0) return NULL;
            return PyModule_Create(&def);
        }
    """
    names = {"abi_changed": changed, "abi_missing": missing}
    for name, ds in names.items():
        (src / name).mkdir()
        (src / name / "fastact.h").write_text(_capi.render_header(ds))
        (src / f"{name}.c").write_text(module_c % {"name": name})
    (src / "setup.py").write_text(
        "from setuptools import Extension, setup\n"
        "setup(name='abi_probe', ext_modules=[\n"
        + "".join(f"    Extension('{n}', ['{n}.c'], include_dirs=['{n}']),\n" for n in names)
        + "])\n")
    work = build_inplace(src, tmp_path / "build")
    with pytest.raises(ImportError, match=f"{decls[0]['name']} has signature '.*Py_ssize_t.*', "
                                          "this extension expects '.*int.*'"):
        load_extension(work, "abi_changed")
    with pytest.raises(ImportError, match="has no C function fa_not_yet_written_f32"):
        load_extension(work, "abi_missing")


# --- ctypes, cffi, numba ------------------------------------------------------

CTYPES_SCALARS = {"float": ctypes.c_float, "double": ctypes.c_double, "Py_ssize_t": ctypes.c_ssize_t}


def argument_types(signature):
    """'void (float const *, float *, Py_ssize_t)' -> ['*', '*', 'Py_ssize_t']"""
    args = signature[signature.index("(") + 1:signature.rindex(")")].split(", ")
    return ["*" if a.endswith("*") else a for a in args]


def elementwise_kernels():
    """(spec, dtype, name, argument types) for every catalogued function whose
    exported kernel has the elementwise shape (inputs..., out, n, params...)."""
    exported = _capi.exported_kernels()
    cases = []
    for spec in _catalog.SPECS:
        for dtype, suffix, real in ((np.float32, "f32", "float"), (np.float64, "f64", "double")):
            name = f"fa_{spec.name}_{suffix}"
            if name not in exported:
                continue  # test_abi.py requires it; nothing to call here
            types = argument_types(exported[name])
            if types == ["*"] * (len(spec.inputs) + 1) + ["Py_ssize_t"] + [real] * len(spec.params):
                cases.append(pytest.param(spec, dtype, name, types, id=f"{spec.name}_{suffix}"))
    return cases


def test_the_seed_functions_have_elementwise_kernels():
    ids = {case.id for case in elementwise_kernels()}
    for name in ("sigmoid", "relu", "leaky_relu"):
        for variant in ("", "_grad", "_backward"):
            assert {f"{name}{variant}_f32", f"{name}{variant}_f64"} <= ids


def call_arguments(spec, dtype, n=1001):
    rng = np.random.default_rng(1)
    arrays = []
    for name in spec.inputs:
        if name == "y":
            arrays.append(reference.sigmoid(inputs(dtype, n)) if spec.activation == "sigmoid"
                          else inputs(dtype, n))
        elif name == "x":
            arrays.append(inputs(dtype, n))
        else:
            arrays.append(rng.standard_normal(n).astype(dtype))
    return arrays, [0.3 if p == "alpha" else v for p, v in spec.params.items()]


def ufunc_result(spec, arrays, params):
    return getattr(fastact, spec.name)(*arrays, *params)


@pytest.mark.parametrize("spec, dtype, name, types", elementwise_kernels())
def test_ctypes_call_matches_the_ufunc_and_the_reference(spec, dtype, name, types):
    arrays, params = call_arguments(spec, dtype)
    argtypes = [ctypes.c_void_p if t == "*" else CTYPES_SCALARS[t] for t in types]
    kernel = ctypes.CFUNCTYPE(None, *argtypes)(fastact.kernel_address(name))
    out = np.empty_like(arrays[0])
    kernel(*(a.ctypes.data for a in arrays), out.ctypes.data, out.size, *params)
    np.testing.assert_array_equal(out, ufunc_result(spec, arrays, params))
    want = getattr(reference, spec.name)(*arrays, *[dtype(p) for p in params])
    if spec.ulp == 0:
        np.testing.assert_array_equal(out, want)
    else:
        assert_matches_reference(out, want, dtype)


def test_kernel_address_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(fastact.kernel_address, "kernel_address", globs={}):
        runner.run(test)
    assert runner.tries >= 5 and runner.failures == 0


def test_get_include_holds_the_header():
    assert os.path.isfile(os.path.join(fastact.get_include(), "fastact.h"))


def test_kernel_address_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="no C kernel 'fa_nonsense_f32'.*fa_sigmoid_f32"):
        fastact.kernel_address("fa_nonsense_f32")


def test_kernel_address_follows_the_isa_tier_in_use():
    """The exported functions dispatch at call time: one address, every tier."""
    proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t)
    kernel = proto(fastact.kernel_address("fa_sigmoid_f32"))
    x = inputs(np.float32)
    before = kernels.current_isa()
    try:
        for tier in kernels.available_isas():
            kernels._set_isa(tier)
            out = np.empty_like(x)
            kernel(x.ctypes.data, out.ctypes.data, x.size)
            np.testing.assert_array_equal(out, fastact.sigmoid(x))
    finally:
        kernels._set_isa(before)


def test_cffi_recipe():
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    leaky = ffi.cast("void (*)(const double *, double *, intptr_t, double)",
                     fastact.kernel_address("fa_leaky_relu_f64"))
    x = inputs(np.float64)
    out = np.empty_like(x)
    leaky(ffi.from_buffer("double[]", x), ffi.from_buffer("double[]", out), x.size, 0.2)
    np.testing.assert_array_equal(out, reference.leaky_relu(x, 0.2))


def test_numba_finds_every_kernel_by_name():
    extending = pytest.importorskip("numba.extending")
    for name in _capi.exported_kernels():
        assert extending.get_cython_function_address("fastact.kernels", name) == \
            fastact.kernel_address(name)


def load_numba_example():
    pytest.importorskip("numba")
    path = examples_dir() / "numba_sigmoid.py"
    spec = importlib.util.spec_from_file_location("numba_sigmoid", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numba_example_sigmoid_rows_matches_reference():
    example = load_numba_example()
    x = inputs(np.float32, 4 * 257).reshape(4, 257)
    out = example.sigmoid_rows(x, np.empty_like(x))
    assert_matches_reference(out, reference.sigmoid(x), np.float32)
    np.testing.assert_array_equal(out, fastact.sigmoid(x))


def test_numba_example_leaky_relu_matches_reference():
    example = load_numba_example()
    x = inputs(np.float64)
    np.testing.assert_array_equal(example.leaky_relu(x, 0.2), reference.leaky_relu(x, 0.2))
