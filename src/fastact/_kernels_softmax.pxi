# Row kernels of the softmax trio. Part of _kernels.pxi.

# ---------------------------------------------------------------------------
# softmax, log_softmax, softmax_backward over the rows of a C-ordered
# (rows, cols) block. Each row is done start to finish by one call, with a
# fixed order of operations, so results never depend on how rows are split
# across threads.
#
# The elementwise passes are plain loops like the ones above. The reductions
# (row max, sums, the backward's dot product) are written in C below with
# GCC/Clang vector extensions: gcc does not vectorize a running float sum or
# max without -ffast-math (it may not reorder them), and lanes kept in a C
# array stay in memory; a vector variable stays in registers. Each vector lane
# sums its own subsequence, then the lanes are combined in a fixed order.
# Other compilers get the scalar loops.
#
# A row holding NaN is all NaN; so is a row whose max is +inf or -inf (torch
# gives NaN there: inf - inf). -inf elements of other rows give 0 (log: -inf).
#
# softmax: e_i = e^(x_i - m) (m the row max, argument <= 0, its rounding
# error carried as a first-order factor), stored as fl(e_i) in y, summed in
# double (float32) or Kahan-compensated lanes (float64); then
# y_i = e_i inv + e_i inv_lo with 1/S = inv + inv_lo (no rounding of 1/S).
# Within ~2.6 ulp (both types take the lean exp), and the row
# sums to 1 within n eps.
# log_softmax: y_i = (x_i - m) - log1p(T), T the sum of e_j over all j but
# one index of the max (whose e_j is exactly 1; each element equal to the max
# is left out of the sum and count - 1 added back exactly): log1p(T) keeps
# the low bits
# log(1 + T) would lose when the max dominates. Both terms are <= 0, so there
# is no cancellation. The exps go through a stack buffer (y may be x).
# softmax_backward: grad_in_i = y_i (g_i - sum_j g_j y_j), the dot product
# in double (float32: exact products) or compensated lanes (float64), the
# last pass in the row's own type.
# The reductions may leave the "invalid" flag set for a row holding NaN; the
# ufunc-level driver (fastact._ufuncs) restores the flags it found.


