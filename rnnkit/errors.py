"""Exception types and the one message form every rnnkit error uses.

Each exception subclasses both :class:`RnnkitError` and the matching built-in, so
``except ValueError`` in user code keeps working.
"""

from __future__ import annotations

from typing import Any


class RnnkitError(Exception):
    """Base class of every error rnnkit raises on purpose."""


class ArgumentError(RnnkitError, ValueError):
    """An argument has a valid type but an invalid value."""


class ArgumentTypeError(RnnkitError, TypeError):
    """An argument has the wrong type."""


class ShapeError(RnnkitError, ValueError):
    """An array has the wrong rank, shape or dtype for where it is used."""


class NotBuiltError(RnnkitError, RuntimeError):
    """A method needs state that does not exist yet (weights, a training forward pass)."""


class NonFiniteLossError(RnnkitError, RuntimeError):
    """``TerminateOnNaN(raise_error=True)`` met a NaN or infinite training loss."""


def describe(value: Any) -> str:
    """Short description of ``value`` for error messages (arrays by shape, not content)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"array of shape {tuple(shape)} and dtype {dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def argument_message(owner: str, name: str, expected: str, got: Any, hint: str = "") -> str:
    """The message form for a bad argument: who, which argument, what it must be, what it got."""
    message = f"{owner}: `{name}` must be {expected}; got {describe(got)}."
    return f"{message} {hint}" if hint else message
