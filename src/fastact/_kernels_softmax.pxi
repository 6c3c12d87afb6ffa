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
# error carried into the low part), stored as fl(e_i) in y, summed in double
# (float32) or Kahan-compensated lanes (float64); then y_i *= 1/S. Within
# ~2 ulp, and the row sums to 1 within n eps.
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
       through the stack, at ~20x the cost). The lane layout (which element
       each lane sums, and the order the lanes are combined in) is fixed: 16
       float32 lanes or 8 float64 lanes, two vectors (or four) side by side. */
    typedef float fa_f32x8 __attribute__((vector_size(32)));
    typedef float fa_f32x4 __attribute__((vector_size(16)));
    typedef int32_t fa_i32x8 __attribute__((vector_size(32)));
    typedef double fa_f64x4 __attribute__((vector_size(32)));
    typedef int64_t fa_i64x4 __attribute__((vector_size(32)));
    #endif

    /* Max of x[0..n) into the return value; *nan = 1 if a NaN was seen.
       The quiet NaN test (v == v) goes first; v > m is then false for a
       NaN v, so a NaN never becomes the max. */
    static inline float fa_row_max_f32(const float *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; float m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f32x8 m0, m1; fa_i32x8 seen = {0};
            for (k = 0; k < 8; k++) { m0[k] = -INFINITY; m1[k] = -INFINITY; }
            for (; i + 16 <= n; i += 16) {
                fa_f32x8 v0, v1; memcpy(&v0, x + i, sizeof v0); memcpy(&v1, x + i + 8, sizeof v1);
                fa_i32x8 num0 = (v0 == v0), num1 = (v1 == v1);
                fa_i32x8 up0 = (v0 > m0) & num0, up1 = (v1 > m1) & num1;
                seen |= ~(num0 & num1);
                m0 = (fa_f32x8)(((fa_i32x8)v0 & up0) | ((fa_i32x8)m0 & ~up0));
                m1 = (fa_f32x8)(((fa_i32x8)v1 & up1) | ((fa_i32x8)m1 & ~up1));
            }
            for (k = 0; k < 8; k++) { if (m0[k] > m) m = m0[k]; any |= seen[k] != 0; }
            for (k = 0; k < 8; k++) { if (m1[k] > m) m = m1[k]; }
        }
    #endif
        for (; i < n; i++) { float v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    static inline double fa_row_max_f64(const double *x, Py_ssize_t n, int *nan) {
        Py_ssize_t i = 0; int k, any = 0; double m = -INFINITY;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x4 m0, m1; fa_i64x4 seen = {0};
            for (k = 0; k < 4; k++) { m0[k] = -INFINITY; m1[k] = -INFINITY; }
            for (; i + 8 <= n; i += 8) {
                fa_f64x4 v0, v1; memcpy(&v0, x + i, sizeof v0); memcpy(&v1, x + i + 4, sizeof v1);
                fa_i64x4 num0 = (v0 == v0), num1 = (v1 == v1);
                fa_i64x4 up0 = (v0 > m0) & num0, up1 = (v1 > m1) & num1;
                seen |= ~(num0 & num1);
                m0 = (fa_f64x4)(((fa_i64x4)v0 & up0) | ((fa_i64x4)m0 & ~up0));
                m1 = (fa_f64x4)(((fa_i64x4)v1 & up1) | ((fa_i64x4)m1 & ~up1));
            }
            for (k = 0; k < 4; k++) { if (m0[k] > m) m = m0[k]; any |= seen[k] != 0; }
            for (k = 0; k < 4; k++) { if (m1[k] > m) m = m1[k]; }
        }
    #endif
        for (; i < n; i++) { double v = x[i]; if (v != v) any = 1; else if (v > m) m = v; }
        *nan = any;
        return m;
    }

    /* float32 x[i..i+16) widened to four double vectors. */
    #define FA_WIDEN16(p, w0, w1, w2, w3) do { fa_f32x4 q0_, q1_, q2_, q3_; \
        memcpy(&q0_, (p), 16); memcpy(&q1_, (p) + 4, 16); \
        memcpy(&q2_, (p) + 8, 16); memcpy(&q3_, (p) + 12, 16); \
        w0 = __builtin_convertvector(q0_, fa_f64x4); w1 = __builtin_convertvector(q1_, fa_f64x4); \
        w2 = __builtin_convertvector(q2_, fa_f64x4); w3 = __builtin_convertvector(q3_, fa_f64x4); \
    } while (0)

    /* Sum of float32 values in double: 16 lanes, then the lanes in order. */
    static inline double fa_row_sum_f32(const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f64x4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f64x4 w0, w1, w2, w3;
                FA_WIDEN16(y + i, w0, w1, w2, w3);
                a0 += w0; a1 += w1; a2 += w2; a3 += w3;
            }
            for (k = 0; k < 4; k++) s += a0[k];
            for (k = 0; k < 4; k++) s += a1[k];
            for (k = 0; k < 4; k++) s += a2[k];
            for (k = 0; k < 4; k++) s += a3[k];
        }
    #endif
        for (; i < n; i++) s += y[i];
        return s;
    }

    /* TwoSum into (s, c): s + v rounded, its error added to c. */
    #define FA_TWO_SUM(s, c, v) do { double t_ = (s) + (v); double b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)
    #define FA_TWO_SUM_V(s, c, v) do { fa_f64x4 t_ = (s) + (v); fa_f64x4 b_ = t_ - (s); \
        (c) += ((s) - (t_ - b_)) + ((v) - b_); (s) = t_; } while (0)

    /* Compensated sum of doubles (Kahan-Babuska per lane): hi + *lo. */
    static inline double fa_row_sum_f64(const double *y, Py_ssize_t n, double *lo) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x4 s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0};
            for (; i + 8 <= n; i += 8) {
                fa_f64x4 v0, v1; memcpy(&v0, y + i, sizeof v0); memcpy(&v1, y + i + 4, sizeof v1);
                FA_TWO_SUM_V(s0, c0, v0);
                FA_TWO_SUM_V(s1, c1, v1);
            }
            for (k = 0; k < 4; k++) { FA_TWO_SUM(s, c, s0[k]); c += c0[k]; }
            for (k = 0; k < 4; k++) { FA_TWO_SUM(s, c, s1[k]); c += c1[k]; }
        }
    #endif
        for (; i < n; i++) FA_TWO_SUM(s, c, y[i]);
        *lo = c;
        return s;
    }

    /* sum g_i y_i: exact float32 products summed in double. */
    static inline double fa_row_dot_f32(const float *g, const float *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0;
    #ifdef FA_VEC
        if (n >= 16) {
            fa_f64x4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (; i + 16 <= n; i += 16) {
                fa_f64x4 g0, g1, g2, g3, y0, y1, y2, y3;
                FA_WIDEN16(g + i, g0, g1, g2, g3);
                FA_WIDEN16(y + i, y0, y1, y2, y3);
                a0 += g0 * y0; a1 += g1 * y1; a2 += g2 * y2; a3 += g3 * y3;
            }
            for (k = 0; k < 4; k++) s += a0[k];
            for (k = 0; k < 4; k++) s += a1[k];
            for (k = 0; k < 4; k++) s += a2[k];
            for (k = 0; k < 4; k++) s += a3[k];
        }
    #endif
        for (; i < n; i++) s += (double)g[i] * (double)y[i];
        return s;
    }

    /* sum g_i y_i in float64: rounded products, compensated sum. */
    static inline double fa_row_dot_f64(const double *g, const double *y, Py_ssize_t n) {
        Py_ssize_t i = 0; int k; double s = 0, c = 0;
    #ifdef FA_VEC
        if (n >= 8) {
            fa_f64x4 s0 = {0}, c0 = {0}, s1 = {0}, c1 = {0};
            for (; i + 8 <= n; i += 8) {
                fa_f64x4 a0, a1, b0, b1;
                memcpy(&a0, g + i, sizeof a0); memcpy(&a1, g + i + 4, sizeof a1);
                memcpy(&b0, y + i, sizeof b0); memcpy(&b1, y + i + 4, sizeof b1);
                fa_f64x4 v0 = a0 * b0, v1 = a1 * b1;
                FA_TWO_SUM_V(s0, c0, v0);
                FA_TWO_SUM_V(s1, c1, v1);
            }
            for (k = 0; k < 4; k++) { FA_TWO_SUM(s, c, s0[k]); c += c0[k]; }
            for (k = 0; k < 4; k++) { FA_TWO_SUM(s, c, s1[k]); c += c1[k]; }
        }
    #endif
        for (; i < n; i++) { double v = g[i] * y[i]; FA_TWO_SUM(s, c, v); }
        /* Once the sum overflows, the compensation is inf - inf = NaN: the
           sum is then +-inf (or NaN) as the plain sum is, which the
           reference's -inf results follow from. */
        return isfinite(s) ? s + c : s;
    }
    """
    float row_max_f32 "fa_row_max_f32"(const float *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_max_f64 "fa_row_max_f64"(const double *x, Py_ssize_t n, int *nan) noexcept nogil
    double row_sum_f32 "fa_row_sum_f32"(const float *y, Py_ssize_t n) noexcept nogil
    double row_sum_f64 "fa_row_sum_f64"(const double *y, Py_ssize_t n, double *lo) noexcept nogil
    double row_dot_f32 "fa_row_dot_f32"(const float *g, const float *y, Py_ssize_t n) noexcept nogil
    double row_dot_f64 "fa_row_dot_f64"(const double *g, const double *y, Py_ssize_t n) noexcept nogil


cdef enum:
    EXP_CHUNK = 1024     # log_softmax's stack buffer of exps, elements


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


cdef inline real exp_shifted(real v, real m, real *lo) noexcept nogil:
    """e^(v - m) as hi + *lo for v <= m, both non-NaN, m finite.

    v - m is rounded; its error a_lo (TwoSum) would cost |v - m| * a_lo
    relative error in e^(v - m), up to ~15 ulp for |v - m| ~ 30. So
    e^(a + a_lo) = e^a (1 + a_lo) goes into the low part."""
    cdef real zero = 0
    cdef real lowest
    if real is float:
        lowest = -104
    else:
        lowest = -746
    cdef real a = v - m
    cdef bint far = not (a > lowest)      # far below the max, or -inf
    cdef real vs = m if far else v         # keeps the TwoSum finite
    cdef real a2 = vs - m
    cdef real bp = a2 - vs
    cdef real a_lo = (vs - (a2 - bp)) + (-m - bp)
    a = lowest if far else a2
    a_lo = zero if far else a_lo
    cdef real hi
    if real is float:
        hi = exp_nonpos_f32(a, lo)
    else:
        hi = exp_nonpos_f64(a, lo)
    lo[0] = lo[0] + hi * a_lo
    return hi


cdef inline void exps_into(const real *x, real *e, Py_ssize_t n, real m) noexcept nogil:
    """e[i] = fl(e^(x[i] - m)), a plain loop (e may be x)."""
    cdef Py_ssize_t i
    cdef real hi, lo
    for i in range(n):
        hi = exp_shifted(x[i], m, &lo)
        e[i] = hi + lo


cdef inline void fill_row(real *y, Py_ssize_t n, real v) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        y[i] = v


cdef void softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef real m, inv
    cdef double one_d = 1
    if n == 0:
        return
    cdef bint nan = row_max(x, n, &m)
    if nan or is_inf(m):
        fill_row(y, n, nan_of(m))
        return
    exps_into(x, y, n, m)
    inv = <real>(one_d / row_sum(y, n))
    for i in range(n):
        y[i] = y[i] * inv


cdef void log_softmax_row(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    cdef real buf[EXP_CHUNK]
    cdef Py_ssize_t i, start, m_len, count = 0
    cdef real m, zero = 0, hi, lo
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
    for i in range(n):
        count += x[i] == m          # quiet compare
    start = 0
    while start < n:
        m_len = min(<Py_ssize_t>EXP_CHUNK, n - start)
        for i in range(m_len):
            hi = exp_shifted(x[start + i], m, &lo)
            buf[i] = zero if x[start + i] == m else hi + lo
        part = row_sum(buf, m_len)
        tt = t + part                        # TwoSum of the chunk sums
        b = tt - t
        t_c += (t - (tt - b)) + (part - b)
        t = tt
        start += m_len
    log_s = log1p((t + <double>(count - 1)) + t_c)
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


cdef void k_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        softmax_row(x + r * cols, y + r * cols, cols)


cdef void k_log_softmax(const real *x, real *y, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        log_softmax_row(x + r * cols, y + r * cols, cols)


cdef void k_softmax_backward(const real *g, const real *y, real *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t r
    for r in range(rows):
        softmax_backward_row(g + r * cols, y + r * cols, out + r * cols, cols)
