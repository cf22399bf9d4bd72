"""Stateful metrics with Keras 3 names and semantics.

A metric accumulates statistics over batches with ``update_state(y_true, y_pred,
sample_weight=None)``, reports them with ``result()`` and starts again after
``reset_state()``. Statistics are kept in float64.

Averaging metrics (the accuracies, :class:`MeanSquaredError`,
:class:`MeanAbsoluteError`) compute one value per element, average it per sample
and accumulate, like Keras's ``Mean``::

    total += sum_b(w_b * v_b),  count += sum_b(w_b),  result = total / count

where ``v_b`` is the mean over sample ``b``'s values (time steps, outputs) and
``w_b = 1`` without weights. Weights of shape ``(batch, time)`` weight each step:
``v_b = mean_t(w_bt v_bt)`` and ``w_b = mean_t(w_bt)``. A scalar weight ``w``
counts the whole batch as one sample of weight ``w`` (as in Keras).

Confusion-matrix metrics flatten ``y_true`` (any non-zero label is positive) and
``y_pred`` and count weighted true/false positives/negatives at each threshold, a
prediction being positive when ``y_pred > threshold``; predictions are compared in
float32, as Keras's float32 metric variables do::

    Precision = TP / (TP + FP)        Recall = TP / (TP + FN)      (0 when 0 / 0)

:class:`AUC` uses Keras's thresholds ``[-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps]`` and
its bucketing (``bucket = ceil(clip(p, 0, 1) (n - 1)) - 1``), then the Riemann sums
of Keras's ``AUC.result`` (see the class).

Shapes follow :mod:`rnnkit.losses`: labels of ``y_pred``'s shape or that shape
without a last axis of size 1, integer labels of ``y_pred.shape[:-1]`` for
:class:`SparseCategoricalAccuracy`, sample weights of shape ``(batch,)`` (broadcast
over later axes), the per-sample shape, or a scalar. Unlike Keras, a 1-D ``y_pred``
is one value per sample for :class:`MeanSquaredError` and :class:`MeanAbsoluteError`
(Keras averages the batch into one value counted as one sample).

>>> m = BinaryAccuracy()
>>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
>>> m.result()
0.75
>>> m.update_state([[1], [0]], [[0.2], [0.1]], sample_weight=[2, 0])
>>> m.result()
0.5
>>> get("accuracy", loss="sparse_categorical_crossentropy")
SparseCategoricalAccuracy(name='accuracy')
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from rnnkit import losses, registry
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError, argument_message
from rnnkit.validation import check_choice, check_positive_int, check_real


def _array(owner: str, name: str, value: ArrayLike) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError(argument_message(owner, name, "an array of real numbers", value))
    return array


def _prediction(owner: str, y_pred: ArrayLike) -> np.ndarray:
    array = _array(owner, "y_pred", y_pred)
    if array.ndim == 0:
        raise ShapeError(
            f"{owner}: `y_pred` must have shape (batch, ...); got a scalar. Pass one "
            "prediction per sample along the first axis."
        )
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def _same_shape(owner: str, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
    """``y_true`` reshaped to ``y_pred``'s shape where they differ by a last axis of size 1."""
    t = _array(owner, "y_true", y_true)
    if t.shape == y_pred.shape:
        return t
    if (t.shape == y_pred.shape[:-1] and y_pred.shape[-1] == 1) or t.shape == y_pred.shape + (1,):
        return t.reshape(y_pred.shape)
    raise ShapeError(
        f"{owner}: `y_true` of shape {t.shape} does not fit `y_pred` of shape {y_pred.shape}; "
        "y_true must have y_pred's shape (a last axis of size 1 may be left out). Reshape "
        "the labels, or give the model one output unit per label column."
    )


