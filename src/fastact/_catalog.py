"""The catalogue: every function fastact computes, and every dtype it computes in.

This module is the single source of truth. At build time
`fastact/_generate.py` (loaded by path from setup.py: nothing here may import
the compiled package) writes from it the kernel table, the C API
declarations and trampolines, the contiguous loops, the ISA-tier modules and
the stubs; at import `fastact._ufuncs` builds one ufunc per entry and
`fastact` one Python function per parameterized entry; the bench,
`python -m fastact check` and the tests iterate over it. A function added
here is generated, benchmarked, checked and tested without further lists to
keep in step: see CONTRIBUTING.md for the recipe.

- `SPECS`: the elementwise functions (ufuncs), in catalogue order.
- `ROW_SPECS`: the softmax trio, which works on whole rows.
- `DTYPES`: the element types every kernel exists in.
- `BY_NAME`, `activations()`: look-ups over SPECS.
"""
import textwrap
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# Dtypes. Each kernel exists once per row here, as fa_<name>_<suffix>. The
# math is written once over Cython's fused `real` (float, double); a dtype
# whose storage differs from the type its math runs in (a 16-bit float
# computed in float32) names the conversions that the generated loops wrap
# around each element.


@dataclass(frozen=True)
class Dtype:
    suffix: str         # kernel names fa_<name>_<suffix>, table fields
    c_type: str         # element type of the C API's buffers, as C writes it
    param_type: str     # C type of the kernels' scalar parameters (alpha, ...)
    compute: str        # the `real` the math runs in: "float" or "double"
    numpy: str          # numpy dtype name
    npy_type: str       # numpy's type number, as cnp.<npy_type>
    # Conversions of one element, as a format of one expression: storage to
    # compute (`load`) and back (`store`). "{}" when they are the same type.
    load: str = "{}"
    store: str = "{}"
    # A narrow storage type (_narrow.pxd) whose loops convert a block of
    # elements at a time; "" for the types the math runs in directly.
    storage: str = ""


DTYPES = [
    Dtype("f32", "float", "float", "float", "float32", "NPY_FLOAT"),
    Dtype("f64", "double", "double", "double", "float64", "NPY_DOUBLE"),
    # The narrow types: uint16_t bits in the C API, float32 math, each result
    # the float32 kernel's rounded once to the type (nearest even). Their
    # loops widen and round a block at a time (_kernels_narrow.pxi), so they
    # name the Cython storage type those helpers specialize on instead of
    # per-element conversions. bfloat16 is ml_dtypes' (no numpy type number
    # of its own: its loops are registered at import when ml_dtypes is there).
    Dtype("f16", "uint16_t", "float", "float", "float16", "NPY_FLOAT16", storage="fa_f16"),
    Dtype("bf16", "uint16_t", "float", "float", "bfloat16", "", storage="fa_bf16"),
]

# ---------------------------------------------------------------------------
# Functions.

GRAINS = ("cheap", "exp")       # see _ufuncs.pyx: elements per thread
LOOPS = ("generated", "hand")   # who writes the contiguous loop k_<name>


