# float16 and bfloat16: the storage types whose math is float32's. Part of
# _kernels.pxi.
#
# A narrow kernel loads a block of narrow values, widens them to float32
# (exactly: every float16 and bfloat16 is a float32), runs the float32
# per-element function on the block, and rounds each result once to the
# narrow type, round to nearest even. So its result is, bit for bit, the
# float32 kernel's result rounded once (NaN: a quiet NaN of the same sign).
# The block is NARROW_BLOCK = 64 elements (256 bytes of floats, in L1);
# no float32 array of the data is ever made.
#
# Conversions, per tier:
# - float16 with F16C (every AVX2 CPU has it; setup.py adds -mf16c to the
#   avx2 and avx512 tiers, kernels.pyx checks the CPU for it): vcvtph2ps and
#   vcvtps2ph (round to nearest even), one instruction per vector. gcc 12
#   does not vectorize scalar _Float16 casts, hence the intrinsics.
# - float16 elsewhere: integer operations that gcc vectorizes (below).
# - bfloat16 everywhere: a float32's top half. Widening is a shift; rounding
#   adds 0x7fff plus the kept part's lowest bit (ties to even) before the
#   shift. A NaN keeps its sign and top payload bits and gets the quiet bit,
#   so the carry cannot turn it into an infinity.
#
# Floating-point flags. The integer conversions use one float operation
# each, on values chosen so that it raises nothing but "inexact"; F16C's
# vcvtps2ph raises "invalid" for a signaling NaN only, and no float32 kernel
# returns one.
#
# The storage types and the scalar conversions are in _narrow.pxd.

from libc.stdint cimport uint16_t
from libc.string cimport memcpy, memset
from fastact._narrow cimport *

