"""The functions under test, from fastact's catalogue, with what the tests
need to call any of them the same way in fastact and in fastact.reference."""
from dataclasses import dataclass

import fastact
from fastact import reference
from fastact._catalog import SPECS


@dataclass(frozen=True)
class Function:
    name: str
    n_arrays: int       # array operands: 1 (forward, grad) or 2 (backward)
    has_alpha: bool     # takes an alpha parameter (leaky_relu family)
    exact: bool         # exact (ReLU family) or within an ULP bound (sigmoid family)
    has_params: bool    # takes any parameter: a Python wrapper over a ufunc

    def call(self, impl, *arrays, alpha=0.01, **kwargs):
        """Call this function of `impl` (fastact or fastact.reference)."""
        assert len(arrays) == self.n_arrays
        if self.has_alpha:
            kwargs["alpha"] = alpha
        return getattr(impl, self.name)(*arrays, **kwargs)

    def fast(self, *arrays, alpha=0.01, **kwargs):
        return self.call(fastact, *arrays, alpha=alpha, **kwargs)

    def ref(self, *arrays, alpha=0.01):
        return self.call(reference, *arrays, alpha=alpha)

    def __str__(self):
        return self.name


FUNCTIONS = [Function(s.name, len(s.inputs), "alpha" in s.params, s.ulp == 0, bool(s.params))
             for s in SPECS]
BY_NAME = {f.name: f for f in FUNCTIONS}
EXACT = [f for f in FUNCTIONS if f.exact]
UFUNC_NAMES = [f.name for f in FUNCTIONS if not f.has_params]
