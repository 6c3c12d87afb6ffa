"""How results are compared: bitwise (ReLU family, layouts, threads) and
within the ULP contract against the oracle (sigmoid family)."""
import numpy as np

import _oracle


def _uint_view(a):
    return np.ascontiguousarray(a).view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


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
    err = _oracle.ulp_error(result, exact)
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