@dataclass(frozen=True)
class Spec:
    name: str                 # public name: fastact.<name>, reference.<name>
    activation: str           # the activation it belongs to, e.g. "leaky_relu"
    variant: str              # "forward", "grad" or "backward"
    # Array arguments, e.g. ("grad_out", "y"). Backward of sigmoid, relu and
    # tanh takes the forward *output* y; the others take the input x.
    inputs: tuple
    params: dict = field(default_factory=dict)   # keyword -> default
    ulp: float = 0.0          # max error vs the oracle in ulp; 0 means exact
    # Where the exact value is below 1 in magnitude, an absolute error of up
    # to abs_eps machine epsilons is accepted too (derivatives near their
    # zero crossings); 0 means the ulp bound applies everywhere.
    abs_eps: float = 0.0
    # "cheap" (memory-bound: threads pay only on long runs) or "exp".
    grain: str = "exp"
    # Whether its generated loop, on an array above PREFETCH_FROM_BYTES (the
    # cheap grain: inputs together above PREFETCH_CHEAP_FROM_BYTES,
    # _kernels_bits.pxi), asks for its inputs' cache lines ahead
    # (_generate.py, _prefetching_loop):
    # every one but the loops of a compare and a select per element (the
    # relu, leaky_relu and relu6 families), which the hardware prefetcher
    # keeps at the bandwidth bound (relu_backward ran 0.90x at 1e7 with the
    # prefetches, relu6 float64 0.8x), and the light two-input backward
    # passes tanh_backward and softsign_backward, whose short chunks cost
    # more than the prefetches gave: 1.27-1.28x and 1.16x as fast without at
    # float64 1e6, 1.05-1.27x at 2e6, 1.03-1.08x at 1e7 (float32 and
    # float64, on an AMD Zen 5, the settings switched between bursts in one
    # process); tanh_backward with the guards on 1.14x / 1.09x at 1e6 / 1e7.
    # _family takes one flag for the three members or a tuple of three.
    prefetch: bool = True
    # "generated": the loop is `out[i] = <name>_1(inputs[i]..., params...)`
    # over the per-element function of the math files, written by
    # _generate.py. "hand": the math file defines the fused loop k_<name>
    # itself (leaky_relu picks a cheaper form for small alpha per call; the
    # softmax trio works on rows).
    loop: str = "generated"
    # Dtype suffix ("f32", "f64") -> the inputs to check, for the generated
    # loops with two per-element forms: <name>_1, right for every input, runs
    # on the blocks of SUBNORMAL_BLOCK elements in which any of those inputs
    # is subnormal, <name>_normal_1 on the others: the same bits there,
    # without the guards that keep subnormals out of products (microcode
    # assists) in <name>_1 (_generate.py, _split_loop).
    normal_form: dict = field(default_factory=dict)
    # The dtype suffixes whose <name>_normal_1 is right for every input, only
    # slower on subnormals (<name>_1 gives the same bits without assists):
    # their loop picks a block's form by the block before it, marking
    # subnormals as it reads them, instead of checking each block first
    # (_generate.py, _marked_split_loop).
    normal_form_everywhere: tuple = ()
    # What a block's checked inputs must not hold for <name>_normal_1 to run
    # on it: "subnormal", or "outside_div6" for a normal form that divides
    # by 6 with div6_fast, which at AVX-512 takes div6's products, wrong on
    # tiny values, inf and NaN (any_outside_div6, _kernels_bits.pxi): the
    # loop then checks each block ahead at that tier, and runs <name>_1 in
    # the other floating-point modes (_generate.py, _marked_split_loop).
    normal_form_check: str = "subnormal"
    # The dtype suffixes (of normal_form_everywhere) whose marked loop runs
    # <name>_normal_1 on every block, subnormals or not, and marks nothing, on
    # a CPU whose products take subnormal factors without a microcode assist
    # (kernels.pyx, cpu_products_without_assists: AMD Zen 5), where the guards
    # of <name>_1 cost more than they save. Measured there on subnormal x,
    # grad_out or both (uniform below the smallest normal, as the bench's),
    # 1e5 elements, the same bits: the normal forms listed, whose last product
    # is one FMA (mul_fused, _kernels_bits.pxi), ran at 1.0-1.4x their normal
    # time at AVX-512 where <name>_1 took 1.5-3.4x, and no slower than
    # <name>_1 at AVX2. Left out: those that ran slower than <name>_1 at one
    # tier (silu_backward and mish_backward, whose derivatives underflow on a
    # subnormal x; the forwards of silu, gelu, gelu_tanh and selu, mish_grad,
    # hard_sigmoid_backward) and those whose <name>_1 runs at the normal time
    # anyway. Measured again once the unguarded blocks stopped marking:
    # tanh_backward float64 and gelu_backward joined, 2.0x (gelu_backward
    # float32) faster than <name>_1 on subnormal inputs at AVX-512 or level
    # (0.95-1.11x: float64 tanh_backward, float64 gelu_backward on subnormal
    # x), 1.3-7x at AVX2, 1.00-1.08x on normal inputs. The VM showed two
    # behaviours on subnormals from process to process (PyTorch's selu took
    # 0.77 or 1.9 ns/element on subnormal float32 x): these figures held in
    # both, but selu's float32 forward ran 1.5x faster unguarded in one and
    # 0.6-0.73x as fast in the other, so it stays out. (leaky_relu_backward's
    # hand loop, _kernels_relu.pxi, does the same with a fused form of its
    # own. leaky_relu's forward loop keeps its guards: unmarked, fused or not,
    # it ran 0.76-0.92x as fast on normal float32 x at AVX-512.)
    normal_form_without_assists: tuple = ()
    # The number of values its per-element function hands from its first
    # part to its second, for the generated loops that run it in two passes
    # (0: one pass). The math file then defines <name>_parts(inputs...,
    # params..., real *p0, ...), which computes them, <name>_from_parts(
    # inputs..., params..., p0, ...), which finishes, and <name>_1 as the
    # two in a row; with a normal form (right everywhere: marked) also
    # <name>_normal_parts and <name>_normal_from_parts. The loop runs the
    # first part over a block of PASS_BLOCK elements into buffers on the
    # stack, then the second over the block (_generate.py, _two_pass_loop):
    # each pass's chain from load to store is about half the one-pass
    # loop's, so the out-of-order core overlaps more vectors
    # (_kernels_bits.pxi, PASS_BLOCK).
    parts: int = 0
    # "elementwise" (a ufunc, kernel over n elements) or "rows" (the
    # softmax trio: kernel over a C-ordered (rows, cols) block).
    kind: str = "elementwise"
    doc: str = ""             # what it computes, for the docstrings
    # Peers for the bench and the tests: name -> a Python expression over the
    # inputs, the parameters and `out` (see `peer_function`), or for
    # "numexpr" a numexpr expression. Peers: "torch" (namespace: torch,
    # aten = torch.ops.aten, scalar(value, dtype) a cached 0-d tensor),
    # "np-ufunc" (np: the quick, unstable chain a numpy user writes),
    # "scipy" (scipy), "numexpr".
    peers: dict = field(default_factory=dict)
    # `python -m fastact check --exhaustive` sweeps all 2**32 float32 inputs.
    exhaustive: bool = False
    # Other names accepted for parameters, e.g. PyTorch's: alias -> name.
    aliases: dict = field(default_factory=dict)

    @property
    def shape(self):
        """The kernel's C shape, a typedef of _table.pxd: 'unary', 'binary_p',
        'rows2', ..."""
        if self.kind == "rows":
            return "rows" if len(self.inputs) == 1 else "rows2"
        base = "unary" if len(self.inputs) == 1 else "binary"
        return base + ("_" + "p" * len(self.params) if self.params else "")

    @property
    def narrow_table(self):
        """Whether its float16 and bfloat16 loops look results up in a table of
        all 65,536 inputs (_kernels_narrow.pxi, "Tables"): one input and
        exp-based math (the cheap functions compute faster than a lookup). With
        parameters, the table is that of their defaults, used when a call
        passes those (softplus's beta = 1 and threshold = 20, elu's alpha = 1);
        other values compute."""
        return self.kind == "elementwise" and len(self.inputs) == 1 and self.grain == "exp"

    @property
    def narrow_derivative_table(self):
        """Whether its float16 and bfloat16 loops (a backward pass) take the
        derivative from a table of the float32 derivative of every input
        (_kernels_narrow.pxi, "Tables"): the backward passes of the exp-based
        functions that take x. Their math file defines
        <activation>_backward_of(grad_out, d), the backward pass from
        d = <activation>_grad_1(x), which <name>_1 is written as."""
        return (self.variant == "backward" and self.inputs == ("grad_out", "x")
                and self.grain == "exp")

    def kernel(self, dtype):
        """The C API name of the kernel for `dtype` (a Dtype or its suffix)."""
        return f"fa_{self.name}_{getattr(dtype, 'suffix', dtype)}"

    def docstring(self, ufunc=True):
        """The numpydoc docstring: for the ufunc (first line: the call, with
        the arguments in order) or, ufunc=False, for fastact's function over
        it (inspect gives that signature)."""
        return _docstring(self, ufunc)

    def peer_function(self, peer, namespace):
        """The peer's expression as a function taking the inputs positionally
        and the parameters and `out` as keywords; None if there is none."""
        expr = self.peers.get(peer)
        if expr is None:
            return None
        keywords = ", ".join(["out", *self.params])
        return eval(f"lambda {', '.join(self.inputs)}, *, {keywords}: {expr}", dict(namespace))


