# Bit-level helpers shared by every kernel: bit casts, sign and NaN tests on
# the bit patterns (no floating-point compare, so no flag), quiet products,
# and the float type every kernel is written over. Part of _kernels.pxi.

from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t


from libc.math cimport fabs, fabsf, fma, fmaf, log1p


cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    /* Bit casts; memcpy is how C says it, and gcc turns it into nothing. */
    static inline int32_t fa_f32_bits(float x) { int32_t i; memcpy(&i, &x, 4); return i; }
    static inline float fa_bits_f32(int32_t i) { float x; memcpy(&x, &i, 4); return x; }
    static inline int64_t fa_f64_bits(double x) { int64_t i; memcpy(&i, &x, 8); return i; }
    static inline double fa_bits_f64(int64_t i) { double x; memcpy(&x, &i, 8); return x; }
    /* 64-bit integer compares: x86-64's baseline (SSE2) has none, and gcc
       leaves loops that need them scalar. */
    #if (defined(__x86_64__) || defined(_M_X64)) && !defined(__SSE4_2__) && !defined(__AVX__)
    #define FA_I64_CMP 0
    #else
    #define FA_I64_CMP 1
    #endif
    /* Integer min, max and select as single expressions: gcc folds these to
       MIN/MAX and bit operations at once. Written as `a if c else b` in
       Cython they become branches, and gcc may then thread the branches
       with a constant arm into separate paths, evaluate the math of every
       path and blend the results: the math then runs on the unclamped
       values (a subnormal, a product that underflows) in every lane. */
    static inline int32_t fa_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
    static inline int32_t fa_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
    static inline int64_t fa_min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
    /* unsigned: on float bits, positive values order below every negative
       one, and negative ones by magnitude (hard_sigmoid and silu clamp by
       that) */
    static inline uint32_t fa_min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
    static inline uint64_t fa_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
    static inline int64_t fa_max_i64(int64_t a, int64_t b) { return a > b ? a : b; }
    /* b where mask is all ones, a where it is 0 */
    static inline int32_t fa_pick_i32(int32_t mask, int32_t b, int32_t a) { return a ^ ((a ^ b) & mask); }
    /* b where c, else a, as a C conditional: gcc makes it one blend per
       vector (fa_pick_i32's xor form takes two). For values already
       computed, not for clamps (see above). A Cython `b if c else a` is a
       branch, and gcc may copy the code after it into both arms: silu's
       `(x if upper else a t) / d` became two divisions, one masked. */
    static inline int32_t fa_sel_i32(int c, int32_t b, int32_t a) { return c ? b : a; }
    static inline int64_t fa_sel_i64(int c, int64_t b, int64_t a) { return c ? b : a; }
    /* Does the tier have fused multiply-add (one rounding for a*b+c)? */
    #if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
    #define FA_FMA 1
    #else
    #define FA_FMA 0
    #endif
    /* Does the tier have AVX-512 (selects by mask registers)? */
    #if defined(__AVX512F__)
    #define FA_AVX512 1
    #else
    #define FA_AVX512 0
    #endif
    /* Does div6_fast (_kernels_relu.pxi) divide by 6 with div6's products
       rather than the divide? At AVX-512, where the divide bound
       hard_sigmoid_backward's float32 loop; at AVX2 the products, with the
       check of each block's range they need, ran 0.86x (float32) / 0.64x
       (float64) as fast as the divide. */
    #define FA_DIV6_BY_PRODUCTS FA_AVX512
    /* Whether the marked loops of Spec.normal_form_without_assists run
       their guarded form on the blocks after one that held a subnormal (1),
       or their normal form on every block (0), on a CPU whose products take
       subnormal factors without a microcode assist: set per process by
       kernels.pyx from the CPU (_set_subnormal_guards of each tier
       module). Either gives the same bits. */
    static int fa_subnormal_guards = 1;
    /* Quiet compares: false where an operand is NaN, with no "invalid"
       flag (an ordered < on NaN raises it); they vectorize at every tier. */
    static inline int fa_lt_quiet(double a, double b) { return __builtin_isless(a, b); }
    static inline int fa_le_quiet(double a, double b) { return __builtin_islessequal(a, b); }
    static inline int fa_ge_quiet(double a, double b) { return __builtin_isgreaterequal(a, b); }
    static inline int fa_lt_quiet_f32(float a, float b) { return __builtin_isless(a, b); }
    /* Is the caller's floating-point mode the default one (x86 MXCSR: round
       to nearest, no flush-to-zero or denormals-are-zero, exceptions
       masked)? The split loops take subnormals on their bits only there: in
       another mode a call computes in that mode (the normal forms, plain
       arithmetic), as the other kernels do. Elsewhere than x86 with gcc or
       clang: assumed. */
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    #include <xmmintrin.h>
    static inline int fa_default_fp_mode(void) { return (_mm_getcsr() & ~0x3Fu) == 0x1F80u; }
    #else
    static inline int fa_default_fp_mode(void) { return 1; }
    #endif
    /* A mark whose sign bit is set exactly where x is subnormal (not zero):
       with m the magnitude's bits and t = m - 1, (t - (smallest normal's
       bits - 1)) & ~t is negative exactly for 0 < m < smallest normal's
       bits (m = 0 gives t = -1, ~t = 0). Integer subtraction and logic only:
       no float compare, no flag, and the loops' OR of the marks vectorizes
       at every tier (SSE2 has 64-bit add and logic, not 64-bit compares). */
    static inline int32_t fa_subnormal_mark_f32(float x) {
        int32_t t = (fa_f32_bits(x) & INT32_MAX) - 1;
        return (t - 0x007fffff) & ~t; }
    static inline int64_t fa_subnormal_mark_f64(double x) {
        int64_t t = (fa_f64_bits(x) & INT64_MAX) - 1;
        return (t - 0x000fffffffffffffLL) & ~t; }
    /* A loop's record of the subnormals it read: NO_MARKS at the start,
       each input's key folded in (marks = fold_marks(marks, subnormal_key(x));
       with two inputs, their keys folded together first, so that the loop
       carries one fold per element), and marked(marks) tells whether a
       subnormal went in. Where the tier has a one-cycle signed integer min
       (32 bits from SSE4.1 and on ARM, 64 bits with AVX-512), the key is
       m + INT_MAX of the magnitude's bits m, wrapped around: zero maps to
       INT_MAX, a subnormal below INT_MIN + (smallest normal's bits - 1),
       every normal, inf and NaN from there up; the record is the least key.
       An and, an add and a min per input, where the sign-bit marks above
       take four or five (the marked loops of the memory-bound backward
       passes were bound by these integer operations at AVX-512). Elsewhere
       the key is fa_subnormal_mark and the fold an OR: AVX2's 64-bit min, a
       compare and a blend, made the loop-carried fold five cycles long
       (leaky_relu float64 ran 1.6x slower). */
    #if (defined(__x86_64__) || defined(_M_X64)) && !defined(__SSE4_1__) && !defined(__AVX__)
    #define FA_MARKS_BY_MIN_F32 0
    #else
    #define FA_MARKS_BY_MIN_F32 1
    #endif
    #if defined(__AVX512F__)
    #define FA_MARKS_BY_MIN_F64 1
    #else
    #define FA_MARKS_BY_MIN_F64 0
    #endif
    #if FA_MARKS_BY_MIN_F32
    #define FA_NO_MARKS_F32 INT32_MAX
    static inline int32_t fa_subnormal_key_f32(float x) {
        return (int32_t)(((uint32_t)fa_f32_bits(x) & 0x7fffffffu) + 0x7fffffffu); }
    static inline int32_t fa_fold_marks_f32(int32_t a, int32_t b) { return a < b ? a : b; }
    static inline int fa_marked_f32(int32_t marks) { return marks < INT32_MIN + 0x007fffff; }
    #else
    #define FA_NO_MARKS_F32 0
    static inline int32_t fa_subnormal_key_f32(float x) { return fa_subnormal_mark_f32(x); }
    static inline int32_t fa_fold_marks_f32(int32_t a, int32_t b) { return a | b; }
    static inline int fa_marked_f32(int32_t marks) { return marks < 0; }
    #endif
    #if FA_MARKS_BY_MIN_F64
    #define FA_NO_MARKS_F64 INT64_MAX
    static inline int64_t fa_subnormal_key_f64(double x) {
        return (int64_t)(((uint64_t)fa_f64_bits(x) & 0x7fffffffffffffffULL)
                         + 0x7fffffffffffffffULL); }
    static inline int64_t fa_fold_marks_f64(int64_t a, int64_t b) { return a < b ? a : b; }
    static inline int fa_marked_f64(int64_t marks) {
        return marks < INT64_MIN + 0x000fffffffffffffLL; }
    #else
    #define FA_NO_MARKS_F64 0
    static inline int64_t fa_subnormal_key_f64(double x) { return fa_subnormal_mark_f64(x); }
    static inline int64_t fa_fold_marks_f64(int64_t a, int64_t b) { return a | b; }
    static inline int fa_marked_f64(int64_t marks) { return marks < 0; }
    #endif
    /* Whether any of a[0], ..., a[n-1] is subnormal */
    static inline int fa_any_subnormal_f32(const float *a, Py_ssize_t n) {
        int32_t marks = FA_NO_MARKS_F32;
        for (Py_ssize_t i = 0; i < n; i++) marks = fa_fold_marks_f32(marks, fa_subnormal_key_f32(a[i]));
        return fa_marked_f32(marks); }
    static inline int fa_any_subnormal_f64(const double *a, Py_ssize_t n) {
        int64_t marks = FA_NO_MARKS_F64;
        for (Py_ssize_t i = 0; i < n; i++) marks = fa_fold_marks_f64(marks, fa_subnormal_key_f64(a[i]));
        return fa_marked_f64(marks); }
    /* Whether any of a[0], ..., a[n-1] is outside the range of a quotient
       by 6 in a normal form (div6_fast, _kernels_relu.pxi). Where that is
       div6's products (FA_DIV6_BY_PRODUCTS): 0 < |a| < 2^-125 (2^-1021),
       inf or NaN (an unsigned min of the magnitudes' bits less 1, zero
       wrapping to the top, and a max of them). Elsewhere, where it is the
       divide, right for every a: a subnormal, whose quotient takes a
       microcode assist. */
    static inline int fa_any_outside_div6_f32(const float *a, Py_ssize_t n) {
    #if FA_DIV6_BY_PRODUCTS
        uint32_t low = UINT32_MAX, high = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint32_t m = (uint32_t)fa_f32_bits(a[i]) & 0x7fffffffu;
            low = m - 1 < low ? m - 1 : low;
            high = m > high ? m : high; }
        return low < 0x00ffffffu || high >= 0x7f800000u;
    #else
        return fa_any_subnormal_f32(a, n);
    #endif
    }
    static inline int fa_any_outside_div6_f64(const double *a, Py_ssize_t n) {
    #if FA_DIV6_BY_PRODUCTS
        uint64_t low = UINT64_MAX, high = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t m = (uint64_t)fa_f64_bits(a[i]) & 0x7fffffffffffffffULL;
            low = m - 1 < low ? m - 1 : low;
            high = m > high ? m : high; }
        return low < 0x001fffffffffffffULL || high >= 0x7ff0000000000000ULL;
    #else
        return fa_any_subnormal_f64(a, n);
    #endif
    }
    """
    int32_t min_i32 "fa_min_i32"(int32_t a, int32_t b) noexcept nogil
    int32_t max_i32 "fa_max_i32"(int32_t a, int32_t b) noexcept nogil
    uint32_t min_u32 "fa_min_u32"(uint32_t a, uint32_t b) noexcept nogil
    uint64_t min_u64 "fa_min_u64"(uint64_t a, uint64_t b) noexcept nogil
    int64_t min_i64 "fa_min_i64"(int64_t a, int64_t b) noexcept nogil
    int64_t max_i64 "fa_max_i64"(int64_t a, int64_t b) noexcept nogil
    int32_t pick_i32 "fa_pick_i32"(int32_t mask, int32_t b, int32_t a) noexcept nogil
    int32_t sel_i32 "fa_sel_i32"(bint c, int32_t b, int32_t a) noexcept nogil
    int64_t sel_i64 "fa_sel_i64"(bint c, int64_t b, int64_t a) noexcept nogil
    int32_t f32_bits "fa_f32_bits"(float x) noexcept nogil
    float bits_f32 "fa_bits_f32"(int32_t i) noexcept nogil
    int64_t f64_bits "fa_f64_bits"(double x) noexcept nogil
    double bits_f64 "fa_bits_f64"(int64_t i) noexcept nogil
    const bint FA_I64_CMP
    const bint FA_FMA
    const bint FA_AVX512
    const bint DIV6_BY_PRODUCTS "FA_DIV6_BY_PRODUCTS"
    bint subnormal_guards "fa_subnormal_guards"
    bint lt_quiet "fa_lt_quiet"(double a, double b) noexcept nogil
    bint le_quiet "fa_le_quiet"(double a, double b) noexcept nogil
    bint ge_quiet "fa_ge_quiet"(double a, double b) noexcept nogil
    bint lt_quiet_f32 "fa_lt_quiet_f32"(float a, float b) noexcept nogil
    bint default_fp_mode "fa_default_fp_mode"() noexcept nogil
    int32_t subnormal_mark_f32 "fa_subnormal_mark_f32"(float x) noexcept nogil
    int64_t subnormal_mark_f64 "fa_subnormal_mark_f64"(double x) noexcept nogil
    const int32_t NO_MARKS_F32 "FA_NO_MARKS_F32"
    const int64_t NO_MARKS_F64 "FA_NO_MARKS_F64"
    int32_t subnormal_key_f32 "fa_subnormal_key_f32"(float x) noexcept nogil
    int64_t subnormal_key_f64 "fa_subnormal_key_f64"(double x) noexcept nogil
    int32_t fold_marks_f32 "fa_fold_marks_f32"(int32_t a, int32_t b) noexcept nogil
    int64_t fold_marks_f64 "fa_fold_marks_f64"(int64_t a, int64_t b) noexcept nogil
    bint marked_f32 "fa_marked_f32"(int32_t marks) noexcept nogil
    bint marked_f64 "fa_marked_f64"(int64_t marks) noexcept nogil
    bint any_subnormal_f32 "fa_any_subnormal_f32"(const float *a, Py_ssize_t n) noexcept nogil
    bint any_subnormal_f64 "fa_any_subnormal_f64"(const double *a, Py_ssize_t n) noexcept nogil
    bint any_outside_div6_f32 "fa_any_outside_div6_f32"(const float *a, Py_ssize_t n) noexcept nogil
    bint any_outside_div6_f64 "fa_any_outside_div6_f64"(const double *a, Py_ssize_t n) noexcept nogil


ctypedef fused real:
    float
    double


# ---------------------------------------------------------------------------
# Bit-level predicates: no floating-point compare, so no flag for NaN.


cdef inline bint is_tiny(real x) noexcept nogil:
    """0 < |x| < 2^-40 (float32) / 2^-300 (float64), on the bits: below
    those bounds a kernel's result is its limit at 0, or x times it, to the
    last bit ("Tiny arguments" in _kernels_exp.pxi). Without 64-bit integer
    compares (the baseline tier) float64 says False."""
    if real is float:
        return <uint32_t>((f32_bits(x) & 0x7fffffff) - 1) < <uint32_t>(0x2b800000 - 1)
    elif FA_I64_CMP:
        return (<uint64_t>((f64_bits(x) & 0x7fffffffffffffffLL) - 1)
                < <uint64_t>(0x2d30000000000000LL - 1))
    else:
        return False


cdef inline real raise_tiny(real x) noexcept nogil:
    """x, or where it is tiny (is_tiny) the tiny bound with x's sign: for a
    function whose value there is its value at the bound to the last bit (a
    constant limit at 0 plus a term far below half an ulp of it), the
    argument its math then sees is never subnormal. Zero stays: the
    kernels' x > 0 branches would tell +0 from the raised value."""
    cdef int32_t b32
    cdef int64_t b64
    if real is float:
        b32 = f32_bits(x)
        return bits_f32(sel_i32(is_tiny(x), 0x2b800000 | (b32 & (-2147483647 - 1)), b32))
    else:
        b64 = f64_bits(x)
        return bits_f64(sel_i64(is_tiny(x), 0x2d30000000000000LL
                                | (b64 & (<int64_t>-9223372036854775807LL - 1)), b64))


