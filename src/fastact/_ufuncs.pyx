# The numpy ufuncs over fastact's kernels, and the threads that run them.
#
# Each ufunc has a float32 and a float64 loop. A loop receives numpy's
# (args, dimensions, steps) and, when every step equals the item size, hands
# the whole run to the contiguous kernel from fastact.kernels, split across
# OpenMP threads when it is long enough. Any other layout is copied through
# small stack buffers so that it still runs the SIMD kernel. numpy supplies
# the rest: casting, broadcasting, out=, where=, and error messages, and it
# releases the GIL around these loops (none of them touches Python).
#
# Overlap: numpy copies an operand that overlaps `out` only when a loop that
# goes element by element in order would read a value it has already
# overwritten; other overlaps (out lagging behind the input, reduce's stride-0
# accumulator) it hands to the loop as they are. The threaded and buffered
# paths read ahead of what they write, so a loop whose `out` shares memory
# with an input in any way but the exact in place (same start, same step)
# runs element by element in order on the calling thread instead
# (`must_run_in_order`): the result is then the one numpy's own loops give.
#
# Floating-point mode: OpenMP workers keep their own MXCSR, so a caller that
# runs with flush-to-zero or another rounding mode (set by any library built
# with -ffast-math) would get different bits from one thread and from two.
# Each threaded call hands the caller's mode to its workers for the call and
# restores theirs after (`fpmode_enter`/`fpmode_leave`).
#
# Floating-point flags: the kernels raise none in the lanes they throw away;
# the loops also restore the flags they found, so that genuine special cases
# (inf * 0 in a backward pass, overflow from a y outside [0, 1]) give the same
# silent NaN/inf on one thread as on many, where flags raised in worker
# threads never reach numpy anyway.
import operator
import os

import numpy as np

cimport cython
from cython.parallel cimport prange
from libc.string cimport memcpy

cimport numpy as cnp
from numpy cimport npy_intp

from fastact.kernels cimport *
from fastact._narrow cimport fa_f16, fa_bf16, narrow_to_float
from libc.stdint cimport uint16_t
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer

import numpy as np

from fastact import _catalog
from fastact import kernels as _kernels

cnp.import_array()
cnp.import_ufunc()

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FA_OPENMP 1
    #else
    #define FA_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    static int omp_get_thread_num(void) { return 0; }
    #endif

    /* Save and restore the floating-point exception flags. On x86 the SSE
       status word holds them all for our code; elsewhere use <fenv.h>. */
    #if defined(__SSE2__) || defined(_M_X64)
    #include <xmmintrin.h>
    typedef unsigned int fa_fpflags;
    static inline fa_fpflags fa_fpflags_save(void) { return _mm_getcsr(); }
    static inline void fa_fpflags_restore(fa_fpflags s) {
        /* writing MXCSR costs more than reading it: only when a flag was raised */
        if (_mm_getcsr() != s) _mm_setcsr(s); }
    #else
    #include <fenv.h>
    typedef fexcept_t fa_fpflags;
    static inline fa_fpflags fa_fpflags_save(void) {
        fexcept_t s; fegetexceptflag(&s, FE_ALL_EXCEPT); return s; }
    static inline void fa_fpflags_restore(fa_fpflags s) { fesetexceptflag(&s, FE_ALL_EXCEPT); }
    #endif

    /* The floating-point mode a call runs in: MXCSR's control bits (rounding,
       flush-to-zero, denormals-are-zero, exception masks) on x86, the
       rounding direction elsewhere. `enter` sets the caller's mode on a worker
       and returns the worker's own, which `leave` puts back. */
    #if defined(__SSE2__) || defined(_M_X64)
    #define FA_MXCSR_FLAGS 0x3Fu
    static inline unsigned int fa_fpmode_get(void) { return _mm_getcsr() & ~FA_MXCSR_FLAGS; }
    static inline unsigned int fa_fpmode_enter(unsigned int mode) {
        unsigned int own = _mm_getcsr();
        _mm_setcsr(mode | (own & FA_MXCSR_FLAGS));
        return own;
    }
    static inline void fa_fpmode_leave(unsigned int own) { _mm_setcsr(own); }
    static inline void fa_fpmode_set(unsigned int mode) {
        _mm_setcsr((mode & ~FA_MXCSR_FLAGS) | (_mm_getcsr() & FA_MXCSR_FLAGS)); }
    #else
    static inline unsigned int fa_fpmode_get(void) { return (unsigned int)fegetround(); }
    static inline unsigned int fa_fpmode_enter(unsigned int mode) {
        unsigned int own = (unsigned int)fegetround();
        fesetround((int)mode);
        return own;
    }
    static inline void fa_fpmode_leave(unsigned int own) { fesetround((int)own); }
    static inline void fa_fpmode_set(unsigned int mode) { fesetround((int)mode); }
    #endif
    """
    const bint FA_OPENMP
    int omp_get_max_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    ctypedef unsigned int fa_fpflags
    fa_fpflags fpflags_save "fa_fpflags_save"() noexcept nogil
    void fpflags_restore "fa_fpflags_restore"(fa_fpflags s) noexcept nogil
    unsigned int fpmode_get "fa_fpmode_get"() noexcept nogil
    unsigned int fpmode_enter "fa_fpmode_enter"(unsigned int mode) noexcept nogil
    void fpmode_leave "fa_fpmode_leave"(unsigned int own) noexcept nogil
    void fpmode_set "fa_fpmode_set"(unsigned int mode) noexcept nogil

# Strided runs are copied through buffers of this many elements (on the stack).
cdef enum:
    BUFFER = 512


# ---------------------------------------------------------------------------
# Threads

cdef int g_num_threads = 1      # set_num_threads(); 1 means never enter OpenMP
cdef bint g_pool_started = False


cdef inline int threads_for(Py_ssize_t n, Py_ssize_t grain) noexcept nogil:
    """How many threads a contiguous run of n elements gets: one per `grain`
    elements at least, at most the user's setting and OpenMP's current limit
    (which threadpoolctl controls)."""
    global g_pool_started
    if g_num_threads <= 1 or n < 2 * grain:
        return 1
    cdef int limit = g_num_threads
    cdef int omp_limit = omp_get_max_threads()
    if omp_limit < limit:
        limit = omp_limit
    cdef Py_ssize_t by_size = n // grain
    if by_size < limit:
        limit = <int>by_size
    if limit > 1:
        g_pool_started = True
    return limit


cdef inline Py_ssize_t chunk_length(Py_ssize_t n, int nthreads) noexcept nogil:
    """Equal chunks rounded up to 64 elements, so each thread starts on its
    own cache line and results do not depend on where chunks split (every
    element is computed by the same code whatever the thread count)."""
    cdef Py_ssize_t chunk = (n + nthreads - 1) // nthreads
    return (chunk + 63) & ~(<Py_ssize_t>63)


# At most this many threads, whatever is asked: more threads than this on
# this machine only cost memory (each OpenMP worker has its own stack) and,
# under a memory limit, can kill the process inside the OpenMP runtime where
# no Python exception can be raised.
_MAX_THREADS = 4 * (os.cpu_count() or 1)


def set_num_threads(n):
    """Use at most n threads for large arrays (an integer >= 1; values above
    _MAX_THREADS, four per CPU, count as _MAX_THREADS). OpenMP's own limit
    (OMP_NUM_THREADS, threadpoolctl, else the CPU count) caps it as well;
    this never changes that limit, which other OpenMP users share."""
    global g_num_threads
    if isinstance(n, bool):
        raise TypeError(f"number of threads must be an integer, got {n!r}")
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    if not FA_OPENMP:
        n = 1
    g_num_threads = min(n, _MAX_THREADS)


def get_num_threads():
    """The number of threads large arrays are split across."""
    if g_num_threads <= 1:
        return 1
    return min(g_num_threads, omp_get_max_threads())


def _omp_max_threads():
    """OpenMP's limit for the calling thread (omp_get_max_threads())."""
    return omp_get_max_threads()


