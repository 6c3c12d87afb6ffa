"""float16 and bfloat16: the conversions every narrow kernel is built on,
at every ISA tier this CPU runs, against numpy's float16 casts and
ml_dtypes' bfloat16 (the bfloat16 tests skip without ml_dtypes).

Widening is tested on all 65,536 bit patterns; rounding float32 to the narrow
type on every float32 within a few ulp of each narrow value and of each
midpoint between two (where ties to even, overflow and subnormals are
decided), plus random float32 bit patterns."""
import importlib
import math
import warnings

import numpy as np
import pytest

import fastact

try:
    import ml_dtypes
except ImportError:
    ml_dtypes = None

TIERS = fastact.config()["isas"]
NARROW = ["float16", "bfloat16"]
ALL_BITS = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


def narrow_dtype(name):
    if name == "float16":
        return np.dtype(np.float16)
    if ml_dtypes is None:
        pytest.skip("ml_dtypes is not installed (bfloat16 is the fastact[bfloat16] extra)")
    return np.dtype(ml_dtypes.bfloat16)


def tier_module(tier):
    return importlib.import_module("fastact._isa_" + tier)


def same_bits_or_both_nan(got, want):
    """Bit for bit, except that any NaN matches any NaN (payloads and the
    sign of a NaN are not part of the contract, as for float32: the float32
    kernels' NaN signs vary with operand order)."""
    got32 = np.asarray(got, np.float32)
    want32 = np.asarray(want, np.float32)
    nan = np.isnan(want32)
    same = got32.view(np.uint32) == want32.view(np.uint32)
    both_nan = nan & np.isnan(got32)
    return same | both_nan


def rounding_probes(dtype):
    """float32 values around every narrow value and every midpoint between
    neighbours, both signs, and random bit patterns (NaN, inf, subnormals
    included)."""
    with np.errstate(all="ignore"):
        values = ALL_BITS.view(dtype).astype(np.float32)
    values = values[np.isfinite(values) & ~np.signbit(values)]
    values = np.sort(values)
    mids = ((values[:-1].astype(np.float64) + values[1:]) / 2).astype(np.float32)
    centres = np.concatenate([values, mids, [np.float32(65520.0)]]).view(np.int32)
    near = (centres[:, None] + np.arange(-2, 3, dtype=np.int32)).ravel()
    near = near[near >= 0]
    rand = np.random.default_rng(11).integers(0, 1 << 32, 1 << 20, dtype=np.uint64)
    bits = np.concatenate([near.view(np.uint32), near.view(np.uint32) | 0x80000000,
                           rand.astype(np.uint32),
                           np.array([0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
                                     0x7f800001, 0x7fffffff, 0x00000001, 0x80000001],
                                    dtype=np.uint32)])
    return bits.view(np.float32)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", NARROW)
def test_widening_is_exact_for_every_value(tier, name):
    dtype = narrow_dtype(name)
    got = np.empty(ALL_BITS.size, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tier_module(tier)._narrow_cast(name, ALL_BITS, got)
    with np.errstate(all="ignore"):
        want = ALL_BITS.view(dtype).astype(np.float32)
    assert same_bits_or_both_nan(got, want).all()


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", NARROW)
def test_rounding_is_to_nearest_even_with_numpys_and_ml_dtypes_results(tier, name):
    dtype = narrow_dtype(name)
    f = rounding_probes(dtype)
    got = np.empty(f.size, np.uint16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tier_module(tier)._narrow_cast(name, f, got)
    with np.errstate(all="ignore"):
        want = f.astype(dtype)
        got_wide = got.view(dtype).astype(np.float32)
    ok = same_bits_or_both_nan(got_wide, want.astype(np.float32))
    assert ok.all(), f"{f[~ok][:5]!r} -> {got[~ok][:5]!r}, want {want.view(np.uint16)[~ok][:5]!r}"
    # a NaN stays a NaN and is quiet (top mantissa bit set)
    nan = np.isnan(f)
    quiet_bit = 0x0200 if name == "float16" else 0x0040
    assert (got[nan] & quiet_bit).all()


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", NARROW)
@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 100])
def test_lengths_that_are_not_whole_blocks(tier, name, n):
    dtype = narrow_dtype(name)
    f = np.linspace(-3, 3, n).astype(np.float32)
    h = np.full(n + 1, 0xabcd, np.uint16)
    tier_module(tier)._narrow_cast(name, f, h[:n])
    assert h[n] == 0xabcd  # nothing written past the end
    assert (h[:n] == f.astype(dtype).view(np.uint16)).all()
    back = np.full(n + 1, -7.0, np.float32)
    tier_module(tier)._narrow_cast(name, h[:n], back[:n])
    assert back[n] == -7.0
    assert (back[:n] == h[:n].view(dtype).astype(np.float32)).all()