cdef inline bint is_subnormal(real x) noexcept nogil:
    """0 < |x| < the smallest normal, on the bits (an unsigned compare of
    |x|'s bits less 1). Without 64-bit integer compares, the sign of the
    subnormal mark: no float compare (see below_normal)."""
    if real is float:
        return <uint32_t>((f32_bits(x) & 0x7fffffff) - 1) < <uint32_t>0x007fffff
    elif FA_I64_CMP:
        return (<uint64_t>((f64_bits(x) & 0x7fffffffffffffffLL) - 1)
                < <uint64_t>0x000fffffffffffffLL)
    else:
        return <uint64_t>subnormal_mark_f64(x) >> 63


cdef inline real raise_subnormal(real x) noexcept nogil:
    """x, or where it is subnormal the tiny bound (is_tiny) with x's sign:
    for a function that is x times a constant below the bound (mish_1)."""
    cdef int32_t b32
    cdef int64_t b64
    if real is float:
        b32 = f32_bits(x)
        return bits_f32(sel_i32(is_subnormal(x), 0x2b800000 | (b32 & (-2147483647 - 1)), b32))
    else:
        b64 = f64_bits(x)
        return bits_f64(sel_i64(is_subnormal(x), 0x2d30000000000000LL
                                | (b64 & (<int64_t>-9223372036854775807LL - 1)), b64))


