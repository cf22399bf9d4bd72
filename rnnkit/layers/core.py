"""Core layers: Dense, Embedding, Activation, Dropout, SpatialDropout1D, Masking, Flatten.

Each follows the contract of :mod:`rnnkit.layers.base`: construction validates, ``build``
creates the Keras-named parameters, a training call keeps one cache for ``backward``,
``backward`` returns the input gradient and writes the parameter gradients in place.

The helpers at the top (extra keyword arguments, input and mask checks, activations
including ``"softmax"``) are shared with :mod:`rnnkit.layers.convolutional` and
:mod:`rnnkit.layers.wrappers`.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from rnnkit import activations, kernels
from rnnkit import constraints as constraints_module
from rnnkit import initializers as initializers_module
from rnnkit import regularizers as regularizers_module
from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NotBuiltError,
    ShapeError,
    argument_message,
    describe,
)
from rnnkit.kernels.blas import matmul
from rnnkit.layers.base import Layer, serialize_object
from rnnkit.validation import (
    all_finite,
    check_bool,
    check_choice,
    check_positive_int,
    check_rate,
    check_real,
    check_seed,
    finite_inputs_checked,
)

# ------------------------------------------------------------------------- helpers
BASE_KWARGS = frozenset(
    {"name", "dtype", "trainable", "input_shape", "batch_input_shape", "batch_size"}
)


def layer_kwargs(owner: str, kwargs: dict[str, Any], *, input_dim: bool = False) -> dict[str, Any]:
    """Check the extra keyword arguments of a layer and return those for ``Layer.__init__``.

    With ``input_dim=True`` the Keras 2 shorthand ``input_dim=n`` becomes ``input_shape=(n,)``.
    """
    kwargs = dict(kwargs)
    allowed = set(BASE_KWARGS) | ({"input_dim"} if input_dim else set())
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ArgumentTypeError(
            f"{owner}: unrecognized keyword argument(s) {', '.join(unknown)}. "
            f"Valid extra arguments: {', '.join(sorted(allowed))}."
        )
    dim = kwargs.pop("input_dim", None)
    if dim is not None:
        if "input_shape" in kwargs or "batch_input_shape" in kwargs:
            raise ArgumentError(
                f"{owner}: give either `input_dim` or `input_shape` / `batch_input_shape`, "
                "not both."
            )
        kwargs["input_shape"] = (check_positive_int(owner, "input_dim", dim),)
    return kwargs


def check_training(owner: str, training: Any) -> bool:
    """``training`` as a bool (None means False, as in Keras 3)."""
    return False if training is None else check_bool(owner, "training", training)


def float_input(
    layer: Layer,
    inputs: Any,
    *,
    shape_text: str,
    min_ndim: int = 1,
    ndim: int | None = None,
    hint: str = "",
) -> np.ndarray:
    """``inputs`` as a finite, non-empty array of the layer's dtype, or a clear error."""
    owner = layer._owner
    try:
        x = np.asarray(inputs)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(
            argument_message(owner, "inputs", "a numeric array", inputs)
        ) from error
    if x.dtype.kind not in "biuf":
        raise ArgumentTypeError(argument_message(owner, "inputs", "a real numeric array", x))
    if (ndim is not None and x.ndim != ndim) or x.ndim < min_ndim:
        message = f"{owner} expects input of shape {shape_text}; got {x.shape}."
        raise ShapeError(f"{message} {hint}" if hint else message)
    if x.size == 0:
        raise ShapeError(f"{owner}: input must not be empty; got shape {x.shape}.")
    with np.errstate(over="ignore"):  # beyond the dtype's range: inf, refused just below
        x = np.asarray(x, dtype=layer.dtype)
    if finite_inputs_checked() and not all_finite(x):
        raise ArgumentError(f"{owner}: inputs contain NaN or infinity; clean the data first.")
    return x