cdef extern from *:
    """
    /* FA_NARROW_VEC elements, narrow <-> float32: one vector register of
       floats at the tier's width. gcc and clang get GCC vector extensions
       (one vector operation per step, whatever the tier; gcc's vectorizer
       alone packs 32 -> 16 bits unreliably once a kernel is inlined); other
       compilers the scalar functions of _narrow.pxd. */
    #if defined(__AVX512F__)
    #define FA_NARROW_VEC 16
    #else
    #define FA_NARROW_VEC 8
    #endif
    /* The kernels' block: a few vectors, so that the float32 loop over it has
       more iterations than gcc unrolls completely (a loop of one vector's
       worth is unrolled before the vectorizer sees it, and the small
       kernels, relu or tanh, then stay scalar). 64 rather than 128: the
       cheap kernels' blocks are then unrolled into registers without
       spills, and leaky_relu's inlined loop with them (same-run A/B, Zen 4,
       n = 1e6, float16 ns/element, 128 -> 64: hard_sigmoid 0.165 -> 0.153,
       hard_swish 0.306 -> 0.286, softsign 0.278 -> 0.250, leaky_relu
       0.145 -> 0.100, sigmoid_backward 0.176 -> 0.140), at 1-2% on the
       exp-based ones. 256 bytes of floats: L1. */
    #define FA_NARROW_BLOCK 64
    #if defined(__F16C__) || defined(__AVX2__)
    #include <immintrin.h>
    #endif
    #if defined(__F16C__)
    #define FA_F16C 1
    #else
    #define FA_F16C 0
    #endif

    #if defined(__GNUC__)
    typedef uint16_t fa_vu16 __attribute__((vector_size(2 * FA_NARROW_VEC)));
    typedef uint32_t fa_vu32 __attribute__((vector_size(4 * FA_NARROW_VEC)));
    typedef int32_t fa_vi32 __attribute__((vector_size(4 * FA_NARROW_VEC)));
    typedef float fa_vf32 __attribute__((vector_size(4 * FA_NARROW_VEC)));

    /* Lanes of `yes` where mask is all ones, of `no` where it is zero. */
    #define fa_vselect(mask, yes, no) \
        (((fa_vu32)(mask) & (yes)) | (~(fa_vu32)(mask) & (no)))
    /* Vectors pass by pointer: by value, gcc warns about the ABI of 32-byte
       vectors on the SSE2 tier (though these are always inlined). */
    static inline void fa_vload_u16(const uint16_t *h, fa_vu32 *u) {
        fa_vu16 v; memcpy(&v, h, sizeof v); *u = __builtin_convertvector(v, fa_vu32);
    }
    static inline void fa_vstore_u16(const fa_vu32 *u, uint16_t *h) {
        fa_vu16 v = __builtin_convertvector(*u, fa_vu16); memcpy(h, &v, sizeof v);
    }
    static inline void fa_bf16_widen_vec(const uint16_t *h, float *f) {
        fa_vu32 u; fa_vload_u16(h, &u); u <<= 16; memcpy(f, &u, sizeof u);
    }
    static inline void fa_bf16_narrow_vec(const float *f, uint16_t *h) {
        fa_vu32 u; memcpy(&u, f, sizeof u);
        fa_vu32 rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        fa_vi32 nan = (fa_vi32)(u & 0x7fffffffu) > 0x7f800000;
        fa_vu32 o = fa_vselect(nan, (u >> 16) | 0x40u, rounded);
        fa_vstore_u16(&o, h);
    }
    #else
    static inline void fa_bf16_widen_vec(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_VEC; i++) f[i] = fa_bf16_to_f32(h[i]);
    }
    static inline void fa_bf16_narrow_vec(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_VEC; i++) h[i] = fa_f32_to_bf16(f[i]);
    }
    #endif

    #if FA_F16C && FA_NARROW_VEC == 16
    static inline void fa_f16_widen_vec(const uint16_t *h, float *f) {
        _mm512_storeu_ps(f, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)h)));
    }
    static inline void fa_f16_narrow_vec(const float *f, uint16_t *h) {
        _mm256_storeu_si256((__m256i *)h,
            _mm512_cvtps_ph(_mm512_loadu_ps(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    #elif FA_F16C
    static inline void fa_f16_widen_vec(const uint16_t *h, float *f) {
        _mm256_storeu_ps(f, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h)));
    }
    static inline void fa_f16_narrow_vec(const float *f, uint16_t *h) {
        _mm_storeu_si128((__m128i *)h,
            _mm256_cvtps_ph(_mm256_loadu_ps(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    #elif defined(__GNUC__)
    /* fa_f16_to_f32_int and fa_f32_to_f16_int, lane by lane. */
    static inline void fa_f16_widen_vec(const uint16_t *h, float *f) {
        fa_vu32 x; fa_vload_u16(h, &x);
        fa_vu32 em = (x & 0x7fffu) << 13;
        fa_vu32 e = em & 0x0f800000u;
        fa_vu32 o = em + (112u << 23);
        fa_vf32 magic = (fa_vf32){0} + 6.103515625e-05f;  /* 2^-14 */
        fa_vu32 sub = (fa_vu32)((fa_vf32)(o + (1u << 23)) - magic);
        o = fa_vselect((fa_vi32)e == 0x0f800000, o + (112u << 23), o);
        o = fa_vselect((fa_vi32)e == 0, sub, o);
        o |= (x & 0x8000u) << 16;
        memcpy(f, &o, sizeof o);
    }
    static inline void fa_f16_narrow_vec(const float *f, uint16_t *h) {
        fa_vu32 u; memcpy(&u, f, sizeof u);
        fa_vu32 sign = u & 0x80000000u;
        fa_vu32 a = u ^ sign;
        fa_vi32 tiny = (fa_vi32)a < (fa_vi32){0} + (113 << 23);
        fa_vf32 half = (fa_vf32){0} + 0.5f;
        fa_vu32 sub = (fa_vu32)((fa_vf32)((fa_vu32)tiny & a) + half) - (126u << 23);
        fa_vu32 nrm = (a - (112u << 23) + 0xfffu + ((a >> 13) & 1u)) >> 13;
        fa_vu32 big = fa_vselect((fa_vi32)a > 0x7f800000, (fa_vu32){0} + 0x7e00u,
                                 (fa_vu32){0} + 0x7c00u);
        fa_vu32 o = fa_vselect((fa_vi32)a >= (143 << 23), big, fa_vselect(tiny, sub, nrm));
        o |= sign >> 16;
        fa_vstore_u16(&o, h);
    }
    #else
    static inline void fa_f16_widen_vec(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_VEC; i++) f[i] = fa_f16_to_f32_int(h[i]);
    }
    static inline void fa_f16_narrow_vec(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_VEC; i++) h[i] = fa_f32_to_f16_int(f[i]);
    }
    #endif
    static inline void fa_f16_widen(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += FA_NARROW_VEC) fa_f16_widen_vec(h + i, f + i);
    }
    static inline void fa_f16_narrow(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += FA_NARROW_VEC) fa_f16_narrow_vec(f + i, h + i);
    }
    #if defined(__AVX512F__) && defined(__AVX512BW__)
    /* bfloat16 on the avx512 tier: 16 lanes per step. The 256-bit form
       below split each vector of results in two (vextracti64x4) and packed
       the halves. Rounding adds 0x7fff plus the kept part's lowest bit to
       the whole float32 (a NaN instead gets the quiet bit, 0x00400000), and
       one vpermt2w then gathers the top halves of two vectors, 32 results,
       in order. Same arithmetic as fa_f32_to_bf16. */
    static inline void fa_bf16_widen(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 16) {
            __m512i u = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(h + i)));
            _mm512_storeu_si512((void *)(f + i), _mm512_slli_epi32(u, 16));
        }
    }
    static inline __m512i fa_bf16_round16(const float *f) {
        __m512i u = _mm512_loadu_si512((const void *)f);
        /* u + 0x7fff + the kept part's lowest bit, as u + 0x7fff, or u +
           0x8000 in the lanes where that bit is set: a test into a mask and
           a masked add in place of a shift, an and and an add (the kernels
           are bound by the two 512-bit vector ports, which these share). */
        __mmask16 odd = _mm512_test_epi32_mask(u, _mm512_set1_epi32(0x10000));
        __m512i rounded = _mm512_mask_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)),
                                                odd, u, _mm512_set1_epi32(0x8000));
    #if defined(__AVX512DQ__)
        /* quiet or signaling NaN (vfpclassps raises no flag): one
           instruction for the and-and-compare below */
        __mmask16 nan = _mm512_fpclass_ps_mask(_mm512_castsi512_ps(u), 0x81);
    #else
        __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                _mm512_set1_epi32(0x7f800000));
    #endif
        return _mm512_mask_or_epi32(rounded, nan, u, _mm512_set1_epi32(0x00400000));
    }
    static inline void fa_bf16_narrow(const float *f, uint16_t *h) {
        /* word k of the result: the top (odd) word of dword k of a ++ b */
        const __m512i odd = _mm512_set_epi16(
            63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33,
            31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
        for (int i = 0; i < FA_NARROW_BLOCK; i += 32) {
            __m512i top = _mm512_permutex2var_epi16(fa_bf16_round16(f + i), odd,
                                                    fa_bf16_round16(f + i + 16));
            _mm512_storeu_si512((void *)(h + i), top);
        }
    }
    #elif defined(__AVX2__)
    /* bfloat16 with AVX2 intrinsics (the avx2 and avx512 tiers): gcc
       narrows a vector of 32-bit lanes to 16 bits with a mask, a pack
       against zero and a permute per vector, and widens with five shuffles;
       here widening is one zero-extending load and a shift, and the rounded
       lanes (each below 2^16) of two vectors are packed by one vpackusdw,
       whose per-128-bit-lane order one vpermq puts back. Same arithmetic as
       fa_f32_to_bf16. */
    static inline void fa_bf16_widen(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 8) {
            __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(h + i)));
            _mm256_storeu_si256((__m256i *)(f + i), _mm256_slli_epi32(u, 16));
        }
    }
    static inline __m256i fa_bf16_round8(const float *f) {
        __m256i u = _mm256_loadu_si256((const __m256i *)f);
        __m256i top = _mm256_srli_epi32(u, 16);
        __m256i bias = _mm256_add_epi32(_mm256_and_si256(top, _mm256_set1_epi32(1)),
                                        _mm256_set1_epi32(0x7fff));
        __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, bias), 16);
        __m256i quiet_nan = _mm256_or_si256(top, _mm256_set1_epi32(0x40));
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                         _mm256_set1_epi32(0x7f800000));
        return _mm256_blendv_epi8(rounded, quiet_nan, nan);
    }
    static inline void fa_bf16_narrow(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 16) {
            __m256i packed = _mm256_packus_epi32(fa_bf16_round8(f + i), fa_bf16_round8(f + i + 8));
            _mm256_storeu_si256((__m256i *)(h + i), _mm256_permute4x64_epi64(packed, 0xd8));
        }
    }
    #else
    static inline void fa_bf16_widen(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += FA_NARROW_VEC) fa_bf16_widen_vec(h + i, f + i);
    }
    static inline void fa_bf16_narrow(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += FA_NARROW_VEC) fa_bf16_narrow_vec(f + i, h + i);
    }
    #endif

    /* The elementwise loops' bfloat16 blocks, in "lane order": each step
       loads 2 * FA_NARROW_VEC values as FA_NARROW_VEC 32-bit words, two
       values per word, and puts the values of the low halves (shifted up)
       in the block's first vector and those of the high halves (masked) in
       the next one; rounding puts each back in the half it came from. So
       neither direction moves data across lanes (the ordered forms above
       spend a shuffle per vector on it, on the port that the kernels' FMAs
       share), and an element's value and result are the same as in order:
       a per-element function does not care where in the block it runs, and
       both inputs of a two-input function are permuted alike. Which half is
       "low" depends on the byte order, the same way in both directions. */
    #if defined(__AVX512F__) && defined(__AVX512BW__)
    static inline void fa_bf16_widen_lanes(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 32) {
            __m512i u = _mm512_loadu_si512((const void *)(h + i));
            _mm512_storeu_si512((void *)(f + i), _mm512_slli_epi32(u, 16));
            _mm512_storeu_si512((void *)(f + i + 16),
                                _mm512_and_si512(u, _mm512_set1_epi32((int)0xffff0000u)));
        }
    }
    static inline void fa_bf16_narrow_lanes(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 32) {
            __m512i low = _mm512_srli_epi32(fa_bf16_round16(f + i), 16);
            __m512i high = fa_bf16_round16(f + i + 16);
            /* low | (high & 0xffff0000): ternary-logic table 0xf8 */
            __m512i o = _mm512_ternarylogic_epi32(low, high, _mm512_set1_epi32((int)0xffff0000u),
                                                  0xf8);
            _mm512_storeu_si512((void *)(h + i), o);
        }
    }
    #elif defined(__GNUC__)
    static inline void fa_bf16_widen_lanes(const uint16_t *h, float *f) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 2 * FA_NARROW_VEC) {
            fa_vu32 u; memcpy(&u, h + i, sizeof u);
            fa_vu32 low = u << 16, high = u & 0xffff0000u;
            memcpy(f + i, &low, sizeof low);
            memcpy(f + i + FA_NARROW_VEC, &high, sizeof high);
        }
    }
    /* fa_f32_to_bf16's rounding, its result left in the top half */
    static inline void fa_bf16_round_top(const float *f, fa_vu32 *r) {
        fa_vu32 u; memcpy(&u, f, sizeof u);
        fa_vu32 rounded = u + 0x7fffu + ((u >> 16) & 1u);
        fa_vi32 nan = (fa_vi32)(u & 0x7fffffffu) > 0x7f800000;
        *r = fa_vselect(nan, u | 0x00400000u, rounded);
    }
    static inline void fa_bf16_narrow_lanes(const float *f, uint16_t *h) {
        for (int i = 0; i < FA_NARROW_BLOCK; i += 2 * FA_NARROW_VEC) {
            fa_vu32 low, high;
            fa_bf16_round_top(f + i, &low);
            fa_bf16_round_top(f + i + FA_NARROW_VEC, &high);
            fa_vu32 o = (low >> 16) | (high & 0xffff0000u);
            memcpy(h + i, &o, sizeof o);
        }
    }
    #else
    #define fa_bf16_widen_lanes fa_bf16_widen
    #define fa_bf16_narrow_lanes fa_bf16_narrow
    #endif
    """
    enum: NARROW_BLOCK "FA_NARROW_BLOCK"
    const bint FA_F16C
    void f16_widen "fa_f16_widen"(const uint16_t *h, float *f) noexcept nogil
    void f16_narrow "fa_f16_narrow"(const float *f, uint16_t *h) noexcept nogil
    void bf16_widen "fa_bf16_widen"(const uint16_t *h, float *f) noexcept nogil
    void bf16_narrow "fa_bf16_narrow"(const float *f, uint16_t *h) noexcept nogil
    void bf16_widen_lanes "fa_bf16_widen_lanes"(const uint16_t *h, float *f) noexcept nogil
    void bf16_narrow_lanes "fa_bf16_narrow_lanes"(const float *f, uint16_t *h) noexcept nogil