def _sparse_labels(owner: str, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
    t = _array(owner, "y_true", y_true)
    if y_pred.ndim < 2:
        raise ShapeError(
            f"{owner}: `y_pred` must have shape (batch, classes) or (batch, time, classes); "
            f"got shape {y_pred.shape}. For one sigmoid output use BinaryAccuracy."
        )
    if t.shape == y_pred.shape[:-1] + (1,):
        t = t[..., 0]
    if t.shape != y_pred.shape[:-1]:
        raise ShapeError(
            f"{owner}: `y_true` of shape {t.shape} does not fit `y_pred` of shape "
            f"{y_pred.shape}; integer labels must have shape {y_pred.shape[:-1]}. For "
            "one-hot labels use CategoricalAccuracy."
        )
    return t


class Metric:
    """Base class: ``update_state`` accumulates, ``result`` reports, ``reset_state`` clears.

    Args:
        name: Name used in logs and histories; defaults to the Keras name.
    """

    keras_name = "metric"
    # Keras-only constructor keys accepted by from_config at the value rnnkit implements.
    _keras_only: dict[str, Any] = {}

    def __init__(self, *, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise ArgumentTypeError(
                argument_message(type(self).__name__, "name", "None or a string", name)
            )
        self.name = name or self.keras_name
        self.reset_state()

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate the statistics of one batch."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state")

    def result(self) -> float:
        """Return the metric over everything accumulated since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} does not implement result")

    def reset_state(self) -> None:
        """Clear the accumulated statistics."""
        raise NotImplementedError(f"{type(self).__name__} does not implement reset_state")

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild a metric from :meth:`get_config` output or a Keras 3 metric config.

        ``dtype`` is ignored (statistics are float64); other Keras-only keys are
        accepted at the value rnnkit implements (``top_k=None``, ``multi_label=False``...).
        """
        config = dict(config)
        config.pop("dtype", None)
        for key, supported in cls._keras_only.items():
            value = config.pop(key, supported)
            if value != supported:
                raise ArgumentError(
                    argument_message(cls.__name__, key, f"{supported!r} in rnnkit", value)
                )
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Averaging(Metric):
    """Keeps ``total`` and ``count`` and accumulates per-sample means (Keras ``Mean``)."""

    def reset_state(self) -> None:
        """Clear the accumulated statistics."""
        self.total = 0.0
        self.count = 0.0

    def result(self) -> float:
        """Return ``total / count`` (0 before any sample)."""
        return self.total / self.count if self.count else 0.0

    def _accumulate(self, values: np.ndarray, sample_weight: ArrayLike | None) -> None:
        values = values.astype(np.float64, copy=False)
        owner = type(self).__name__
        weight = losses.check_sample_weight(owner, sample_weight, values.shape, np.float64)
        if weight is None:
            if values.ndim == 0:
                self.total += float(values)
                self.count += 1.0
            else:
                per_sample = values.mean(axis=tuple(range(1, values.ndim)))  # (B,)
                self.total += float(per_sample.sum())
                self.count += float(values.shape[0])
            return
        # Keras `reduce_to_samplewise_values`: average the values down to the weights'
        # rank, weight them, then average values and weights per sample.
        values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))  # weight.shape
        weighted = values * weight
        if weight.ndim > 1:
            later = tuple(range(1, weight.ndim))
            weighted, weight = weighted.mean(axis=later), weight.mean(axis=later)  # (B,)
        self.total += float(weighted.sum())
        self.count += float(weight.sum())


class Mean(_Averaging):
    """The (weighted) mean of the values given, such as the loss of each batch.

    ``update_state(values, sample_weight=None)`` takes the values themselves (Keras's
    signature), averaged per sample along axes after the first.

    Args:
        name: Defaults to ``"mean"``.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    4.0
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    keras_name = "mean"

    def update_state(  # type: ignore[override]
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate ``values`` (a scalar or an array with a batch axis)."""
        self._accumulate(_array(type(self).__name__, "values", values), sample_weight)


