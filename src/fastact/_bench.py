"""`python -m fastact bench`: fastact against numpy and the peers installed.

For every function of the catalogue (`fastact._catalog.SPECS`), float32 and
float64, several sizes, in place and out of place, it times fastact and each
peer on the *same* arrays in the *same* mode and prints ns/element and how many
times faster fastact is. Peers:

- numpy: `fastact.reference`, the numerically stable numpy twin. It cannot
  work in place, so "in place" means computing and copying the result back
  (what a numpy user would do); out of place it returns a new array.
- np-ufunc: the quick numpy a user writes by hand, a chain of ufuncs with
  `out=` (for the logistic function: negative, exp, add 1, reciprocal) — in
  place when out is the input. Not numerically stable; shown because it is
  numpy's fastest.
- torch: PyTorch CPU on `torch.from_numpy` views of the same arrays, its
  out= / in-place kernels.
- scipy: scipy.special's version, where it has one.
- numexpr: an expression evaluated by numexpr.

What each peer calls for a function is part of its catalogue entry
(`Spec.peers` in fastact/_catalog.py).

Timing: a warm-up call, then the best of several timed blocks of one or more
calls (time.perf_counter); in place, the inputs are restored from a pristine
copy before every block, untimed, and a block holds at most 10 calls so the
values cannot drift far (a slope of 0.01 applied 20 times in place would
reach subnormals). Threads: every peer that has threads gets `--threads N`
(default 1, so the table compares single cores); numpy and SciPy have none.

Beside each fastact figure, a "subnormal" column gives fastact's and torch's
ns/element on subnormal inputs (x, grad_out and y's x all below the smallest
normal, either sign) and how many times the normal-input figure that is:
where hardware slows down (microcode assists), a kernel that avoids them
stays near 1.

After the elementwise tables, a section times the softmax trio in place on
(rows, n) blocks of about 1e6 elements (1e5 with --quick), n = 10, 1000,
100000: fastact, the numpy reference and torch (torch.softmax /
torch.log_softmax with out=, aten._softmax_backward_data.out); in the JSON
output under "softmax".

It also measures the machine's memory-bandwidth bound (an in-place
`np.multiply(x, 1, out=x)` pass over 1e7 elements, and `np.add(a, b, out=a)`
for the two-input functions, each on restored inputs as the kernels in place
are), compares the memory-bound functions at 1e7 with it, and the call
overhead on a 1-element array with `np.negative(x, out=x)`.
"""
import argparse
import functools
import json
import math
import os
import platform
import sys
import time
from importlib import metadata

import numpy as np

import fastact
from fastact import kernels
from fastact import reference
from fastact._catalog import BY_NAME, SPECS

DTYPES = ("float32", "float64")
SIZES = (10**3, 10**5, 10**6, 10**7)
QUICK_SIZES = (10**5, 10**6)
MODES = ("inplace", "out")
QUICK_MODES = ("inplace",)
QUICK_VARIANTS = ("forward", "backward")
# Functions whose kernels are bound by memory traffic, not arithmetic (the
# catalogue's "cheap" grain) are compared with the bandwidth bound at
# BANDWIDTH_N elements.
BANDWIDTH_N = 10**7
# In place, each timed block is one call on the pristine inputs (restored,
# untimed, before it), for every library alike: a call fed the previous
# one's output times other inputs than the row says. A backward pass decays
# grad_out into subnormals within 5-10 calls (tanh_backward,
# sigmoid_backward), selu turns subnormal inputs into tiny normal ones that
# its polynomial squares into underflow (6.5 ns/element from the second
# call, 0.85 on the first), and a block length that followed each
# library's first-call time gave a library whose first call is slow fewer
# of those calls than the others. Below INPLACE_ONE_CALL_FROM elements a
# call lasts too little to time alone: blocks of INPLACE_BLOCK calls.
INPLACE_ONE_CALL_FROM = 10_000
INPLACE_BLOCK = 4


# ---------------------------------------------------------------------------
# Peers. Each catalogue entry names what each peer calls for it (Spec.peers):
# a Python expression, made here into a callable taking the inputs
# positionally, the parameters as keywords, and `out` (the output array, which
# is the first input when in place); for numexpr, the expression it evaluates.

@functools.lru_cache(maxsize=None)
def _torch():
    import torch
    return torch


@functools.lru_cache(maxsize=None)
def _tscalar(value, dtype):
    """A cached 0-d tensor, so a call does not pay for building it."""
    torch = _torch()
    return torch.tensor(value, dtype=dtype)


def _namespace(peer):
    """The names a peer's expressions use."""
    if peer == "torch":
        torch = _torch()
        return {"torch": torch, "aten": torch.ops.aten, "scalar": _tscalar}
    if peer == "scipy":
        import scipy.special  # type: ignore[import-untyped]
        return {"scipy": scipy}
    return {"np": np}


_PEER_FUNCTIONS: dict[tuple[str, str], object] = {}   # (name, peer) -> the compiled call


