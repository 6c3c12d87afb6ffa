"""The activation family of issue 5, part A: tanh, softsign, softplus,
log_sigmoid, silu, gelu_tanh, elu, selu, mish, each with _grad and _backward.

Accuracy is measured against the high-precision oracles of
fastact._oracle_family_a (long double, mpmath where that is not enough) over
dense sweeps, random values and magnitudes from tiny to huge, at every ISA
tier this machine runs, with the bounds of the catalogue: results that are
normal numbers within `ulp` ulp; derivatives also accepted within `abs_eps`
machine epsilons where the exact value is below 1 in magnitude. Results
below the smallest normal may be flushed to zero.
"""
import ctypes
import math

import numpy as np
import pytest

import fastact
from fastact import kernels, reference
from fastact._catalog import BY_NAME
from fastact._oracle_family_a import ORACLES

ACTIVATIONS = ["tanh", "softsign", "softplus", "log_sigmoid", "silu", "gelu_tanh",
               "elu", "selu", "mish"]
NAMES = [a + v for a in ACTIVATIONS for v in ("", "_grad", "_backward")]
DTYPES = [np.float32, np.float64]
TIERS = kernels.available_isas()


@pytest.fixture(params=TIERS)
def tier(request):
    before = kernels.current_isa()
    kernels._set_isa(request.param)
    yield request.param
    kernels._set_isa(before)


# ---------------------------------------------------------------------------
# Inputs

def sweep(dtype):
    """Finite x: a dense grid over the interesting range, random values, and
    magnitudes from the smallest normal to far beyond every saturation."""
    rng = np.random.default_rng(20261129)
    big = 30 if dtype == np.float32 else 300
    mags = np.logspace(-37 if dtype == np.float32 else -307, big, 4000)
    parts = [
        np.linspace(-40, 40, 160001),
        np.linspace(-1, 1, 20001),
        rng.standard_normal(40000) * 5,
        rng.standard_normal(10000) * 200,
        mags, -mags,
    ]
    return np.unique(np.concatenate(parts).astype(dtype))


def tanh_outputs(dtype):
    """y in [-1, 1]: outputs of tanh over the sweep and a grid close to +-1."""
    x = sweep(dtype)
    y = np.concatenate([np.tanh(x), np.linspace(-1, 1, 40001),
                        1 - np.logspace(-8 if dtype == np.float32 else -16, 0, 4000)])
    return np.unique(y.astype(dtype))


def inputs_for(name, dtype):
    """The array arguments of `name` for an accuracy run."""
    spec = BY_NAME[name]
    x = tanh_outputs(dtype) if spec.inputs[-1] == "y" else sweep(dtype)
    if spec.variant != "backward":
        return (x,)
    rng = np.random.default_rng(7)
    g = (rng.uniform(-3, 3, x.size)).astype(dtype)
    g[::7] = 1
    return (g, x)


SPECIAL = [0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 5e-324, -5e-324, 1e-300, -1e-300,
           1e-30, -1e-30, 0.5, -0.5, 1.0, -1.0, 20.0, 20.000001, 19.999999, -20.0, 88.0,
           -88.0, 89.0, -104.0, 710.0, -710.0, -745.0, -746.0, -800.0, 1e4, -1e4, 1e30,
           -1e30, 3e38, -3e38, 1e300, -1e300, np.finfo(np.float64).max,
           -np.finfo(np.float64).max]


def specials(dtype):
    with np.errstate(all="ignore"):
        return np.array(SPECIAL, dtype=dtype)


def call(name, *arrays, **kwargs):
    return getattr(fastact, name)(*arrays, **kwargs)


# ---------------------------------------------------------------------------
# Error measure

def error_units(got, exact, dtype, abs_eps):
    """Per element: the error in ulp of dtype at the exact value, or in
    machine epsilons where |exact| < 1 and abs_eps is given (the smaller of
    the two counts). Exact results below the smallest normal count as 0 when
    the result is within the smallest normal of them, as inf otherwise."""
    info = np.finfo(dtype)
    got = np.asarray(got).astype(np.longdouble)
    exact = np.asarray(exact, dtype=np.longdouble)
    err = np.abs(got - exact)
    mag = np.abs(exact)
    _, e = np.frexp(np.maximum(mag, np.longdouble(info.tiny)))
    ulp = np.ldexp(np.longdouble(1), e - 1 - info.nmant)
    units = err / ulp
    if abs_eps:
        units = np.where(mag < 1, np.minimum(units, err / np.longdouble(info.eps)), units)
    sub = mag < info.tiny
    units = np.where(sub, np.where(err <= info.tiny, 0, np.inf), units)
    both_inf = np.isinf(exact) & (got == exact)
    return np.where(both_inf, 0, np.where(np.isnan(units), np.inf, units))