# normal_forms of both dtypes: the exp-based backward passes
# (_kernels_exp.pxi, "Normal forms") check grad_out; mish's derivative,
# which takes its value at the tiny bound below it (raise_tiny,
# _kernels_bits.pxi), checks x, and its backward pass both.
CHECK_GRAD_OUT = {"f32": ("grad_out",), "f64": ("grad_out",)}
CHECK_X = {"f32": ("x",), "f64": ("x",)}
CHECK_GRAD_OUT_AND_X = {"f32": ("grad_out", "x"), "f64": ("grad_out", "x")}


def _family(activation, ulp_forward, ulp_derivative, params=None, backward_input="x",
            abs_eps_derivative=0.0, grain="exp", docs=("", "", ""), torch=(None, None, None),
            np_ufunc=(None, None, None), numexpr=(None, None, None), scipy=(None, None, None),
            loops=("generated", "generated", "generated"), normal_forms=(None, None, None),
            normal_forms_everywhere=(), normal_form_check="subnormal", exhaustive=False,
            aliases=None, prefetch=True, parts=(0, 0, 0), without_assists=((), (), ())):
    """The forward, grad and backward entries of one activation. A backward
    pass that takes the forward output y is a product: memory-bound, cheap."""
    params = dict(params or {})
    aliases = dict(aliases or {})
    backward_grain = "cheap" if backward_input == "y" else grain
    # prefetch: one flag for the three members, or a tuple of three
    prefetches = tuple(prefetch) if isinstance(prefetch, tuple) else (prefetch,) * 3
    forms = [dict(f or {}) for f in normal_forms]
    # normal_forms_everywhere: dtype suffixes for the three members, or one
    # tuple of them per member (forward, grad, backward)
    if normal_forms_everywhere and isinstance(normal_forms_everywhere[0], tuple):
        everywhere = [tuple(e) for e in normal_forms_everywhere]
    else:
        everywhere = [tuple(normal_forms_everywhere)] * 3

    def peers(i):
        table = {"torch": torch[i], "np-ufunc": np_ufunc[i], "numexpr": numexpr[i],
                 "scipy": scipy[i]}
        return {k: v for k, v in table.items() if v is not None}

    return [
        Spec(activation, activation, "forward", ("x",), params, ulp_forward,
             grain=grain, loop=loops[0], prefetch=prefetches[0], normal_form=forms[0],
             normal_form_everywhere=everywhere[0], normal_form_check=normal_form_check,
             parts=parts[0], normal_form_without_assists=without_assists[0], doc=docs[0],
             peers=peers(0), exhaustive=exhaustive, aliases=aliases),
        Spec(activation + "_grad", activation, "grad", ("x",), params, ulp_derivative,
             abs_eps_derivative, grain=grain, loop=loops[1], prefetch=prefetches[1],
             normal_form=forms[1], normal_form_everywhere=everywhere[1],
             normal_form_check=normal_form_check, parts=parts[1],
             normal_form_without_assists=without_assists[1], doc=docs[1], peers=peers(1),
             exhaustive=exhaustive, aliases=aliases),
        Spec(activation + "_backward", activation, "backward",
             ("grad_out", backward_input), params, ulp_derivative, abs_eps_derivative,
             grain=backward_grain, loop=loops[2], prefetch=prefetches[2], normal_form=forms[2],
             normal_form_everywhere=everywhere[2], normal_form_check=normal_form_check,
             parts=parts[2], normal_form_without_assists=without_assists[2], doc=docs[2],
             peers=peers(2), exhaustive=exhaustive, aliases=aliases),
    ]