def _get_fpmode():
    """The calling thread's floating-point mode: MXCSR without its exception
    flags on x86 (bit 15 flush-to-zero, bit 6 denormals-are-zero, bits 13-14
    rounding), the rounding direction elsewhere. For tests."""
    return fpmode_get()


def _set_fpmode(unsigned int mode):
    """Set the calling thread's floating-point mode (see _get_fpmode), as a
    library compiled with -ffast-math does at load. For tests."""
    fpmode_set(mode)


def _worker_fpmodes(int nthreads):
    """Each OpenMP worker's floating-point mode, outside any fastact call:
    a list of `nthreads` values, index = thread number. For tests."""
    cdef unsigned int modes[64]
    cdef int c
    if nthreads < 1 or nthreads > 64:
        raise ValueError("nthreads must be in 1..64")
    global g_pool_started
    for c in range(nthreads):
        modes[c] = 0
    g_pool_started = g_pool_started or (FA_OPENMP and nthreads > 1)
    with nogil:
        for c in prange(nthreads, num_threads=nthreads, schedule="static"):
            modes[omp_get_thread_num()] = fpmode_get()
    return [modes[c] for c in range(nthreads)]


def _pool_started():
    """True once an OpenMP parallel region has run in this process."""
    return g_pool_started


openmp = bool(FA_OPENMP)


# ---------------------------------------------------------------------------
# Generated from the catalogue: the element types (fused `real`), `Kind`
# and its operands (`arrays_of`, `params_of`), `run_piece` (one call of a
# kernel of any kind and dtype) and numpy's loop function per kind and dtype
# (`numpy_loop`), each a specialization of `elementwise_loop` below.
include "_ufunc_kinds.pxi"

# What a loop's `data` points at: the kernel and its parallel grain.
ctypedef struct loop_data:
    void *kernel
    Py_ssize_t grain   # elements per thread below which threads do not pay


# ---------------------------------------------------------------------------
# Contiguous runs, threaded. `p` and `q` are ignored by the kinds without
# parameters; `b` is NULL for the unary kinds.

# Runs at least this long start their bulk on a 64-byte boundary (run_span).
cdef enum:
    ALIGN_MIN_RUN = 256


cdef inline void run_span(Kind kind, void *kernel, const real *a, const real *b, real *out,
                          Py_ssize_t n, double p, double q) noexcept nogil:
    # Start the bulk of the run on a 64-byte boundary of `out` (numpy's
    # buffers are usually 16 bytes off one): with AVX-512 a vector that
    # straddles two cache lines costs two accesses, so aligned runs of the
    # memory-bound kernels are up to 1.5x faster (and in place, the input is
    # aligned too). The head is computed by the same kernel, and every
    # kernel gives an element the same bits wherever it sits (tested), so
    # results do not depend on the split.
    cdef Py_ssize_t head
    if n >= ALIGN_MIN_RUN:
        head = <Py_ssize_t>((-<size_t>out) & 63) // <Py_ssize_t>sizeof(real)
        if head > 0:
            run_piece(kind, kernel, a, b, out, head, p, q)
            a += head
            if b != NULL:
                b += head
            out += head
            n -= head
    run_piece(kind, kernel, a, b, out, n, p, q)


cdef void run_contiguous(Kind kind, const loop_data *ld, const real *a, const real *b,
                         real *out, Py_ssize_t n, double p, double q) noexcept nogil:
    cdef int nthreads = threads_for(n, ld.grain)
    cdef Py_ssize_t chunk, start, stop
    cdef int c
    cdef unsigned int mode, own
    if nthreads <= 1:
        run_span(kind, ld.kernel, a, b, out, n, p, q)
        return
    chunk = chunk_length(n, nthreads)
    mode = fpmode_get()
    for c in prange(nthreads, num_threads=nthreads, schedule="static"):
        own = fpmode_enter(mode)
        start = c * chunk
        stop = start + chunk
        if stop > n:
            stop = n
        if start < stop:
            run_span(kind, ld.kernel, a + start, NULL if b == NULL else b + start,
                     out + start, stop - start, p, q)
        fpmode_leave(own)


# ---------------------------------------------------------------------------
# The inner loops numpy calls.

cdef inline real load(const char *base, npy_intp step, Py_ssize_t i,
                      const real *dtype_tag) noexcept nogil:
    return (<const real *>(base + i * step))[0]


cdef inline double param(const char *base, npy_intp step, Py_ssize_t i,
                         const real *dtype_tag) noexcept nogil:
    """A parameter operand's element (numpy has cast it to the loop's type)."""
    cdef const real *at = <const real *>(base + i * step)
    if real is float or real is double:
        return at[0]
    else:
        return narrow_to_float(at)


cdef inline bint shares_memory_with_out(const char *a, npy_intp sa, const char *o,
                                        npy_intp so, Py_ssize_t n, size_t size) noexcept nogil:
    """Whether operand `a` and `out` (n elements each, of `size` bytes) share
    memory in any way but the exact in place (same start, same nonzero step),
    the one sharing every path of these loops handles."""
    cdef size_t pa = <size_t>a, po = <size_t>o, lo_a, hi_a, lo_o, hi_o, step, gap
    if pa == po and sa == so and sa != 0:
        return False
    # The byte ranges the two operands span.
    lo_a = pa + <size_t>(sa * (n - 1)) if sa < 0 else pa
    hi_a = (pa if sa < 0 else pa + <size_t>(sa * (n - 1))) + size
    lo_o = po + <size_t>(so * (n - 1)) if so < 0 else po
    hi_o = (po if so < 0 else po + <size_t>(so * (n - 1))) + size
    if hi_a <= lo_o or hi_o <= lo_a:
        return False
    if sa == so and sa != 0:
        # Interleaved with the same step (the real and imaginary parts of
        # a complex array): the elements never meet when the gap between the
        # two starts, modulo the step, leaves room for an element each side.
        step = <size_t>(sa if sa > 0 else -sa)
        gap = (po - pa) % step if po >= pa else (pa - po) % step
        if gap >= size and step - gap >= size:
            return False
    return True


