"""Temporal convolution and pooling: Conv1D, MaxPooling1D, GlobalMax/AveragePooling1D.

Arrays are ``(batch, steps, channels)`` (``data_format="channels_last"``, the default);
``"channels_first"`` inputs ``(batch, channels, steps)`` are transposed on the way in and
out. Padding follows Keras / TensorFlow: ``"valid"`` uses whole windows only; ``"same"``
gives ``ceil(steps / strides)`` outputs and pads ``total // 2`` steps on the left, the
rest on the right; ``"causal"`` pads ``dilation_rate * (kernel_size - 1)`` steps on the
left, so output ``t`` sees no input after ``t``.

Conv1D is an im2col product: the windows of all outputs are gathered into one
``(batch * out_steps, kernel_size * channels)`` matrix, multiplied once by the kernel
``(kernel_size * channels, filters)``; the backward pass is the two transposed products
and a scatter-add of the window gradients (one strided add per kernel position).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from rnnkit.errors import ArgumentError, ShapeError, argument_message
from rnnkit.kernels.blas import matmul
from rnnkit.layers.base import Layer
from rnnkit.layers.core import (
    activation_backward,
    apply_activation,
    check_data_format,
    check_int_tuple,
    check_time_mask,
    check_training,
    float_input,
    layer_kwargs,
    output_gradient,
    require_cache,
    set_kernel_options,
)
from rnnkit.validation import check_bool, check_choice, check_positive_int

_TEMPORAL = "(batch, steps, channels)"


def _check_padding(owner: str, padding: Any, choices: tuple[str, ...]) -> str:
    if isinstance(padding, str):
        padding = padding.lower()
    return check_choice(owner, "padding", padding, choices)


def _geometry(
    padding: str, steps: int, window: int, stride: int, dilation: int
) -> tuple[int, int, int]:
    """``(pad_left, pad_right, out_steps)`` of a 1-D window sweep (Keras / TF rules)."""
    span = (window - 1) * dilation + 1
    if padding == "valid":
        return 0, 0, (steps - span) // stride + 1 if steps >= span else 0
    if padding == "same":
        out = -(-steps // stride)
        total = max((out - 1) * stride + span - steps, 0)
        return total // 2, total - total // 2, out
    return span - 1, 0, (steps - 1) // stride + 1  # causal


def _windows(
    xp: np.ndarray, window: int, stride: int, dilation: int, out_steps: int
) -> Iterator[tuple[int, np.ndarray]]:
    """``(j, view)`` with ``view[:, t] = xp[:, t * stride + j * dilation]``, t < out_steps."""
    stop = stride * (out_steps - 1) + 1
    for j in range(window):
        start = j * dilation
        yield j, xp[:, start : start + stop : stride]


def _pad(x: np.ndarray, left: int, right: int, value: float) -> np.ndarray:
    if left == 0 and right == 0:
        return x
    batch, steps, channels = x.shape
    xp = np.full((batch, left + steps + right, channels), value, dtype=x.dtype)
    xp[:, left : left + steps] = x
    return xp


class _Temporal(Layer):
    """Shared input handling of the 1-D layers: checks, and channels_first transposes."""

    data_format = "channels_last"

    def _temporal_input(self, inputs: Any) -> np.ndarray:
        """``inputs`` as ``(batch, steps, channels)`` of the layer's dtype."""
        text = _TEMPORAL if self.data_format == "channels_last" else "(batch, channels, steps)"
        x = float_input(
            self,
            inputs,
            shape_text=text,
            ndim=3,
            hint="Add a channel axis, or put an Embedding layer first.",
        )
        return x if self.data_format == "channels_last" else x.transpose(0, 2, 1)

    def _to_format(self, y: np.ndarray) -> np.ndarray:
        """A channels-last result in this layer's data format."""
        return y if self.data_format == "channels_last" else np.ascontiguousarray(y.swapaxes(1, 2))

    def _from_format(self, d: np.ndarray) -> np.ndarray:
        """A gradient in this layer's data format, channels-last."""
        return d if self.data_format == "channels_last" else d.swapaxes(1, 2)

    def _shape_last(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ShapeError(f"{self._owner} expects input of shape {_TEMPORAL}; got {shape}.")
        return shape if self.data_format == "channels_last" else (shape[0], shape[2], shape[1])


# ------------------------------------------------------------------------ Conv1D
class Conv1D(_Temporal):
    """1-D convolution over time (cross-correlation, as in Keras).

    For output step ``t`` and filter ``f``, with ``s = strides``, ``d = dilation_rate``
    and ``xp`` the padded input::

        out[b, t, f] = activation(bias[f] + sum_{j, c} xp[b, t*s + j*d, c] * kernel[j, c, f])

    Args:
        filters: Number of output channels.
        kernel_size: Window length (an int or a tuple of one int).
        strides: Step between windows (int or tuple of one).
        padding: ``"valid"``, ``"same"`` or ``"causal"`` (see the module notes).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing of the window taps (int or tuple of one); values > 1
            need ``strides=1``, as in Keras.
        groups: Only 1 (grouped convolutions are not implemented).
        activation: A name, an :mod:`rnnkit.activations` object, ``"softmax"`` or None.
        use_bias: Whether to add ``bias``.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: As :class:`Dense`.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, steps, channels)``.
        training: Keep what :meth:`backward` needs.
        mask: Accepted and not used; the output has no mask (Keras drops it too).

    Returns:
        ``(batch, out_steps, filters)``.

    Weights: ``kernel`` (kernel_size, channels, filters), ``bias`` (filters,).

    >>> import numpy as np
    >>> Conv1D(4, 3)(np.ones((2, 10, 5))).shape
    (2, 8, 4)
    >>> Conv1D(4, 3, strides=2, padding="same")(np.ones((2, 10, 5))).shape
    (2, 5, 4)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = "channels_last",
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.filters = check_positive_int(owner, "filters", filters)
        self.kernel_size = check_int_tuple(owner, "kernel_size", kernel_size)
        self.strides = check_int_tuple(owner, "strides", strides)
        self.padding = _check_padding(owner, padding, ("valid", "same", "causal"))
        self.data_format = check_data_format(owner, data_format)
        self.dilation_rate = check_int_tuple(owner, "dilation_rate", dilation_rate)
        if self.strides > 1 and self.dilation_rate > 1:
            raise ArgumentError(
                f"{owner}: `strides` > 1 cannot be combined with `dilation_rate` > 1; got "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}."
            )
        if check_positive_int(owner, "groups", groups) != 1:
            raise ArgumentError(
                argument_message(owner, "groups", "1 (grouped convolutions are not implemented)",
                                 groups)
            )  # fmt: skip
        self.groups = 1
        set_kernel_options(
            self,
            owner,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
        )
        self.input_channels: int | None = None

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create ``kernel`` (kernel_size, channels, filters) and ``bias`` (filters,)."""
        shape = self._shape_last(input_shape)
        if shape[-1] is None:
            raise ShapeError(f"{self._owner} needs a known number of input channels; got {shape}.")
        channels = check_positive_int(self._owner, "input channels", shape[-1])
        self._clear_weights()
        self.add_weight(
            "kernel",
            (self.kernel_size, channels, self.filters),
            self.kernel_initializer,
            self.kernel_regularizer,
            self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                self.bias_constraint,
            )  # fmt: skip
        self.input_channels = channels
        self.built = True

    def _out_steps(self, steps: int) -> int:
        return _geometry(self.padding, steps, self.kernel_size, self.strides, self.dilation_rate)[2]

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = self._temporal_input(inputs)  # (B, L, C)
        batch, steps, channels = x.shape
        if not self.built:
            self.build(self._to_format(x).shape)
        elif channels != self.input_channels:
            raise ShapeError(
                f"{self._owner} was built for {self.input_channels} input channels; got input "
                f"with {channels}."
            )
        k, stride, dilation = self.kernel_size, self.strides, self.dilation_rate
        left, right, out_steps = _geometry(self.padding, steps, k, stride, dilation)
        if out_steps < 1:
            raise ShapeError(
                f"{self._owner}: input of {steps} steps is shorter than the kernel span "
                f"{(k - 1) * dilation + 1} (kernel_size={k}, dilation_rate={dilation}). Use "
                "padding='same' or 'causal', or longer sequences."
            )
        xp = _pad(x, left, right, 0.0)  # (B, Lp, C)
        cols = np.empty((batch, out_steps, k, channels), self.dtype)  # (B, Lo, K, C)
        for j, view in _windows(xp, k, stride, dilation, out_steps):
            cols[:, :, j] = view
        cols = cols.reshape(batch * out_steps, k * channels)  # (B*Lo, K*C)
        z = matmul(cols, self.params["kernel"].reshape(k * channels, self.filters))  # (B*Lo, F)
        if self.use_bias:
            z += self.params["bias"]
        y = apply_activation(self.activation, z)
        out = self._to_format(y.reshape(batch, out_steps, self.filters))
        self._record_activity([out])
        if training:
            self._cache = SimpleNamespace(
                cols=cols, y=y, out=out, x_shape=x.shape, padded=xp.shape[1], left=left
            )
        else:
            self._cache = None
        return out

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Set ``kernel`` / ``bias`` gradients; return ``d inputs`` (None if not asked).

        With ``d_z`` the gradient at the pre-activations ``(B*Lo, F)``:
        ``d kernel = cols^T @ d_z``, ``d cols = d_z @ kernel^T``, and each window
        position's slice of ``d cols`` is added back onto the padded input's steps.
        """
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.out.shape)
        d_out = self._from_format(self._activity_gradient(d_out, cache.out))  # (B, Lo, F)
        batch, steps, channels = cache.x_shape
        k, out_steps = self.kernel_size, d_out.shape[1]
        d_z = activation_backward(self.activation, cache.y, d_out.reshape(cache.y.shape))
        matmul(cache.cols.T, d_z, out=self.grads["kernel"].reshape(k * channels, self.filters))
        if self.use_bias:
            np.sum(d_z, axis=0, out=self.grads["bias"])
        self._add_regularizer_gradients()
        if not input_gradient:
            return None
        kernel = self.params["kernel"].reshape(k * channels, self.filters)
        d_cols = matmul(d_z, kernel.T).reshape(batch, out_steps, k, channels)
        d_xp = np.zeros((batch, cache.padded, channels), self.dtype)
        for j, view in _windows(d_xp, k, self.strides, self.dilation_rate, out_steps):
            view += d_cols[:, :, j]
        d_x = d_xp[:, cache.left : cache.left + steps]
        return np.ascontiguousarray(self._to_format(d_x))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, out_steps, filters)`` (channels_first: ``(batch, filters, out_steps)``)."""
        batch, steps, _ = self._shape_last(input_shape)
        out_steps = None if steps is None else self._out_steps(steps)
        if self.data_format == "channels_last":
            return (batch, out_steps, self.filters)
        return (batch, self.filters, out_steps)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """None: the convolution consumes the mask."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON (Keras tuple form for sizes)."""
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=[self.kernel_size],
            strides=[self.strides],
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=[self.dilation_rate],
            groups=self.groups,
            **self._config_of(
                "activation",
                "use_bias",
                "kernel_initializer",
                "bias_initializer",
                "kernel_regularizer",
                "bias_regularizer",
                "activity_regularizer",
                "kernel_constraint",
                "bias_constraint",
            ),
        )
        return config