_NP_SIGMOID = ("np.negative(x, out=out), np.exp(out, out=out), np.add(out, 1, out=out), "
               "np.reciprocal(out, out=out)")

SPECS = [
    *_family(
        "sigmoid", 2, 2, backward_input="y", exhaustive=True, parts=(2, 2, 0),
        normal_forms=(None, None, {"f32": ("grad_out", "y"), "f64": ("grad_out", "y")}),
        normal_forms_everywhere=("f32", "f64"),
        without_assists=((), (), ("f32", "f64")),
        docs=("Logistic sigmoid 1 / (1 + exp(-x)), elementwise; stable for all x.",
              "Derivative of the sigmoid, s(x) (1 - s(x)), accurate in the tails\n"
              "(sigmoid_grad(40.0) is 4.25e-18, not 0).",
              "Backward pass of the sigmoid: grad_out * y * (1 - y), where y is the\n"
              "forward output sigmoid(x)."),
        torch=("torch.sigmoid(x, out=out)",
               # s - s*s
               "(torch.sigmoid(x, out=out), torch.addcmul(out, out, out, value=-1, out=out))[-1]",
               "aten.sigmoid_backward.grad_input(grad_out, y, grad_input=out)"),
        np_ufunc=(f"({_NP_SIGMOID})[-1]",
                  f"({_NP_SIGMOID}, np.subtract(out, out * out, out=out))[-1]",
                  "np.multiply(grad_out, y * (1 - y), out=out)"),
        numexpr=("1 / (1 + exp(-x))", None, "grad_out * y * (1 - y)"),
        scipy=("scipy.special.expit(x, out=out)", None, None)),
    *_family(
        "relu", 0, 0, backward_input="y", grain="cheap", prefetch=False,
        docs=("max(x, 0) elementwise (relu(-0.0) is +0.0, NaN stays NaN); exact.",
              "Derivative of relu: 1 where x > 0, else 0 (0 at x = 0); NaN stays NaN.",
              "Backward pass of relu: grad_out where y > 0, else 0. y may be relu's\n"
              "input or its output."),
        torch=("torch.clamp_min(x, 0, out=out)",   # aten::relu is clamp_min
               "torch.heaviside(x, scalar(0.0, x.dtype), out=out)",
               "aten.threshold_backward.grad_input(grad_out, y, 0, grad_input=out)"),
        np_ufunc=("np.maximum(x, 0, out=out)", "np.greater(x, 0, out=out)",
                  "np.multiply(grad_out, y > 0, out=out)"),
        numexpr=("where(x > 0, x, 0)", None, "where(y > 0, grad_out, 0)")),
    *_family(
        "leaky_relu", 0, 0, {"alpha": 0.01}, grain="cheap", aliases={"negative_slope": "alpha"},
        prefetch=False,
        loops=("hand", "generated", "hand"),
        docs=("x where x > 0, else alpha * x (alpha broadcasts against x).",
              "Derivative of leaky_relu: 1 where x > 0, else alpha (alpha at x = 0).",
              "Backward pass of leaky_relu: grad_out where x > 0, else alpha * grad_out."),
        torch=("aten.leaky_relu.out(x, alpha, out=out)",
               "torch.where(x > 0, scalar(1.0, x.dtype), scalar(float(alpha), x.dtype), out=out)",
               "aten.leaky_relu_backward.grad_input(grad_out, x, alpha, False, grad_input=out)"),
        np_ufunc=("np.maximum(x, x * alpha, out=out)",
                  "np.copyto(out, np.where(x > 0, x.dtype.type(1), x.dtype.type(alpha)))",
                  "np.copyto(out, np.where(x > 0, grad_out, grad_out * x.dtype.type(alpha)))"),
        numexpr=("where(x > 0, x, alpha * x)", None, "where(x > 0, grad_out, alpha * grad_out)")),
    # Derivatives within 4 ulp, or 4 eps where |value| < 1.
    *_family(
        "tanh", 2, 4, backward_input="y", abs_eps_derivative=4,
        normal_forms=(None, None, {"f32": ("grad_out",), "f64": ("grad_out",)}),
        normal_forms_everywhere=((), (), ("f32", "f64")), without_assists=((), (), ("f32", "f64")),
        docs=("Hyperbolic tangent, elementwise; within 2 ulp.",
              "Derivative of tanh, 1 - tanh(x)^2, accurate in the tails.",
              "Backward pass of tanh: grad_out * (1 - y^2), where y is the\n"
              "forward output tanh(x)."),
        torch=("torch.tanh(x, out=out)", None,
               "aten.tanh_backward.grad_input(grad_out, y, grad_input=out)"),
        loops=("hand", "generated", "generated"), prefetch=(True, True, False)),
    *_family(
        "softsign", 2, 4, abs_eps_derivative=4, grain="cheap",
        normal_forms=({"f64": ("x",)}, None, None), normal_forms_everywhere=(("f64",), (), ()),
        docs=("x / (1 + |x|), elementwise.",
              "Derivative of softsign, 1 / (1 + |x|)^2.",
              "Backward pass of softsign: grad_out / (1 + |x|)^2."),
        prefetch=(True, True, False)),
    *_family(
        "softplus", 2, 4, {"beta": 1.0, "threshold": 20.0}, abs_eps_derivative=4,
        normal_forms=(None, None, CHECK_GRAD_OUT), normal_forms_everywhere=("f32", "f64"),
        parts=(2, 0, 0), without_assists=((), (), ("f32", "f64")),
        docs=("log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold\n"
              "(torch.nn.functional.softplus). beta and threshold broadcast against x.",
              "Derivative of softplus: sigmoid(beta * x), 1 where beta * x > threshold.",
              "Backward pass of softplus: grad_out * softplus_grad(x, beta, threshold)."),
        torch=("aten.softplus.out(x, beta, threshold, out=out)", None,
               "aten.softplus_backward.grad_input(grad_out, x, beta, threshold, grad_input=out)")),
    *_family(
        "log_sigmoid", 2, 4, abs_eps_derivative=4,
        normal_forms=(None, None, CHECK_GRAD_OUT), normal_forms_everywhere=("f32", "f64"),
        parts=(2, 0, 0), without_assists=((), (), ("f32", "f64")),
        docs=("log(sigmoid(x)) = -softplus(-x), stable for all x (log_sigmoid(-800.0)\n"
              "is -800.0).",
              "Derivative of log_sigmoid: sigmoid(-x).",
              "Backward pass of log_sigmoid: grad_out * sigmoid(-x).")),
    *_family(
        "silu", 4, 4, abs_eps_derivative=4,
        normal_forms=({"f32": ("x",), "f64": ("x",)}, None, CHECK_GRAD_OUT),
        normal_forms_everywhere=("f32", "f64"),
        parts=(0, 1, 1),
        docs=("x * sigmoid(x) (swish), elementwise.",
              "Derivative of silu: s (1 + x (1 - s)), s = sigmoid(x).",
              "Backward pass of silu: grad_out * silu_grad(x)."),
        torch=("aten.silu.out(x, out=out)", None,
               "aten.silu_backward.grad_input(grad_out, x, grad_input=out)")),
    *_family(
        "gelu_tanh", 4, 4, abs_eps_derivative=4,
        normal_forms=({"f64": ("x",)}, None, CHECK_GRAD_OUT_AND_X),
        normal_forms_everywhere=("f32", "f64"),
        parts=(4, 2, 2), without_assists=((), (), ("f32", "f64")),
        docs=("The tanh approximation of GELU, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),\n"
              "as torch.nn.functional.gelu(x, approximate='tanh'); accurate in the lower tail.",
              "Derivative of gelu_tanh.",
              "Backward pass of gelu_tanh: grad_out * gelu_tanh_grad(x)."),
        torch=("aten.gelu.out(x, approximate='tanh', out=out)", None,
               "aten.gelu_backward.grad_input(grad_out, x, approximate='tanh', grad_input=out)")),
    *_family(
        "elu", 2, 4, {"alpha": 1.0}, abs_eps_derivative=4,
        normal_forms=(None, None, CHECK_GRAD_OUT), normal_forms_everywhere=("f32", "f64"),
        without_assists=((), (), ("f32", "f64")),
        docs=("x where x > 0, else alpha * (exp(x) - 1) (torch.nn.functional.elu).",
              "Derivative of elu: 1 where x > 0, else alpha * exp(x).",
              "Backward pass of elu: grad_out where x > 0, else grad_out * alpha * exp(x)."),
        torch=("aten.elu.out(x, alpha, 1, 1, out=out)", None,
               "aten.elu_backward.grad_input(grad_out, alpha, 1, 1, False, x, grad_input=out)")),
    *_family(
        "selu", 2, 4, abs_eps_derivative=4, normal_forms=(CHECK_X, None, CHECK_GRAD_OUT_AND_X),
        normal_forms_everywhere=("f32", "f64"), without_assists=((), (), ("f32", "f64")),
        docs=("scale * (x where x > 0, else alpha (exp(x) - 1)) with PyTorch's\n"
              "scale = 1.0507009873554805 and alpha = 1.6732632423543772.",
              "Derivative of selu: scale where x > 0, else scale alpha exp(x).",
              "Backward pass of selu: grad_out * selu_grad(x)."),
        torch=("aten.elu.out(x, 1.6732632423543772, 1.0507009873554805, 1, out=out)", None, None)),
    *_family(
        "mish", 4, 4, abs_eps_derivative=4,
        normal_forms=(CHECK_X, CHECK_X, CHECK_GRAD_OUT_AND_X),
        # mish_normal_1 rounds x w twice where the result is subnormal: checked
        normal_forms_everywhere=((), ("f32", "f64"), ("f32", "f64")), parts=(0, 1, 1),
        docs=("x * tanh(softplus(x)), elementwise.",
              "Derivative of mish.",
              "Backward pass of mish: grad_out * mish_grad(x)."),
        torch=("aten.mish.out(x, out=out)", None, None)),
    # "Exact" for the hard functions means: equal to the correctly rounded
    # result of their arithmetic (torch's order of operations; the oracle
    # repeats the roundings before the last). Derivatives within 4 ulp, or
    # 4 eps absolute where the true value is below 1 in magnitude.
    *_family(
        "gelu", 4, 4, abs_eps_derivative=4,
        normal_forms=({"f64": ("x",)}, None, CHECK_GRAD_OUT_AND_X),
        normal_forms_everywhere=("f32", "f64"), without_assists=((), (), ("f32", "f64")),
        docs=("x * Phi(x) elementwise, Phi the standard normal CDF (exact F.gelu, the\n"
              "erf form); within 4 ulp, tails included.",
              "Derivative of gelu: Phi(x) + x phi(x); gelu_grad(-inf) = 0, gelu_grad(inf) = 1.",
              "Backward pass of gelu: grad_out * gelu_grad(x); x is the input."),
        torch=("aten.gelu.out(x, approximate='none', out=out)", None,
               "aten.gelu_backward.grad_input(grad_out, x, approximate='none', grad_input=out)")),
    *_family(
        "relu6", 0, 0, grain="cheap", prefetch=False,
        docs=("min(max(x, 0), 6) elementwise (F.relu6); exact. NaN stays NaN.",
              "Derivative of relu6: 1 where 0 < x < 6, else 0 (0 at both kinks, as torch).",
              "Backward pass of relu6: grad_out where 0 < x < 6, else 0; x is the input."),
        torch=("aten.hardtanh.out(x, 0.0, 6.0, out=out)", None,
               "aten.hardtanh_backward.grad_input(grad_out, x, 0.0, 6.0, grad_input=out)")),
    *_family(
        "hard_sigmoid", 0, 0, grain="cheap", normal_forms=(None, None, CHECK_GRAD_OUT),
        normal_forms_everywhere=("f32", "f64"), normal_form_check="outside_div6",
        docs=("relu6(x + 3) / 6 elementwise (F.hardsigmoid), torch's arithmetic:\n"
              "fl(fl(x + 3) / 6).",
              "Derivative of hard_sigmoid: 1/6 where -3 < x < 3, else 0 (as torch).",
              "Backward pass of hard_sigmoid: grad_out / 6 where -3 < x < 3, else 0;\n"
              "x is the input."),
        torch=("aten.hardsigmoid.out(x, out=out)", None,
               "aten.hardsigmoid_backward.grad_input(grad_out, x, grad_input=out)")),
    *_family(
        "hard_swish", 0, 4, abs_eps_derivative=4, grain="cheap",
        normal_forms=(CHECK_X, CHECK_X, CHECK_GRAD_OUT_AND_X),
        normal_forms_everywhere=("f32", "f64"),
        without_assists=(("f32", "f64"), ("f32", "f64"), ("f32", "f64")),
        docs=("x * relu6(x + 3) / 6 elementwise (F.hardswish): exactly x for x >= 3,\n"
              "-0.0 for x <= -3 (also at -inf, where torch gives NaN).",
              "Derivative of hard_swish: 0 for x <= -3, (2x + 3)/6 for -3 < x < 3,\n"
              "1 for x >= 3 (torch's choices at the kinks).",
              "Backward pass of hard_swish: grad_out * hard_swish_grad(x); x is the input."),
        torch=("aten.hardswish.out(x, out=out)", None, None)),
]

