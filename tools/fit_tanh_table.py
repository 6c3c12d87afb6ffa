"""Derive the piecewise polynomials of the float32 tanh of the AVX-512 tier
(src/fastact/_kernels_tanh_table.pxi) and print them as its C table.

|x| is cut into 32 intervals by the bits of its float32 pattern: interval 0
is [0, 1/8); intervals 1..28 are the binades [1/8, 16), each cut in four by
its top two mantissa bits (pattern >> 21); interval 29 is [16, inf), where
tanh rounds to 1; 30 and 31 are unused. On interval j, with lo its lower end
(0 for j = 0),

    tanh(a) ~ C0[j] + r (C1[j] + r (C2[j] + ... + r C5[j])),   r = a - lo,

degree 5, least squares on 64 Chebyshev nodes (close to minimax), relative
error weighted, the coefficients rounded to float32 one at a time from C0 up
with the later ones refitted. Interval 0 has C0 = 0 (a polynomial times a),
so the result keeps its relative accuracy down to the smallest inputs. The
printed error is that of the rounded polynomials evaluated exactly (C0's
rounding alone is up to half an ulp; the float32 evaluation adds about half
an ulp more; the kernel's measured maximum over all 2^32 inputs is in
docs/contract.md).

Run: python tools/fit_tanh_table.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEGREE = 5
NODES = 64


def chebyshev_nodes(lo, hi):
    k = np.arange(NODES)
    return lo + (hi - lo) / 2 * (1 - np.cos((k + 0.5) * np.pi / NODES))


def fit(lo, hi, divide_by_a):
    """The float32 coefficients for [lo, hi), rounded one at a time from the
    constant term up, each later one refitted to what the rounding of the
    earlier ones left (which takes most of C0's rounding error back)."""
    a = chebyshev_nodes(lo, hi)
    t = np.array([float(mp.tanh(mp.mpf(v))) for v in a])
    r = a - lo
    basis = np.vander(r, DEGREE + 1, increasing=True)
    fixed = []
    if divide_by_a:          # tanh(a) = a * (polynomial of degree DEGREE - 1)
        fixed = [0.0]
    while len(fixed) <= DEGREE:
        k = len(fixed)
        rest = t - basis[:, :k] @ np.array(fixed) if k else t
        c = np.linalg.lstsq(basis[:, k:] / t[:, None], rest / t, rcond=None)[0]
        fixed.append(float(np.float32(c[0])))
    return np.array(fixed)


def intervals():
    yield 0.0, 0.125
    for e in range(-3, 4):
        for q in range(4):
            yield 2.0**e * (1 + q / 4), 2.0**e * (1 + (q + 1) / 4)


def main():
    rows, starts = [], []
    worst = 0.0
    for j, (lo, hi) in enumerate(intervals()):
        c = fit(lo, hi, j == 0).astype(np.float32)
        rows.append(c)
        starts.append(lo)
        a = np.linspace(lo, hi, 2001)[1:-1]
        p = np.polynomial.polynomial.polyval(a - lo, c.astype(np.float64))
        exact = np.array([float(mp.tanh(mp.mpf(v))) for v in a])
        worst = max(worst, float(np.max(np.abs(p / exact - 1))))
    rows.append(np.array([1.0] + [0.0] * DEGREE, dtype=np.float32))     # [16, inf)
    starts.append(16.0)
    while len(rows) < 32:
        rows.append(np.zeros(DEGREE + 1, dtype=np.float32))
        starts.append(0.0)
    # The kernel indexes by the low five bits of (pattern >> 21), which put
    # interval j at position (j + 15) mod 32 (interval 1 starts at 1/8,
    # pattern 0x3e000000, >> 21 = 0x1f0; interval 0 is indexed as 0x1ef).
    order = [(position - 15) % 32 for position in range(32)]
    table = np.array(rows)[order]
    starts = np.array(starts, dtype=np.float32)[order]
    print(f"/* max relative error of the polynomials: {worst:.3g} "
          f"({worst * 2**24:.3f} x 2^-24). Position p holds interval (p - 15) mod 32. */")
    print(f"static const float fa_tanh_coef[{DEGREE + 2}][32] __attribute__((aligned(64))) = {{")
    for i, name in [(None, "lo, each interval's lower end")] + [(i, f"C{i}") for i in range(DEGREE + 1)]:
        column = starts if i is None else table[:, i]
        print(f"    {{   /* {name} */")
        for start in range(0, 32, 4):
            print("        " + " ".join(f"{float(v)!r}f," for v in column[start:start + 4]))
        print("    },")
    print("};")


if __name__ == "__main__":
    main()
