"""How results are compared: bitwise (exact functions, layouts, threads) and
in ULPs against the high-precision oracle (`fastact._oracle.ORACLES`).

A float32 result is measured against an oracle computed in float64 (29
extra bits), a float64 result against one in np.longdouble, which on x86-64
is the 80-bit format with a 64-bit significand (11 extra bits).
"""
import numpy as np
import pytest

from fastact._oracle import EXTENDED_LONGDOUBLE, working_dtype


def require_oracle_for(dtype):
    """Skip the calling test where the oracle for `dtype` would be no more
    precise than `dtype` itself: float64 needs np.longdouble to be the x87
    80-bit format (it is on x86-64 Linux, where CI runs)."""
    if np.dtype(dtype) == np.float64 and not EXTENDED_LONGDOUBLE:
        pytest.skip("the float64 oracle needs an extended-precision np.longdouble")


def ulp_error(result, exact):
    """Elementwise |result - exact| in ULPs of the result's dtype.

    `result` has the dtype under test (float32 or float64); `exact` is the
    oracle's value in the working precision. The ULP of an exact value v is
    the spacing of |v| rounded to the result dtype (for subnormal or zero v
    that is the smallest subnormal).  Special cases:

    - NaN must be NaN in both places; a mismatch counts as an infinite error.
    - Where either the result or the rounded exact value is infinite, they must
      be equal, else the error is infinite.
    - The contract allows results below the smallest normal to be flushed to
      0: a zero result counts as exact where |exact| is below the smallest
      normal or within 2 ULP of it (a result 2 ULP low there is subnormal and
      may be flushed).  Non-zero subnormal results are measured in units of
      the smallest subnormal.
    """
    result = np.asarray(result)
    dtype = result.dtype
    wide = working_dtype(dtype)
    exact = np.asarray(exact, dtype=wide)
    result, exact = np.broadcast_arrays(result, exact)
    err = np.zeros(result.shape, dtype=np.float64)
    with np.errstate(all="ignore"):
        rounded = exact.astype(dtype)
        nan_r, nan_e = np.isnan(result), np.isnan(exact)
        err[nan_r != nan_e] = np.inf
        both = ~(nan_r | nan_e)
        infinite = both & (np.isinf(result) | np.isinf(rounded))
        err[infinite & (result != rounded)] = np.inf
        finite = both & ~infinite
        r = result[finite].astype(wide)
        e = exact[finite]
        ulp = np.spacing(np.abs(rounded[finite])).astype(wide)
        e_ulp = np.abs(r - e) / ulp
        tiny = np.finfo(dtype).tiny
        flush_ok = (r == 0) & (np.abs(e) <= wide.type(tiny) + 2 * np.spacing(dtype.type(tiny)))
        e_ulp[flush_ok] = 0
        err[finite] = e_ulp.astype(np.float64)
    return err


def error_in_units(result, exact, dtype, abs_eps=0):
    """Per element: the error in ulp of `dtype` at the exact value's binade
    (the catalogue's measure, as `python -m fastact check` takes it), or in
    machine epsilons where |exact| < 1 and `abs_eps` is given (the smaller of
    the two counts). Exact values below the smallest normal count as 0 when
    the result is within the smallest normal of them, as inf otherwise."""
    info = np.finfo(dtype)
    result = np.asarray(result).astype(np.longdouble)
    exact = np.asarray(exact, dtype=np.longdouble)
    with np.errstate(all="ignore"):
        err = np.abs(result - exact)
        mag = np.abs(exact)
        _, e = np.frexp(np.maximum(mag, np.longdouble(info.tiny)))
        ulp = np.ldexp(np.longdouble(1), e - 1 - info.nmant)
        units = err / ulp
        if abs_eps:
            units = np.where(mag < 1, np.minimum(units, err / np.longdouble(info.eps)), units)
        sub = mag < info.tiny
        units = np.where(sub, np.where(err <= info.tiny, 0, np.inf), units)
        both_inf = np.isinf(exact) & (result == exact)
        return np.where(both_inf, 0, np.where(np.isnan(units), np.inf, units))


def _uint_view(a):
    return np.ascontiguousarray(a).view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def assert_same_bits(actual, expected):
    """Same dtype, shape, NaN positions, and identical bits everywhere else
    (so +0.0 and -0.0 differ). NaN payloads and signs are not compared."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if actual.ndim == 0:
        actual, expected = actual.reshape(1), expected.reshape(1)
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    bad = nan_a != nan_e
    if not bad.any():
        keep = ~nan_a
        bad[keep] = _uint_view(actual[keep]) != _uint_view(expected[keep])
    if bad.any():
        idx = np.argwhere(bad)[:5]
        details = ", ".join(f"{tuple(map(int, i))}: {actual[tuple(i)]!r} != "
                            f"{expected[tuple(i)]!r}" for i in idx)
        raise AssertionError(f"{int(bad.sum())} of {bad.size} elements differ "
                             f"bitwise; first: {details}")


def assert_within_ulp(result, exact, inputs, max_ulp=2.0, report=None):
    """Assert ulp_error(result, exact) <= max_ulp everywhere and return the
    largest error; the message names the worst inputs. `report(worst)`, if
    given, is called first, so a failing measurement is recorded too."""
    result = np.asarray(result)
    err = ulp_error(result, exact)
    worst = float(err.max()) if err.size else 0.0
    if report is not None:
        report(worst)
    if not worst <= max_ulp:
        order = np.argsort(err, axis=None)[::-1][:5]
        lines = []
        for i in order:
            idx = np.unravel_index(i, err.shape)
            ins = ", ".join(repr(np.broadcast_to(a, err.shape)[idx]) for a in inputs)
            lines.append(f"  f({ins}) = {result[idx]!r}, exact {np.asarray(exact)[idx]!r}:"
                         f" {err[idx]:.3f} ULP")
        raise AssertionError(f"{int((err > max_ulp).sum())} results over {max_ulp} ULP "
                             f"(worst {worst:.3f}):\n" + "\n".join(lines))
    return worst
