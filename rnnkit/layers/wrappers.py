"""Wrappers: Bidirectional (a recurrent layer run both ways) and TimeDistributed.

A wrapper owns its inner layers; its ``params`` / ``grads`` hold the inner layers' live
arrays (the same objects), so ``get_weights`` / ``set_weights`` / ``get_gradients`` and an
optimizer see them in Keras order, and the inner ``backward`` passes write the gradients
in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NotBuiltError,
    ShapeError,
    argument_message,
)
from rnnkit.layers.base import Layer, standardize_dtype
from rnnkit.layers.core import (
    check_time_mask,
    check_training,
    layer_kwargs,
    output_gradient,
    require_cache,
)
from rnnkit.layers.recurrent import RNNBase
from rnnkit.validation import check_choice

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` of a layer, as Keras nests wrapped layers."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config: Any, *, owner: str, name: str) -> Layer:
    """A layer from :func:`serialize_layer` output (a :class:`Layer` is returned as is)."""
    if isinstance(config, Layer):
        return config
    if not (isinstance(config, dict) and isinstance(config.get("class_name"), str)):
        raise ArgumentTypeError(
            argument_message(owner, name, "a layer or a {'class_name': ..., 'config': ...}", config)
        )
    from rnnkit import layers as layers_module  # the package imports this module

    cls = getattr(layers_module, config["class_name"], None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ArgumentError(
            argument_message(owner, name, "the config of an rnnkit layer", config["class_name"])
        )
    return cls.from_config(dict(config.get("config") or {}))


def _owned_dtype(owner: str, kwargs: dict[str, Any], default: np.dtype) -> str:
    dtype = kwargs.pop("dtype", None)
    return default.name if dtype is None else standardize_dtype(owner, dtype).name


class _Wrapper(Layer):
    """A layer around others: ``trainable`` is theirs too.

    A wrapped layer made with ``trainable=False`` keeps its weights frozen inside the
    wrapper (as in Keras, whose wrappers rebuild it from its config), and setting the
    wrapper's ``trainable`` sets its layers'. Optimizers see weights layer by layer, so
    a wrapper's layers are all trainable or all frozen: a wrapped layer's flag set on
    its own afterwards (Keras would freeze that layer alone) is refused when the
    wrapper's flag is next read (by ``fit``, ``summary``, saving), not ignored.
    """

    _wrapped: tuple[Layer, ...] = ()

    @property
    def trainable(self) -> bool:
        """Whether optimizers update the wrapped layers' weights."""
        changed = [layer for layer in self._wrapped if layer.trainable != self._trainable]
        if changed:
            raise ArgumentError(
                f"{self._owner}: "
                + ", ".join(
                    f"its layer {layer.name} has trainable={layer.trainable}" for layer in changed
                )
                + f" but the wrapper trainable={self._trainable}; rnnkit trains or freezes a "
                "wrapper's layers together. Set `trainable` on the wrapper instead."
            )
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._wrapped:
            layer.trainable = self._trainable

    def _wrap(self, *layers: Layer, trainable: bool | None) -> None:
        """Take ``layers``; the wrapper's ``trainable`` (given, else theirs) applies to all."""
        flags = {layer.trainable for layer in layers}
        if trainable is None and len(flags) > 1:
            raise ArgumentError(
                f"{self._owner}: the wrapped layers must be all trainable or all frozen; got "
                + ", ".join(f"{layer.name} trainable={layer.trainable}" for layer in layers)
                + ". Set `trainable` on the wrapper."
            )
        self._wrapped = layers
        self.trainable = all(flags) if trainable is None else trainable


