# Stub for the compiled module fastact._isa_avx2: the kernels of _kernels.pxi
# built for the avx2 tier (see _isa_tier.pxi).
from typing import Any

#: PyCapsule named "fastact.fa_table" holding a `fa_table *` (_table.pxd).
table: Any

__test__: dict[str, str]   # Cython's doctest table, empty
