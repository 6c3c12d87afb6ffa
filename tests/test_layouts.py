"""Memory layouts and numpy's ufunc machinery: in place, strided, reversed and
Fortran-ordered operands, 0-d and empty arrays, large (threaded) arrays,
broadcasting, where= and dtype=. Whatever the layout, results are bitwise the
ones computed on contiguous copies."""
import numpy as np
import pytest

import _inputs
from _compare import assert_same_bits
from _functions import BY_NAME, FUNCTIONS

import fastact

DTYPES = pytest.mark.parametrize("dtype", _inputs.FLOAT_DTYPES, ids=["float32", "float64"])
EVERY_FUNCTION = pytest.mark.parametrize("fn", FUNCTIONS, ids=str)
BACKWARD = [f for f in FUNCTIONS if f.n_arrays == 2]
WITH_ALPHA = [f for f in FUNCTIONS if f.has_alpha]


def operands(fn, dtype, shape, seed=0):
    return tuple(_inputs.mixed_sample(dtype, shape, seed + i) for i in range(fn.n_arrays))


def contiguous_result(fn, arrays, **kwargs):
    return fn.fast(*(np.array(a, order="C") for a in arrays), alpha=0.2, **kwargs)


IN_PLACE = [(fn, i) for fn in FUNCTIONS for i in range(fn.n_arrays)]


@DTYPES
@pytest.mark.parametrize("fn, operand", IN_PLACE,
                         ids=[f"{fn}-out=operand{i}" for fn, i in IN_PLACE])
def test_in_place_returns_the_operand_with_the_out_of_place_values(fn, operand, dtype):
    arrays = operands(fn, dtype, 1001)
    expected = fn.fast(*arrays, alpha=0.2)
    target = arrays[operand]
    result = fn.fast(*arrays, alpha=0.2, out=target)
    assert result is target
    assert_same_bits(target, expected)


@DTYPES
@EVERY_FUNCTION
def test_out_argument_receives_the_result(fn, dtype):
    arrays = operands(fn, dtype, 1001)
    out = np.empty(1001, dtype=dtype)
    result = fn.fast(*arrays, alpha=0.2, out=out)
    assert result is out
    assert_same_bits(out, fn.fast(*arrays, alpha=0.2))


# Views of a (60, 45) C-ordered array; the second operand (if any) is i = 1.
LAYOUTS = {
    "every_second": lambda a, i: a.ravel()[::2],
    "2d_every_third_row_and_second_column": lambda a, i: a[::3, ::2],
    "reversed": lambda a, i: a.ravel()[::-1],
    "reversed_2d": lambda a, i: a[::-1, ::-2],
    "fortran_order": lambda a, i: np.asfortranarray(a),
    "transposed": lambda a, i: a.T,
    "contiguous_with_fortran_order": lambda a, i: np.asfortranarray(a) if i else a,
    "contiguous_with_reversed": lambda a, i: a[:, ::-1] if i else a,
    "zero_d": lambda a, i: a[3, 4].reshape(()),
}


@DTYPES
@EVERY_FUNCTION
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_any_input_layout_gives_the_contiguous_result(fn, dtype, layout):
    arrays = tuple(LAYOUTS[layout](a, i) for i, a in enumerate(operands(fn, dtype, (60, 45))))
    assert_same_bits(fn.fast(*arrays, alpha=0.2), contiguous_result(fn, arrays))


@DTYPES
@EVERY_FUNCTION
def test_strided_out_views_receive_the_contiguous_result(fn, dtype):
    arrays = operands(fn, dtype, 500)
    buffer = np.full(1500, -7.0, dtype=dtype)
    out = buffer[::-3]
    result = fn.fast(*arrays, alpha=0.2, out=out)
    assert result is out
    assert_same_bits(out, contiguous_result(fn, arrays))
    untouched = np.ones(1500, dtype=bool)
    untouched[::-3] = False
    assert (buffer[untouched] == -7.0).all()


@DTYPES
@EVERY_FUNCTION
def test_fortran_ordered_out_receives_the_contiguous_result(fn, dtype):
    arrays = operands(fn, dtype, (40, 30))
    out = np.empty((40, 30), dtype=dtype, order="F")
    fn.fast(*arrays, alpha=0.2, out=out)
    assert_same_bits(out, contiguous_result(fn, arrays))


@DTYPES
@EVERY_FUNCTION
def test_zero_d_arrays_give_numpy_scalars_of_their_dtype(fn, dtype):
    arrays = tuple(np.array(v, dtype=dtype) for v in [-1.5, 0.25][:fn.n_arrays])
    result = fn.fast(*arrays)
    assert type(result) is np.dtype(dtype).type
    assert_same_bits(result, fn.fast(*(a.reshape(1) for a in arrays))[0])


@DTYPES
@EVERY_FUNCTION
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 5)])
def test_empty_arrays_give_empty_results(fn, dtype, shape):
    arrays = tuple(np.empty(shape, dtype=dtype) for _ in range(fn.n_arrays))
    result = fn.fast(*arrays)
    assert result.shape == shape and result.dtype == dtype