_oracle_cache = {}


def oracle_values(name, dtype):
    key = (name, dtype)
    if key not in _oracle_cache:
        arrays = inputs_for(name, dtype)
        _oracle_cache[key] = (arrays, ORACLES[name](*arrays))
    return _oracle_cache[key]


def max_error(name, dtype):
    """(max error in units, input where it occurs) at the current tier."""
    spec = BY_NAME[name]
    arrays, exact = oracle_values(name, dtype)
    got = call(name, *arrays)
    assert got.dtype == dtype
    units = error_units(got, exact, dtype, spec.abs_eps)
    i = int(np.argmax(units))
    return float(units[i]), tuple(float(a[i]) for a in arrays)


# ---------------------------------------------------------------------------
# Accuracy

@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_within_its_ulp_bound(name, dtype, tier):
    worst, where = max_error(name, dtype)
    assert worst <= BY_NAME[name].ulp, f"{name} {np.dtype(dtype)} at {tier}: {worst:.3g} at {where}"


@pytest.mark.parametrize("name,params", [
    ("softplus", {"beta": 2.0, "threshold": 10.0}),
    ("softplus", {"beta": 0.5, "threshold": 20.0}),
    ("softplus_grad", {"beta": 3.0, "threshold": 15.0}),
    ("softplus_backward", {"beta": 0.25, "threshold": 5.0}),
    ("elu", {"alpha": 0.5}),
    ("elu_grad", {"alpha": 2.0}),
    ("elu_backward", {"alpha": 0.1}),
])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_parameters_other_than_the_defaults_stay_accurate(name, params, dtype):
    # beta x rounds once before the exp, so softplus with beta != 1 may
    # lose one more ulp; the bound here adds it.
    spec = BY_NAME[name]
    arrays = inputs_for(name, dtype)
    got = call(name, *arrays, **params)
    exact = ORACLES[name](*arrays, **params)
    units = error_units(got, exact, dtype, spec.abs_eps)
    slack = 1 if name == "softplus" else 0
    assert units.max() <= spec.ulp + slack


# The tails

def test_softplus_keeps_its_lower_tail():
    assert fastact.softplus(-100.0) == pytest.approx(math.exp(-100) - math.exp(-200) / 2,
                                                     rel=1e-15)
    assert fastact.softplus(np.float32(-80.0)) == pytest.approx(math.exp(-80), rel=1e-6)


def test_log_sigmoid_is_linear_far_below_zero():
    assert fastact.log_sigmoid(-800.0) == -800.0
    assert fastact.log_sigmoid(np.float32(-800.0)) == np.float32(-800.0)
    assert fastact.log_sigmoid(40.0) == pytest.approx(-math.exp(-40), rel=1e-15)


def test_derivatives_keep_their_tails():
    assert fastact.tanh_grad(20.0) == pytest.approx(4 * math.exp(-40), rel=1e-14)
    assert fastact.silu_grad(-50.0) == pytest.approx(-49 * math.exp(-50), rel=1e-13)
    assert fastact.elu_grad(-700.0) == pytest.approx(math.exp(-700), rel=1e-14)
    assert fastact.gelu_tanh(-10.0) == pytest.approx(float(ORACLES["gelu_tanh"](np.array([-10.0]))[0]),
                                                     rel=1e-15)


def test_softplus_threshold_returns_x_above_it():
    x = np.array([20.5, 100.0, 1e30], dtype=np.float32)
    np.testing.assert_array_equal(fastact.softplus(x), x)
    np.testing.assert_array_equal(fastact.softplus_grad(x), np.ones_like(x))
    np.testing.assert_array_equal(fastact.softplus(np.float32(6.0), beta=2.0, threshold=10.0),
                                  np.float32(6.0))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_limits_at_infinity(dtype):
    inf = dtype(np.inf)
    x = np.array([-inf, inf], dtype=dtype)
    expect = {
        "tanh": [-1, 1], "tanh_grad": [0, 0], "softsign": [-1, 1], "softsign_grad": [0, 0],
        "softplus": [0, np.inf], "softplus_grad": [0, 1], "log_sigmoid": [-np.inf, 0],
        "log_sigmoid_grad": [1, 0], "silu": [0, np.inf], "silu_grad": [0, 1],
        "gelu_tanh": [0, np.inf], "gelu_tanh_grad": [0, 1], "elu": [-1, np.inf],
        "elu_grad": [0, 1], "selu": [-1.0507009873554805 * 1.6732632423543772, np.inf],
        "selu_grad": [0, 1.0507009873554805], "mish": [0, np.inf], "mish_grad": [0, 1],
    }
    for name, values in expect.items():
        np.testing.assert_allclose(call(name, x), np.array(values, dtype=dtype),
                                   rtol=2 * np.finfo(dtype).eps, err_msg=name)


