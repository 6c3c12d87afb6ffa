# float32 tanh at the AVX-512 tier: a piecewise polynomial with its
# coefficients picked per lane from a table in registers. Part of
# _kernels.pxi; the catalogue gives tanh loop="hand", and k_tanh below is its
# loop at every tier.
#
# Why. The exp-based tanh_1 (_kernels_smooth.pxi) computes both of its sides
# in every lane, an exp and a division among them: about 40 vector operations
# per 16 floats. PyTorch's CPU tanh is MKL's (perf: mkl_vml_kernel_sTanh_Z0HAynn),
# a table-driven polynomial at 0.57 ulp and 0.36-0.39 ns per float here, where
# tanh_1 took 0.63. Here |x| picks one of 32 intervals by its bit pattern
# (pattern >> 21: the binade and its top two mantissa bits), and one
# vpermt2ps per coefficient fetches that interval's coefficient for all 16
# lanes from two registers: 7 permutes (the interval's start and 6
# coefficients) and 5 FMAs, no exp, no division, 21 vector operations in all.
# Same-run A/B on a Sapphire Rapids Xeon: 0.32-0.37 ns per float, 1.5-1.8x
# tanh_1, 1.2x PyTorch's.
#
# The intervals (tools/fit_tanh_table.py, which prints the table): 0 is
# [0, 1/8), where the polynomial is a times one of degree 4 (relative accuracy
# down to the smallest inputs); 1..28 are [1/8, 16), four per binade; 29 is
# [16, inf), the constant 1 (tanh rounds to 1 from 9.01). With r = |x| - lo
# (lo the interval's lower end, 0 for interval 0), degree 5 in r, Horner's
# rule by FMA. Over all 2^32 float32 inputs within 1.024 ulp (the exp-based
# form: 1.457), `python -m fastact check --exhaustive --isa avx512`.
#
# Tiny and special inputs, on the bits as in tanh_1: |x| is raised to 2^-40
# (no subnormal reaches an FMA) and capped at 16 (inf and NaN land in
# interval 29 and compute 1 quietly); lanes with |x| < 2^-40, where tanh(x)
# rounds to x, and NaN lanes return x itself; the sign is put back by a bit
# select (vpternlogd).
# Every operation is on finite values: no floating-point flag but inexact.
#
# Only the AVX-512 tier has a two-register permute; at the AVX2 tier the same
# table costs four permutes and three blends per coefficient, and a gather
# (what gcc makes of a table index in C) took 3.5 ns per float: so the other
# tiers, and float64, keep tanh_1. The tiers' float32 tanh bits differ (within
# the bound), as the FMA and non-FMA tiers' other float32 results do; the
# float16 and bfloat16 loops run k_tanh[float] on their blocks, so each narrow
# result is that tier's float32 result rounded.

