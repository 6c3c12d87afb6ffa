"""`out` sharing memory with an input, and the ufunc methods that make it so
(reduce, accumulate, at). numpy hands an inner loop the overlaps that a loop
going element by element in order handles (out lagging behind the input,
reduce's stride-0 accumulator) without copying; fastact's threaded and
buffered paths read ahead, so such calls must run in order and give exactly
the result of the same call on non-overlapping copies, or of the loop written
out in Python."""
import numpy as np
import pytest

import _inputs
from _compare import assert_same_bits

import fastact
from fastact import _ufuncs
from fastact._catalog import SPECS

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
# Far above both thread grains (2 x 2^17 for the cheap kernels), so the
# threaded path would split the run.
N_THREADED = 300_007


def ufunc_and_params(spec):
    """The raw ufunc of `spec` and its parameters as trailing operands."""
    return getattr(_ufuncs, spec.name), tuple(spec.params.values())


def sample(spec, dtype, n, seed=0):
    """One array holding every operand of `spec`, each of length n."""
    rng = np.random.default_rng(seed)
    if spec.inputs[-1] == "y":   # backward from the output: y in [0, 1]
        return rng.random(n, dtype=dtype)
    return rng.standard_normal(n, dtype=dtype) * dtype(4)


@pytest.fixture
def two_threads(fastact_threads):
    fastact_threads(2)


@DTYPES
@pytest.mark.parametrize("shift, n", [(1, N_THREADED), (300, 5_003)])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_out_lagging_behind_an_input_gives_the_result_of_copies(two_threads, spec, dtype,
                                                               shift, n):
    # out = base[:-shift], an input = base[shift:]: numpy does not copy (a
    # loop in order reads each element before it is overwritten).
    f, params = ufunc_and_params(spec)
    for position in range(len(spec.inputs)):
        base = sample(spec, dtype, n + shift, seed=position)
        others = [sample(spec, dtype, n, seed=10 + k)[:n] for k in range(len(spec.inputs))]
        arrays = list(others)
        arrays[position] = base[shift:shift + n]
        with np.errstate(all="ignore"):
            expected = f(*(a.copy() for a in arrays), *params)
            f(*arrays, *params, out=base[:n])
        assert_same_bits(base[:n], expected)


@DTYPES
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_out_overlapping_with_another_step_gives_the_result_of_copies(spec, dtype):
    # input every second element of base, out its first half: they overlap
    # with different steps (numpy lets an in-order loop handle this too).
    f, params = ufunc_and_params(spec)
    n = 5_003
    base = sample(spec, dtype, 2 * n)[:2 * n]
    others = [sample(spec, dtype, n, seed=10 + k)[:n] for k in range(len(spec.inputs))]
    arrays = list(others)
    arrays[0] = base[::2]
    with np.errstate(all="ignore"):
        expected = f(*(a.copy() for a in arrays), *params)
        f(*arrays, *params, out=base[:n])
    assert_same_bits(base[:n], expected)


def test_issue_example_sigmoid_on_a_shifted_view(two_threads):
    x = np.random.default_rng(1).standard_normal(100_003).astype(np.float32) * 4
    want = fastact.sigmoid(x[1:].copy())
    fastact.sigmoid(x[1:], out=x[:-1])
    assert_same_bits(x[:-1], want)


def test_interleaved_operands_that_never_meet_keep_the_fast_path_result():
    # real and imaginary parts of a complex array: overlapping byte ranges,
    # no shared element; the result is the one of copies.
    z = (np.random.default_rng(2).standard_normal(4002) * 3).view(np.complex128)
    re, im = z.real, z.imag
    want = fastact.sigmoid(re.copy())
    fastact.sigmoid(re, out=im)
    assert_same_bits(im, want)


# ufuncs with two operands: reduce and accumulate apply to them.
TWO_OPERANDS = [s for s in SPECS if len(s.inputs) + len(s.params) == 2]


def python_reduce(f, values):
    acc = values[0]
    for v in values[1:]:
        acc = f(acc, v)
    return acc


def python_accumulate(f, values):
    out = [values[0]]
    for v in values[1:]:
        out.append(f(out[-1], v))
    return np.array(out, dtype=values.dtype)


def reduce_sample(dtype, n, seed=0):
    # values in [0.1, 1]: repeated application stays away from overflow and
    # exact zeros for most of the run
    return np.random.default_rng(seed).uniform(0.1, 1.0, n).astype(dtype)