cdef inline void widen(const narrow *h, float *f) noexcept nogil:
    if narrow is fa_f16:
        f16_widen(<const uint16_t *>h, f)
    else:
        bf16_widen(<const uint16_t *>h, f)


cdef inline void round_to(const float *f, narrow *h) noexcept nogil:
    if narrow is fa_f16:
        f16_narrow(f, <uint16_t *>h)
    else:
        bf16_narrow(f, <uint16_t *>h)


cdef inline const narrow *staged(const narrow *src, Py_ssize_t m, narrow *spare) noexcept nogil:
    """src itself when a whole block is left (m >= NARROW_BLOCK); else its m
    elements copied into `spare`, padded with zeros, so that the tail runs
    the same code as the bulk (an element's result never depends on where
    it sits)."""
    if m >= NARROW_BLOCK:
        return src
    memcpy(spare, src, m * sizeof(narrow))
    memset(spare + m, 0, (NARROW_BLOCK - m) * sizeof(narrow))
    return spare


# load_block and store_block convert once, from or to a pointer chosen
# before (the data, or the spare block at the tail), rather than once in
# each branch of a tail test: written with the conversion in both branches,
# gcc merged the two and kept the widened block and the rounded vectors in
# stack slots, reloading each: float16 relu took 0.110 ns/element against
# 0.070 in this form, hard_sigmoid 0.205 against 0.165 (float32: 0.113 and
# 0.114; Zen 4, n = 1e6, one thread, same-run A/B).