cdef inline bint must_run_in_order(char **args, const npy_intp *steps, int n_in,
                                   Py_ssize_t n, size_t size) noexcept nogil:
    """Whether any of the n_in inputs shares memory with out (args[n_in])
    so that only an element-by-element loop in order gives numpy's result."""
    cdef int k
    if n <= 1:
        return False
    for k in range(n_in):
        if shares_memory_with_out(args[k], steps[k], args[n_in], steps[n_in], n, size):
            return True
    return False


cdef void run_in_order(Kind kind, char **args, const npy_intp *dims, const npy_intp *steps,
                       const loop_data *ld, const real *dtype_tag) noexcept nogil:
    """Element by element, in order, on the calling thread: each element's
    inputs are read just before its result is written, as numpy's own loops
    do, so an `out` that overlaps an input (reduce's stride-0 accumulator,
    accumulate, a shifted view) sees exactly the values numpy promises. The
    kernel computes each element with the bits it gives it in any run."""
    cdef Py_ssize_t n = dims[0], i
    cdef int n_arrays = arrays_of(kind), n_params = params_of(kind)
    cdef int o = n_arrays + n_params
    cdef real a, b, y
    cdef double p = 0, q = 0
    for i in range(n):
        a = load(args[0], steps[0], i, dtype_tag)
        b = a    # a defined value for the unary kinds, which ignore it
        if n_arrays == 2:
            b = load(args[1], steps[1], i, dtype_tag)
        if n_params >= 1:
            p = param(args[n_arrays], steps[n_arrays], i, dtype_tag)
        if n_params == 2:
            q = param(args[n_arrays + 1], steps[n_arrays + 1], i, dtype_tag)
        run_piece(kind, ld.kernel, &a, &b, &y, 1, p, q)
        (<real *>(args[o] + i * steps[o]))[0] = y


cdef void run_buffered(char **args, const npy_intp *dims, const npy_intp *steps,
                       const loop_data *ld, const real *dtype_tag, Kind kind) noexcept nogil:
    """Any layout but a contiguous run with fixed parameters: copied through
    stack buffers a block at a time, a parameter that varies being passed
    element by element. Apart from elementwise_loop so that the common call
    does not set up these buffers' stack frame."""
    cdef int n_arrays = arrays_of(kind), n_params = params_of(kind)
    cdef int o = n_arrays + n_params
    cdef Py_ssize_t n = dims[0], i, j, m
    cdef char *a = args[0]
    cdef char *b = args[1] if n_arrays == 2 else NULL
    cdef char *pp = args[n_arrays] if n_params >= 1 else NULL
    cdef char *qp = args[n_arrays + 1] if n_params == 2 else NULL
    cdef char *out = args[o]
    cdef npy_intp sa = steps[0], so = steps[o]
    cdef npy_intp sb = steps[1] if n_arrays == 2 else 0
    cdef npy_intp sp = steps[n_arrays] if n_params >= 1 else 0
    cdef npy_intp sq = steps[n_arrays + 1] if n_params == 2 else 0
    cdef bint fixed = sp == 0 and sq == 0
    cdef double p = 0, q = 0
    cdef real ab[BUFFER]
    cdef real bb[BUFFER]
    cdef real ob[BUFFER]
    if fixed and n > 0:
        if n_params >= 1:
            p = param(pp, 0, 0, dtype_tag)
        if n_params == 2:
            q = param(qp, 0, 0, dtype_tag)
    i = 0
    while i < n:
        m = min(<Py_ssize_t>BUFFER, n - i)
        for j in range(m):
            ab[j] = load(a, sa, i + j, dtype_tag)
            if n_arrays == 2:
                bb[j] = load(b, sb, i + j, dtype_tag)
        if fixed:
            run_piece(kind, ld.kernel, ab, bb, ob, m, p, q)
        else:
            for j in range(m):
                p = param(pp, sp, i + j, dtype_tag)
                if n_params == 2:
                    q = param(qp, sq, i + j, dtype_tag)
                run_piece(kind, ld.kernel, ab + j, bb + j, ob + j, 1, p, q)
        for j in range(m):
            (<real *>(out + (i + j) * so))[0] = ob[j]
        i += m


cdef void elementwise_loop(char **args, const npy_intp *dims, const npy_intp *steps,
                           void *data, const real *dtype_tag,
                           const loop_kind *kind_tag) noexcept nogil:
    """numpy's inner loop, for every kind of kernel and every dtype: the
    generated loop functions (`numpy_loop`) are its specializations, in each
    of which `kind` is a constant. args: the array inputs (one or two), the
    parameters (none to two), then out; `data`, the ufunc's loop_data for
    the dtype. A contiguous run whose parameters are the same for the whole
    run (the usual scalar alpha, stride 0) goes to the kernel in one call,
    threaded; any other layout to run_buffered. Keeps the floating-point
    flags it found."""
    cdef fa_fpflags flags = fpflags_save()
    cdef const loop_data *ld = <const loop_data *>data
    cdef Kind kind = kind_of(kind_tag)
    cdef int n_arrays = arrays_of(kind), n_params = params_of(kind)
    cdef int o = n_arrays + n_params
    cdef Py_ssize_t n = dims[0]
    cdef npy_intp sa = steps[0], so = steps[o]
    cdef npy_intp sb = steps[1] if n_arrays == 2 else 0
    cdef npy_intp sp = steps[n_arrays] if n_params >= 1 else 0
    cdef npy_intp sq = steps[n_arrays + 1] if n_params == 2 else 0
    cdef double p = 0, q = 0
    if must_run_in_order(args, steps, o, n, sizeof(real)):
        run_in_order(kind, args, dims, steps, ld, dtype_tag)
    elif (sp == 0 and sq == 0 and n > 0 and sa == sizeof(real) and so == sizeof(real)
            and (n_arrays == 1 or sb == sizeof(real))):
        if n_params >= 1:
            p = param(args[n_arrays], 0, 0, dtype_tag)
        if n_params == 2:
            q = param(args[n_arrays + 1], 0, 0, dtype_tag)
        run_contiguous(kind, ld, <real *>args[0], <real *>args[1] if n_arrays == 2 else NULL,
                       <real *>args[o], n, p, q)
    else:
        run_buffered(args, dims, steps, ld, dtype_tag, kind)
    fpflags_restore(flags)


# ---------------------------------------------------------------------------
# Building the ufuncs. numpy keeps pointers to the loop arrays, the data and
# the type lists, so all of them live in static storage for the process.

cdef enum:
    MAX_UFUNCS = 96

