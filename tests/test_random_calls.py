"""Random calls hunting for layout bugs: for every catalogue function and the
softmax trio, hypothesis draws shapes and sizes up to a few hundred thousand
elements (so that the threaded path runs), strides (negative, zero, huge),
offsets, byte orders, misaligned data, `where=` masks, dtype/casting
combinations and `out` partially overlapping each input, and the ufunc
methods reduce/accumulate/at/outer. The oracle is the same call on
contiguous, non-overlapping copies (or the loop written out in Python for the
methods): results must be bitwise equal.

Values come from a numpy generator seeded by hypothesis (drawing 10^5 floats
one by one through hypothesis would be slow); shrinking still reduces the
layout. `-m hunt` runs many more examples (300 per function and kind: about
15 minutes on a 2-core machine); the default run a few per function."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from _compare import assert_same_bits  # noqa: E402

import fastact  # noqa: E402
from fastact import _ufuncs  # noqa: E402
from fastact._catalog import SPECS  # noqa: E402

# A few examples per function in the default run (the suite stays fast), many
# under -m hunt.
FEW = settings(max_examples=6, suppress_health_check=list(HealthCheck), deadline=None)
MANY = settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)

THREADED = 300_007          # above both thread grains: the run is split
SIZES = st.sampled_from([0, 1, 2, 7, 63, 64, 65, 511, 513, 1025, 40_000, 70_001, THREADED])
STEPS = st.sampled_from([1, 1, 1, 2, 3, -1, -2, 0, 1001])
FLOAT_DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
INPUT_DTYPES = FLOAT_DTYPES + [np.dtype(np.float16), np.dtype(np.int16), np.dtype(np.int64)]


def values(rng, n, dtype, name):
    """n values of `dtype`, special values included; y in [0, 1]."""
    if name == "y":
        v = rng.random(n)
    else:
        v = rng.standard_normal(n) * rng.choice([1.0, 5.0, 50.0])
        k = min(n, 16)
        v[rng.integers(0, n, k) if n else []] = rng.choice(
            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-40, 100.0, -800.0], k)
    dtype = np.dtype(dtype)
    if dtype.kind == "i":
        return np.clip(np.nan_to_num(v * 10), -100, 100).astype(dtype)
    with np.errstate(all="ignore"):
        return v.astype(dtype)


@st.composite
def operand_layouts(draw, n):
    """How one operand of n elements sits in memory."""
    step = draw(STEPS)
    if n * abs(step) > 4_000_000:       # keep a huge step's base array bounded
        step = draw(st.sampled_from([1, -1, 2]))
    return {
        "step": step,
        "offset": draw(st.integers(0, 3)),
        "swapped": draw(st.booleans()) and draw(st.booleans()),
        "misaligned": draw(st.booleans()) and draw(st.booleans()),
    }


def lay_out(v, layout):
    """A view with `layout` holding the values v (1-D)."""
    n = v.size
    step, offset = layout["step"], layout["offset"]
    dtype = v.dtype.newbyteorder() if layout["swapped"] else v.dtype
    if step == 0:
        # stride 0: every element is the first value (broadcast)
        return np.broadcast_to(v[:1].astype(dtype), (n,))
    span = offset + max(n - 1, 0) * abs(step) + 1
    if layout["misaligned"] and dtype.itemsize > 1:
        raw = np.zeros(span * dtype.itemsize + 1, np.uint8)
        base = raw[1:].view(dtype)
    else:
        base = np.zeros(span, dtype)
    if step > 0:
        view = base[offset:offset + max(n - 1, 0) * step + 1:step]
    else:
        start = offset + (n - 1) * -step
        view = base[start::step][:n] if n else base[:0]
    view = view[:n]
    view[...] = v
    return view


@st.composite
def elementwise_calls(draw, spec):
    n = draw(SIZES)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    in_dtype = draw(st.sampled_from(INPUT_DTYPES))
    arrays = [lay_out(values(rng, n, in_dtype, name), draw(operand_layouts(n)))
              for name in spec.inputs]
    kwargs = {}
    if draw(st.booleans()):
        kwargs["dtype"] = draw(st.sampled_from(FLOAT_DTYPES))
    # out: absent, its own array (any layout, maybe another float dtype), or
    # a view of memory it shares with one of the inputs
    out_kind = draw(st.sampled_from(["none", "own", "overlap", "overlap"]))
    overlap = None
    if out_kind != "none":
        result_dtype = np.result_type(*arrays, *(() if in_dtype.kind == "f" else (np.float16,)))
        result_dtype = kwargs.get("dtype", result_dtype)
        if result_dtype.kind != "f" or result_dtype.itemsize < 4:
            result_dtype = np.dtype(np.float32 if in_dtype.itemsize <= 2 else np.float64)
        out_dtype = draw(st.sampled_from([result_dtype, np.dtype(np.float64)]))
        kwargs["dtype"] = result_dtype
        if out_kind == "overlap":
            overlap = (draw(st.integers(0, len(spec.inputs) - 1)),
                       draw(st.sampled_from([-300, -7, -1, 0, 1, 7, 300])))
        else:
            layout = draw(operand_layouts(n))
            layout["step"] = layout["step"] or 1       # out cannot be broadcast
            kwargs["out"] = lay_out(values(rng, n, out_dtype, "x"), layout)
    if out_kind != "none" and draw(st.booleans()):
        kwargs["where"] = rng.random(n) < 0.7
    varying_param = bool(spec.params) and draw(st.booleans())
    return spec, arrays, kwargs, overlap, varying_param, seed


def shared_base(spec, arrays, position, shift, dtype, seed):
    """A base array and views into it: input `position` and out overlapping
    with `shift` elements between their starts, both of arrays[position]'s
    length; the input view holds arrays[position]'s values."""
    n = arrays[position].size
    pad = abs(shift)
    base = values(np.random.default_rng(seed + 1), n + pad, dtype, "x")
    in_start, out_start = (pad, pad - shift) if shift >= 0 else (0, -shift)
    inp = base[in_start:in_start + n]
    inp[...] = arrays[position].astype(dtype)
    out = base[out_start:out_start + n]
    return inp, out