cdef inline void load_block(const narrow *src, Py_ssize_t m, narrow *spare,
                            float *block) noexcept nogil:
    """block = the next NARROW_BLOCK elements of src widened (the tail
    through `spare`, see staged)."""
    widen(staged(src, m, spare), block)


cdef inline void store_block(const float *block, Py_ssize_t m, narrow *spare,
                             narrow *dst) noexcept nogil:
    """dst = block rounded, its first min(m, NARROW_BLOCK) elements (the
    tail through `spare`)."""
    round_to(block, dst if m >= NARROW_BLOCK else spare)
    if m < NARROW_BLOCK:
        memcpy(dst, spare, m * sizeof(narrow))


# The elementwise loops' forms: the block in lane order (see
# fa_bf16_widen_lanes; float16 is in order, its conversions shuffle
# nothing). Only for per-element functions of blocks that load_lanes filled
# (each input alike) and store_lanes empties.

cdef inline void load_lanes(const narrow *src, Py_ssize_t m, narrow *spare,
                            float *block) noexcept nogil:
    if narrow is fa_f16:
        f16_widen(<const uint16_t *>staged(src, m, spare), block)
    else:
        bf16_widen_lanes(<const uint16_t *>staged(src, m, spare), block)


cdef inline void store_lanes(const float *block, Py_ssize_t m, narrow *spare,
                             narrow *dst) noexcept nogil:
    cdef narrow *to = dst if m >= NARROW_BLOCK else spare
    if narrow is fa_f16:
        f16_narrow(block, <uint16_t *>to)
    else:
        bf16_narrow_lanes(block, <uint16_t *>to)
    if m < NARROW_BLOCK:
        memcpy(dst, spare, m * sizeof(narrow))