# Grains: elements per thread below which a split does not pay. Cheap kernels
# are memory-bound and need long runs; exp-based ones pay off sooner. Set
# well above the break-even point: GNU OpenMP's idle workers spin for a while
# after each parallel region, and in a training loop that alternates small
# activations with BLAS calls that spinning competes with OpenBLAS's threads
# for the cores (measured: a 256x64 sigmoid between matmuls went from ~0.1 ms
# on one thread to ~10 ms on two). Above these sizes the work dwarfs it.
cdef enum:
    GRAIN_CHEAP = 1 << 17
    GRAIN_EXP = 1 << 15

cdef enum:
    MAX_DTYPES = 4      # the catalogue's DTYPES
    MAX_OPERANDS = 5    # arrays, parameters and the output of one ufunc

cdef list DTYPES = _catalog.DTYPES
if len(DTYPES) > MAX_DTYPES:
    raise RuntimeError("raise MAX_DTYPES in _ufuncs.pyx")
# The dtypes with a numpy type number of their own, as indices into DTYPES, in
# the order their loops are given to numpy: narrowest first, because numpy
# takes the first loop the inputs cast to safely (float16 before float32, or
# a float16 input would run in float32). The others (bfloat16) get their
# loops from register_bfloat16 once their type number is known.
cdef list NUMPY_ORDER = sorted([t for t, d in enumerate(DTYPES) if d.npy_type],
                               key=lambda t: np.dtype(DTYPES[t].numpy).itemsize)

# Per ufunc: numpy's inner loops, their data and the operands' type numbers,
# in NUMPY_ORDER; the kernels by DTYPES index; and what register_bfloat16
# needs (kind, inputs, the ufunc object).
cdef cnp.PyUFuncGenericFunction g_funcs[MAX_UFUNCS][MAX_DTYPES]
cdef void *g_data[MAX_UFUNCS][MAX_DTYPES]
cdef loop_data g_loop_data[MAX_UFUNCS][MAX_DTYPES]
cdef char g_types[MAX_UFUNCS][MAX_DTYPES * MAX_OPERANDS]
cdef Kind g_kind[MAX_UFUNCS]
cdef int g_nin[MAX_UFUNCS]
cdef int g_count = 0
cdef list g_docs = []   # keeps each ufunc's docstring bytes alive
cdef dict g_index = {}  # ufunc name -> its slot in the arrays above
cdef dict g_ufunc = {}  # slot -> the ufunc object


cdef void set_types(int u, int nargs):
    """Every operand of ufunc slot u's k-th loop has dtype DTYPES[NUMPY_ORDER[k]]."""
    cdef int k, i
    for k in range(len(NUMPY_ORDER)):
        for i in range(nargs):
            g_types[u][k * nargs + i] = np.dtype(DTYPES[NUMPY_ORDER[k]].numpy).num


cdef int new_slot(str name) except -1:
    global g_count
    if g_count >= MAX_UFUNCS:
        raise RuntimeError("raise MAX_UFUNCS in _ufuncs.pyx")
    g_count += 1
    g_index[name] = g_count - 1
    return g_count - 1


# Each loop is also given to numpy as an ArrayMethod (numpy's own API for
# ufunc loops, numpy >= 2) that declares it raises no floating-point flags:
# the loops restore the flags they found, so numpy's check after a loop
# (clear the flags, run, test them, look the error state up) finds nothing
# it could report, and skipping it takes a twentieth off a 1-element call.
# Calling a loop through the ArrayMethod also skips the wrapper numpy puts
# around a legacy loop (its per-call set-up). The ArrayMethods have the
# legacy loops' exact dtype signatures, so numpy's promotion and casting,
# which still go by the legacy loops' type list, pick the same loop as
# before; reduce, accumulate, at, outer and where= run them the same way.
cdef extern from *:
    """
    /* The ArrayMethod's loop: the ufunc's legacy loop for the dtype being
       run, with its data (numpy's caller is the ufunc itself). */
    static int fa_method_loop(PyArrayMethod_Context *context, char *const *data,
                              const npy_intp *dims, const npy_intp *steps,
                              NpyAuxData *unused) {
        PyUFuncObject *ufunc = (PyUFuncObject *)context->caller;
        int t = context->descriptors[0]->type_num, k;
        if (ufunc != NULL && PyObject_TypeCheck((PyObject *)ufunc, &PyUFunc_Type)) {
            for (k = 0; k < ufunc->ntypes; k++) {
                if (ufunc->types[k * ufunc->nargs] == t) {
                    ufunc->functions[k]((char **)data, dims, steps, ufunc->data[k]);
                    return 0;
                }
            }
        }
        {
            PyGILState_STATE gil = PyGILState_Ensure();
            PyErr_SetString(PyExc_RuntimeError, "fastact: an ArrayMethod called without its ufunc");
            PyGILState_Release(gil);
        }
        return -1;
    }

    /* Give ufunc the ArrayMethod for its loop whose every operand has
       numpy type number t. */
    static int fa_add_method(PyObject *ufunc, int t, const char *name) {
        PyUFuncObject *u = (PyUFuncObject *)ufunc;
        PyArray_DTypeMeta *dtypes[8];
        PyArray_Descr *descr = PyArray_DescrFromType(t);
        PyType_Slot slots[] = {{NPY_METH_strided_loop, (void *)fa_method_loop}, {0, NULL}};
        PyArrayMethod_Spec spec;
        int i;
        if (descr == NULL) return -1;
        if (u->nargs > 8 || u->_loops == NULL || !PyList_Check(u->_loops)) {
            Py_DECREF(descr);
            PyErr_SetString(PyExc_ValueError, "fastact: not a ufunc fastact made");
            return -1;
        }
        for (i = 0; i < u->nargs; i++) dtypes[i] = (PyArray_DTypeMeta *)Py_TYPE(descr);
        /* numpy (>= 2.3 or so) has already listed the legacy loop's wrapper
           for these dtypes, and takes one loop per dtype signature: take
           that entry out (the ufunc is new, nothing has dispatched to it),
           and put it back if numpy refuses the ArrayMethod, so that a
           failure here leaves the ufunc exactly as numpy made it. */
        PyObject *removed = NULL;
        for (Py_ssize_t j = PyList_GET_SIZE(u->_loops) - 1; j >= 0 && removed == NULL; j--) {
            PyObject *info = PyList_GET_ITEM(u->_loops, j), *key;
            int same = 1;
            if (!PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 2) continue;
            key = PyTuple_GET_ITEM(info, 0);
            if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != u->nargs) continue;
            for (i = 0; i < u->nargs; i++)
                if (PyTuple_GET_ITEM(key, i) != (PyObject *)dtypes[i]) same = 0;
            if (same) {
                removed = info;
                Py_INCREF(removed);
                if (PySequence_DelItem(u->_loops, j) < 0) {
                    Py_DECREF(removed);
                    Py_DECREF(descr);
                    return -1;
                }
            }
        }
        spec.name = name;
        spec.nin = u->nin;
        spec.nout = u->nout;
        spec.casting = NPY_NO_CASTING;
        spec.flags = NPY_METH_NO_FLOATINGPOINT_ERRORS;
        spec.dtypes = dtypes;
        spec.slots = slots;
        i = PyUFunc_AddLoopFromSpec(ufunc, &spec);
        if (i < 0 && removed != NULL) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            if (PyList_Append(u->_loops, removed) < 0)
                PyErr_Clear();          /* the first error is the one to report */
            PyErr_Restore(type, value, tb);
        }
        Py_XDECREF(removed);
        Py_DECREF(descr);   /* numpy's builtin descriptors and DTypes live for the process */
        return i;
    }
    """
    int fa_add_method(object ufunc, int type_num, const char *name) except -1