def _peer_function(name, peer):
    if (name, peer) not in _PEER_FUNCTIONS:
        _PEER_FUNCTIONS[name, peer] = BY_NAME[name].peer_function(peer, _namespace(peer))
    return _PEER_FUNCTIONS[name, peer]


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


class Peer:
    """One implementation to time: a name, whether it is installed, and how to
    make a call for a function, or None if it has no version of it."""

    def __init__(self, name, dist, make):
        self.name = name
        self.version = _version(dist) if dist else np.__version__
        self.make = make

    @property
    def installed(self):
        return self.version is not None


def _make_fastact(spec, arrays, out):
    f = getattr(fastact, spec.name)
    params = spec.params
    return lambda: f(*arrays, out=out, **params)


def _make_reference(spec, arrays, out):
    f = getattr(reference, spec.name)
    params = spec.params
    if out is arrays[0]:
        return lambda: np.copyto(out, f(*arrays, **params))
    return lambda: f(*arrays, **params)


def _make_from(peer):
    def make(spec, arrays, out):
        if peer not in spec.peers:
            return None
        f = _peer_function(spec.name, peer)
        if f is None:
            return None
        params = spec.params
        return lambda: f(*arrays, out=out, **params)
    return make


def _make_torch(spec, arrays, out):
    if "torch" not in spec.peers:
        return None
    f = _peer_function(spec.name, "torch")
    torch = _torch()
    tensors = [torch.from_numpy(a) for a in arrays]
    t_out = tensors[0] if out is arrays[0] else torch.from_numpy(out)
    params = spec.params
    return lambda: f(*tensors, out=t_out, **params)


def _make_numexpr(spec, arrays, out):
    expr = spec.peers.get("numexpr")
    if expr is None:
        return None
    import numexpr  # type: ignore[import-untyped]
    local = dict(zip(spec.inputs, arrays))
    local.update({k: arrays[0].dtype.type(v) for k, v in spec.params.items()})
    return lambda: numexpr.evaluate(expr, local_dict=local, out=out)


def peers():
    return [
        Peer("numpy", None, _make_reference),
        Peer("np-ufunc", None, _make_from("np-ufunc")),
        Peer("torch", "torch", _make_torch),
        Peer("scipy", "scipy", _make_from("scipy")),
        Peer("numexpr", "numexpr", _make_numexpr),
    ]


# ---------------------------------------------------------------------------
# Inputs and timing