cdef extern from *:
    """
    #if defined(__AVX512F__)
    #include <immintrin.h>
    #define FA_TANH_TABLE 1
    /* max relative error of the polynomials: 3.92e-08 (0.658 x 2^-24). Position p holds interval (p - 15) mod 32. */
    static const float fa_tanh_coef[7][32] __attribute__((aligned(64))) = {
        {   /* lo, each interval's lower end */
            2.0f, 2.5f, 3.0f, 3.5f,
            4.0f, 5.0f, 6.0f, 7.0f,
            8.0f, 10.0f, 12.0f, 14.0f,
            16.0f, 0.0f, 0.0f, 0.0f,
            0.125f, 0.15625f, 0.1875f, 0.21875f,
            0.25f, 0.3125f, 0.375f, 0.4375f,
            0.5f, 0.625f, 0.75f, 0.875f,
            1.0f, 1.25f, 1.5f, 1.75f,
        },
        {   /* C0 */
            0.9640275835990906f, 0.9866142868995667f, 0.9950547814369202f, 0.9981778860092163f,
            0.9993293285369873f, 0.9999092221260071f, 0.9999877214431763f, 0.9999983310699463f,
            0.9999997615814209f, 1.0f, 1.0f, 1.0f,
            1.0f, 0.0f, 0.0f, 0.0f,
            0.12435299903154373f, 0.15499073266983032f, 0.18533320724964142f, 0.21532633900642395f,
            0.24491865932941437f, 0.3027097284793854f, 0.35835739970207214f, 0.4115700423717499f,
            0.46211716532707214f, 0.5545997023582458f, 0.6351489424705505f, 0.7039055824279785f,
            0.7615941762924194f, 0.8482836484909058f, 0.9051482677459717f, 0.9413755536079407f,
        },
        {   /* C1 */
            0.0706501379609108f, 0.026592230424284935f, 0.00986472424119711f, 0.003641268936917186f,
            0.0013397365109995008f, 0.00018113885016646236f, 2.4368895537918434e-05f, 3.441991566432989e-06f,
            5.804487273053383e-07f, -3.303659923403757e-08f, -6.05086591942694e-10f, -1.1082608789014792e-11f,
            0.0f, 0.0f, 0.0f, 1.0f,
            0.9845381379127502f, 0.9759763479232788f, 0.9656468033790588f, 0.9536349773406982f,
            0.9400158524513245f, 0.9083670973777771f, 0.8715795278549194f, 0.8306143879890442f,
            0.7864463925361633f, 0.6924223899841309f, 0.5965874195098877f, 0.5045204162597656f,
            0.41997313499450684f, 0.2804144620895386f, 0.18070560693740845f, 0.11381090432405472f,
        },
        {   /* C2 */
            -0.0680927038192749f, -0.02622864954173565f, -0.009799041785299778f, -0.0036371718160808086f,
            -0.0013275519013404846f, -0.00017829971329774708f, -2.330790266569238e-05f, -3.9607652979611885e-06f,
            -7.998523301466776e-07f, 1.0762028068711516e-07f, 1.9711352550189076e-09f, 3.6103019879218934e-11f,
            0.0f, 0.0f, 0.0f, 3.025253931809857e-07f,
            -0.12276088446378708f, -0.1509878784418106f, -0.17809367179870605f, -0.2054155021905899f,
            -0.23031847178936005f, -0.2749965488910675f, -0.3122961223125458f, -0.34224265813827515f,
            -0.36336809396743774f, -0.3841618299484253f, -0.37899401783943176f, -0.35529229044914246f,
            -0.3198379576206207f, -0.2378719002008438f, -0.16354681551456451f, -0.10711389780044556f,
        },
        {   /* C3 */
            0.0419677309691906f, 0.01692616008222103f, 0.00636911578476429f, 0.002416383707895875f,
            0.0008399446378462017f, 0.0001103215545299463f, 1.304649322264595e-05f, 3.608735823945608e-06f,
            6.652955448771536e-07f, -1.2755192813074245e-07f, -2.3361967915747073e-09f, -4.2789632948014855e-11f,
            0.0f, 0.0f, 0.0f, -0.3333551287651062f,
            -0.28836485743522644f, -0.32266414165496826f, -0.353340208530426f, -0.26834598183631897f,
            -0.2535804510116577f, -0.21863754093647003f, -0.18013010919094086f, -0.1218780055642128f,
            -0.09542775899171829f, -0.015152613632380962f, 0.043165069073438644f, 0.0847802460193634f,
            0.10372966527938843f, 0.10846758633852005f, 0.08769788593053818f, 0.06269516050815582f,
        },
        {   /* C4 */
            -0.017369713634252548f, -0.007608747575432062f, -0.002836758503690362f, -0.0011563218431547284f,
            -0.00033897001412697136f, -4.243843795848079e-05f, -3.8579769352509174e-06f, -2.3651775791222462e-06f,
            -2.879903320263111e-07f, 6.459389112478675e-08f, 1.1830795232370406e-09f, 2.1669242789013055e-11f,
            0.0f, 0.0f, 0.0f, 0.000465448567410931f,
            -0.7169201374053955f, 0.7703379988670349f, 2.199308395385742f, -0.042639538645744324f,
            0.08559682220220566f, 0.14378613233566284f, 0.19327664375305176f, -0.05966457724571228f,
            0.17563380300998688f, 0.11671014875173569f, 0.08873540908098221f, 0.03648211807012558f,
            0.025293732061982155f, -0.014487150125205517f, -0.025011438876390457f, -0.02272379770874977f,
        },
        {   /* C5 */
            0.003982977010309696f, 0.001961477566510439f, 0.0006935002165846527f, 0.00032947829458862543f,
            6.672522431472316e-05f, 7.767194801999722e-06f, 3.653109672541177e-07f, 7.196375690909917e-07f,
            4.873744430256011e-08f, -1.1810726618932677e-08f, -2.1632126645521055e-10f, -3.962127067408394e-12f,
            0.0f, 0.0f, 0.0f, 0.13001753389835358f,
            9.476275444030762f, -7.801754951477051f, -24.35013198852539f, 2.061081647872925f,
            0.3819693624973297f, 0.12158343940973282f, -0.13633780181407928f, 1.329728603363037f,
            -0.06925006210803986f, 0.0027261858340352774f, -0.031266242265701294f, 0.015481114387512207f,
            -0.034336693584918976f, -0.010480072349309921f, -3.6263911169953644e-05f, 0.003144170856103301f,
        },
    };

    static void fa_tanh_table_f32(const float *x, float *y, Py_ssize_t n)
    {
        /* the table's rows (lo, C0..C5) as positions 0-15 and 16-31 */
        __m512 lo_half[7], hi_half[7];
        for (int c = 0; c < 7; c++) {
            lo_half[c] = _mm512_load_ps(fa_tanh_coef[c]);
            hi_half[c] = _mm512_load_ps(fa_tanh_coef[c] + 16);
        }
        const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
        const __m512i tiny = _mm512_set1_epi32(0x2b800000);       /* 2^-40 */
        const __m512i cap = _mm512_set1_epi32(0x41800000);        /* 16 */
        const __m512i below_first = _mm512_set1_epi32(0x3de00000); /* >> 21: 0x1ef */
        const __m512i tiny_to_inf = _mm512_set1_epi32(0x54000000); /* inf - 2^-40 */
        for (Py_ssize_t i = 0; i < n; i += 16) {
            /* the last vector's missing lanes load as 0 and are not stored;
               the others by plain loads and stores: with masked ones on
               every vector, arrays beyond the L3 ran at a third of the
               speed of their loads and stores (AMD Zen 5, 4e6 floats) */
            int full = n - i >= 16;
            __mmask16 lanes = full ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
            __m512i b = full ? _mm512_loadu_si512(x + i) : _mm512_maskz_loadu_epi32(lanes, x + i);
            __m512i m = _mm512_andnot_si512(sign, b);
            __m512i a = _mm512_min_epu32(_mm512_max_epu32(m, tiny), cap);
            /* the table position: the low five bits of this (vpermt2ps
               reads no more), every |x| < 1/8 sharing interval 0's */
            __m512i position = _mm512_srli_epi32(_mm512_max_epu32(a, below_first), 21);
            __m512 r = _mm512_sub_ps(_mm512_castsi512_ps(a),
                                     _mm512_permutex2var_ps(lo_half[0], position, hi_half[0]));
            __m512 p = _mm512_permutex2var_ps(lo_half[6], position, hi_half[6]);
            for (int c = 5; c >= 1; c--)
                p = _mm512_fmadd_ps(p, r, _mm512_permutex2var_ps(lo_half[c], position, hi_half[c]));
            /* x itself where |x| < 2^-40 or x is NaN ((|x| - 2^-40) as
               unsigned is then below 0 or above inf's); elsewhere p with
               x's sign, bit by bit: sign ? x : p */
            __mmask16 compute = _mm512_cmple_epu32_mask(_mm512_sub_epi32(m, tiny), tiny_to_inf);
            __m512i result = _mm512_mask_ternarylogic_epi32(b, compute, _mm512_castps_si512(p),
                                                            sign, 0xe4);
            if (full)
                _mm512_storeu_si512(y + i, result);
            else
                _mm512_mask_storeu_epi32(y + i, lanes, result);
        }
    }
    #else
    #define FA_TANH_TABLE 0
    static void fa_tanh_table_f32(const float *x, float *y, Py_ssize_t n)
    {
        (void)x; (void)y; (void)n;      /* never called: FA_TANH_TABLE is 0 */
    }
    #endif
    """
    const bint FA_TANH_TABLE
    void tanh_table_f32 "fa_tanh_table_f32"(const float *x, float *y, Py_ssize_t n) noexcept nogil


cdef inline void k_tanh_in_mode(const real *x, real *y, Py_ssize_t n,
                                bint default_mode) noexcept nogil:
    # the narrow loops' entry (see k_leaky_relu_in_mode): tanh computes in
    # whatever mode it runs in, the same way in each
    k_tanh(x, y, n)


cdef inline void k_tanh(const real *x, real *y, Py_ssize_t n) noexcept nogil:
    # the generated loops' prefetches on large arrays (_generate.py,
    # _prefetching_loop)
    cdef Py_ssize_t i, start = 0, stop
    cdef Py_ssize_t chunk = prefetch_chunk(x, n, PREFETCH_FROM_BYTES)
    cdef bint ahead = chunk != 0
    if not ahead:
        chunk = n
    if real is float and FA_TANH_TABLE:
        tanh_table_f32(x, y, n)
        return
    while start < n:
        stop = start + chunk if n - start > chunk else n
        if ahead:
            prefetch_ahead(x, start, n)
        for i in range(start, stop):
            y[i] = tanh_1(x[i])
        start = stop