# ------------------------------------------------------------------ MaxPooling1D
class MaxPooling1D(_Temporal):
    """Max over windows of ``pool_size`` steps, ``strides`` apart, per channel.

    Args:
        pool_size: Window length (int or tuple of one).
        strides: Step between windows (default: ``pool_size``).
        padding: ``"valid"`` or ``"same"`` (padded steps never win the max).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, steps, channels)``; a ``mask`` is accepted and consumed.

    Returns:
        ``(batch, out_steps, channels)``; ``out_steps = (steps - pool_size) // strides + 1``
        (valid) or ``ceil(steps / strides)`` (same).

    The gradient of each output goes to the step that won its window (the first one in
    a tie).

    >>> import numpy as np
    >>> MaxPooling1D(2)(np.arange(6.0).reshape(1, 6, 1))[0, :, 0]
    array([1., 3., 5.], dtype=float32)
    """

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = "channels_last",
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.pool_size = check_int_tuple(owner, "pool_size", pool_size)
        self.strides = (
            self.pool_size if strides is None else check_int_tuple(owner, "strides", strides)
        )
        self.padding = _check_padding(owner, padding, ("valid", "same"))
        self.data_format = check_data_format(owner, data_format)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = self._temporal_input(inputs)  # (B, L, C)
        self.built = True
        steps = x.shape[1]
        left, right, out_steps = _geometry(self.padding, steps, self.pool_size, self.strides, 1)
        if out_steps < 1:
            raise ShapeError(
                f"{self._owner}: input of {steps} steps is shorter than pool_size="
                f"{self.pool_size}. Use padding='same' or longer sequences."
            )
        xp = _pad(x, left, right, -np.inf)  # (B, Lp, C)
        out = arg = None
        for j, view in _windows(xp, self.pool_size, self.strides, 1, out_steps):
            if j == 0:
                out = view.copy()  # (B, Lo, C)
                arg = np.zeros(out.shape, np.intp)  # winning window position
            else:
                better = view > out
                np.copyto(out, view, where=better)
                arg[better] = j
        result = self._to_format(out)
        if training:
            self._cache = SimpleNamespace(
                arg=arg, out=result, x_shape=x.shape, padded=xp.shape[1], left=left
            )
        else:
            self._cache = None
        return result

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d inputs``: each output's gradient at the step that won its window."""
        cache = require_cache(self)
        d_out = self._from_format(output_gradient(self, d_output, cache.out.shape))
        if not input_gradient:
            return None
        batch, steps, channels = cache.x_shape
        out_steps = d_out.shape[1]
        d_xp = np.zeros((batch, cache.padded, channels), self.dtype)
        for j, view in _windows(d_xp, self.pool_size, self.strides, 1, out_steps):
            view += np.where(cache.arg == j, d_out, 0.0)
        d_x = d_xp[:, cache.left : cache.left + steps]
        return np.ascontiguousarray(self._to_format(d_x))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, out_steps, channels)`` (channels_first: ``(batch, channels, out_steps)``)."""
        batch, steps, channels = self._shape_last(input_shape)
        out_steps = (
            None
            if steps is None
            else _geometry(self.padding, steps, self.pool_size, self.strides, 1)[2]
        )
        if self.data_format == "channels_last":
            return (batch, out_steps, channels)
        return (batch, channels, out_steps)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """None: pooling consumes the mask."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON (Keras tuple form for sizes)."""
        config = super().get_config()
        config.update(
            pool_size=[self.pool_size],
            strides=[self.strides],
            padding=self.padding,
            data_format=self.data_format,
        )
        return config