def check_time_mask(owner: str, mask: Any, batch: int, steps: int) -> np.ndarray | None:
    """A ``(batch, time)`` mask as bools (True = valid step); None if absent or all valid."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != (batch, steps):
        raise ShapeError(
            f"{owner}: mask must have shape (batch, time) = {(batch, steps)}; got {m.shape}."
        )
    if m.dtype != np.bool_:
        if not np.issubdtype(m.dtype, np.number) or not np.isin(m, (0, 1)).all():
            raise ArgumentError(argument_message(owner, "mask", "booleans (or 0/1)", m))
        m = m.astype(np.bool_)
    return None if m.all() else m


def require_cache(layer: Layer) -> Any:
    """The layer's training cache, or the error saying a training call must come first."""
    if layer._cache is None:
        raise NotBuiltError(
            f"{layer._owner}: backward() needs a preceding call with training=True."
        )
    return layer._cache


def output_gradient(layer: Layer, d_output: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``d_output`` as an array of the layer's dtype and the output's ``shape``."""
    try:
        d = np.asarray(d_output, dtype=layer.dtype)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(
            argument_message(layer._owner, "d_output", "a numeric array", d_output)
        ) from error
    if d.shape != tuple(shape):
        raise ShapeError(
            f"{layer._owner}: output gradient must have shape {tuple(shape)}; "
            f"got {describe(d_output)}."
        )
    return d


def check_int_tuple(owner: str, name: str, value: Any) -> int:
    """An int, or a tuple / list holding one int (the Keras 1-D convention), as an int >= 1."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ArgumentError(
                argument_message(owner, name, "a positive integer or a tuple of one", value)
            )
        value = value[0]
    return check_positive_int(owner, name, value)


def check_data_format(owner: str, data_format: Any) -> str:
    """``"channels_last"`` (also for None, the Keras default) or ``"channels_first"``."""
    if data_format is None:
        return "channels_last"
    return check_choice(owner, "data_format", data_format, ("channels_last", "channels_first"))


# -------------------------------------------------------------------- activations
class _Softmax:
    """Softmax over the last axis, for the non-recurrent layers only.

    It is not an :class:`rnnkit.activations.Activation`: it has no kernel code (it is not
    elementwise), so the recurrent layers keep refusing it.
    """

    name = "softmax"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Softmax of ``x`` over its last axis."""
        e = np.exp(x - x.max(axis=-1, keepdims=True))  # shifted: no overflow
        return e / e.sum(axis=-1, keepdims=True)

    def __repr__(self) -> str:
        return "<Activation softmax>"


softmax = _Softmax()


def get_activation(identifier: Any, owner: str) -> Any:
    """An :mod:`rnnkit.activations` object, or :data:`softmax`, from a name / object / None."""
    if identifier is softmax or (isinstance(identifier, str) and identifier == "softmax"):
        return softmax
    if isinstance(identifier, str) and identifier not in activations.names():
        expected = "one of " + ", ".join((*activations.names(), "softmax"))
        raise ArgumentError(argument_message(owner, "activation", expected, identifier))
    return activations.get(identifier, owner=owner)


def apply_activation(activation: Any, z: np.ndarray) -> np.ndarray:
    """``activation(z)`` in ``z``'s dtype (``z`` itself for linear)."""
    if activation is activations.linear:
        return z
    with np.errstate(over="ignore", under="ignore"):  # exp overflow saturates correctly
        return np.asarray(activation(z), dtype=z.dtype)


def activation_backward(activation: Any, y: np.ndarray, d_y: np.ndarray) -> np.ndarray:
    """Gradient at the pre-activation ``z`` from ``y = activation(z)`` and ``d_y``.

    Elementwise: ``d_z = d_y * act'(z)``, with the derivative written through ``y``.
    Softmax (last axis): the Jacobian-vector product ``d_z = y * (d_y - sum(d_y * y))``.
    """
    if activation is activations.linear:
        return d_y
    if activation is softmax:
        return y * (d_y - np.sum(d_y * y, axis=-1, keepdims=True))
    return (d_y * activation.derivative_from_output(y)).astype(y.dtype, copy=False)


def get_initializer(owner: str, name: str, value: Any) -> Any:
    """Resolve constructor argument ``name`` of ``owner`` to an initializer (messages name both)."""
    return initializers_module.get(value, owner=owner, name=name)