# The softmax trio: along the last axis of a C-ordered (rows, cols) block
# (fastact._softmax brings any array and axis to that). Within 4 ulp;
# softmax_backward, y (g - <g, y>), cancels: 4 eps absolute where the exact
# value is below 1 in magnitude.
ROW_SPECS = [
    Spec("softmax", "softmax", "forward", ("x",), {}, 4, kind="rows", loop="hand",
         doc="exp(x - max) / sum(exp(x - max)) along an axis."),
    Spec("log_softmax", "log_softmax", "forward", ("x",), {}, 4, kind="rows", loop="hand",
         doc="x - max - log(sum(exp(x - max))) along an axis."),
    Spec("softmax_backward", "softmax", "backward", ("grad_out", "y"), {}, 4, 4,
         kind="rows", loop="hand",
         doc="Backward pass of softmax: y * (grad_out - sum(grad_out * y)) along an axis."),
]

# ---------------------------------------------------------------------------
# Docstring material beyond each entry's `doc`: the range of each activation,
# what its parameters mean, and the examples' results (x = [-2, 0, 2],
# grad_out = 1; they run as doctests, so they check the kernels).

RANGES = {
    "sigmoid": "(0, 1)", "relu": "[0, inf)", "leaky_relu": "(-inf, inf) for alpha > 0",
    "tanh": "(-1, 1)", "softsign": "(-1, 1)", "softplus": "(0, inf)",
    "log_sigmoid": "(-inf, 0)", "silu": "[-0.2785, inf)", "gelu_tanh": "[-0.1700, inf)",
    "elu": "(-alpha, inf)", "selu": "(-1.7581, inf)", "mish": "[-0.3088, inf)",
    "gelu": "[-0.1700, inf)", "relu6": "[0, 6]", "hard_sigmoid": "[0, 1]",
    "hard_swish": "[-0.375, inf)",
}

