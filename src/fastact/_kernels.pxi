# fastact's kernels: the one source of every activation's math.
#
# The math is split by kind into the files included at the end; this file is
# `include`d by each `_isa_<tier>.pyx` and compiled once per ISA
# tier (baseline, AVX2+FMA, AVX-512) with `-O3 -fno-trapping-math`; gcc turns
# the plain loops below into SIMD code for the tier's vector width. For that
# every per-element function is branch-free: selections are written as
# `a if cond else b` on values that are always computed, so gcc if-converts
# them, and there is no call into libm.
#
# Speed. On AVX-512 a kernel costs about one cycle per vector instruction in
# its loop body (the FMA pipes, two 256-bit halves per 512-bit op, are the
# bottleneck), so the math is written to need few instructions: clamps and
# sign tests on the bit patterns as integers (one `min` both clamps -|x| and
# sends NaN out of the way), 2^k built from exponent bits with no multiply,
# exact error terms by Fast2Sum rather than by longer algorithms, no divide
# but sigmoid's one. Float64 has no 64-bit integer compare on SSE2 (the x86-64
# baseline): there, FA_I64_CMP is 0 and the same tests are quiet float
# compares on NaN-free values, so the baseline loops vectorize too. The
# ufunc layer starts the bulk of each run on a 64-byte boundary (numpy's
# buffers are usually 16 bytes off), worth up to 1.5x to the memory-bound
# kernels on AVX-512.
#
# exp (exp_scaled: sigmoid's). e^a (a <= 0) is reduced as a = k ln2 + r with
# |r| <= ln2/2, k rounded by adding 1.5 * 2^(mantissa bits) + bias, so that
# k + bias also lands in the low bits of the sum: shifted up, those bits are
# 2^k's pattern (read back as an integer: no float->int conversion that could
# trap on NaN). k ln2_hi is exact (Cody-Waite), r = (a - k ln2_hi) -
# k ln2_lo is rounded once. e^r - 1 = r + r^2 q(r), q near-minimax from
# tools/fit_exp.py: degree 4 for float32 (relative error 1.0e-8, 0.17 ulp),
# 9 for float64 (1.7e-17, 0.15 ulp). e^a = S (1 + small) with S = 2^k;
# below a ~ -87.68 / -708.75 (result under the smallest normal) k's
# exponent field is 0 and S = +0, which flushes those results to +0. (The
# hi + lo exps, exp_nonpos_f32/f64 and exp_neg_abs, keep correct
# subnormals, for the kernels that want them.)
#
# sigmoid. t = e^-|x| as t + t_lo exactly (Fast2Sum of S and S*small: S*small
# is exact, S being a power of 2); 1/(1+t) above 0 and t/(1+t) below, so
# nothing overflows and the lower tail keeps its precision; the quotient is
# corrected to first order for what t_lo and the rounding of 1 + t leave out,
# with 1/(1+t) taken from a line (6% off, on a correction of ~1 ulp). What
# remains: the division's rounding, the rounding of r and of small, the
# polynomial: 1.52 ulp at most for float32 (every input, every tier), 1.46
# measured for float64. Plain t/(1+t) would be 2.3 ulp; correcting only
# 1 + t, 1.99. sigmoid_grad = s (1 - s) with s = sigmoid(-|x|) carried as a
# double word (the division's remainder by two_prod too) and s (1 - s)
# formed with one rounding: 1.06 ulp. sigmoid_backward: y - y*y by one FMA
# (correctly rounded), then one product: 1.48 ulp; without FMA, Dekker's
# product keeps it so (plain, 2.06). two_prod is one FMA where the tier has
# it (FA_FMA), else Dekker's product with Veltkamp's split.
#
# Floating-point flags. Only quiet operations ever see a NaN: NaN lanes are
# replaced with `x == x` (a quiet compare) or moved by the integer clamp
# before any ordered compare, min/max or arithmetic that could raise
# "invalid", and restored at the end. Sign tests of the ReLU family read the
# sign bit as an integer. Products that could be inf * 0 use mul_quiet or are
# guarded (`one if keep else x`) where the lane is thrown away, or are
# proved impossible for the whole loop (leaky_relu with |alpha| <= 1). So no
# lane leaves a flag behind that its result does not justify (sigmoid_backward
# keeps every lane: its grad_out * y(1-y) raises "invalid" only for inf * 0,
# whose result is NaN).
#
# Constants are typed locals (`cdef real one = 1`), never bare literals in
# arithmetic or compares: Cython writes a literal as a C double (1.0), which
# would silently turn float32 math into float64 math and halve the speed.
#
# Accuracy: each function's bound is in its catalogue entry (fastact/_catalog.py:
# ulp, abs_eps), stated in its docstring and measured against high-precision
# oracles by `python -m fastact check` at every tier; the sections say how
# each kernel meets it. The loops vectorize at every tier:
# `python tools/check_vectorization.py`.

# The parts, by kind of math. Cython resolves calls between them whatever the
# order; this is the order in which they build on each other.
include "_kernels_bits.pxi"      # bit casts, NaN and sign tests, quiet products
include "_kernels_exp.pxi"       # exp, expm1, log1p; two_sum, two_prod
include "_kernels_sigmoid.pxi"   # the logistic family
include "_kernels_relu.pxi"      # piecewise linear: the ReLU and hard families
include "_kernels_gelu.pxi"      # the Gaussian error linear units
include "_kernels_smooth.pxi"    # the other smooth ones: hyperbolic, exponential
include "_kernels_tanh_table.pxi" # float32 tanh by table at the AVX-512 tier
include "_kernels_softmax.pxi"   # softmax rows
include "_kernels_narrow.pxi"    # float16 and bfloat16 <-> float32
include "_kernels_loops.pxi"     # generated: contiguous loops, fill_table