def get_regularizer(owner: str, name: str, value: Any) -> Any:
    """Resolve constructor argument ``name`` of ``owner`` to a regularizer (messages name both)."""
    return regularizers_module.get(value, owner=owner, name=name)


def get_constraint(owner: str, name: str, value: Any) -> Any:
    """Resolve constructor argument ``name`` of ``owner`` to a constraint (messages name both)."""
    return constraints_module.get(value, owner=owner, name=name)


def _new_rng(seed: int | None) -> np.random.Generator:
    # Unseeded layers draw their seed from Python's `random`, as the recurrent layers do.
    return np.random.default_rng(seed if seed is not None else random.randint(1, int(1e9)))


# ------------------------------------------------------------------------- Dense
def set_kernel_options(layer: Layer, owner: str, **options: Any) -> None:
    """Check and set the options of a layer with a kernel and a bias (Dense, Conv1D).

    Sets ``activation``, ``use_bias`` and the ``kernel_*`` / ``bias_*`` initializers,
    regularizers and constraints, plus ``activity_regularizer``, from ``options``.
    """
    layer.activation = get_activation(options.pop("activation"), owner)
    layer.use_bias = check_bool(owner, "use_bias", options.pop("use_bias"))
    for name, value in options.items():
        if name.endswith("_initializer"):
            setattr(layer, name, get_initializer(owner, name, value))
        elif name.endswith("_regularizer"):
            setattr(layer, name, get_regularizer(owner, name, value))
        else:
            setattr(layer, name, get_constraint(owner, name, value))


class Dense(Layer):
    """Densely connected layer: ``output = activation(inputs @ kernel + bias)``.

    The product runs on the last axis, so ``(batch, time, features)`` inputs give
    ``(batch, time, units)`` with the same kernel at every step, as in Keras.

    Args:
        units: Output dimension.
        activation: A name, an :mod:`rnnkit.activations` object, ``"softmax"`` (last
            axis) or None (linear).
        use_bias: Whether to add ``bias``.
        kernel_initializer, bias_initializer: Initializers (names, objects, config dicts).
        kernel_regularizer, bias_regularizer, activity_regularizer: Regularizers or None;
            the activity penalty is divided by the batch size.
        kernel_constraint, bias_constraint: Constraints or None.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``, ``input_dim``.

    Call arguments:
        inputs: ``(batch, ..., features)``.
        training: Keep what :meth:`backward` needs.
        mask: Not used; passed on unchanged by :meth:`compute_mask`.

    Returns:
        ``(batch, ..., units)``.

    Weights: ``kernel`` (features, units), ``bias`` (units,).

    >>> import numpy as np
    >>> Dense(2, kernel_initializer="ones", bias_initializer="ones")(np.ones((1, 3)))
    array([[4., 4.]], dtype=float32)
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
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
        super().__init__(**layer_kwargs(owner, kwargs, input_dim=True))
        self.units = check_positive_int(owner, "units", units)
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
        self.input_dim: int | None = None

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create ``kernel`` (features, units) and ``bias`` (units,)."""
        shape = tuple(input_shape)
        if len(shape) < 2 or shape[-1] is None:
            raise ShapeError(
                f"{self._owner} expects input of shape (batch, ..., features) with a known "
                f"feature size; got {shape}."
            )
        features = check_positive_int(self._owner, "features (last input axis)", shape[-1])
        self._clear_weights()
        self.add_weight(
            "kernel",
            (features, self.units),
            self.kernel_initializer,
            self.kernel_regularizer,
            self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias", (self.units,), self.bias_initializer, self.bias_regularizer,
                self.bias_constraint,
            )  # fmt: skip
        self.input_dim = features
        self.built = True

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = float_input(
            self,
            inputs,
            shape_text="(batch, ..., features)",
            min_ndim=2,
            hint="Add a feature axis: x[:, None].",
        )
        if not self.built:
            self.build(x.shape)
        elif x.shape[-1] != self.input_dim:
            raise ShapeError(
                f"{self._owner} was built for {self.input_dim} input features; got input of "
                f"shape {x.shape} with {x.shape[-1]}."
            )
        flat = x.reshape(-1, self.input_dim)  # (N, F), N = batch * (other axes)
        z = matmul(flat, self.params["kernel"])  # (N, units)
        if self.use_bias:
            z += self.params["bias"]
        y = apply_activation(self.activation, z)  # (N, units)
        out = y.reshape(*x.shape[:-1], self.units)
        self._record_activity([out])
        self._cache = SimpleNamespace(x=flat, y=y, out=out, shape=x.shape) if training else None
        return out

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Set ``kernel`` / ``bias`` gradients; return ``d inputs`` (None if not asked).

        ``d_z = d_output * act'(z)``; ``d kernel = x^T @ d_z``; ``d bias = sum_rows d_z``;
        ``d x = d_z @ kernel^T``.
        """
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.out.shape)
        d_out = self._activity_gradient(d_out, cache.out)
        d_z = activation_backward(self.activation, cache.y, d_out.reshape(cache.y.shape))
        matmul(cache.x.T, d_z, out=self.grads["kernel"])  # (F, units)
        if self.use_bias:
            np.sum(d_z, axis=0, out=self.grads["bias"])
        self._add_regularizer_gradients()
        if not input_gradient:
            return None
        return matmul(d_z, self.params["kernel"].T).reshape(cache.shape)  # (..., F)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, ..., units)``."""
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            units=self.units,
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


