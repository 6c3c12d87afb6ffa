# float16 and bfloat16 storage, and the scalar conversions to and from
# float32, shared by the kernels (_kernels_narrow.pxi, which adds the
# vector forms) and the ufunc loops (which convert a parameter operand).
#
# Both are stored as uint16 bits (the C API's `uint16_t`): float16 is IEEE
# 754 binary16, numpy's float16; bfloat16 is a float32's top 16 bits
# (ml_dtypes.bfloat16). Cython sees them as two opaque types so that it can
# specialize on them (two typedefs of one integer type would be one type
# to it).

from libc.stdint cimport uint16_t

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #ifndef FA_NARROW_SCALAR
    #define FA_NARROW_SCALAR
    typedef uint16_t fa_f16_t;   /* IEEE 754 binary16 bits (numpy's float16) */
    typedef uint16_t fa_bf16_t;  /* bfloat16 bits: a float32's top 16 bits */

    static inline uint32_t fa_u32_of(float x) { uint32_t i; memcpy(&i, &x, 4); return i; }
    static inline float fa_f32_of(uint32_t i) { float x; memcpy(&x, &i, 4); return x; }

    /* binary16 -> float32 with integer operations. The exponent and
       mantissa, shifted into float32's place, are rebiased (+112); an
       infinity or NaN (exponent field 31) gets the rest of the way to 255;
       a subnormal (field 0) is rebuilt exactly as (2^-14 + m) - 2^-14, a
       difference of two normal floats (no subnormal operand). */
    static inline float fa_f16_to_f32_int(uint16_t h) {
        uint32_t em = (uint32_t)(h & 0x7fffu) << 13;
        uint32_t e = em & 0x0f800000u;
        uint32_t o = em + (112u << 23);
        uint32_t sub = fa_u32_of(fa_f32_of(o + (1u << 23)) - fa_f32_of(113u << 23));
        o = (e == 0x0f800000u) ? o + (112u << 23) : o;
        o = (e == 0) ? sub : o;
        return fa_f32_of(o | ((uint32_t)(h & 0x8000u) << 16));
    }

    /* float32 -> binary16, round to nearest even, with integer operations.
       |f| >= 65520 (after rounding, beyond the largest half) is infinity,
       a NaN a quiet NaN; |f| < 2^-14 (a subnormal or zero half) is rounded
       by the FPU: adding 0.5 leaves the half's subnormal bits at the bottom
       of the sum's mantissa (lanes outside that range add 0 instead, so the
       add raises nothing but "inexact"); normal halves add half an ulp
       minus one, plus the kept part's lowest bit, and truncate. */
    static inline uint16_t fa_f32_to_f16_int(float f) {
        uint32_t u = fa_u32_of(f);
        uint32_t sign = u & 0x80000000u;
        uint32_t a = u ^ sign;
        uint32_t tiny = a < (113u << 23);
        uint32_t sub = fa_u32_of(fa_f32_of(tiny ? a : 0u) + fa_f32_of(126u << 23)) - (126u << 23);
        uint32_t nrm = (a - (112u << 23) + 0xfffu + ((a >> 13) & 1u)) >> 13;
        uint32_t big = a > 0x7f800000u ? 0x7e00u : 0x7c00u;
        uint32_t o = a >= (143u << 23) ? big : (tiny ? sub : nrm);
        return (uint16_t)(o | (sign >> 16));
    }

    static inline float fa_bf16_to_f32(uint16_t h) { return fa_f32_of((uint32_t)h << 16); }

    static inline uint16_t fa_f32_to_bf16(float f) {
        uint32_t u = fa_u32_of(f);
        uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        uint32_t quiet_nan = (u >> 16) | 0x40u;
        return (uint16_t)(((u & 0x7fffffffu) > 0x7f800000u) ? quiet_nan : rounded);
    }
    #endif

    """
    ctypedef struct fa_f16 "fa_f16_t":
        pass
    ctypedef struct fa_bf16 "fa_bf16_t":
        pass
    float f16_to_f32 "fa_f16_to_f32_int"(uint16_t h) noexcept nogil
    uint16_t f32_to_f16 "fa_f32_to_f16_int"(float f) noexcept nogil
    float bf16_to_f32 "fa_bf16_to_f32"(uint16_t h) noexcept nogil
    uint16_t f32_to_bf16 "fa_f32_to_bf16"(float f) noexcept nogil


ctypedef fused narrow:
    fa_f16
    fa_bf16


cdef inline float narrow_to_float(const narrow *h) noexcept nogil:
    if narrow is fa_f16:
        return f16_to_f32((<const uint16_t *>h)[0])
    else:
        return bf16_to_f32((<const uint16_t *>h)[0])