def make_inputs(spec, dtype, n, seed=0):
    """Arrays for spec's inputs: x and grad_out standard normal (x scaled by 3,
    so about half the values are negative and the tails are used); y the
    forward's output on such an x (computed by fastact: only its values
    matter here, and they are checked elsewhere)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for name in spec.inputs:
        v = rng.standard_normal(n, dtype=np.dtype(dtype).type)
        if name in ("x", "y"):
            v *= 3
        if name == "y":
            getattr(fastact, spec.activation)(v, out=v, **spec.params)
        arrays.append(v)
    return arrays


def make_subnormal_inputs(spec, dtype, n, seed=0):
    """Arrays for spec's inputs with x and grad_out subnormal (uniform in
    (-smallest normal, smallest normal)); y the forward's output on such an
    x (sigmoid's 1/2, tanh's x itself)."""
    rng = np.random.default_rng(seed)
    tiny = float(np.finfo(dtype).smallest_normal)
    arrays = []
    for name in spec.inputs:
        v = (rng.uniform(-1, 1, n) * tiny).astype(dtype)
        if name == "y":
            getattr(fastact, spec.activation)(v, out=v, **spec.params)
        arrays.append(v)
    return arrays


def time_call(call, n, restore=None, budget=0.1, min_repeats=3, max_repeats=50,
              max_block=1000):
    """Best ns/element of `call` over timed blocks of calls. `restore`
    (untimed) runs before each block, and the blocks are then one call long,
    or INPLACE_BLOCK calls below INPLACE_ONE_CALL_FROM elements (above);
    otherwise they last about 0.2 ms, at most max_block calls."""
    if restore:
        restore()
    t = time.perf_counter()
    call()                                  # warm-up
    single = max(time.perf_counter() - t, 1e-7)
    if restore:
        block = 1 if n >= INPLACE_ONE_CALL_FROM else INPLACE_BLOCK
    else:
        block = int(min(max_block, max(1, 2e-4 / single)))
    best = math.inf
    spent = 0.0
    reps = 0
    while reps < min_repeats or (spent < budget and reps < max_repeats):
        if restore:
            restore()
        t0 = time.perf_counter()
        for _ in range(block):
            call()
        dt = time.perf_counter() - t0
        spent += dt
        reps += 1
        best = min(best, dt / block)
    return best * 1e9 / n


class Timer:
    def __init__(self, quick, min_repeats=None):
        self.budget = 0.01 if quick else 0.1
        self.min_repeats = min_repeats or (2 if quick else 3)

    def measure(self, make, spec, pristine, mode):
        """ns/element of the callable `make` builds, or None if the peer has no
        version of this function."""
        arrays = [a.copy() for a in pristine]
        out = arrays[0] if mode == "inplace" else np.empty_like(arrays[0])
        call = make(spec, arrays, out)
        if call is None:
            return None
        if mode == "inplace":
            def restore():
                for a, p in zip(arrays, pristine):
                    np.copyto(a, p)
        else:
            restore = None
        return time_call(call, pristine[0].size, restore, self.budget, self.min_repeats)


# ---------------------------------------------------------------------------
# The runs

def add_arguments(parser):
    parser.add_argument("--quick", action="store_true",
                        help="forward and backward only, sizes 1e5 and 1e6 (the float16 "
                             "and bfloat16 table: 1e6), in place, "
                             "fewer repeats (about half a minute on 2 cores; the full "
                             "run takes several minutes)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="threads for fastact and for the peers that have threads "
                             "(torch, numexpr); default 1")
    parser.add_argument("--functions", metavar="NAMES",
                        help="comma-separated catalogue names (default: all)")
    parser.add_argument("--sizes", metavar="N,N", type=_parse_sizes,
                        help="comma-separated sizes (default 1e3,1e5,1e6,1e7), the "
                             "float16 and bfloat16 tables' too")
    parser.add_argument("--isa", default="current", metavar="TIERS",
                        help="fastact tiers to time: 'current' (default), 'all' or a "
                             "comma-separated list; each extra tier gets a column")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--plot", metavar="PATH",
                        help="also plot speedup vs size (needs matplotlib)")


def _progress(text):
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()


def _parse_sizes(text):
    """'1e3,100000' -> (1000, 100000); an argparse type, so a bad list is a
    usage error naming the option, not a traceback."""
    sizes = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not a number") from None
        if not (value >= 1 and value == int(value)):
            raise argparse.ArgumentTypeError(f"{item!r} is not a positive whole number")
        sizes.append(int(value))
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return tuple(sizes)


def _select_specs(args):
    """The catalogue specs and the softmax-trio names to time."""
    specs = list(SPECS)
    softmax_names = list(SOFTMAX_NAMES)
    if args.functions:
        names = [n.strip() for n in args.functions.split(",") if n.strip()]
        known = {s.name: s for s in SPECS}
        unknown = [n for n in names if n not in known and n not in SOFTMAX_NAMES]
        if unknown:
            raise SystemExit(f"bench: unknown function(s) {', '.join(unknown)}; "
                             f"known: {', '.join(list(known) + list(SOFTMAX_NAMES))}")
        specs = [known[n] for n in names if n in known]
        softmax_names = [n for n in SOFTMAX_NAMES if n in names]
    elif args.quick:
        specs = [s for s in specs if s.variant in QUICK_VARIANTS]
    return specs, softmax_names


def _select_tiers(option):
    available = kernels.available_isas()
    current = kernels.current_isa()
    if option in (None, "", "current"):
        return [current]
    if option == "all":
        return [current] + [t for t in reversed(available) if t != current]
    wanted = [t.strip() for t in option.split(",") if t.strip()]
    for t in wanted:
        if t not in available:
            raise SystemExit(f"bench: tier {t!r} is not available here "
                             f"(available: {', '.join(available)})")
    return wanted


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _set_threads(n, peer_list):
    """Give every peer with threads n of them; returns a function undoing it."""
    undo = []
    old = fastact.get_num_threads()
    fastact.set_num_threads(n)
    undo.append(lambda: fastact.set_num_threads(old))
    for p in peer_list:
        if not p.installed:
            continue
        if p.name == "torch":
            torch = _torch()
            old_t = torch.get_num_threads()
            torch.set_num_threads(n)
            undo.append(lambda: torch.set_num_threads(old_t))
        elif p.name == "numexpr":
            import numexpr
            old_ne = numexpr.set_num_threads(n)
            undo.append(lambda: numexpr.set_num_threads(old_ne))
    return lambda: [u() for u in reversed(undo)]


def bandwidth(dtype, n=BANDWIDTH_N, quick=False, inputs=1):
    """ns/element of the cheapest numpy pass with the traffic of an in-place
    kernel with `inputs` inputs: np.multiply(x, 1, out=x) for one (one read,
    one write per element), np.add(a, b, out=a) for two (two reads, one
    write): the floor for any such kernel on this machine. Timed as the
    kernels are in place (Timer.measure): every call on its inputs restored,
    untimed, from pristine copies, which leaves in the caches what the
    kernels find there (back to back, without the copies, np.add ran 0.28
    ns/element in float32 at 1e7, and 0.38 after them)."""
    pristine = [np.ones(n, dtype=dtype) for _ in range(inputs)]
    arrays = [p.copy() for p in pristine]
    a = arrays[0]
    if inputs == 1:
        call = lambda: np.multiply(a, 1, out=a)     # noqa: E731
    else:
        b = arrays[1]
        call = lambda: np.add(a, b, out=a)          # noqa: E731

    def restore():
        for array, p in zip(arrays, pristine):
            np.copyto(array, p)

    return time_call(call, n, restore, budget=0.1 if quick else 0.3,
                     min_repeats=5 if quick else 10)


def _call_timer(call_text, names, calls):
    """A function running `call_text` `calls` times, compiled from source so
    that every call measured, the references' included, is written the same
    way (the operands local names, the parameters literals): a call spelt
    `f(*arrays, **params)` builds a tuple and a dict first, which costs a
    1-element ufunc call about a sixth more."""
    source = (f"def timed({', '.join(names)}):\n"
              f"    for _ in range({calls}):\n"
              f"        {call_text}\n")
    namespace = {}
    exec(compile(source, "<call overhead>", "exec"), namespace)
    return namespace["timed"]


def call_overhead(specs, quick=False):
    """ns per call on a 1-element float64 array, in place (out= its first
    input), of np.negative, np.add (the two-input reference) and every
    function of `specs`; the parameterized ones twice, parameters left out
    (`name`) and passed by position at their defaults (`name(p, ...)`, as
    in `leaky_relu(x, 0.01, out=x)`).

    The calls are timed in rounds, each round timing a block of every call
    in turn, and each gets its best block: on a shared machine a load that
    comes and goes then hits every call alike, where timing each call to
    the end before the next one would give its share to whichever call it
    fell on."""
    calls = 500 if quick else 2000
    rounds = 15 if quick else 40
    x = np.zeros(1)
    g = np.zeros(1)
    timed = {"np.negative": (_call_timer("f(x, out=x)", ["f", "x"], calls), (np.negative, x)),
             "np.add": (_call_timer("f(g, x, out=g)", ["f", "g", "x"], calls), (np.add, g, x))}
    for spec in specs:
        arrays = make_inputs(spec, np.float64, 1)
        names = [f"a{i}" for i in range(len(arrays))]
        f = getattr(fastact, spec.name)
        call = f"f({', '.join(names)}, out=a0)"
        timed[spec.name] = (_call_timer(call, ["f", *names], calls), (f, *arrays))
        if spec.params:
            values = ", ".join(repr(v) for v in spec.params.values())
            call = f"f({', '.join(names)}, {values}, out=a0)"
            timed[f"{spec.name}({values})"] = (_call_timer(call, ["f", *names], calls),
                                               (f, *arrays))
    best = dict.fromkeys(timed, math.inf)
    for _ in range(rounds):
        for name, (run, operands) in timed.items():
            t0 = time.perf_counter()
            run(*operands)
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: t / calls * 1e9 for name, t in best.items()}


def run(args):
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("bench: --plot needs matplotlib, which is not installed "
                  "(pip install matplotlib)", file=sys.stderr)
            return 2
    if args.threads < 1:
        print("bench: --threads must be >= 1", file=sys.stderr)
        return 2
    specs, softmax_names = _select_specs(args)
    sizes = args.sizes if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    modes = QUICK_MODES if args.quick else MODES
    tiers = _select_tiers(args.isa)
    peer_list = peers()
    start_tier = kernels.current_isa()
    timer = Timer(args.quick)
    undo_threads = _set_threads(args.threads, peer_list)
    t_start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            results = _run_table(specs, sizes, modes, tiers, peer_list, timer)
            softmax_results = _run_softmax(softmax_names, args.quick, tiers, peer_list, timer)
            kernels._set_isa(tiers[0])
            bw = {d: bandwidth(d, quick=args.quick) for d in DTYPES}
            bw2 = {d: bandwidth(d, quick=args.quick, inputs=2) for d in DTYPES}
            # Bandwidth figures are noisy: always several repeats, even --quick.
            mem = _memory_bound(specs, results, bw, bw2, Timer(quick=False, min_repeats=5))
            overhead = call_overhead(specs, args.quick)
            kernels._set_isa(tiers[0])
            narrow = _run_narrow(specs, narrow_sizes(args.sizes, args.quick), timer)
    finally:
        kernels._set_isa(start_tier)
        undo_threads()
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K")
    took = time.perf_counter() - t_start

    report = {
        "fastact": fastact.__version__,
        "config": {**fastact.config(), "isa": tiers[0],
                   "subnormal_guards": kernels.subnormal_guards()},
        "tiers_timed": tiers,
        "threads": args.threads,
        "quick": bool(args.quick),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "numpy": np.__version__},
        "peers": {p.name: p.version for p in peer_list},
        "results": results,
        "softmax": softmax_results,
        "bandwidth_ns_per_element": bw,
        "bandwidth_two_inputs_ns_per_element": bw2,
        "memory_bound": mem,
        "call_overhead_ns": overhead,
        "narrow": narrow,
        "seconds": took,
    }
    print_report(report, peer_list)
    print_narrow(narrow)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"\nwrote {args.json}")
    if args.plot:
        plot(report, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _fastact_label(tier, tiers):
    return "fastact" if tier == tiers[0] else f"fastact[{tier}]"


def _run_table(specs, sizes, modes, tiers, peer_list, timer):
    results = []
    total = len(specs) * len(DTYPES) * len(sizes) * len(modes)
    k = 0
    for dtype in DTYPES:
        for spec in specs:
            for n in sizes:
                pristine = make_inputs(spec, dtype, n)
                subnormal = make_subnormal_inputs(spec, dtype, n)
                for mode in modes:
                    k += 1
                    _progress(f"[{k}/{total}] {spec.name} {dtype} n={n:.0e} {mode}")
                    ns = {}
                    for tier in tiers:
                        kernels._set_isa(tier)
                        ns[_fastact_label(tier, tiers)] = timer.measure(
                            _make_fastact, spec, pristine, mode)
                    kernels._set_isa(tiers[0])
                    for p in peer_list:
                        ns[p.name] = timer.measure(p.make, spec, pristine, mode) \
                            if p.installed else None
                    base = ns["fastact"]
                    subn = {"fastact": timer.measure(_make_fastact, spec, subnormal, mode),
                            "torch": timer.measure(_make_torch, spec, subnormal, mode)
                            if any(p.name == "torch" and p.installed for p in peer_list)
                            else None}
                    results.append({
                        "function": spec.name, "activation": spec.activation,
                        "variant": spec.variant, "dtype": dtype, "n": n, "mode": mode,
                        "ns_per_element": ns,
                        "speedup": {name: v / base for name, v in ns.items()
                                    if v is not None and name != "fastact"},
                        "subnormal_ns_per_element": subn,
                    })
                del pristine, subnormal
    return results


def _memory_bound(specs, results, bw, bw2, timer):
    """The memory-bound functions at BANDWIDTH_N in place against the bound
    of their traffic: numpy's in-place multiply for one input, its add of
    two arrays into the first for two."""
    rows = []
    for spec in specs:
        if spec.grain != "cheap":
            continue
        for dtype in DTYPES:
            found = [r for r in results if r["function"] == spec.name and r["dtype"] == dtype
                     and r["n"] == BANDWIDTH_N and r["mode"] == "inplace"]
            ns = timer.measure(_make_fastact, spec, make_inputs(spec, dtype, BANDWIDTH_N),
                               "inplace")
            if found:                       # the table's figure, if better
                ns = min(ns, found[0]["ns_per_element"]["fastact"])
            bound = bw[dtype] if len(spec.inputs) == 1 else bw2[dtype]
            rows.append({"function": spec.name, "dtype": dtype, "n": BANDWIDTH_N,
                         "ns_per_element": ns, "bound_ns_per_element": bound,
                         "ratio_to_bound": ns / bound})
    return rows


# ---------------------------------------------------------------------------
# Output

def _cell(ns, speedup, width):
    if ns is None:
        return "-".rjust(width)
    if speedup is None:
        return f"{ns:.3g}".rjust(width)
    return f"{ns:6.3g} x{speedup:<5.3g}".rjust(width)


def _subnormal_cells(row):
    """fastact's and torch's subnormal-input figures, each with its ratio to
    the same peer's normal-input figure."""
    cells = ""
    for peer, width in (("fastact", 12), ("torch", 13)):
        sub = row.get("subnormal_ns_per_element", {}).get(peer)
        normal = row["ns_per_element"].get(peer)
        cells += ("-" if sub is None or not normal
                  else f"{sub:6.3g} /{sub / normal:<4.2g}").rjust(width)
    return cells


