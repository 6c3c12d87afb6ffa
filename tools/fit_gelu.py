"""Fit the polynomials behind fastact's gelu (see _kernels.pxi).

For x >= 0, Q(x) = Phi(-x) = erfc(x / sqrt 2) / 2 is written as

    Q(x) = e^(-x^2/2) * t * G(t),    t = k / (k + x)  in (0, 1],

and G is smooth on the whole of [0, 1] (G(0) = 1 / (k sqrt(2 pi))). G is the
Chebyshev interpolant of degree `deg` on [0, 1], computed with mpmath at 40
digits and printed as monomial coefficients in t (lowest first).

    python tools/fit_gelu.py 4.5 24 5 0.25   # the float64 kernel's

An optional 4th argument c prints G's coefficients in v = t - c instead: the
monomial form in t sums terms of alternating sign near t = 1 (condition
number 6.3 there); around c = 0.25 the worst condition number over the
float64 kernel's range t in [0.1, 1] is 1.47, so Horner's rounding errors
stay small everywhere.

The float32 kernel instead writes Q(a) = e^(-a^2/2) R(a) with R(a) =
Q(a) e^(a^2/2) (Mills' ratio over sqrt(2 pi)) a rational function P(a)/S(a)
of a itself: in float32, t = k / (k + a) carries two roundings that
G(t) amplifies up to fivefold, while P and S, with positive coefficients,
take a exactly and add only their own roundings.

    python tools/fit_gelu.py rational 4 5 14.4   # the float32 kernel's

fits P of degree 4 and S of degree 5 on [0, 14.4] (relative error, by
Sanathanan-Koerner iterations then Lawson's reweighting towards minimax,
with P(0) = 1/2 and S(0) = 1 exactly so that R(0) = Q(0) is exact), and prints
them; it measures R's relative error evaluated in double (the forward
kernel's way: a float32 a converted, one rounding to float32 at the end) and
with the coefficients rounded to float32 in float32 arithmetic (Horner with
fused multiply-adds, one division: the derivative's way, where an absolute
error bound leaves room).

Where the tier has fused multiply-adds, the float32 kernel computes 2 R
instead, all in float32, as P/(a P + V):

    python tools/fit_gelu.py mills 4 5 13.15   # twice_mills_ratio_f32's

fits P of degree 4 and V of degree 5 on [0, 13.15] with P(0) = V(0) = 1
(the same iterations, on r (a P + V) - P = 0), and prints the coefficients
times 1.25 rounded to float32, as the kernel has them: P(0) = V(0) = 1.25
keeps P, V and a P + V away from the bottom of a binade at small a. Written
so, the roundings of P and V enter r damped by V/(a P + V) (0.2 at large a).
It measures r's relative error in float32 (Horner with FMA, the FMA for
a P + V, the division) on a dense sample.
"""
import sys

import mpmath as mp

mp.mp.dps = 40


def q(x):
    return mp.erfc(x / mp.sqrt(2)) / 2


def g_of_t(k, t):
    x = k * (1 - t) / t
    return q(x) * mp.exp(x * x / 2) / t


def fit(k, deg):
    n = deg + 1
    nodes = [(1 + mp.cos(mp.pi * (j + mp.mpf(1) / 2) / n)) / 2 for j in range(n)]
    vals = [g_of_t(k, t) for t in nodes]
    cheb = [2 * mp.fsum(vals[j] * mp.cos(mp.pi * i * (j + mp.mpf(1) / 2) / n) for j in range(n)) / n
            for i in range(n)]
    cheb[0] /= 2
    # T_i(s) as monomials in s = 2t - 1, then in t
    ts = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    for _ in range(2, n):
        a = [mp.mpf(0)] + [2 * v for v in ts[-1]]
        b = ts[-2] + [mp.mpf(0)] * (len(a) - len(ts[-2]))
        ts.append([p - r for p, r in zip(a, b)])
    in_s = [mp.mpf(0)] * n
    for i in range(n):
        for j, v in enumerate(ts[i]):
            in_s[j] += cheb[i] * v
    in_t = [mp.mpf(0)] * n
    for j in range(n):
        for m in range(j + 1):
            in_t[m] += in_s[j] * mp.binomial(j, m) * 2 ** m * (-1) ** (j - m)
    return in_t


def max_rel_error(k, coefs, samples=2000):
    worst = mp.mpf(0)
    for i in range(1, samples + 1):
        t = mp.mpf(i) / samples
        v = mp.mpf(0)
        for c in reversed(coefs):
            v = v * t + c
        worst = max(worst, abs(v / g_of_t(k, t) - 1))
    return worst


