"""float16 and bfloat16: the conversions every narrow kernel is built on,
at every ISA tier this CPU runs, against numpy's float16 casts and
ml_dtypes' bfloat16 (the bfloat16 tests skip without ml_dtypes).

Widening is tested on all 65,536 bit patterns; rounding float32 to the narrow
type on every float32 within a few ulp of each narrow value and of each
midpoint between two (where ties to even, overflow and subnormals are
decided), plus random float32 bit patterns."""
import importlib
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