def print_report(rep, peer_list):
    cfg = rep["config"]
    tiers = rep["tiers_timed"]
    print(f"fastact {rep['fastact']} bench · {rep['machine']['cpu']} · "
          f"{rep['machine']['cores']} cores")
    missing = [t for t in kernels.TIERS if t not in cfg["isas"]]
    print(f"tier {tiers[0]} (available: {', '.join(cfg['isas'])}"
          + (f"; not available here: {', '.join(missing)}" if missing else "")
          + f"; others timed with --isa all) · threads {rep['threads']} for fastact, torch "
          f"and numexpr · numpy {np.__version__}")
    print("peers: " + " · ".join(
        f"{p.name} {p.version}" if p.installed else f"{p.name} not installed"
        for p in peer_list if p.name not in ("numpy", "np-ufunc")))
    print("ns/element, best of repeats (lower is better); xK = fastact is K times faster "
          "than that peer; - = the peer has no such function")
    print("numpy = fastact.reference (in place: result copied back); np-ufunc = hand-written "
          "ufunc chain with out=")
    print("subnormal, torch subn = ns/element on subnormal inputs (/K = K times the "
          "normal-input figure); subnormal guards "
          + ("on" if cfg.get("subnormal_guards", True) else "off (this CPU's products "
             "take subnormals without an assist)"))
    labels = [_fastact_label(t, tiers) for t in tiers[1:]] + [p.name for p in peer_list]
    installed = {p.name: p.installed for p in peer_list}
    widths = {lab: max(15, len(lab) + 2) for lab in labels}
    for dtype in DTYPES:
        rows = [r for r in rep["results"] if r["dtype"] == dtype]
        if not rows:
            continue
        print()
        head = f"{dtype:20s} {'n':>5s} {'mode':7s} {'fastact':>8s} {'subnormal':>12s}" + \
            f"{'torch subn':>13s}" + "".join(f"{lab:>{widths[lab]}s}" for lab in labels)
        print(head)
        print("-" * len(head))
        last = None
        for r in rows:
            name = r["function"] if r["function"] != last else ""
            last = r["function"]
            line = f"{name:20s} {_size(r['n']):>5s} {r['mode']:7s} " \
                   f"{r['ns_per_element']['fastact']:8.3g} " + _subnormal_cells(r)
            for lab in labels:
                if lab in installed and not installed[lab]:
                    line += "not installed".rjust(widths[lab])
                else:
                    line += _cell(r["ns_per_element"].get(lab), r["speedup"].get(lab),
                                  widths[lab])
            print(line)
    print_softmax(rep)

    print()
    bw = rep["bandwidth_ns_per_element"]
    print("memory-bandwidth bound (in-place np.multiply(x, 1, out=x), n=1e7, one thread): " +
          ", ".join(f"{d} {bw[d]:.3g} ns/element = {2 * np.dtype(d).itemsize / bw[d]:.1f} GB/s"
                    for d in DTYPES))
    bw2 = rep["bandwidth_two_inputs_ns_per_element"]
    print("two-input bound (np.add(a, b, out=a), n=1e7, one thread): " +
          ", ".join(f"{d} {bw2[d]:.3g} ns/element" for d in DTYPES))
    if rep["memory_bound"]:
        print("memory-bound functions in place at n=1e7 (against the bound of as many "
              "inputs; 1.00 = at the bound):")
        for m in rep["memory_bound"]:
            print(f"  {m['function']:22s} {m['dtype']:8s} {m['ns_per_element']:7.3g} ns/element"
                  f"  bound {m['bound_ns_per_element']:.3g}  ratio {m['ratio_to_bound']:.2f}")
    print()
    oh = rep["call_overhead_ns"]
    ref = oh["np.negative"]
    print(f"call overhead, 1-element float64 array in place: np.negative(x, out=x) "
          f"{ref:.0f} ns/call, np.add(g, x, out=g) {oh['np.add']:.0f} ns/call "
          f"({oh['np.add'] / ref:.2f}x np.negative)")
    for name, v in oh.items():
        if name in ("np.negative", "np.add"):
            continue
        # the two-input functions beside np.add, which they cannot beat
        # (numpy's set-up of a second operand)
        spec = BY_NAME.get(name.split("(")[0])
        add = (f", {v / oh['np.add']:.2f}x np.add"
               if spec is not None and len(spec.inputs) == 2 else "")
        print(f"  {name:40s} {v:6.0f} ns/call  ({v / ref:.2f}x np.negative{add})")
    print(f"\n({rep['seconds']:.1f} s)")