# --------------------------------------------------------------- global pooling
class _GlobalPooling1D(_Temporal):
    """Shared part of the global pooling layers: mask-aware reductions over the steps."""

    supports_masking = True

    def __init__(
        self, data_format: str | None = "channels_last", keepdims: bool = False, **kwargs: Any
    ) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.data_format = check_data_format(owner, data_format)
        self.keepdims = check_bool(owner, "keepdims", keepdims)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def _pool(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, Any]:
        raise NotImplementedError  # pragma: no cover

    def _unpool(self, d: np.ndarray, cache: Any) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = self._temporal_input(inputs)  # (B, L, C)
        self.built = True
        time_mask = check_time_mask(self._owner, mask, x.shape[0], x.shape[1])
        pooled, saved = self._pool(x, time_mask)  # (B, C)
        out = pooled
        if self.keepdims:
            out = pooled[:, None, :] if self.data_format == "channels_last" else pooled[:, :, None]
        self._cache = SimpleNamespace(saved=saved, out=out, x_shape=x.shape) if training else None
        return out

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d inputs`` (see the class docstring for where the gradient goes)."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.out.shape)
        if not input_gradient:
            return None
        d_x = self._unpool(d_out.reshape(cache.x_shape[0], cache.x_shape[2]), cache)  # (B, L, C)
        return self._to_format(d_x)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, channels)``; with ``keepdims`` the step axis stays with size 1."""
        batch, _, channels = self._shape_last(input_shape)
        if not self.keepdims:
            return (batch, channels)
        return (batch, 1, channels) if self.data_format == "channels_last" else (batch, channels, 1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """None: pooling over time consumes the mask."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Average over the time steps, or over the valid steps when a mask is given.

    ``out[b] = sum_t mask[b, t] * x[b, t] / sum_t mask[b, t]`` (Keras); a row with no valid
    step gives zeros (Keras divides 0 by 0 there).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the step axis with size 1.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, steps, channels)``.
        mask: Bool ``(batch, steps)``, True where a step is valid.

    Returns:
        ``(batch, channels)``.

    >>> import numpy as np
    >>> x = np.array([[[1.0], [3.0], [8.0]]])
    >>> GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
    array([[2.]], dtype=float32)
    """

    def _pool(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, Any]:
        steps = x.shape[1]
        if mask is None:
            weights = np.full((x.shape[0], steps), 1.0 / steps, self.dtype)  # (B, L)
        else:
            counts = np.maximum(mask.sum(axis=1, keepdims=True), 1)
            weights = (mask / counts).astype(self.dtype)
        return np.sum(x * weights[:, :, None], axis=1), weights  # (B, C)

    def _unpool(self, d: np.ndarray, cache: Any) -> np.ndarray:
        return cache.saved[:, :, None] * d[:, None, :]


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over the time steps, or over the valid steps when a mask is given.

    A row with no valid step gives zeros. Masks go beyond Keras: Keras 3 takes the max
    over every step whatever the mask, and Keras 2 refuses a mask here.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the step axis with size 1.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, steps, channels)``.
        mask: Bool ``(batch, steps)``, True where a step is valid.

    Returns:
        ``(batch, channels)``. The gradient goes to the winning step (the first in a tie).

    >>> import numpy as np
    >>> x = np.array([[[1.0], [3.0], [8.0]]])
    >>> GlobalMaxPooling1D()(x, mask=np.array([[True, True, False]]))
    array([[3.]], dtype=float32)
    """

    def _pool(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, Any]:
        xm = x if mask is None else np.where(mask[:, :, None], x, -np.inf)
        arg = np.argmax(xm, axis=1)  # (B, C)
        out = np.take_along_axis(x, arg[:, None, :], axis=1)[:, 0]  # (B, C)
        valid = None
        if mask is not None:
            valid = mask.any(axis=1)  # (B,)
            out[~valid] = 0.0
        return out, (arg, valid)

    def _unpool(self, d: np.ndarray, cache: Any) -> np.ndarray:
        arg, valid = cache.saved
        batch, steps, channels = cache.x_shape
        if valid is not None:
            d = d * valid[:, None]
        d_x = np.zeros((batch, steps, channels), self.dtype)
        np.put_along_axis(d_x, arg[:, None, :], d[:, None, :], axis=1)
        return d_x


__all__ = ["Conv1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "MaxPooling1D"]