def mills_ratio(a):
    """R(a) = Q(a) e^(a^2/2), to double precision."""
    a = mp.mpf(a)
    return float(mp.erfc(a / mp.sqrt(2)) / 2 * mp.exp(a * a / 2))


def fit_rational(m, n, amax, iterations=80):
    """P (degree m, P(0) = 1/2) and S (degree n, S(0) = 1) with P/S ~ R on
    [0, amax]: monomial coefficients in a, lowest first, as float64."""
    import numpy as np
    a = np.unique(np.concatenate([np.linspace(0, amax, 4000),
                                  amax * (1 - np.cos(np.linspace(0, np.pi / 2, 2000)))]))
    r = np.array([mills_ratio(v) for v in a])
    u = a / amax                                   # scaled: a well-conditioned basis
    vp = np.vander(u, m + 1, increasing=True)
    vs = np.vander(u, n + 1, increasing=True)
    w = np.ones_like(a)
    s_prev = np.ones_like(a)
    for it in range(iterations):
        # P - R S = 0 linearised, p0 = 1/2 and s0 = 1 fixed; weighted by the
        # previous S R (Sanathanan-Koerner: relative error of P/S)
        lhs = np.hstack([vp[:, 1:], -(r[:, None] * vs[:, 1:])])
        rhs = r - 0.5
        weight = w / (s_prev * r)
        sol = np.linalg.lstsq(lhs * weight[:, None], rhs * weight, rcond=None)[0]
        p = np.concatenate([[0.5], sol[:m]])
        s = np.concatenate([[1.0], sol[m:]])
        s_prev = vs @ s
        err = np.abs((vp @ p) / s_prev / r - 1)
        if it >= 10:                               # Lawson: weight the worst points up
            w = w * np.sqrt(err / err.max()) + 1e-12
            w /= w.max()
    scale_p = float(amax) ** np.arange(m + 1)
    scale_s = float(amax) ** np.arange(n + 1)
    return p / scale_p, s / scale_s, a, r


def rational_main(m, n, amax):
    import numpy as np
    p, s, a, r = fit_rational(m, n, amax)
    err = np.abs(np.polynomial.polynomial.polyval(a, p) / np.polynomial.polynomial.polyval(a, s) / r - 1)
    print(f"# R = P/S on [0, {amax}], degrees {m} and {n}, max relative error {err.max():.3g}")
    p32 = [np.float32(c) for c in p]
    s32 = [np.float32(c) for c in s]
    # float32 evaluation at float32 a: each Horner step one rounding (FMA)
    a32 = np.unique(np.linspace(0, amax, 200001).astype(np.float32))
    r32 = np.array([mills_ratio(float(v)) for v in a32[::20]])
    a32 = a32[::20]
    pe = np.full(a32.shape, p32[-1], np.float32)
    for c in reversed(p32[:-1]):
        pe = (pe.astype(np.float64) * a32 + np.float64(c)).astype(np.float32)
    se = np.full(a32.shape, s32[-1], np.float32)
    for c in reversed(s32[:-1]):
        se = (se.astype(np.float64) * a32 + np.float64(c)).astype(np.float32)
    e32 = np.abs((pe / se).astype(np.float64) / r32 - 1)
    print(f"# float32: max relative error {e32.max():.3g} = {e32.max() * 2**24:.2f} * 2^-24 "
          f"(coefficients, Horner with FMA, the division)")
    pd = np.polynomial.polynomial.polyval(a32.astype(np.float64), p)
    sd = np.polynomial.polynomial.polyval(a32.astype(np.float64), s)
    ed = np.abs((pd / sd).astype(np.float32).astype(np.float64) / r32 - 1)
    print(f"# in double, rounded to float32 once: max relative error {ed.max():.3g} = "
          f"{ed.max() * 2**24:.2f} * 2^-24")
    for i, c in enumerate(p):
        print(f"cdef double p{i} = {float(c)!r}")
    for i, c in enumerate(s):
        print(f"cdef double s{i} = {float(c)!r}")


