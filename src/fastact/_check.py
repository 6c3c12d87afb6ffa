"""`python -m fastact check`: every function at every ISA tier against an oracle.

For each function of the catalogue (`fastact._catalog.SPECS`), float32 and
float64, and each tier this machine runs (`fastact.kernels.available_isas()`),
the check evaluates fastact on one fixed set of inputs — dense sweeps over
several ranges, a sweep of magnitudes from the smallest subnormal to the
largest finite number, random bit patterns, random normals, and special values
(±0, ±inf, NaN, the overflow/underflow points of exp and their neighbours) —
and compares with the oracle of `fastact._oracle.ORACLES` computed in higher precision
(float64 for float32 results, longdouble for float64 results).

Error is measured in units in the last place (ulp) of the result dtype, ulp
taken at the exact value's binade. Where the exact value is below the smallest
normal the contract allows flushing, so there a result only has to lie within
the smallest normal of it. A function whose catalogue bound is 0 is exact: its
results must equal the correctly rounded value bit for bit (signed zeros and
NaN included). Each evaluation also runs under
`np.errstate(all='raise', under='ignore')` (no FP flag may escape) and checks
that in place (`out=` its first input) and strided inputs give the same bits
as the plain call.

After the catalogue, the softmax trio (softmax, log_softmax,
softmax_backward: whole rows, so not in the catalogue) is checked on (rows, n)
blocks of lengths 10, 1000 and 10000 (100000 with --thorough): normal rows,
rows spread up to +-1e4, and special rows (constant, one dominant element,
-inf, NaN, +inf, all -inf), against the longdouble oracles of
`fastact._oracle.ORACLES`; bound 4 ulp (softmax_backward: or 4 eps absolute
where the exact value is below 1), and softmax rows must sum to 1 within
n eps.

Then float16 and bfloat16 (bfloat16 when ml_dtypes is installed): every one
of the 65,536 inputs of each elementwise function (backward passes: every
input with grad_out = 1 plus a sample of (grad_out, input) pairs; with
--thorough every input against 32 grad_outs), at every tier, bit for bit
against fastact's float32 result on the widened inputs rounded once (the
contract; a NaN result must be a quiet NaN), with no FP flag and the same
bits in place and strided; beside it the max error in the narrow type's ulp
against the float64 oracle and the number of results that are not the
correctly rounded value (near-ties of the float32 result), for the record.

`--exhaustive` sweeps all 2**32 float32 bit patterns through every forward
function in float32 (parameters at their defaults) and the unary functions
the catalogue marks `exhaustive`, at every tier, against float64 oracles
(`fastact._oracle.float32_sweep_oracle`): about 3-5 minutes of one core per
function for two tiers, an hour for all of them.
"""
import sys
import time

import numpy as np

import fastact
from fastact import kernels
from fastact._catalog import SPECS
from fastact import _oracle
from fastact._oracle import ORACLES, working_dtype

DTYPES: tuple[type[np.floating], ...] = (np.float32, np.float64)
# An exact function's result may differ from the oracle rounded to its dtype
# only where the longdouble oracle itself sat within this many ulp of a
# rounding tie (its double rounding); then the one-operation IEEE result in
# the dtype decides.
TIE_SLACK = 2.0 ** -10


def add_arguments(parser):
    parser.add_argument("--thorough", action="store_true",
                        help="20 times as many points per sweep, softmax rows up to "
                             "100000 long and the narrow types' backward passes on every "
                             "input against 32 grad_outs (about 15 minutes on 2 cores; "
                             "the default run takes one to two)")
    parser.add_argument("--quick", action="store_true",
                        help="the default run (kept for scripts that pass it)")
    parser.add_argument("--exhaustive", action="store_true",
                        help="also sweep all 2**32 float32 inputs of every forward "
                             "function and of the unary functions the catalogue marks "
                             "exhaustive (3-5 minutes of one core per function; an hour for all)")
    parser.add_argument("--isa", default="all", metavar="TIERS",
                        help="comma-separated tiers to check, 'current' or 'all' "
                             "(default: all available)")
    parser.add_argument("--functions", metavar="NAMES",
                        help="comma-separated function names (default: the whole catalogue)")
    parser.add_argument("--points", type=int, metavar="N",
                        help="approximate number of points per sweep "
                             "(default 10000, --thorough 200000)")


# ---------------------------------------------------------------------------
# Inputs

def _landmarks(dtype):
    """Points where exp-based kernels clamp, switch or underflow, and the
    range ends, each with its neighbours a few ulp away, both signs."""
    fi = np.finfo(dtype)
    base = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 30.0, 40.0,
            np.log(fi.max), np.log(fi.smallest_normal), np.log(fi.smallest_subnormal),
            np.log(fi.eps), np.log(fi.eps / 2), fi.nmant * np.log(2.0),
            fi.smallest_normal, fi.smallest_subnormal, fi.max, fi.eps]
    out = []
    with np.errstate(over="ignore"):
        for v in base:
            v = dtype(abs(v))
            for s in (v, -v):
                out.append(s)
                up = dn = s
                for _ in range(3):
                    up = np.nextafter(up, dtype(np.inf))
                    dn = np.nextafter(dn, dtype(-np.inf))
                    out += [up, dn]
    return out


def special_values(dtype):
    d = np.dtype(dtype).type
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan] + _landmarks(d)
    return np.array(vals, dtype=dtype)


def _uint(dtype):
    return np.uint32 if np.dtype(dtype).itemsize == 4 else np.uint64