def call(spec, arrays, varying_param, **kwargs):
    if varying_param:
        f = getattr(_ufuncs, spec.name)
        n = arrays[0].size
        params = [np.full(n, v) * (1 + 0.25 * np.sin(np.arange(n))) for v in spec.params.values()]
        return f(*arrays, *params, **kwargs)
    return getattr(fastact, spec.name)(*arrays, **kwargs)


def check_elementwise_call(drawn):
    spec, arrays, kwargs, overlap, varying_param, seed = drawn
    if overlap is not None:
        position, shift = overlap
        dtype = kwargs["dtype"]
        arrays = list(arrays)
        arrays[position], kwargs["out"] = shared_base(spec, arrays, position, shift, dtype, seed)
        if spec.inputs[position] == "y":
            arrays[position][...] = np.abs(np.tanh(arrays[position]))
    copies = [np.array(a, order="C") for a in arrays]       # contiguous, own memory
    expected_kwargs = dict(kwargs)
    if "out" in kwargs:
        expected_kwargs["out"] = np.array(kwargs["out"], order="C")
    with np.errstate(all="ignore"):
        expected = call(spec, copies, varying_param, **expected_kwargs)
        got = call(spec, arrays, varying_param, **kwargs)
    if "out" in kwargs:
        assert got is kwargs["out"]
    assert_same_bits(np.array(got), np.array(expected))


def elementwise_test(max_settings):
    @max_settings
    @given(data=st.data())
    def test(spec, data):
        check_elementwise_call(data.draw(elementwise_calls(spec)))
    return test


@pytest.fixture(autouse=True)
def two_threads(fastact_threads):
    fastact_threads(2)


EVERY_SPEC = pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)

test_any_elementwise_call_equals_the_call_on_contiguous_copies = EVERY_SPEC(
    elementwise_test(FEW))
test_many_elementwise_calls_equal_the_call_on_contiguous_copies = pytest.mark.hunt(EVERY_SPEC(
    elementwise_test(MANY)))


# reduce, accumulate, at and outer on the ufuncs with two operands, against
# the loop written out in Python.
TWO_OPERANDS = [s for s in SPECS if len(s.inputs) + len(s.params) == 2]


