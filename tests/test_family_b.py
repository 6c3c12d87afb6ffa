"""Issue 5, part B: gelu, relu6, hard_sigmoid, hard_swish (each with _grad and
_backward) and softmax, log_softmax, softmax_backward.

Accuracy is measured against exact values (fastact._oracle_family_b: mpmath
for gelu, longdouble arithmetic for the rest), on every ISA tier this machine
runs, with the issue's bounds: gelu within 4 ulp; the hard family exact up to
the final rounding of torch's arithmetic; derivatives and backward within
4 ulp, or 4 eps absolute where the true value is below 1; softmax elements
within 4 ulp and rows summing to 1 within n eps.
"""
import numpy as np
import pytest

import fastact
from fastact import _catalog, kernels, reference
from fastact import _oracle_family_b as oracle

DTYPES = [np.float32, np.float64]
ELEMENTWISE = ["gelu", "relu6", "hard_sigmoid", "hard_swish"]
SPECIALS = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 1.5, -1.5, 0.5, -0.75,
            1e-30, -1e-30, 1e30, -1e30, np.inf, -np.inf, np.nan, -np.nan]


@pytest.fixture(params=kernels.available_isas())
def isa(request):
    before = kernels.current_isa()
    kernels._set_isa(request.param)
    yield request.param
    kernels._set_isa(before)


