"""Losses with Keras 3 names, formulas and reduction, and their exact gradients.

A loss maps labels ``y_true`` and predictions ``y_pred`` to per-sample losses
``l`` (:meth:`Loss.per_sample`, shape ``y_pred.shape[:-1]``: ``(batch,)``, or
``(batch, time)`` for sequence outputs), then to one number with Keras's default
reduction ``"sum_over_batch_size"``::

    loss = sum(w * l) / l.size          # w: sample weights, 1 when not given

(Keras 3 divides by the number of per-sample losses, not by ``sum(w)``.) The
per-sample losses, with ``K`` the size of the last axis of ``y_pred``,
``eps = 1e-7`` and ``clip(p) = min(max(p, eps), 1 - eps)``::

    BinaryCrossentropy       l = mean_K(-(t log clip(p) + (1 - t) log(1 - clip(p))))
                             logits x:  l = mean_K(max(x, 0) - x t + log(1 + exp(-|x|)))
                             label smoothing s:  t <- t (1 - s) + s / 2
    CategoricalCrossentropy  l = -sum_K(t log clip(p / sum_K(p)))
                             logits x:  l = -sum_K(t log_softmax(x))
                             label smoothing s:  t <- t (1 - s) + s / K
    SparseCategorical...     CategoricalCrossentropy of the one-hot labels
    MeanSquaredError         l = mean_K((t - p)**2)
    MeanAbsoluteError        l = mean_K(|t - p|)

:meth:`Loss.gradient` returns ``d loss / d y_pred`` of exactly that function:
the clip contributes its derivative (zero where it is active, as in PyTorch's
``clamp``), the normalisation ``p / sum_K(p)`` its Jacobian, and ``|.|`` the
subgradient ``sign`` (0 at a tie). :meth:`Loss.value_and_gradient` gives both from
one pass, for training.

Shapes. ``y_pred`` of shape ``(batch,)`` is treated as ``(batch, 1)``. Labels for the
element-wise losses (binary cross-entropy, MSE, MAE) have ``y_pred``'s shape, or that
shape without a last axis of size 1 (``(batch,)`` labels for a ``(batch, 1)``
output); categorical cross-entropy takes one-hot labels of ``y_pred``'s shape, the
sparse one integer labels of shape ``y_pred.shape[:-1]`` (a trailing axis of size 1
is allowed). Sample weights have the shape of the per-sample losses or a prefix of
it (``(batch,)`` weights for ``(batch, time)`` losses weight each whole sequence; a
trailing axis of size 1 is dropped), or are a scalar.

Differences from Keras, on purpose: a 1-D ``y_pred`` gives one loss per sample
(Keras averages a 1-D output into one number before weighting it), ``(batch,)``
sample weights broadcast over the time axis of sequence losses (where Keras
broadcasts from the right), and shapes that do not fit raise
:class:`~rnnkit.errors.ShapeError` instead of broadcasting. Logits go through the
stable formulas of Keras's TensorFlow, JAX and PyTorch backends.

Computations run in the prediction's dtype: float32 stays float32, float64 stays
float64, anything else becomes float64.

>>> import numpy as np
>>> bce = BinaryCrossentropy()
>>> y_true = np.array([[0, 1], [0, 0]])
>>> y_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
>>> bce.per_sample(y_true, y_pred).round(4)
array([0.9163, 0.7136])
>>> round(bce(y_true, y_pred), 4), round(bce(y_true, y_pred, sample_weight=[1, 0]), 4)
(0.8149, 0.4581)
>>> bce.gradient(y_true, y_pred).round(4)
array([[ 0.625 , -0.625 ],
       [ 0.4167,  0.625 ]])
>>> scce = get("sparse_categorical_crossentropy")
>>> round(scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
1.1769
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from rnnkit import registry
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError, argument_message
from rnnkit.validation import check_bool, check_choice, check_real

EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: probabilities are clipped to ``[EPSILON, 1 - EPSILON]``."""

_REDUCTIONS = ("sum_over_batch_size", "mean", "sum")