class _MeanOf(_Averaging):
    """Averages a value computed per element from ``(y_true, y_pred)``."""

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement _values")

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate the values of one batch (see the module notes for shapes)."""
        y_pred = _prediction(type(self).__name__, y_pred)
        self._accumulate(self._values(y_true, y_pred), sample_weight)


class Accuracy(_MeanOf):
    """How often ``y_pred`` equals ``y_true`` exactly (for class-index predictions).

    Args:
        name: Defaults to ``"accuracy"``.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    keras_name = "accuracy"

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        t = _same_shape(type(self).__name__, y_true, y_pred)
        return (t.astype(y_pred.dtype) == y_pred).astype(np.float64)


class BinaryAccuracy(_MeanOf):
    """How often ``y_pred > threshold`` equals the 0/1 label ``y_true``.

    Args:
        threshold: Predictions above it count as 1. Use 0 for logits.
        name: Defaults to ``"binary_accuracy"``.
    """

    keras_name = "binary_accuracy"

    def __init__(self, threshold: float = 0.5, *, name: str | None = None) -> None:
        self.threshold = check_real("BinaryAccuracy", "threshold", threshold)
        super().__init__(name=name)

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        t = _same_shape(type(self).__name__, y_true, y_pred)
        return (t == (y_pred > self.threshold)).astype(np.float64)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(_MeanOf):
    """How often ``argmax(y_pred)`` equals ``argmax(y_true)`` for one-hot labels.

    Args:
        name: Defaults to ``"categorical_accuracy"``.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    keras_name = "categorical_accuracy"

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        owner = type(self).__name__
        t = _array(owner, "y_true", y_true)
        if t.shape != y_pred.shape or y_pred.ndim < 2:
            raise ShapeError(
                f"{owner}: `y_true` of shape {t.shape} does not fit `y_pred` of shape "
                f"{y_pred.shape}; one-hot labels must have y_pred's shape (batch, ..., "
                "classes). For integer labels use SparseCategoricalAccuracy."
            )
        return (np.argmax(t, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


class SparseCategoricalAccuracy(_MeanOf):
    """How often ``argmax(y_pred)`` equals the integer label ``y_true``.

    Args:
        name: Defaults to ``"sparse_categorical_accuracy"``.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    keras_name = "sparse_categorical_accuracy"

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        t = _sparse_labels(type(self).__name__, y_true, y_pred)
        predicted = np.argmax(y_pred, axis=-1).astype(y_pred.dtype)
        return (t.astype(y_pred.dtype) == predicted).astype(np.float64)


class MeanSquaredError(_MeanOf):
    """Mean of the per-sample ``mean_K((y_true - y_pred)**2)`` (see :mod:`rnnkit.losses`).

    Args:
        name: Defaults to ``"mean_squared_error"``.
    """

    keras_name = "mean_squared_error"

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        return losses.MeanSquaredError().per_sample(y_true, y_pred)


class MeanAbsoluteError(_MeanOf):
    """Mean of the per-sample ``mean_K(|y_true - y_pred|)`` (see :mod:`rnnkit.losses`).

    Args:
        name: Defaults to ``"mean_absolute_error"``.
    """

    keras_name = "mean_absolute_error"

    def _values(self, y_true: ArrayLike, y_pred: np.ndarray) -> np.ndarray:
        return losses.MeanAbsoluteError().per_sample(y_true, y_pred)


