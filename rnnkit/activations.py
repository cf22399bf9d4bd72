"""Activation functions the recurrent kernels can run.

Each activation is an :class:`Activation` object with a name, a NumPy implementation
(``act(x)``) and an integer ``code`` that the compiled kernels dispatch on. Layers
accept a name, an :class:`Activation`, ``None`` (linear), or one of the NumPy ufuncs
with the same meaning (``np.tanh``). Any other Python callable is refused: the kernels
run compiled code and cannot call back into Python, and silently substituting another
function would give wrong numbers.

Every derivative is expressed through the activation's *output* ``y`` (see
:meth:`Activation.derivative_from_output`), which is what backpropagation keeps.

>>> import numpy as np
>>> get("hard_sigmoid")(np.array([-3.0, 0.0, 1.0, 3.0]))
array([0. , 0.5, 0.7, 1. ])
>>> get(None).name
'linear'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message

# Codes the kernels dispatch on (compile-time constants inside Numba).
LINEAR = 0
TANH = 1
SIGMOID = 2
HARD_SIGMOID = 3
KERAS3_HARD_SIGMOID = 4
RELU = 5
SOFTSIGN = 6
ELU = 7
SELU = 8
SOFTPLUS = 9
EXPONENTIAL = 10

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Activation:
    """An elementwise activation that the compiled kernels can run.

    Args:
        name: Registry name (``"tanh"``).
        code: Integer the kernels dispatch on.
        function: NumPy implementation, ``y = function(x)``.
        derivative: ``dy/dx`` written as a function of the output ``y``.
    """

    def __init__(
        self,
        name: str,
        code: int,
        function: Callable[[np.ndarray], np.ndarray],
        derivative: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        self.name = name
        self.code = code
        self._function = function
        self._derivative = derivative

    def __call__(self, x: Any) -> np.ndarray:
        """Apply the activation to ``x`` (NumPy, any shape)."""
        return self._function(np.asarray(x))

    def derivative_from_output(self, y: Any) -> np.ndarray:
        """Return ``dy/dx`` given ``y = self(x)``."""
        return self._derivative(np.asarray(y))

    def __repr__(self) -> str:
        return f"<Activation {self.name}>"

    def get_config(self) -> str:
        """Serializable form: the registry name."""
        return self.name


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(x, 0.0).astype(np.result_type(x, np.float32), copy=False)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x: np.ndarray) -> np.ndarray:
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def _inside(y: np.ndarray, slope: float) -> np.ndarray:
    return np.where((y > 0) & (y < 1), slope, 0.0).astype(y.dtype)


linear = Activation("linear", LINEAR, lambda x: x, np.ones_like)
tanh = Activation("tanh", TANH, np.tanh, lambda y: 1 - y * y)
sigmoid = Activation("sigmoid", SIGMOID, _sigmoid, lambda y: y * (1 - y))
hard_sigmoid = Activation(
    "hard_sigmoid", HARD_SIGMOID, lambda x: np.clip(0.2 * x + 0.5, 0, 1), lambda y: _inside(y, 0.2)
)
keras3_hard_sigmoid = Activation(
    "keras3_hard_sigmoid",
    KERAS3_HARD_SIGMOID,
    lambda x: np.clip(x / 6 + 0.5, 0, 1),
    lambda y: _inside(y, 1 / 6),
)
relu = Activation("relu", RELU, lambda x: np.maximum(x, 0), lambda y: (y > 0).astype(y.dtype))
softsign = Activation(
    "softsign", SOFTSIGN, lambda x: x / (1 + np.abs(x)), lambda y: (1 - np.abs(y)) ** 2
)
elu = Activation("elu", ELU, _elu, lambda y: np.where(y > 0, 1, y + 1).astype(y.dtype))
selu = Activation(
    "selu",
    SELU,
    _selu,
    lambda y: np.where(y > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA).astype(y.dtype),
)
softplus = Activation("softplus", SOFTPLUS, _softplus, lambda y: -np.expm1(-y))
exponential = Activation("exponential", EXPONENTIAL, np.exp, lambda y: y)

_REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        linear,
        tanh,
        sigmoid,
        hard_sigmoid,
        keras3_hard_sigmoid,
        relu,
        softsign,
        elu,
        selu,
        softplus,
        exponential,
    )
}
_UFUNCS = {np.tanh: tanh, np.exp: exponential}


def get(identifier: str | Activation | Callable | None, *, owner: str = "activation") -> Activation:
    """Return the :class:`Activation` named or given by ``identifier``.

    Raises:
        ArgumentError: an unknown name.
        ArgumentTypeError: a callable the compiled kernels cannot run.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        if identifier in _REGISTRY:
            return _REGISTRY[identifier]
        raise ArgumentError(
            argument_message(owner, "activation", "one of " + ", ".join(_REGISTRY), identifier)
        )
    if isinstance(identifier, dict) and isinstance(identifier.get("config"), str):
        if identifier.get("class_name") == "function":  # Keras 3's serialized activation
            return get(identifier["config"], owner=owner)
    if isinstance(identifier, np.ufunc) and identifier in _UFUNCS:
        return _UFUNCS[identifier]
    raise ArgumentTypeError(
        argument_message(
            owner,
            "activation",
            "a name (" + ", ".join(_REGISTRY) + "), an rnnkit.activations object or None",
            identifier,
            "The compiled kernels cannot run arbitrary Python callables.",
        )
    )


def serialize(activation: Activation) -> str:
    """Registry name of ``activation``."""
    return activation.name


def names() -> tuple[str, ...]:
    """All registered activation names."""
    return tuple(_REGISTRY)