# ---------------------------------------------------------------------------
# NaN, flags, warnings

@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_nan_propagates(name, dtype, tier):
    nan = np.array([np.nan, -np.nan, np.nan, 1.0, np.nan] * 13, dtype=dtype)
    if BY_NAME[name].variant == "backward":
        g = np.ones_like(nan)
        assert np.isnan(call(name, g, nan)[np.isnan(nan)]).all()
        assert np.isnan(call(name, nan, np.zeros_like(nan))[np.isnan(nan)]).all()
    else:
        assert np.isnan(call(name, nan)[np.isnan(nan)]).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_no_warning_for_any_input(name, dtype, tier):
    x = np.concatenate([specials(dtype), np.array([np.nan], dtype=dtype), sweep(dtype)[::97]])
    with np.errstate(all="raise", under="ignore"):
        if BY_NAME[name].variant == "backward":
            call(name, np.ones_like(x), x)
            call(name, x, np.full_like(x, 0.5))
        else:
            call(name, x)


# ---------------------------------------------------------------------------
# Layouts, in place, parameters

@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_in_place_equals_out_of_place(name, dtype):
    x = np.linspace(-12, 12, 3001, dtype=dtype)
    if BY_NAME[name].variant == "backward":
        g = np.linspace(-2, 2, x.size, dtype=dtype)
        x = np.tanh(x) if name == "tanh_backward" else x
        expect = call(name, g, x)
        out = call(name, g, x, out=g)
        assert out is g
    else:
        expect = call(name, x)
        out = call(name, x, out=x)
        assert out is x
    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("name", NAMES)
def test_strided_and_broadcast_inputs_match_contiguous(name):
    x = np.linspace(-9, 9, 4001)
    xs = x[::3]
    if BY_NAME[name].variant == "backward":
        g = np.linspace(-2, 2, x.size)
        args = (g[::3], xs)
        np.testing.assert_array_equal(call(name, *args), call(name, g[::3].copy(), xs.copy()))
        np.testing.assert_array_equal(call(name, 1.5, xs), call(name, np.full(xs.size, 1.5), xs))
    else:
        np.testing.assert_array_equal(call(name, xs), call(name, xs.copy()))
        m = np.linspace(-9, 9, 60).reshape(6, 10).T
        np.testing.assert_array_equal(call(name, m), call(name, m.copy()))


def test_parameters_broadcast_elementwise():
    x = np.linspace(-5, 5, 11)
    alpha = np.linspace(0.1, 2, 11)
    np.testing.assert_array_equal(fastact.elu(x, alpha),
                                  [fastact.elu(x[i], alpha[i]) for i in range(11)])
    beta = np.linspace(0.5, 3, 11)
    threshold = np.linspace(1, 20, 11)
    np.testing.assert_array_equal(
        fastact.softplus(x, beta, threshold),
        [fastact.softplus(x[i], beta[i], threshold[i]) for i in range(11)])
    np.testing.assert_array_equal(
        fastact.softplus_backward(2.0, x, beta=beta),
        [fastact.softplus_backward(2.0, x[i], beta=beta[i]) for i in range(11)])