# --------------------------------------------------------------------- Embedding
class Embedding(Layer):
    """Turns integer token ids into dense vectors: ``output = embeddings[ids]``.

    Args:
        input_dim: Vocabulary size: ids must lie in ``[0, input_dim)`` (with
            ``mask_zero=True`` id 0 is padding, so ``input_dim`` = vocabulary + 1).
        output_dim: Size of each vector.
        embeddings_initializer: Initializer of ``embeddings`` (default ``"uniform"``,
            U(-0.05, 0.05) as in Keras).
        embeddings_regularizer, activity_regularizer: Regularizers or None.
        embeddings_constraint: Constraint or None.
        mask_zero: Produce the mask ``ids != 0`` for the layers downstream.
        input_length: Fixed sequence length (Keras 2), checked at call time.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: Integer ids ``(batch, ...)``, usually ``(batch, time)``; floats holding
            whole numbers are accepted.
        training: Keep what :meth:`backward` needs.
        mask: Not used (the layer makes its own with ``mask_zero``).

    Returns:
        ``(batch, ..., output_dim)``.

    Sparse gradient:
        :meth:`backward` writes the gradient of ``embeddings`` into the dense array
        ``grads["embeddings"]`` (in place, as every layer does) but touches only the rows
        of the ids seen in the last training call: it first zeroes the rows it wrote the
        time before, then adds each output row's gradient to its id's row. The ids it
        wrote are in :attr:`sparse_rows` (sorted, unique, int), so an optimizer may
        update only those rows; every other row of the gradient is zero. This holds as
        long as nothing else writes non-zero values into the gradient outside
        ``sparse_rows``. With an ``embeddings_regularizer`` the gradient is dense and
        ``sparse_rows`` lists every row.

    >>> import numpy as np
    >>> layer = Embedding(10, 3, mask_zero=True)
    >>> ids = np.array([[4, 2, 0]])
    >>> layer(ids).shape, layer.compute_mask(ids).tolist()
    ((1, 3, 3), [[True, True, False]])
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        activity_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        kwargs = layer_kwargs(owner, kwargs)
        if input_length is not None:
            input_length = check_positive_int(owner, "input_length", input_length)
            if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
                kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(owner, "input_dim", input_dim)
        self.output_dim = check_positive_int(owner, "output_dim", output_dim)
        self.embeddings_initializer = get_initializer(
            owner, "embeddings_initializer", embeddings_initializer
        )
        self.embeddings_regularizer = get_regularizer(
            owner, "embeddings_regularizer", embeddings_regularizer
        )
        self.activity_regularizer = get_regularizer(
            owner, "activity_regularizer", activity_regularizer
        )
        self.embeddings_constraint = get_constraint(
            owner, "embeddings_constraint", embeddings_constraint
        )
        self.mask_zero = check_bool(owner, "mask_zero", mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length
        self.sparse_rows = np.zeros(0, dtype=np.intp)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Create ``embeddings`` (input_dim, output_dim); the input shape is not needed."""
        self._clear_weights()
        self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            self.embeddings_regularizer,
            self.embeddings_constraint,
        )
        self.sparse_rows = np.zeros(0, dtype=np.intp)
        self.built = True

    def _check_ids(self, inputs: Any) -> np.ndarray:
        owner = self._owner
        expected = "an array of integer token ids"
        try:
            ids = np.asarray(inputs)
        except (TypeError, ValueError) as error:
            raise ArgumentTypeError(argument_message(owner, "inputs", expected, inputs)) from error
        if ids.dtype.kind not in "iuf":
            raise ArgumentTypeError(argument_message(owner, "inputs", expected, ids))
        if ids.ndim < 1 or ids.size == 0:
            raise ShapeError(
                f"{owner} expects token ids of shape (batch, ...), usually (batch, time); "
                f"got shape {ids.shape}."
            )
        if ids.dtype.kind == "f" and not (np.isfinite(ids).all() and (ids == np.round(ids)).all()):
            raise ArgumentError(
                argument_message(owner, "inputs", "whole-number token ids", ids)
                + " Float inputs must hold whole numbers."
            )
        low, high = ids.min(), ids.max()
        if low < 0 or high >= self.input_dim:
            raise ArgumentError(
                f"{owner}: token ids must lie in [0, input_dim) = [0, {self.input_dim}); got "
                f"ids from {low:g} to {high:g}. Set input_dim to the vocabulary size (counting "
                "the padding id 0), e.g. num_words of the tokenizer."
            )
        if self.input_length is not None and ids.ndim >= 2 and ids.shape[1] != self.input_length:
            raise ShapeError(
                f"{owner} has input_length={self.input_length}; got input of shape {ids.shape}. "
                "Pad or truncate the sequences to that length, or leave input_length unset."
            )
        return ids.astype(np.intp, copy=False)

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        ids = self._check_ids(inputs)
        if not self.built:
            self.build(ids.shape)
        out = np.take(self.params["embeddings"], ids, axis=0)  # (*ids.shape, output_dim)
        self._record_activity([out])
        self._cache = SimpleNamespace(ids=ids.reshape(-1), out=out) if training else None
        return out

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> None:
        """Write the ``embeddings`` gradient (see the class notes); return None (integer inputs)."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.out.shape)
        d_out = self._activity_gradient(d_out, cache.out)
        grad = self.grads["embeddings"]
        grad[self.sparse_rows] = 0.0  # the only non-zero rows left from the last step
        d_rows = np.ascontiguousarray(d_out.reshape(-1, self.output_dim))  # (N, D)
        kernels.scatter_add_rows(cache.ids, d_rows, grad)
        if self.embeddings_regularizer is not None:
            self._add_regularizer_gradients()
            self.sparse_rows = np.arange(self.input_dim, dtype=np.intp)
        else:
            self.sparse_rows = np.unique(cache.ids)
        return None

    def compute_mask(self, inputs: Any, mask: Any = None) -> np.ndarray | None:
        """``inputs != 0`` with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(*input_shape, output_dim)`` (the time axis filled from ``input_length``)."""
        shape = list(input_shape)
        if self.input_length is not None and len(shape) >= 2 and shape[1] is None:
            shape[1] = self.input_length
        return (*shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=serialize_object(
                self.embeddings_initializer, initializers_module
            ),
            embeddings_regularizer=serialize_object(
                self.embeddings_regularizer, regularizers_module
            ),
            activity_regularizer=serialize_object(self.activity_regularizer, regularizers_module),
            embeddings_constraint=serialize_object(self.embeddings_constraint, constraints_module),
            mask_zero=self.mask_zero,
            input_length=self.input_length,
        )
        return config


# -------------------------------------------------------------------- Activation
class Activation(Layer):
    """Applies an activation function: ``output = activation(inputs)``.

    Args:
        activation: A name, an :mod:`rnnkit.activations` object, ``"softmax"`` (last
            axis) or None (linear).
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: Any shape ``(batch, ...)``. ``mask`` is passed on unchanged.

    Returns:
        The same shape.

    >>> import numpy as np
    >>> Activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.activation = get_activation(activation, owner)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = float_input(self, inputs, shape_text="(batch, ...)")
        self.built = True
        y = apply_activation(self.activation, x)
        self._cache = SimpleNamespace(y=y) if training else None
        return y

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d inputs = d_output * act'(inputs)`` (softmax: its Jacobian product)."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.y.shape)
        if not input_gradient:
            return None
        return activation_backward(self.activation, cache.y, d_out)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config["activation"] = self.activation.name
        return config


