# fastact kernels compiled for the baseline tier.
include "_isa_tier.pxi"