def test_float32_stays_float32_and_ints_become_float64():
    assert fastact.softplus(np.ones(3, np.float32)).dtype == np.float32
    assert fastact.elu(np.ones(3, np.float32), alpha=0.5).dtype == np.float32
    assert fastact.mish(np.arange(3)).dtype == np.float64
    assert isinstance(fastact.tanh(0.5), np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_results_do_not_depend_on_the_number_of_threads(name):
    x = np.linspace(-20, 20, 1 << 20, dtype=np.float32)
    args = (np.full_like(x, 0.75), np.tanh(x) if name == "tanh_backward" else x) \
        if BY_NAME[name].variant == "backward" else (x,)
    before = fastact.get_num_threads()
    try:
        fastact.set_num_threads(1)
        one = call(name, *args)
        fastact.set_num_threads(max(2, before))
        many = call(name, *args)
    finally:
        fastact.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


# ---------------------------------------------------------------------------
# Consistency between the three variants, the reference and PyTorch

@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_grad_is_the_derivative_of_the_forward(activation):
    x = np.linspace(-6, 6, 1201) + 1e-3   # away from kinks at 0
    h = 1e-6
    numeric = (call(activation, x + h) - call(activation, x - h)) / (2 * h)
    np.testing.assert_allclose(call(activation + "_grad", x), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_is_grad_out_times_grad(activation):
    x = np.linspace(-30, 30, 6001)
    rtol = 8 * np.finfo(np.float64).eps
    if activation == "tanh":
        # tanh_backward sees y = tanh(x) rounded: 1 - y^2 inherits y's
        # rounding error times 2y^2 / (1 - y^2), 20 at |x| = 3
        x = np.linspace(-3, 3, 6001)
        rtol = 64 * np.finfo(np.float64).eps
    g = np.cos(x) * 3
    grad = call(activation + "_grad", x)
    y = call("tanh", x) if activation == "tanh" else x
    np.testing.assert_allclose(call(activation + "_backward", g, y), g * grad,
                               rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_reference_agrees(name, dtype):
    x = np.linspace(-15, 15, 3001, dtype=dtype)
    if BY_NAME[name].variant == "backward":
        args = (np.linspace(-2, 2, x.size, dtype=dtype), np.tanh(x) if name == "tanh_backward" else x)
    else:
        args = (x,)
    ref = getattr(reference, name)(*args)
    assert ref.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(call(name, *args), ref, rtol=tol, atol=tol)


def test_reference_handles_special_values_without_warnings():
    x = specials(np.float64)
    with np.errstate(all="raise", under="ignore"):
        for name in NAMES:
            if BY_NAME[name].variant == "backward":
                r = getattr(reference, name)(np.ones_like(x), x)
            else:
                r = getattr(reference, name)(x)
            got = call(name, *((np.ones_like(x), x) if name.endswith("_backward") else (x,)))
            finite = np.isfinite(x) & (np.abs(x) < 1e4)
            np.testing.assert_allclose(got[finite], r[finite], rtol=1e-9, atol=1e-300,
                                       err_msg=name)


def _torch_pairs():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return torch, {
        "tanh": torch.tanh, "softsign": F.softsign, "softplus": F.softplus,
        "log_sigmoid": F.logsigmoid, "silu": F.silu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "elu": F.elu,
        "selu": F.selu, "mish": F.mish,
    }


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_agrees_with_torch(activation, dtype):
    torch, fns = _torch_pairs()
    # finite x: torch's softsign(inf) is inf/inf = nan, its backward of silu,
    # mish... at +-inf inf * 0 = nan (our limits: test_limits_at_infinity)
    x = np.concatenate([np.linspace(-10, 10, 4001), [0.0, -0.0, np.nan]]).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = fns[activation](xt)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    (grad_t,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    # torch computes gelu_tanh as 0.5 x (1 + tanh(.)), which cancels for
    # x < 0: its float32 values there are off by up to ~1e-6 absolute
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(call(activation, x), yt.detach().numpy(), **tol)
    y_or_x = yt.detach().numpy() if activation == "tanh" else x
    # at x = nan torch's elu/selu backward pass grad_out through (nan <= 0 is
    # false); fastact's contract is that NaN propagates
    ok = ~np.isnan(x)
    np.testing.assert_allclose(call(activation + "_backward", g, y_or_x)[ok],
                               grad_t.numpy()[ok], **tol)


# ---------------------------------------------------------------------------
# The C API

def test_c_api_exports_every_kernel_with_its_signature():
    capi = kernels.__pyx_capi__
    shapes = {
        "unary": "void ({t} const *, {t} *, Py_ssize_t)",
        "binary": "void ({t} const *, {t} const *, {t} *, Py_ssize_t)",
        "unary_p": "void ({t} const *, {t} *, Py_ssize_t, {t})",
        "binary_p": "void ({t} const *, {t} const *, {t} *, Py_ssize_t, {t})",
        "unary_pp": "void ({t} const *, {t} *, Py_ssize_t, {t}, {t})",
        "binary_pp": "void ({t} const *, {t} const *, {t} *, Py_ssize_t, {t}, {t})",
    }
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    for name in NAMES:
        spec = BY_NAME[name]
        kind = ("binary" if spec.variant == "backward" else "unary") + \
            {0: "", 1: "_p", 2: "_pp"}[len(spec.params)]
        for suffix, t in (("f32", "float"), ("f64", "double")):
            assert get_name(capi[f"fa_{name}_{suffix}"]).decode() == shapes[kind].format(t=t)
