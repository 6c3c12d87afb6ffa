# The body of every `_isa_<tier>` module: the kernels of `_kernels.pxi`
# compiled with that tier's flags (see setup.py), published as one table.
from cpython.pycapsule cimport PyCapsule_New
from fastact._table cimport *

include "_kernels.pxi"

cdef fa_table TABLE
fill_table(&TABLE)

#: PyCapsule named "fastact.fa_table" holding a `fa_table *`.
table = PyCapsule_New(&TABLE, "fastact.fa_table", NULL)


def _set_subnormal_guards(bint on):
    """Whether this tier's marked loops of Spec.normal_form_without_assists
    guard the blocks after subnormals (kernels.pyx sets it from the CPU;
    tests set both). Not thread-safe against calls running at the time."""
    global subnormal_guards
    subnormal_guards = on


def _narrow_cast(str narrow_type, src, dst):
    """For the tests: this tier's conversions, float16 or bfloat16 bits
    (uint16) <-> float32, from the contiguous array src into dst."""
    cdef const uint16_t[::1] h16
    cdef uint16_t[::1] o16
    cdef const float[::1] f32
    cdef float[::1] o32
    cdef Py_ssize_t n = len(src)
    cdef bint half = narrow_type == "float16"
    if len(dst) != n:
        raise ValueError("src and dst differ in length")
    if src.dtype == "uint16":
        h16 = src
        o32 = dst
        with nogil:
            if half:
                narrow_to_f32(<const fa_f16 *>&h16[0], &o32[0], n)
            else:
                narrow_to_f32(<const fa_bf16 *>&h16[0], &o32[0], n)
    else:
        f32 = src
        o16 = dst
        with nogil:
            if half:
                f32_to_narrow(&f32[0], <fa_f16 *>&o16[0], n)
            else:
                f32_to_narrow(&f32[0], <fa_bf16 *>&o16[0], n)