@DTYPES
@EVERY_FUNCTION
def test_large_arrays_equal_the_piecewise_results(fn, dtype):
    # Large arrays are split across threads, small ones are not: the pieces,
    # each small, must give bitwise the same values.
    arrays = operands(fn, dtype, 300_007)
    whole = fn.fast(*arrays, alpha=0.2)
    bounds = list(range(0, 300_007, 997)) + [300_007]
    pieces = [fn.fast(*(a[lo:hi] for a in arrays), alpha=0.2) for lo, hi in zip(bounds, bounds[1:])]
    assert_same_bits(whole, np.concatenate(pieces))


@DTYPES
@EVERY_FUNCTION
def test_results_do_not_depend_on_the_number_of_threads(fn, dtype):
    arrays = operands(fn, dtype, 300_007)
    saved = fastact.get_num_threads()
    try:
        fastact.set_num_threads(1)
        single = fn.fast(*arrays, alpha=0.2)
        fastact.set_num_threads(max(2, saved))
        multi = fn.fast(*arrays, alpha=0.2)
    finally:
        fastact.set_num_threads(saved)
    assert_same_bits(multi, single)


@DTYPES
@pytest.mark.parametrize("fn", WITH_ALPHA, ids=str)
def test_alpha_broadcasts_against_x(fn, dtype):
    alpha = np.array([0.01, 0.5, -1.0, 0.0], dtype=dtype)[:, None]     # (4, 1)
    arrays = tuple(a[None, :] for a in operands(fn, dtype, 50))         # (1, 50)
    result = fn.fast(*arrays, alpha=alpha)
    assert result.shape == (4, 50)
    if fn.exact:
        assert_same_bits(result, fn.ref(*arrays, alpha=alpha))
    else:   # accuracy against the oracle is tested elsewhere; here, broadcasting
        np.testing.assert_allclose(result, fn.ref(*arrays, alpha=alpha),
                                   rtol=np.sqrt(np.finfo(dtype).eps))
    full = [np.array(a) for a in np.broadcast_arrays(*arrays, alpha)]
    assert_same_bits(result, fn.fast(*full[:-1], alpha=full[-1]))
    for i in range(4):
        assert_same_bits(result[i], fn.fast(*(a[0] for a in arrays), alpha=alpha[i, 0]))


@DTYPES
@pytest.mark.parametrize("fn", BACKWARD, ids=str)
def test_grad_out_broadcasts_against_the_second_operand(fn, dtype):
    g, x = operands(fn, dtype, 40)
    result = fn.fast(g[:, None], x[None, :])
    assert result.shape == (40, 40)
    g_full, x_full = (np.array(a) for a in np.broadcast_arrays(g[:, None], x[None, :]))
    assert_same_bits(result, fn.fast(g_full, x_full))
    assert_same_bits(fn.fast(dtype(2.5), x), fn.fast(np.full(40, 2.5, dtype=dtype), x))


@DTYPES
@EVERY_FUNCTION
def test_where_leaves_masked_elements_of_out_untouched(fn, dtype):
    arrays = operands(fn, dtype, 1001)
    mask = np.random.default_rng(9).random(1001) < 0.5
    out = np.full(1001, -7.0, dtype=dtype)
    fn.fast(*arrays, alpha=0.2, out=out, where=mask)
    assert (out[~mask] == -7.0).all()
    assert_same_bits(out[mask], fn.fast(*arrays, alpha=0.2)[mask])


@EVERY_FUNCTION
def test_dtype_float32_computes_float64_input_in_float32(fn):
    # float32 special values, held in float64 (float64's own would overflow the cast)
    arrays = tuple(a.astype(np.float64) for a in operands(fn, np.float32, 1001))
    result = fn.fast(*arrays, alpha=0.2, dtype=np.float32)
    assert result.dtype == np.float32
    assert_same_bits(result, fn.fast(*(a.astype(np.float32) for a in arrays), alpha=0.2))


@DTYPES
@pytest.mark.parametrize("name", ["sigmoid", "relu", "leaky_relu"])
def test_overlapping_shifted_out_gives_the_result_of_a_copy(name, dtype):
    # numpy detects the overlap of out with a shifted view of the input and
    # buffers it; the kernel must not see a partially overwritten input.
    fn = BY_NAME[name]
    a = _inputs.mixed_sample(dtype, 1001, 0)
    expected = fn.fast(a[:-1].copy())
    fn.fast(a[:-1], out=a[1:])
    assert_same_bits(a[1:], expected)


def unaligned(a):
    """A copy of `a` whose data start one byte past an aligned address."""
    raw = np.empty(a.nbytes + 1, dtype=np.uint8)
    view = raw[1:].view(a.dtype).reshape(a.shape)
    view[...] = a
    assert not view.flags.aligned
    return view


@DTYPES
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_softmax_trio_on_unaligned_arrays_gives_the_aligned_result(name, dtype):
    # the row kernels load whole elements: unaligned data go through an
    # aligned buffer (alignment-strict platforms would fault otherwise)
    f = getattr(fastact, name)
    rng = np.random.default_rng(5)
    arrays = [(rng.standard_normal((70, 33)) * 5).astype(dtype) for _ in
              range(2 if name == "softmax_backward" else 1)]
    want = f(*arrays)
    assert_same_bits(f(*(unaligned(a) for a in arrays)), want)
    out = unaligned(np.zeros_like(want))
    f(*arrays, out=out)
    assert_same_bits(out, want)
    x = unaligned(arrays[0])
    f(x, *arrays[1:], out=x)               # in place, unaligned
    assert_same_bits(x, want)
