# The body of every `_isa_<tier>` module: the kernels of `_kernels.pxi`
# compiled with that tier's flags (see setup.py), published as one table.
from cpython.pycapsule cimport PyCapsule_New
from fastact._table cimport *

include "_kernels.pxi"

cdef fa_table TABLE
fill_table(&TABLE)

#: PyCapsule named "fastact.fa_table" holding a `fa_table *`.
table = PyCapsule_New(&TABLE, "fastact.fa_table", NULL)
