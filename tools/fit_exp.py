"""Derive the polynomial coefficients used by fastact's exp kernels.

e^r on |r| <= ln2/2 is written as 1 + r + r^2 * q(r); q is fitted with
mpmath's Chebyshev approximation (close to minimax) and the script prints the
coefficients and the relative error of the resulting e^r in units of 2^-p.
Run: python tools/fit_exp.py
"""
import mpmath as mp

mp.mp.dps = 50
HALF_LN2 = mp.log(2) / 2


def q_exact(r):
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2 + r / 6
    return (mp.exp(r) - 1 - r) / r**2


def fit(degree):
    coeffs, _ = mp.chebyfit(q_exact, [-HALF_LN2, HALF_LN2], degree + 1, error=True)
    coeffs = coeffs[::-1]  # lowest order first
    worst = mp.mpf(0)
    for i in range(2001):
        r = -HALF_LN2 + 2 * HALF_LN2 * i / 2000
        q = mp.polyval(coeffs[::-1], r)
        approx = 1 + r + r * r * q
        worst = max(worst, abs(approx / mp.exp(r) - 1))
    return coeffs, worst


if __name__ == "__main__":
    for degree, bits in [(3, 24), (4, 24), (8, 53), (9, 53), (10, 53)]:
        coeffs, worst = fit(degree)
        print(f"q degree {degree}: max rel error {mp.nstr(worst, 3)} = "
              f"{mp.nstr(worst * 2**bits, 3)} * 2^-{bits}")
        for c in coeffs:
            print("   ", mp.nstr(c, 20))
