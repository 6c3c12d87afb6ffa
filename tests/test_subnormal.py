"""Values at subnormal and tiny inputs, where the kernels take a function's
limit at 0 by a select instead of running the exp (or the polynomial) on an
argument that would slow the hardware down (issue: subnormal inputs cost a
microcode assist). The limits here are mathematical facts about each function
near 0, so they test the selects' values, not their speed. test_isa_tiers.py
runs every test file at every ISA tier."""
import numpy as np
import pytest

import fastact
from fastact import _catalog as catalog

DTYPES = (np.float32, np.float64)


def tiny_inputs(dtype):
    """Subnormals of both signs (the smallest, the largest, and a spread in
    between) and normal numbers below 2^-40 (float32) / 2^-80 (float64):
    every such x is far inside the range where each function below equals
    its limit at 0."""
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    largest_sub = int(np.array(fi.smallest_normal, dtype).view(uint)) - 1
    rng = np.random.default_rng(11)
    sub_bits = np.concatenate([np.array([1, 2, 3, largest_sub - 1, largest_sub], dtype=uint),
                               rng.integers(1, largest_sub, 4000, dtype=uint)])
    top = 2.0 ** (-40 if dtype == np.float32 else -80)
    normals = np.exp(rng.uniform(np.log(float(fi.smallest_normal)), np.log(top), 4000))
    pos = np.concatenate([sub_bits.view(dtype), normals.astype(dtype)])
    return np.concatenate([pos, -pos])


def assert_product_or_flushed(r, expect):
    """r is expect bit for bit, or, where expect is below the smallest
    normal, +-0 of expect's sign: the contract lets such results flush, and
    the kernels flush a subnormal grad_out (or x) times a factor of at most
    1 rather than multiply it (slow)."""
    assert r.dtype == expect.dtype and r.shape == expect.shape
    uint = np.uint32 if r.dtype == np.float32 else np.uint64
    same = r.view(uint) == expect.view(uint)
    tiny = np.abs(expect) < np.finfo(r.dtype).smallest_normal
    flushed = (r == 0) & tiny & (np.signbit(r) == np.signbit(expect))
    bad = ~(same | flushed)
    assert not bad.any(), (r[bad][:5], expect[bad][:5])


def subnormal_grads(dtype, n):
    fi = np.finfo(dtype)
    g = np.random.default_rng(12).uniform(-1, 1, n) * float(fi.smallest_normal)
    return g.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, limit", [
    ("sigmoid", 0.5), ("sigmoid_grad", 0.25), ("tanh_grad", 1.0), ("softsign_grad", 1.0),
    ("silu_grad", 0.5), ("softplus", np.log(2)), ("softplus_grad", 0.5),
    ("log_sigmoid", -np.log(2)), ("log_sigmoid_grad", 0.5), ("elu_grad", 1.0),
    ("gelu_tanh_grad", 0.5),
])
def test_constant_limit_at_tiny_x(name, limit, dtype):
    x = tiny_inputs(dtype)
    r = getattr(fastact, name)(x)
    assert r.dtype == dtype
    np.testing.assert_array_equal(r, np.full_like(x, limit))


def assert_identity(name, x):
    """fastact.<name>(x) is x itself, bit for bit, signs of zero included."""
    r = getattr(fastact, name)(x)
    np.testing.assert_array_equal(r, x)
    assert np.array_equal(np.signbit(r), np.signbit(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "softsign", "elu"])
