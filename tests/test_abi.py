"""fastact's C API is an ABI: compiled code depends on its names and signatures.

`c_api_abi.txt` beside this file records every kernel fastact has shipped,
with its signature as Cython writes it (the name of its capsule in
`fastact.kernels.__pyx_capi__`, which Cython's cimport and fastact.h's
import_fastact() check). A recorded line may never change or disappear; a
new kernel must be recorded, so that it is guarded from then on. The
declarations in the shipped kernels.pxd and fastact.h must agree with what
the module exports.
"""
import os
import re

import pytest

import fastact
from fastact import _capi, _catalog

RECORD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c_api_abi.txt")
PACKAGE = os.path.dirname(os.path.abspath(fastact.__file__))


def recorded_kernels():
    kernels = {}
    with open(RECORD, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, signature = line.split(None, 1)
            assert name not in kernels, f"{name} is recorded twice in {RECORD}"
            kernels[name] = signature
    return kernels


def shipped_pxd_declarations():
    with open(os.path.join(PACKAGE, "kernels.pxd"), encoding="utf-8") as f:
        return _capi.declarations(f.read())


def test_record_covers_the_seed_kernels():
    # Guards the guard: an empty or unreadable record would pass everything.
    recorded = recorded_kernels()
    for name in ("sigmoid", "relu", "leaky_relu"):
        for variant in ("", "_grad", "_backward"):
            for dtype in ("f32", "f64"):
                assert f"fa_{name}{variant}_{dtype}" in recorded


def test_recorded_kernels_are_still_exported_with_the_same_signature():
    exported = _capi.exported_kernels()
    broken = []
    for name, signature in recorded_kernels().items():
        if name not in exported:
            broken.append(f"{name}: removed (was '{signature}')")
        elif exported[name] != signature:
            broken.append(f"{name}: signature changed from '{signature}' to '{exported[name]}'")
    assert not broken, ("the C API broke its ABI; compiled users of these kernels would "
                        "fail to import or crash:\n  " + "\n  ".join(broken))


def test_every_exported_kernel_is_recorded():
    recorded = recorded_kernels()
    new = {name: sig for name, sig in _capi.exported_kernels().items() if name not in recorded}
    lines = "\n".join(f"{name:<31s} {sig}" for name, sig in sorted(new.items()))
    assert not new, (f"kernels not yet recorded in {RECORD}; once they are released their "
                     f"signatures are fixed. Add these lines:\n{lines}")


def test_every_catalogued_function_has_a_float32_and_a_float64_kernel():
    exported = _capi.exported_kernels()
    missing = [f"fa_{spec.name}_{dtype}" for spec in _catalog.SPECS for dtype in ("f32", "f64")
               if f"fa_{spec.name}_{dtype}" not in exported]
    assert not missing, f"functions of the Python API without a C kernel: {missing}"


# A kernel's signature follows from its catalogue entry: one or two input
# arrays (backward: grad_out and x or y), the output, the length, then one
# scalar per parameter.
_SHAPES = {
    (1, 0): "void ({t} const *, {t} *, Py_ssize_t)",
    (2, 0): "void ({t} const *, {t} const *, {t} *, Py_ssize_t)",
    (1, 1): "void ({t} const *, {t} *, Py_ssize_t, {t})",
    (2, 1): "void ({t} const *, {t} const *, {t} *, Py_ssize_t, {t})",
    (1, 2): "void ({t} const *, {t} *, Py_ssize_t, {t}, {t})",
    (2, 2): "void ({t} const *, {t} const *, {t} *, Py_ssize_t, {t}, {t})",
}


@pytest.mark.parametrize("spec", _catalog.SPECS, ids=lambda s: s.name)
def test_each_kernel_signature_follows_its_catalogue_entry(spec):
    exported = _capi.exported_kernels()
    shape = _SHAPES[(len(spec.inputs), len(spec.params))]
    for suffix, t in (("f32", "float"), ("f64", "double")):
        assert exported[f"fa_{spec.name}_{suffix}"] == shape.format(t=t)


def test_the_softmax_trio_has_row_kernels():
    exported = _capi.exported_kernels()
    for name, arrays in (("softmax", 1), ("log_softmax", 1), ("softmax_backward", 2)):
        for suffix, t in (("f32", "float"), ("f64", "double")):
            inputs = ", ".join([f"{t} const *"] * arrays)
            assert exported[f"fa_{name}_{suffix}"] == \
                f"void ({inputs}, {t} *, Py_ssize_t, Py_ssize_t)"


def test_exported_names_are_plain_c_names_without_cython_mangling():
    for name in _capi.exported_kernels():
        assert re.fullmatch(r"fa_[a-z][a-z0-9_]*_(f32|f64|f16|bf16)", name), (
            f"{name}: kernels.pxd is the public C API; only fa_<name>_<f32|f64|f16|bf16> "
            "functions belong there")


# The buffers' element type of each dtype suffix; float16 and bfloat16 kernels
# take their bits as uint16_t and their parameters (if any) as float.
BUFFER_TYPE = {"f32": "float", "f64": "double", "f16": "uint16_t", "bf16": "uint16_t"}


def test_each_kernel_takes_only_its_own_float_type():
    for name, signature in _capi.exported_kernels().items():
        own = BUFFER_TYPE[name.rsplit("_", 1)[1]]
        pointers = re.findall(r"(\w+) (?:const )?\*", signature)
        assert pointers and set(pointers) == {own}, (name, signature)
        scalars = set(re.findall(r"\b(float|double)\b(?! (?:const )?\*)", signature))
        assert scalars <= ({"double"} if own == "double" else {"float"}), (name, signature)


def test_kernels_take_a_py_ssize_t_length_and_return_void():
    for name, signature in _capi.exported_kernels().items():
        assert signature.startswith("void ("), (name, signature)
        assert "Py_ssize_t" in signature, (name, signature)


def test_shipped_pxd_declares_exactly_the_exported_kernels_with_their_signatures():
    declared = {d["name"]: d["signature"] for d in shipped_pxd_declarations()}
    assert declared == _capi.exported_kernels()


def test_shipped_header_is_the_one_generated_from_the_shipped_pxd():
    path = os.path.join(fastact.get_include(), "fastact.h")
    with open(path, encoding="utf-8") as f:
        header = f.read()
    assert header == _capi.render_header(shipped_pxd_declarations())


def test_shipped_header_checks_every_kernel_against_its_recorded_signature():
    with open(os.path.join(fastact.get_include(), "fastact.h"), encoding="utf-8") as f:
        header = f.read()
    for name, signature in recorded_kernels().items():
        assert f'{{"{name}", "{signature}", ' in header, name


@pytest.mark.parametrize("param, words, stars, pname", [
    ("const float *x", ["const", "float"], "*", "x"),
    ("float* y", ["float"], "*", "y"),
    ("Py_ssize_t n", ["Py_ssize_t"], "", "n"),
    ("double alpha", ["double"], "", "alpha"),
    ("const double **rows", ["const", "double"], "**", "rows"),
])
def test_header_generator_parses_parameters(param, words, stars, pname):
    assert _capi._split_param(param) == (words, stars, pname)


@pytest.mark.parametrize("param", ["float", "float *", "float x[]", "float *x = 0"])
def test_header_generator_rejects_what_it_cannot_parse(param):
    with pytest.raises(ValueError, match="cannot parse parameter"):
        _capi._split_param(param)


def test_header_generator_reads_declarations_split_over_lines():
    pxd = ("# a comment: cdef void fa_fake_f32(float x) noexcept nogil\n"
           "cdef void fa_softmax_f32(const float *x, float *y,\n"
           "                         Py_ssize_t rows, Py_ssize_t cols) noexcept nogil\n")
    (decl,) = _capi.declarations(pxd)
    assert decl["name"] == "fa_softmax_f32"
    assert decl["signature"] == "void (float const *, float *, Py_ssize_t, Py_ssize_t)"
    assert decl["params"] == "const float *x, float *y, Py_ssize_t rows, Py_ssize_t cols"