# ----------------------------------------------------------------------- Dropout
class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of the inputs while training.

    The kept inputs are scaled by ``1 / (1 - rate)``; at inference the layer is the identity.

    Args:
        rate: Fraction of the units to drop, in [0, 1).
        noise_shape: Shape of the keep mask, broadcast against the input; None entries
            take the input's size (e.g. ``(None, 1, None)`` shares the mask across time).
            None: one independent draw per input element.
        seed: Seed of the masks (None: drawn from Python's ``random`` at construction).
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: Any shape ``(batch, ...)``.
        training: Drop (a fresh mask at every call) and keep the mask for :meth:`backward`.
        mask: Passed on unchanged.

    Returns:
        The same shape.

    >>> import numpy as np
    >>> layer = Dropout(0.5, seed=0)
    >>> y = layer(np.ones((2, 4)), training=True)
    >>> set(y.ravel().tolist()) <= {0.0, 2.0}
    True
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.rate = check_rate(owner, "rate", rate)
        if noise_shape is not None:
            expected = "None or a sequence of positive integers / None"
            if isinstance(noise_shape, (str, bytes)) or not isinstance(noise_shape, Sequence):
                raise ArgumentTypeError(
                    argument_message(owner, "noise_shape", expected, noise_shape)
                )
            for size in noise_shape:
                if size is not None and (
                    isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1
                ):
                    raise ArgumentError(
                        argument_message(owner, "noise_shape", expected, noise_shape)
                    )
            noise_shape = tuple(None if s is None else int(s) for s in noise_shape)
        self.noise_shape = noise_shape
        self.seed = check_seed(owner, "seed", seed)
        self._rng = _new_rng(self.seed)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.noise_shape is None:
            return shape
        resolved = tuple(
            size if noise is None else noise
            for size, noise in zip(shape, self.noise_shape, strict=False)
        )
        if len(self.noise_shape) != len(shape) or any(
            n not in (1, s) for n, s in zip(resolved, shape, strict=True)
        ):
            raise ShapeError(
                f"{self._owner}: noise_shape {self.noise_shape} does not broadcast against "
                f"inputs of shape {shape}; each entry must be None, 1 or the input's size."
            )
        return resolved

    def _check(self, x: np.ndarray) -> None:
        """Extra input checks of subclasses."""

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = float_input(self, inputs, shape_text="(batch, ...)")
        self._check(x)
        self.built = True
        scale = None
        if training and self.rate > 0.0:
            keep = self._rng.random(self._mask_shape(x.shape), dtype=self.dtype) >= self.rate
            scale = keep * self.dtype.type(1.0 / (1.0 - self.rate))  # 0 or 1 / (1 - rate)
            out = x * scale
        else:
            out = x
        self._cache = SimpleNamespace(scale=scale, shape=x.shape) if training else None
        return out

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d inputs = d_output * mask`` (the mask of the last training call)."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.shape)
        if not input_gradient:
            return None
        return d_out if cache.scale is None else d_out * cache.scale

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            rate=self.rate,
            noise_shape=None if self.noise_shape is None else list(self.noise_shape),
            seed=self.seed,
        )
        return config


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels (noise shape ``(batch, 1, features)``).

    One keep decision per (sample, feature), shared by every time step.

    Args:
        rate: Fraction of the channels to drop, in [0, 1).
        seed: Seed of the masks (None: drawn from Python's ``random`` at construction).
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, time, features)``.

    Returns:
        The same shape.

    >>> import numpy as np
    >>> y = SpatialDropout1D(0.5, seed=1)(np.ones((2, 5, 3)), training=True)
    >>> bool((y == y[:, :1]).all())
    True
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **layer_kwargs(type(self).__name__, kwargs))

    def _check(self, x: np.ndarray) -> None:
        if x.ndim != 3:
            raise ShapeError(
                f"{self._owner} expects input of shape (batch, time, features); got {x.shape}."
            )

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (shape[0], 1, shape[2])

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        del config["noise_shape"]
        return config