cdef int g_array_methods = 0      # loops numpy took as ArrayMethods


def _array_methods():
    """How many (ufunc, dtype) loops run as ArrayMethods (the tests compare
    it with the number of loops: a numpy that refused them is noticed)."""
    return g_array_methods


cdef object new_ufunc(int u, str name, int nin, str doc):
    name_bytes = name.encode()
    doc_bytes = doc.encode()
    g_docs.append((doc_bytes, name_bytes))
    ufunc = cnp.PyUFunc_FromFuncAndData(
        &g_funcs[u][0], &g_data[u][0], &g_types[u][0], len(NUMPY_ORDER), nin, 1,
        cnp.PyUFunc_None, name_bytes, doc_bytes, 0)
    g_ufunc[u] = ufunc
    name_bytes = (name + "_loop").encode()
    g_docs.append(name_bytes)
    global g_array_methods
    for k in range(len(NUMPY_ORDER)):
        try:
            fa_add_method(ufunc, g_types[u][k * (nin + 1)], name_bytes)
            g_array_methods += 1
        except Exception:
            # A numpy whose ufunc internals differ from the ones this was
            # written against: the legacy loop, unchanged, serves this
            # dtype (a call then costs a few percent more, nothing else).
            pass
    return ufunc


cdef object make_ufunc(str name, Kind kind, list kernels, Py_ssize_t grain, str doc):
    """The ufunc `name` over `kernels`, one per catalogue dtype."""
    cdef int u = new_slot(name)
    cdef int nin = arrays_of(kind) + params_of(kind)
    cdef int t, k
    g_kind[u] = kind
    g_nin[u] = nin
    for t in range(len(DTYPES)):
        g_loop_data[u][t].kernel = <void *><size_t>kernels[t]
        g_loop_data[u][t].grain = grain
    for k in range(len(NUMPY_ORDER)):
        t = NUMPY_ORDER[k]
        g_funcs[u][k] = numpy_loop(kind, DTYPES[t].suffix)
        g_data[u][k] = &g_loop_data[u][t]
    set_types(u, nin + 1)
    return new_ufunc(u, name, nin, doc)


def register_bfloat16(int type_num):
    """Add the bfloat16 loops, for numpy type number `type_num` (that of
    ml_dtypes.bfloat16), to every ufunc that has bfloat16 kernels. fastact
    calls this at import when ml_dtypes is installed. Returns how many."""
    cdef int u, a, registered = 0
    cdef int t = [d.suffix for d in DTYPES].index("bf16")
    cdef int arg_types[MAX_OPERANDS]
    for u in range(g_count):
        if g_loop_data[u][t].kernel == NULL:   # the defaults twins have none
            continue
        for a in range(g_nin[u] + 1):
            arg_types[a] = type_num
        cnp.PyUFunc_RegisterLoopForType(
            g_ufunc[u], type_num, numpy_loop(g_kind[u], "bf16"), arg_types,
            &g_loop_data[u][t])
        registered += 1
    return registered

# ---------------------------------------------------------------------------
# softmax rows. fastact._softmax brings any array and axis to a C-ordered
# (rows, cols) block; this runs the row kernel over it, whole rows per thread.

cdef enum RowOp:
    ROW_SOFTMAX, ROW_LOG_SOFTMAX, ROW_SOFTMAX_BACKWARD


