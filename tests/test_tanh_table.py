"""float32 tanh where the AVX-512 tier computes it by table
(_kernels_tanh_table.pxi): the intervals' ends, where a lane switches
polynomial, are within the 2-ulp bound on both sides; and the loop's last,
partial vector (masked loads and stores) gives the bits the full vectors
give, for every length and offset, in place too. The checks hold at every
tier; test_isa_tiers.py runs this file at each."""
import numpy as np

import fastact


def ulp_error(got, x):
    exact = np.tanh(x.astype(np.float64))
    unit = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / unit


def interval_ends():
    """Each interval's lower end (1/8, then four per binade up to 16) and
    2^-40, where the kernel stops returning x itself, with their neighbours
    4 float32 steps either side, both signs."""
    ends = [2.0 ** -40] + [2.0 ** e * (1 + q / 4) for e in range(-3, 4) for q in range(4)] + [16.0]
    bits = np.array(ends, dtype=np.float32).view(np.int32)
    near = (bits[:, None] + np.arange(-4, 5)[None, :]).ravel().view(np.float32)
    return np.concatenate([near, -near])


def test_interval_ends_within_bound():
    x = interval_ends()
    err = ulp_error(fastact.tanh(x), x)
    assert err.max() <= 2, f"{err.max():.3f} ulp at x = {x[np.argmax(err)]!r}"


def test_saturation_and_identity_limits():
    x = np.array([9.1, 16, 17, 1e30, np.finfo(np.float32).max, np.inf], dtype=np.float32)
    assert np.array_equal(fastact.tanh(x), np.ones_like(x))
    assert np.array_equal(fastact.tanh(-x), -np.ones_like(x))
    tiny = np.array([2.0 ** -41, 1e-20, 1e-38, 1e-45], dtype=np.float32)
    assert np.array_equal(fastact.tanh(tiny).view(np.uint32), tiny.view(np.uint32))


def test_partial_vectors_match_full_ones():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(200).astype(np.float32) * 3,
                        interval_ends()[:40],
                        np.array([np.nan, -np.inf, -0.0, 1e-45], dtype=np.float32)])
    whole = fastact.tanh(x).view(np.uint32)
    for start in range(3):
        for n in range(0, 70):
            part = x[start:start + n].copy()
            assert np.array_equal(fastact.tanh(part).view(np.uint32), whole[start:start + n])
            fastact.tanh(part, out=part)
            assert np.array_equal(part.view(np.uint32), whole[start:start + n])
