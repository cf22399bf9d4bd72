"""Sequential models: compile / fit / evaluate / predict, as in Keras.

The model owns its layers and its optimizer; a layer never sees the optimizer. One
training step is: forward through the layers (``training=True``, masks passed along as
Keras does), the loss and its gradient, backward through the layers in reverse, one
optimizer update of every trainable weight, then each trainable layer's constraints.

>>> import numpy as np
>>> from rnnkit.layers import Dense, LSTM
>>> model = Sequential([LSTM(4, input_shape=(5, 3)), Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> history = model.fit(np.ones((8, 5, 3)), np.ones(8), epochs=2, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnkit import callbacks as callbacks_module
from rnnkit import losses as losses_module
from rnnkit import metrics as metrics_module
from rnnkit import optimizers as optimizers_module
from rnnkit.data.buckets import batch_window, bucket_batches, valid_spans
from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NotBuiltError,
    ShapeError,
    argument_message,
)
from rnnkit.layers.base import Layer
from rnnkit.validation import (
    all_finite,
    check_bool,
    check_non_negative_int,
    check_positive_int,
    inputs_checked_upstream,
)


def _as_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(argument_message("Sequential", name, "an array", value)) from error
    if array.dtype == object:
        raise ShapeError(
            argument_message(
                "Sequential",
                name,
                "a rectangular numeric array",
                value,
                "Pad variable-length sequences first "
                "(rnnkit.preprocessing.sequence.pad_sequences).",
            )
        )
    return array


def _per_step(sample_weight: np.ndarray, ndim: int) -> np.ndarray:
    """Sample weights, (batch,) or (batch, time), broadcast against a ``ndim``-D mask."""
    return sample_weight.reshape(sample_weight.shape + (1,) * (ndim - sample_weight.ndim))


@dataclass
class _MetricEntry:
    """One compiled metric: what the user gave, whether it is weighted, its log name."""

    identifier: Any
    weighted: bool
    metric: metrics_module.Metric | None  # None: an "accuracy" the first batch decides
    log_name: str = ""


def _log_names(entries: list[_MetricEntry]) -> list[_MetricEntry]:
    """Give each entry Keras 3's log name (``CompileMetrics.result``).

    A metric is logged under its name (the identifier, for a string); a later plain
    metric of the same name gets ``name_1``, ``name_2``...; a weighted metric whose name
    is taken becomes ``weighted_name`` (then ``weighted_name_1``...).
    """
    counters: dict[str, int] = {}
    for entry in entries:
        name = entry.identifier if entry.metric is None else entry.metric.name
        if name in counters and entry.weighted:
            name = f"weighted_{name}"
        if name not in counters:
            counters[name] = 1
            entry.log_name = name
        else:
            entry.log_name = f"{name}_{counters[name]}"
            counters[name] += 1
    return entries


class Sequential:
    """A linear stack of layers.

    Args:
        layers: Layers to add, in order.
        name: Model name.
    """

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None) -> None:
        self.name = name or "sequential"
        self._layers: list[Layer] = []
        self.optimizer: Any = None
        self.loss: Any = None
        self._metric_entries: list[_MetricEntry] = []
        self.stop_training = False
        self.history: callbacks_module.History | None = None
        self._shuffle_rng = np.random.default_rng(random.randint(1, int(1e9)))
        self._built_shape: tuple[int | None, ...] | None = None
        self._trainable = True
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ layers
    @property
    def trainable(self) -> bool:
        """Whether the model trains (True unless set).

        Setting it sets every layer's ``trainable`` to the same value, as in Keras: False
        freezes the whole model. Unlike Keras (where a frozen model reports no trainable
        weights whatever its layers say), a layer set on its own afterwards trains by its
        own flag: rnnkit keeps one flag per layer.
        """
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(check_bool(self.name, "trainable", value))
        for layer in self._layers:
            layer.trainable = value
        self._trainable = value

    @property
    def layers(self) -> list[Layer]:
        """The layers, in order."""
        return list(self._layers)

    def add(self, layer: Layer) -> None:
        """Append a layer."""
        if not isinstance(layer, Layer):
            raise ArgumentTypeError(argument_message(self.name, "layer", "an rnnkit layer", layer))
        if any(existing.name == layer.name for existing in self._layers):
            raise ArgumentError(
                f"{self.name}: a layer named '{layer.name}' is already in the model; "
                "give each layer a unique name."
            )
        self._layers.append(layer)
        if len(self._layers) == 1 and layer.batch_input_shape is not None:
            self.build(layer.batch_input_shape)
        elif self._built_shape is not None:
            self.build(self._built_shape)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ArgumentError(f"{self.name}: pop() on a model with no layers.")
        return self._layers.pop()

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build every layer for inputs of ``input_shape`` (batch axis included)."""
        shape = tuple(input_shape)
        self._built_shape = shape
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)
            if isinstance(shape, list):
                raise ArgumentError(
                    f"{self.name}: layer '{layer.name}' returns several tensors "
                    "(return_state=True); a Sequential model needs one output per layer."
                )

    @property
    def built(self) -> bool:
        """Whether every layer has weights."""
        return bool(self._layers) and all(layer.built for layer in self._layers)

    def _check_built(self) -> None:
        if not self.built:
            raise NotBuiltError(
                f"{self.name}: the model has no weights yet. Give the first layer an "
                "input_shape, call build(input_shape), or call the model on data first."
            )

    # ------------------------------------------------------------------ weights
    @property
    def trainable_layers(self) -> list[Layer]:
        """Layers whose weights the optimizer updates."""
        return [layer for layer in self._layers if layer.trainable and layer.params]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's weights, layer by layer (Keras order)."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every layer's weights from a flat list in :meth:`get_weights` order."""
        self._check_built()
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self._layers)
        if len(weights) != expected:
            raise ArgumentError(
                f"{self.name}: set_weights expects {expected} arrays; got {len(weights)}."
            )
        start = 0
        for layer in self._layers:
            count = len(layer.params)
            layer.set_weights(weights[start : start + count])
            start += count

    def count_params(self) -> int:
        """Number of scalar weights."""
        return sum(layer.count_params() for layer in self._layers)

    def reset_states(self) -> None:
        """Reset the states of every stateful layer (Keras 2 ``model.reset_states()``)."""
        for layer in self._layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()

    @property
    def losses(self) -> list[float]:
        """Every layer's regularization penalties."""
        return [value for layer in self._layers for value in layer.losses]

    # ------------------------------------------------------------------ summary
    def summary(self, print_fn: Any = print, line_length: int = 72) -> None:
        """Print the layers, their output shapes and parameter counts."""
        self._check_built()
        rows = [("Layer (type)", "Output Shape", "Param #")]
        shape: Any = self._built_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
            rows.append(
                (f"{layer.name} ({type(layer).__name__})", str(shape), f"{layer.count_params():,}")
            )
        widths = (int(line_length * 0.45), int(line_length * 0.33))
        rule = "_" * line_length
        print_fn(f'Model: "{self.name}"')
        print_fn(rule)
        for i, (a, b, c) in enumerate(rows):
            print_fn(f"{a:<{widths[0]}}{b:<{widths[1]}}{c}")
            print_fn("=" * line_length if i == 0 else rule)
        total = self.count_params()
        trainable = sum(layer.count_params() for layer in self.trainable_layers)
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn(rule)

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Sequence[Any] | None = None,
        weighted_metrics: Sequence[Any] | None = None,
    ) -> None:
        """Configure training.

        Args:
            optimizer: Name or :mod:`rnnkit.optimizers` object.
            loss: Name or :mod:`rnnkit.losses` object.
            metrics: Names or :mod:`rnnkit.metrics` objects, computed without sample or
                class weights (an output mask still applies), as in Keras 3.
                ``"accuracy"``/``"acc"`` becomes, as in Keras, binary accuracy when the
                output has one unit (or the loss is binary cross-entropy), sparse
                categorical accuracy when the targets have one axis fewer than the
                output or a last axis of 1 against a wider output (or the loss is sparse
                categorical cross-entropy), and categorical accuracy otherwise; when
                that depends on the targets it is chosen on the first batch.
            weighted_metrics: Like ``metrics``, but weighted by ``sample_weight`` and
                ``class_weight``. One that has the name of a plain metric is logged as
                ``"weighted_<name>"`` (Keras 3's names).
        """
        if loss is None:
            raise ArgumentError(
                f"{self.name}: compile() needs a loss, e.g. loss='binary_crossentropy'."
            )
        optimizer = optimizers_module.get(optimizer)
        loss = losses_module.get(loss)
        plain = self._metric_list("metrics", metrics)
        weighted_list = self._metric_list("weighted_metrics", weighted_metrics)
        entries = [
            _MetricEntry(identifier, weighted, self._compile_metric(identifier, loss))
            for weighted, identifiers in ((False, plain), (True, weighted_list))
            for identifier in identifiers
        ]
        objects = [entry.metric for entry in entries if entry.metric is not None]
        for metric in objects:
            if sum(other is metric for other in objects) > 1:
                raise ArgumentError(
                    f"{self.name}: the metric object {metric!r} is given twice (in metrics "
                    "or weighted_metrics); it would count every batch twice. Pass a "
                    "separate instance for each."
                )
            self._check_one_value(metric, at_compile=True)
        # Nothing changes unless every argument is accepted.
        self.optimizer, self.loss = optimizer, loss
        self._metric_entries = _log_names(entries)

    def _metric_list(self, name: str, metrics: Any) -> list[Any]:
        if metrics is not None and (isinstance(metrics, str) or not isinstance(metrics, Sequence)):
            raise ArgumentTypeError(argument_message(self.name, name, "a list of metrics", metrics))
        return list(metrics or [])

    def _compile_metric(self, identifier: Any, loss: Any) -> metrics_module.Metric | None:
        """The metric for ``identifier``; None for an "accuracy" the targets decide."""
        if not metrics_module.is_accuracy(identifier):
            return metrics_module.get(identifier, loss=loss)
        output_shape = None
        if self.built and self._built_shape is not None:
            output_shape = self._output_shape()
        cls = metrics_module.accuracy_from_shapes(loss, output_shape, None)
        return None if cls is None else cls(name=identifier)

    def _output_shape(self) -> tuple[int | None, ...]:
        shape: Any = self._built_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return tuple(shape)

    @property
    def compiled_metrics(self) -> list[metrics_module.Metric]:
        """The metrics, then the weighted metrics, in log order.

        An ``"accuracy"`` whose kind depends on the targets appears after the first
        batch (fit, evaluate, train_on_batch or test_on_batch).
        """
        return [entry.metric for entry in self._metric_entries if entry.metric is not None]

    def _check_one_value(self, metric: metrics_module.Metric, at_compile: bool = False) -> Any:
        """``metric.result()``, refused unless it is one number (the logs hold one per name)."""
        if at_compile:
            try:
                with np.errstate(all="ignore"):
                    value = metric.result()
            except Exception:  # a fresh custom metric may not report yet; checked when logged
                return None
        else:
            value = metric.result()
        if np.ndim(value) != 0:
            raise ArgumentError(
                f"{self.name}: metric '{metric.name}' ({metric!r}) reports {np.size(value)} "
                "values, but the logs, the progress bar and callbacks take one number per "
                "metric. Compile one metric per value instead, e.g. one "
                "Precision(thresholds=t, name=f'precision_{t}') per threshold."
            )
        return value

    def _check_compiled(self) -> None:
        if self.loss is None:
            raise NotBuiltError(
                f"{self.name}: call compile(optimizer, loss, metrics) before training or "
                "evaluating."
            )

    # ------------------------------------------------------------------ passes
    def _forward(self, x: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.built:
            self.build((None, *x.shape[1:]))
        out: Any = x
        mask = None
        for i, layer in enumerate(self._layers):
            if mask is not None and not layer.supports_masking:
                raise ArgumentError(
                    f"{self.name}: layer '{layer.name}' ({type(layer).__name__}) does not "
                    "support masking but receives a mask; put a layer that consumes the "
                    "mask (an RNN with return_sequences=False, a pooling layer) before it."
                )
            new_mask = layer.compute_mask(out, mask)
            if i == 0:  # the data, in the layer's dtype (1e39 is finite in float64 only)
                out = layer(out, training=training, mask=mask)
            else:
                # NaN and infinity here come from the weights (a diverging run): they show
                # in the loss, as in Keras, instead of being refused as bad data.
                with inputs_checked_upstream():
                    out = layer(out, training=training, mask=mask)
            mask = new_mask
        return out, mask

    def _backward(self, d_out: np.ndarray) -> None:
        for i in range(len(self._layers) - 1, -1, -1):
            d_out = self._layers[i].backward(d_out, input_gradient=i > 0)

    def _optimizer_params(self) -> list[np.ndarray | None]:
        """The parameters in the order the optimizer holds them; None for frozen layers'.

        Every layer's parameters, frozen ones included, so that the optimizer's state
        stays aligned when a layer is frozen or unfrozen between steps (Keras keeps its
        state per variable): a frozen layer's are passed without a gradient.
        """
        return [
            value if layer.trainable else None
            for layer in self._layers
            for value in layer.params.values()
        ]

    def _apply_gradients(self) -> None:
        params, grads, rows = [], [], []
        for layer in self._layers:
            trains = layer.trainable
            sparse = getattr(layer, "sparse_rows", None)
            for key, value in layer.params.items():
                params.append(value)
                grads.append(layer.grads[key] if trains else None)  # None: no update
                rows.append(sparse if trains and key == "embeddings" else None)
        self.optimizer.apply(params, grads, rows=rows)
        for layer in self.trainable_layers:
            layer.apply_constraints()

    def _loss_weights(
        self, mask: np.ndarray | None, sample_weight: np.ndarray | None, y_pred: np.ndarray
    ) -> np.ndarray | None:
        """Sample weights for the loss; an output mask weights the valid steps (Keras 3).

        ``sample_weight`` is one weight per sample, or (for an output with a time axis)
        one per sample and step, shape ``(batch, time)`` (Keras 3's temporal weights).
        """
        if sample_weight is not None and sample_weight.ndim == 2:
            if y_pred.ndim < 3 or sample_weight.shape != y_pred.shape[:2]:
                raise ShapeError(
                    f"{self.name}: a sample_weight of shape (samples, time) weights each step "
                    f"of an output with a time axis; this batch's weights have shape "
                    f"{sample_weight.shape} and the output {y_pred.shape}. Give one weight "
                    "per sample, shape (samples,), or one per output step."
                )
        if mask is None:
            return sample_weight
        mask = mask.astype(y_pred.dtype)
        valid = mask.sum()
        # Keras `apply_mask`: averaging reductions divide by the valid steps; "sum" sums them.
        averaging = self.loss.reduction in ("sum_over_batch_size", "mean")
        weights = mask * (mask.size / valid) if averaging and valid > 0 else mask
        if sample_weight is not None:
            weights = weights * _per_step(sample_weight, weights.ndim)
        return weights

    def _step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        training: bool,
    ) -> float:
        """One batch: the loss (plus the penalties of the weights that made it), metrics."""
        y_pred, mask = self._forward(x, training=training)
        weights = self._loss_weights(mask, sample_weight, y_pred)
        # A diverging run shows inf/NaN in the logs (TerminateOnNaN stops it), as in Keras,
        # rather than NumPy overflow warnings from deep inside the loss.
        with np.errstate(over="ignore", invalid="ignore"):
            if training:
                loss, d_pred = self.loss.value_and_gradient(y, y_pred, sample_weight=weights)
                # The penalty of the weights this batch ran with, before the update.
                loss += float(sum(self.losses))
                self._backward(d_pred)
                self._apply_gradients()
            else:
                loss = float(self.loss(y, y_pred, sample_weight=weights)) + float(sum(self.losses))
            self._update_metrics(y, y_pred, mask, sample_weight)
        return loss

    def _update_metrics(
        self,
        y: np.ndarray,
        y_pred: np.ndarray,
        mask: np.ndarray | None,
        sample_weight: np.ndarray | None,
    ) -> None:
        """Plain metrics see only the output mask; weighted ones also the sample weights.

        The mask weights valid steps 1 and padding 0 (Keras 3's metrics; only the loss
        rescales it), so a metric averages over every valid step seen.
        """
        for entry in self._metric_entries:
            if entry.metric is None:
                cls = metrics_module.accuracy_from_shapes(self.loss, y_pred.shape, y.shape)
                entry.metric = cls(name=entry.identifier)  # type: ignore[misc]
        plain = None if mask is None else mask.astype(np.float64)
        weighted = plain if sample_weight is None else sample_weight
        if plain is not None and sample_weight is not None:
            weighted = plain * _per_step(sample_weight, plain.ndim)
        for entry in self._metric_entries:
            entry.metric.update_state(  # type: ignore[union-attr]
                y, y_pred, sample_weight=weighted if entry.weighted else plain
            )

    # ------------------------------------------------------------------ data
    def _check_data(
        self, x: Any, y: Any = None, sample_weight: Any = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        x = _as_array("x", x)
        if x.ndim < 2:
            raise ShapeError(
                f"{self.name}: x must have a batch axis and at least one more, e.g. "
                f"(samples, time) token ids or (samples, time, features); got shape {x.shape}."
            )
        if y is not None:
            y = _as_array("y", y)
            if len(y) != len(x):
                raise ShapeError(
                    f"{self.name}: x and y must have the same number of samples; got "
                    f"{len(x)} and {len(y)}."
                )
        if sample_weight is not None:
            sample_weight = _as_array("sample_weight", sample_weight).astype(np.float64)
            if sample_weight.ndim not in (1, 2) or len(sample_weight) != len(x):
                raise ShapeError(
                    f"{self.name}: sample_weight must have shape ({len(x)},), or "
                    f"({len(x)}, time) for a model whose output keeps the time axis; got "
                    f"{sample_weight.shape}."
                )
        if np.issubdtype(x.dtype, np.floating) and not all_finite(x):
            raise ArgumentError(f"{self.name}: x contains NaN or infinity; clean the data first.")
        return x, y, sample_weight

    def _class_weights(self, y: np.ndarray, class_weight: dict | None) -> np.ndarray | None:
        if class_weight is None:
            return None
        if not isinstance(class_weight, dict):
            raise ArgumentTypeError(
                argument_message(self.name, "class_weight", "a dict {class: weight}", class_weight)
            )
        if y.ndim >= 2 and y.shape[-1] > 1:
            classes = np.argmax(y, axis=-1)
        else:
            classes = np.rint(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
        if classes.ndim > 1:
            raise ArgumentError(
                f"{self.name}: class_weight needs one label per sample; use sample_weight "
                "for sequence targets."
            )
        missing = sorted(set(np.unique(classes).tolist()) - set(class_weight))
        if missing:
            raise ArgumentError(f"{self.name}: class_weight has no weight for class(es) {missing}.")
        return np.array([class_weight[c] for c in classes.tolist()], dtype=np.float64)

    def _training_weights(
        self, y: np.ndarray, class_weight: dict | None, sample_weight: np.ndarray | None
    ) -> np.ndarray | None:
        """Per-sample training weights: class weights times sample weights."""
        weights = self._class_weights(y, class_weight)
        if sample_weight is not None:
            weights = (
                sample_weight
                if weights is None
                else _per_step(weights, sample_weight.ndim) * sample_weight
            )
        return weights

    def _check_not_empty(self, method: str, name: str, x: np.ndarray) -> None:
        if len(x) == 0:
            raise ShapeError(
                f"{self.name}: {method}() got no samples ({name} has shape {x.shape}); pass at "
                "least one sample."
            )

    def _check_validation_data(
        self, validation_data: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``validation_data`` as ``(x, y, sample_weight)``, checked before any training."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ArgumentTypeError(
                argument_message(
                    self.name,
                    "validation_data",
                    "a tuple (x, y) or (x, y, sample_weight)",
                    validation_data,
                )
            )
        if validation_data[1] is None:
            raise ArgumentError(
                f"{self.name}: validation_data has no targets (its y is None); pass "
                "(x_val, y_val) or (x_val, y_val, sample_weight), or leave validation_data out."
            )
        vx, vy, vw = self._check_data(*validation_data)
        self._check_not_empty("fit", "validation_data's x", vx)
        return vx, vy, vw  # type: ignore[return-value]

    def _batches(self, count: int, batch_size: int, shuffle: bool) -> list[np.ndarray]:
        order = self._shuffle_rng.permutation(count) if shuffle else np.arange(count)
        return [order[i : i + batch_size] for i in range(0, count, batch_size)]

    def _valid_spans(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per sample, the span of steps the first layer's mask marks valid."""
        mask = self._layers[0].compute_mask(x, None) if self._layers else None
        if mask is None or np.ndim(mask) != 2:
            raise ArgumentError(
                f"{self.name}: bucket_by_length=True cuts the padding off each batch, which "
                "leaves the results unchanged only when the model masks its padding; start "
                "the model with Embedding(mask_zero=True) or Masking(mask_value=...), or "
                "pass bucket_by_length=False."
            )
        return valid_spans(mask)

    def _check_bucketing(self, method: str, x: np.ndarray) -> None:
        """Refuse ``bucket_by_length`` where cutting each batch's padding would change results.

        Stateful layers need their samples in order; an output that keeps the time axis
        (it carries the mask) would be cut along with the input, and so would its targets.
        """
        if any(getattr(layer, "stateful", False) for layer in self._layers):
            raise ArgumentError(
                f"{self.name}: the model has stateful layers, whose batches must keep their "
                f"samples in order; {method} with bucket_by_length=False."
            )
        for layer in self._layers:
            for sub in (layer, *getattr(layer, "_wrapped", ())):
                if getattr(sub, "zero_output_for_mask", False) and not sub.return_sequences:
                    raise ArgumentError(
                        f"{self.name}: layer '{sub.name}' returns zeros when the last step it "
                        "reads is masked (zero_output_for_mask=True, return_sequences=False); "
                        "bucket_by_length=True cuts each batch's padding and so would change "
                        f"that output. {method} with bucket_by_length=False, or use "
                        "zero_output_for_mask=False."
                    )
        _, mask = self._forward(x[:1], training=False)
        if mask is not None:
            raise ArgumentError(
                f"{self.name}: the model's output keeps a time axis (it carries the mask), "
                f"which bucket_by_length=True would cut; {method} with bucket_by_length=False."
            )

    def _plan(
        self, x: np.ndarray, batch_size: int, shuffle: bool, bucket_by_length: bool
    ) -> list[tuple[np.ndarray, slice]]:
        """``(sample indices, time window)`` per batch.

        With ``bucket_by_length`` the batches group samples of similar length and each
        keeps only the steps where at least one of its samples is unmasked
        (:mod:`rnnkit.data.buckets`); the number of batches stays ``ceil(len(x) /
        batch_size)``.
        """
        if not bucket_by_length:
            return [(index, slice(None)) for index in self._batches(len(x), batch_size, shuffle)]
        starts, stops = self._valid_spans(x)
        rng = self._shuffle_rng if shuffle else None
        return [
            (index, batch_window(starts, stops, index))
            for index in bucket_batches(starts, stops, batch_size, rng)
        ]

    # ------------------------------------------------------------------ public loops
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: callbacks_module.Callback | Sequence[callbacks_module.Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        bucket_by_length: bool = False,
    ) -> callbacks_module.History:
        """Train for ``epochs`` epochs; returns a :class:`~rnnkit.callbacks.History`.

        Arguments as in Keras. ``validation_split`` takes the last fraction of the data
        (before shuffling); ``validation_data`` is ``(x, y)`` or ``(x, y, sample_weight)``,
        checked before training starts. ``class_weight`` weights training only: the
        validation samples keep just the sample weights given for them. Each epoch's
        validation calls the callbacks' ``on_test_*`` hooks, as Keras does.
        ``callbacks`` is one callback or a list; a ``History`` among them is the one
        returned, and ``on_train_end`` gets the last epoch's logs (Keras).
        Stateful models must use ``shuffle=False`` (sample i of batch k+1 continues
        sample i of batch k).

        ``bucket_by_length`` (rnnkit's own): batch samples of similar length together and
        run each batch only over the time steps where one of its samples is unmasked, so
        an epoch costs time in proportion to the real steps rather than the padded ones.
        The model must mask its padding (``Embedding(mask_zero=True)`` or ``Masking``
        first); the results of each sample are then those of the padded batch. With
        ``shuffle=True`` samples are shuffled, sorted by length within pools of 20
        batches, and the batches shuffled. Validation uses it too.
        """
        self._check_compiled()
        batch_size = (
            32 if batch_size is None else check_positive_int(self.name, "batch_size", batch_size)
        )
        epochs = check_non_negative_int(self.name, "epochs", epochs)
        initial_epoch = check_non_negative_int(self.name, "initial_epoch", initial_epoch)
        x, y, sample_weight = self._check_data(x, y, sample_weight)
        if y is None:
            raise ArgumentError(f"{self.name}: fit() needs targets y.")
        self._check_not_empty("fit", "x", x)
        if not 0.0 <= float(validation_split) < 1.0:
            raise ArgumentError(
                argument_message(
                    self.name, "validation_split", "a float in [0, 1)", validation_split
                )
            )
        if validation_data is not None and validation_split:
            raise ArgumentError(f"{self.name}: give validation_data or validation_split, not both.")
        stateful = any(getattr(layer, "stateful", False) for layer in self._layers)
        if stateful and shuffle:
            raise ArgumentError(
                f"{self.name}: the model has stateful layers; pass shuffle=False so that "
                "sample i of each batch continues sample i of the previous batch."
            )
        bucket_by_length = check_bool(self.name, "bucket_by_length", bucket_by_length)
        if bucket_by_length:
            self._check_bucketing("fit", x)
        val = None
        if validation_split:
            split = int(len(x) * (1.0 - validation_split))
            if split == 0 or split == len(x):
                raise ArgumentError(
                    f"{self.name}: validation_split={validation_split} leaves no training or "
                    f"no validation samples out of {len(x)}."
                )
            # class_weight weights training only (Keras): the validation rows keep the
            # sample weights given for them.
            val = (x[split:], y[split:], None if sample_weight is None else sample_weight[split:])
            x, y = x[:split], y[:split]
            sample_weight = None if sample_weight is None else sample_weight[:split]
        elif validation_data is not None:
            val = self._check_validation_data(validation_data)
        weights = self._training_weights(y, class_weight, sample_weight)
        if stateful and len(x) % batch_size:
            raise ArgumentError(
                f"{self.name}: stateful layers need the number of samples ({len(x)}) to be a "
                f"multiple of batch_size ({batch_size})."
            )
        self._forward(x[:1] if not stateful else x[:batch_size], training=False)  # build
        if stateful:
            self.reset_states()

        steps = -(-len(x) // batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks,
            model=self,
            history=callbacks_module.History(),
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        history = callback_list.history  # a History among the callbacks, as in Keras
        training_logs: dict[str, float] = {}
        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            callback_list.on_epoch_begin(epoch)
            loss_sum, seen = 0.0, 0
            for step, (index, window) in enumerate(
                self._plan(x, batch_size, shuffle, bucket_by_length)
            ):
                callback_list.on_train_batch_begin(step)
                loss = self._step(
                    x[index][:, window],
                    y[index],
                    None if weights is None else weights[index],
                    True,
                )
                loss_sum += loss * len(index)
                seen += len(index)
                logs = {"loss": loss_sum / seen, **self._metric_results()}
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = {"loss": loss_sum / max(seen, 1), **self._metric_results()}
            if val is not None:
                # fit's callbacks see the validation as an evaluation (on_test_*), as in
                # Keras; the progress bar shows it only in the epoch's line.
                val_logs = self._test_loop(
                    *val,
                    self._plan(val[0], batch_size, False, bucket_by_length),
                    callback_list.for_validation(),
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if epochs > 0:
            # EMA weights replace the trained ones before on_train_end (Keras 3's order).
            self.optimizer.finalize_variable_values(self._optimizer_params())
        callback_list.on_train_end(training_logs)  # the last epoch's logs, as in Keras
        self.history = history
        return history

    def _reset_metrics(self) -> None:
        for metric in self.compiled_metrics:
            metric.reset_state()

    def _metric_results(self) -> dict[str, float]:
        return {
            entry.log_name: float(self._check_one_value(entry.metric))
            for entry in self._metric_entries
            if entry.metric is not None
        }

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        return_dict: bool = False,
        callbacks: callbacks_module.Callback | Sequence[callbacks_module.Callback] | None = None,
        bucket_by_length: bool = False,
    ) -> Any:
        """Loss (and metrics) on ``x, y``: a float, a list ``[loss, *metrics]``, or a dict.

        ``bucket_by_length``: batch samples by length and cut each batch's padding, as in
        :meth:`fit` (the model must mask its padding).
        """
        self._check_compiled()
        batch_size = (
            32 if batch_size is None else check_positive_int(self.name, "batch_size", batch_size)
        )
        x, y, sample_weight = self._check_data(x, y, sample_weight)
        if y is None:
            raise ArgumentError(f"{self.name}: evaluate() needs targets y.")
        self._check_not_empty("evaluate", "x", x)
        bucket_by_length = check_bool(self.name, "bucket_by_length", bucket_by_length)
        if bucket_by_length:
            self._check_bucketing("evaluate", x)
        batches = self._plan(x, batch_size, False, bucket_by_length)
        callback_list = callbacks_module.CallbackList(
            callbacks,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=len(batches),
            mode="test",
        )
        logs = self._test_loop(x, y, sample_weight, batches, callback_list)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _test_loop(
        self,
        x: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        batches: list[tuple[np.ndarray, slice]],
        callback_list: Any,
    ) -> dict[str, float]:
        """Evaluate ``batches`` of ``x, y`` with the test hooks; returns the logs."""
        self._reset_metrics()
        callback_list.on_test_begin()
        loss_sum, seen = 0.0, 0
        for step, (index, window) in enumerate(batches):
            callback_list.on_test_batch_begin(step)
            loss = self._step(
                x[index][:, window],
                y[index],
                None if sample_weight is None else sample_weight[index],
                False,
            )
            loss_sum += loss * len(index)
            seen += len(index)
            callback_list.on_test_batch_end(
                step, {"loss": loss_sum / seen, **self._metric_results()}
            )
        logs = {"loss": loss_sum / seen, **self._metric_results()}
        callback_list.on_test_end(logs)
        return logs

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        callbacks: callbacks_module.Callback | Sequence[callbacks_module.Callback] | None = None,
        bucket_by_length: bool = False,
    ) -> np.ndarray:
        """Outputs for ``x``, computed in batches (no dropout), in the order of ``x``.

        ``verbose="auto"`` is 1 (a progress bar), as in Keras 3. Callbacks'
        ``on_predict_batch_end`` get ``{"outputs": <the batch's outputs>}``.

        ``bucket_by_length``: batch samples by length and cut each batch's padding, as in
        :meth:`fit`; for models whose output has no time axis (the model must mask its
        padding, and its output must not carry the mask).
        """
        batch_size = (
            32 if batch_size is None else check_positive_int(self.name, "batch_size", batch_size)
        )
        x, _, _ = self._check_data(x)
        self._check_not_empty("predict", "x", x)
        bucket_by_length = check_bool(self.name, "bucket_by_length", bucket_by_length)
        if bucket_by_length:
            self._check_bucketing("predict", x)
        batches = self._plan(x, batch_size, False, bucket_by_length)
        callback_list = callbacks_module.CallbackList(
            callbacks,
            model=self,
            verbose=verbose,  # "auto" is 1: a bar, as in Keras 3
            epochs=1,
            steps=len(batches),
            mode="predict",
        )
        callback_list.on_predict_begin()
        outputs = []
        for step, (index, window) in enumerate(batches):
            callback_list.on_predict_batch_begin(step)
            output, _ = self._forward(x[index][:, window], training=False)
            outputs.append(output)
            callback_list.on_predict_batch_end(step, {"outputs": output})
        callback_list.on_predict_end()
        result = np.concatenate(outputs, axis=0)
        if bucket_by_length:
            order = np.concatenate([index for index, _ in batches])
            result[order] = result.copy()
        return result

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        """Run the model on one batch."""
        x, _, _ = self._check_data(x)
        return self._forward(x, training=training)[0]

    def train_on_batch(
        self,
        x: Any,
        y: Any,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One gradient update on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled()
        x, y, sample_weight = self._check_data(x, y, sample_weight)
        weights = self._training_weights(y, class_weight, sample_weight)
        self._reset_metrics()
        loss = self._step(x, y, weights, True)
        return self._batch_result(loss, return_dict)

    def test_on_batch(
        self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) on one batch, without updating."""
        self._check_compiled()
        x, y, sample_weight = self._check_data(x, y, sample_weight)
        self._reset_metrics()
        loss = self._step(x, y, sample_weight, False)
        return self._batch_result(loss, return_dict)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """Outputs for one batch."""
        return self(x)

    def _batch_result(self, loss: float, return_dict: bool) -> Any:
        logs = {"loss": loss, **self._metric_results()}
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ config and files
    def get_config(self) -> dict[str, Any]:
        """Architecture: the layers' class names and configs."""
        return {
            "name": self.name,
            "trainable": self._trainable,
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._layers
            ],
            "build_input_shape": None if self._built_shape is None else list(self._built_shape),
        }

    def save(self, filepath: str, overwrite: bool = True) -> None:
        """Save architecture, weights and optimizer state to one file (see :mod:`rnnkit.saving`)."""
        from rnnkit import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """Save the weights only."""
        from rnnkit import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str) -> None:
        """Load weights saved by :meth:`save_weights` (or a full model file)."""
        from rnnkit import saving

        saving.load_weights(self, filepath)


def load_model(filepath: str) -> Sequential:
    """Load a model saved by :func:`rnnkit.save_model` / :meth:`Sequential.save`."""
    from rnnkit import saving

    return saving.load_model(filepath)