# ----------------------------------------------------------------------- Masking
class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``.

    The output is the input with those steps set to 0, and :meth:`compute_mask` gives
    ``any(inputs != mask_value, axis=-1)`` (True = valid step) to the layers downstream.

    Args:
        mask_value: The padding value.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, time, features)`` (any rank >= 2; the last axis is features).

    Returns:
        The same shape.

    >>> import numpy as np
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]])
    >>> Masking().compute_mask(x).tolist()
    [[True, False]]
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.mask_value = check_real(owner, "mask_value", mask_value)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def _keep(self, x: np.ndarray) -> np.ndarray:
        return np.any(x != self.dtype.type(self.mask_value), axis=-1)  # (batch, time)

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = float_input(self, inputs, shape_text="(batch, time, features)", min_ndim=2)
        self.built = True
        keep = self._keep(x)[..., None]  # (batch, time, 1)
        self._cache = SimpleNamespace(keep=keep, shape=x.shape) if training else None
        return x * keep

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d inputs = d_output`` at valid steps, 0 at masked ones."""
        cache = require_cache(self)
        d_out = output_gradient(self, d_output, cache.shape)
        return d_out * cache.keep if input_gradient else None

    def compute_mask(self, inputs: Any, mask: Any = None) -> np.ndarray:
        """``any(inputs != mask_value, axis=-1)``; the incoming mask is replaced."""
        return self._keep(np.asarray(inputs, dtype=self.dtype))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


# ----------------------------------------------------------------------- Flatten
class Flatten(Layer):
    """Flattens every axis but the batch: ``(batch, d1, d2, ...)`` -> ``(batch, d1*d2*...)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``: with the latter
            the channel axis (1) is moved last before flattening, as Keras does, so the
            order of the flat features matches a channels-last model.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``.

    Call arguments:
        inputs: ``(batch, ...)``; a ``mask`` is accepted and consumed (not passed on).

    Returns:
        ``(batch, features)``; a 1-D input gives ``(batch, 1)``.

    >>> import numpy as np
    >>> Flatten()(np.zeros((2, 3, 4))).shape
    (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        owner = type(self).__name__
        super().__init__(**layer_kwargs(owner, kwargs))
        self.data_format = check_data_format(owner, data_format)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """No parameters."""
        self.built = True

    def _permutation(self, ndim: int) -> tuple[int, ...] | None:
        if self.data_format == "channels_first" and ndim >= 3:
            return (0, *range(2, ndim), 1)
        return None

    def __call__(self, inputs: Any, training: bool = False, mask: Any = None) -> np.ndarray:
        """Run the layer; the class docstring lists the arguments and the result."""
        training = check_training(self._owner, training)
        x = float_input(self, inputs, shape_text="(batch, ...)")
        self.built = True
        perm = self._permutation(x.ndim)
        moved = x if perm is None else x.transpose(perm)
        self._cache = SimpleNamespace(moved=moved.shape, perm=perm) if training else None
        return moved.reshape(x.shape[0], -1)  # (batch, features)

    def backward(self, d_output: Any, *, input_gradient: bool = True) -> np.ndarray | None:
        """Return ``d_output`` reshaped (and transposed back) to the input's shape."""
        cache = require_cache(self)
        batch = cache.moved[0]
        d_out = output_gradient(self, d_output, (batch, int(np.prod(cache.moved[1:]))))
        if not input_gradient:
            return None
        d_x = d_out.reshape(cache.moved)
        if cache.perm is not None:
            d_x = np.ascontiguousarray(d_x.transpose(np.argsort(cache.perm)))
        return d_x

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """``(batch, product of the other axes)`` (None if one is unknown)."""
        rest = tuple(input_shape)[1:]
        size = None if any(s is None for s in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """None: the mask does not survive flattening."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Masking",
    "SpatialDropout1D",
]