cdef void run_rows(RowOp op, const real *a, const real *b, real *out,
                   Py_ssize_t start, Py_ssize_t stop, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t off = start * cols, count = stop - start
    if real is float:
        if op == ROW_SOFTMAX:
            fa_softmax_f32(a + off, out + off, count, cols)
        elif op == ROW_LOG_SOFTMAX:
            fa_log_softmax_f32(a + off, out + off, count, cols)
        else:
            fa_softmax_backward_f32(a + off, b + off, out + off, count, cols)
    elif real is double:
        if op == ROW_SOFTMAX:
            fa_softmax_f64(a + off, out + off, count, cols)
        elif op == ROW_LOG_SOFTMAX:
            fa_log_softmax_f64(a + off, out + off, count, cols)
        else:
            fa_softmax_backward_f64(a + off, b + off, out + off, count, cols)
    elif real is fa_f16:
        if op == ROW_SOFTMAX:
            fa_softmax_f16(<const uint16_t *>(a + off), <uint16_t *>(out + off), count, cols)
        elif op == ROW_LOG_SOFTMAX:
            fa_log_softmax_f16(<const uint16_t *>(a + off), <uint16_t *>(out + off), count, cols)
        else:
            fa_softmax_backward_f16(<const uint16_t *>(a + off), <const uint16_t *>(b + off),
                                    <uint16_t *>(out + off), count, cols)
    else:
        if op == ROW_SOFTMAX:
            fa_softmax_bf16(<const uint16_t *>(a + off), <uint16_t *>(out + off), count, cols)
        elif op == ROW_LOG_SOFTMAX:
            fa_log_softmax_bf16(<const uint16_t *>(a + off), <uint16_t *>(out + off), count, cols)
        else:
            fa_softmax_backward_bf16(<const uint16_t *>(a + off), <const uint16_t *>(b + off),
                                     <uint16_t *>(out + off), count, cols)


cdef void rows_parallel(RowOp op, const real *a, const real *b, real *out,
                        Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef fa_fpflags flags = fpflags_save()
    cdef int nthreads = threads_for(rows * cols, GRAIN_EXP)
    cdef Py_ssize_t chunk, start, stop
    cdef int c
    cdef unsigned int mode, own
    if nthreads > rows:
        nthreads = <int>rows
    if nthreads <= 1:
        run_rows(op, a, b, out, 0, rows, cols)
    else:
        chunk = (rows + nthreads - 1) // nthreads
        mode = fpmode_get()
        for c in prange(nthreads, num_threads=nthreads, schedule="static"):
            own = fpmode_enter(mode)
            start = c * chunk
            stop = start + chunk
            if stop > rows:
                stop = rows
            if start < stop:
                run_rows(op, a, b, out, start, stop, cols)
            fpmode_leave(own)
    fpflags_restore(flags)


cdef void rows_through_buffer(RowOp op, const char *a, const char *b, char *out,
                              Py_ssize_t rows, Py_ssize_t cols, real *buf) noexcept nogil:
    """Rows of arrays whose data are not aligned for their dtype (a view at
    an odd byte offset into a buffer), one at a time through `buf` (3 rows,
    aligned), on the calling thread: the row kernels load and store whole
    elements, which alignment-strict platforms fault on (and C leaves
    undefined). The kernel sees the same values, so the bits are the same."""
    cdef fa_fpflags flags = fpflags_save()
    cdef size_t row_bytes = <size_t>cols * sizeof(real)
    cdef real *ab = buf
    cdef real *bb = buf + cols
    cdef real *ob = buf + 2 * cols
    cdef Py_ssize_t r
    for r in range(rows):
        memcpy(ab, a + r * row_bytes, row_bytes)
        if op == ROW_SOFTMAX_BACKWARD:
            memcpy(bb, b + r * row_bytes, row_bytes)
        run_rows(op, ab, bb, ob, 0, 1, cols)
        memcpy(out + r * row_bytes, ob, row_bytes)
    fpflags_restore(flags)


def _rows(int op, cnp.ndarray a, cnp.ndarray b, cnp.ndarray out):
    """Run row kernel `op` (0 softmax, 1 log_softmax, 2 softmax_backward) on
    C-contiguous 2-D arrays of one float dtype (float32, float64, float16 or
    bfloat16); b is ignored unless op == 2.
    out may be a (then in place). The caller checks shapes and layouts."""
    cdef Py_ssize_t rows = out.shape[0], cols = out.shape[1]
    cdef RowOp rop = <RowOp>op
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    cdef char *po = <char *>cnp.PyArray_DATA(out)
    cdef size_t size = out.dtype.itemsize
    cdef char *pbuf
    if rows > 0 and cols > 0 and (<size_t>pa % size or <size_t>po % size
                                  or (rop == ROW_SOFTMAX_BACKWARD and <size_t>pb % size)):
        buf = np.empty(3 * cols, dtype=out.dtype)
        pbuf = <char *>cnp.PyArray_DATA(buf)
        if out.dtype.num == cnp.NPY_FLOAT:
            with nogil:
                rows_through_buffer(rop, pa, pb, po, rows, cols, <float *>pbuf)
        else:
            with nogil:
                rows_through_buffer(rop, pa, pb, po, rows, cols, <double *>pbuf)
        return
    if out.dtype.num == cnp.NPY_FLOAT:
        with nogil:
            rows_parallel(rop, <const float *>pa, <const float *>pb, <float *>po, rows, cols)
    elif out.dtype.num == cnp.NPY_DOUBLE:
        with nogil:
            rows_parallel(rop, <const double *>pa, <const double *>pb, <double *>po, rows, cols)
    elif out.dtype.num == cnp.NPY_FLOAT16:
        with nogil:
            rows_parallel(rop, <const fa_f16 *>pa, <const fa_f16 *>pb, <fa_f16 *>po, rows, cols)
    else:   # bfloat16 (the caller checked)
        with nogil:
            rows_parallel(rop, <const fa_bf16 *>pa, <const fa_bf16 *>pb, <fa_bf16 *>po, rows, cols)

# ---------------------------------------------------------------------------
# Parameters at their defaults. `fastact.<name>(x)` could call the
# parameterized ufunc with its defaults as operands, but numpy's set-up of a
# second operand (a Python float made into an array, broadcast) doubles the
# cost of a small call. So
# each parameterized ufunc has a twin that takes only the arrays: its loop
# adds the defaults as stride-0 operands and calls the parameterized loop,
# so both compute exactly the same thing. The public wrappers use the twin
# when the parameters are the defaults and the arrays are float32/float64.

ctypedef void (*inner_loop)(char **args, const npy_intp *dims, const npy_intp *steps,
                           void *data) noexcept nogil

ctypedef struct defaults_data:
    inner_loop loop                     # the parameterized ufunc's loop
    void *data                          # and its data
    int n_arrays                        # array operands numpy passes (1 or 2)
    int n_params
    char params[2][8]                   # the defaults, in the loop's dtype

cdef defaults_data g_defaults[MAX_UFUNCS][MAX_DTYPES]


cdef void defaults_loop(char **args, const npy_intp *dims, const npy_intp *steps,
                        void *data) noexcept nogil:
    cdef defaults_data *d = <defaults_data *>data
    cdef char *all_args[5]
    cdef npy_intp all_steps[5]
    cdef int i, k = 0
    for i in range(d.n_arrays):
        all_args[k] = args[i]
        all_steps[k] = steps[i]
        k += 1
    for i in range(d.n_params):
        all_args[k] = d.params[i]
        all_steps[k] = 0
        k += 1
    all_args[k] = args[d.n_arrays]
    all_steps[k] = steps[d.n_arrays]
    d.loop(all_args, dims, all_steps, d.data)


cdef object make_defaults_ufunc(str base, int n_arrays, tuple defaults):
    """The twin of ufunc `base` with its parameters fixed at `defaults`."""
    cdef int b = g_index[base]
    cdef int u = new_slot(base + "_defaults")
    cdef int t, i
    cdef bytes value
    # numpy's own dtypes, float16 included (the parameters rounded to it); a
    # bfloat16 call goes to the parameterized ufunc, see _parameterized.py.
    for t in range(len(NUMPY_ORDER)):
        g_defaults[u][t].loop = <inner_loop>g_funcs[b][t]
        g_defaults[u][t].data = g_data[b][t]
        g_defaults[u][t].n_arrays = n_arrays
        g_defaults[u][t].n_params = len(defaults)
        for i in range(len(defaults)):
            # Rounded to the dtype as numpy rounds a Python float operand.
            value = np.array(defaults[i], dtype=DTYPES[NUMPY_ORDER[t]].numpy).tobytes()
            memcpy(g_defaults[u][t].params[i], <char *>value, len(value))
        g_funcs[u][t] = defaults_loop
        g_data[u][t] = &g_defaults[u][t]
    set_types(u, n_arrays + 1)
    return new_ufunc(u, base + "_defaults", n_arrays,
                     f"{base} with its parameters at their defaults {defaults}.")


# ---------------------------------------------------------------------------
# One ufunc per catalogue entry (fastact/_catalog.py), in catalogue order, on
# the kernels fastact.kernels exports: the pointer in each kernel's capsule
# of __pyx_capi__ is the C API function itself (what `cimport` would give).
# The parameterized ones get their `<name>_defaults` twin.

cdef dict GRAIN_OF = {"cheap": GRAIN_CHEAP, "exp": GRAIN_EXP}


cdef size_t kernel_pointer(str name) except 0:
    capsule = _kernels.__pyx_capi__[name]
    return <size_t>PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule))


