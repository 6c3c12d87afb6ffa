"""Derive the polynomial coefficients of the kernels' tanh near 0, log1p and
expm1 (the smooth activations build on them) and print their approximation
error.

- tanh x = x + x^3 P(x^2) for |x| <= TANH_CUT: relative error of tanh.
- log1p f = f - s (f - z R(z)), s = f / (2 + f), z = s^2, for
  1/sqrt2 - 1 <= f <= sqrt2 - 1: R(z) = (2 atanh(s)/s - 2) / z. The error
  shown is that of log1p f.
- expm1 r = r + r^2 q(r) for |r| <= ln2/2: relative error of expm1.

Fits are mpmath Chebyshev approximations (close to minimax).
Run: python tools/fit_tanh_log1p_expm1.py
"""
import mpmath as mp

mp.mp.dps = 50
TANH_CUT = mp.mpf("0.625")
HALF_LN2 = mp.log(2) / 2
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)


def tanh_p(w):
    if w < mp.mpf("1e-30"):
        return mp.mpf(-1) / 3
    x = mp.sqrt(w)
    return (mp.tanh(x) - x) / (x * w)


def log1p_r(z):
    if z < mp.mpf("1e-30"):
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) / s - 2) / z


def expm1_q(r):
    if abs(r) < mp.mpf("1e-30"):
        return mp.mpf(1) / 2
    return (mp.expm1(r) - r) / r**2


def fit(f, lo, hi, degree):
    coeffs, _ = mp.chebyfit(f, [lo, hi], degree + 1, error=True)
    return coeffs[::-1]  # lowest order first


def show(title, coeffs, err, bits):
    print(f"{title}: max rel error {mp.nstr(err, 3)} = {mp.nstr(err * 2**bits, 3)} * 2^-{bits}")
    for c in coeffs:
        print("   ", mp.nstr(c, 20))


def grid(lo, hi, n=2000):
    return [lo + (hi - lo) * i / n for i in range(1, n + 1)]


if __name__ == "__main__":
    for degree, bits in [(3, 24), (4, 24), (8, 53), (9, 53), (10, 53)]:
        c = fit(tanh_p, 0, TANH_CUT**2, degree)
        err = max(abs((x + x**3 * mp.polyval(c[::-1], x * x)) / mp.tanh(x) - 1)
                  for x in grid(0, TANH_CUT))
        show(f"tanh P degree {degree}", c, err, bits)
    for degree, bits in [(2, 24), (3, 24), (6, 53), (7, 53)]:
        c = fit(log1p_r, 0, S_MAX**2, degree)
        worst = 0
        for f in grid(1 / mp.sqrt(2) - 1, mp.sqrt(2) - 1):
            if f == 0:
                continue
            s = f / (2 + f)
            z = s * s
            approx = f - s * (f - z * mp.polyval(c[::-1], z))
            worst = max(worst, abs(approx / mp.log1p(f) - 1))
        show(f"log1p R degree {degree}", c, worst, bits)
    for degree, bits in [(4, 24), (5, 24), (9, 53), (10, 53)]:
        c = fit(expm1_q, -HALF_LN2, HALF_LN2, degree)
        err = max(abs((r + r * r * mp.polyval(c[::-1], r)) / mp.expm1(r) - 1)
                  for r in grid(-HALF_LN2, HALF_LN2) if r != 0)
        show(f"expm1 q degree {degree}", c, err, bits)
