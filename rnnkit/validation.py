"""Argument checks shared by every public class: one place, one message form."""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message


def _check_int(owner: str, name: str, value: Any, minimum: int, expected: str) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(argument_message(owner, name, expected, value))
    if value < minimum:
        raise ArgumentError(argument_message(owner, name, expected, value))
    return int(value)


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1."""
    return _check_int(owner, name, value, 1, "a positive integer")


def check_rate(owner: str, name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a probability in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(argument_message(owner, name, "a float in [0, 1)", value))
    if not 0.0 <= float(value) < 1.0:
        raise ArgumentError(argument_message(owner, name, "a float in [0, 1)", value))
    return float(value)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (NumPy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(argument_message(owner, name, "True or False", value))
    return bool(value)


def check_choice(owner: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        expected = "one of " + ", ".join(repr(c) for c in choices)
        raise ArgumentError(argument_message(owner, name, expected, value))
    return value


def check_real(
    owner: str, name: str, value: Any, *, minimum: float | None = None, finite: bool = False
) -> float:
    """Return ``value`` as a float if it is a real number and not NaN.

    ``finite`` also refuses infinities; ``minimum`` values below it.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(argument_message(owner, name, "a real number", value))
    number = float(value)
    if math.isnan(number) or (finite and math.isinf(number)):
        expected = "a finite number" if finite else "a number (not NaN)"
        raise ArgumentError(argument_message(owner, name, expected, value))
    if minimum is not None and number < minimum:
        raise ArgumentError(argument_message(owner, name, f"a number >= {minimum}", value))
    return number


def check_non_negative_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 0 (None and floats refused)."""
    return _check_int(owner, name, value, 0, "an integer >= 0")


def check_seed(owner: str, name: str, value: Any) -> int | None:
    """Return ``value`` if it is None or a non-negative integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ArgumentError(argument_message(owner, name, "None or a non-negative integer", value))
    return int(value)


_CHECK_FINITE = contextvars.ContextVar("rnnkit_check_finite_inputs", default=True)


def finite_inputs_checked() -> bool:
    """Whether layers refuse NaN and infinity in their inputs.

    True unless a model runs them inside :func:`inputs_checked_upstream`.
    """
    return _CHECK_FINITE.get()


@contextlib.contextmanager
def inputs_checked_upstream() -> Iterator[None]:
    """Layers called in this block (on this thread) skip their NaN/infinity check.

    A model checks its data once at its boundary; between its layers, NaN and infinity
    come from the weights (a diverging run), and Keras then shows them in the logs
    (``TerminateOnNaN`` stops the run) rather than refusing the next layer's input.
    """
    token = _CHECK_FINITE.set(False)
    try:
        yield
    finally:
        _CHECK_FINITE.reset(token)


def all_finite(x: np.ndarray) -> bool:
    """Whether a float array holds no NaN or infinity, in one fast pass.

    A finite sum proves it (NaN and infinities propagate through a sum); only when
    the sum is not finite (NaN/inf, or finite values that overflow) is every element
    checked.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(x, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(x).all())