# The block of the split loops (Spec.normal_form): 16 KiB of float64, so
# that the check's pass leaves the block (of two inputs, too) in L1 for the
# loop that follows it. In the marked loops (Spec.normal_form_everywhere)
# also the most elements that run the slow form where subnormals begin after
# a block without. Each block ends the vector loop (the record's horizontal
# min and the branch on it, gcc's prologue and epilogue): blocks of 2048
# rather than 512 ran the cheap marked loops 1.0-1.18x faster at 1e5
# (sigmoid_backward and leaky_relu_backward float32 1.15-1.18x), mish
# float32 1.2x, and cost nothing on subnormal inputs (same-run A/B, Intel
# Xeon, AVX-512 and AVX2).
cdef enum:
    SUBNORMAL_BLOCK = 2048


# The block of the two-pass loops (Spec.parts, _generate.py _two_pass_loop):
# their buffers, PASS_BLOCK elements per part, stay in L1 between the
# passes.
cdef enum:
    PASS_BLOCK = 512


# The generated loops (Spec.prefetch: _generate.py, _prefetching_loop and
# the marked loops) and k_tanh on an array above
# PREFETCH_FROM_BYTES: chunks of PREFETCH_CHUNK_BYTES, each first asking for
# its inputs' cache lines PREFETCH_DISTANCE_BYTES ahead, into L1. The
# hardware prefetcher falls behind loops whose vectors wait on a long chain
# of arithmetic (a 2-input float64 loop of 0.85 ns/element at 1e5 ran 1.12
# in place at 1e6 and 1.93 at 4e6; 0.85 and 0.89 with the prefetches), and
# behind the cheap ones with more than a compare and a select per element at
# 1e7 (float32 1.08-1.30x with them). A chunk asks for 8 lines per input,
# within the L1's fill buffers: chunks of 2 KiB, or 512 elements asked for
# into L2, ran 1.2-1.4x slower than these. The cheap loops (the catalogue's
# "cheap" grain) prefetch only where their inputs together exceed
# PREFETCH_CHEAP_FROM_BYTES: at 1e6 elements, in place on an AMD Zen 5 (L3
# 32 MiB), their chunks' set-up and ends (a marked loop's fold of the marks
# each time) cost more than the prefetches gave where the inputs came to
# 8 MB (same-run A/B without them: float32 tanh_backward 1.30x,
# sigmoid_backward 1.40x, hard_sigmoid_backward 1.21x; float64 hard_swish
# 1.16x, hard_sigmoid 1.32x, x / (1 + |x|) 1.10x), and at 1e7 the one-input
# ones still need them (hard_sigmoid 0.90x / 0.91x without, hard_swish
# 0.94x / 0.88x, x / (1 + |x|) float32 0.86x). Of the two-input ones, the
# chunks pay in sigmoid_backward and hard_sigmoid_backward (float64 0.85x
# and 0.67-0.73x as fast without at 1e6, 0.69x and 0.61x at 2e6), not in
# the lightest, which do not prefetch: the catalogue's Spec.prefetch names
# them, with their figures, and k_leaky_relu_backward's own comment.
cdef enum:
    PREFETCH_CHUNK_BYTES = 512
    PREFETCH_DISTANCE_BYTES = 4096
    PREFETCH_FROM_BYTES = 1048576
    PREFETCH_CHEAP_FROM_BYTES = 12582912


