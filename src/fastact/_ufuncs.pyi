# Stub for the compiled module fastact._ufuncs (src/fastact/_ufuncs.pyx).
# Every elementwise function is a numpy ufunc; add one line per new ufunc
# (tests/test_typing.py runs mypy's stubtest and names any that is missing).
import numpy as np

openmp: bool

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def _pool_started() -> bool: ...
def _rows(op: int, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None: ...

sigmoid: np.ufunc
sigmoid_grad: np.ufunc
sigmoid_backward: np.ufunc
relu: np.ufunc
relu_grad: np.ufunc
relu_backward: np.ufunc
leaky_relu: np.ufunc
leaky_relu_grad: np.ufunc
leaky_relu_backward: np.ufunc
tanh: np.ufunc
tanh_grad: np.ufunc
tanh_backward: np.ufunc
softsign: np.ufunc
softsign_grad: np.ufunc
softsign_backward: np.ufunc
softplus: np.ufunc
softplus_grad: np.ufunc
softplus_backward: np.ufunc
log_sigmoid: np.ufunc
log_sigmoid_grad: np.ufunc
log_sigmoid_backward: np.ufunc
silu: np.ufunc
silu_grad: np.ufunc
silu_backward: np.ufunc
gelu_tanh: np.ufunc
gelu_tanh_grad: np.ufunc
gelu_tanh_backward: np.ufunc
elu: np.ufunc
elu_grad: np.ufunc
elu_backward: np.ufunc
selu: np.ufunc
selu_grad: np.ufunc
selu_backward: np.ufunc
mish: np.ufunc
mish_grad: np.ufunc
mish_backward: np.ufunc
gelu: np.ufunc
gelu_grad: np.ufunc
gelu_backward: np.ufunc
relu6: np.ufunc
relu6_grad: np.ufunc
relu6_backward: np.ufunc
hard_sigmoid: np.ufunc
hard_sigmoid_grad: np.ufunc
hard_sigmoid_backward: np.ufunc
hard_swish: np.ufunc
hard_swish_grad: np.ufunc
hard_swish_backward: np.ufunc

__test__: dict[str, str]   # Cython's doctest table, empty

# Twins of the parameterized ufuncs with the parameters at their defaults.
leaky_relu_defaults: np.ufunc
leaky_relu_grad_defaults: np.ufunc
leaky_relu_backward_defaults: np.ufunc
elu_defaults: np.ufunc
elu_grad_defaults: np.ufunc
elu_backward_defaults: np.ufunc
softplus_defaults: np.ufunc
softplus_grad_defaults: np.ufunc
softplus_backward_defaults: np.ufunc