# ---------------------------------------------------------------------------
# The contract: a float16 or bfloat16 result is the float32 result of the
# same function, rounded once to the narrow type, for every input; the
# parameters are cast to the narrow type first.

from fastact._catalog import SPECS  # noqa: E402
from fastact._check import narrow_ulp, narrow_ulp_errors  # noqa: E402

BY_SPEC = pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
FORWARD = [s for s in SPECS if len(s.inputs) == 1]
BACKWARD = [s for s in SPECS if len(s.inputs) == 2]


def every_value(dtype):
    return ALL_BITS.view(dtype)


def rounded(a, dtype):
    with np.errstate(all="ignore"):   # ml_dtypes' casts of NaN and overflow warn
        return np.asarray(a).astype(dtype)


def params_in(spec, dtype):
    """The catalogue's default parameters as the ufunc sees them for a
    narrow input: rounded to the narrow type, as float32 for the reference."""
    return {p: np.float32(rounded(np.float32(v), dtype)) for p, v in spec.params.items()}


def expected(spec, dtype, *arrays):
    """fastact's float32 result on the widened inputs, rounded once."""
    wide = [a.astype(np.float32) for a in arrays]
    return rounded(getattr(fastact, spec.name)(*wide, **params_in(spec, dtype)), dtype)


def assert_same_narrow_bits(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    ok = same_bits_or_both_nan(rounded(got, np.float32), rounded(want, np.float32))
    assert ok.all(), (f"{int((~ok).sum())} of {ok.size} differ; first inputs at "
                      f"{np.flatnonzero(~ok)[:5]}: got {got.ravel()[~ok.ravel()][:5]!r}, "
                      f"want {want.ravel()[~ok.ravel()][:5]!r}")


def backward_pairs(dtype):
    """grad_out x input pairs: every value against special and ordinary
    grad_outs, every grad_out against special and ordinary inputs, and a
    random sample of all pairs."""
    values = every_value(dtype)
    special = rounded(np.array([0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -7.5, 1e-3, np.inf, -np.inf,
                                np.nan, 6e-8, 1e4, -2.5], np.float32), dtype)
    rng = np.random.default_rng(5)
    rand_a = rng.integers(0, 1 << 16, 1 << 19).astype(np.uint16).view(dtype)
    rand_b = rng.integers(0, 1 << 16, 1 << 19).astype(np.uint16).view(dtype)
    g = np.concatenate([np.repeat(special, values.size), np.tile(values, special.size), rand_a])
    x = np.concatenate([np.tile(values, special.size), np.repeat(special, values.size), rand_b])
    return g, x


@BY_SPEC
@pytest.mark.parametrize("name", NARROW)
def test_every_input_gives_the_float32_result_rounded_once(spec, name):
    dtype = narrow_dtype(name)
    if len(spec.inputs) == 1:
        arrays = (every_value(dtype),)
    else:
        arrays = backward_pairs(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = getattr(fastact, spec.name)(*arrays)
    assert_same_narrow_bits(got, expected(spec, dtype, *arrays))


@BY_SPEC
@pytest.mark.parametrize("name", NARROW)
def test_the_reference_twin_agrees(spec, name):
    dtype = narrow_dtype(name)
    arrays = [np.linspace(-9, 9, 301).astype(dtype)] * len(spec.inputs)
    got = getattr(fastact, spec.name)(*arrays)
    want = getattr(fastact.reference, spec.name)(*arrays)
    assert got.dtype == want.dtype == dtype



@pytest.mark.parametrize("name", NARROW)
@pytest.mark.parametrize("fn, alpha", [("leaky_relu", 0.1), ("leaky_relu_backward", 0.3),
                                       ("elu", 0.7), ("softplus", 2.5)])
def test_parameters_are_cast_to_the_narrow_type_first(name, fn, alpha):
    dtype = narrow_dtype(name)
    spec = fastact._catalog.BY_NAME[fn]
    x = every_value(dtype)
    arrays = [x] * len(spec.inputs)
    first = next(iter(spec.params))
    got = getattr(fastact, fn)(*arrays, **{first: alpha})
    params = params_in(spec, dtype)
    params[first] = np.float32(rounded(np.float32(alpha), dtype))
    want = rounded(getattr(fastact, fn)(*[a.astype(np.float32) for a in arrays], **params),
                   dtype)
    assert_same_narrow_bits(got, want)
    # a parameter array of the narrow type: element by element
    alphas = rounded(np.linspace(0.01, 3, x.size, dtype=np.float32), dtype)
    got = getattr(fastact, fn)(*arrays, **{first: alphas})
    params[first] = alphas.astype(np.float32)
    want = rounded(getattr(fastact, fn)(*[a.astype(np.float32) for a in arrays], **params),
                   dtype)
    assert_same_narrow_bits(got, want)


@pytest.mark.parametrize("name", NARROW)
@pytest.mark.parametrize("fn", ["sigmoid", "gelu", "leaky_relu", "silu_backward", "softplus"])
def test_strided_in_place_and_threaded_layouts_give_the_same_bits(name, fn):
    dtype = narrow_dtype(name)
    spec = fastact._catalog.BY_NAME[fn]
    f = getattr(fastact, fn)
    rng = np.random.default_rng(3)
    n = 300_001
    arrays = [rounded(rng.standard_normal(n, dtype=np.float32) * 4, dtype)
              for _ in spec.inputs]
    want = f(*arrays)
    assert_same_narrow_bits(want, expected(spec, dtype, *arrays))
    # strided input and output, reversed, 2-D transposed
    big = [np.repeat(a, 3) for a in arrays]
    out = np.zeros(3 * n, dtype)
    f(*[b[::3] for b in big], out=out[1::3])
    assert_same_narrow_bits(out[1::3], want)
    assert_same_narrow_bits(f(*[a[::-1] for a in arrays])[::-1], want)
    m = [a[:300_000].reshape(600, 500) for a in arrays]
    assert_same_narrow_bits(f(*[a.T for a in m]).T.ravel(), want[:300_000])
    # odd offsets: every start within a block
    for k in range(1, 17):
        assert_same_narrow_bits(f(*[a[k:] for a in arrays]), want[k:])
    # in place
    x = arrays[-1].copy()
    r = f(*arrays[:-1], x, out=x)
    assert r is x
    assert_same_narrow_bits(x, want)
    # threads: split across two, same bits
    previous = fastact.get_num_threads()
    try:
        fastact.set_num_threads(2)
        assert_same_narrow_bits(f(*arrays), want)
    finally:
        fastact.set_num_threads(previous)


@pytest.mark.parametrize("name", NARROW)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmax_backward"])
@pytest.mark.parametrize("cols", [1, 7, 16, 100, 1500])
def test_softmax_rows_are_float32_rows_rounded_once(name, fn, cols):
    dtype = narrow_dtype(name)
    rng = np.random.default_rng(cols)
    x = rounded(rng.standard_normal((9, cols), dtype=np.float32) * 5, dtype)
    x[1, 0] = np.inf
    x[2, -1] = np.nan
    x[3, :] = -np.inf
    f = getattr(fastact, fn)
    n_arrays = 2 if fn == "softmax_backward" else 1
    arrays = [x, rounded(fastact.softmax(x.astype(np.float32)), dtype)][:n_arrays][::-1] \
        if n_arrays == 2 else [x]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(*arrays)
        got_axis0 = f(*[a.T for a in arrays], axis=0).T
        inplace = arrays[0].copy()
        f(inplace, *arrays[1:], out=inplace)
    want = rounded(f(*[a.astype(np.float32) for a in arrays]), dtype)
    assert_same_narrow_bits(got, want)
    assert_same_narrow_bits(got_axis0, want)
    assert_same_narrow_bits(inplace, want)


@pytest.mark.parametrize("name", NARROW)
def test_small_integers_and_mixed_operands_pick_numpys_loop(name):
    dtype = narrow_dtype(name)
    assert fastact.sigmoid(np.arange(3, dtype=np.int8)).dtype == np.float16
    assert fastact.sigmoid(np.arange(3, dtype=np.int16)).dtype == np.float32
    x = np.ones(4, dtype)
    assert fastact.sigmoid_backward(x, np.ones(4, np.float32)).dtype == np.float32
    assert fastact.leaky_relu(x, np.float32(0.5)).dtype == np.float32  # a typed parameter
    assert fastact.leaky_relu(x, 0.5).dtype == dtype                   # a Python float
    assert fastact.sigmoid(x[0]).dtype == dtype                        # 0-d


@pytest.mark.parametrize("name", NARROW)
def test_the_c_api_kernels_on_uint16_buffers(name):
    import ctypes
    dtype = narrow_dtype(name)
    suffix = {"float16": "f16", "bfloat16": "bf16"}[name]
    kernel = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t)(
        fastact.kernel_address(f"fa_sigmoid_{suffix}"))
    x = every_value(dtype).view(np.uint16).copy()
    y = np.empty_like(x)
    kernel(x.ctypes.data, y.ctypes.data, x.size)
    assert_same_narrow_bits(y.view(dtype), fastact.sigmoid(x.view(dtype)))


# ---------------------------------------------------------------------------
# Accuracy against the float64 oracle, in ulp of the narrow type (reported),
# measured as `check` measures it (narrow_ulp_errors).

def float32_allowance(spec, exact, dtype):
    """The float32 result's own allowed error (the catalogue's bound: ulp of
    float32, or abs_eps float32 epsilons where |exact| < 1), in narrow ulp."""
    e = np.abs(np.asarray(exact, np.float64))
    with np.errstate(all="ignore"):
        ulp32 = np.spacing(e.astype(np.float32)).astype(np.float64)
        allowed = spec.ulp * ulp32
        if spec.abs_eps:
            allowed = np.where(e < 1, np.maximum(allowed, spec.abs_eps * 2.0 ** -23), allowed)
        return np.nan_to_num(allowed / narrow_ulp(e, np.dtype(dtype).name))


# float64 is plenty for a narrow result (2^-53 against 2^-11 or 2^-8), and
# the erf-based oracles otherwise take mpmath's time on the tails.
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
FLOAT64_ORACLE = {
    "gelu": lambda x: x / 2 * _erfc(-x / math.sqrt(2)),
    "gelu_grad": lambda x: (_erfc(-x / math.sqrt(2)) / 2
                            + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
}


@pytest.mark.parametrize("spec", FORWARD, ids=lambda s: s.name)
@pytest.mark.parametrize("name", NARROW)
def test_error_against_the_float64_oracle_in_narrow_ulp(spec, name, ulp_report):
    from fastact._oracle import ORACLES
    oracle = FLOAT64_ORACLE.get(spec.name) or ORACLES.get(spec.name)
    if oracle is None:
        pytest.skip(f"no oracle for {spec.name} (mpmath missing)")
    dtype = narrow_dtype(name)
    x = every_value(dtype)
    x = x[np.isfinite(x.astype(np.float32))]
    params = {p: np.float64(v) for p, v in params_in(spec, dtype).items()}
    with np.errstate(all="ignore"):
        # float32 operands: the oracle computes in float64 (every narrow
        # value is a float32), plenty for a narrow result
        exact = np.asarray(oracle(x.astype(np.float32), **params), np.float64)
    got = getattr(fastact, spec.name)(x)
    err = narrow_ulp_errors(got, exact, dtype)
    worst = float(err.max())
    ulp_report(spec.name, dtype, worst)
    # Rounding once adds half an ulp to the float32 result's own error, a
    # tiny fraction of a narrow ulp except where a derivative's absolute
    # allowance meets a tiny value.
    bad = err > 0.5 + float32_allowance(spec, exact, dtype)
    assert not bad.any(), (x[bad][:5], got[bad][:5], exact[bad][:5])
