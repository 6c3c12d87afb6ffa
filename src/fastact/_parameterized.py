"""The public functions of the parameterized ufuncs, made from the catalogue.

`fastact.<name>(x)` could call the ufunc with the default parameters as
operands, but numpy's set-up of a second operand (a Python float made into an
array, broadcast) doubles the cost of a small call. So each parameterized ufunc has
a twin in fastact._ufuncs, `<name>_defaults`, that takes only the arrays and
computes exactly the same thing with the defaults; the function made here
calls the twin when every parameter is its default (a Python float equal to
it) and every array is float32 or float64, and the parameterized ufunc
otherwise. (For other inputs numpy's promotion with a Python float parameter
may differ: int8 with a parameter 0.01 computes in float64, int8 alone in
float32.)

The function is compiled from source text, like collections.namedtuple's
methods: a plain def with the real signature (inspect.signature, help(),
keyword arguments) and no per-call interpretation of the catalogue. When the
ufunc raises TypeError, the call is looked at again (`_retried`, off the fast
path): a parameter given by another name it accepts (PyTorch's
`negative_slope` for leaky_relu's `alpha`) is renamed, a parameter that is
not a real number or an array of them is named in the error, and anything
else gets the error of the public ufunc, not of its twin.

In front of that function stands a C callable (fastact._ufuncs._fast_call),
which is what `fastact.<name>` is: even a plain def costs, per call, about
half of numpy's own set-up of a 1-element call. It takes the common calls
(float arrays, Python float parameters by position or name, `out=`) straight
to the twin or the ufunc, and hands every other call to the function, so the
behaviour is the function's. It carries the function's signature and
docstring, and pickles by name.
"""
import inspect
import numbers

import numpy as np

from fastact._catalog import DTYPES

# The dtypes the twins have loops for: numpy's own (a bfloat16 call goes to
# the parameterized ufunc, below).
_FLOAT_DTYPES = frozenset(np.dtype(d.numpy) for d in DTYPES if d.npy_type)


# Dtypes with loops that are not numpy's own (bfloat16, registered by
# fastact at import when ml_dtypes is installed). numpy casts a Python float
# operand to float16 as a "weak" scalar, but does not know that it may do so
# for these, and would pick the float32 loop; so the functions cast a Python
# float parameter to the array's type themselves.
_USER_DTYPES: set[np.dtype] = set()


def _as_weak(value, dtype):
    """A Python float parameter as a 0-d array of `dtype`; anything else as is."""
    return np.asarray(value, dtype) if type(value) is float else value


def public_function(spec, ufuncs):
    """fastact's function for catalogue entry `spec`: the ufunc itself when
    it has no parameters, else a function giving them their defaults."""
    ufunc = getattr(ufuncs, spec.name)
    if not spec.params:
        return ufunc
    arrays = ", ".join(spec.inputs)
    params = ", ".join(spec.params)
    signature = ", ".join([*spec.inputs, *(f"{p}={v!r}" for p, v in spec.params.items())])
    at_defaults = " and ".join(
        [f"type({p}) is float and {p} == {v!r}" for p, v in spec.params.items()]
        + [f"getattr({a}, 'dtype', None) in _FLOAT_DTYPES" for a in spec.inputs])
    user_dtype = " and ".join(f"getattr({a}, 'dtype', None) in _USER_DTYPES"
                              for a in spec.inputs)
    cast = "".join(f"            {p} = _as_weak({p}, {spec.inputs[-1]}.dtype)\n"
                   for p in spec.params)
    source = (f"def {spec.name}({signature}, **kwargs):\n"
              f"    try:\n"
              f"        if {at_defaults}:\n"
              f"            return _twin({arrays}, **kwargs)\n"
              f"        if {user_dtype}:\n"
              f"{cast}"
              f"        return _ufunc({arrays}, {params}, **kwargs)\n"
              f"    except TypeError:\n"
              f"        return _retried(({arrays},), ({params},), kwargs)\n")
    namespace = {"_ufunc": ufunc, "_twin": getattr(ufuncs, spec.name + "_defaults"),
                 "_FLOAT_DTYPES": _FLOAT_DTYPES, "_USER_DTYPES": _USER_DTYPES,
                 "_as_weak": _as_weak}
    exec(compile(source, f"<fastact.{spec.name}>", "exec"), namespace)
    function = namespace[spec.name]

    def retried(arrays, params, kwargs):
        return _retried(spec, ufunc, function.__defaults__, arrays, params, kwargs)

    namespace["_retried"] = retried
    function.__module__ = "fastact"
    function.__qualname__ = spec.name
    function.__doc__ = spec.docstring(ufunc=False)
    # The public function: a C callable doing what `function` does on the
    # common calls, and handing it every other (fastact._ufuncs._fast_call).
    public = ufuncs._fast_call(namespace["_twin"], ufunc, function, tuple(spec.params),
                               tuple(spec.params.values()), len(spec.inputs), _FLOAT_DTYPES)
    public.__name__ = public.__qualname__ = spec.name
    public.__module__ = "fastact"
    public.__doc__ = function.__doc__
    public.__signature__ = inspect.signature(function)
    return public


def _is_real(value):
    if isinstance(value, numbers.Real):
        return True
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:
        return False


def _retried(spec, ufunc, defaults, arrays, params, kwargs):
    """The call again after the ufunc raised TypeError: aliases renamed,
    parameters checked, then the parameterized ufunc (whose own error, if it
    raises again, names the public function)."""
    params = list(params)
    names = list(spec.params)
    for alias, name in spec.aliases.items():
        if alias in kwargs:
            i = names.index(name)
            # A parameter still at its default object was not passed.
            if params[i] is not defaults[i]:
                raise TypeError(f"{spec.name}() got both {name!r} and {alias!r}, two names "
                                f"of one parameter ({alias!r} is PyTorch's)") from None
            kwargs = dict(kwargs)
            params[i] = kwargs.pop(alias)
    for name, value in zip(names, params):
        if not _is_real(value):
            raise TypeError(f"{spec.name}(): {name} must be a real number or an array of "
                            f"real numbers, not {type(value).__name__} {value!r}") from None
    try:
        return ufunc(*arrays, *params, **kwargs)
    except TypeError as error:
        raise error from None