def _prediction(owner: str, y_pred: ArrayLike) -> np.ndarray:
    """``y_pred`` as a float32 or float64 array with a non-empty batch axis."""
    array = np.asarray(y_pred)
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError(
            argument_message(owner, "y_pred", "an array of real numbers", y_pred)
        )
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if array.ndim == 0 or array.shape[0] == 0:
        raise ShapeError(
            f"{owner}: `y_pred` must have shape (batch, ...) with batch >= 1; got shape "
            f"{array.shape}. Pass one prediction per sample along the first axis."
        )
    return array


def _labels(owner: str, y_true: ArrayLike) -> np.ndarray:
    array = np.asarray(y_true)
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError(
            argument_message(owner, "y_true", "an array of real numbers", y_true)
        )
    return array


def _mismatch(owner: str, y_true: np.ndarray, y_pred: np.ndarray, expected: str, fix: str) -> str:
    return (
        f"{owner}: `y_true` of shape {y_true.shape} does not fit `y_pred` of shape "
        f"{y_pred.shape}; {expected}. {fix}"
    )


def check_sample_weight(
    owner: str, sample_weight: ArrayLike | None, shape: tuple[int, ...], dtype: Any
) -> np.ndarray | None:
    """Validate sample weights for values of ``shape``; drop a trailing axis of size 1.

    Weights apply from the left: ``(batch,)`` weights for ``(batch, time)`` values
    weight each whole sequence, ``(batch, time)`` weights each step.

    Args:
        owner: Who asks, for error messages.
        sample_weight: None, a scalar, or an array whose shape is a prefix of ``shape``,
            possibly with one extra trailing axis of size 1; one element (shape
            ``(1,)``) weights every sample alike (it becomes ``shape[:1]``).
        shape: Shape of the values to weight, such as the per-sample losses.
        dtype: Float dtype of the result.

    Returns:
        None for None, else an array of ``dtype`` whose shape is ``shape[:d]`` for some
        ``d`` (pad it with ``d`` trailing 1s to broadcast it against the values).

    Raises:
        ArgumentTypeError: non-numeric weights.
        ArgumentError: weights that are not finite.
        ShapeError: weights whose shape does not fit ``shape``.
    """
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight)
    if weight.dtype.kind not in "biuf":
        raise ArgumentTypeError(
            argument_message(
                owner, "sample_weight", "None or an array of real numbers", sample_weight
            )
        )
    weight = weight.astype(dtype, copy=False)
    if not np.all(np.isfinite(weight)):
        raise ArgumentError(
            argument_message(owner, "sample_weight", "finite numbers", sample_weight)
        )
    given = weight.shape
    while weight.ndim and weight.shape != shape[: weight.ndim] and weight.shape[-1] == 1:
        weight = weight[..., 0]
    if weight.ndim == 0 and given and shape:
        # (1,) or (1, 1) is one weight for every sample (Keras broadcasts it); a 0-d
        # weight would count the whole batch as one sample in the averaging metrics.
        weight = np.broadcast_to(weight, shape[:1])
    if weight.shape != shape[: weight.ndim]:
        per_value = f" or {shape} (one per value)" if len(shape) > 1 else ""
        raise ShapeError(
            f"{owner}: `sample_weight` of shape {given} does not fit per-sample values of "
            f"shape {shape}; it must be a scalar or have shape {shape[:1]} (one weight per "
            f"sample){per_value}. Pass one weight per sample."
        )
    return weight


def _clip_bounds(dtype: np.dtype) -> tuple[np.floating, np.floating]:
    # 1 - 1e-7 rounded to the dtype, as `torch.clip(x, eps, 1.0 - eps)` does.
    return dtype.type(EPSILON), dtype.type(1.0 - EPSILON)


