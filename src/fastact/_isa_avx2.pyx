# fastact kernels compiled for the avx2 tier.
include "_isa_tier.pxi"