def _confusion_inputs(
    owner: str, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat ``(positive labels, float predictions, weights)``, each ``(N,)``."""
    p = _prediction(owner, y_pred)
    t = _same_shape(owner, y_true, p)
    weight = losses.check_sample_weight(owner, sample_weight, p.shape, np.float64)
    if weight is None:
        weight = np.ones(p.shape)
    else:
        weight = np.broadcast_to(
            weight.reshape(weight.shape + (1,) * (p.ndim - weight.ndim)), p.shape
        )
    return (t != 0).ravel(), p.ravel(), weight.ravel()


def _thresholds(owner: str, thresholds: float | Sequence[float] | None) -> list[float]:
    if thresholds is None:
        return [0.5]
    values = [thresholds] if isinstance(thresholds, numbers.Real) else list(thresholds)
    expected = "None, a float in [0, 1] or a list of them"
    if not values:
        raise ArgumentError(argument_message(owner, "thresholds", expected, thresholds))
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ArgumentTypeError(argument_message(owner, "thresholds", expected, thresholds))
        if not 0.0 <= float(value) <= 1.0:
            raise ArgumentError(argument_message(owner, "thresholds", expected, thresholds))
    return [float(value) for value in values]


def _evenly_spaced(thresholds: list[float]) -> bool:
    """Keras ``is_evenly_distributed_thresholds``: 0, 1/(n-1), ..., 1 with n >= 3."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=losses.EPSILON))


class _ThresholdCounts(Metric):
    """Weighted TP/FP/FN at each of ``thresholds``; ``y_pred > threshold`` is positive.

    Evenly spaced thresholds (0, 1/(n-1), ..., 1, n >= 3) are counted as Keras counts
    them, by buckets over predictions clipped to [0, 1] in float32 (so a prediction
    above 1 is not positive at threshold 1, and one that rounds onto a threshold falls
    where Keras's arithmetic puts it).
    """

    _keras_only = {"top_k": None, "class_id": None}

    def __init__(
        self, thresholds: float | Sequence[float] | None = None, *, name: str | None = None
    ) -> None:
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(type(self).__name__, thresholds)
        self._by_buckets = _evenly_spaced(self.thresholds)  # Keras's bucketed count
        super().__init__(name=name)

    def reset_state(self) -> None:
        """Clear the accumulated statistics."""
        self.true_positives = np.zeros(len(self.thresholds))
        self.false_positives = np.zeros(len(self.thresholds))
        self.false_negatives = np.zeros(len(self.thresholds))

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate weighted TP, FP and FN of one batch at every threshold."""
        positive, p, weight = _confusion_inputs(type(self).__name__, y_true, y_pred, sample_weight)
        if self._by_buckets:
            self._update_by_buckets(positive, p, weight)
            return
        thresholds = np.asarray(self.thresholds, np.float32)[:, None]  # (T, 1)
        predicted = p.astype(np.float32) > thresholds  # (T, N)
        self.true_positives += (predicted & positive) @ weight
        self.false_positives += (predicted & ~positive) @ weight
        self.false_negatives += (~predicted & positive) @ weight

    def _update_by_buckets(self, positive: np.ndarray, p: np.ndarray, weight: np.ndarray) -> None:
        """Keras ``_update_confusion_matrix_variables_optimized`` (no threshold epsilon).

        A prediction in ``(t_i, t_{i+1}]`` lands in bucket ``i`` and is positive at the
        thresholds ``<= i``; one at or below 0 (bucket -1), or NaN, is positive at none.
        """
        n = len(self.thresholds)
        p = np.clip(p.astype(np.float32), 0.0, 1.0)
        bucket = np.ceil(p * np.float32(n - 1)) - 1
        counted = bucket >= 0  # False for NaN too
        index = bucket[counted].astype(np.intp)
        positive_weight = np.where(positive, weight, 0.0)
        negative_weight = np.where(positive, 0.0, weight)
        tp = np.bincount(index, positive_weight[counted], n)[::-1].cumsum()[::-1]
        fp = np.bincount(index, negative_weight[counted], n)[::-1].cumsum()[::-1]
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += positive_weight.sum() - tp

    def _ratio(self, numerator: np.ndarray, other: np.ndarray) -> float | np.ndarray:
        denominator = numerator + other
        ratio = np.divide(
            numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0
        )
        return float(ratio[0]) if len(self.thresholds) == 1 else ratio

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys).

        ``thresholds`` is None, a float or a list of floats, as given (a tuple or an
        array of thresholds becomes a list, NumPy scalars Python floats).
        """
        if self.init_thresholds is None:
            thresholds: float | list[float] | None = None
        elif isinstance(self.init_thresholds, numbers.Real):
            thresholds = self.thresholds[0]
        else:
            thresholds = list(self.thresholds)
        return {**super().get_config(), "thresholds": thresholds}


class Precision(_ThresholdCounts):
    """``TP / (TP + FP)``: the fraction of predicted positives that are positive.

    Args:
        thresholds: None (0.5), a float in ``[0, 1]`` or a list of them; use 0 for
            logits. With several thresholds :meth:`result` returns one value each.
        name: Defaults to ``"precision"``.

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 6)
    0.666667
    """

    keras_name = "precision"

    def result(self) -> float | np.ndarray:  # type: ignore[override]
        """Return the precision (an array of one per threshold when there are several)."""
        return self._ratio(self.true_positives, self.false_positives)


class Recall(_ThresholdCounts):
    """``TP / (TP + FN)``: the fraction of positives predicted positive.

    Args:
        thresholds: None (0.5), a float in ``[0, 1]`` or a list of them; use 0 for
            logits. With several thresholds :meth:`result` returns one value each.
        name: Defaults to ``"recall"``.

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 6)
    0.666667
    """

    keras_name = "recall"

    def result(self) -> float | np.ndarray:  # type: ignore[override]
        """Return the recall (an array of one per threshold when there are several)."""
        return self._ratio(self.true_positives, self.false_negatives)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated as Keras does.

    Thresholds ``t_0 = -eps``, ``t_i = i / (n - 1)`` for ``0 < i < n - 1``,
    ``t_{n-1} = 1 + eps`` (``eps = 1e-7``) give weighted counts ``TP_i, FP_i, TN_i,
    FN_i`` of ``clip(y_pred, 0, 1) > t_i``. With ``TPR = TP / (TP + FN)``,
    ``FPR = FP / (FP + TN)``, ``P = TP + FP`` (0 / 0 read as 0)::

        ROC, interpolation:  sum_i (FPR_i - FPR_{i+1}) (TPR_i + TPR_{i+1}) / 2
        PR,  interpolation:  sum_i s_i (dTP_i + b_i log(P_i / P_{i+1})) / (TP_{i+1} + FN_{i+1})
                             s_i = dTP_i / max(dP_i, 0),  b_i = TP_{i+1} - s_i P_{i+1}
                             (Davis & Goadrich 2006; log term 0 unless P_i, P_{i+1} > 0)

    ``minoring``/``majoring`` use the smaller/larger of the two heights instead of
    their mean (and, for PR, precision against recall).

    Args:
        num_thresholds: ``n``, an integer > 1.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        from_logits: Apply a sigmoid to ``y_pred`` first.
        name: Defaults to ``"auc"``.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    """

    keras_name = "auc"
    _keras_only = {
        "multi_label": False,
        "num_labels": None,
        "label_weights": None,
        "thresholds": None,
    }

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        *,
        from_logits: bool = False,
        name: str | None = None,
    ) -> None:
        self.num_thresholds = check_positive_int("AUC", "num_thresholds", num_thresholds)
        if self.num_thresholds < 2:
            raise ArgumentError(
                argument_message("AUC", "num_thresholds", "an integer > 1", num_thresholds)
            )
        curve = curve.upper() if isinstance(curve, str) else curve
        self.curve = check_choice("AUC", "curve", curve, ("ROC", "PR"))
        method = summation_method.lower() if isinstance(summation_method, str) else None
        self.summation_method = check_choice(
            "AUC", "summation_method", method, ("interpolation", "minoring", "majoring")
        )
        if not isinstance(from_logits, (bool, np.bool_)):
            raise ArgumentTypeError(
                argument_message("AUC", "from_logits", "True or False", from_logits)
            )
        self.from_logits = bool(from_logits)
        n = self.num_thresholds
        inner = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
        self.thresholds = [0.0 - losses.EPSILON] + inner + [1.0 + losses.EPSILON]
        super().__init__(name=name)

    def reset_state(self) -> None:
        """Clear the accumulated statistics."""
        n = self.num_thresholds
        self.true_positives = np.zeros(n)
        self.false_positives = np.zeros(n)
        self.true_negatives = np.zeros(n)
        self.false_negatives = np.zeros(n)

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate the weighted confusion counts of one batch at every threshold."""
        positive, p, weight = _confusion_inputs("AUC", y_true, y_pred, sample_weight)
        if self.from_logits:
            p = expit(p)
        n = self.num_thresholds
        # Keras `_update_confusion_matrix_variables_optimized`, in float32: a prediction
        # in (t_{i}, t_{i+1}] lands in bucket i and counts as positive at thresholds <= i.
        # A NaN prediction (a diverged model) lands in no bucket: negative at every
        # threshold, as in Keras.
        p = np.clip(p.astype(np.float32), 0.0, 1.0)
        scored = ~np.isnan(p)
        bucket = np.maximum(np.ceil(p[scored] * np.float32(n - 1)) - 1, 0).astype(np.intp)
        positive_weight = np.where(positive, weight, 0.0)
        negative_weight = np.where(positive, 0.0, weight)
        tp = np.bincount(bucket, positive_weight[scored], n)[::-1].cumsum()[::-1]  # (n,)
        fp = np.bincount(bucket, negative_weight[scored], n)[::-1].cumsum()[::-1]
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += negative_weight.sum() - fp
        self.false_negatives += positive_weight.sum() - tp

    def _interpolate_pr_auc(self) -> float:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        d_tp = tp[:-1] - tp[1:]  # (n-1,)
        p = tp + fp
        d_p = p[:-1] - p[1:]
        slope = _safe_divide(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _safe_divide(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(ratio, out=np.zeros_like(ratio), where=ratio > 0)
        increments = _safe_divide(
            slope * (d_tp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)
        )
        return float(np.sum(increments))

    def result(self) -> float:
        """Return the area under the curve (0 before any sample)."""
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        recall = _safe_divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _safe_divide(fp, fp + tn), recall
        else:
            x, y = recall, _safe_divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "from_logits": self.from_logits,
        }


_CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (
        Mean,
        Accuracy,
        BinaryAccuracy,
        CategoricalAccuracy,
        SparseCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        Precision,
        Recall,
        AUC,
    )
}
_REGISTRY: dict[str, type[Metric]] = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mean": Mean,
}
_ACCURACY_NAMES = ("accuracy", "acc")


