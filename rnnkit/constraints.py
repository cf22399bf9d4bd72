"""Weight constraints with Keras names and formulas, applied after each optimizer update.

A constraint maps a weight array ``w`` to a new, projected array of the same shape and
dtype. With ``norm = sqrt(sum(w**2, axis, keepdims=True))`` and ``eps = 1e-7``:

==============  ======================================================================
``MaxNorm``     ``w * clip(norm, 0, max_value) / (eps + norm)``
``NonNeg``      ``max(w, 0)``
``UnitNorm``    ``w / (eps + norm)``
``MinMaxNorm``  ``w * desired / (eps + norm)``, with
                ``desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm``
==============  ======================================================================

``axis=0`` on a 2-D ``(in, out)`` kernel constrains each output unit's incoming column.
Because of ``eps`` the projection is not exact: a column of norm 5 under ``MaxNorm(2)``
ends with norm ``10 / (5 + 1e-7)``, and a column inside the bound shrinks very slightly.

>>> import numpy as np
>>> w = np.array([[3.0, 0.6], [4.0, 0.8]])  # column norms 5 and 1
>>> np.round(MaxNorm(2.0)(w), 6)
array([[1.2, 0.6],
       [1.6, 0.8]])
>>> get("non_neg")(np.array([-1.0, 2.0]))
array([0., 2.])
>>> get(None) is None
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from rnnkit import registry
from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message
from rnnkit.validation import check_real

EPSILON = 1e-7


def _check_axis(owner: str, axis: Any) -> int | tuple[int, ...]:
    def is_int(a: Any) -> bool:
        return isinstance(a, numbers.Integral) and not isinstance(a, bool)

    if is_int(axis):
        return int(axis)
    if isinstance(axis, (tuple, list)) and axis and all(is_int(a) for a in axis):
        return tuple(int(a) for a in axis)
    raise ArgumentTypeError(
        argument_message(owner, "axis", "an integer or a non-empty tuple of integers", axis)
    )


def _bound(owner: str, name: str, value: Any, low: float, high: float = math.inf) -> float:
    value = check_real(owner, name, value)
    if not low <= value <= high:
        expected = f"a number in [{low}, {high}]" if high < math.inf else f"a number >= {low}"
        raise ArgumentError(argument_message(owner, name, expected, value))
    return value


def _as_float(w: Any) -> np.ndarray:
    w = np.asarray(w)
    return w if w.dtype.kind == "f" else w.astype(np.float64)


def _norms(w: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weights as a new array."""

    def __call__(self, w: Any) -> np.ndarray:
        """Return the projection of ``w``: same shape, ``w``'s float dtype."""
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Rebuild a constraint from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Scale each slice along ``axis`` down to norm at most ``max_value``.

    Args:
        max_value: Largest allowed norm, >= 0.
        axis: Axis or axes the norm is taken over (0: each column of a 2-D kernel).
    """

    def __init__(self, max_value: float = 2, axis: int | tuple[int, ...] = 0) -> None:
        self.max_value = _bound("MaxNorm", "max_value", max_value, 0.0)
        self.axis = _check_axis("MaxNorm", axis)

    def __call__(self, w: Any) -> np.ndarray:
        """Return ``w * clip(norm, 0, max_value) / (eps + norm)``."""
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0.0, self.max_value)
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w: Any) -> np.ndarray:
        """Return ``max(w, 0)``."""
        w = _as_float(w)
        return np.maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Scale each slice along ``axis`` to unit norm.

    Args:
        axis: Axis or axes the norm is taken over (0: each column of a 2-D kernel).
    """

    def __init__(self, axis: int | tuple[int, ...] = 0) -> None:
        self.axis = _check_axis("UnitNorm", axis)

    def __call__(self, w: Any) -> np.ndarray:
        """Return ``w / (eps + norm)``."""
        w = _as_float(w)
        return (w / (EPSILON + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's norm along ``axis`` toward ``[min_value, max_value]``.

    Args:
        min_value: Smallest allowed norm, >= 0.
        max_value: Largest allowed norm, >= ``min_value``.
        rate: In ``[0, 1]``: 1 projects fully, smaller values move only part of the way.
        axis: Axis or axes the norm is taken over (0: each column of a 2-D kernel).
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: int | tuple[int, ...] = 0,
    ) -> None:
        self.min_value = _bound("MinMaxNorm", "min_value", min_value, 0.0)
        self.max_value = _bound("MinMaxNorm", "max_value", max_value, self.min_value)
        self.rate = _bound("MinMaxNorm", "rate", rate, 0.0, 1.0)
        self.axis = _check_axis("MinMaxNorm", axis)

    def __call__(self, w: Any) -> np.ndarray:
        """Return ``w * desired / (eps + norm)``."""
        w = _as_float(w)
        norms = _norms(w, self.axis)
        clipped = np.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras's snake_case aliases name the classes themselves.
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_REGISTRY: dict[str, type[Constraint]] = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}
_CLASSES = {cls.__name__: cls for cls in _REGISTRY.values()}


def get(
    identifier: str | dict[str, Any] | Constraint | None,
    *,
    owner: str = "constraint",
    name: str = "constraint",
) -> Constraint | None:
    """Return the constraint named, described or given by ``identifier``.

    Args:
        identifier: None (no constraint, returns None); a registry name
            (``"max_norm"``) or class name (``"MaxNorm"``), giving a new default
            instance; a :class:`Constraint` class or instance; or a dict
            ``{"class_name": ..., "config": {...}}`` as :func:`serialize` writes.
        owner: Who asks, for error messages (``"LSTM"``).
        name: The argument being resolved, for error messages (``"kernel_constraint"``).

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else.
    """
    if identifier is None:
        return None
    expected = (
        "None, a constraint name (" + ", ".join(_REGISTRY) + "), an rnnkit.constraints "
        "object or a {'class_name': ..., 'config': ...} dict"
    )
    return registry.resolve(
        identifier, Constraint, _REGISTRY, _CLASSES, owner=owner, name=name, expected=expected
    )


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """Return ``{"class_name": ..., "config": ...}`` (None for None), readable by :func:`get`."""
    return None if constraint is None else registry.serialize(constraint)


def names() -> tuple[str, ...]:
    """All registered constraint names."""
    return tuple(_REGISTRY)