cdef extern from *:
    """
    #include <math.h>
    #if defined(__GNUC__) || defined(__clang__)
    #define FA_VEC 1
    /* 32-byte vectors: native on AVX2 and AVX-512 (VL), two halves on SSE2.
       64-byte ones are not lowered well on AVX2 (gcc takes them apart
       through the stack, at ~20x the cost). Each loop keeps four (max, the
       float64 sums) or eight (the float32 sums) independent accumulators:
       with fewer, the latency of the add or FMA chain, not the loads, sets
       the pace. The lane layout (which element each lane takes, the order
       the lanes are combined in) is fixed, the same at every tier. */
    typedef float fa_f32x8 __attribute__((vector_size(32)));
    typedef int32_t fa_i32x8 __attribute__((vector_size(32)));
    typedef double fa_f64x4 __attribute__((vector_size(32)));
    typedef int64_t fa_i64x4 __attribute__((vector_size(32)));

    /* One step of the max: vector m##j takes x[i + off ..) where greater;
       the quiet NaN test (v == v) goes first, and v > m is false for a NaN
       v, so a NaN never becomes the max; `seen` records it. */
    #define FA_MAX_STEP(VT, IT, j, off) { VT v_; memcpy(&v_, x + i + (off), sizeof v_); \
        IT num_ = (v_ == v_), up_ = (v_ > m##j) & num_; seen |= ~num_; \
        m##j = (VT)(((IT)v_ & up_) | ((IT)m##j & ~up_)); }

    /* a = the greater of a and b, lane by lane (neither holds a NaN) */
    #define FA_MAX_INTO(VT, IT, a, b) { IT up_ = (b) > (a); \
        a = (VT)(((IT)(b) & up_) | ((IT)(a) & ~up_)); }

    /* The row max on LANES-wide vectors, for n - i >= LANES: four
       accumulators while four vectors fill, then one, then the row's last
       LANES elements, which may overlap the ones before (the max and the NaN
       test do not mind seeing an element twice), so that no element is left
       to a scalar step; the accumulators end folded into m0 and seen. The
       max is exact, so the lane layout cannot change it, but for the sign of
       a zero max when the row holds both zeros: either gives the same
       results (x - m is then x for a nonzero x, +-0 with an exp of 1 for a
       zero). On float32 rows of 1000 a scalar tail and a lane-by-lane
       combine had taken two thirds of the row max's samples (perf), the row
       max a fifth of log_softmax's: this form made those rows 1.13x faster.
       Macro body shared by every vector type. */
    #define FA_ROW_MAX_V(VT, IT, LANES) \
        VT m0, m1, m2, m3; IT seen = {0}; \
        for (k = 0; k < LANES; k++) { m0[k] = -INFINITY; m1[k] = -INFINITY; m2[k] = -INFINITY; m3[k] = -INFINITY; } \
        for (; i + 4 * LANES <= n; i += 4 * LANES) { \
            FA_MAX_STEP(VT, IT, 0, 0) FA_MAX_STEP(VT, IT, 1, LANES) \
            FA_MAX_STEP(VT, IT, 2, 2 * LANES) FA_MAX_STEP(VT, IT, 3, 3 * LANES) \
        } \
        for (; i + LANES <= n; i += LANES) FA_MAX_STEP(VT, IT, 0, 0) \
        if (i < n) { i = n - LANES; FA_MAX_STEP(VT, IT, 1, 0) i = n; } \
        FA_MAX_INTO(VT, IT, m0, m1) FA_MAX_INTO(VT, IT, m2, m3) FA_MAX_INTO(VT, IT, m0, m2)

    /* The vector v (its NaN marks s) folded into h (hs) of half its width:
       the greater of its two halves, lane by lane, and their marks or-ed. */
    #define FA_FOLD_MAX(HT, IHT, h, hs, v, s) { HT b_; IHT bs_; \
        memcpy(&h, &(v), sizeof h); memcpy(&b_, (const char *)&(v) + sizeof h, sizeof h); \
        memcpy(&hs, &(s), sizeof hs); memcpy(&bs_, (const char *)&(s) + sizeof hs, sizeof hs); \
        FA_MAX_INTO(HT, IHT, h, b_) hs |= bs_; }
    typedef float fa_f32x4 __attribute__((vector_size(16)));
    typedef int32_t fa_i32x4 __attribute__((vector_size(16)));
    typedef double fa_f64x2 __attribute__((vector_size(16)));
    typedef int64_t fa_i64x2 __attribute__((vector_size(16)));

    /* Four float32 values widened to a double vector. Built from scalars,
       gcc makes this one vcvtps2pd (xmm to ymm); __builtin_convertvector
       of a 4-float vector it takes apart in halves (gcc 12). */
    #define FA_WIDEN4(p) ((fa_f64x4){(double)(p)[0], (double)(p)[1], (double)(p)[2], (double)(p)[3]})

    /* TwoSum into (s, c): s + v rounded, its error added to c. */
    #define FA_TWO_SUM_V(s, c, v) do { fa_f64x4 t_ = (s) + (v); fa_f64x4 b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)
    #endif

    #define FA_TWO_SUM(s, c, v) do { double t_ = (s) + (v); double b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)

    #if defined(FA_VEC) && defined(__AVX512F__)
    /* The AVX-512 tier runs the long-row sums and dot products below on
       64-byte vectors, each holding two of the 32-byte accumulators side by
       side (vector J = accumulators 2J and 2J+1), so that every lane does
       the same operations on the same elements in the same order as at the
       other tiers, and the lanes are combined in the same order: identical
       bits, half the instructions. */
    #define FA_WIDE 1
    typedef double fa_f64x8 __attribute__((vector_size(64)));
    #define FA_WIDEN8(p) ((fa_f64x8){(double)(p)[0], (double)(p)[1], (double)(p)[2], (double)(p)[3], \
                                     (double)(p)[4], (double)(p)[5], (double)(p)[6], (double)(p)[7]})
    #define FA_LOW4(v) ((fa_f64x4){(v)[0], (v)[1], (v)[2], (v)[3]})
    #define FA_HIGH4(v) ((fa_f64x4){(v)[4], (v)[5], (v)[6], (v)[7]})
    #define FA_TWO_SUM_V8(s, c, v) do { fa_f64x8 t_ = (s) + (v); fa_f64x8 b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)
    typedef float fa_f32x16 __attribute__((vector_size(64)));
    typedef int32_t fa_i32x16 __attribute__((vector_size(64)));
    typedef int64_t fa_i64x8 __attribute__((vector_size(64)));
    #endif

    /* Max of x[0..n) into the return value; *nan = 1 if a NaN was seen. */
    static inline float fa_row_max_f32(const float *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; float m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f32x8 m8; fa_i32x8 seen8; fa_f32x4 m4; fa_i32x4 seen4;
    #ifdef FA_WIDE
            if (n >= 16) {
                FA_ROW_MAX_V(fa_f32x16, fa_i32x16, 16)
                FA_FOLD_MAX(fa_f32x8, fa_i32x8, m8, seen8, m0, seen)
            } else
    #endif
            { FA_ROW_MAX_V(fa_f32x8, fa_i32x8, 8) m8 = m0; seen8 = seen; }
            FA_FOLD_MAX(fa_f32x4, fa_i32x4, m4, seen4, m8, seen8)
            for (k = 0; k < 4; k++) { if (m4[k] > m) m = m4[k]; any |= seen4[k] != 0; }
        }
    #endif
        for (; i < n; i++) { float v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    static inline double fa_row_max_f64(const double *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; double m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 4) {
            fa_f64x4 m4; fa_i64x4 seen4; fa_f64x2 m2; fa_i64x2 seen2;
    #ifdef FA_WIDE
            if (n >= 8) {
                FA_ROW_MAX_V(fa_f64x8, fa_i64x8, 8)
                FA_FOLD_MAX(fa_f64x4, fa_i64x4, m4, seen4, m0, seen)
            } else
    #endif
            { FA_ROW_MAX_V(fa_f64x4, fa_i64x4, 4) m4 = m0; seen4 = seen; }
            FA_FOLD_MAX(fa_f64x2, fa_i64x2, m2, seen2, m4, seen4)
            for (k = 0; k < 2; k++) { if (m2[k] > m) m = m2[k]; any |= seen2[k] != 0; }
        }
    #endif
        for (; i < n; i++) { double v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    /* Sum of float32 values in double: 32 lanes (8 vectors), then the
       lanes in order. */
    static inline double fa_row_sum_f32(const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 4) {
            fa_f64x4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    #ifdef FA_WIDE
            fa_f64x8 w0 = {0}, w1 = {0}, w2 = {0}, w3 = {0};
            for (; i + 32 <= n; i += 32) {
                w0 += FA_WIDEN8(y + i); w1 += FA_WIDEN8(y + i + 8);
                w2 += FA_WIDEN8(y + i + 16); w3 += FA_WIDEN8(y + i + 24);
            }
            a0 = FA_LOW4(w0); a1 = FA_HIGH4(w0); a2 = FA_LOW4(w1); a3 = FA_HIGH4(w1);
            a4 = FA_LOW4(w2); a5 = FA_HIGH4(w2); a6 = FA_LOW4(w3); a7 = FA_HIGH4(w3);
    #endif
            for (; i + 32 <= n; i += 32) {
                a0 += FA_WIDEN4(y + i); a1 += FA_WIDEN4(y + i + 4);
                a2 += FA_WIDEN4(y + i + 8); a3 += FA_WIDEN4(y + i + 12);
                a4 += FA_WIDEN4(y + i + 16); a5 += FA_WIDEN4(y + i + 20);
                a6 += FA_WIDEN4(y + i + 24); a7 += FA_WIDEN4(y + i + 28);
            }
            for (; i + 4 <= n; i += 4) a0 += FA_WIDEN4(y + i);
            a0 += a4; a1 += a5; a2 += a6; a3 += a7;
            a0 += a2; a1 += a3;
            a0 += a1;
            for (k = 0; k < 4; k++) s += a0[k];
        }
    #endif
        for (; i < n; i++) s += y[i];
        return s;
    }

    /* Compensated sum of doubles (Kahan-Babuska per lane): hi + *lo. */
    static inline double fa_row_sum_f64(const double *y, Py_ssize_t n, double *lo) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 4) {
            fa_f64x4 s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0}, s2 = {0}, c2 = {0}, s3 = {0}, c3 = {0};
    #ifdef FA_WIDE
            fa_f64x8 s01 = {0}, c01 = {0}, s23 = {0}, c23 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f64x8 v01, v23;
                memcpy(&v01, y + i, sizeof v01); memcpy(&v23, y + i + 8, sizeof v23);
                FA_TWO_SUM_V8(s01, c01, v01); FA_TWO_SUM_V8(s23, c23, v23);
            }
            s0 = FA_LOW4(s01); s1 = FA_HIGH4(s01); s2 = FA_LOW4(s23); s3 = FA_HIGH4(s23);
            c0 = FA_LOW4(c01); c1 = FA_HIGH4(c01); c2 = FA_LOW4(c23); c3 = FA_HIGH4(c23);
    #endif
            for (; i + 16 <= n; i += 16) {
                fa_f64x4 v0, v1, v2, v3;
                memcpy(&v0, y + i, sizeof v0); memcpy(&v1, y + i + 4, sizeof v1);
                memcpy(&v2, y + i + 8, sizeof v2); memcpy(&v3, y + i + 12, sizeof v3);
                FA_TWO_SUM_V(s0, c0, v0); FA_TWO_SUM_V(s1, c1, v1);
                FA_TWO_SUM_V(s2, c2, v2); FA_TWO_SUM_V(s3, c3, v3);
            }
            for (; i + 4 <= n; i += 4) {
                fa_f64x4 v0; memcpy(&v0, y + i, sizeof v0);
                FA_TWO_SUM_V(s0, c0, v0);
            }
            for (k = 0; k < 4; k++) {
                FA_TWO_SUM(s, c, s0[k]); c += c0[k];
                FA_TWO_SUM(s, c, s1[k]); c += c1[k];
                FA_TWO_SUM(s, c, s2[k]); c += c2[k];
                FA_TWO_SUM(s, c, s3[k]); c += c3[k];
            }
        }
    #endif
        for (; i < n; i++) FA_TWO_SUM(s, c, y[i]);
        *lo = c;
        return s;
    }

    /* sum g_i y_i: exact float32 products summed in double, 32 lanes. */
    static inline double fa_row_dot_f32(const float *g, const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 4) {
            fa_f64x4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
    #ifdef FA_WIDE
            fa_f64x8 w0 = {0}, w1 = {0}, w2 = {0}, w3 = {0};
            for (; i + 32 <= n; i += 32) {
                w0 += FA_WIDEN8(g + i) * FA_WIDEN8(y + i);
                w1 += FA_WIDEN8(g + i + 8) * FA_WIDEN8(y + i + 8);
                w2 += FA_WIDEN8(g + i + 16) * FA_WIDEN8(y + i + 16);
                w3 += FA_WIDEN8(g + i + 24) * FA_WIDEN8(y + i + 24);
            }
            a0 = FA_LOW4(w0); a1 = FA_HIGH4(w0); a2 = FA_LOW4(w1); a3 = FA_HIGH4(w1);
            a4 = FA_LOW4(w2); a5 = FA_HIGH4(w2); a6 = FA_LOW4(w3); a7 = FA_HIGH4(w3);
    #endif
            for (; i + 32 <= n; i += 32) {
                a0 += FA_WIDEN4(g + i) * FA_WIDEN4(y + i);
                a1 += FA_WIDEN4(g + i + 4) * FA_WIDEN4(y + i + 4);
                a2 += FA_WIDEN4(g + i + 8) * FA_WIDEN4(y + i + 8);
                a3 += FA_WIDEN4(g + i + 12) * FA_WIDEN4(y + i + 12);
                a4 += FA_WIDEN4(g + i + 16) * FA_WIDEN4(y + i + 16);
                a5 += FA_WIDEN4(g + i + 20) * FA_WIDEN4(y + i + 20);
                a6 += FA_WIDEN4(g + i + 24) * FA_WIDEN4(y + i + 24);
                a7 += FA_WIDEN4(g + i + 28) * FA_WIDEN4(y + i + 28);
            }
            for (; i + 4 <= n; i += 4) a0 += FA_WIDEN4(g + i) * FA_WIDEN4(y + i);
            a0 += a4; a1 += a5; a2 += a6; a3 += a7;
            a0 += a2; a1 += a3;
            a0 += a1;
            for (k = 0; k < 4; k++) s += a0[k];
        }
    #endif
        for (; i < n; i++) s += (double)g[i] * (double)y[i];
        return s;
    }

    /* sum g_i y_i in float64: rounded products, compensated sum, 16 lanes. */
    static inline double fa_row_dot_f64(const double *g, const double *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 4) {
            fa_f64x4 s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0}, s2 = {0}, c2 = {0}, s3 = {0}, c3 = {0};
            #define FA_DOT_STEP(j, off) { fa_f64x4 a_, b_, v_; memcpy(&a_, g + i + (off), sizeof a_); \
                memcpy(&b_, y + i + (off), sizeof b_); v_ = a_ * b_; FA_TWO_SUM_V(s##j, c##j, v_); }
    #ifdef FA_WIDE
            fa_f64x8 s01 = {0}, c01 = {0}, s23 = {0}, c23 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f64x8 a01, b01, a23, b23, v01, v23;
                memcpy(&a01, g + i, sizeof a01); memcpy(&b01, y + i, sizeof b01);
                memcpy(&a23, g + i + 8, sizeof a23); memcpy(&b23, y + i + 8, sizeof b23);
                v01 = a01 * b01; v23 = a23 * b23;
                FA_TWO_SUM_V8(s01, c01, v01); FA_TWO_SUM_V8(s23, c23, v23);
            }
            s0 = FA_LOW4(s01); s1 = FA_HIGH4(s01); s2 = FA_LOW4(s23); s3 = FA_HIGH4(s23);
            c0 = FA_LOW4(c01); c1 = FA_HIGH4(c01); c2 = FA_LOW4(c23); c3 = FA_HIGH4(c23);
    #endif
            for (; i + 16 <= n; i += 16) {
                FA_DOT_STEP(0, 0) FA_DOT_STEP(1, 4) FA_DOT_STEP(2, 8) FA_DOT_STEP(3, 12)
            }
            for (; i + 4 <= n; i += 4) FA_DOT_STEP(0, 0)
            for (k = 0; k < 4; k++) {
                FA_TWO_SUM(s, c, s0[k]); c += c0[k];
                FA_TWO_SUM(s, c, s1[k]); c += c1[k];
                FA_TWO_SUM(s, c, s2[k]); c += c2[k];
                FA_TWO_SUM(s, c, s3[k]); c += c3[k];
            }
        }
    #endif
        for (; i < n; i++) { double v = g[i] * y[i]; FA_TWO_SUM(s, c, v); }
        /* Once the sum overflows, the compensation is inf - inf = NaN: the
           sum is then +-inf (or NaN) as the plain sum is, which the
           reference's -inf results follow from. */
        return isfinite(s) ? s + c : s;
    }

    /* inv[l] + inv_lo[l] = 1 / s[l] to ~2^-48 (as inverse() for a float32
       row). gcc 12 at the avx512 tier vectorizes this loop as V8DF -> V8SF
       -> V8DF and then drops the round trip (its conversion rule compares
       the vector types' precisions, which are their lane counts): inv_lo
       came out 0, and the short rows 1 ulp off. The empty asm hides h's
       origin from the optimizer; the loop runs scalar (8 divisions per 8
       rows). */
    static inline void fa_lanes_inv_f32(const double *s, float *inv, float *inv_lo) {
        int l;
        for (l = 0; l < 8; l++) {
            double q = 1.0 / s[l];
            float h = (float)q;
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
            __asm__("" : "+x"(h));
    #elif defined(__GNUC__)
            __asm__("" : "+g"(h));
    #endif
            inv[l] = h;
            inv_lo[l] = (float)(q - (double)h);
        }
    }

    /* The lane kernels' reductions: 8 rows side by side, element j of row l
       at [8 j + l]; each lane reduced in element order (so a lane's result
       is the same whichever lanes are beside it). Float32 sums in double,
       float64 sums TwoSum-compensated (hi in s, lo in lo). */

    /* m[l] = max of lane l, NaN left out; seen[l] = 1 if lane l holds NaN. */
    static inline void fa_lanes_max_f32(const float *xt, Py_ssize_t n, float *m, int *seen) {
        Py_ssize_t j; int l;
    #ifdef FA_VEC
        fa_f32x8 v, mv; fa_i32x8 sv = {0};
        for (l = 0; l < 8; l++) mv[l] = -INFINITY;
        for (j = 0; j < n; j++) {
            memcpy(&v, xt + 8 * j, sizeof v);
            fa_i32x8 up = (v > mv); sv |= ~(v == v);
            mv = (fa_f32x8)(((fa_i32x8)v & up) | ((fa_i32x8)mv & ~up));
        }
        for (l = 0; l < 8; l++) { m[l] = mv[l]; seen[l] = sv[l] != 0; }
    #else
        for (l = 0; l < 8; l++) { m[l] = -INFINITY; seen[l] = 0; }
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++) {
            float v = xt[8 * j + l]; if (v != v) seen[l] = 1; else if (v > m[l]) m[l] = v; }
    #endif
    }

    static inline void fa_lanes_max_f64(const double *xt, Py_ssize_t n, double *m, int *seen) {
        Py_ssize_t j; int l;
    #ifdef FA_VEC
        fa_f64x4 v0, v1, m0, m1; fa_i64x4 s0 = {0}, s1 = {0};
        for (l = 0; l < 4; l++) { m0[l] = -INFINITY; m1[l] = -INFINITY; }
        for (j = 0; j < n; j++) {
            memcpy(&v0, xt + 8 * j, sizeof v0); memcpy(&v1, xt + 8 * j + 4, sizeof v1);
            fa_i64x4 up0 = (v0 > m0), up1 = (v1 > m1);
            s0 |= ~(v0 == v0); s1 |= ~(v1 == v1);
            m0 = (fa_f64x4)(((fa_i64x4)v0 & up0) | ((fa_i64x4)m0 & ~up0));
            m1 = (fa_f64x4)(((fa_i64x4)v1 & up1) | ((fa_i64x4)m1 & ~up1));
        }
        for (l = 0; l < 4; l++) {
            m[l] = m0[l]; m[l + 4] = m1[l]; seen[l] = s0[l] != 0; seen[l + 4] = s1[l] != 0; }
    #else
        for (l = 0; l < 8; l++) { m[l] = -INFINITY; seen[l] = 0; }
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++) {
            double v = xt[8 * j + l]; if (v != v) seen[l] = 1; else if (v > m[l]) m[l] = v; }
    #endif
    }

    /* s[l] = sum of lane l of e; with a mask (m given), the elements whose x
       equals m[l] are left out and *extra[l] = their count - 1. */
    static inline void fa_lanes_sum_f32(const float *xt, const float *e, Py_ssize_t n,
                                        const float *m, double *s, double *lo, double *extra) {
        Py_ssize_t j; int l;
    #ifdef FA_VEC
        fa_f32x8 v, ev, mv; fa_i32x8 count = {0}, eq = {0};
        fa_f64x4 a = {0}, b = {0};
        if (m) memcpy(&mv, m, sizeof mv);
        for (j = 0; j < n; j++) {
            memcpy(&ev, e + 8 * j, sizeof ev);
            if (m) {
                memcpy(&v, xt + 8 * j, sizeof v);
                eq = (v == mv); count -= eq;
                ev = (fa_f32x8)((fa_i32x8)ev & ~eq);
            }
            a += (fa_f64x4){ev[0], ev[1], ev[2], ev[3]};
            b += (fa_f64x4){ev[4], ev[5], ev[6], ev[7]};
        }
        for (l = 0; l < 4; l++) { s[l] = a[l]; s[l + 4] = b[l]; }
        for (l = 0; l < 8; l++) lo[l] = 0;     /* plenty for float32 without one */
        if (m) for (l = 0; l < 8; l++) extra[l] = (double)count[l] - 1;
    #else
        for (l = 0; l < 8; l++) { s[l] = 0; lo[l] = 0; if (m) extra[l] = -1; }
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++) {
            if (m && xt[8 * j + l] == m[l]) extra[l] += 1; else s[l] += e[8 * j + l]; }
    #endif
    }

    static inline void fa_lanes_sum_f64(const double *xt, const double *e, Py_ssize_t n,
                                        const double *m, double *s, double *lo, double *extra) {
        Py_ssize_t j; int l;
    #ifdef FA_VEC
        fa_f64x4 v0, v1, e0, e1, m0 = {0}, m1 = {0}, s0 = {0}, s1 = {0}, c0 = {0}, c1 = {0};
        fa_i64x4 count0 = {0}, count1 = {0}, eq0, eq1;
        if (m) { memcpy(&m0, m, sizeof m0); memcpy(&m1, m + 4, sizeof m1); }
        for (j = 0; j < n; j++) {
            memcpy(&e0, e + 8 * j, sizeof e0); memcpy(&e1, e + 8 * j + 4, sizeof e1);
            if (m) {
                memcpy(&v0, xt + 8 * j, sizeof v0); memcpy(&v1, xt + 8 * j + 4, sizeof v1);
                eq0 = (v0 == m0); eq1 = (v1 == m1); count0 -= eq0; count1 -= eq1;
                e0 = (fa_f64x4)((fa_i64x4)e0 & ~eq0); e1 = (fa_f64x4)((fa_i64x4)e1 & ~eq1);
            }
            FA_TWO_SUM_V(s0, c0, e0); FA_TWO_SUM_V(s1, c1, e1);
        }
        for (l = 0; l < 4; l++) { s[l] = s0[l]; s[l + 4] = s1[l]; lo[l] = c0[l]; lo[l + 4] = c1[l]; }
        if (m) for (l = 0; l < 4; l++) {
            extra[l] = (double)count0[l] - 1; extra[l + 4] = (double)count1[l] - 1; }
    #else
        for (l = 0; l < 8; l++) { s[l] = 0; lo[l] = 0; if (m) extra[l] = -1; }
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++) {
            if (m && xt[8 * j + l] == m[l]) extra[l] += 1;
            else FA_TWO_SUM(s[l], lo[l], e[8 * j + l]); }
    #endif
    }

    /* dot[l] = sum over j of g[8 j + l] y[8 j + l]: float32 exact products
       summed in double; float64 rounded products, TwoSum-compensated, as
       fa_row_dot_f64 (hi + lo once the sum is finite). */
    static inline void fa_lanes_dot_f32(const float *g, const float *y, Py_ssize_t n, double *dot) {
        Py_ssize_t j; int l;
    #ifdef FA_VEC
        fa_f64x4 a = {0}, b = {0};
        for (j = 0; j < n; j++) {
            a += FA_WIDEN4(g + 8 * j) * FA_WIDEN4(y + 8 * j);
            b += FA_WIDEN4(g + 8 * j + 4) * FA_WIDEN4(y + 8 * j + 4);
        }
        for (l = 0; l < 4; l++) { dot[l] = a[l]; dot[l + 4] = b[l]; }
    #else
        for (l = 0; l < 8; l++) dot[l] = 0;
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++)
            dot[l] += (double)g[8 * j + l] * (double)y[8 * j + l];
    #endif
    }

    static inline void fa_lanes_dot_f64(const double *g, const double *y, Py_ssize_t n, double *dot) {
        Py_ssize_t j; int l; double s[8], c[8];
    #ifdef FA_VEC
        fa_f64x4 s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0};
        for (j = 0; j < n; j++) {
            fa_f64x4 a0, a1, b0, b1, v0, v1;
            memcpy(&a0, g + 8 * j, sizeof a0); memcpy(&a1, g + 8 * j + 4, sizeof a1);
            memcpy(&b0, y + 8 * j, sizeof b0); memcpy(&b1, y + 8 * j + 4, sizeof b1);
            v0 = a0 * b0; v1 = a1 * b1;
            FA_TWO_SUM_V(s0, c0, v0); FA_TWO_SUM_V(s1, c1, v1);
        }
        for (l = 0; l < 4; l++) { s[l] = s0[l]; s[l + 4] = s1[l]; c[l] = c0[l]; c[l + 4] = c1[l]; }
    #else
        for (l = 0; l < 8; l++) { s[l] = 0; c[l] = 0; }
        for (j = 0; j < n; j++) for (l = 0; l < 8; l++) {
            double v = g[8 * j + l] * y[8 * j + l]; FA_TWO_SUM(s[l], c[l], v); }
    #endif
        for (l = 0; l < 8; l++) dot[l] = isfinite(s[l]) ? s[l] + c[l] : s[l];
    }
    """
    float row_max_f32 "fa_row_max_f32"(const float *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_max_f64 "fa_row_max_f64"(const double *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_sum_f32 "fa_row_sum_f32"(const float *y, Py_ssize_t n) noexcept nogil
    double row_sum_f64 "fa_row_sum_f64"(const double *y, Py_ssize_t n, double *lo) noexcept nogil
    double row_dot_f32 "fa_row_dot_f32"(const float *g, const float *y, Py_ssize_t n) noexcept nogil
    double row_dot_f64 "fa_row_dot_f64"(const double *g, const double *y, Py_ssize_t n) noexcept nogil
    void lanes_max_f32 "fa_lanes_max_f32"(const float *xt, Py_ssize_t n, float *m, int *seen) noexcept nogil
    void lanes_max_f64 "fa_lanes_max_f64"(const double *xt, Py_ssize_t n, double *m, int *seen) noexcept nogil
    void lanes_sum_f32 "fa_lanes_sum_f32"(const float *xt, const float *e, Py_ssize_t n,
                                          const float *m, double *s, double *lo,
                                          double *extra) noexcept nogil
    void lanes_sum_f64 "fa_lanes_sum_f64"(const double *xt, const double *e, Py_ssize_t n,
                                          const double *m, double *s, double *lo,
                                          double *extra) noexcept nogil
    void lanes_dot_f32 "fa_lanes_dot_f32"(const float *g, const float *y, Py_ssize_t n,
                                          double *dot) noexcept nogil
    void lanes_dot_f64 "fa_lanes_dot_f64"(const double *g, const double *y, Py_ssize_t n,
                                          double *dot) noexcept nogil
    void lanes_inv_f32 "fa_lanes_inv_f32"(const double *s, float *inv, float *inv_lo) noexcept nogil


from libc.math cimport INFINITY
from libc.stdint cimport uint64_t


cdef enum:
    EXP_CHUNK = 1024     # log_softmax's stack buffer of exps, elements
    # Rows of up to SHORT_ROW elements go ROW_LANES at a time through the
    # lane kernels below, one row per vector lane: a row of 10 would
    # otherwise run one vector step and a scalar tail in every pass, and the
    # reductions' lane combining and the log1p would be paid once per row.
    SHORT_ROW = 32
    ROW_LANES = 8


cdef inline bint row_max(const real *x, Py_ssize_t n, real *m) noexcept nogil:
    """The row max into *m; True when the row holds NaN."""
    cdef int nan = 0
    if real is float:
        m[0] = row_max_f32(x, n, &nan)
    else:
        m[0] = row_max_f64(x, n, &nan)
    return nan != 0


cdef inline double row_sum(const real *y, Py_ssize_t n) noexcept nogil:
    cdef double lo
    if real is float:
        return row_sum_f32(y, n)
    else:
        return row_sum_f64(y, n, &lo) + lo


cdef inline real exp_shifted(real v, real m) noexcept nogil:
    """e^(v - m) for v <= m, both non-NaN, m finite; 0 where that is below
    half the smallest subnormal.

    v - m is rounded; its error a_lo (TwoSum) would cost |v - m| * a_lo
    relative error in e^(v - m), up to ~15 ulp for |v - m| ~ 30. So
    e^(a + a_lo) = e^a (1 + a_lo). Both types take the lean exp (within
    1 ulp; the result within ~1.5 ulp, at about half the operations of the
    exp with a low part), scaled so that it is always normal, then scaled
    back by a power of 2: the one rounding into the subnormal range. For
    float64 that took softmax's max error from 1.50 to 2.19 ulp (baseline
    1.78 to 2.56; bound 4) and a fifth off its time; log_softmax's stays
    1.27 (its sum is compensated and the log absorbs the exps' errors).
    check_vectorization still finds mish_backward and gelu_tanh vectorized
    at the avx2 tier (an earlier layout with more call sites of the lean
    float64 exp made gcc 12 stop inlining it there)."""
    cdef real lowest
    cdef float unscale_f32 = 5.9604644775390625e-8        # 2^-24
    cdef double unscale_f64 = 8.673617379884035472e-19    # 2^-60
    cdef real hi
    if real is float:
        lowest = -104
    else:
        lowest = -746
    cdef real a = v - m
    cdef bint far = not (a > lowest)      # far below the max, or -inf
    cdef real vs = m if far else v         # keeps the TwoSum finite; a_lo = 0 there
    cdef real a2 = vs - m
    cdef real bp = a2 - vs
    cdef real a_lo = (vs - (a2 - bp)) + (-m - bp)
    a = lowest if far else a2
    if real is float:
        hi = exp_lean_scaled_f32(a)
        return (hi + hi * a_lo) * unscale_f32
    else:
        hi = exp_lean_scaled_f64(a)
        return (hi + hi * a_lo) * unscale_f64


cdef inline double log1p_nonneg(double t, double t_lo) noexcept nogil:
    """log(1 + t + t_lo) for finite t >= 0 and a small correction t_lo, within
    ~1 ulp, branch-free so that a loop of them vectorizes (glibc's log1p is a
    call per row: a third of the time of log_softmax on rows of 10).
    1 + t + t_lo = u + c (TwoSum, and t_lo), u = 2^k mu with mu in
    [sqrt(1/2), sqrt(2)) read off the bits, f = mu - 1, and
    log(1 + t) = k ln2 + log(mu) + c/u, where log(mu) = 2 atanh(s),
    s = f / (2 + f), as f - (f^2/2 - s (f^2/2 + R(s^2))) (as in log1p_unit,
    the small terms summed first)."""
    cdef double one = 1, two = 2, half = 0.5
    cdef double ln2_hi = 6.93147180369123816490e-01   # 32 bits: k * ln2_hi is exact
    cdef double ln2_lo = 1.90821492927058770002e-10
    cdef double two52_bias = 4503599627371519.0       # 2^52 + 1023
    cdef double u = one + t
    cdef double b = u - one
    cdef double c = ((one - (u - b)) + (t - b)) + t_lo
    # Adding sqrt(2)'s mantissa complement carries into the exponent field
    # exactly when u's mantissa is >= sqrt(2): the field is then k + 1023.
    cdef uint64_t bits = <uint64_t>f64_bits(u)
    cdef uint64_t field = (bits + <uint64_t>0x00095f619980c433ULL) >> 52
    cdef double mu = bits_f64(<int64_t>(bits - ((field - 1023) << 52)))
    # k as a double without a 64-bit integer conversion (AVX2 has none)
    cdef double k = bits_f64(<int64_t>(<uint64_t>0x4330000000000000ULL + field)) - two52_bias
    cdef double f = mu - one                 # exact (Sterbenz)
    cdef double s = f / (two + f)
    cdef double z = s * s
    cdef double hfsq = half * f * f
    cdef double small = s * (hfsq + z * log1p_r_f64(z)) + (k * ln2_lo + c / u)
    return k * ln2_hi + (f - (hfsq - small))


cdef void exps_into(const real *x, real *e, Py_ssize_t n, real m) noexcept nogil:
    """e[i] = e^(x[i] - m), a plain loop (e may be x). Not inline, and the
    only caller of exp_shifted: each call site of an exp adds to gcc's
    (12) estimate of the unit's growth, past which it stops inlining the
    exps into the other kernels' loops."""
    cdef Py_ssize_t i
    for i in range(n):
        e[i] = exp_shifted(x[i], m)


cdef int32_t exps_but_max_into(const real *x, real *e, Py_ssize_t n, real m) noexcept nogil:
    """e[i] = e^(x[i] - m), but 0 where x[i] == m; returns how many those
    are (log_softmax's sum leaves them out). One pass: a separate masking
    loop read x and e again, ~6% of a float64 long row. Not inline, for the
    reason given at exps_into."""
    cdef Py_ssize_t i
    cdef int32_t count = 0
    cdef real zero = 0
    cdef bint is_max
    cdef real v
    for i in range(n):
        is_max = x[i] == m          # quiet compare
        count += is_max
        v = exp_shifted(x[i], m)
        e[i] = zero if is_max else v
    return count


cdef inline void fill_row(real *y, Py_ssize_t n, real v) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = v


cdef inline real inverse(const real *y, Py_ssize_t n, real *inv) noexcept nogil:
    """1 / sum(y) (a sum >= 1) as *inv + the returned low part."""
    cdef double one_d = 1, s, lo, q, r, p_lo
    if real is float:
        q = one_d / row_sum_f32(y, n)        # within 2^-53: plenty for two floats
        inv[0] = <float>q
        return <float>(q - <double>inv[0])
    else:
        s = row_sum_f64(y, n, &lo)
        q = s + lo                             # Fast2Sum: |lo| is far below s
        lo = lo - (q - s)
        inv[0] = one_d / q
        # 1 - q inv exactly (q inv is within an ulp of 1), less lo inv
        s = two_prod(q, inv[0], &p_lo)
        r = ((one_d - s) - p_lo) - lo * inv[0]
        return r * inv[0]


cdef void softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real m, inv, inv_lo
    if n == 0:
        return
    cdef bint nan = row_max(x, n, &m)
    if nan or is_inf(m):
        fill_row(y, n, nan_of(m))
        return
    exps_into(x, y, n, m)
    # 1/S as inv + inv_lo: y_i inv + y_i inv_lo (one FMA where the tier has
    # it) leaves out the rounding of 1/S, half an ulp of every element.
    inv_lo = inverse(y, n, &inv)
    for i in range(n):
        y[i] = y[i] * inv + y[i] * inv_lo


cdef void log_softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef real buf[EXP_CHUNK]
    cdef Py_ssize_t i, start, m_len, count = 0
    cdef real m
    cdef double t = 0, t_c = 0, part, b, tt, log_s
    if n == 0:
        return
    cdef bint nan = row_max(x, n, &m)
    if nan or is_inf(m):
        fill_row(y, n, nan_of(m))
        return
    # Every element equal to the max contributes exactly 1: leave them all
    # out of the float sum and add (count - 1) back exactly, which is the
    # sum over all but one of them.
    start = 0
    while start < n:
        m_len = min(<Py_ssize_t>EXP_CHUNK, n - start)
        count += exps_but_max_into(x + start, buf, m_len, m)
        part = row_sum(buf, m_len)
        tt = t + part                        # TwoSum of the chunk sums
        b = tt - t
        t_c += (t - (tt - b)) + (part - b)
        t = tt
        start += m_len
    part = two_sum(t, <double>(count - 1), &b)
    log_s = log1p_nonneg(part, b + t_c)
    # Both terms are <= 0: each rounding is at most half an ulp of the result
    cdef real log_s_r = <real>log_s
    for i in range(n):
        y[i] = (x[i] - m) - log_s_r


cdef void softmax_backward_row(const real *g, const real *y, real *out,
                               Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real dot_r
    if real is float:
        dot_r = <float>row_dot_f32(g, y, n)
    else:
        dot_r = row_dot_f64(g, y, n)
    for i in range(n):
        out[i] = y[i] * (g[i] - dot_r)


# ---------------------------------------------------------------------------
# Short rows (cols <= SHORT_ROW), ROW_LANES rows at a time: the group is
# copied transposed into xt (xt[j * ROW_LANES + l] = element j of the
# group's row l), so that every step below is one loop over the lanes, which
# gcc vectorizes, with one row per lane. A group short of ROW_LANES rows
# repeats its last row in the spare lanes (their results are dropped). Each
# row's result depends on its own elements only, whatever group, thread or
# position it lands in; the narrow rows (one row per call) get the same bits.
# The sums run in element order per lane (float32: in double; float64:
# TwoSum-compensated) and the formulas are those of the row kernels above.


cdef inline void gather_rows(const real *x, Py_ssize_t r0, Py_ssize_t rows, Py_ssize_t n,
                             real *xt) noexcept nogil:
    cdef Py_ssize_t j, r
    cdef int l
    cdef const real *p
    for l in range(ROW_LANES):
        r = r0 + l
        if r >= rows:
            r = rows - 1
        p = x + r * n
        for j in range(n):
            xt[j * ROW_LANES + l] = p[j]


cdef inline bint lanes_max(real *xt, Py_ssize_t n, real *m, bint *bad) noexcept nogil:
    """m[l] = max of lane l. bad[l]: the row holds NaN or its max is +-inf (it
    will be all NaN); such lanes are set to 0 (m and elements) so that the
    exps see finite arguments <= 0. Returns whether any lane is bad."""
    cdef Py_ssize_t j
    cdef int l
    cdef real zero = 0
    cdef int seen[ROW_LANES]
    cdef bint any_bad = False
    if real is float:
        lanes_max_f32(xt, n, m, seen)
    else:
        lanes_max_f64(xt, n, m, seen)
    for l in range(ROW_LANES):
        bad[l] = seen[l] != 0 or is_inf(m[l])
        any_bad = any_bad or bad[l]
    if any_bad:
        for l in range(ROW_LANES):
            if bad[l]:
                m[l] = zero
                for j in range(n):
                    xt[j * ROW_LANES + l] = zero
    return any_bad


cdef void exps_lanes(const real *xt, real *et, Py_ssize_t n, const real *m) noexcept nogil:
    """et[j, l] = e^(xt[j, l] - m[l]). Not inline, for the reason given at
    exps_into: the lane kernels' one call site of exp_shifted."""
    cdef Py_ssize_t j
    cdef int l
    for j in range(n):
        for l in range(ROW_LANES):
            et[j * ROW_LANES + l] = exp_shifted(xt[j * ROW_LANES + l], m[l])


cdef void softmax_short(const real *x, real *y, Py_ssize_t rows, Py_ssize_t n) noexcept nogil:
    cdef real xt[SHORT_ROW * ROW_LANES]
    cdef real m[ROW_LANES]
    cdef real inv[ROW_LANES]
    cdef real inv_lo[ROW_LANES]
    cdef bint bad[ROW_LANES]
    cdef double s[ROW_LANES]
    cdef double s_lo[ROW_LANES]
    cdef double one_d = 1, q, lo, p, p_lo
    cdef Py_ssize_t r0, j
    cdef int l, count
    cdef real *yr
    r0 = 0
    while r0 < rows:
        gather_rows(x, r0, rows, n, xt)
        lanes_max(xt, n, m, bad)
        exps_lanes(xt, xt, n, m)
        if real is float:
            lanes_sum_f32(xt, xt, n, NULL, s, s_lo, NULL)
        else:
            lanes_sum_f64(xt, xt, n, NULL, s, s_lo, NULL)
        # 1/S as inv + inv_lo, as in inverse()
        if real is float:
            lanes_inv_f32(s, inv, inv_lo)
        else:
            for l in range(ROW_LANES):
                q = s[l] + s_lo[l]
                lo = s_lo[l] - (q - s[l])
                inv[l] = one_d / q
                p = two_prod(q, <double>inv[l], &p_lo)
                inv_lo[l] = (((one_d - p) - p_lo) - lo * inv[l]) * inv[l]
        count = <int>min(<Py_ssize_t>ROW_LANES, rows - r0)
        for l in range(count):
            yr = y + (r0 + l) * n
            if bad[l]:
                fill_row(yr, n, nan_of(m[l]))
                continue
            for j in range(n):
                yr[j] = xt[j * ROW_LANES + l] * inv[l] + xt[j * ROW_LANES + l] * inv_lo[l]
        r0 += ROW_LANES


cdef void log_softmax_short(const real *x, real *y, Py_ssize_t rows, Py_ssize_t n) noexcept nogil:
    cdef real xt[SHORT_ROW * ROW_LANES]
    cdef real et[SHORT_ROW * ROW_LANES]
    cdef real m[ROW_LANES]
    cdef real log_s[ROW_LANES]
    cdef bint bad[ROW_LANES]
    cdef double s[ROW_LANES]
    cdef double s_lo[ROW_LANES]
    cdef double extra[ROW_LANES]
    cdef double t, t_lo
    cdef Py_ssize_t r0, j
    cdef int l, count
    cdef const real *xr
    cdef real *yr
    r0 = 0
    while r0 < rows:
        gather_rows(x, r0, rows, n, xt)
        lanes_max(xt, n, m, bad)
        exps_lanes(xt, et, n, m)
        # As log_softmax_row: the elements equal to the max are left out of
        # the sum and (count - 1) added back exactly.
        if real is float:
            lanes_sum_f32(xt, et, n, m, s, s_lo, extra)
        else:
            lanes_sum_f64(xt, et, n, m, s, s_lo, extra)
        for l in range(ROW_LANES):
            t = two_sum(s[l], extra[l], &t_lo)
            log_s[l] = <real>log1p_nonneg(t, t_lo + s_lo[l])
        count = <int>min(<Py_ssize_t>ROW_LANES, rows - r0)
        for l in range(count):
            xr = x + (r0 + l) * n
            yr = y + (r0 + l) * n
            if bad[l]:
                fill_row(yr, n, nan_of(m[l]))
                continue
            for j in range(n):
                yr[j] = (xr[j] - m[l]) - log_s[l]
        r0 += ROW_LANES


cdef void softmax_backward_short(const real *g, const real *y, real *out, Py_ssize_t rows,
                                 Py_ssize_t n) noexcept nogil:
    cdef real gt[SHORT_ROW * ROW_LANES]
    cdef real yt[SHORT_ROW * ROW_LANES]
    cdef double dot[ROW_LANES]
    cdef real dot_r
    cdef Py_ssize_t r0, j
    cdef int l, count
    cdef const real *gr
    cdef const real *yr
    cdef real *outr
    r0 = 0
    while r0 < rows:
        gather_rows(g, r0, rows, n, gt)
        gather_rows(y, r0, rows, n, yt)
        if real is float:
            lanes_dot_f32(gt, yt, n, dot)
        else:
            lanes_dot_f64(gt, yt, n, dot)
        count = <int>min(<Py_ssize_t>ROW_LANES, rows - r0)
        for l in range(count):
            gr = g + (r0 + l) * n
            yr = y + (r0 + l) * n
            outr = out + (r0 + l) * n
            dot_r = <real>dot[l]
            for j in range(n):
                outr[j] = yr[j] * (gr[j] - dot_r)
        r0 += ROW_LANES


cdef void k_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    if 0 < cols <= SHORT_ROW:
        softmax_short(x, y, rows, cols)
        return
    for r in range(rows):
        softmax_row(x + r * cols, y + r * cols, cols)


cdef void k_log_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    if 0 < cols <= SHORT_ROW:
        log_softmax_short(x, y, rows, cols)
        return
    for r in range(rows):
        log_softmax_row(x + r * cols, y + r * cols, cols)


cdef void k_softmax_backward(const real *g, const real *y, real *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    # float64 only: the row kernel's float32 dot combines its lanes in a few
    # vector adds and beats the lanes' gathers at every short length
    # (0.96 against 1.32 ns/element on rows of 10), while the float64 one
    # pays 16 scalar TwoSums per row (3.6 against 1.5).
    if real is double and 0 < cols <= SHORT_ROW:
        softmax_backward_short(g, y, out, rows, cols)
        return
    for r in range(rows):
        softmax_backward_row(g + r * cols, y + r * cols, out + r * cols, cols)
