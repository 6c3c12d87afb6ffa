"""The catalogue of fastact's elementwise functions.

One entry per public function: what it computes from (its inputs and their
default parameters), which activation and variant it is, and its accuracy
bound. The bench, `python -m fastact check` and the tests iterate over it, so
a new function added here is benchmarked, checked and tested without further
lists to keep in step.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    name: str                 # public name: fastact.<name>, reference.<name>
    activation: str           # the activation it belongs to, e.g. "leaky_relu"
    variant: str              # "forward", "grad" or "backward"
    inputs: tuple             # array arguments, e.g. ("grad_out", "y")
    params: dict = field(default_factory=dict)   # keyword -> default
    ulp: float = 0.0          # max error vs the oracle in ulp; 0 means exact
    # Where the exact value is below 1 in magnitude, an absolute error of up
    # to abs_eps machine epsilons is accepted too (derivatives near their
    # zero crossings); 0 means the ulp bound applies everywhere.
    abs_eps: float = 0.0
    # Backward of sigmoid and tanh takes the forward *output* y; the others
    # take the input x. Forward/grad take x.


def _family(activation, ulp_forward, ulp_derivative, params=None, backward_input="x",
            abs_eps_derivative=0.0):
    params = dict(params or {})
    return [
        Spec(activation, activation, "forward", ("x",), params, ulp_forward),
        Spec(activation + "_grad", activation, "grad", ("x",), params, ulp_derivative,
             abs_eps_derivative),
        Spec(activation + "_backward", activation, "backward",
             ("grad_out", backward_input), params, ulp_derivative, abs_eps_derivative),
    ]


SPECS = [
    *_family("sigmoid", 2, 2, backward_input="y"),
    *_family("relu", 0, 0, backward_input="y"),
    *_family("leaky_relu", 0, 0, {"alpha": 0.01}),
    # The smooth activations: derivatives within 4 ulp, or 4 eps where |value| < 1
    *_family("tanh", 2, 4, backward_input="y", abs_eps_derivative=4),
    *_family("softsign", 2, 4, abs_eps_derivative=4),
    *_family("softplus", 2, 4, {"beta": 1.0, "threshold": 20.0}, abs_eps_derivative=4),
    *_family("log_sigmoid", 2, 4, abs_eps_derivative=4),
    *_family("silu", 4, 4, abs_eps_derivative=4),
    *_family("gelu_tanh", 4, 4, abs_eps_derivative=4),
    *_family("elu", 2, 4, {"alpha": 1.0}, abs_eps_derivative=4),
    *_family("selu", 2, 4, abs_eps_derivative=4),
    *_family("mish", 4, 4, abs_eps_derivative=4),
    # gelu, relu6 and the hard family. "Exact" for the hard family means:
    # equal to the correctly rounded result of their arithmetic (torch's order
    # of operations; the oracle repeats the roundings before the last).
    # Derivatives within 4 ulp, or 4 eps absolute where the true value is
    # below 1 in magnitude.
    *_family("gelu", 4, 4, abs_eps_derivative=4),
    *_family("relu6", 0, 0),
    *_family("hard_sigmoid", 0, 0),
    Spec("hard_swish", "hard_swish", "forward", ("x",), {}, 0),
    Spec("hard_swish_grad", "hard_swish", "grad", ("x",), {}, 4, 4),
    Spec("hard_swish_backward", "hard_swish", "backward", ("grad_out", "x"), {}, 4, 4),
]

BY_NAME = {spec.name: spec for spec in SPECS}


def activations():
    """Activation names in catalogue order, each once."""
    return list(dict.fromkeys(spec.activation for spec in SPECS))
