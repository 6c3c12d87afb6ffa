"""The softmax trio (softmax, log_softmax, softmax_backward): whole rows along
any axis, so not in the elementwise catalogue. Elements within 4 ulp of the
longdouble oracle (softmax_backward: or 4 eps absolute where the exact value
is below 1) at every ISA tier this machine runs, rows summing to 1 within
n eps; any axis, order and view, in place; numpy's dtype rules; rows of
special values as PyTorch computes them; bitwise the same for any number of
threads; PyTorch's values where it is installed."""
import numpy as np
import pytest

from _compare import error_in_units

import fastact
from fastact import kernels, reference
from fastact._oracle import ORACLES

DTYPES = [np.float32, np.float64]
ULP = 4


@pytest.fixture(params=kernels.available_isas())
def isa(request):
    before = kernels.current_isa()
    kernels._set_isa(request.param)
    yield request.param
    kernels._set_isa(before)


def rows_of(n_rows, n_cols, dtype, seed=0, scale=5):
    return (np.random.default_rng(seed).standard_normal((n_rows, n_cols)) * scale).astype(dtype)


def max_error(name, *arrays, abs_eps=0):
    dtype = arrays[0].dtype
    got = getattr(fastact, name)(*arrays)
    assert got.dtype == dtype
    return error_in_units(got, ORACLES[name](*arrays), dtype, abs_eps).max()