# ------------------------------------------------------------------ Bidirectional
class Bidirectional(_Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    The forward layer is re-created from ``layer``'s config (fresh weights, name
    ``forward_<name>``); the backward layer is another copy with ``go_backwards`` toggled
    (name ``backward_<name>``), unless ``backward_layer`` is given. Both get
    ``zero_output_for_mask = return_sequences``. With ``return_sequences`` the backward
    output sequence is flipped along time so both are aligned with the input steps;
    otherwise it is the backward layer's last output (its state after reading step 0).

    Merge (forward ``y``, backward ``y_rev``): ``"concat"`` ``[y, y_rev]`` on the last axis,
    ``"sum"`` ``y + y_rev``, ``"mul"`` ``y * y_rev``, ``"ave"`` ``(y + y_rev) / 2``, None the
    list ``[y, y_rev]``.

    Args:
        layer: A SimpleRNN, LSTM or GRU (its config is copied; the instance is not run).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or None.
        weights: Initial weights, the forward layer's then the backward layer's, in Keras
            order (set when the layer is built).
        backward_layer: The recurrent layer to run backwards (used as is, renamed
            ``backward_<name>``). It must have the other ``go_backwards`` and the same
            ``return_sequences``, ``return_state`` and ``stateful`` as ``layer``.
        **kwargs: ``name``, ``dtype`` (default: the layer's), ``trainable``,
            ``input_shape``, ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, time, features)``.
        training: Passed to both layers (dropout, backward cache).
        mask: Bool ``(batch, time)``, passed to both layers.
        initial_state: A list: the forward layer's states then the backward layer's
            (LSTM: ``[h_fw, c_fw, h_bw, c_bw]``).

    Returns:
        The merged output; with ``return_state`` the list
        ``[output, *forward_states, *backward_states]`` (``merge_mode=None``:
        ``[y, y_rev, *forward_states, *backward_states]``).

    Weights: the forward layer's (``forward_<name>/kernel``, ...), then the backward
    layer's.

    >>> import numpy as np
    >>> from rnnkit.layers import LSTM
    >>> layer = Bidirectional(LSTM(3, return_sequences=True))
    >>> layer(np.ones((2, 5, 4))).shape
    (2, 5, 6)
    >>> [w.shape for w in layer.get_weights()][:3]
    [(4, 12), (3, 12), (12,)]
    """

    supports_masking = True

    def __init__(
        self,
        layer: RNNBase,
        merge_mode: str | None = "concat",
        weights: Sequence[Any] | None = None,
        backward_layer: RNNBase | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        kwargs = layer_kwargs(owner, kwargs)
        expected = "a recurrent layer instance (SimpleRNN, LSTM or GRU)"
        if not isinstance(layer, RNNBase):
            raise ArgumentTypeError(argument_message(owner, "layer", expected, layer))
        if backward_layer is not None and not isinstance(backward_layer, RNNBase):
            raise ArgumentTypeError(
                argument_message(owner, "backward_layer", expected, backward_layer)
            )
        self.merge_mode = check_choice(owner, "merge_mode", merge_mode, _MERGE_MODES)
        dtype = _owned_dtype(owner, kwargs, layer.dtype)
        if (
            "input_shape" not in kwargs
            and "batch_input_shape" not in kwargs
            and layer.batch_input_shape is not None
        ):
            kwargs["batch_input_shape"] = layer.batch_input_shape
        trainable = kwargs.pop("trainable", None)
        super().__init__(dtype=dtype, **kwargs)
        self.layer = layer
        self._layer_config = serialize_layer(layer)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful

        def copy(name: str, go_backwards: bool) -> RNNBase:
            config = layer.get_config()
            config.update(
                name=name,
                dtype=dtype,
                go_backwards=go_backwards,
                zero_output_for_mask=layer.return_sequences,
            )
            return type(layer).from_config(config)

        # A config Keras wrote names the inner layer "forward_lstm": no second prefix.
        base = layer.name.removeprefix("forward_")
        self.forward_layer = copy("forward_" + base, layer.go_backwards)
        if backward_layer is None:
            self._backward_config = None
            self.backward_layer = copy("backward_" + base, not layer.go_backwards)
        else:
            self._check_backward_layer(backward_layer, dtype)
            self._backward_config = serialize_layer(backward_layer)
            backward_layer.name = "backward_" + backward_layer.name.removeprefix("backward_")
            backward_layer.zero_output_for_mask = layer.return_sequences
            self.backward_layer = backward_layer
        self._wrap(self.forward_layer, self.backward_layer, trainable=trainable)
        self._initial_weights = None
        if weights is not None:
            if isinstance(weights, (str, bytes, np.ndarray)) or not isinstance(weights, Sequence):
                raise ArgumentTypeError(
                    argument_message(owner, "weights", "None or a list of arrays", weights)
                )
            self._initial_weights = [np.asarray(w) for w in weights]

    def _check_backward_layer(self, backward: RNNBase, dtype: str) -> None:
        forward = self.layer
        if backward.go_backwards == forward.go_backwards:
            raise ArgumentError(
                f"{self._owner}: `backward_layer` must have the other go_backwards than "
                f"`layer`; both have go_backwards={forward.go_backwards}."
            )
        for attr in ("return_sequences", "return_state", "stateful"):
            if getattr(backward, attr) != getattr(forward, attr):
                raise ArgumentError(
                    f"{self._owner}: `backward_layer` must have the same {attr} as `layer`; "
                    f"got {getattr(backward, attr)} and {getattr(forward, attr)}."
                )
        if backward.dtype.name != dtype:
            raise ArgumentError(
                f"{self._owner}: `backward_layer` has dtype {backward.dtype.name}; the "
                f"wrapper runs in {dtype}."
            )
        if self.merge_mode in ("sum", "mul", "ave") and backward.units != forward.units:
            raise ArgumentError(
                f"{self._owner}: merge_mode={self.merge_mode!r} needs layers of the same units; "
                f"got {forward.units} and {backward.units}. Use merge_mode='concat'."
            )

    @property
    def _layers(self) -> tuple[RNNBase, RNNBase]:
        return self.forward_layer, self.backward_layer

    # ------------------------------------------------------------------ weights
    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build both layers, collect their weights, and set the initial ``weights``."""
        for sub in self._layers:
            if not sub.built:  # a given backward_layer may come built, with its weights
                sub.build(input_shape)
        self.params = {f"{s.name}/{k}": v for s in self._layers for k, v in s.params.items()}
        self.grads = {f"{s.name}/{k}": v for s in self._layers for k, v in s.grads.items()}
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)  # forward's then backward's, Keras order
            self._initial_weights = None

    @property
    def losses(self) -> list[float]:
        """The forward layer's penalties, then the backward layer's."""
        return self.forward_layer.losses + self.backward_layer.losses

    def apply_constraints(self) -> None:
        """Project both layers' constrained weights in place."""
        for sub in self._layers:
            sub.apply_constraints()

    @property
    def states(self) -> list[np.ndarray] | None:
        """A stateful layer's carried states, forward's then backward's (None before a call)."""
        if self.forward_layer.states is None or self.backward_layer.states is None:
            return None
        return [*self.forward_layer.states, *self.backward_layer.states]

    def reset_states(self, states: Any = None) -> None:
        """Reset both layers' states to zeros, or to ``[*forward_states, *backward_states]``."""
        if not self.stateful:
            raise NotBuiltError(f"{self._owner}: reset_states() needs a stateful layer.")
        if states is None:
            for sub in self._layers:
                sub.reset_states()
            return
        fw_states, bw_states = self._split_states("states", states)
        fw = self.forward_layer._checked_states(fw_states)  # both checked before either is set
        bw = self.backward_layer._checked_states(bw_states)
        if fw[0].shape[0] != bw[0].shape[0]:
            raise ShapeError(
                f"{self._owner}: the forward and backward states must have one batch size; "
                f"got {fw[0].shape[0]} and {bw[0].shape[0]}."
            )
        self.forward_layer.reset_states(fw)
        self.backward_layer.reset_states(bw)

    def _split_states(self, what: str, states: Any) -> tuple[list[Any], list[Any]]:
        items = list(states) if isinstance(states, (list, tuple)) else [states]
        n_fw = len(self.forward_layer._state_names)
        n_bw = len(self.backward_layer._state_names)
        if len(items) != n_fw + n_bw:
            raise ArgumentError(
                f"{self._owner}: `{what}` must be a list of {n_fw + n_bw} arrays, the forward "
                f"layer's {n_fw} state(s) then the backward layer's {n_bw}; got {len(items)}."
            )
        return items[:n_fw], items[n_fw:]

    # --------------------------------------------------------------------- call
    def _merge(self, y: np.ndarray, y_rev: np.ndarray) -> list[np.ndarray]:
        mode = self.merge_mode
        if mode == "concat":
            return [np.concatenate([y, y_rev], axis=-1)]
        if mode == "sum":
            return [y + y_rev]
        if mode == "mul":
            return [y * y_rev]
        if mode == "ave":
            return [(y + y_rev) * y.dtype.type(0.5)]
        return [y, np.ascontiguousarray(y_rev)]

    def __call__(
        self, inputs: Any, training: bool = False, mask: Any = None, initial_state: Any = None
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        if not self.built:
            self.build(np.shape(inputs))
        fw_init = bw_init = None
        if initial_state is not None:
            fw_init, bw_init = self._split_states("initial_state", initial_state)
        fw_out = self.forward_layer(inputs, training=training, mask=mask, initial_state=fw_init)
        bw_out = self.backward_layer(inputs, training=training, mask=mask, initial_state=bw_init)
        if self.return_state:
            y, fw_states, y_rev, bw_states = fw_out[0], fw_out[1:], bw_out[0], bw_out[1:]
        else:
            y, fw_states, y_rev, bw_states = fw_out, [], bw_out, []
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # (B, T, n): aligned with the input steps
        outputs = [*self._merge(y, y_rev), *fw_states, *bw_states]
        if training:
            self._cache = SimpleNamespace(
                y=y,
                y_rev=y_rev,
                shapes=[o.shape for o in outputs],
                has_initial_state=initial_state is not None,
            )
        else:
            self._cache = None
        return outputs if len(outputs) > 1 else outputs[0]

    def backward(self, d_outputs: Any, *, input_gradient: bool = True) -> Any:
        """Split the output gradient per merge mode, run both layers back, add the results.

        Returns:
            ``d inputs`` (the sum of both layers' input gradients; None with
            ``input_gradient=False``), or ``[d_inputs, *d_initial_states]`` (forward's
            then backward's) when the call got ``initial_state``.
        """
        cache = require_cache(self)
        items = list(d_outputs) if isinstance(d_outputs, (list, tuple)) else [d_outputs]
        if len(items) != len(cache.shapes):
            raise ArgumentError(
                f"{self._owner}: backward expects {len(cache.shapes)} gradient array(s), one "
                f"per output; got {len(items)}."
            )
        grads = [output_gradient(self, g, s) for g, s in zip(items, cache.shapes, strict=True)]
        self._cache = None  # one backward per call, as the wrapped layers
        mode = self.merge_mode
        if mode is None:
            d_y, d_y_rev, d_states = grads[0], grads[1], grads[2:]
        else:
            d, d_states = grads[0], grads[1:]
            if mode == "concat":
                n = cache.y.shape[-1]
                d_y, d_y_rev = d[..., :n], d[..., n:]
            elif mode == "sum":
                d_y = d_y_rev = d
            elif mode == "ave":
                d_y = d_y_rev = d * self.dtype.type(0.5)
            else:  # mul
                d_y, d_y_rev = d * cache.y_rev, d * cache.y
        if self.return_sequences:
            d_y_rev = d_y_rev[:, ::-1]  # back to the backward layer's processing order
        if self.return_state:
            n_fw = len(self.forward_layer._state_names)
            d_fw = [d_y, *d_states[:n_fw]]
            d_bw = [d_y_rev, *d_states[n_fw:]]
        else:
            d_fw, d_bw = d_y, d_y_rev
        r_fw = self.forward_layer.backward(d_fw, input_gradient=input_gradient)
        r_bw = self.backward_layer.backward(d_bw, input_gradient=input_gradient)
        if cache.has_initial_state:
            (d_x_fw, *d_init_fw), (d_x_bw, *d_init_bw) = r_fw, r_bw
        else:
            d_x_fw, d_init_fw, d_x_bw, d_init_bw = r_fw, [], r_bw, []
        d_x = None if d_x_fw is None else d_x_fw + d_x_bw
        if cache.has_initial_state:
            return [d_x, *d_init_fw, *d_init_bw]
        return d_x

    # ------------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> Any:
        """The merged output shape; a list with ``return_state`` or ``merge_mode=None``."""
        fw_shape = self.forward_layer.compute_output_shape(input_shape)
        bw_shape = self.backward_layer.compute_output_shape(input_shape)
        if self.return_state:
            fw_out, fw_states = fw_shape[0], list(fw_shape[1:])
            bw_out, bw_states = bw_shape[0], list(bw_shape[1:])
        else:
            fw_out, fw_states, bw_out, bw_states = fw_shape, [], bw_shape, []
        if self.merge_mode is None:
            outputs = [fw_out, bw_out]
        elif self.merge_mode == "concat":
            outputs = [(*fw_out[:-1], fw_out[-1] + bw_out[-1])]
        else:
            outputs = [fw_out]
        shapes = [*outputs, *fw_states, *bw_states]
        return shapes if len(shapes) > 1 else shapes[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask for the output sequence(s) with ``return_sequences``; None for states."""
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(self.forward_layer._state_names) + len(self.backward_layer._state_names)
            masks += [None] * count
        return masks if len(masks) > 1 else masks[0]

    # ------------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON (``weights`` is not part of it)."""
        config = super().get_config()
        config["layer"] = self._layer_config
        config["merge_mode"] = self.merge_mode
        if self._backward_config is not None:
            config["backward_layer"] = self._backward_config
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        """Create the wrapper (and its layers) from :meth:`get_config` output."""
        config = dict(config)
        owner = cls.__name__
        layer = deserialize_layer(config.pop("layer", None), owner=owner, name="layer")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize_layer(backward, owner=owner, name="backward_layer")
        return cls(layer, backward_layer=backward, **config)


# ---------------------------------------------------------------- TimeDistributed
class TimeDistributed(_Wrapper):
    """Applies a layer to every time step: ``output[:, t] = layer(inputs[:, t])``.

    Time is folded into the batch (``(batch * time, ...)``), so the inner layer runs once
    with the same weights for every step. Its activity penalty is therefore divided by
    ``batch * time``, as in Keras 2.

    Args:
        layer: A layer with one output (e.g. :class:`~rnnkit.layers.Dense`); used as is.
        **kwargs: ``name``, ``dtype`` (must be the layer's), ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, time, ...)``, what the inner layer takes with time removed.
        training: Passed to the inner layer.
        mask: Bool ``(batch, time)``; not used by the computation, passed on unchanged.

    Returns:
        ``(batch, time, ...)``: the inner layer's output per step.

    Weights: the inner layer's (the same arrays).

    >>> import numpy as np
    >>> from rnnkit.layers import Dense
    >>> TimeDistributed(Dense(2))(np.ones((3, 4, 5))).shape
    (3, 4, 2)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        owner = type(self).__name__
        kwargs = layer_kwargs(owner, kwargs)
        if not isinstance(layer, Layer):
            raise ArgumentTypeError(argument_message(owner, "layer", "an rnnkit layer", layer))
        if getattr(layer, "return_state", False):
            raise ArgumentError(
                f"{owner}: the wrapped layer must have one output; set return_state=False."
            )
        dtype = _owned_dtype(owner, kwargs, layer.dtype)
        if dtype != layer.dtype.name:
            raise ArgumentError(
                f"{owner}: dtype {dtype} differs from the wrapped layer's {layer.dtype.name}; "
                "set the dtype on the wrapped layer."
            )
        trainable = kwargs.pop("trainable", None)
        super().__init__(dtype=dtype, **kwargs)
        self.layer = layer
        self._wrap(layer, trainable=trainable)
        self.params = layer.params  # the same dicts: builds of the inner layer show here
        self.grads = layer.grads

    def _inner_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ShapeError(
                f"{self._owner} expects input of shape (batch, time, ...) with at least 3 "
                f"axes; got {shape}."
            )
        batch, steps = shape[0], shape[1]
        folded = None if batch is None or steps is None else batch * steps
        return (folded, *shape[2:])

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build the inner layer (if not built yet) for ``(batch * time, ...)``."""
        inner = self._inner_shape(input_shape)
        if not self.layer.built:
            self.layer.build(inner)
        self.built = True

    @property
    def losses(self) -> list[float]:
        """The inner layer's penalties."""
        return self.layer.losses

    def apply_constraints(self) -> None:
        """Project the inner layer's constrained weights in place."""
        self.layer.apply_constraints()

    @property
    def sparse_rows(self) -> np.ndarray | None:
        """The inner layer's ``sparse_rows`` (an Embedding's touched rows), else None."""
        return getattr(self.layer, "sparse_rows", None)

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        try:
            x = np.asarray(inputs)
        except (TypeError, ValueError) as error:
            raise ArgumentTypeError(
                argument_message(self._owner, "inputs", "a numeric array", inputs)
            ) from error
        self._inner_shape(x.shape)
        batch, steps = x.shape[:2]
        check_time_mask(self._owner, mask, batch, steps)
        if not self.built:
            self.build(x.shape)
        out = self.layer(x.reshape(batch * steps, *x.shape[2:]), training=training)
        result = out.reshape(batch, steps, *out.shape[1:])  # (B, T, ...)
        if training:
            self._cache = SimpleNamespace(inner=out.shape, shape=result.shape, batch=batch)
        else:
            self._cache = None
        return result

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Run the inner layer's backward on the folded gradient; return ``d inputs``."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.shape)
        d_x = self.layer.backward(d_out.reshape(cache.inner), input_gradient=input_gradient)
        if d_x is None:
            return None
        return d_x.reshape(cache.batch, cache.shape[1], *d_x.shape[1:])

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, time, *inner output shape without its batch axis)``."""
        inner = self.layer.compute_output_shape((None, *self._inner_shape(input_shape)[1:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def compute_mask(self, inputs: Any, mask: Any = None) -> np.ndarray | None:
        """The input mask, unchanged."""
        return mask

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TimeDistributed:
        """Create the wrapper (and its layer) from :meth:`get_config` output."""
        config = dict(config)
        layer = deserialize_layer(config.pop("layer", None), owner=cls.__name__, name="layer")
        return cls(layer, **config)


__all__ = ["Bidirectional", "TimeDistributed", "deserialize_layer", "serialize_layer"]