def test_identity_at_tiny_x(name, dtype):
    # tanh x = x - x^3/3, softsign x = x - x|x|, elu x = x + x^2/2 (x < 0):
    # the correction is far below half an ulp of x, subnormal x included
    assert_identity(name, tiny_inputs(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [0.5, 2.0, -3.0])
def test_elu_is_alpha_x_at_tiny_negative_x(alpha, dtype):
    # alpha (e^x - 1) = alpha x to the last bit there: the kernel takes x
    # for e^x - 1 below the tiny bound and multiplies by alpha != 1
    x = tiny_inputs(dtype)
    expect = np.where(x > 0, x, dtype(alpha) * x).astype(dtype)
    assert_product_or_flushed(fastact.elu(x, alpha), expect)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, slope", [
    ("silu", 0.5), ("gelu_tanh", 0.5), ("mish", np.tanh(np.log(2))),
])
def test_linear_limit_at_tiny_x(name, slope, dtype):
    # f(x) = slope x (1 + O(x)): within the contract's bound, which counts
    # subnormal results in units of the smallest subnormal
    x = tiny_inputs(dtype)
    r = getattr(fastact, name)(x).astype(np.longdouble)
    exact = x.astype(np.longdouble) * np.longdouble(slope)
    unit = np.longdouble(np.finfo(dtype).smallest_subnormal)
    normal = np.abs(exact) >= np.finfo(dtype).smallest_normal
    ulp = np.where(normal, np.spacing(np.abs(exact).astype(dtype)).astype(np.longdouble), unit)
    assert np.all(np.abs(r - exact) <= 4 * ulp)
    assert np.all(np.signbit(r[r != 0]) == np.signbit(x[r != 0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_is_half_x_at_tiny_x(dtype):
    # x Phi(x) = x/2 + x^2 phi(0): x/2 rounded (to even) below 2^-40 /
    # 2^-300, subnormal x and results included; float32 flushes |x| < 2^-125,
    # where x/2 is below the smallest normal
    x = tiny_inputs(dtype)
    r = fastact.gelu(x)
    assert_product_or_flushed(r, x / dtype(2))
    if dtype == np.float64:
        np.testing.assert_array_equal(r, x / 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mish_at_subnormal_x_is_one_product(dtype):
    # below the tiny bound b mish(x) is x w, w its slope at 0 as the kernel
    # rounds it (one w for x > 0, one for x < 0: mish(+-b) / +-b, exactly);
    # at a subnormal x the result is x w rounded once, to even on a tie
    x = every_subnormal(dtype)
    x = x[x != 0]
    if dtype == np.float64:
        x = x[::20]
    b = dtype(2.0 ** (-40 if dtype == np.float32 else -300))
    r = fastact.mish(x)
    for sign in (1, -1):
        side = (x > 0) if sign == 1 else (x < 0)
        w = float(fastact.mish(np.array([sign * b], dtype))[0] / (sign * b))
        assert 0.59 < w < 0.61
        if dtype == np.float32:
            # 24 x 24 bits: exact in float64, then rounded once
            expect = (x[side].astype(np.float64) * w).astype(np.float32)
        else:
            # in units of the smallest subnormal: the pattern times w,
            # rounded to the nearest integer, ties to even
            num, den = w.as_integer_ratio()
            patterns = []
            for m in (x[side].view(np.uint64) & 0x7FFFFFFFFFFFFFFF).tolist():
                q, rem = divmod(m * num, den)
                q += 2 * rem > den or (2 * rem == den and q % 2 == 1)
                patterns.append(q)
            expect = np.array(patterns, np.uint64).view(np.float64) * sign
        np.testing.assert_array_equal(r[side], expect)
        assert np.array_equal(np.signbit(r[side]), np.signbit(x[side]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_selu_is_linear_at_tiny_x(dtype):
    # selu x = scale x (x > 0), scale alpha (x + x^2/2) (x < 0): within 2 ulp
    # (subnormal results in units of the smallest subnormal) of the linear
    # term, or 0 of x's sign where the result is below the smallest normal
    # (the contract allows the flush); +-0 give +0
    scale = np.longdouble("1.0507009873554804934193349852946")
    alpha = np.longdouble("1.6732632423543772848170429916717")
    x = tiny_inputs(dtype)
    r = fastact.selu(x)
    xl = x.astype(np.longdouble)
    exact = np.where(x > 0, scale * xl, scale * alpha * xl)
    unit = np.longdouble(np.finfo(dtype).smallest_subnormal)
    normal = np.abs(exact) >= np.finfo(dtype).smallest_normal
    ulp = np.where(normal, np.spacing(np.abs(exact).astype(dtype)).astype(np.longdouble), unit)
    flushed = (r == 0) & ~normal
    assert np.all((np.abs(r.astype(np.longdouble) - exact) <= 2 * ulp) | flushed)
    assert np.array_equal(np.signbit(r), np.signbit(x))
    zeros = fastact.selu(np.array([0.0, -0.0], dtype))
    assert not np.signbit(zeros).any() and not zeros.any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softsign", "softplus", "log_sigmoid", "silu", "elu",
                                  "selu", "mish", "gelu_tanh"])
def test_backward_of_subnormals_is_one_product(name, dtype):
    # subnormal x and subnormal or normal grad_out: the backward pass is
    # grad_out times the derivative, rounded once
    x = tiny_inputs(dtype)
    grad = getattr(fastact, name + "_grad")(x)
    for g in (subnormal_grads(dtype, x.size), np.linspace(-3, 3, x.size, dtype=dtype)):
        assert_product_or_flushed(getattr(fastact, name + "_backward")(g, x), g * grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_from_output_of_subnormals(dtype):
    # y = sigmoid(x) = 1/2 gives grad_out / 4; y = tanh(x) = x gives grad_out
    x = tiny_inputs(dtype)
    g = subnormal_grads(dtype, x.size)
    r = fastact.sigmoid_backward(g, fastact.sigmoid(x))
    np.testing.assert_array_equal(r, g * dtype(0.25))
    assert_product_or_flushed(fastact.tanh_backward(g, fastact.tanh(x)), g)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_backward_of_subnormal_y(dtype):
    # y subnormal: y (1 - y) rounds to y, so the pass is grad_out * y rounded
    # once, never flushed; grad_out across [-3, 3] and subnormal
    uint = np.uint32 if dtype == np.float32 else np.uint64
    y = tiny_inputs(dtype)
    y = y[np.abs(y) < np.finfo(dtype).smallest_normal]
    np.testing.assert_array_equal(fastact.sigmoid_backward(np.ones_like(y), y), y)
    # grad_out beyond 1 too: float64 takes the product on the bits up to
    # 2^64 and multiplies plainly beyond (both sides of that bound here)
    edges = [2.0 ** 64, -(2.0 ** 64), 1e30, -3e38, np.inf, -np.inf, np.nan, 1.0, -1.0]
    edges = np.array(edges, dtype)
    edges = np.concatenate([edges, np.nextafter(edges, dtype(0)), np.nextafter(edges, dtype(np.inf))])
    with np.errstate(all="ignore"):
        for g in (np.linspace(-3, 3, y.size, dtype=dtype), subnormal_grads(dtype, y.size),
                  -subnormal_grads(dtype, y.size), np.resize(edges, y.size)):
            r = fastact.sigmoid_backward(g, y)
            np.testing.assert_array_equal(r.view(uint), (g * y).view(uint))


SPLIT = [(s.name, np.dtype(d.numpy).type) for s in catalog.KERNEL_SPECS
         for d in catalog.DTYPES if d.suffix in s.normal_form]


# SUBNORMAL_BLOCK of _kernels_bits.pxi: the split and marked loops' block
BLOCK = 2048


@pytest.mark.parametrize("name, dtype", SPLIT)
@pytest.mark.parametrize("n", [BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 400])
def test_split_loop_bits_do_not_depend_on_the_block(name, dtype, n):
    # the loops the catalogue splits (Spec.normal_form) run <name>_1 on the
    # blocks that hold a subnormal input and <name>_normal_1 on the others:
    # each element must get the bits it gets alone (a call of one element is
    # a block of its own), whichever block its neighbours put it in;
    # subnormals (and zeros, infinities, NaN) in one block only, and in one
    # input only
    fi = np.finfo(dtype)
    rng = np.random.default_rng(n)
    inputs = [rng.uniform(-3, 3, n).astype(dtype) for _ in catalog.BY_NAME[name].inputs]
    odd = np.array([fi.smallest_subnormal, -fi.smallest_normal / 3, 0.0, -0.0, np.inf,
                    -np.inf, np.nan, fi.smallest_normal, 1.0, -0.6], dtype)
    which = n % len(inputs)
    inputs[which][600 % n:600 % n + odd.size] = odd[:n - 600 % n]
    # in the last block, which holds no other subnormal (n > BLOCK),
    # with partners of magnitude at most 1: flushed when seen
    inputs[len(inputs) - 1 - which][n - 3:] = fi.smallest_subnormal
    inputs[which][n - 3:] = 0.5
    f = getattr(fastact, name)
    with np.errstate(all="ignore"):
        whole = f(*inputs)
        alone = np.array([f(*[a[i:i + 1] for a in inputs])[0] for i in range(n)], dtype)
        in_place = inputs[0].copy()
        f(in_place, *inputs[1:], out=in_place)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(whole.view(uint), alone.view(uint))
    np.testing.assert_array_equal(in_place.view(uint), whole.view(uint))


# (name, dtype, the inputs its marks watch) of every marked split loop
MARKED = [(s.name, np.dtype(d.numpy).type, s.normal_form[d.suffix])
          for s in catalog.KERNEL_SPECS for d in catalog.DTYPES
          if d.suffix in s.normal_form and d.suffix in s.normal_form_everywhere]


@pytest.mark.parametrize("name, dtype, checked", MARKED)
def test_marked_loop_normal_form_is_right_on_subnormals(name, dtype, checked, fastact_threads,
                                                         subnormal_guards):
    # A marked loop runs <name>_normal_1 on a block that follows one free of
    # subnormals, whatever the block holds (Spec.normal_form_everywhere):
    # blocks of subnormals placed after normal ones must get the bits they
    # get in a call where every block holds subnormals (<name>_1 throughout,
    # with the guards on whatever the CPU). One thread: the whole array is
    # one run of blocks from index 0.
    fastact_threads(1)
    subnormal_guards(True)
    spec = catalog.BY_NAME[name]
    block = BLOCK
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    largest = int(np.array(fi.smallest_normal, dtype).view(uint)) - 1
    rng = np.random.default_rng(21)
    bits = np.concatenate([np.array([1, 2, 3, largest], dtype=uint),
                           rng.integers(1, largest, 16 * block - 4, dtype=uint)])
    sub = np.where(rng.random(bits.size) < 0.5, bits.view(dtype), -bits.view(dtype))
    sub = sub.astype(dtype).reshape(-1, block)
    normal = rng.uniform(-3, 3, sub.shape).astype(dtype)
    partner = (rng.standard_normal(sub.size) * 3).astype(dtype).reshape(sub.shape)
    f = getattr(fastact, name)
    for which in [spec.inputs.index(a) for a in checked]:
        mixed = [np.stack([normal, partner], axis=1).reshape(-1)] * len(spec.inputs)
        mixed[which] = np.stack([normal, sub], axis=1).reshape(-1)
        alone = [partner.reshape(-1)] * len(spec.inputs)
        alone[which] = sub.reshape(-1)
        with np.errstate(all="ignore"):
            got = f(*mixed).reshape(-1, 2, block)[:, 1]
            want = f(*alone).reshape(-1, block)
        np.testing.assert_array_equal(got.view(uint), want.view(uint), err_msg=spec.inputs[which])


# (name, dtype, the inputs its marks watch) of the marked loops that run
# their normal form on every block where the CPU multiplies subnormals
# without an assist (Spec.normal_form_without_assists)
WITHOUT_ASSISTS = [(s.name, np.dtype(d.numpy).type, s.normal_form[d.suffix])
                   for s in catalog.KERNEL_SPECS for d in catalog.DTYPES
                   if d.suffix in s.normal_form_without_assists]


# The hand loop of leaky_relu_backward (_kernels_relu.pxi) drops its guards
# too, for its small-alpha form (alpha 0.01, the default, here), at the
# tiers with FMA.
HAND_WITHOUT_ASSISTS = [("leaky_relu_backward", t, ("grad_out",))
                        for t in (np.float32, np.float64)]


def test_some_loops_can_drop_their_guards():
    assert {name for name, _, _ in WITHOUT_ASSISTS} >= {"sigmoid_backward", "hard_swish"}


@pytest.mark.parametrize("name, dtype, checked", WITHOUT_ASSISTS + HAND_WITHOUT_ASSISTS)
def test_loops_without_guards_give_the_guarded_bits(name, dtype, checked, subnormal_guards):
    # Without the guards (kernels.subnormal_guards() False: a CPU whose
    # products take subnormals without an assist) these loops run
    # <name>_normal_1 on blocks of subnormals too: the bits must be those
    # of <name>_1, which runs there with the guards on. Subnormals in each
    # checked input beside normal partners, and in every input at once.
    spec = catalog.BY_NAME[name]
    sub = every_subnormal(dtype)
    if dtype == np.float32:
        sub = sub[::5]          # a fifth of the patterns: the test stays quick
    rng = np.random.default_rng(3)
    partner = (rng.standard_normal(sub.size) * 3).astype(dtype)
    cases = [[sub] * len(spec.inputs)]
    for which in [spec.inputs.index(a) for a in checked]:
        cases.append([partner] * len(spec.inputs))
        cases[-1][which] = sub
    f = getattr(fastact, name)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    for inputs in cases:
        results = {}
        for guards in (True, False):
            subnormal_guards(guards)
            with np.errstate(all="ignore"):
                results[guards] = f(*inputs)
        np.testing.assert_array_equal(results[False].view(uint), results[True].view(uint))


def every_subnormal(dtype):
    """float32: every subnormal pattern, both signs, and +-0; float64: the
    smallest and largest subnormals and a million between, both signs."""
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    largest = int(np.array(fi.smallest_normal, dtype).view(uint)) - 1
    if dtype == np.float32:
        bits = np.arange(0, largest + 1, dtype=uint)
    else:
        rng = np.random.default_rng(5)
        bits = np.concatenate([np.array([0, 1, 2, 3, largest - 1, largest], dtype=uint),
                               rng.integers(1, largest, 1_000_000, dtype=uint)])
    pos = bits.view(dtype)
    return np.concatenate([pos, -pos])


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_functions_at_subnormals(dtype):
    # the exact functions take subnormal x (or grad_out) on their bits, not by
    # multiplying or dividing them (microcode assists): the bits must be
    # numpy's own correctly rounded arithmetic, signed zeros included, the
    # ties of a product or quotient below the smallest normal rounded to even
    x = every_subnormal(dtype)
    rng = np.random.default_rng(2)
    partner = rng.uniform(-4, 4, x.size).astype(dtype)     # kinks at -3 and 3 inside
    uint = np.uint32 if dtype == np.float32 else np.uint64

    def same(r, expect):
        np.testing.assert_array_equal(r.view(uint), expect.view(uint))

    three, six = dtype(3), dtype(6)
    with np.errstate(all="ignore"):
        for alpha in (0.01, 0.2, 1.0, -0.3, 0.0, 1e-30):
            a = dtype(alpha)
            same(fastact.leaky_relu(x, alpha), np.where(x > 0, x, a * x))
            same(fastact.leaky_relu_backward(x, partner, alpha),
                 np.where(partner > 0, x, a * x))
        # torch's arithmetic: fl(fl(x * fl(x + 3)) / 6)
        same(fastact.hard_swish(x), x * (x + three) / six)
        inside = np.abs(partner) < 3
        same(fastact.hard_sigmoid_backward(x, partner), np.where(inside, x, 0) / six)
        slope = np.where(inside, (partner + partner + three) / six,
                         np.where(partner >= 3, 1, 0)).astype(dtype)
        same(fastact.hard_swish_backward(x, partner), x * slope)
        # a subnormal x: its slope is 1/2, as at 0
        same(fastact.hard_swish_backward(partner, x), partner * dtype(0.5))
        # sigmoid_backward: grad_out * w, w = y (1 - y) rounded once (what a
        # grad_out of 1 gives), the product rounded once, whatever is
        # subnormal; y beyond sigmoid's range too (float64 multiplies a
        # subnormal by more than 2^64 plainly: the same bits)
        y = np.concatenate([rng.uniform(-0.5, 1.5, x.size - 7),
                            [np.inf, -np.inf, np.nan, 1e30, -3e38, 2.0 ** 70, 2.0 ** 33]]).astype(dtype)
        w = fastact.sigmoid_backward(np.ones_like(y), y)
        same(fastact.sigmoid_backward(x, y), x * w)
        # y subnormal: w = y; at y = +-0 the tier's own signed zero
        # (0 - 0^2 is +0 without FMA)
        w_x = fastact.sigmoid_backward(np.ones_like(x), x)
        same(fastact.sigmoid_backward(y, x), y * w_x)
        same(fastact.sigmoid_backward(x, x[::-1]), x * w_x[::-1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_backward_near_unit_derivative(dtype):
    # a subnormal grad_out at y where |y (1 - y)| is near 1 and the product
    # may be normal (float64 flushed such products where y was in [-0.6, 1]
    # before it took them on the bits): the product rounded once, never
    # flushed
    fi = np.finfo(dtype)
    uint = np.uint32 if dtype == np.float32 else np.uint64
    ys = []
    for b in (-0.6, 1.0, -1.0, 1.6, 0.5, 2.0, -2.0, 0.0, -0.0):
        v = dtype(b)
        ys += [v, np.nextafter(v, dtype(-np.inf)), np.nextafter(v, dtype(np.inf))]
    y = np.array(ys, dtype)
    for gv in (fi.smallest_normal * dtype(0.75), -fi.smallest_normal * dtype(0.5),
               fi.smallest_subnormal, fi.smallest_normal, dtype(1.0), dtype(-3.0)):
        g = np.full_like(y, gv)
        # y (1 - y), what a grad_out of 1 gives (y itself for a subnormal y;
        # at y = +-0 the tier's own: the sign of 0 - 0^2 differs without FMA)
        grad = fastact.sigmoid_backward(np.ones_like(y), y)
        expect = g * grad
        np.testing.assert_array_equal(fastact.sigmoid_backward(g, y).view(uint), expect.view(uint))


@pytest.mark.parametrize("dtype", DTYPES)
def test_silu_either_side_of_half_bound(dtype):
    # below 2^-125 / 2^-1021 silu's x/2 is taken on the bits, above it by the
    # division: both are x/2 rounded to even there (sigmoid(x) rounds to 1/2
    # in the product), either side of that bound and of the exp's 2^-40 /
    # 2^-300
    xs = []
    for e in ((-125, -126, -40, -41) if dtype == np.float32 else (-1021, -1022, -300, -301)):
        v = dtype(2.0 ** e)
        for _ in range(6):
            xs += [v]
            v = np.nextafter(v, dtype(1))
        v = dtype(2.0 ** e)
        for _ in range(6):
            v = np.nextafter(v, dtype(0))
            xs += [v]
    x = np.array(xs, dtype)
    x = np.concatenate([x, -x, x * dtype(3), -x * dtype(3)])
    uint = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(fastact.silu(x).view(uint), (x * dtype(0.5)).view(uint))


def around_tiny_bound(dtype):
    """x next to the bound below which the kernels raise |x| and pick the
    result by the bits, 2^-40 (float32) / 2^-300 (float64): a few floats
    either side of it, of both signs. Still deep inside the range where the
    functions below equal x or their limit at 0."""
    bound = dtype(2.0 ** (-40 if dtype == np.float32 else -300))
    xs = [bound]
    up = down = bound
    for _ in range(4):
        up = np.nextafter(up, dtype(1))
        down = np.nextafter(down, dtype(0))
        xs += [up, down]
    pos = np.array(xs, dtype=dtype)
    return np.concatenate([pos, -pos])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "softsign"])
def test_identity_either_side_of_tiny_bound(name, dtype):
    # the pick of x below the bound and the math above it agree there
    assert_identity(name, around_tiny_bound(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, limit", [
    ("softplus", np.log(2)), ("log_sigmoid", -np.log(2)),
])
def test_constant_limit_either_side_of_tiny_bound(name, limit, dtype):
    # the exp's argument raised to the bound below it, its own above
    x = around_tiny_bound(dtype)
    np.testing.assert_array_equal(getattr(fastact, name)(x), np.full_like(x, limit))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, limit", [
    ("sigmoid", 0.5), ("sigmoid_grad", 0.25), ("tanh_grad", 1.0), ("softplus_grad", 0.5),
    ("log_sigmoid_grad", 0.5), ("silu_grad", 0.5), ("elu_grad", 1.0),
])
def test_constant_limit_either_side_of_tiny_bound_derivatives(name, limit, dtype):
    x = around_tiny_bound(dtype)
    np.testing.assert_array_equal(getattr(fastact, name)(x), np.full_like(x, limit))


def normal_points(dtype):
    """x across the functions' interesting range (kinks, the zero of the
    derivative, the tails), where the derivative is a normal number or 0."""
    x = np.concatenate([np.linspace(-8, 8, 1601), [-3, 3, -1.5, 0.5, -0.5, 1e-3, -1e-3]])
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tanh", "softsign", "softplus", "log_sigmoid", "silu", "elu",
                                  "selu", "mish", "hard_swish", "leaky_relu", "sigmoid",
                                  "gelu", "gelu_tanh"])
def test_backward_of_subnormal_grad_is_one_product(name, dtype):
    # A subnormal grad_out times a normal derivative (below 1, above 1 as
    # hard_swish's 1.5, or exactly 1/2 and 1/4, where the product is a tie
    # on the subnormal grid): rounded once, as numpy's product does, or
    # flushed where the result is below the smallest normal.
    x = normal_points(dtype)
    g = subnormal_grads(dtype, x.size)
    g[::7] = -g[::7]
    g[::11] = np.array(np.arange(1, x.size + 1)[::11] % 64, np.uint64).astype(
        np.uint32 if dtype == np.float32 else np.uint64).view(dtype)   # the smallest subnormals
    if name in ("tanh", "sigmoid"):
        y = getattr(fastact, name)(x)         # passes taken of the output
        grad = getattr(fastact, name + "_backward")(np.ones_like(y), y)
        r = getattr(fastact, name + "_backward")(g, y)
    else:
        grad = getattr(fastact, name + "_grad")(x)
        r = getattr(fastact, name + "_backward")(g, x)
    assert_product_or_flushed(r, g * grad)


# The backward passes whose loops mark subnormals (Spec.normal_form_everywhere):
# their guarded form takes a subnormal grad_out's product on the bits, so it
# is never flushed. hard_sigmoid_backward's is grad_out / 6 (its own test).
EXACT_PRODUCTS = [(s.name, np.dtype(d.numpy).type) for s in catalog.KERNEL_SPECS
                  for d in catalog.DTYPES
                  if s.variant == "backward" and d.suffix in s.normal_form
                  and d.suffix in s.normal_form_everywhere and s.name != "hard_sigmoid_backward"]
PARAMS = {"elu_backward": [{"alpha": 3.0}, {"alpha": -0.5}, {"alpha": 1e20}, {"alpha": np.inf}],
          "softplus_backward": [{"beta": 2.0, "threshold": 1.0}, {"beta": -0.5}]}


@pytest.mark.parametrize("name, dtype", EXACT_PRODUCTS)
def test_marked_backward_takes_subnormal_products_exactly(name, dtype):
    # a subnormal grad_out times the derivative, rounded once, as numpy's
    # product: never flushed; parameters that make the derivative large
    # (elu's alpha beyond 1, up to inf: the plain product there)
    spec = catalog.BY_NAME[name]
    x = normal_points(dtype)
    g = subnormal_grads(dtype, x.size)
    g[::7] = -g[::7]
    uint = np.uint32 if dtype == np.float32 else np.uint64
    f = getattr(fastact, name)
    for params in [{}] + PARAMS.get(name, []):
        with np.errstate(all="ignore"):
            if spec.inputs[1] == "y":       # the pass of the output: its derivative there
                inputs = getattr(fastact, spec.activation)(x, **params)
                grad = f(np.ones_like(inputs), inputs, **params)
            else:
                inputs = x
                grad = getattr(fastact, spec.activation + "_grad")(x, **params)
            r = f(g, inputs, **params)
            expect = g * grad
        np.testing.assert_array_equal(r.view(uint), expect.view(uint), err_msg=repr(params))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hard_sigmoid_backward_of_subnormal_grad(dtype):
    # grad_out / 6 rounded once inside (-3, 3), 0 outside, ties included
    # (a true division, subnormal or not: see test_hard_division.py)
    x = normal_points(dtype)
    bits = np.arange(x.size, dtype=np.uint32 if dtype == np.float32 else np.uint64) * 3 + 3
    g = bits.view(dtype) if dtype == np.float32 else bits.astype(np.uint64).view(dtype)
    g = np.concatenate([g, -subnormal_grads(dtype, x.size)])
    x = np.concatenate([x, x])
    expect = np.where(np.abs(x) < 3, g / dtype(6), dtype(0))
    np.testing.assert_array_equal(fastact.hard_sigmoid_backward(g, x), expect)
