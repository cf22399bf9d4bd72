"""The Layer contract shared by every rnnkit layer.

A layer validates its arguments at construction and creates no arrays there.
``build(input_shape)`` creates the parameters under their Keras names; calling the
layer runs the forward pass; after a call with ``training=True``, ``backward``
takes the gradient with respect to the outputs, returns the gradient with respect
to the inputs and sets the parameter gradients (regularization penalties included).
A training call keeps exactly one cache, overwritten by the next call; an inference
call leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit import constraints as constraints_module
from rnnkit import initializers as initializers_module
from rnnkit import regularizers as regularizers_module
from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NotBuiltError,
    ShapeError,
    argument_message,
)

_DTYPES = {"float32": np.float32, "float64": np.float64}


def standardize_dtype(owner: str, dtype: Any) -> np.dtype:
    """Return the NumPy dtype for ``"float32"`` / ``"float64"``.

    Names, dtypes, or Keras 3's ``DTypePolicy`` config dict (its ``config["name"]``).
    """
    if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):
        dtype = dtype["config"].get("name")
    try:
        name = np.dtype(dtype).name
    except (TypeError, ValueError):
        name = None
    if name not in _DTYPES:
        raise ArgumentError(argument_message(owner, "dtype", "'float32' or 'float64'", dtype))
    return np.dtype(_DTYPES[name])


class Layer:
    """Base class of all rnnkit layers.

    Subclasses implement ``build(input_shape)``, ``__call__(inputs, training=False,
    mask=None)``, ``backward(d_output, *, input_gradient=True)`` and
    ``compute_output_shape(input_shape)``; layers that consume or produce a time mask
    set ``supports_masking`` and override :meth:`compute_mask`.

    Args:
        name: Layer name (default: the snake-case class name plus a counter).
        dtype: ``"float32"`` (default) or ``"float64"``; inputs are cast to it.
        trainable: Whether optimizers update this layer's weights.
        input_shape: Keras-style shape of one sample, e.g. ``(time, features)``.
        batch_input_shape: The same with the batch size in front.
        batch_size: Fixed batch size (with ``input_shape``), needed by stateful layers.
    """

    _counters: dict[str, int] = {}
    supports_masking = False

    def __init__(
        self,
        *,
        name: str | None = None,
        dtype: Any = "float32",
        trainable: bool = True,
        input_shape: Sequence[int | None] | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
    ) -> None:
        owner = type(self).__name__
        if name is None:
            base = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", owner)
            base = re.sub(r"([a-z])([A-Z])", r"\1_\2", base).lower()
            count = Layer._counters.get(base, 0)
            Layer._counters[base] = count + 1
            name = base if count == 0 else f"{base}_{count}"
        if not isinstance(name, str) or not name:
            raise ArgumentTypeError(argument_message(owner, "name", "a non-empty string", name))
        self.name = name
        self.dtype = standardize_dtype(owner, dtype)
        self.trainable = bool(trainable)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size, *tuple(input_shape))
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.built = False
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._regularizers: dict[str, Any] = {}
        self._constraints: dict[str, Any] = {}
        self._activity_losses: list[float] = []
        self._cache: Any = None

    # ----------------------------------------------------------------- parameters
    def add_weight(
        self,
        name: str,
        shape: tuple[int, ...],
        initializer: Any,
        regularizer: Any = None,
        constraint: Any = None,
    ) -> np.ndarray:
        """Create parameter ``name`` (and its zero gradient) and return it."""
        init = initializers_module.get(initializer)
        value = np.ascontiguousarray(init(shape, dtype=self.dtype), dtype=self.dtype)
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)
        if regularizer is not None:
            self._regularizers[name] = regularizer
        if constraint is not None:
            self._constraints[name] = constraint
        return value

    @property
    def weights(self) -> list[np.ndarray]:
        """The live parameter arrays in Keras order (update them in place)."""
        return list(self.params.values())

    @property
    def weight_names(self) -> list[str]:
        """Keras names of the parameters, aligned with :attr:`weights`."""
        return list(self.params)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters, in Keras order and layout."""
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the parameters from arrays in Keras order and layout."""
        owner = f"{type(self).__name__} '{self.name}'"
        if not self.built:
            raise NotBuiltError(
                f"{owner}: set_weights needs built weights; call build(input_shape) or the "
                "layer on data first."
            )
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ArgumentError(
                f"{owner}: set_weights expects {len(self.params)} arrays "
                f"({', '.join(self.params)}); got {len(weights)}."
            )
        checked = []  # every array checked before any is set: a refusal changes nothing
        for (key, current), new in zip(self.params.items(), weights, strict=True):
            new = np.asarray(new)
            if new.shape != current.shape:
                raise ShapeError(
                    f"{owner}: weight '{key}' must have shape {current.shape}; got {new.shape}."
                )
            if not (np.issubdtype(new.dtype, np.number) or new.dtype == np.bool_):
                raise ArgumentTypeError(
                    f"{owner}: weight '{key}' must hold numbers; got dtype {new.dtype}."
                )
            checked.append(new)
        for current, new in zip(self.params.values(), checked, strict=True):
            current[...] = new

    def get_gradients(self) -> list[np.ndarray]:
        """Gradients from the last ``backward``, aligned with :meth:`get_weights`."""
        return list(self.grads.values())

    def count_params(self) -> int:
        """Number of scalar parameters."""
        return int(sum(w.size for w in self.params.values()))

    @property
    def losses(self) -> list[float]:
        """Regularization penalties, to be added to the training loss.

        One per regularized weight (from its current value) while the layer is
        trainable (a frozen layer's weights add no penalty, as in Keras 3), then one per
        tensor the last call returned (activity regularizer, divided by the batch size).
        """
        weights = self._regularizers.items() if self.trainable else ()
        penalties = [float(reg(self.params[k])) for k, reg in weights]
        return penalties + list(self._activity_losses)

    def _add_regularizer_gradients(self) -> None:
        if not self.trainable:  # no penalty (see losses), so no gradient of one
            return
        for key, reg in self._regularizers.items():
            self.grads[key] += reg.gradient(self.params[key]).astype(self.dtype, copy=False)

    def apply_constraints(self) -> None:
        """Project constrained weights in place; optimizers call this after each update."""
        for key, constraint in self._constraints.items():
            self.params[key][...] = constraint(self.params[key])

    # ----------------------------------------------------------- subclass helpers
    @property
    def _owner(self) -> str:
        """How error messages name this layer: ``"Dense 'dense_1'"``."""
        return f"{type(self).__name__} '{self.name}'"

    def _clear_weights(self) -> None:
        """Forget the parameters, gradients, regularizers and constraints (before a rebuild)."""
        self.params.clear()
        self.grads.clear()
        self._regularizers.clear()
        self._constraints.clear()

    def _record_activity(self, outputs: Sequence[np.ndarray]) -> None:
        """Set this call's activity penalties: one per returned tensor, divided by its batch.

        Uses ``self.activity_regularizer`` when the layer has one (Keras 2 and Keras >= 3.14
        divide each term by the tensor's leading dimension).
        """
        reg = getattr(self, "activity_regularizer", None)
        self._activity_losses = (
            [] if reg is None else [float(reg(o)) / max(o.shape[0], 1) for o in outputs]
        )

    def _activity_gradient(self, d_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        """``d_output`` plus the gradient of the activity penalty of ``output`` (if any)."""
        reg = getattr(self, "activity_regularizer", None)
        if reg is None:
            return d_output
        return d_output + reg.gradient(output).astype(self.dtype, copy=False) / max(
            output.shape[0], 1
        )

    # --------------------------------------------------------------------- shapes
    def compute_mask(self, inputs: Any, mask: np.ndarray | None) -> np.ndarray | None:
        """The time mask of this layer's output (default: passed through if supported)."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Output shape for ``input_shape`` (batch axis included, None where unknown)."""
        raise NotImplementedError(f"{type(self).__name__} does not define compute_output_shape")

    # -------------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config: dict[str, Any] = {
            "name": self.name,
            "dtype": self.dtype.name,
            "trainable": self.trainable,
        }
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    def _config_of(self, *names: str) -> dict[str, Any]:
        """Config form of the named attributes.

        Initializers, regularizers and constraints (by their ``*_initializer`` /
        ``*_regularizer`` / ``*_constraint`` names) become config dicts, activations their
        names; anything else is taken as it is.
        """
        modules = {
            "_initializer": initializers_module,
            "_regularizer": regularizers_module,
            "_constraint": constraints_module,
        }
        config = {}
        for name in names:
            value = getattr(self, name)
            module = next((m for suffix, m in modules.items() if name.endswith(suffix)), None)
            if module is not None:
                config[name] = serialize_object(value, module)
            elif name.endswith("activation"):
                config[name] = value.name
            else:
                config[name] = value
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Create a layer from :meth:`get_config` output (or Keras's).

        Keras 3.15's ``quantization_config: None`` (no quantization) is dropped; any other
        value is refused like an unknown argument.
        """
        config = dict(config)
        if config.get("quantization_config", "absent") is None:
            del config["quantization_config"]
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.name}'>"


def serialize_object(obj: Any, module: Any) -> Any:
    """Config form of an initializer / regularizer / constraint (None stays None)."""
    if obj is None:
        return None
    return module.serialize(obj)


__all__ = [
    "Layer",
    "serialize_object",
    "standardize_dtype",
    "constraints_module",
    "initializers_module",
    "regularizers_module",
]