# ---------------------------------------------------------------------------
# Tables. A narrow type has 65,536 values, so a one-input function of it is
# a table of 65,536 entries, filled once by the float32 math over every bit
# pattern and then read with one indexed load per element. Two kinds, both
# written by the generated loops (_generate.py; which functions:
# Spec.narrow_table and Spec.narrow_derivative_table in _catalog.py):
# - result tables (narrow values) for the exp-based functions of one input:
#   filled by the function's own narrow loop, so every entry is exactly what
#   that loop returns (float16 gelu 0.71 -> 0.23 ns/element, one thread,
#   n = 1e6, Intel Xeon);
# - derivative tables (float32 values) for the backward passes of those
#   functions: entry x is the float32 grad loop's result on x widened, and
#   the loop computes <activation>_backward_of(grad_out, entry) per element,
#   the float32 backward kernel's last step (its backward_1 is that of the
#   same grad_1), before rounding once as always.
# Either way the bits are the computing loop's by construction.
#
# - A table is filled by the first call of at least LUT_MIN_FILL elements
#   (filling costs about one call of 65,536 elements); smaller calls before
#   that compute. Threads may fill at once: each fills its own and publishes
#   it by one compare-and-swap; a thread that loses frees its own and uses
#   the winner's. Tables live as long as the process (128 or 256 KiB each,
#   only the ones in use).
# - Parameters: the table is that of the defaults, used only when a call
#   passes them; other values compute.
# - Only in the default floating-point mode (MXCSR: round to nearest, no
#   flush-to-zero or denormals-are-zero, every exception masked): in any
#   other mode a call computes, so it gets that mode's bits as the float32
#   kernels do, and no table is filled from another mode's results. The
#   flags the fill raises (inexact) are put back as the caller had them.
# - x86 with gcc or clang only (MXCSR and the __atomic builtins); elsewhere
#   every call computes.
# - The lookups: 16 lanes per vpgatherdd / vgatherdps at the AVX-512 tier
#   (a result table's lanes each load the 32 bits at their index, the entry
#   and the next one: the table has one entry of padding, and vpmovdw keeps
#   the low half), one load per element elsewhere. On data spread over the
#   whole table (L2, not L1) a lookup is slower, 0.5-0.6 ns/element, still
#   no slower than computing.