def fit_twice_mills(m, n, amax, iterations=150):
    """P (degree m) and V (degree n), P(0) = V(0) = 1, with P/(a P + V) ~ 2R
    on [0, amax]: monomial coefficients in a, lowest first, as float64."""
    import numpy as np
    a = np.unique(np.concatenate([np.linspace(0, amax, 4000),
                                  amax * (1 - np.cos(np.linspace(0, np.pi / 2, 2000)))]))
    r = 2 * np.array([mills_ratio(v) for v in a])
    u = a / amax
    vp = np.vander(u, m + 1, increasing=True)
    vv = np.vander(u, n + 1, increasing=True)
    w = np.ones_like(a)
    den_prev = np.ones_like(a)
    for it in range(iterations):
        # P (a r - 1) + r V = 0 linearised, p0 = v0 = 1 fixed; weighted by
        # the previous (a P + V) r (relative error of the ratio)
        lhs = np.hstack([vp[:, 1:] * (a * r - 1)[:, None], vv[:, 1:] * r[:, None]])
        rhs = -(a * r - 1) - r
        weight = w / (den_prev * r)
        sol = np.linalg.lstsq(lhs * weight[:, None], rhs * weight, rcond=None)[0]
        p = np.concatenate([[1.0], sol[:m]]) / amax ** np.arange(m + 1)
        v = np.concatenate([[1.0], sol[m:]]) / amax ** np.arange(n + 1)
        pa = np.polynomial.polynomial.polyval(a, p)
        den_prev = a * pa + np.polynomial.polynomial.polyval(a, v)
        err = np.abs(pa / den_prev / r - 1)
        if it >= 10:                               # Lawson: weight the worst points up
            w = w * np.sqrt(err / err.max()) + 1e-12
            w /= w.max()
    return p, v, a, r


def twice_mills_main(m, n, amax):
    import numpy as np
    p, v, a, r = fit_twice_mills(m, n, amax)
    pa = np.polynomial.polynomial.polyval(a, p)
    err = np.abs(pa / (a * pa + np.polynomial.polynomial.polyval(a, v)) / r - 1)
    print(f"# 2R = P/(aP + V) on [0, {amax}], degrees {m} and {n}, max relative error {err.max():.3g}")
    p32 = [np.float32(1.25 * c) for c in p]
    v32 = [np.float32(1.25 * c) for c in v]
    a32 = np.unique(np.linspace(0, amax, 200001).astype(np.float32))[::20]
    r32 = 2 * np.array([mills_ratio(float(x)) for x in a32])

    def horner(coefs):
        acc = np.full(a32.shape, coefs[-1], np.float32)
        for c in reversed(coefs[:-1]):
            acc = (acc.astype(np.float64) * a32 + np.float64(c)).astype(np.float32)   # FMA
        return acc
    pe, ve = horner(p32), horner(v32)
    de = (a32.astype(np.float64) * pe + ve).astype(np.float32)
    e32 = np.abs((pe / de).astype(np.float64) / r32 - 1)
    print(f"# float32: max relative error {e32.max():.3g} = {e32.max() * 2**24:.2f} * 2^-24 "
          f"(a sample; coefficients, Horner with FMA, a P + V, the division)")
    for i, c in enumerate(p32):
        print(f"cdef float p{i} = {float(c)!r}")
    for i, c in enumerate(v32):
        print(f"cdef float v{i} = {float(c)!r}")


if __name__ == "__main__" and sys.argv[1:2] == ["mills"]:
    twice_mills_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    sys.exit(0)


if __name__ == "__main__" and sys.argv[1:2] == ["rational"]:
    rational_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    sys.exit(0)

if __name__ == "__main__":
    k, deg = mp.mpf(sys.argv[1]), int(sys.argv[2])
    coefs = fit(k, deg)
    print(f"# k = {sys.argv[1]}, degree {deg}, max relative error "
          f"{float(max_rel_error(k, coefs, 400)):.3g}")
    center = mp.mpf(sys.argv[4]) if len(sys.argv) > 4 else mp.mpf(0)
    shifted = [mp.mpf(0)] * len(coefs)
    for j, a in enumerate(coefs):
        for m in range(j + 1):
            shifted[m] += a * mp.binomial(j, m) * center ** (j - m)
    if center:
        print(f"# in v = t - {sys.argv[4]}")
    for i, c in enumerate(shifted):
        print(f"cdef double g{i} = {float(c)!r}")
    if len(sys.argv) > 3 and int(sys.argv[3]) > 0:
        # d(t G(t))/dt to a few digits: the float64 kernel multiplies it by the
        # tiny rounding error of t, so a short least-squares fit is plenty.
        import numpy as np
        dd = int(sys.argv[3])
        tt = np.linspace(0, 1, 2001)
        h1 = sum((i + 1) * float(c) * tt ** i for i, c in enumerate(coefs))
        fitted = np.polynomial.polynomial.polyfit(tt, h1, dd)
        approx = np.polynomial.polynomial.polyval(tt, fitted)
        print(f"# d(tG)/dt, degree {dd}, max relative error "
              f"{np.max(np.abs(approx / h1 - 1)):.3g}")
        for i, c in enumerate(fitted):
            print(f"cdef double d{i} = {float(c)!r}")