def _size(n):
    e = math.log10(n)
    return f"1e{int(e)}" if e == int(e) else str(n)


def plot(rep, path):
    """Speedup of fastact over each peer against array size: one small panel
    per function (shared axes), one colour per peer (the same in every
    panel), solid float32 and dashed float64; in-place runs where the bench
    has them. The legend sits below the panels, never over data."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = rep["results"]
    peers = [p for p in dict.fromkeys(k for r in results for k in r["speedup"])]
    names = list(dict.fromkeys(r["function"] for r in results))
    mode = "inplace" if any(r["mode"] == "inplace" for r in results) else "out"
    dtypes = [d for d in DTYPES if any(r["dtype"] == d for r in results)]
    styles = {"float32": "-", "float64": "--"}
    palette = plt.get_cmap("tab10").colors
    colours = {peer: palette[i % len(palette)] for i, peer in enumerate(peers)}
    cols = min(4, len(names)) or 1
    rows = max(1, -(-len(names) // cols))
    fig, axes = plt.subplots(rows, cols, squeeze=False, sharex=True, sharey=True,
                             figsize=(3.2 * cols, 2.3 * rows + 1.2), layout="constrained")
    for ax, name in zip(axes.flat, names):
        for peer in peers:
            for dtype in dtypes:
                pts = sorted((r["n"], r["speedup"][peer]) for r in results
                             if r["function"] == name and r["dtype"] == dtype
                             and r["mode"] == mode and peer in r["speedup"])
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, styles.get(dtype, ":"), marker="o", ms=2.5, lw=1.2,
                            color=colours[peer])
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_title(name, fontsize=9, pad=2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for c in range(cols):
        # The lowest panel drawn in each column carries the size axis.
        lowest = [axes[r][c] for r in range(rows) if r * cols + c < len(names)][-1]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel("elements", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("speedup (x)", fontsize=8)
    handles = [plt.Line2D([], [], color=colours[p], lw=2, label=f"vs {p}") for p in peers]
    handles += [plt.Line2D([], [], color="black", ls=styles.get(d, ":"), label=d) for d in dtypes]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8,
               frameon=False)
    machine = rep.get("machine", {})
    fig.suptitle(f"fastact {rep['fastact']} speedup over each peer ({'in place' if mode == 'inplace' else 'out of place'}, "
                 f"tier {rep['tiers_timed'][0]}, {rep['threads']} thread(s)) on "
                 f"{machine.get('cpu', 'this machine')}, {machine.get('cores', '?')} CPUs; "
                 f"above 1: fastact faster", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------
# The softmax trio (not elementwise, so not in the catalogue): (rows, n)
# blocks of about SOFTMAX_TOTAL elements, along the last axis, in place.

SOFTMAX_NAMES = ("softmax", "log_softmax", "softmax_backward")
SOFTMAX_LENGTHS = (10, 1000, 100_000)
SOFTMAX_TOTAL = 10**6
QUICK_SOFTMAX_TOTAL = 10**5


class _RowSpec:
    """The part of a catalogue Spec that Timer.measure and the makers read."""

    def __init__(self, name):
        self.name = name
        self.inputs = ("grad_out", "y") if name == "softmax_backward" else ("x",)
        self.params = {}


def _t_softmax_backward(g, y, *, out):
    torch = _torch()
    return torch.ops.aten._softmax_backward_data.out(g, y, -1, g.dtype, grad_input=out)


TORCH_SOFTMAX = {
    "softmax": lambda x, *, out: _torch().softmax(x, -1, out=out),
    "log_softmax": lambda x, *, out: _torch().log_softmax(x, -1, out=out),
    "softmax_backward": _t_softmax_backward,
}


def _make_torch_softmax(spec, arrays, out):
    torch = _torch()
    tensors = [torch.from_numpy(a) for a in arrays]
    t_out = tensors[0] if out is arrays[0] else torch.from_numpy(out)
    f = TORCH_SOFTMAX[spec.name]
    return lambda: f(*tensors, out=t_out)


def softmax_inputs(name, dtype, n, total, seed=0):
    """(max(1, total // n), n) arrays: x normal times 3; grad_out normal and
    y = softmax of such an x."""
    rng = np.random.default_rng(seed)
    shape = (max(1, total // n), n)
    x = rng.standard_normal(shape, dtype=np.dtype(dtype).type) * 3
    if name != "softmax_backward":
        return [x]
    g = rng.standard_normal(shape, dtype=np.dtype(dtype).type)
    return [g, fastact.softmax(x)]


def _run_softmax(names, quick, tiers, peer_list, timer):
    """ns/element in place (out= the first input) for fastact at each tier,
    the numpy reference (result copied back) and torch."""
    total = QUICK_SOFTMAX_TOTAL if quick else SOFTMAX_TOTAL
    torch_ok = any(p.name == "torch" and p.installed for p in peer_list)
    results = []
    for dtype in DTYPES:
        for name in names:
            spec = _RowSpec(name)
            for n in SOFTMAX_LENGTHS:
                _progress(f"{name} {dtype} rows of {n}")
                pristine = softmax_inputs(name, dtype, n, total)
                ns = {}
                for tier in tiers:
                    kernels._set_isa(tier)
                    ns[_fastact_label(tier, tiers)] = timer.measure(
                        _make_fastact, spec, pristine, "inplace")
                kernels._set_isa(tiers[0])
                ns["numpy"] = timer.measure(_make_reference, spec, pristine, "inplace")
                ns["torch"] = (timer.measure(_make_torch_softmax, spec, pristine, "inplace")
                               if torch_ok else None)
                base = ns["fastact"]
                results.append({
                    "function": name, "dtype": dtype, "n": n,
                    "rows": pristine[0].shape[0], "mode": "inplace",
                    "ns_per_element": ns,
                    "speedup": {k: v / base for k, v in ns.items()
                                if v is not None and k != "fastact"},
                })
    return results


def print_softmax(rep):
    rows = rep.get("softmax") or []
    if not rows:
        return
    tiers = rep["tiers_timed"]
    labels = [_fastact_label(t, tiers) for t in tiers[1:]] + ["numpy", "torch"]
    widths = {lab: max(15, len(lab) + 2) for lab in labels}
    print()
    print("softmax trio along the last axis of (rows, n) blocks, in place (out= first "
          "input); numpy = fastact.reference; torch = torch.softmax / log_softmax / "
          "aten._softmax_backward_data with out=")
    for dtype in DTYPES:
        sel = [r for r in rows if r["dtype"] == dtype]
        if not sel:
            continue
        print()
        head = f"{dtype:20s} {'n':>6s} {'rows':>6s} {'fastact':>8s}" + "".join(
            f"{lab:>{widths[lab]}s}" for lab in labels)
        print(head)
        print("-" * len(head))
        last = None
        for r in sel:
            name = r["function"] if r["function"] != last else ""
            last = r["function"]
            line = f"{name:20s} {r['n']:>6d} {r['rows']:>6d} " \
                   f"{r['ns_per_element']['fastact']:8.3g}"
            for lab in labels:
                v = r["ns_per_element"].get(lab)
                if lab == "torch" and rep["peers"].get("torch") is None:
                    line += "not installed".rjust(widths[lab])
                else:
                    line += _cell(v, r["speedup"].get(lab), widths[lab])
            print(line)


# ---------------------------------------------------------------------------
# float16 and bfloat16: fastact's narrow loops against numpy's float16 chain
# (the ufuncs a numpy user writes, "np-ufunc"), the same chain on
# ml_dtypes.bfloat16 (ml_dtypes' own loops), and PyTorch's torch.float16 /
# torch.bfloat16 kernels, each function's forward; beside them fastact's
# float32 time, which the narrow loops should not exceed per element. --quick
# times the size the goals are stated at, NARROW_N; --sizes, or a full run's
# sizes, give one table per size.

NARROW_N = 1_000_000


def _narrow_inputs(spec, dtype, n):
    """make_inputs' float32 values, rounded to the narrow dtype."""
    return [a.astype(dtype) for a in make_inputs(spec, np.float32, n)]


def _make_torch_narrow(spec, arrays, out, torch_dtype):
    """PyTorch's kernel on tensors of torch_dtype holding the same values."""
    if "torch" not in spec.peers:
        return None
    torch = _torch()
    f = _peer_function(spec.name, "torch")
    tensors = [torch.from_numpy(a.astype(np.float32)).to(torch_dtype) for a in arrays]
    t_out = torch.empty_like(tensors[0])
    return lambda: f(*tensors, out=t_out, **spec.params)


def narrow_sizes(sizes, quick):
    """The sizes of the narrow table: --sizes when given, else the goal's
    size alone for --quick and the run's sizes for a full run."""
    if sizes:
        return list(sizes)
    return [NARROW_N] if quick else list(SIZES)


def _run_narrow(specs, sizes, timer):
    """{"dtypes": [...], "tables": [{"n": n, "results": {function: {column:
    ns/element}}}, ...]}, one table per size, one thread (the caller set the
    threads), the tier in use."""
    torch_installed = _version("torch") is not None
    dtypes = {"float16": np.dtype(np.float16)}
    if fastact.bfloat16 is not None:
        dtypes["bfloat16"] = fastact.bfloat16
    forwards = [s for s in specs if s.variant == "forward"]
    tables = []
    for n in sizes:
        rows = {}
        for i, spec in enumerate(forwards):
            _progress(f"narrow types n={n:,} {i + 1}/{len(forwards)}: {spec.name}")
            row = {}
            wide = make_inputs(spec, np.float32, n)
            row["fastact float32"] = timer.measure(_make_fastact, spec, wide, "out")
            for label, dtype in dtypes.items():
                arrays = _narrow_inputs(spec, dtype, n)
                row[f"fastact {label}"] = timer.measure(_make_fastact, spec, arrays, "out")
                # numpy's chain on the narrow type (float16: numpy's loops;
                # bfloat16: ml_dtypes'), where the catalogue has one
                chain = _make_from("np-ufunc")
                row[f"np-ufunc {label}"] = timer.measure(chain, spec, arrays, "out")
                if torch_installed:
                    torch = _torch()
                    torch_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[label]
                    row[f"torch {label}"] = timer.measure(
                        lambda s, a, o, td=torch_dtype: _make_torch_narrow(s, a, o, td),
                        spec, arrays, "out")
            rows[spec.name] = row
        tables.append({"n": n, "results": rows})
    return {"dtypes": list(dtypes), "tables": tables}


def print_narrow(rep):
    """The narrow-type tables, one per size: ns/element, fastact's float32
    time over its narrow time (above 1: the narrow loop is faster per
    element) and fastact's speed-up over each peer (peer time / fastact
    time on the same type)."""
    if not rep:
        return
    for table in rep["tables"]:
        if not table["results"]:
            continue
        print(f"\nfloat16 and bfloat16, n = {table['n']:,}, ns/element (f32/this: fastact's "
              "float32 time / its time on this type; xN: the peer's time / fastact's)")
        for label in rep["dtypes"]:
            print(f"\n  {label:<14} {'fastact':>9} {'f32/this':>9} {'torch':>15} "
                  f"{'np-ufunc':>16}")
            for name, row in table["results"].items():
                mine = row.get(f"fastact {label}")
                if mine is None:
                    continue
                cells = [f"{mine:9.3f}", f"{row['fastact float32'] / mine:8.2f}x"]
                for peer in ("torch", "np-ufunc"):
                    t = row.get(f"{peer} {label}")
                    cells.append(f"{t:8.3f} {t / mine:5.1f}x" if t else f"{'-':>15}")
                print(f"  {name:<14} " + " ".join(cells))