cdef extern from *:
    """
    /* A hint to bring the cache lines of p[0 .. bytes) into L1 */
    static inline void fa_prefetch_bytes(const char *p, Py_ssize_t bytes) {
        for (Py_ssize_t k = 0; k < bytes; k += 64) __builtin_prefetch(p + k, 0, 3); }
    """
    void prefetch_bytes "fa_prefetch_bytes"(const char *p, Py_ssize_t bytes) noexcept nogil


cdef inline Py_ssize_t prefetch_chunk(const real *a, Py_ssize_t n,
                                      Py_ssize_t from_bytes) noexcept nogil:
    """The chunk length of a loop over a[0..n) that prefetches:
    PREFETCH_CHUNK_BYTES of elements on an array above from_bytes
    (PREFETCH_FROM_BYTES; the cheap loops' PREFETCH_CHEAP_FROM_BYTES over
    their number of inputs), else 0 (no prefetch)."""
    if n > from_bytes // <Py_ssize_t>sizeof(real):
        return <Py_ssize_t>(PREFETCH_CHUNK_BYTES // sizeof(real))
    return 0


cdef inline void prefetch_ahead(const real *a, Py_ssize_t start, Py_ssize_t n) noexcept nogil:
    """Ask for the cache lines of the chunk PREFETCH_DISTANCE_BYTES after the
    one at `start` (clipped to n)."""
    cdef Py_ssize_t first = start + <Py_ssize_t>(PREFETCH_DISTANCE_BYTES // sizeof(real))
    cdef Py_ssize_t chunk = <Py_ssize_t>(PREFETCH_CHUNK_BYTES // sizeof(real))
    cdef Py_ssize_t stop = first + chunk if n - first > chunk else n
    if stop > first:
        prefetch_bytes(<const char *>(a + first), (stop - first) * sizeof(real))


cdef inline bint any_subnormal(const real *a, Py_ssize_t n) noexcept nogil:
    """Whether a[0..n) holds a subnormal (not zero): picks the per-element
    form of the loops the catalogue splits (Spec.normal_form)."""
    if real is float:
        return any_subnormal_f32(a, n)
    else:
        return any_subnormal_f64(a, n)


cdef inline bint any_outside_div6(const real *a, Py_ssize_t n) noexcept nogil:
    """Whether a[0..n) holds a value outside div6_fast's range (see
    fa_any_outside_div6_f32): picks the per-element form of the loops whose
    normal form divides by 6 so (Spec.normal_form_check)."""
    if real is float:
        return any_outside_div6_f32(a, n)
    else:
        return any_outside_div6_f64(a, n)


cdef inline bint below_normal(real x) noexcept nogil:
    """|x| below the smallest normal (a subnormal or zero; NaN is not), on
    the bits. Without 64-bit integer compares, the sign of |x|'s bits less
    the smallest normal's: a float compare there could be an ordered one
    (-fno-trapping-math), which raises "invalid" on NaN."""
    if real is float:
        return <uint32_t>(f32_bits(x) & 0x7fffffff) < <uint32_t>0x00800000
    elif FA_I64_CMP:
        return <uint64_t>(f64_bits(x) & 0x7fffffffffffffffLL) < <uint64_t>0x0010000000000000LL
    else:
        return <uint64_t>((f64_bits(x) & 0x7fffffffffffffffLL) - 0x0010000000000000LL) >> 63


# The two halves of an input for the forms that handle subnormals apart
# (<name>_1 of Spec.normal_form): the arithmetic of the normal values gets
# normal_part, in which a subnormal is +0 (no microcode assist), and the
# bit-level forms subnormal_part, in which every other value is +0 (no NaN
# patterns there). normal_part masks the bits by integer arithmetic on
# the subnormal mark, not by a select: gcc carried a select's arithmetic
# into both arms, or proved it redundant in the lanes the outer select
# keeps and dropped it, and the products took the assists again.

cdef inline real normal_part(real x) noexcept nogil:
    """x, or +0 where x is subnormal (above)."""
    if real is float:
        return bits_f32(f32_bits(x) & (<int32_t>(<uint32_t>subnormal_mark_f32(x) >> 31) - 1))
    else:
        return bits_f64(f64_bits(x) & (<int64_t>(<uint64_t>subnormal_mark_f64(x) >> 63) - 1))


cdef inline real subnormal_part(real x) noexcept nogil:
    """x where it is subnormal (or zero), else +0 (above)."""
    if real is float:
        return bits_f32(sel_i32(below_normal(x), f32_bits(x), 0))
    else:
        return bits_f64(sel_i64(below_normal(x), f64_bits(x), 0))


cdef inline bint is_positive(real x) noexcept nogil:
    """x > 0 by its bits: sign clear and not +0. (+NaN counts; callers that
    care test is_nan first.)"""
    cdef real zero = 0
    if real is float:
        return f32_bits(x) > 0
    elif FA_I64_CMP:
        return f64_bits(x) > 0
    else:
        # ordered compare only once NaN is gone (NaN counts as not positive)
        return (x if x == x else zero) > zero


cdef inline bint keeps_sign_for_relu(real x) noexcept nogil:
    """True for x > 0 and for NaN of either sign: the lanes where relu(x) = x.
    As signed integers every negative non-NaN value, -0 and -inf included, is
    at most the bits of -inf; positive values and negative NaNs are above."""
    cdef real zero = 0, one = 1
    if real is float:
        return f32_bits(x) > -8388608           # (int32_t)0xff800000, -inf
    elif FA_I64_CMP:
        return f64_bits(x) > -4503599627370496LL  # (int64_t)0xfff0000000000000, -inf
    else:
        return (x if x == x else one) > zero    # NaN -> 1 before the ordered compare


cdef inline real fabs_real(real x) noexcept nogil:
    if real is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline bint is_nan(real x) noexcept nogil:
    return x != x  # != is a quiet compare: no "invalid" for a quiet NaN


cdef inline bint is_inf(real x) noexcept nogil:
    # == is a quiet compare (NaN gives False without a flag). A float compare,
    # not one on the bits: SSE2 has no 64-bit integer compare, and the
    # baseline tier would leave every double loop using it scalar.
    cdef real inf
    if real is float:
        inf = bits_f32(0x7f800000)
    else:
        inf = bits_f64(0x7ff0000000000000LL)
    return fabs_real(x) == inf


cdef inline bint is_finite(real x) noexcept nogil:
    cdef real zero = 0
    if real is float:
        return (f32_bits(x) & 0x7f800000) != 0x7f800000
    elif FA_I64_CMP:
        return (f64_bits(x) & 0x7ff0000000000000LL) != 0x7ff0000000000000LL
    else:
        # NaN made inf first; then one quiet compare
        return fabs(x if x == x else bits_f64(0x7ff0000000000000LL)) != bits_f64(0x7ff0000000000000LL)


cdef inline real nan_of(real x) noexcept nogil:
    """A quiet NaN of x's type."""
    if real is float:
        return bits_f32(0x7fc00000)
    else:
        return bits_f64(0x7ff8000000000000LL)


cdef inline real mul_quiet(real a, real b) noexcept nogil:
    """a * b, giving NaN for inf * 0 without raising "invalid" (the only
    product that raises it: NaN operands are quiet). With the magnitudes'
    bits as integers that case is min == 0 and max == inf."""
    cdef real zero = 0
    cdef int32_t ma32, mb32
    cdef int64_t ma64, mb64
    cdef bint undefined
    if real is float:
        ma32 = f32_bits(a) & 0x7fffffff
        mb32 = f32_bits(b) & 0x7fffffff
        undefined = (((ma32 if ma32 < mb32 else mb32) == 0)
                     & ((ma32 if ma32 > mb32 else mb32) == 0x7f800000))
    elif FA_I64_CMP:
        ma64 = f64_bits(a) & 0x7fffffffffffffffLL
        mb64 = f64_bits(b) & 0x7fffffffffffffffLL
        undefined = (((ma64 if ma64 < mb64 else mb64) == 0)
                     & ((ma64 if ma64 > mb64 else mb64) == 0x7ff0000000000000LL))
    else:
        undefined = (is_inf(a) & (b == zero)) | ((a == zero) & is_inf(b))
    return (nan_of(a) if undefined else a) * b


cdef inline bint sign_clear(real x) noexcept nogil:
    """x >= +0 by the sign bit (NaN of either sign may go either way)."""
    cdef real zero = 0
    if real is float:
        return f32_bits(x) >= 0
    elif FA_I64_CMP:
        return f64_bits(x) >= 0
    else:
        return (x if x == x else zero) >= zero


cdef inline real mul_fused(real a, real b) noexcept nogil:
    """a * b rounded once, as one fused multiply-add with a -0 addend where
    the tier has FMA (the plain product elsewhere): the same bits in round
    to nearest (r + -0 is r, zeros included; toward zero and upward too).
    On AMD Zen 5 a multiply of a subnormal factor in a loop ran slow (the
    normal form of selu_backward on a subnormal grad_out took 2.8 times its
    normal time), an FMA not (1.0 times), so the backward passes of the
    exp-based functions and hard_swish take their last product, grad_out
    times the derivative, so: their normal forms run on subnormals there
    (Spec.normal_form_without_assists). In round-downward mode an exact +0
    product comes out -0."""
    cdef real negative_zero = -0.0
    if FA_FMA:
        if real is float:
            return fmaf(a, b, negative_zero)
        else:
            return fma(a, b, negative_zero)
    return a * b


cdef inline real not_nan_or_zero(real x) noexcept nogil:
    cdef real zero = 0
    return x if x == x else zero


cdef inline real negative_if(real r, real x) noexcept nogil:
    """r (>= 0) with x's sign bit: odd functions, -0 kept. Bit operations
    only (SSE2 has 64-bit and/or but no 64-bit compare)."""
    if real is float:
        return bits_f32(f32_bits(r) | (f32_bits(x) & (-2147483647 - 1)))
    else:
        return bits_f64(f64_bits(r) | (f64_bits(x) & (-9223372036854775807LL - 1)))


cdef inline real clamp_abs(real x, real bound) noexcept nogil:
    """x limited to [-bound, bound] (x not NaN)."""
    cdef real lo = -bound
    x = x if x < bound else bound
    return x if x > lo else lo


cdef inline real far_x(real x) noexcept nogil:
    """|x| beyond which e^-|x| is 0 in x's type (200 / 1000)."""
    cdef float far_f32 = 200
    cdef double far_f64 = 1000
    if real is float:
        return far_f32
    else:
        return far_f64
