# fastact kernels compiled for the avx512 tier.
include "_isa_tier.pxi"