cdef extern from *:
    """
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    #define FA_LUT 1
    #include <immintrin.h>
    #else
    #define FA_LUT 0
    #endif
    #define FA_LUT_ENTRIES 65536
    #define FA_LUT_MIN_FILL 16384
    typedef void (*fa_narrow_unary)(const uint16_t *, uint16_t *, Py_ssize_t);
    typedef void (*fa_lut_fill)(void *);

    /* The table in *slot (`bytes` long), filled now by `fill` if it is not
       there yet and n is large enough; NULL where the call should compute. */
    static const void *fa_lut_get(const void **slot, fa_lut_fill fill, size_t bytes,
                                  Py_ssize_t n) {
    #if FA_LUT
        unsigned int csr = _mm_getcsr();
        if ((csr & ~0x3Fu) != 0x1F80u)
            return NULL;
        const void *table = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (table != NULL || n < FA_LUT_MIN_FILL)
            return table;
        void *fresh = malloc(bytes);
        if (fresh == NULL)
            return NULL;
        fill(fresh);
        if (_mm_getcsr() != csr)
            _mm_setcsr(csr);
        const void *expected = NULL;
        if (__atomic_compare_exchange_n(slot, &expected, (const void *)fresh, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return fresh;
        free(fresh);
        return expected;
    #else
        (void)slot; (void)fill; (void)bytes; (void)n;
        return NULL;
    #endif
    }

    /* A result table: every pattern through `compute`, in place, and one
       entry of padding. FA_LUT_ENTRIES + 1 entries. */
    static void fa_lut_fill_results(uint16_t *table, fa_narrow_unary compute) {
        for (uint32_t i = 0; i < FA_LUT_ENTRIES; i++)
            table[i] = (uint16_t)i;
        table[FA_LUT_ENTRIES] = 0;
        compute(table, table, FA_LUT_ENTRIES);
    }

    /* y[i] = table[x[i]]; x == y allowed (each element is loaded before its
       result is stored). Scalar loads, at every tier: on an AMD Zen 5 the
       AVX-512 gathers (vpgatherdd, 16 lanes) ran 1.32x slower than these
       (float16 sigmoid, softplus, silu, gelu at 1e6: 0.28 -> 0.21 ns per
       element), and the derivative tables' float gathers below 1.2-1.45x
       (silu_backward, gelu_backward, softplus_backward, elu_backward,
       mish_backward float16: 0.32-0.37 -> 0.24-0.27). */
    static inline void fa_lut_apply(const uint16_t *table, const uint16_t *x, uint16_t *y,
                                    Py_ssize_t n) {
        for (Py_ssize_t i = 0; i < n; i++)
            y[i] = table[x[i]];
    }

    /* f[j] = table[x[j]] for the FA_NARROW_BLOCK elements of a block
       (scalar loads: above). */
    static inline void fa_lut_gather_block(const float *table, const uint16_t *x, float *f) {
        for (int j = 0; j < FA_NARROW_BLOCK; j++)
            f[j] = table[x[j]];
    }
    """
    enum: LUT_ENTRIES "FA_LUT_ENTRIES"
    ctypedef void (*narrow_unary "fa_narrow_unary")(const uint16_t *, uint16_t *,
                                                    Py_ssize_t) noexcept nogil
    ctypedef void (*lut_fill "fa_lut_fill")(void *) noexcept nogil
    const void *lut_get "fa_lut_get"(const void **slot, lut_fill fill, size_t bytes,
                                     Py_ssize_t n) noexcept nogil
    void lut_fill_results "fa_lut_fill_results"(uint16_t *table,
                                                narrow_unary compute) noexcept nogil
    void lut_apply "fa_lut_apply"(const uint16_t *table, const uint16_t *x, uint16_t *y,
                                  Py_ssize_t n) noexcept nogil
    void lut_gather_block "fa_lut_gather_block"(const float *table, const uint16_t *x,
                                                float *f) noexcept nogil