@st.composite
def method_calls(draw, spec):
    n = draw(st.integers(1, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.05, 1.0, n).astype(dtype)
    layout = draw(operand_layouts(n))
    layout["step"] = layout["step"] or 1
    return spec, draw(st.sampled_from(["reduce", "accumulate", "at", "outer"])), \
        lay_out(v, layout), rng


def check_method_call(drawn):
    spec, method, a, rng = drawn
    f = getattr(_ufuncs, spec.name)
    n = a.size
    with np.errstate(all="ignore"):
        if method == "reduce":
            acc = a[0]
            for v in a[1:]:
                acc = f(acc, v)
            assert_same_bits(f.reduce(a), acc)
        elif method == "accumulate":
            want = [a[0]]
            for v in a[1:]:
                want.append(f(want[-1], v))
            assert_same_bits(f.accumulate(a), np.array(want, dtype=a.dtype.newbyteorder("=")))
        elif method == "at":
            idx = rng.integers(0, n, 2 * n)
            b = rng.uniform(0.05, 1.0, 2 * n).astype(a.dtype)
            want = np.array(a)
            for i, v in zip(idx, b):
                want[i] = f(want[i], v)
            got = np.array(a)
            f.at(got, idx, b)
            assert_same_bits(got, want)
        else:
            b = a[: min(n, 17)]
            want = np.array([[f(x, y) for y in b] for x in a[:40]])
            assert_same_bits(f.outer(a[:40], b), want)


def method_test(max_settings):
    @max_settings
    @given(data=st.data())
    def test(spec, data):
        check_method_call(data.draw(method_calls(spec)))
    return test


EVERY_TWO_OPERAND_SPEC = pytest.mark.parametrize("spec", TWO_OPERANDS, ids=lambda s: s.name)
test_ufunc_methods_equal_the_loop_written_out = EVERY_TWO_OPERAND_SPEC(method_test(FEW))
test_many_ufunc_methods_equal_the_loop_written_out = pytest.mark.hunt(
    EVERY_TWO_OPERAND_SPEC(method_test(MANY)))


# The softmax trio: any shape, axis, layout (transposed, strided, reversed,
# misaligned, swapped bytes), and out in place, separate or another dtype.
SOFTMAX_TRIO = ["softmax", "log_softmax", "softmax_backward"]


@st.composite
def softmax_calls(draw, name):
    ndim = draw(st.integers(1, 3))
    total = draw(st.sampled_from([1, 10, 1000, 100_000, 300_000]))
    shape = []
    left = total
    for _ in range(ndim - 1):
        d = draw(st.sampled_from([1, 2, 3, 7, 64]))
        shape.append(min(d, left))
        left = max(1, left // max(d, 1))
    shape.append(left)
    shape = tuple(draw(st.permutations(shape)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    n_in = 2 if name == "softmax_backward" else 1
    arrays = []
    for i in range(n_in):
        v = values(rng, int(np.prod(shape)), dtype, "y" if i == 1 else "x").reshape(shape)
        kind = draw(st.sampled_from(["c", "f", "reversed", "strided", "misaligned", "swapped"]))
        if kind == "f":
            v = np.asfortranarray(v)
        elif kind == "reversed":
            v = np.ascontiguousarray(v[..., ::-1])[..., ::-1]
        elif kind == "strided":
            big = np.zeros(shape[:-1] + (2 * shape[-1],), dtype)
            big[..., ::2] = v
            v = big[..., ::2]
        elif kind == "misaligned":
            raw = np.zeros(v.nbytes + 1, np.uint8)
            w = raw[1:].view(dtype).reshape(shape)
            w[...] = v
            v = w
        elif kind == "swapped":
            v = v.astype(dtype.newbyteorder())
        arrays.append(v)
    axis = draw(st.integers(-ndim, ndim - 1))
    out_kind = draw(st.sampled_from(["none", "own", "in_place", "float64"]))
    return name, arrays, axis, out_kind


def check_softmax_call(drawn):
    name, arrays, axis, out_kind = drawn
    f = getattr(fastact, name)
    copies = [np.array(a, dtype=a.dtype.newbyteorder("="), order="C") for a in arrays]
    with np.errstate(all="ignore"):
        expected = f(*copies, axis=axis)
        if out_kind == "none":
            got = f(*arrays, axis=axis)
        elif out_kind == "in_place" and arrays[0].flags.writeable \
                and arrays[0].dtype == expected.dtype:
            got = f(*arrays, axis=axis, out=arrays[0])
            assert got is arrays[0]
        elif out_kind == "float64":
            got = f(*arrays, axis=axis, out=np.zeros(expected.shape, np.float64))
            expected = expected.astype(np.float64)
        else:
            got = f(*arrays, axis=axis, out=np.zeros_like(expected))
    assert_same_bits(np.array(got, dtype=np.asarray(got).dtype.newbyteorder("=")), expected)


def softmax_test(max_settings):
    @max_settings
    @given(data=st.data())
    def test(name, data):
        check_softmax_call(data.draw(softmax_calls(name)))
    return test


EVERY_SOFTMAX = pytest.mark.parametrize("name", SOFTMAX_TRIO)
test_any_softmax_call_equals_the_call_on_contiguous_copies = EVERY_SOFTMAX(softmax_test(FEW))
test_many_softmax_calls_equal_the_call_on_contiguous_copies = pytest.mark.hunt(
    EVERY_SOFTMAX(softmax_test(MANY)))