def _accuracy_class(
    loss: str | dict[str, Any] | losses.Loss | Callable[..., Any] | None,
    output_shape: Sequence[int | None] | None,
    identifier: str,
) -> type[Metric]:
    """Keras 2's rule for ``"accuracy"``: from the loss, then the output's last axis."""
    loss_object = losses.get(loss, owner="metrics.get", name="loss")
    if output_shape is not None:
        shape = tuple(output_shape)
        if not shape or not all(d is None or isinstance(d, numbers.Integral) for d in shape):
            raise ArgumentTypeError(
                argument_message(
                    "metrics.get", "output_shape", "None or a tuple such as (None, 1)", output_shape
                )
            )
        if len(shape) == 1 or shape[-1] == 1:
            return BinaryAccuracy
    if isinstance(loss_object, losses.BinaryCrossentropy):
        return BinaryAccuracy
    if isinstance(loss_object, losses.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy
    if loss_object is not None or output_shape is not None:
        return CategoricalAccuracy
    raise ArgumentError(
        f"metrics.get: {identifier!r} needs the loss or the output shape to choose between "
        "binary, categorical and sparse categorical accuracy; got neither. Pass loss=... or "
        "output_shape=..., or name the metric: 'binary_accuracy', 'categorical_accuracy' or "
        "'sparse_categorical_accuracy'."
    )


def is_accuracy(identifier: Any) -> bool:
    """Whether ``identifier`` names accuracy (``"accuracy"``/``"acc"``, any case)."""
    return isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES


def accuracy_from_shapes(
    loss: losses.Loss | None,
    output_shape: Sequence[int | None] | None,
    target_shape: Sequence[int] | None,
) -> type[Metric] | None:
    """The class ``compile`` gives ``"accuracy"``; None while the shapes leave it open.

    Keras 3's rule (``is_binary_or_sparse_categorical``, from the first batch's shapes):
    binary for an output with one unit, sparse categorical when the targets have one
    axis fewer than the output or a last axis of 1, categorical otherwise; the binary
    and sparse categorical cross-entropies decide it before the shapes, as in Keras 2.
    :func:`get` keeps Keras 2's rule (loss first, then the output's last axis).
    """
    if isinstance(loss, losses.BinaryCrossentropy):
        return BinaryAccuracy
    if output_shape is None:
        return None
    if len(output_shape) < 2 or output_shape[-1] == 1:
        return BinaryAccuracy
    if output_shape[-1] is None:
        return None
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return SparseCategoricalAccuracy
    if target_shape is None:
        return None
    if len(target_shape) < len(output_shape) or target_shape[-1] == 1:
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(
    identifier: str | dict[str, Any] | Metric | type[Metric],
    loss: str | dict[str, Any] | losses.Loss | Callable[..., Any] | None = None,
    output_shape: Sequence[int | None] | None = None,
) -> Metric:
    """Return the metric named, described or given by ``identifier``.

    ``"accuracy"``/``"acc"`` (any case, as in Keras) becomes, with Keras 2's rule,
    :class:`BinaryAccuracy` for a binary cross-entropy loss or an output with one
    unit (``output_shape[-1] == 1``), :class:`SparseCategoricalAccuracy` for a sparse
    categorical cross-entropy loss, and :class:`CategoricalAccuracy` otherwise.

    Args:
        identifier: A name (``"accuracy"``, ``"acc"``, ``"binary_accuracy"``,
            ``"categorical_accuracy"``, ``"sparse_categorical_accuracy"``,
            ``"precision"``, ``"recall"``, ``"auc"``, ``"mse"``/``"mean_squared_error"``,
            ``"mae"``/``"mean_absolute_error"``, ``"mean"``) or a class name, each giving
            a new instance with default arguments named by the identifier (as Keras's
            ``compile`` does); a :class:`Metric` class, or an instance (returned as is);
            or a dict ``{"class_name": ..., "config": {...}}`` as :func:`serialize` writes.
        loss: The model's loss (anything :func:`rnnkit.losses.get` takes), to resolve
            ``"accuracy"``.
        output_shape: The model's output shape such as ``(None, 1)``, to resolve
            ``"accuracy"``.

    Raises:
        ArgumentError: an unknown name, or ``"accuracy"`` with neither loss nor shape.
        ArgumentTypeError: anything else.

    >>> get("acc", output_shape=(None, 1)).name, get("auc").num_thresholds
    ('acc', 200)
    >>> get("accuracy", loss="categorical_crossentropy")
    CategoricalAccuracy(name='accuracy')
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if registry.is_config(identifier):
        # Class names only: a config dict may not use a registered name here.
        cls = registry.by_class_name(identifier, _CLASSES, owner="metrics.get", name="identifier")
        return cls.from_config(identifier.get("config") or {})
    if isinstance(identifier, str):
        if is_accuracy(identifier):
            cls = _accuracy_class(loss, output_shape, identifier)
        else:
            cls = registry.by_name(
                identifier,
                _REGISTRY,
                _CLASSES,
                owner="metrics.get",
                name="identifier",
                listed=names(),
            )
        return cls(name=identifier)
    expected = (
        "a metric name (" + ", ".join(_ACCURACY_NAMES + tuple(_REGISTRY)) + "), an "
        "rnnkit.metrics object or a {'class_name': ..., 'config': ...} dict"
    )
    raise ArgumentTypeError(argument_message("metrics.get", "identifier", expected, identifier))


def serialize(metric: Metric) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}``, readable by :func:`get`."""
    return registry.serialize(metric)


def names() -> tuple[str, ...]:
    """All registered metric names."""
    return _ACCURACY_NAMES + tuple(_REGISTRY)