# Conversions of whole buffers, for the tests (every value, every tier).

cdef void narrow_to_f32(const narrow *h, float *f, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef narrow spare[NARROW_BLOCK]
    cdef float block[NARROW_BLOCK]
    i = 0
    while i < n:
        load_block(h + i, n - i, spare, block)
        for j in range(min(n - i, <Py_ssize_t>NARROW_BLOCK)):
            f[i + j] = block[j]
        i += NARROW_BLOCK


cdef void f32_to_narrow(const float *f, narrow *h, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef narrow spare[NARROW_BLOCK]
    cdef float block[NARROW_BLOCK]
    i = 0
    while i < n:
        for j in range(NARROW_BLOCK):
            block[j] = f[i + j] if i + j < n else 0
        store_block(block, n - i, spare, h + i)
        i += NARROW_BLOCK


# ---------------------------------------------------------------------------
# The softmax trio's rows. A row needs every element twice (its maximum and
# sum first), so rows are widened into float32 rows, run through the float32
# row kernel in place, and rounded back: the sums accumulate in float32 and
# each output is rounded once. Whole rows go through together, as many as
# fit in ROW_ON_STACK floats on the stack (the rows are contiguous, so they
# convert as one run of elements): converted one row at a time, a short row
# paid a padded tail block each way and a kernel call for a few elements
# (float16 softmax_backward on rows of 10 took 10-20 ns/element, float32 1).
# Each row's result is independent of which rows go with it (as for threads,
# which split the rows). A row longer than the stack buffer uses a buffer
# allocated per call (if that fails, the output is all NaN rather than a
# crash).

from libc.stdlib cimport malloc, free

cdef enum:
    ROW_ON_STACK = 2048


cdef inline void widen_row(const narrow *h, float *f, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i = 0, j
    cdef narrow spare[NARROW_BLOCK]
    cdef float block[NARROW_BLOCK]
    while i + NARROW_BLOCK <= n:
        widen(h + i, f + i)
        i += NARROW_BLOCK
    if i < n:
        load_block(h + i, n - i, spare, block)
        for j in range(n - i):
            f[i + j] = block[j]


cdef inline void round_row(const float *f, narrow *h, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i = 0, j
    cdef narrow spare[NARROW_BLOCK]
    cdef float block[NARROW_BLOCK]
    while i + NARROW_BLOCK <= n:
        round_to(f + i, h + i)
        i += NARROW_BLOCK
    if i < n:
        for j in range(NARROW_BLOCK):
            block[j] = f[i + j] if i + j < n else 0
        store_block(block, n - i, spare, h + i)


# The float32 row kernels, called through pointers set when the module
# loads: called directly, gcc inlined k_softmax here and called its row
# function out of line, whose compiled form ran rows of 10 at half the speed
# of the one inlined into k_softmax[float] itself (float16 softmax on rows
# of 10: 28 ns/element against float32's 14 through the same C API).
ctypedef void (*rows_fn)(const float *, float *, Py_ssize_t, Py_ssize_t) noexcept nogil
ctypedef void (*rows2_fn)(const float *, const float *, float *, Py_ssize_t,
                          Py_ssize_t) noexcept nogil
cdef rows_fn softmax_rows_f32 = k_softmax[float]
cdef rows_fn log_softmax_rows_f32 = k_log_softmax[float]
cdef rows2_fn softmax_backward_rows_f32 = k_softmax_backward[float]


cdef inline Py_ssize_t rows_per_run(Py_ssize_t cols, Py_ssize_t count) noexcept nogil:
    """Rows per run through the stack buffer when each row needs `count`
    float32 rows of `cols`; 0 when not even one fits."""
    return ROW_ON_STACK // (cols * count)


cdef inline void fill_nan(narrow *y, Py_ssize_t n) noexcept nogil:
    cdef float nan = bits_f32(0x7fc00000)
    cdef float block[NARROW_BLOCK]
    cdef Py_ssize_t j
    for j in range(NARROW_BLOCK):
        block[j] = nan
    cdef narrow spare[NARROW_BLOCK]
    cdef Py_ssize_t i = 0
    while i < n:
        store_block(block, n - i, spare, y + i)
        i += NARROW_BLOCK


cdef void k_softmax_narrow(const narrow *x, narrow *y, Py_ssize_t rows,
                           Py_ssize_t cols) noexcept nogil:
    cdef float on_stack[ROW_ON_STACK]
    cdef float *buf = on_stack
    cdef Py_ssize_t per, k, r = 0
    if rows <= 0 or cols <= 0:
        return
    per = rows_per_run(cols, 1)
    if per == 0:
        per = 1
        buf = <float *>malloc(cols * sizeof(float))
        if buf == NULL:
            fill_nan(y, rows * cols)
            return
    while r < rows:
        k = min(per, rows - r)
        widen_row(x + r * cols, buf, k * cols)
        softmax_rows_f32(buf, buf, k, cols)
        round_row(buf, y + r * cols, k * cols)
        r += k
    if buf != on_stack:
        free(buf)


cdef void k_log_softmax_narrow(const narrow *x, narrow *y, Py_ssize_t rows,
                               Py_ssize_t cols) noexcept nogil:
    cdef float on_stack[ROW_ON_STACK]
    cdef float *buf = on_stack
    cdef Py_ssize_t per, k, r = 0
    if rows <= 0 or cols <= 0:
        return
    per = rows_per_run(cols, 1)
    if per == 0:
        per = 1
        buf = <float *>malloc(cols * sizeof(float))
        if buf == NULL:
            fill_nan(y, rows * cols)
            return
    while r < rows:
        k = min(per, rows - r)
        widen_row(x + r * cols, buf, k * cols)
        log_softmax_rows_f32(buf, buf, k, cols)
        round_row(buf, y + r * cols, k * cols)
        r += k
    if buf != on_stack:
        free(buf)


cdef void k_softmax_backward_narrow(const narrow *g, const narrow *y, narrow *out,
                                    Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef float on_stack[ROW_ON_STACK]
    cdef float *bg = on_stack
    cdef float *by
    cdef Py_ssize_t per, k, r = 0
    if rows <= 0 or cols <= 0:
        return
    per = rows_per_run(cols, 2)
    if per == 0:
        per = 1
        bg = <float *>malloc(2 * cols * sizeof(float))
        if bg == NULL:
            fill_nan(out, rows * cols)
            return
    by = bg + per * cols
    while r < rows:
        k = min(per, rows - r)
        widen_row(g + r * cols, bg, k * cols)
        widen_row(y + r * cols, by, k * cols)
        softmax_backward_rows_f32(bg, by, bg, k, cols)
        round_row(bg, out + r * cols, k * cols)
        r += k
    if bg != on_stack:
        free(bg)
