"""Fit the polynomials behind fastact's gelu (see _kernels.pxi).

For x >= 0, Q(x) = Phi(-x) = erfc(x / sqrt 2) / 2 is written as

    Q(x) = e^(-x^2/2) * t * G(t),    t = k / (k + x)  in (0, 1],

and G is smooth on the whole of [0, 1] (G(0) = 1 / (k sqrt(2 pi))). G is the
Chebyshev interpolant of degree `deg` on [0, 1], computed with mpmath at 40
digits and printed as monomial coefficients in t (lowest first).

    python tools/fit_gelu.py 3 12            # the float32 kernel's (evaluated in double)
    python tools/fit_gelu.py 4.5 24 5 0.25   # the float64 kernel's

An optional 4th argument c prints G's coefficients in v = t - c instead: the
monomial form in t sums terms of alternating sign near t = 1 (condition
number 6.3 there); around c = 0.25 the worst condition number over the
float64 kernel's range t in [0.1, 1] is 1.47, so Horner's rounding errors
stay small everywhere.
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