def _make_ufuncs():
    made = {}
    for spec in _catalog.SPECS:
        made[spec.name] = make_ufunc(
            spec.name, KIND_OF_SHAPE[spec.shape],
            [kernel_pointer(spec.kernel(d)) for d in DTYPES], GRAIN_OF[spec.grain],
            spec.docstring())
        try:
            # numpy >= 2.2: replace its generated first line (x1, x2, ...)
            # with ours, which names the arguments in order.
            made[spec.name].__doc__ = spec.docstring()
        except AttributeError:
            pass
    for spec in _catalog.SPECS:
        if spec.params:
            made[spec.name + "_defaults"] = make_defaults_ufunc(
                spec.name, len(spec.inputs), tuple(spec.params.values()))
    return made


globals().update(_make_ufuncs())


# ---------------------------------------------------------------------------
# The calls of the parameterized functions (fastact/_parameterized.py). A
# Python wrapper costs more than numpy's whole set-up of a 1-element call
# (its **kwargs dict, its checks, the call onward through another dict), so
# the public function is this C callable, taking numpy's vectorcall
# arguments as they come. It handles the common calls itself: arrays of
# numpy's float dtypes (native byte order), parameters left out or given as
# Python floats by position or by name, and no keyword but `out`. At the
# defaults it calls the `_defaults` twin, else the parameterized ufunc. Every
# other call (another keyword, an alias, another dtype, a list, a parameter
# of another type, an error to word) goes to the Python function the
# catalogue made, unchanged, which stays its reference: a TypeError from the
# ufunc sends the call there too, before anything is computed.