PARAM_DOCS = {
    ("leaky_relu", "alpha"): "Slope for x <= 0 (PyTorch's negative_slope, also accepted "
                             "under that name).",
    ("elu", "alpha"): "Scale of the negative branch: the limit at -inf is -alpha.",
    ("softplus", "beta"): "Sharpness: the result is log(1 + exp(beta x)) / beta.",
    ("softplus", "threshold"): "Where beta * x > threshold the result is x itself.",
}

INPUT_DOCS = {
    "x": "Input of {activation}.",
    "y": "Output of the forward pass, {activation}(x).",
    "grad_out": "Gradient of the loss with respect to {activation}'s output.",
}

EXAMPLES = {
    'sigmoid': 'array([0.11920292, 0.5       , 0.88079708])',
    'sigmoid_grad': 'array([0.10499359, 0.25      , 0.10499359])',
    'sigmoid_backward': 'array([0.10499359, 0.25      , 0.10499359])',
    'relu': 'array([0., 0., 2.])',
    'relu_grad': 'array([0., 0., 1.])',
    'relu_backward': 'array([0., 0., 1.])',
    'leaky_relu': 'array([-0.02,  0.  ,  2.  ])',
    'leaky_relu_grad': 'array([0.01, 0.01, 1.  ])',
    'leaky_relu_backward': 'array([0.01, 0.01, 1.  ])',
    'tanh': 'array([-0.96402758,  0.        ,  0.96402758])',
    'tanh_grad': 'array([0.07065082, 1.        , 0.07065082])',
    'tanh_backward': 'array([0.07065082, 1.        , 0.07065082])',
    'softsign': 'array([-0.66666667,  0.        ,  0.66666667])',
    'softsign_grad': 'array([0.11111111, 1.        , 0.11111111])',
    'softsign_backward': 'array([0.11111111, 1.        , 0.11111111])',
    'softplus': 'array([0.12692801, 0.69314718, 2.12692801])',
    'softplus_grad': 'array([0.11920292, 0.5       , 0.88079708])',
    'softplus_backward': 'array([0.11920292, 0.5       , 0.88079708])',
    'log_sigmoid': 'array([-2.12692801, -0.69314718, -0.12692801])',
    'log_sigmoid_grad': 'array([0.88079708, 0.5       , 0.11920292])',
    'log_sigmoid_backward': 'array([0.88079708, 0.5       , 0.11920292])',
    'silu': 'array([-0.23840584,  0.        ,  1.76159416])',
    'silu_grad': 'array([-0.09078425,  0.5       ,  1.09078425])',
    'silu_backward': 'array([-0.09078425,  0.5       ,  1.09078425])',
    'gelu_tanh': 'array([-0.04540231,  0.        ,  1.95459769])',
    'gelu_tanh_grad': 'array([-0.08609926,  0.5       ,  1.08609926])',
    'gelu_tanh_backward': 'array([-0.08609926,  0.5       ,  1.08609926])',
    'elu': 'array([-0.86466472,  0.        ,  2.        ])',
    'elu_grad': 'array([0.13533528, 1.        , 1.        ])',
    'elu_backward': 'array([0.13533528, 1.        , 1.        ])',
    'selu': 'array([-1.52016647,  0.        ,  2.10140197])',
    'selu_grad': 'array([0.23793287, 1.75809934, 1.05070099])',
    'selu_backward': 'array([0.23793287, 1.75809934, 1.05070099])',
    'mish': 'array([-0.25250148,  0.        ,  1.94395896])',
    'mish_grad': 'array([-0.10835509,  0.6       ,  1.06931793])',
    'mish_backward': 'array([-0.10835509,  0.6       ,  1.06931793])',
    'gelu': 'array([-0.04550026,  0.        ,  1.95449974])',
    'gelu_grad': 'array([-0.0852318,  0.5      ,  1.0852318])',
    'gelu_backward': 'array([-0.0852318,  0.5      ,  1.0852318])',
    'relu6': 'array([0., 0., 2.])',
    'relu6_grad': 'array([0., 0., 1.])',
    'relu6_backward': 'array([0., 0., 1.])',
    'hard_sigmoid': 'array([0.16666667, 0.5       , 0.83333333])',
    'hard_sigmoid_grad': 'array([0.16666667, 0.16666667, 0.16666667])',
    'hard_sigmoid_backward': 'array([0.16666667, 0.16666667, 0.16666667])',
    'hard_swish': 'array([-0.33333333,  0.        ,  1.66666667])',
    'hard_swish_grad': 'array([-0.16666667,  0.5       ,  1.16666667])',
    'hard_swish_backward': 'array([-0.16666667,  0.5       ,  1.16666667])',
}