def sweep(dtype, lo, hi, n=4001, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.linspace(lo, hi, n), rng.uniform(lo, hi, n // 2),
                        rng.standard_normal(n // 2) * 2, SPECIALS[:-4]])
    return x.astype(dtype)


def ulp_error(got, exact, dtype):
    """|got - exact| in ulps of exact (in dtype), where exact is normal."""
    exact = np.asarray(exact, dtype=np.longdouble)
    rounded = exact.astype(dtype)
    spacing = np.spacing(np.abs(rounded)).astype(np.longdouble)
    with np.errstate(all="ignore"):
        err = np.abs(np.asarray(got).astype(np.longdouble) - exact) / spacing
    normal = np.isfinite(exact) & (np.abs(exact) >= np.finfo(dtype).tiny)
    return np.where(normal, err, 0)


def derivative_ok(got, exact, dtype, bound=4):
    """Within `bound` ulp, or `bound` eps absolute where |exact| < 1."""
    exact = np.asarray(exact, dtype=np.longdouble)
    err = ulp_error(got, exact, dtype)
    absolute = np.abs(np.asarray(got).astype(np.longdouble) - exact)
    small = np.abs(exact) < 1
    ok = (err <= bound) | (small & (absolute <= bound * np.finfo(dtype).eps))
    return ok | ~np.isfinite(exact)


# --------------------------------------------------------------------------
# gelu

@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_within_4_ulp_including_the_negative_tail(isa, dtype):
    lim = 15 if dtype == np.float32 else 39
    x = np.concatenate([sweep(dtype, -lim, lim, 3001),
                        np.linspace(-lim, -5, 1001).astype(dtype)])
    err = ulp_error(fastact.gelu(x), oracle.gelu(x), dtype)
    assert err.max() <= 4, (err.max(), x[np.argmax(err)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_where_the_result_approaches_the_subnormal_range(isa, dtype):
    # float64: Phi(x) is subnormal while x Phi(x) is still normal
    lo, hi = (-37.7, -37.4) if dtype == np.float64 else (-13.2, -12.8)
    x = np.linspace(lo, hi, 301).astype(dtype)
    err = ulp_error(fastact.gelu(x), oracle.gelu(x), dtype)
    assert err.max() <= 4


@pytest.mark.parametrize("name", ["gelu_grad", "gelu_backward"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_derivatives_within_4_ulp_or_4_eps(isa, name, dtype):
    lim = 15 if dtype == np.float32 else 39
    x = sweep(dtype, -lim, lim, 2001)
    if name == "gelu_grad":
        got, exact = fastact.gelu_grad(x), oracle.gelu_grad(x)
    else:
        g = np.random.default_rng(3).uniform(-2, 2, x.size).astype(dtype)
        got, exact = fastact.gelu_backward(g, x), oracle.gelu_backward(g, x)
    ok = derivative_ok(got, exact, dtype)
    assert ok.all(), x[~ok][:5]


def test_gelu_tail_values():
    assert fastact.gelu(-10.0) == pytest.approx(-7.619853024160527e-23, rel=4e-16)
    assert fastact.gelu(np.float32(-10.0)) == pytest.approx(-7.619853e-23, rel=3e-7)
    assert fastact.gelu_grad(-10.0) == pytest.approx(-7.6198530241605e-22 * 0.99, rel=0.02)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_limits_and_nan(dtype):
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0], dtype)
    y = fastact.gelu(x)
    assert y[0] == 0 and np.signbit(y[0]) and y[1] == np.inf and np.isnan(y[2])
    assert np.signbit(y[3]) and y[4] == 0 and not np.signbit(y[4])
    g = fastact.gelu_grad(x)
    assert g[0] == 0 and g[1] == 1 and np.isnan(g[2])
    np.testing.assert_array_max_ulp(g[3:], np.array([0.5, 0.5], dtype), maxulp=2)


# --------------------------------------------------------------------------
# relu6, hard_sigmoid, hard_swish

@pytest.mark.parametrize("name", ["relu6", "hard_sigmoid", "hard_swish"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_family_is_the_rounded_oracle(isa, name, dtype):
    x = np.concatenate([sweep(dtype, -8, 8, 4001),
                        np.nextafter(np.array([-3, 3, 0, 6], dtype), dtype(np.inf)),
                        np.nextafter(np.array([-3, 3, 0, 6], dtype), dtype(-np.inf))])
    got = getattr(fastact, name)(x)
    exact = getattr(oracle, name)(x).astype(dtype)
    np.testing.assert_array_equal(got, exact)
    np.testing.assert_array_equal(got, getattr(reference, name)(x))


@pytest.mark.parametrize("name", ["relu6_grad", "hard_sigmoid_grad", "relu6_backward",
                                  "hard_sigmoid_backward"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_derivatives_are_exact(isa, name, dtype):
    x = sweep(dtype, -8, 8, 2001)
    if name.endswith("_backward"):
        g = np.random.default_rng(1).standard_normal(x.size).astype(dtype)
        got, exact = getattr(fastact, name)(g, x), getattr(oracle, name)(g, x)
    else:
        got, exact = getattr(fastact, name)(x), getattr(oracle, name)(x)
    np.testing.assert_array_equal(got, exact.astype(dtype))


@pytest.mark.parametrize("name", ["hard_swish_grad", "hard_swish_backward"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_swish_derivatives_within_4_ulp_or_4_eps(isa, name, dtype):
    x = np.concatenate([sweep(dtype, -8, 8, 4001), np.linspace(-1.6, -1.4, 1001).astype(dtype)])
    if name.endswith("_backward"):
        g = np.random.default_rng(2).uniform(-3, 3, x.size).astype(dtype)
        got, exact = fastact.hard_swish_backward(g, x), oracle.hard_swish_backward(g, x)
    else:
        got, exact = fastact.hard_swish_grad(x), oracle.hard_swish_grad(x)
    assert derivative_ok(got, exact, dtype).all()
    assert ulp_error(got, exact, dtype).max() <= 2


KINKS = np.array([-3.0, 3.0, 0.0, 6.0, -0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_derivatives_at_the_kinks_are_torchs(dtype):
    x = KINKS.astype(dtype)
    np.testing.assert_array_equal(fastact.relu6_grad(x), [0, 1, 0, 0, 0])
    np.testing.assert_array_equal(fastact.hard_sigmoid_grad(x),
                                  np.array([0, 0, 1 / 6, 0, 1 / 6], dtype))
    np.testing.assert_array_equal(fastact.hard_swish_grad(x), [0, 1, 0.5, 1, 0.5])


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_family_limits_and_nan(dtype):
    x = np.array([-np.inf, np.inf, np.nan], dtype)
    np.testing.assert_array_equal(fastact.relu6(x), [0, 6, np.nan])
    np.testing.assert_array_equal(fastact.hard_sigmoid(x), [0, 1, np.nan])
    y = fastact.hard_swish(x)
    assert y[0] == 0 and y[1] == np.inf and np.isnan(y[2])
    for name in ["relu6", "hard_sigmoid", "hard_swish", "gelu"]:
        assert np.isnan(getattr(fastact, name + "_grad")(x)[2])
        assert np.isnan(getattr(fastact, name + "_backward")(np.ones(3, dtype), x)[2])


# --------------------------------------------------------------------------
# shared contract of the elementwise ones

ALL_ELEMENTWISE = [f + v for f in ELEMENTWISE for v in ("", "_grad", "_backward")]


def call(name, x, **kw):
    f = getattr(fastact, name)
    if name.endswith("_backward"):
        g = np.linspace(-2, 2, x.size).astype(x.dtype).reshape(x.shape)
        return f(g, x, **kw)
    return f(x, **kw)


@pytest.mark.parametrize("name", ALL_ELEMENTWISE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_no_floating_point_warnings(isa, name, dtype):
    x = np.concatenate([np.array(SPECIALS, dtype), sweep(dtype, -50, 50, 501),
                        np.array([np.finfo(dtype).max, -np.finfo(dtype).max,
                                  np.finfo(dtype).tiny, -np.finfo(dtype).smallest_subnormal],
                                 dtype)])
    with np.errstate(all="raise", under="ignore"):
        call(name, x)
        call(name, x[::3])         # the strided path


@pytest.mark.parametrize("name", ALL_ELEMENTWISE)
@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_and_strided_match(name, dtype):
    x = sweep(dtype, -10, 10, 3001)
    expected = call(name, x)
    strided = call(name, x[::2])
    np.testing.assert_array_equal(strided, expected[::2])
    y = x.copy()
    if name.endswith("_backward"):
        g = np.linspace(-2, 2, x.size).astype(dtype)
        out = getattr(fastact, name)(g, y, out=y)
    else:
        out = getattr(fastact, name)(y, out=y)
    assert out is y
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("name", ALL_ELEMENTWISE)
def test_ints_become_float64_and_float32_stays(name):
    x = np.arange(-8, 9)
    assert call(name, x).dtype == np.float64
    assert call(name, x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("name", ALL_ELEMENTWISE)
def test_reference_agrees(name):
    for dtype in DTYPES:
        x = sweep(dtype, -20, 20, 2001)
        got = call(name, x)
        ref = getattr(reference, name)(*((np.linspace(-2, 2, x.size).astype(dtype), x)
                                         if name.endswith("_backward") else (x,)))
        np.testing.assert_allclose(got, ref, rtol=8 * np.finfo(dtype).eps,
                                   atol=8 * np.finfo(dtype).eps)


def test_threads_give_bitwise_identical_results():
    x = np.random.default_rng(5).standard_normal(300_001) * 4
    before = fastact.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            fastact.set_num_threads(n)
            results.append([getattr(fastact, f)(x) for f in ("gelu", "gelu_grad", "hard_swish")])
        for r in results[1:]:
            for a, b in zip(results[0], r):
                np.testing.assert_array_equal(a, b)
    finally:
        fastact.set_num_threads(before)


def test_catalogue_and_c_api_list_every_function():
    for name in ALL_ELEMENTWISE:
        assert name in _catalog.BY_NAME
        for t in ("f32", "f64"):
            assert f"fa_{name}_{t}" in kernels.__pyx_capi__
    for name in ("softmax", "log_softmax", "softmax_backward"):
        for t in ("f32", "f64"):
            assert f"fa_{name}_{t}" in kernels.__pyx_capi__


# --------------------------------------------------------------------------
# softmax

def rows_of(n_rows, n_cols, dtype, seed=0, scale=5):
    return (np.random.default_rng(seed).standard_normal((n_rows, n_cols)) * scale).astype(dtype)


@pytest.mark.parametrize("cols", [1, 3, 10, 17, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_elements_within_4_ulp_and_rows_sum_to_1(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols)
    y = fastact.softmax(x)
    assert y.dtype == dtype
    assert ulp_error(y, oracle.softmax(x), dtype).max() <= 4
    sums = y.astype(np.longdouble).sum(axis=-1)
    assert np.all(np.abs(sums - 1) <= cols * np.finfo(dtype).eps)


@pytest.mark.parametrize("cols", [1, 10, 17, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_within_4_ulp(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols + 1)
    assert ulp_error(fastact.log_softmax(x), oracle.log_softmax(x), dtype).max() <= 4


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_keeps_the_digits_of_a_dominant_max(dtype):
    x = np.array([[0, -30, -40], [5, -25, -35], [2, 2, -30], [1, 1, 1]], dtype)
    got = fastact.log_softmax(x)
    assert got[0, 0] < 0
    assert ulp_error(got, oracle.log_softmax(x), dtype).max() <= 4


@pytest.mark.parametrize("cols", [1, 10, 1000, 100_000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward_within_4_ulp_or_4_eps(isa, cols, dtype):
    x = rows_of(max(1, 20_000 // cols), cols, dtype, seed=cols + 2, scale=2)
    y = fastact.softmax(x)
    g = rows_of(*x.shape, dtype, seed=7, scale=1)
    assert derivative_ok(fastact.softmax_backward(g, y), oracle.softmax_backward(g, y),
                         dtype).all()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward"])
def test_softmax_any_axis_any_order_and_in_place(name, axis, order):
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
def test_softmax_on_non_contiguous_views(axis):
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


def test_softmax_dtypes_follow_the_ufunc_rules():
    assert fastact.softmax(np.arange(6).reshape(2, 3)).dtype == np.float64
    assert fastact.softmax(np.arange(6, dtype=np.float32)).dtype == np.float32
    assert fastact.softmax(np.arange(6, dtype=np.float16)).dtype == np.float16
    assert fastact.softmax([1, 2, 3]).dtype == np.float64
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(np.ones((2, 3)), axis=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_special_rows_like_torch(dtype):
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


def test_softmax_rows_are_bitwise_identical_whatever_the_threads():
    x = rows_of(64, 5000, np.float32)
    before = fastact.get_num_threads()
    try:
        fastact.set_num_threads(1)
        one = [fastact.softmax(x), fastact.log_softmax(x)]
        fastact.set_num_threads(2)
        two = [fastact.softmax(x), fastact.log_softmax(x)]
    finally:
        fastact.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_softmax_empty_and_single_columns():
    assert fastact.softmax(np.empty((3, 0))).shape == (3, 0)
    np.testing.assert_array_equal(fastact.softmax(np.array([[5.0], [-2.0]])), [[1.0], [1.0]])
    np.testing.assert_array_equal(fastact.log_softmax(np.array([[5.0]])), [[0.0]])


# --------------------------------------------------------------------------
# agreement with PyTorch, when installed

@pytest.mark.parametrize("dtype", DTYPES)
def test_agrees_with_torch(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = sweep(dtype, -10, 10, 2001)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    pairs = [("gelu", F.gelu), ("relu6", F.relu6), ("hard_sigmoid", F.hardsigmoid),
             ("hard_swish", F.hardswish)]
    # torch's gelu is x/2 (1 + erf(x/sqrt2)): it cancels in the negative
    # tail, so agreement there is absolute, within a few eps
    eps = np.finfo(dtype).eps
    tol = dict(rtol=16 * eps, atol=8 * eps)
    for name, tf in pairs:
        ty = tf(tx)
        (tg,) = torch.autograd.grad(ty.sum(), tx)
        np.testing.assert_allclose(getattr(fastact, name)(x), ty.detach().numpy(), **tol)
        grad_tol = tol if name != "hard_sigmoid" else dict(rtol=1e-7)  # torch's f64 1/6 is float32's
        np.testing.assert_allclose(getattr(fastact, name + "_grad")(x), tg.numpy(), **grad_tol)
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