@pytest.mark.parametrize("cols", [1, 3, 10, 17, 32, 33, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_elements_within_4_ulp_and_rows_sum_to_1(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols)
    assert max_error("softmax", x) <= ULP
    sums = fastact.softmax(x).astype(np.longdouble).sum(axis=-1)
    assert np.all(np.abs(sums - 1) <= cols * np.finfo(dtype).eps)


@pytest.mark.parametrize("cols", [1, 10, 17, 32, 33, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_within_4_ulp(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols + 1)
    assert max_error("log_softmax", x) <= ULP


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_keeps_the_digits_of_a_dominant_max(dtype):
    x = np.array([[0, -30, -40], [5, -25, -35], [2, 2, -30], [1, 1, 1]], dtype)
    assert fastact.log_softmax(x)[0, 0] < 0
    assert max_error("log_softmax", x) <= ULP


@pytest.mark.parametrize("cols", [1, 10, 32, 33, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward_within_4_ulp_or_4_eps(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols + 2, scale=2)
    y = fastact.softmax(x)
    g = rows_of(*x.shape, dtype, seed=7, scale=1)
    assert max_error("softmax_backward", g, y, abs_eps=4) <= ULP


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_any_axis_any_order_and_in_place(name, axis, order):
    x = np.asarray(np.random.default_rng(4).standard_normal((4, 5, 6)), order=order)
    args = (np.asarray(np.random.default_rng(5).standard_normal(x.shape), order=order),
            reference.softmax(x, axis=axis)) if name == "softmax_backward" else (x,)
    f, ref = getattr(fastact, name), getattr(reference, name)
    expected = ref(*args, axis=axis)
    np.testing.assert_allclose(f(*args, axis=axis), expected, rtol=1e-14, atol=1e-15)
    inplace = args[-1].copy(order=order)
    args2 = args[:-1] + (inplace,)
    assert f(*args2, axis=axis, out=inplace) is inplace
    np.testing.assert_allclose(inplace, expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("axis", [0, 1])
def test_non_contiguous_views(axis):
    base = np.random.default_rng(6).standard_normal((12, 14))
    view = base[::2, 1::3]
    np.testing.assert_allclose(fastact.softmax(view, axis=axis),
                               reference.softmax(view, axis=axis), rtol=1e-14)
    np.testing.assert_allclose(fastact.log_softmax(view.T, axis=axis),
                               reference.log_softmax(view.T, axis=axis), rtol=1e-14)
    out = np.empty((12, 14))[1::2, ::3]
    fastact.softmax(view, axis=axis, out=out)
    np.testing.assert_allclose(out, reference.softmax(view, axis=axis), rtol=1e-14)
    snapshot = base.copy()
    fastact.softmax(view, axis=axis, out=view)     # in place on a view
    np.testing.assert_allclose(view, reference.softmax(snapshot[::2, 1::3], axis=axis),
                               rtol=1e-14)
    untouched = np.ones(base.shape, bool)
    untouched[::2, 1::3] = False
    np.testing.assert_array_equal(base[untouched], snapshot[untouched])


def test_dtypes_follow_the_ufunc_rules():
    assert fastact.softmax(np.arange(6).reshape(2, 3)).dtype == np.float64
    assert fastact.softmax(np.arange(6, dtype=np.float32)).dtype == np.float32
    assert fastact.softmax(np.arange(6, dtype=np.float16)).dtype == np.float16
    assert fastact.softmax([1, 2, 3]).dtype == np.float64
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(np.ones((2, 3)), axis=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_rows_like_torch(dtype):
    inf, nan = np.inf, np.nan
    x = np.array([[inf, 1, 2], [inf, inf, 0], [-inf, -inf, -inf],
                  [-inf, 1, 1], [nan, 1, 2], [1e30, -1e30, 0]], dtype)
    with np.errstate(all="raise", under="ignore"):
        y = fastact.softmax(x)
        ly = fastact.log_softmax(x)
    assert np.isnan(y[:3]).all() and np.isnan(ly[:3]).all() and np.isnan(y[4]).all()
    np.testing.assert_array_equal(y[3], [0, 0.5, 0.5])
    assert ly[3, 0] == -inf
    np.testing.assert_array_equal(y[5], [1, 0, 0])


@pytest.mark.parametrize("cols", [*range(33, 100), 1000, 1001, 1007])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_row_max_sees_every_position(isa, cols, dtype):
    # Row p holds one large value at p, so large that a shift by any other
    # element would overflow the exp, and row p + cols a NaN at p: the row
    # max's vector steps, its overlapping last step and its lane folds must
    # each see every position.
    big = 200 if dtype == np.float32 else 1000
    x = np.concatenate([rows_of(cols, cols, dtype, seed=cols, scale=1)] * 2)
    x[np.arange(cols), np.arange(cols)] = big
    x[cols + np.arange(cols), np.arange(cols)] = np.nan
    with np.errstate(all="ignore"):
        y, ly = fastact.softmax(x), fastact.log_softmax(x)
    diag = np.arange(cols)
    np.testing.assert_array_equal(y[diag, diag], 1)
    np.testing.assert_array_equal(ly[diag, diag], 0)
    assert np.isfinite(ly[:cols]).all()
    assert np.isnan(y[cols:]).all() and np.isnan(ly[cols:]).all()


@pytest.mark.parametrize("cols", [10, 5000])
def test_rows_are_bitwise_identical_whatever_the_threads(cols):
    x = rows_of(320_000 // cols + 3, cols, np.float32)
    g = rows_of(*x.shape, np.float32, seed=1, scale=1)
    before = fastact.get_num_threads()
    try:
        fastact.set_num_threads(1)
        one = [fastact.softmax(x), fastact.log_softmax(x), fastact.softmax_backward(g, x)]
        fastact.set_num_threads(2)
        two = [fastact.softmax(x), fastact.log_softmax(x), fastact.softmax_backward(g, x)]
    finally:
        fastact.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cols", [1, 3, 10, 32])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_short_rows_give_each_row_its_own_bits(isa, name, dtype, cols):
    """Short rows run several to a group of vector lanes (a group short of
    rows fills its spare lanes with copies): a row's bits must not depend on
    its neighbours, its position, the number of rows or a NaN/inf row beside
    it."""
    x = rows_of(21, cols, dtype, seed=cols + 3)
    x[4, 0], x[9, -1], x[13] = np.nan, np.inf, -np.inf
    x[16, :] = x[16, 0]                          # every element the max
    g = rows_of(21, cols, dtype, seed=cols + 4, scale=1)
    f = getattr(fastact, name)

    def run(rows):
        if name == "softmax_backward":
            return f(g[rows], fastact.softmax(x[rows]))
        return f(x[rows])

    with np.errstate(all="raise", under="ignore"):
        whole = run(slice(None))
        alone = np.concatenate([run(slice(i, i + 1)) for i in range(21)])
        reversed_ = run(slice(None, None, -1))[::-1]
    np.testing.assert_array_equal(whole, alone)
    np.testing.assert_array_equal(whole, reversed_)
    ok = np.ones(21, bool)
    ok[[4, 9, 13]] = False
    if name != "softmax_backward":
        assert np.isnan(whole[~ok]).all() and not np.isnan(whole[ok]).any()


@pytest.mark.parametrize("cols", [3, 10, 32])
def test_short_float32_softmax_rows_match_the_long_row_kernel(isa, cols):
    """A short row padded with -inf past 32 columns goes through the long-row
    kernel: the exps are the same, the pads add exact zeros, and with
    elements in [-5, 0] every order of the double sum is exact, so the bits
    must match. (gcc 12 at the avx512 tier once folded the float32 round
    trip of 1/S away in the lane kernel: inv_lo was 0, rows 1 ulp off, still
    within the accuracy bound.)"""
    x = np.random.default_rng(cols).uniform(-5, 0, (50, cols)).astype(np.float32)
    padded = np.full((50, 40), -np.inf, np.float32)
    padded[:, :cols] = x
    np.testing.assert_array_equal(fastact.softmax(x), fastact.softmax(padded)[:, :cols])


def test_empty_and_single_columns():
    assert fastact.softmax(np.empty((3, 0))).shape == (3, 0)
    np.testing.assert_array_equal(fastact.softmax(np.array([[5.0], [-2.0]])), [[1.0], [1.0]])
    np.testing.assert_array_equal(fastact.log_softmax(np.array([[5.0]])), [[0.0]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_agrees_with_torch(dtype):
    torch = pytest.importorskip("torch")
    eps = np.finfo(dtype).eps
    tol = dict(rtol=16 * eps, atol=8 * eps)
    xs = rows_of(7, 33, dtype)
    txs = torch.from_numpy(xs.copy()).requires_grad_(True)
    ys = torch.softmax(txs, -1)
    g = rows_of(7, 33, dtype, seed=9, scale=1)
    (tgx,) = torch.autograd.grad(ys, txs, torch.from_numpy(g))
    np.testing.assert_allclose(fastact.softmax(xs), ys.detach().numpy(), **tol)
    np.testing.assert_allclose(fastact.log_softmax(xs), torch.log_softmax(txs, -1).detach().numpy(),
                               **tol)
    np.testing.assert_allclose(fastact.softmax_backward(g, fastact.softmax(xs)), tgx.numpy(),
                               rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_the_common_case_gives_the_general_paths_bits(name, dtype):
    """C-ordered rows along the last axis go straight to the row kernels;
    an out that overlaps an input other than exactly, a read-only or a
    subclass out take the general path: the same bits or the same errors."""
    x = rows_of(6, 33, dtype, seed=9)
    args = (rows_of(6, 33, dtype, seed=10), fastact.softmax(x)) if name == "softmax_backward" else (x,)
    f = getattr(fastact, name)
    # The general path: a transposed (F-ordered) copy along axis 0.
    want = f(*[np.asfortranarray(a.T) for a in args], axis=0).T
    np.testing.assert_array_equal(f(*args), want)
    np.testing.assert_array_equal(f(*args, axis=1), want)
    # An out that overlaps the first input shifted by one row.
    buf = np.zeros((7, 33), dtype)
    buf[1:] = args[0]
    shifted = (buf[1:],) + args[1:]
    f(*shifted, out=buf[:-1])
    np.testing.assert_array_equal(buf[:-1], want)
    # In place into the last input: the same bits.
    last = args[-1].copy()
    assert f(*args[:-1], last, out=last) is last
    np.testing.assert_array_equal(last, want)
    readonly = np.empty_like(x)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        f(*args, out=readonly)
    np.testing.assert_array_equal(f(*[a.view(_Subclass) for a in args]), want)


class _Subclass(np.ndarray):
    pass