_ROLE = {"forward": "The activation", "grad": "Its derivative",
         "backward": "Its backward pass, the derivative times grad_out"}


def _indented(text):
    return textwrap.wrap(text, 75, initial_indent="    ", subsequent_indent="    ")


def _accuracy(spec):
    if spec.ulp == 0:
        text = ("Exact: the correctly rounded result of the function's arithmetic, "
                "sign of zero included")
    else:
        text = f"Within {spec.ulp:g} ulp of the exact result"
        if spec.abs_eps:
            text += (f", or {spec.abs_eps:g} machine epsilons absolute where the exact "
                     "value is below 1 in magnitude")
    return (text + ", in float32 and float64 at every ISA tier, for every input "
            "(`python -m fastact check` measures it against a high-precision oracle).")


def _docstring(spec, ufunc):
    act = spec.activation
    lines = []
    if ufunc:
        args = ", ".join([*spec.inputs, *spec.params])
        lines += [f"{spec.name}({args}, /, out=None, *, where=True, casting='same_kind', "
                  "order='K', dtype=None)", ""]
    lines += textwrap.wrap(" ".join(spec.doc.split()), 75) + [""]
    lines += ["Parameters", "----------"]
    for name in spec.inputs:
        lines += [f"{name} : array_like", *_indented(INPUT_DOCS[name].format(activation=act))]
    for name, default in spec.params.items():
        lines += [f"{name} : array_like" + ("" if ufunc else f", default {default!r}"),
                  *_indented(PARAM_DOCS.get((act, name), name) + " Broadcasts against the "
                             "arrays; cast to their dtype.")]
    lines += ["out : ndarray, optional",
              "    Where to put the result; ``out=x`` computes in place.",
              "**kwargs",
              *_indented("The ufunc's other keywords: ``where``, ``casting``, ``order``, "
                         "``dtype``, ``subok``."), ""]
    lines += ["Returns", "-------", "ndarray or scalar",
              *_indented("The result, float32 or float64 as numpy's casting picks (float16 "
                         "and small integers compute in float32); a scalar for scalar "
                         "inputs."), ""]
    variants = [f"{act}", f"{act}_grad", f"{act}_backward"]
    others = [n for n in variants if n != spec.name and n in BY_NAME]
    lines += ["See Also", "--------"]
    lines += [f"{n} : {_ROLE[BY_NAME[n].variant]}." for n in others]
    lines += [f"fastact.reference.{spec.name} : The numpy twin.", ""]
    lines += ["Notes", "-----"]
    if spec.variant == "forward" and act in RANGES:
        lines += textwrap.wrap(f"Range: {RANGES[act]}. Derivative: ``{act}_grad``; "
                               f"``{act}_backward`` multiplies it by the incoming gradient.",
                               75) + [""]
    elif spec.variant == "backward":
        lines += textwrap.wrap(f"Argument order: grad_out first, then {spec.inputs[1]} "
                               "(scikit-learn's derivatives take them the other way "
                               "round).", 75) + [""]
    lines += textwrap.wrap(_accuracy(spec), 75) + [""]
    if spec.name in EXAMPLES:
        lines += ["Examples", "--------", ">>> import numpy as np", ">>> import fastact",
                  ">>> x = np.array([-2.0, 0.0, 2.0])"]
        call = f"fastact.{spec.name}(x)"
        if spec.variant == "backward":
            second = spec.inputs[1]
            if second == "y":
                lines += [f">>> y = fastact.{act}(x)"]
            call = f"fastact.{spec.name}(np.ones(3), {second})"
        lines += [f">>> {call}", EXAMPLES[spec.name]]
    return "\n".join(lines).rstrip() + "\n"


BY_NAME = {spec.name: spec for spec in SPECS}

#: Every kernel of the C API, elementwise then rows.
KERNEL_SPECS = SPECS + ROW_SPECS


def activations():
    """Activation names in catalogue order, each once."""
    return list(dict.fromkeys(spec.activation for spec in SPECS))


def _check():
    names = [s.name for s in KERNEL_SPECS]
    assert len(set(names)) == len(names), "a name is catalogued twice"
    for s in KERNEL_SPECS:
        assert s.grain in GRAINS and s.loop in LOOPS, s.name
        assert s.kind == "elementwise" or s.loop == "hand", s.name


_check()