def _categorical(
    t: np.ndarray, p: np.ndarray, from_logits: bool, need_grad: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy over the last axis and its gradient with respect to ``p``."""
    if from_logits:
        shifted = p - p.max(axis=-1, keepdims=True)  # (..., K)
        log_prob = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        losses = -np.sum(t * log_prob, axis=-1)  # (...,)
        if not need_grad:
            return losses, None
        # d/dx of -sum(t x) + sum(t) logsumexp(x)
        return losses, np.exp(log_prob) * np.sum(t, axis=-1, keepdims=True) - t
    low, high = _clip_bounds(p.dtype)
    total = np.sum(p, axis=-1, keepdims=True)  # (..., 1)
    q = p / total  # (..., K)
    clipped = np.clip(q, low, high)
    losses = -np.sum(t * np.log(clipped), axis=-1)
    if not need_grad:
        return losses, None
    d_q = -t / clipped * ((q >= low) & (q <= high))  # (..., K)
    # q = p / sum(p): dq_k/dp_j = (delta_kj - q_k) / sum(p)
    return losses, (d_q - np.sum(d_q * q, axis=-1, keepdims=True)) / total


class Loss:
    """Base class: per-sample losses, their reduction and the gradient.

    Subclasses implement ``_align`` (validate and shape the labels) and ``_forward``
    (per-sample losses and their gradients).

    Args:
        reduction: ``"sum_over_batch_size"`` (Keras's default; ``"mean"`` is the
            same) divides the weighted sum by the number of per-sample losses;
            ``"sum"`` does not divide.
        name: Name used in logs; defaults to the Keras name (``"binary_crossentropy"``).
    """

    keras_name = "loss"

    def __init__(self, *, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        owner = type(self).__name__
        self.reduction = check_choice(owner, "reduction", reduction, _REDUCTIONS)
        if name is not None and not isinstance(name, str):
            raise ArgumentTypeError(argument_message(owner, "name", "None or a string", name))
        self.name = name or self.keras_name

    def _align(self, y_true: ArrayLike, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _align")

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the per-sample losses ``l`` (``p.shape[:-1]``) and ``dl/dp`` (``p.shape``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _forward")

    def per_sample(self, y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
        """Return the unreduced losses, shape ``(batch,)`` or ``(batch, time)``.

        Args:
            y_true: Labels (see the module notes for the accepted shapes).
            y_pred: Predictions, ``(batch,)``, ``(batch, K)`` or ``(batch, time, K)``.

        Returns:
            The losses in the prediction's float dtype, one per sample (and time step).
        """
        y_pred = _prediction(type(self).__name__, y_pred)
        t, p = self._align(y_true, y_pred)
        return self._forward(t, p, False)[0]

    def value_and_gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[float, np.ndarray]:
        """Return the reduced loss and ``d loss / d y_pred`` from one pass.

        Args:
            y_true: Labels (see the module notes for the accepted shapes).
            y_pred: Predictions, ``(batch,)``, ``(batch, K)`` or ``(batch, time, K)``.
            sample_weight: None, a scalar, ``(batch,)`` or the per-sample shape.

        Returns:
            ``(loss, d_y_pred)``: a Python float and an array of ``y_pred``'s shape and
            float dtype.

        Raises:
            ShapeError: labels or weights whose shape does not fit ``y_pred``.
            ArgumentTypeError: non-numeric inputs.
            ArgumentError: invalid label values (sparse labels out of range).
        """
        return self._reduce(y_true, y_pred, sample_weight, True)  # type: ignore[return-value]

    def __call__(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Return the reduced loss as a Python float (see :meth:`value_and_gradient`)."""
        return self._reduce(y_true, y_pred, sample_weight, False)[0]

    def gradient(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> np.ndarray:
        """Return ``d loss / d y_pred``: a new array of ``y_pred``'s shape and float dtype."""
        return self._reduce(y_true, y_pred, sample_weight, True)[1]  # type: ignore[return-value]

    def _reduce(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None, need_grad: bool
    ) -> tuple[float, np.ndarray | None]:
        owner = type(self).__name__
        y_pred = _prediction(owner, y_pred)
        t, p = self._align(y_true, y_pred)
        losses, d_losses = self._forward(t, p, need_grad)  # (B[, T]), (B[, T], K)
        weight = check_sample_weight(owner, sample_weight, losses.shape, p.dtype)
        if weight is not None:
            weight = weight.reshape(weight.shape + (1,) * (losses.ndim - weight.ndim))
            losses = losses * weight
        divisor = losses.size if self.reduction != "sum" else 1
        value = float(np.sum(losses)) / divisor
        if d_losses is None:
            return value, None
        scale = p.dtype.type(1.0 / divisor)
        d_losses *= scale if weight is None else (weight * scale)[..., None]
        return value, d_losses.reshape(y_pred.shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuild a loss from :meth:`get_config` output or a Keras 3 loss config.

        Keras-only keys are accepted at the values rnnkit implements (``axis=-1``,
        ``ignore_class=None``); ``dtype`` is ignored (the prediction's dtype is used).
        """
        config = dict(config)
        config.pop("dtype", None)
        for key, supported in (("axis", -1), ("ignore_class", None)):
            value = config.pop(key, supported)
            if value != supported:
                raise ArgumentError(
                    argument_message(cls.__name__, key, f"{supported!r} in rnnkit", value)
                )
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Elementwise(Loss):
    """Losses over labels of the prediction's shape, averaged over the last axis."""

    def _align(self, y_true: ArrayLike, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = _labels(type(self).__name__, y_true)
        p = y_pred[:, None] if y_pred.ndim == 1 else y_pred  # (B, K) or (B, T, K)
        if t.shape != p.shape:
            if t.shape == p.shape[:-1] and p.shape[-1] == 1:
                t = t[..., None]
            elif t.shape == y_pred.shape + (1,):
                t = t.reshape(p.shape)
            else:
                raise ShapeError(
                    _mismatch(
                        type(self).__name__,
                        t,
                        y_pred,
                        "y_true must have y_pred's shape (a last axis of size 1 may be left out)",
                        "Reshape the labels, or give the model one output unit per label column.",
                    )
                )
        return t.astype(p.dtype, copy=False), p


class BinaryCrossentropy(_Elementwise):
    """Binary cross-entropy, averaged over the last axis (one or more sigmoid outputs).

    With ``t`` the (smoothed) labels, ``eps = 1e-7``::

        l = mean_K(-(t log clip(p) + (1 - t) log(1 - clip(p))))      probabilities
        l = mean_K(max(x, 0) - x t + log(1 + exp(-|x|)))             logits x
        dl/dx = (sigmoid(x) - t) / K
        dl/dp = (clip(p) - t) / (clip(p) (1 - clip(p)) K) where eps <= p <= 1 - eps, else 0

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: ``s`` in ``[0, 1]``; labels become ``t (1 - s) + s / 2``.
        reduction: See :class:`Loss`.
        name: See :class:`Loss`.

    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> round(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]), 4)
    0.8655
    """

    keras_name = "binary_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        *,
        reduction: str = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name)
        self.from_logits = check_bool("BinaryCrossentropy", "from_logits", from_logits)
        self.label_smoothing = _smoothing("BinaryCrossentropy", label_smoothing)

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if self.label_smoothing:
            t = t * p.dtype.type(1.0 - self.label_smoothing) + p.dtype.type(
                0.5 * self.label_smoothing
            )
        size = p.dtype.type(p.shape[-1])
        if self.from_logits:
            elements = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))  # (..., K)
            d_p = (expit(p) - t) / size if need_grad else None
        else:
            low, high = _clip_bounds(p.dtype)
            q = np.clip(p, low, high)
            elements = -(t * np.log(q) + (1 - t) * np.log1p(-q))
            d_p = None
            if need_grad:
                d_p = (q - t) / (q * (1 - q) * size) * ((p >= low) & (p <= high))
        return np.mean(elements, axis=-1), d_p

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class MeanSquaredError(_Elementwise):
    """Mean squared error over the last axis.

    ``l = mean_K((t - p)**2)``, ``dl/dp = 2 (p - t) / K``.

    Args:
        reduction: See :class:`Loss`.
        name: See :class:`Loss`.

    >>> round(MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8]), 6)
    0.02
    """

    keras_name = "mean_squared_error"

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        error = p - t  # (..., K)
        d_p = error * p.dtype.type(2.0 / p.shape[-1]) if need_grad else None
        return np.mean(np.square(error), axis=-1), d_p


class MeanAbsoluteError(_Elementwise):
    """Mean absolute error over the last axis.

    ``l = mean_K(|t - p|)``, ``dl/dp = sign(p - t) / K`` (0 where ``p == t``).

    Args:
        reduction: See :class:`Loss`.
        name: See :class:`Loss`.

    >>> round(MeanAbsoluteError()([1.0, 0.3, 1.0], [1.9, 0.3, 1.8]), 6)
    0.566667
    """

    keras_name = "mean_absolute_error"

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        error = p - t  # (..., K)
        d_p = np.sign(error) / p.dtype.type(p.shape[-1]) if need_grad else None
        return np.mean(np.abs(error), axis=-1), d_p


def _check_classes(owner: str, y_true: np.ndarray, y_pred: np.ndarray, labels: str) -> None:
    if y_pred.ndim < 2 or y_pred.shape[-1] < 2:
        raise ShapeError(
            f"{owner}: `y_pred` must have shape (batch, classes) or (batch, time, classes) "
            f"with classes >= 2; got shape {y_pred.shape} (with y_true of shape "
            f"{y_true.shape}). For one sigmoid output use BinaryCrossentropy; for {labels} "
            "give the last layer one unit per class."
        )


class CategoricalCrossentropy(Loss):
    """Cross-entropy between one-hot (or soft) labels and a distribution over classes.

    With ``t`` the (smoothed) labels, ``S = sum_K(p)``, ``q = p / S``::

        l = -sum_K(t log clip(q))                        probabilities
        l = -sum_K(t log_softmax(x))                     logits x
        dl/dx = softmax(x) sum_K(t) - t
        dl/dp_j = (g_j - sum_K(g q)) / S,  g = -t / clip(q) where eps <= q <= 1 - eps, else 0

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: ``s`` in ``[0, 1]``; labels become ``t (1 - s) + s / K``.
        reduction: See :class:`Loss`.
        name: See :class:`Loss`.

    >>> round(CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]],
    ...                                 [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    keras_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        *,
        reduction: str = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name)
        self.from_logits = check_bool("CategoricalCrossentropy", "from_logits", from_logits)
        self.label_smoothing = _smoothing("CategoricalCrossentropy", label_smoothing)

    def _align(self, y_true: ArrayLike, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = type(self).__name__
        t = _labels(owner, y_true)
        _check_classes(owner, t, y_pred, "one-hot labels")
        if t.shape != y_pred.shape:
            raise ShapeError(
                _mismatch(
                    owner,
                    t,
                    y_pred,
                    "one-hot labels must have y_pred's shape",
                    "For integer class labels use SparseCategoricalCrossentropy.",
                )
            )
        return t.astype(y_pred.dtype, copy=False), y_pred

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if self.label_smoothing:
            s = self.label_smoothing
            t = t * p.dtype.type(1.0 - s) + p.dtype.type(s / p.shape[-1])
        return _categorical(t, p, self.from_logits, need_grad)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer class labels.

    ``l = -log clip(p_y / sum_K(p))`` for probabilities, ``-log_softmax(x)_y`` for
    logits: :class:`CategoricalCrossentropy` of the one-hot labels, gradient included.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        reduction: See :class:`Loss`.
        name: See :class:`Loss`.

    >>> scce = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(scce([0, 1], [[2.0, 0.0], [0.0, 0.0]]), 4)
    0.41
    """

    keras_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        *,
        reduction: str = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name)
        self.from_logits = check_bool("SparseCategoricalCrossentropy", "from_logits", from_logits)

    def _align(self, y_true: ArrayLike, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = type(self).__name__
        labels = _labels(owner, y_true)
        _check_classes(owner, labels, y_pred, "integer labels")
        classes = y_pred.shape[-1]
        if labels.shape == y_pred.shape[:-1] + (1,):
            labels = labels[..., 0]
        if labels.shape != y_pred.shape[:-1]:
            raise ShapeError(
                _mismatch(
                    owner,
                    labels,
                    y_pred,
                    f"integer labels must have shape {y_pred.shape[:-1]}",
                    "For one-hot labels use CategoricalCrossentropy.",
                )
            )
        if labels.dtype.kind == "f" and not np.all(labels == np.floor(labels)):
            raise ArgumentError(
                f"{owner}: `y_true` must hold integer class labels in [0, {classes}); got "
                "non-integer values. For one-hot or soft labels use CategoricalCrossentropy."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ArgumentError(
                f"{owner}: `y_true` must hold integer class labels in [0, {classes}); got "
                f"labels from {labels.min()} to {labels.max()}. Give the last layer one unit "
                "per class."
            )
        one_hot = np.zeros_like(y_pred)  # (..., K)
        np.put_along_axis(one_hot, labels.astype(np.intp)[..., None], 1, axis=-1)
        return one_hot, y_pred

    def _forward(
        self, t: np.ndarray, p: np.ndarray, need_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        return _categorical(t, p, self.from_logits, need_grad)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {**super().get_config(), "from_logits": self.from_logits}


def _smoothing(owner: str, value: Any) -> float:
    value = check_real(owner, "label_smoothing", value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ArgumentError(argument_message(owner, "label_smoothing", "a float in [0, 1]", value))
    return value


def binary_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False, label_smoothing: float = 0.0
) -> np.ndarray:
    """Per-sample binary cross-entropy (see :class:`BinaryCrossentropy`)."""
    return BinaryCrossentropy(from_logits, label_smoothing).per_sample(y_true, y_pred)


def categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False, label_smoothing: float = 0.0
) -> np.ndarray:
    """Per-sample categorical cross-entropy (see :class:`CategoricalCrossentropy`)."""
    return CategoricalCrossentropy(from_logits, label_smoothing).per_sample(y_true, y_pred)


def sparse_categorical_crossentropy(
    y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False
) -> np.ndarray:
    """Per-sample sparse categorical cross-entropy (see :class:`SparseCategoricalCrossentropy`)."""
    return SparseCategoricalCrossentropy(from_logits).per_sample(y_true, y_pred)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Per-sample mean squared error (see :class:`MeanSquaredError`)."""
    return MeanSquaredError().per_sample(y_true, y_pred)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Per-sample mean absolute error (see :class:`MeanAbsoluteError`)."""
    return MeanAbsoluteError().per_sample(y_true, y_pred)


mse = mean_squared_error
mae = mean_absolute_error

_CLASSES: dict[str, type[Loss]] = {
    "BinaryCrossentropy": BinaryCrossentropy,
    "CategoricalCrossentropy": CategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
    "MeanSquaredError": MeanSquaredError,
    "MeanAbsoluteError": MeanAbsoluteError,
}
_REGISTRY: dict[str, type[Loss]] = {
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_FUNCTIONS: dict[Callable[..., np.ndarray], str] = {
    binary_crossentropy: "binary_crossentropy",
    categorical_crossentropy: "categorical_crossentropy",
    sparse_categorical_crossentropy: "sparse_categorical_crossentropy",
    mean_squared_error: "mean_squared_error",
    mean_absolute_error: "mean_absolute_error",
}


def get(
    identifier: str | dict[str, Any] | Loss | Callable[..., Any] | type[Loss] | None,
    *,
    owner: str = "losses.get",
    name: str = "identifier",
) -> Loss | None:
    """Return the loss named, described or given by ``identifier``.

    Args:
        identifier: None (returns None); a name (``"binary_crossentropy"``,
            ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``,
            ``"mse"``/``"mean_squared_error"``, ``"mae"``/``"mean_absolute_error"``)
            or class name, each giving a new instance with default arguments, named
            by the identifier as Keras's ``compile`` does; one of this module's
            functions; a :class:`Loss` class or instance (returned as is); or a dict
            ``{"class_name": ..., "config": {...}}`` as :func:`serialize` writes.
        owner: Who asks, for error messages (``"Sequential.compile"``).
        name: The argument being resolved, for error messages.

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else.

    >>> get("mse").name, type(get("binary_crossentropy")).__name__
    ('mse', 'BinaryCrossentropy')
    """
    if identifier is None:
        return None
    for function, key in _FUNCTIONS.items():
        if identifier is function:
            return _REGISTRY[key]()
    expected = (
        "a loss name (" + ", ".join(_REGISTRY) + "), an rnnkit.losses object or function, "
        "or a {'class_name': ..., 'config': ...} dict"
    )
    return registry.resolve(
        identifier,
        Loss,
        _REGISTRY,
        _CLASSES,
        owner=owner,
        name=name,
        expected=expected,
        # Named by the identifier, as Keras's compile does; a class name keeps the default.
        create=lambda cls, key: cls(name=key if key in _REGISTRY else None),
    )


def serialize(loss: Loss | None) -> dict[str, Any] | None:
    """Return ``{"class_name": ..., "config": ...}`` (None for None), readable by :func:`get`."""
    return None if loss is None else registry.serialize(loss)


def names() -> tuple[str, ...]:
    """All registered loss names."""
    return tuple(_REGISTRY)