cdef extern from *:
    """
    #include <math.h>
    #include <string.h>
    #include <structmember.h>

    typedef struct {
        PyObject_HEAD
        vectorcallfunc vectorcall;
        PyObject *dict;             /* __doc__, __signature__, names */
        PyObject *twin;             /* <name>_defaults */
        PyObject *ufunc;            /* <name> */
        PyObject *slow;             /* the Python function: every other call */
        PyObject *names[2];         /* the parameters' names (interned) */
        PyObject *defaults[2];      /* and default values (Python floats) */
        PyObject *out_name;         /* ("out",) */
        int n_arrays, n_params;
        unsigned long dtype_mask;   /* 1 << type_num of the twin's dtypes */
        /* The last value of each parameter other than its default, as a
           0-d array of each dtype (half, float, double): see fa_front_param. */
        PyObject *cached[3][2];
        double cached_value[3][2];
    } fa_front;

    static int fa_front_traverse(fa_front *f, visitproc visit, void *arg) {
        Py_VISIT(f->dict); Py_VISIT(f->twin); Py_VISIT(f->ufunc); Py_VISIT(f->slow);
        Py_VISIT(Py_TYPE(f));
        return 0;
    }

    static int fa_front_clear(fa_front *f) {
        Py_CLEAR(f->dict); Py_CLEAR(f->twin); Py_CLEAR(f->ufunc); Py_CLEAR(f->slow);
        Py_CLEAR(f->names[0]); Py_CLEAR(f->names[1]);
        Py_CLEAR(f->defaults[0]); Py_CLEAR(f->defaults[1]); Py_CLEAR(f->out_name);
        for (int t = 0; t < 3; t++) { Py_CLEAR(f->cached[t][0]); Py_CLEAR(f->cached[t][1]); }
        return 0;
    }

    static void fa_front_dealloc(fa_front *f) {
        PyTypeObject *tp = Py_TYPE(f);
        PyObject_GC_UnTrack(f);
        fa_front_clear(f);
        tp->tp_free((PyObject *)f);
        Py_DECREF(tp);
    }

    /* A float array operand the twin has a loop for. */
    static inline int fa_front_array_ok(fa_front *f, PyObject *a) {
        PyArray_Descr *d;
        if (!PyArray_Check(a)) return 0;
        d = PyArray_DESCR((PyArrayObject *)a);
        return d->type_num < 64 && ((f->dtype_mask >> d->type_num) & 1)
               && PyArray_ISNBO(d->byteorder);
    }

    /* Python float parameter `value` as the operand numpy would make of it
       for arrays of type_num t: a 0-d array of that dtype (numpy casts a
       Python float to the arrays' dtype, NEP 50), which numpy sets up in a
       fraction of the time it takes to convert the float. Made once per
       value (the last one is kept). NULL without an error where the value
       would overflow the dtype (numpy's own conversion then decides). */
    static PyObject *fa_front_param(fa_front *f, int j, int t, PyObject *value) {
        int slot = t == NPY_HALF ? 0 : t == NPY_FLOAT ? 1 : 2;
        double v = PyFloat_AS_DOUBLE(value), limit = t == NPY_HALF ? 65504.0
            : t == NPY_FLOAT ? 3.4028234663852886e38 : 0.0;
        PyObject *a;
        if (f->cached[slot][j] != NULL && memcmp(&v, &f->cached_value[slot][j], sizeof v) == 0)
            return f->cached[slot][j];
        if (limit != 0.0 && v == v && fabs(v) > limit && fabs(v) != Py_HUGE_VAL)
            return NULL;
        a = PyArray_FromAny(value, PyArray_DescrFromType(t), 0, 0, 0, NULL);
        if (a == NULL) { PyErr_Clear(); return NULL; }
        Py_XSETREF(f->cached[slot][j], a);
        f->cached_value[slot][j] = v;
        return a;
    }

    static inline int fa_front_same_name(PyObject *a, PyObject *b) {
        return a == b || (PyUnicode_CheckExact(a) && PyUnicode_Compare(a, b) == 0);
    }

    static PyObject *fa_front_vectorcall(PyObject *self, PyObject *const *args,
                                         size_t nargsf, PyObject *kwnames) {
        fa_front *f = (fa_front *)self;
        Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
        Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
        PyObject *param[2] = {NULL, NULL}, *out = NULL, *stack[5], *result;
        int i, j, k, at_defaults = 1;
        if (nargs < f->n_arrays || nargs > f->n_arrays + f->n_params || nkw > 3)
            goto slow;
        for (i = f->n_arrays; i < nargs; i++)
            param[i - f->n_arrays] = args[i];
        for (k = 0; k < nkw; k++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, k);
            /* keyword names are interned: identity first, equality after */
            for (j = 0; j < f->n_params; j++)
                if (name == f->names[j]) break;
            if (j == f->n_params && name != PyTuple_GET_ITEM(f->out_name, 0))
                for (j = 0; j < f->n_params; j++)
                    if (fa_front_same_name(name, f->names[j])) break;
            if (j < f->n_params) {
                if (param[j] != NULL) goto slow;       /* given twice: the error */
                param[j] = args[nargs + k];
            } else if (out == NULL && fa_front_same_name(name, PyTuple_GET_ITEM(f->out_name, 0))) {
                out = args[nargs + k];
            } else {
                goto slow;
            }
        }
        for (i = 0; i < f->n_arrays; i++)
            if (!fa_front_array_ok(f, args[i])) goto slow;
        for (j = 0; j < f->n_params; j++) {
            if (param[j] == NULL) { param[j] = f->defaults[j]; continue; }
            if (!PyFloat_CheckExact(param[j])) goto slow;
            if (PyFloat_AS_DOUBLE(param[j]) != PyFloat_AS_DOUBLE(f->defaults[j]))
                at_defaults = 0;
        }
        for (i = 0; i < f->n_arrays; i++)
            stack[i] = args[i];
        k = f->n_arrays;
        if (!at_defaults) {
            /* every array a plain ndarray (a subclass may look at the
               operands), all of one dtype: the parameters as 0-d arrays */
            int t = PyArray_DESCR((PyArrayObject *)args[0])->type_num;
            for (i = 0; i < f->n_arrays; i++)
                if (!PyArray_CheckExact(args[i])
                        || PyArray_DESCR((PyArrayObject *)args[i])->type_num != t)
                    t = -1;
            if (out != NULL && !PyArray_CheckExact(out))
                t = -1;
            for (j = 0; j < f->n_params; j++) {
                PyObject *p = t < 0 ? NULL : fa_front_param(f, j, t, param[j]);
                stack[k++] = p != NULL ? p : param[j];
            }
        }
        if (out != NULL)
            stack[k] = out;
        /* the call holds the 0-d arrays: a call from another thread may
           replace them in the cache meanwhile */
        for (j = f->n_arrays; j < k; j++) Py_INCREF(stack[j]);
        result = PyObject_Vectorcall(at_defaults ? f->twin : f->ufunc, stack, (size_t)k,
                                     out != NULL ? f->out_name : NULL);
        for (j = f->n_arrays; j < k; j++) Py_DECREF(stack[j]);
        if (result != NULL || !PyErr_ExceptionMatches(PyExc_TypeError))
            return result;
        PyErr_Clear();
      slow:
        return PyObject_Vectorcall(f->slow, args, nargsf, kwnames);
    }

    /* A function in a namespace stays itself when looked up on a class
       (like a builtin function), and is a method descriptor to inspect. */
    static PyObject *fa_front_get(PyObject *self, PyObject *obj, PyObject *type) {
        Py_INCREF(self);
        return self;
    }

    static PyObject *fa_front_reduce(PyObject *self, PyObject *unused) {
        /* pickled by name, as functions are: fastact.<name> */
        return PyObject_GetAttrString(self, "__qualname__");
    }

    static PyObject *fa_front_repr(PyObject *self) {
        PyObject *name = PyObject_GetAttrString(self, "__qualname__"), *r;
        if (name == NULL) return NULL;
        r = PyUnicode_FromFormat("<function fastact.%U>", name);
        Py_DECREF(name);
        return r;
    }

    static PyMethodDef fa_front_methods[] = {
        {"__reduce__", fa_front_reduce, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL}
    };

    static PyMemberDef fa_front_members[] = {
        {"__vectorcalloffset__", T_PYSSIZET, offsetof(fa_front, vectorcall), READONLY, NULL},
        {"__dictoffset__", T_PYSSIZET, offsetof(fa_front, dict), READONLY, NULL},
        {NULL, 0, 0, 0, NULL}
    };

    static PyType_Slot fa_front_slots[] = {
        {Py_tp_dealloc, fa_front_dealloc},
        {Py_tp_traverse, fa_front_traverse},
        {Py_tp_clear, fa_front_clear},
        {Py_tp_call, PyVectorcall_Call},
        {Py_tp_repr, fa_front_repr},
        {Py_tp_descr_get, fa_front_get},
        {Py_tp_methods, fa_front_methods},
        {Py_tp_members, fa_front_members},
        {Py_tp_doc, "A parameterized activation function of fastact."},
        {0, NULL}
    };

    static PyType_Spec fa_front_spec = {
        "fastact.ParameterizedFunction", sizeof(fa_front), 0,
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
        fa_front_slots
    };

    static PyObject *fa_front_type = NULL;

    static PyObject *fa_front_new(PyObject *twin, PyObject *ufunc, PyObject *slow,
                                  PyObject *names, PyObject *defaults, int n_arrays,
                                  unsigned long dtype_mask) {
        fa_front *f;
        int j, n = (int)PyTuple_GET_SIZE(names);
        if (fa_front_type == NULL && (fa_front_type = PyType_FromSpec(&fa_front_spec)) == NULL)
            return NULL;
        if (n < 1 || n > 2 || PyTuple_GET_SIZE(defaults) != n || n_arrays < 1 || n_arrays > 2) {
            PyErr_SetString(PyExc_ValueError, "fastact: 1 or 2 arrays and 1 or 2 parameters");
            return NULL;
        }
        f = PyObject_GC_New(fa_front, (PyTypeObject *)fa_front_type);
        if (f == NULL) return NULL;
        Py_INCREF(fa_front_type);   /* instances of heap types own a reference */
        f->vectorcall = fa_front_vectorcall;
        f->dict = PyDict_New();
        f->twin = twin; Py_INCREF(twin);
        f->ufunc = ufunc; Py_INCREF(ufunc);
        f->slow = slow; Py_INCREF(slow);
        f->names[0] = f->names[1] = f->defaults[0] = f->defaults[1] = NULL;
        memset(f->cached, 0, sizeof f->cached);
        for (j = 0; j < n; j++) {
            f->names[j] = PyTuple_GET_ITEM(names, j); Py_INCREF(f->names[j]);
            PyUnicode_InternInPlace(&f->names[j]);
            f->defaults[j] = PyFloat_FromDouble(PyFloat_AsDouble(PyTuple_GET_ITEM(defaults, j)));
        }
        {
            PyObject *out = PyUnicode_InternFromString("out");
            f->out_name = out == NULL ? NULL : PyTuple_Pack(1, out);
            Py_XDECREF(out);
        }
        f->n_arrays = n_arrays;
        f->n_params = n;
        f->dtype_mask = dtype_mask;
        PyObject_GC_Track(f);
        if (f->dict == NULL || f->out_name == NULL || f->defaults[n - 1] == NULL
                || PyErr_Occurred()) {
            Py_DECREF(f);
            return NULL;
        }
        return (PyObject *)f;
    }
    """
    object fa_front_new(object twin, object ufunc, object slow, tuple names, tuple defaults,
                        int n_arrays, unsigned long dtype_mask)


def _fast_call(twin, ufunc, slow, names, defaults, int n_arrays, dtypes):
    """The C callable in front of `slow`, the Python function of a
    parameterized ufunc (see above). `dtypes`: the twin's numpy dtypes."""
    cdef unsigned long mask = 0
    for d in dtypes:
        mask |= 1UL << np.dtype(d).num
    return fa_front_new(twin, ufunc, slow, tuple(names), tuple(defaults), n_arrays, mask)