def value_pool(dtype, points, rng):
    """The values an input like x sweeps through."""
    fi = np.finfo(dtype)
    parts = [special_values(dtype)]
    for a in (1.0, 8.0, 32.0, 128.0, 1024.0):
        parts.append(np.linspace(-a, a, points + 1))
    # Dense around the exp limits (where exp-based kernels switch formulas).
    for v in (np.log(fi.max), np.log(fi.smallest_normal), np.log(fi.smallest_subnormal)):
        parts.append(np.linspace(abs(v) - 2, abs(v) + 2, points // 4))
        parts.append(-np.linspace(abs(v) - 2, abs(v) + 2, points // 4))
    with np.errstate(over="ignore"):
        mags = np.logspace(np.log10(float(fi.smallest_subnormal)), np.log10(float(fi.max)),
                           points, dtype=np.float64)
    mags = np.minimum(mags, fi.max)
    parts += [mags, -mags]
    parts.append(rng.integers(0, np.iinfo(_uint(dtype)).max, size=points,
                              dtype=_uint(dtype), endpoint=True).view(dtype))
    parts.append(rng.standard_normal(points) * 4)
    with np.errstate(all="ignore"):
        return np.concatenate([np.asarray(p).astype(dtype) for p in parts])


def grad_pool(dtype, size, rng):
    """Values for grad_out: normals, wide magnitudes with both signs, specials."""
    fi = np.finfo(dtype)
    k = size // 3
    mags = 10.0 ** rng.uniform(np.log10(float(fi.smallest_normal)), np.log10(float(fi.max)), k)
    signs = rng.choice([-1.0, 1.0], k)
    spec = special_values(dtype)
    with np.errstate(all="ignore"):
        g = np.concatenate([rng.standard_normal(size - 2 * k), mags * signs,
                            rng.choice(spec.astype(np.float64), k)]).astype(dtype)
    rng.shuffle(g)
    return g


def make_inputs(spec, dtype, points, seed=0):
    """Equal-length arrays, one per input of `spec`, in `dtype`."""
    rng = np.random.default_rng(seed)
    pool = value_pool(dtype, points, rng)
    if len(spec.inputs) == 1:
        return [pool]
    if len(spec.inputs) != 2:
        raise NotImplementedError(f"check: {spec.name} has {len(spec.inputs)} inputs")
    spec_vals = special_values(dtype)
    if spec.inputs[-1] == "y":
        # Backward from the forward output y: y ranges over what the forward
        # returns (for the pool and the special values), plus [0, 1] densely
        # and close to its ends. Arbitrary y is outside the function's domain.
        def forward(v):
            with np.errstate(all="ignore"):
                return np.asarray(getattr(fastact.reference, spec.activation)(v, **spec.params),
                                  dtype=dtype)
        ends = 10.0 ** -np.linspace(0, np.finfo(dtype).precision + 3, points // 4)
        main = np.concatenate([forward(pool), np.linspace(0, 1, points + 1).astype(dtype),
                               ends.astype(dtype), (1 - ends).astype(dtype)])
        second_specials = forward(spec_vals)
    else:
        main = pool
        second_specials = spec_vals
    g = grad_pool(dtype, main.size, rng)
    a, b = np.meshgrid(spec_vals, second_specials, indexing="ij")
    return [np.concatenate([g, a.ravel()]), np.concatenate([main, b.ravel()])]


def typed_params(spec, dtype):
    """Parameters as the ufunc sees them for `dtype` (rounded to it)."""
    return {k: np.dtype(dtype).type(v) for k, v in spec.params.items()}


# ---------------------------------------------------------------------------
# Errors

def ulp_errors(result, exact, dtype):
    """|result - exact| in ulp of `dtype` at exact's binade, as float64.

    NaN/NaN is 0; NaN against a number is inf. Where the exact value is below
    the smallest normal (flushing allowed) the error is 0 if the result is
    within the smallest normal of it, else inf. Where exact rounds to ±inf in
    `dtype`, the result must be that inf."""
    fi = np.finfo(dtype)
    p = fi.nmant + 1
    wd = exact.dtype
    with np.errstate(all="ignore"):
        r = result.astype(wd)
        rounded = exact.astype(dtype)
        # A result that overflowed where the exact value rounds to the largest
        # finite number is one step past it: measure it as 2^(emax+1).
        past_max = np.isinf(r) & np.isfinite(rounded) & (np.abs(rounded) == fi.max)
        r[past_max] = np.copysign(np.ldexp(wd.type(1), fi.maxexp), r[past_max])
        diff = np.abs(r - exact)
        _, e = np.frexp(exact)
        err = np.ldexp(diff, (p - e).astype(np.int32)).astype(np.float64)
        nan_r, nan_e = np.isnan(r), np.isnan(exact)
        err[nan_r & nan_e] = 0.0
        err[nan_r ^ nan_e] = np.inf
        inf_e = np.isinf(rounded)
        err[inf_e] = np.where(result[inf_e] == rounded[inf_e], 0.0, np.inf)
        # ... and the largest finite number where the exact value is just past
        # the overflow threshold: ulps of the top binade.
        at_max = inf_e & np.isfinite(exact) & (np.abs(r) == fi.max) & (np.sign(r) == np.sign(exact))
        err[at_max] = np.ldexp(np.abs(exact[at_max] - r[at_max]), p - fi.maxexp).astype(np.float64)
        small = ~nan_e & ~inf_e & (np.abs(exact) < fi.smallest_normal)
        err[small] = np.where(diff[small] <= fi.smallest_normal, 0.0, np.inf)
    return err


def _with_flushed_derivative(err, spec, inputs, params, result, dtype):
    """grad_out = +-inf times a derivative below the smallest normal: the
    contract lets the derivative flush to 0, and inf * 0 is NaN. Accept NaN
    there (the exact product is infinite)."""
    grad = ORACLES.get(spec.activation + "_grad")
    if grad is None or spec.inputs[1] != "x":
        return err
    suspects = np.flatnonzero(err > spec.ulp)
    if not suspects.size:
        return err
    wd = working_dtype(dtype)
    tiny = np.finfo(dtype).smallest_normal
    g = inputs[0][suspects].astype(wd)
    r = result[suspects].astype(wd)
    with np.errstate(all="ignore"):
        d = grad(inputs[1][suspects], **params)
        exact = g * d
        flushed = np.abs(d) < tiny
        # inf * (a derivative flushed to 0) is NaN; any other grad_out times
        # a derivative below the smallest normal carries that derivative's
        # absolute error (one smallest normal) times |grad_out|.
        ok = flushed & ((np.isinf(g) & np.isnan(r))
                        | (np.abs(r - exact) <= 2 * tiny * np.abs(g)))
    err = err.copy()
    err[suspects[ok]] = 0.0
    return err


def _with_absolute_allowance(err, result, exact, dtype, spec, grad_out=None):
    """Derivatives may instead be within spec.abs_eps machine epsilons
    absolute where the true value is below 1 in magnitude (near their zero
    crossings, where ulps shrink without bound). Such an error is shown
    scaled to the ulp bound: abs_eps epsilons count as spec.ulp."""
    eps = float(np.finfo(dtype).eps)
    with np.errstate(all="ignore"):
        diff = np.abs(result.astype(exact.dtype) - exact).astype(np.float64)
        # A backward pass is grad_out times the derivative: the allowance
        # applies to the derivative, so it scales with |grad_out|.
        scale = (np.abs(grad_out.astype(np.float64)) if grad_out is not None
                 else np.ones_like(diff))
        below_one = np.abs(exact) < scale
        scaled = diff / (spec.abs_eps * eps * scale) * spec.ulp
    return np.where(below_one & np.isfinite(scaled), np.minimum(err, scaled), err)


def _same_bits(a, b):
    """Elementwise bit equality, with any NaN equal to any NaN."""
    u = _uint(a.dtype)
    same = a.view(u) == b.view(u)
    return same | (np.isnan(a) & np.isnan(b))


class Outcome:
    """What one (function, dtype, tier) evaluation found."""

    def __init__(self):
        self.max_ulp = 0.0
        self.worst = None          # (inputs..., result, exact) at the max
        self.mismatches = 0        # exact functions: results not bitwise right
        self.problems = []         # semantics failures (text)
        self.points = 0

    def ok(self, bound):
        if self.problems:
            return False
        if bound == 0:
            return self.mismatches == 0
        return self.max_ulp <= bound


def evaluate(spec, dtype, inputs, exact, tier_outcome=None):
    """Run fastact on `inputs` at the current tier and compare with `exact`."""
    f = getattr(fastact, spec.name)
    params = typed_params(spec, dtype)
    out = tier_outcome or Outcome()
    out.points += inputs[0].size
    try:
        with np.errstate(all="raise", under="ignore"):
            result = f(*inputs, **params)
    except FloatingPointError as exc:
        out.problems.append(f"floating-point flag escaped: {exc}")
        with np.errstate(all="ignore"):
            result = f(*inputs, **params)
    result = np.asarray(result)
    if result.dtype != dtype:
        out.problems.append(f"result dtype {result.dtype}, expected {np.dtype(dtype)}")
        return out

    err = ulp_errors(result, exact, dtype)
    if spec.variant == "backward":
        err = _with_flushed_derivative(err, spec, inputs, params, result, dtype)
    if getattr(spec, "abs_eps", 0):
        err = _with_absolute_allowance(err, result, exact, dtype, spec,
                                       inputs[0] if spec.variant == "backward" else None)
    if spec.ulp == 0:
        with np.errstate(all="ignore"):
            rounded = exact.astype(dtype)
        bad = ~_same_bits(result, rounded)
        if bad.any():
            idx = np.flatnonzero(bad)
            # Ties of the longdouble oracle: one IEEE operation in the dtype
            # itself is correctly rounded, so it settles them.
            alt = _oracle.in_own_precision(spec.name, *[a[idx] for a in inputs], **params)
            settled = (_same_bits(result[idx], alt) & (err[idx] <= 0.5 + TIE_SLACK)
                       & (np.abs(rounded[idx]) >= np.finfo(dtype).smallest_normal))
            idx = idx[~settled]
            out.mismatches += idx.size
            if idx.size and out.worst is None:
                i = idx[0]
                out.worst = tuple(a[i] for a in inputs) + (result[i], rounded[i])
    if err.size:
        i = int(np.argmax(err))
        if err[i] > out.max_ulp:
            out.max_ulp = float(err[i])
            if spec.ulp != 0:
                out.worst = tuple(a[i] for a in inputs) + (result[i], exact[i])

    # Semantics: in place and strided give the same bits as the plain call.
    work = [a.copy() for a in inputs]
    with np.errstate(all="ignore"):
        r_in = f(*work, out=work[0], **params)
    if r_in is not work[0]:
        out.problems.append("in place did not return its out= array")
    if not _same_bits(work[0], result).all():
        out.problems.append("in place (out= first input) differs from out of place")
    strided = []
    for a in inputs:
        s = np.empty(2 * a.size, dtype=dtype)
        s[1::2] = a
        strided.append(s[1::2])
    with np.errstate(all="ignore"):
        r_s = np.asarray(f(*strided, **params))
    if not _same_bits(r_s, result).all():
        out.problems.append("strided input differs from contiguous")
    return out


# ---------------------------------------------------------------------------
# Runs

def _tiers(option):
    available = kernels.available_isas()
    if option in (None, "", "all"):
        return list(available)
    if option == "current":
        return [kernels.current_isa()]
    wanted = [t.strip() for t in option.split(",") if t.strip()]
    for t in wanted:
        if t not in available:
            raise SystemExit(f"check: tier {t!r} is not available here "
                             f"(available: {', '.join(available)})")
    return wanted


def _specs(option):
    """The catalogue specs and the softmax-trio names --functions selects."""
    if not option:
        return list(SPECS), list(SOFTMAX_NAMES)
    names = [n.strip() for n in option.split(",") if n.strip()]
    by_name = {s.name: s for s in SPECS}
    unknown = [n for n in names if n not in by_name and n not in SOFTMAX_NAMES]
    if unknown:
        raise SystemExit(f"check: unknown function(s) {', '.join(unknown)}; "
                         f"known: {', '.join(list(by_name) + list(SOFTMAX_NAMES))}")
    return ([by_name[n] for n in names if n in by_name],
            [n for n in SOFTMAX_NAMES if n in names])


def _fmt(v):
    """A value in full: the shortest repr for float32/float64, 21 digits for
    longdouble."""
    if np.asarray(v).dtype == np.longdouble:
        return np.format_float_scientific(v, precision=20)
    return np.format_float_scientific(v, unique=True) if v != 0 and (
        abs(v) < 1e-4 or abs(v) >= 1e6) else np.format_float_positional(v, unique=True)


def _describe(spec, worst):
    if worst is None:
        return ""
    *ins, got, want = worst
    args = ", ".join(f"{n}={_fmt(v)}" for n, v in zip(spec.inputs, ins))
    return f"at {args}: got {_fmt(got)}, exact {_fmt(want)}"


def _progress(text):
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()


def _progress_done():
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _mpmath_missing():
    """Why mpmath cannot be imported, or None. The float64 oracles of the
    transcendental functions (gelu's erf, the tails of silu, mish, ...) need
    its arbitrary precision: without it `check` can measure nothing."""
    try:
        import mpmath  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def run(args):
    why = _mpmath_missing()
    if why:
        print(f"fastact check needs mpmath for its high-precision oracles ({why}): "
              f"pip install mpmath, or install fastact with the [bench] extra",
              file=sys.stderr)
        return 2
    specs, softmax_names = _specs(args.functions)
    tiers = _tiers(args.isa)
    quick = not args.thorough
    points = args.points or (200_000 if args.thorough else 10_000)
    start_tier = kernels.current_isa()
    t0 = time.perf_counter()

    missing = [s.name for s in specs if s.name not in ORACLES]
    print(f"fastact {fastact.__version__} check: max error in ulp against the oracle "
          f"(float64 for float32, longdouble for float64)")
    print(f"tiers: {', '.join(tiers)} (in use at start: {start_tier}); "
          f"~{points} points per sweep")
    if np.finfo(np.longdouble).nmant < 60:
        print("note: longdouble is no wider than double here, so the float64 oracle "
              "is itself only float64-accurate")
    if missing:
        print(f"FAIL: no oracle in fastact._oracle.ORACLES for: {', '.join(missing)}")
        for names, why in _oracle.MISSING.items():
            print(f"      {names}: {why}")

    header = f"{'function':24s} {'dtype':8s} {'tier':9s} {'max ulp':>9s} {'bound':>7s}  result"
    print()
    print(header)
    print("-" * len(header))
    failures = len(missing)
    try:
        for spec in specs:
            if spec.name not in ORACLES:
                continue
            for dtype in DTYPES:
                inputs = make_inputs(spec, dtype, points)
                with np.errstate(all="ignore"):
                    exact = ORACLES[spec.name](*inputs, **typed_params(spec, dtype))
                for tier in tiers:
                    _progress(f"{spec.name} {np.dtype(dtype).name} {tier}")
                    kernels._set_isa(tier)
                    o = evaluate(spec, dtype, inputs, exact)
                    _progress_done()
                    failures += _report_row(spec, dtype, tier, o)
        failures += run_softmax(softmax_names, tiers, quick)
        failures += run_narrow(specs, tiers, args.thorough)
        if args.exhaustive:
            failures += run_exhaustive(specs, tiers)
    finally:
        kernels._set_isa(start_tier)
        _progress_done()

    print()
    took = time.perf_counter() - t0
    if failures:
        print(f"check FAILED: {failures} problem(s) ({took:.1f} s)")
        return 1
    print(f"check passed: every function within its bound at every tier ({took:.1f} s)")
    return 0


def _report_row(spec, dtype, tier, o):
    bound = "exact" if spec.ulp == 0 else f"{spec.ulp:g}"
    if spec.ulp == 0:
        shown = "exact" if o.mismatches == 0 else f"{o.max_ulp:.3g}"
    else:
        shown = f"{o.max_ulp:.3f}" if np.isfinite(o.max_ulp) else "inf"
    ok = o.ok(spec.ulp)
    verdict = "ok" if ok else "FAIL"
    print(f"{spec.name:24s} {np.dtype(dtype).name:8s} {tier:9s} {shown:>9s} {bound:>7s}  {verdict}")
    if not ok:
        if spec.ulp == 0 and o.mismatches:
            print(f"    {o.mismatches} result(s) not bitwise correct, first {_describe(spec, o.worst)}")
        elif spec.ulp != 0 and o.max_ulp > spec.ulp:
            print(f"    worst {_describe(spec, o.worst)}")
        for p in o.problems:
            print(f"    {p}")
    return 0 if ok else 1


def run_exhaustive(specs, tiers, starts=None):
    """All 2**32 float32 inputs of every forward function (parameters at
    their defaults) and of the unary functions marked `exhaustive`; with
    `starts`, only the chunks of 2**14 bit patterns beginning there.

    Chunks of 2**14 inputs, so every temporary stays in the L2 cache; per
    chunk and function the oracle, its rounding, the ulp scale and the masks
    of special results are computed once and shared by all tiers."""
    chosen = [s for s in specs if len(s.inputs) == 1 and s.name in ORACLES
              and (s.variant == "forward" or s.exhaustive)]
    oracles = {s.name: _oracle.float32_sweep_oracle(s.name) for s in chosen}
    skipped = [name for name, o in oracles.items() if o is None]
    chosen = [s for s in chosen if oracles[s.name] is not None]
    if skipped:
        print(f"exhaustive float32: skipping {', '.join(skipped)} "
              f"(its fast oracle needs scipy.special)")
    if not chosen:
        return 0
    print()
    chunk = 1 << 14
    inputs = "all 2**32 inputs" if starts is None else f"{len(starts) * chunk} inputs"
    print(f"exhaustive float32: {inputs} of {', '.join(s.name for s in chosen)} "
          f"at {', '.join(tiers)}")
    f32 = np.float32
    outcomes = {(s.name, t): Outcome() for s in chosen for t in tiers}
    funcs = [(s, getattr(fastact, s.name), typed_params(s, f32), oracles[s.name])
             for s in chosen]
    t0 = time.perf_counter()
    # Chunks this small gain nothing from fastact's threads (and on a busy
    # machine waking them costs more than the work).
    threads = fastact.get_num_threads()
    tier_in_use = kernels.current_isa()
    fastact.set_num_threads(1)
    try:
        _sweep_all_float32(funcs, tiers, outcomes, chunk, t0, starts)
    finally:
        fastact.set_num_threads(threads)
        # the sweep switches tiers; a caller other than main() (a test) must
        # get back the tier it had
        kernels._set_isa(tier_in_use)
    _progress_done()
    failures = 0
    for spec in chosen:
        for tier in tiers:
            o = outcomes[(spec.name, tier)]
            failures += _report_row(spec, f32, tier, o)
            if spec.ulp and o.ok(spec.ulp) and o.worst is not None:
                print(f"    worst {_describe(spec, o.worst)}")
    print(f"(exhaustive sweep: {time.perf_counter() - t0:.0f} s)")
    return failures


def _float32_inverse_ulp(exact):
    """1 / ulp of float64 values in float32 at their binade, 2**(24 - e) for
    exact = m 2**e, 1/2 <= |m| < 1, as np.ldexp(1.0, 24 - np.frexp(exact)[1])
    but from the exponent bits: a quarter of the sweep's time went to frexp
    and ldexp. Right for |exact| >= 2**-1000; below (zero, far subnormal),
    where the sweep compares absolutely, 2**1023."""
    biased = (exact.view(np.uint64) >> np.uint64(52)) & np.uint64(0x7FF)
    # 2**(24 - (biased - 1022)) has the biased exponent 2069 - biased
    np.maximum(biased, np.uint64(2069 - 2046), out=biased)
    return ((np.uint64(2069) - biased) << np.uint64(52)).view(np.float64)


def _sweep_all_float32(funcs, tiers, outcomes, chunk, t0, starts=None):
    """Every float32 bit pattern, in chunks beginning at `starts` (default:
    all of them, 0 to 2**32 - chunk)."""
    if starts is None:
        starts = range(0, 1 << 32, chunk)
    f32 = np.float32
    fi = np.finfo(f32)
    tiny = np.float64(fi.smallest_normal)
    base = np.arange(chunk, dtype=np.uint32)
    x = np.empty(chunk, dtype=f32)
    r = np.empty(chunk, dtype=f32)
    err = np.empty(chunk, dtype=np.float64)
    last = t0
    with np.errstate(all="ignore"):
        for n_done, start in enumerate(starts, 1):
            np.add(base, np.uint32(start), out=x.view(np.uint32))
            for spec, f, params, oracle in funcs:
                exact = np.asarray(oracle(x, **params), dtype=np.float64)
                rounded = exact.astype(f32)
                scale = _float32_inverse_ulp(exact)
                special = np.isnan(exact) | np.isinf(rounded) | (np.abs(exact) < tiny)
                any_special = special.any()
                for tier in tiers:
                    kernels._set_isa(tier)
                    o = outcomes[(spec.name, tier)]
                    with np.errstate(all="raise", under="ignore"):
                        try:
                            f(x, out=r, **params)
                        except FloatingPointError as exc:
                            if not o.problems:
                                o.problems.append(f"floating-point flag escaped: {exc}")
                            with np.errstate(all="ignore"):
                                f(x, out=r, **params)
                    o.points += chunk
                    np.subtract(r, exact, out=err)
                    np.abs(err, out=err)
                    np.multiply(err, scale, out=err)
                    if any_special:
                        idx = np.flatnonzero(special)
                        e_s, r_s = exact[idx], r[idx]
                        ok = ((np.isnan(e_s) & np.isnan(r_s))
                              | (np.isinf(rounded[idx]) & (r_s == rounded[idx]))
                              | (np.abs(r_s - e_s) <= tiny))
                        err[idx] = np.where(ok, 0.0, np.inf)
                    i = int(np.argmax(err))
                    if spec.ulp == 0:
                        o.mismatches += int(np.count_nonzero(~_same_bits(r, rounded)))
                    if err[i] > o.max_ulp:
                        o.max_ulp = float(err[i])
                        o.worst = (x[i], r[i], exact[i])
            now = time.perf_counter()
            if now - last > 0.5:
                last = now
                done = n_done / len(starts)
                _progress(f"exhaustive {done:6.1%}  {now - t0:5.0f} s elapsed, "
                          f"~{(now - t0) / done - (now - t0):4.0f} s left")


# ---------------------------------------------------------------------------
# The softmax trio (not elementwise, so not in the catalogue): whole rows

SOFTMAX_NAMES = ("softmax", "log_softmax", "softmax_backward")
SOFTMAX_ULP = 4.0
# softmax_backward: within SOFTMAX_ULP ulp, or this many eps absolute where
# the exact value is below 1 in magnitude (y * (g - sum) cancels).
SOFTMAX_ABS_EPS = 4.0
SOFTMAX_LENGTHS = (10, 1000, 100_000)
QUICK_SOFTMAX_LENGTHS = (10, 1000, 10_000)


class _RowSpec:
    """What `_with_absolute_allowance` and `_describe` read of a Spec."""

    def __init__(self, name):
        self.name = name
        self.inputs = ("grad_out", "y") if name == "softmax_backward" else ("x",)
        self.ulp = SOFTMAX_ULP
        self.abs_eps = SOFTMAX_ABS_EPS if name == "softmax_backward" else 0


def softmax_rows(dtype, n, quick, seed=0):
    """(rows, n) logits: normal rows at a few scales, rows uniform in
    +-1e4 (large spreads: most exps underflow), and for n >= 4 special rows
    (constant, one dominant element, -inf elements, a NaN, +inf, all -inf)."""
    rng = np.random.default_rng(seed + n)
    total = 20_000 if quick else 200_000
    k = max(1, total // n // 4)
    parts = [rng.standard_normal((k, n)) * s for s in (1.0, 10.0)]
    parts.append(rng.uniform(-1e4, 1e4, (k, n)))
    parts.append(rng.uniform(-1e4, 1e4, (k, n)) * 10.0 ** rng.uniform(-4, 0, (k, 1)))
    if n >= 4:
        sp = np.zeros((7, n))
        sp[1] = 3.0                           # constant row: 1/n each
        sp[2] = rng.standard_normal(n)
        sp[2, n // 2] = 1e4                   # one element takes it all
        sp[3] = rng.standard_normal(n)
        sp[3, ::3] = -np.inf                  # -inf elements give 0 / -inf
        sp[4] = rng.standard_normal(n)
        sp[4, 1] = np.nan                     # a NaN: the row is NaN
        sp[5] = rng.standard_normal(n)
        sp[5, 2] = np.inf                     # +inf: the row is NaN
        sp[6] = -np.inf                       # only -inf: the row is NaN
        parts.append(sp)
    return np.concatenate(parts).astype(dtype)


def _softmax_inputs(name, dtype, n, quick):
    x = softmax_rows(dtype, n, quick)
    if name != "softmax_backward":
        return [x]
    with np.errstate(all="ignore"):
        y = fastact.softmax(x)
    g = np.random.default_rng(n + 1).standard_normal(x.shape).astype(dtype)
    if n >= 4:
        g[-7, :] = 0.0                        # zero gradient: zero result
        g[-6, 0] = np.nan                     # a NaN gradient
    return [g, y]


def evaluate_softmax(rspec, dtype, inputs, exact, o):
    """One (rows, n) block at the current tier: ulp errors, row sums for
    softmax, in place gives the same bits."""
    f = getattr(fastact, rspec.name)
    o.points += inputs[0].size
    with np.errstate(all="ignore"):
        result = np.asarray(f(*inputs))
    if result.dtype != dtype or result.shape != inputs[0].shape:
        o.problems.append(f"result {result.dtype} {result.shape}, expected "
                          f"{np.dtype(dtype)} {inputs[0].shape}")
        return
    err = ulp_errors(result.ravel(), exact.ravel(), dtype)
    if rspec.abs_eps:
        err = _with_absolute_allowance(err, result.ravel(), exact.ravel(), dtype, rspec)
    if err.size:
        i = int(np.argmax(err))
        if err[i] > o.max_ulp:
            o.max_ulp = float(err[i])
            o.worst = tuple(a.ravel()[i] for a in inputs) + (result.ravel()[i], exact.ravel()[i])
            o.worst_n = inputs[0].shape[-1]
    if rspec.name == "softmax":
        n = result.shape[-1]
        finite = ~np.isnan(exact).any(axis=-1)
        with np.errstate(all="ignore"):
            dev = np.abs(result[finite].astype(np.longdouble).sum(axis=-1) - 1)
        dev = (dev / (n * np.finfo(dtype).eps)).astype(np.float64)
        if dev.size:
            o.row_sum = max(o.row_sum, float(dev.max()))
    work = [a.copy() for a in inputs]
    with np.errstate(all="ignore"):
        r_in = f(*work, out=work[0])
    if r_in is not work[0]:
        o.problems.append("in place did not return its out= array")
    elif not _same_bits(work[0], result).all():
        o.problems.append("in place (out= first input) differs from out of place")


def run_softmax(names, tiers, quick):
    """Rows for the softmax trio after the catalogue's; returns failures."""
    lengths = QUICK_SOFTMAX_LENGTHS if quick else SOFTMAX_LENGTHS
    failures = 0
    for name in names:
        rspec = _RowSpec(name)
        oracle = ORACLES.get(name)
        if oracle is None:
            print(f"{name:24s} FAIL: no oracle in fastact._oracle.ORACLES")
            failures += 1
            continue
        for dtype in DTYPES:
            outcomes = {t: Outcome() for t in tiers}
            for o in outcomes.values():
                o.row_sum, o.worst_n = 0.0, None
            for n in lengths:
                inputs = _softmax_inputs(name, dtype, n, quick)
                exact = oracle(*inputs).astype(np.longdouble)
                for tier in tiers:
                    _progress(f"{name} {np.dtype(dtype).name} {tier} n={n}")
                    kernels._set_isa(tier)
                    evaluate_softmax(rspec, dtype, inputs, exact, outcomes[tier])
                    _progress_done()
            for tier in tiers:
                failures += _report_softmax_row(rspec, dtype, tier, outcomes[tier], lengths)
    return failures


def _report_softmax_row(rspec, dtype, tier, o, lengths):
    rows_ok = o.row_sum <= 1.0
    ok = o.ok(rspec.ulp) and rows_ok
    shown = f"{o.max_ulp:.3f}" if np.isfinite(o.max_ulp) else "inf"
    extra = f"  (rows n={','.join(str(n) for n in lengths)}"
    if rspec.name == "softmax":
        extra += f"; row sums within {o.row_sum:.3f} n*eps of 1"
    extra += ")"
    print(f"{rspec.name:24s} {np.dtype(dtype).name:8s} {tier:9s} {shown:>9s} "
          f"{rspec.ulp:>7g}  {'ok' if ok else 'FAIL'}{extra}")
    if not ok:
        if o.max_ulp > rspec.ulp:
            print(f"    worst (row length {o.worst_n}) {_describe(rspec, o.worst)}")
        if not rows_ok:
            print(f"    a row sums to 1 +- {o.row_sum:.3g} n*eps (bound 1 n*eps)")
        for p in o.problems:
            print(f"    {p}")
    return 0 if ok else 1


# ---------------------------------------------------------------------------
# float16 and bfloat16: every input (65,536 values each)

# The narrow types: significand bits after the point, smallest normal
# exponent, and the quiet bit of a NaN.
NARROW_FORMATS = {"float16": (10, -14, 0x0200), "bfloat16": (7, -126, 0x0040)}
# Backward passes in the default run: every input with grad_out = 1, plus
# this many random (grad_out, input) pairs and every special grad_out against
# NARROW_SPECIAL_SAMPLE random inputs. --thorough: every input against each
# of NARROW_THOROUGH_GRADS grad_outs (the specials, then random ones).
NARROW_RANDOM_PAIRS = 1 << 16
NARROW_SPECIAL_SAMPLE = 1 << 12
NARROW_THOROUGH_GRADS = 32
NARROW_SPECIAL_GRADS = (1.0, -1.0, 0.0, -0.0, 0.5, -7.5, 1e-3, 6e-8, 1e4, np.inf, -np.inf,
                        np.nan)


def narrow_dtypes():
    """{name: dtype} of the narrow types this installation has."""
    out = {"float16": np.dtype(np.float16)}
    if fastact.bfloat16 is not None:
        out["bfloat16"] = np.dtype(fastact.bfloat16)
    return out


def _narrow(a, dtype):
    with np.errstate(all="ignore"):   # ml_dtypes' casts of NaN and overflow warn
        return np.asarray(a).astype(dtype)


def narrow_inputs(spec, dtype, thorough, seed=0):
    """Every narrow value for a one-input function; for a backward pass
    (grad_out, input) pairs that give every input (see NARROW_RANDOM_PAIRS)."""
    values = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(dtype)
    if len(spec.inputs) == 1:
        return [values]
    rng = np.random.default_rng(seed)

    def random_values(k):
        return rng.integers(0, 1 << 16, k, dtype=np.uint32).astype(np.uint16).view(dtype)

    specials = _narrow(np.array(NARROW_SPECIAL_GRADS, np.float32), dtype)
    if thorough:
        grads = np.concatenate([specials,
                                random_values(NARROW_THOROUGH_GRADS - specials.size)])
        return [np.repeat(grads, values.size), np.tile(values, grads.size)]
    g = [_narrow(np.ones(values.size, np.float32), dtype), random_values(NARROW_RANDOM_PAIRS),
         np.repeat(specials, NARROW_SPECIAL_SAMPLE)]
    x = [values, random_values(NARROW_RANDOM_PAIRS),
         random_values(specials.size * NARROW_SPECIAL_SAMPLE)]
    return [np.concatenate(g), np.concatenate(x)]


def narrow_params(spec, dtype):
    """The default parameters as the ufunc sees them for a narrow input:
    rounded to the narrow type (a Python float keeps the narrow loop; the
    float32 reference and the oracle get the same value)."""
    return {k: float(_narrow(np.float32(v), dtype)) for k, v in spec.params.items()}


def _erfc(x):
    import math
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def _gelu_grad64(x):
    return _erfc(-x / np.sqrt(2)) / 2 + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)


# float64 is plenty for a narrow result (2^-53 against 2^-11 or 2^-8); the
# catalogue's gelu oracles run mpmath on every element (for float64
# results), a minute per function here.
NARROW_ORACLES = {
    "gelu": lambda x: x / 2 * _erfc(-x / np.sqrt(2)),
    "gelu_grad": _gelu_grad64,
    "gelu_backward": lambda g, x: g * _gelu_grad64(x),
}


def narrow_exact(spec, inputs, params):
    """The float64 oracle on the widened inputs."""
    wide = [a.astype(np.float32) for a in inputs]
    with np.errstate(all="ignore"):
        if spec.name in NARROW_ORACLES:
            return NARROW_ORACLES[spec.name](*[w.astype(np.float64) for w in wide])
        # float32 operands: the catalogue's oracle computes in float64
        return np.asarray(ORACLES[spec.name](*wide, **{k: np.float32(v)
                                                       for k, v in params.items()}),
                          np.float64)


def narrow_domain(spec, inputs):
    """Where the ulp figure applies: everywhere, except that a backward pass
    from the forward output y only sees the y that forward returns."""
    if spec.inputs[-1] != "y":
        return np.ones(inputs[0].size, bool)
    values = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(inputs[1].dtype)
    with np.errstate(all="ignore"):
        outputs = getattr(fastact, spec.activation)(values)
    return np.isin(inputs[1].view(np.uint16), outputs.view(np.uint16))


def narrow_ulp(e, name):
    """The narrow type's spacing at |e| (float64), subnormals included."""
    nmant, emin, _ = NARROW_FORMATS[name]
    _, exp = np.frexp(np.abs(e))
    return np.ldexp(1.0, np.maximum(exp - 1, emin) - nmant)


def narrow_ulp_errors(result, exact, dtype, grad_out=None):
    """|result - exact| in the narrow type's ulp at `exact`. NaN must meet
    NaN, an infinite result or rounded exact value must be matched exactly;
    as for float32 itself, where |exact| (for a backward pass: the
    derivative times |grad_out|) is within float32's smallest normal the
    float32 kernels may flush, and then that much absolute error is 0.
    check's reports and tests/test_narrow.py's both measure with this."""
    name = np.dtype(dtype).name
    r = _narrow(result, np.float64)
    e = np.asarray(exact, np.float64)
    err = np.zeros(r.shape)
    tiny = float(np.finfo(np.float32).smallest_normal)
    with np.errstate(all="ignore"):
        e_rounded = _narrow(_narrow(e, dtype), np.float64)
        nan_r, nan_e = np.isnan(r), np.isnan(e)
        err[nan_r != nan_e] = np.inf
        both = ~(nan_r | nan_e)
        inf = both & (np.isinf(r) | np.isinf(e_rounded))
        err[inf & (r != e_rounded)] = np.inf
        fin = both & ~inf
        diff = np.abs(r[fin] - e[fin])
        err[fin] = diff / narrow_ulp(e[fin], name)
        scale = 1.0 if grad_out is None else np.maximum(
            np.abs(_narrow(grad_out, np.float64)[fin]), 1.0)
        flushed = np.flatnonzero(fin)[diff <= 2 * tiny * scale]
        err[flushed] = np.minimum(err[flushed], 0.5)
    return err


def _narrow_same_bits(got, want, name):
    """Bit for bit; a NaN must meet a quiet NaN (its sign and payload are
    not part of the contract, as for float32, whose kernels' NaN signs vary
    with operand order)."""
    g, w = got.view(np.uint16), want.view(np.uint16)
    quiet = (g & NARROW_FORMATS[name][2]) != 0
    return np.where(np.isnan(_narrow(want, np.float32)),
                    np.isnan(_narrow(got, np.float32)) & quiet, g == w)


def evaluate_narrow(spec, dtype, inputs, params, exact, domain, o):
    """One narrow function at the current tier: dtype, no FP flag, bits
    against fastact's float32 result rounded once, in place and strided the
    same, and the error in narrow ulp against `exact` (finite inputs in
    `domain`)."""
    name = np.dtype(dtype).name
    f = getattr(fastact, spec.name)
    o.points += inputs[0].size
    try:
        with np.errstate(all="raise", under="ignore"):
            result = f(*inputs, **params)
    except FloatingPointError as exc:
        o.problems.append(f"floating-point flag escaped: {exc}")
        with np.errstate(all="ignore"):
            result = f(*inputs, **params)
    result = np.asarray(result)
    if result.dtype != dtype:
        o.problems.append(f"result dtype {result.dtype}, expected {dtype}")
        return
    with np.errstate(all="ignore"):
        wide = f(*[a.astype(np.float32) for a in inputs],
                 **{k: np.float32(v) for k, v in params.items()})
    want = _narrow(wide, dtype)
    bad = ~_narrow_same_bits(result, want, name)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        o.mismatches += int(bad.sum())
        if o.worst is None:
            o.worst = tuple(a[i] for a in inputs) + (result[i], want[i])
    finite = domain.copy()
    for a in inputs:
        finite &= np.isfinite(_narrow(a, np.float32))
    err = narrow_ulp_errors(result[finite], exact[finite], dtype,
                            inputs[0][finite] if len(inputs) == 2 else None)
    if err.size:
        o.max_ulp = max(o.max_ulp, float(err.max()))
        # by value: a zero's sign where the exact value underflows is the
        # float32 kernel's business
        r = _narrow(result[finite], np.float32)
        with np.errstate(all="ignore"):
            cr = _narrow(_narrow(exact[finite], dtype), np.float32)
        o.not_rounded += int((~((r == cr) | (np.isnan(r) & np.isnan(cr)))).sum())
    work = [a.copy() for a in inputs]
    with np.errstate(all="ignore"):
        f(*work, out=work[0], **params)
        strided = []
        for a in inputs:
            s = np.zeros(2 * a.size, dtype)
            s[1::2] = a
            strided.append(s[1::2])
        r_s = np.asarray(f(*strided, **params))
    if not _narrow_same_bits(work[0], result, name).all():
        o.problems.append("in place (out= first input) differs from out of place")
    if not _narrow_same_bits(r_s, result, name).all():
        o.problems.append("strided input differs from contiguous")


def run_narrow(specs, tiers, thorough):
    """The narrow loops of every elementwise function; returns failures."""
    dtypes = narrow_dtypes()
    print()
    pairs = (f"every input against {NARROW_THOROUGH_GRADS} grad_outs" if thorough
             else "every input with grad_out = 1, and a sample of pairs")
    print(f"float16 and bfloat16 ({', '.join(dtypes)}): every input (backward passes: "
          f"{pairs}),")
    print("bit for bit against the float32 result rounded once; max error in the narrow "
          "type's ulp against the float64 oracle (finite inputs), and how many results "
          "are not the correctly rounded value")
    if fastact.bfloat16 is None:
        print("(bfloat16 not checked: ml_dtypes is not installed)")
    header = (f"{'function':24s} {'dtype':8s} {'tier':9s} {'points':>8s} {'max ulp':>9s} "
              f"{'not CR':>7s}  result")
    print()
    print(header)
    print("-" * len(header))
    failures = 0
    for spec in specs:
        if spec.name not in ORACLES:
            continue
        for label, dtype in dtypes.items():
            inputs = narrow_inputs(spec, dtype, thorough)
            params = narrow_params(spec, dtype)
            exact = narrow_exact(spec, inputs, params)
            domain = narrow_domain(spec, inputs)
            for tier in tiers:
                _progress(f"{spec.name} {label} {tier}")
                kernels._set_isa(tier)
                o = Outcome()
                o.not_rounded = 0
                evaluate_narrow(spec, dtype, inputs, params, exact, domain, o)
                _progress_done()
                failures += _report_narrow_row(spec, label, tier, o)
    return failures


def _report_narrow_row(spec, label, tier, o):
    ok = not o.problems and o.mismatches == 0
    shown = f"{o.max_ulp:.3f}" if np.isfinite(o.max_ulp) else "inf"
    print(f"{spec.name:24s} {label:8s} {tier:9s} {o.points:8d} {shown:>9s} "
          f"{o.not_rounded:7d}  {'ok' if ok else 'FAIL'}")
    if o.mismatches:
        *ins, got, want = o.worst
        args = ", ".join(f"{n}={float(v)!r}" for n, v in zip(spec.inputs, ins))
        print(f"    {o.mismatches} result(s) not the float32 result rounded once, first at "
              f"{args}: got {float(got)!r}, want {float(want)!r}")
    for p in o.problems:
        print(f"    {p}")
    return 0 if ok else 1
