"""Weight penalties with Keras names and formulas, and their gradients.

A regularizer maps a weight array ``w`` to a penalty added to the training loss
(not divided by the number of elements or the batch size)::

    L1(l1)(w)       = l1 * sum(|w|)
    L2(l2)(w)       = l2 * sum(w**2)
    L1L2(l1, l2)(w) = l1 * sum(|w|) + l2 * sum(w**2)

and :meth:`Regularizer.gradient` returns ``d penalty / d w = l1 * sign(w) + 2 * l2 * w``
(``sign(0) = 0``), which the training step adds to the weight's gradient.

Defaults follow Keras 2: ``"l1"``/``"l2"`` use 0.01, and both the function
:func:`l1_l2` and the string ``"l1_l2"`` give ``l1 = l2 = 0.01``, whereas the class
``L1L2()`` and its snake-case name ``"l1l2"`` give 0 and 0 (as in Keras 3, where
``"l1l2"`` is the registered name). Pass explicit factors to avoid the difference.

>>> import numpy as np
>>> w = np.array([[1.0, -2.0], [0.0, 3.0]])
>>> L1L2(l1=0.5, l2=0.1)(w)
4.4
>>> get("l2").gradient(w)
array([[ 0.02, -0.04],
       [ 0.  ,  0.06]])
>>> get(None) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnkit import registry
from rnnkit.errors import ArgumentError, argument_message
from rnnkit.validation import check_real


def _factor(owner: str, name: str, value: Any) -> float:
    try:
        return check_real(owner, name, value, minimum=0.0, finite=True)
    except ArgumentError:  # one message for NaN, infinity and negatives
        raise ArgumentError(argument_message(owner, name, "a finite number >= 0", value)) from None


def _as_float(w: Any) -> np.ndarray:
    w = np.asarray(w)
    return w if w.dtype.kind == "f" else w.astype(np.float64)


def _penalty(w: Any, l1: float, l2: float) -> float:
    w = _as_float(w)
    total = 0.0
    if l1:
        total += l1 * float(np.sum(np.abs(w), dtype=np.float64))
    if l2:
        total += l2 * float(np.sum(np.square(w, dtype=np.float64)))
    return total


def _gradient(w: Any, l1: float, l2: float) -> np.ndarray:
    w = _as_float(w)
    return (l1 * np.sign(w) + (2.0 * l2) * w).astype(w.dtype, copy=False)


class Regularizer:
    """Base class: ``reg(w)`` is the penalty, ``reg.gradient(w)`` its gradient."""

    def __call__(self, w: Any) -> float:
        """Return the penalty of weight array ``w`` as a Python float."""
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def gradient(self, w: Any) -> np.ndarray:
        """Return ``d penalty / d w``: a new array of ``w``'s shape and float dtype."""
        raise NotImplementedError(f"{type(self).__name__} does not implement gradient")

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Rebuild a regularizer from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``.

    Args:
        l1: Factor of the absolute-value term, >= 0.
        l2: Factor of the squared term, >= 0.
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _factor("L1L2", "l1", 0.0 if l1 is None else l1)  # None: 0 (Keras 3)
        self.l2 = _factor("L1L2", "l2", 0.0 if l2 is None else l2)

    def __call__(self, w: Any) -> float:
        """Return the penalty of weight array ``w`` as a Python float."""
        return _penalty(w, self.l1, self.l2)

    def gradient(self, w: Any) -> np.ndarray:
        """Return ``l1 * sign(w) + 2 * l2 * w`` in ``w``'s float dtype."""
        return _gradient(w, self.l1, self.l2)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|w|)``.

    Args:
        l1: Factor, >= 0.
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _factor("L1", "l1", 0.01 if l1 is None else l1)  # None: 0.01 (Keras 3)

    def __call__(self, w: Any) -> float:
        """Return the penalty of weight array ``w`` as a Python float."""
        return _penalty(w, self.l1, 0.0)

    def gradient(self, w: Any) -> np.ndarray:
        """Return ``l1 * sign(w)`` (zero where ``w == 0``) in ``w``'s float dtype."""
        return _gradient(w, self.l1, 0.0)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(w**2)``.

    Args:
        l2: Factor, >= 0.
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _factor("L2", "l2", 0.01 if l2 is None else l2)  # None: 0.01 (Keras 3)

    def __call__(self, w: Any) -> float:
        """Return the penalty of weight array ``w`` as a Python float."""
        return _penalty(w, 0.0, self.l2)

    def gradient(self, w: Any) -> np.ndarray:
        """Return ``2 * l2 * w`` in ``w``'s float dtype."""
        return _gradient(w, 0.0, self.l2)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:
    """Return ``L1(l1)``."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """Return ``L2(l2)``."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Return ``L1L2(l1, l2)`` with the Keras 2 defaults 0.01 and 0.01."""
    return L1L2(l1, l2)


_REGISTRY: dict[str, Callable[..., Regularizer]] = {
    "l1": l1,
    "l2": l2,
    "l1_l2": l1_l2,
    "l1l2": L1L2,
}
_CLASSES: dict[str, type[Regularizer]] = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(
    identifier: str | dict[str, Any] | Regularizer | None,
    *,
    owner: str = "regularizer",
    name: str = "regularizer",
) -> Regularizer | None:
    """Return the regularizer named, described or given by ``identifier``.

    Args:
        identifier: None (no penalty, returns None); a name (``"l1"``, ``"l2"``,
            ``"l1_l2"``, ``"l1l2"``: see the module notes on their defaults) or a class
            name (``"L1L2"``), each giving a new instance; a :class:`Regularizer` class or
            instance; or a dict ``{"class_name": "L1L2", "config": {...}}`` as
            :func:`serialize` writes.
        owner: Who asks, for error messages (``"LSTM"``).
        name: The argument being resolved, for error messages (``"kernel_regularizer"``).

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else.
    """
    if identifier is None:
        return None
    expected = (
        "None, a regularizer name (" + ", ".join(_REGISTRY) + "), an rnnkit.regularizers "
        "object or a {'class_name': ..., 'config': ...} dict"
    )
    return registry.resolve(
        identifier,
        Regularizer,
        _REGISTRY,
        _CLASSES,
        owner=owner,
        name=name,
        expected=expected,
        # A config may name a function ("l1"), which has no from_config.
        build=lambda factory, config: factory(**config),
    )


def serialize(regularizer: Regularizer | None) -> dict[str, Any] | None:
    """Return ``{"class_name": ..., "config": ...}`` (None for None), readable by :func:`get`."""
    return None if regularizer is None else registry.serialize(regularizer)


def names() -> tuple[str, ...]:
    """All registered regularizer names."""
    return tuple(_REGISTRY)