@DTYPES
@pytest.mark.parametrize("n", [3, 1000])
@pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
def test_reduce_is_the_loop_written_out(spec, dtype, n):
    f = getattr(_ufuncs, spec.name)
    a = reduce_sample(dtype, n)
    with np.errstate(all="ignore"):
        got = f.reduce(a)
        want = python_reduce(f, a)
    assert_same_bits(got, want)


@DTYPES
@pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
def test_reduce_along_each_axis_is_the_loop_written_out(spec, dtype):
    f = getattr(_ufuncs, spec.name)
    a = reduce_sample(dtype, 7 * 9).reshape(7, 9)
    with np.errstate(all="ignore"):
        for axis in (0, 1):
            got = f.reduce(a, axis=axis)
            want = np.array([python_reduce(f, np.take(a, i, axis=1 - axis))
                             for i in range(a.shape[1 - axis])], dtype=dtype)
            assert_same_bits(got, want)


@DTYPES
@pytest.mark.parametrize("n", [5, 1000, N_THREADED])
@pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
def test_accumulate_is_the_loop_written_out(two_threads, spec, dtype, n):
    f = getattr(_ufuncs, spec.name)
    a = reduce_sample(dtype, n)
    with np.errstate(all="ignore"):
        got = f.accumulate(a)
        # written out: one scalar call per element (the large case uses the
        # first thousand and checks the rest against a running chain)
        m = min(n, 1000)
        want = python_accumulate(f, a[:m])
        assert_same_bits(got[:m], want)
        if n > m:
            step = f(got[m - 1:-1].copy(), a[m:])
            assert_same_bits(got[m:], step)


def test_issue_example_sigmoid_backward_reduce():
    assert fastact.sigmoid_backward.reduce(np.array([1.0, .5, .5])) == 0.0625


@DTYPES
@pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
def test_at_with_repeated_indices_applies_in_order(spec, dtype):
    f = getattr(_ufuncs, spec.name)
    a = reduce_sample(dtype, 10)
    b = reduce_sample(dtype, 6, seed=1)
    idx = np.array([0, 3, 3, 9, 0, 3])
    want = a.copy()
    with np.errstate(all="ignore"):
        for i, v in zip(idx, b):
            want[i] = f(want[i], v)
        f.at(a, idx, b)
    assert_same_bits(a, want)


@DTYPES
@pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
def test_outer_is_every_pair(spec, dtype):
    f = getattr(_ufuncs, spec.name)
    a = reduce_sample(dtype, 9)
    b = reduce_sample(dtype, 7, seed=1)
    with np.errstate(all="ignore"):
        want = np.array([[f(x, y) for y in b] for x in a], dtype=dtype)
        assert_same_bits(f.outer(a, b), want)


def with_subnormal_stretches(a, seed):
    """`a` with a few stretches and single elements of subnormals of either
    sign, so that a large array's marked loops switch form."""
    rng = np.random.default_rng(seed)
    tiny = np.finfo(a.dtype).smallest_subnormal
    for start in rng.integers(0, a.size - 700, 6):
        length = int(rng.integers(1, 700))
        a[start:start + length] = tiny * rng.integers(-1000, 1000, length).astype(a.dtype)
    a[rng.integers(0, a.size, 40)] = tiny * a.dtype.type(3)
    return a


@DTYPES
@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind == "elementwise"],
                         ids=lambda s: s.name)
def test_a_large_array_gives_the_result_of_small_pieces(spec, dtype):
    # Above 1 MiB (the cheap grain: inputs together above 12 MiB) the
    # kernels (those with Spec.prefetch) run in short chunks, each asking
    # for the cache lines ahead of it (_generate.py, _prefetching_loop), and
    # their marked loops switch form on those chunks: the result is the one
    # computed in pieces below that size, out of place and exactly in place
    # through every input position, on one thread so that a single kernel
    # call runs all the chunks.
    n = _inputs.prefetch_from_bytes(spec) // np.dtype(dtype).itemsize + 4_099
    piece = 10_007
    f, params = ufunc_and_params(spec)
    before = fastact.get_num_threads()
    fastact.set_num_threads(1)
    try:
        arrays = [with_subnormal_stretches(sample(spec, dtype, n, seed=20 + k), seed=k)
                  for k in range(len(spec.inputs))]
        with np.errstate(all="ignore"):
            expected = np.concatenate([f(*(a[k:k + piece] for a in arrays), *params)
                                       for k in range(0, n, piece)])
            assert_same_bits(f(*arrays, *params), expected)
            for position in range(len(spec.inputs)):
                copies = [a.copy() for a in arrays]
                f(*copies, *params, out=copies[position])
                assert_same_bits(copies[position], expected)
    finally:
        fastact.set_num_threads(before)
