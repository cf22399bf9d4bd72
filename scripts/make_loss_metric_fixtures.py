"""Write the Keras 3 reference values for tests/test_losses.py and tests/test_metrics.py.

Run with real Keras 3 on the torch backend::

    KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_loss_metric_fixtures.py

It writes ``tests/fixtures/losses_metrics.npz``:

* ``cases``: JSON, ``{"losses": [...], "metrics": [...]}``; each case has a ``key``,
  the rnnkit ``class`` name and its ``kwargs`` (the Keras ones are the same), and
  ``weighted`` (whether a ``sample_weight`` array is stored).
* loss case ``k``: ``k__y_true``, ``k__y_pred``, optional ``k__sample_weight`` (rnnkit's
  form: ``(batch,)`` or per-sample shape), ``k__value32`` / ``k__value64`` (the Keras
  loss with ``dtype="float32"`` on float32 inputs / ``dtype="float64"``).
* metric case ``k``: two batches ``k__y_true1``, ``k__y_pred1``, ``k__y_true2``,
  ``k__y_pred2``, ``k__sample_weight2`` (the second call is weighted), and
  ``k__result``, the Keras result after both ``update_state`` calls (float32 metric).
  ``Mean`` cases store ``values1``/``values2`` instead of ``y_true``/``y_pred``.

Where Keras cannot broadcast rnnkit's ``(batch,)`` weights over a time axis, Keras is
given the same weights repeated along time (rnnkit's documented meaning). The script is
deterministic and rewrites the file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

if keras.backend.backend() != "torch":
    sys.exit("make_loss_metric_fixtures.py needs KERAS_BACKEND=torch")

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "losses_metrics.npz"
rng = np.random.default_rng(20261125)
arrays: dict[str, np.ndarray] = {}
cases: dict[str, list[dict]] = {"losses": [], "metrics": []}


def left_broadcast(weight, shape):
    """rnnkit's weights broadcast from the left to ``shape`` (what Keras is given)."""
    weight = np.asarray(weight)
    return np.broadcast_to(weight.reshape(weight.shape + (1,) * (len(shape) - weight.ndim)), shape)


def probabilities(shape, exact=True):
    p = rng.uniform(0.02, 0.98, size=shape)
    if exact:  # exact 0s and 1s exercise the clip to [1e-7, 1 - 1e-7]
        flat = p.reshape(-1)
        flat[0], flat[-1] = 0.0, 1.0
    return p


def binary_labels(shape):
    return rng.integers(0, 2, size=shape).astype(np.float64)


def one_hot(shape):
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    return np.eye(shape[-1])[labels], labels


def weights(batch):
    return rng.uniform(0.0, 2.0, size=batch)


# ---------------------------------------------------------------- losses
def add_loss(key, cls, kwargs, y_true, y_pred, sample_weight=None):
    keras_cls = getattr(keras.losses, cls)
    arrays[f"{key}__y_true"] = np.asarray(y_true)
    arrays[f"{key}__y_pred"] = np.asarray(y_pred, np.float64)
    keras_weight = None
    if sample_weight is not None:
        arrays[f"{key}__sample_weight"] = np.asarray(sample_weight)
        per_sample = keras_cls(**kwargs, reduction=None)(y_true, y_pred)
        keras_weight = left_broadcast(sample_weight, tuple(per_sample.shape))
    for bits, dtype in ((32, np.float32), (64, np.float64)):
        loss = keras_cls(**kwargs, dtype=f"float{bits}")
        w = None if keras_weight is None else keras_weight.astype(dtype)
        value = loss(np.asarray(y_true).astype(dtype), np.asarray(y_pred).astype(dtype), w)
        arrays[f"{key}__value{bits}"] = np.asarray(keras.ops.convert_to_numpy(value), np.float64)
    cases["losses"].append(
        {"key": key, "class": cls, "kwargs": kwargs, "weighted": sample_weight is not None}
    )


def loss_cases():
    # Binary cross-entropy: (batch, 1) with (batch,) and (batch, 1) labels, several
    # sigmoid outputs, sequences (batch, time, 1) with and without the last label axis.
    bce_shapes = {
        "col_flat": ((6, 1), (6,)),
        "col": ((6, 1), (6, 1)),
        "multi": ((6, 3), (6, 3)),
        "seq": ((4, 5, 1), (4, 5, 1)),
        "seq_flat": ((4, 5, 1), (4, 5)),
    }
    for name, (pred_shape, true_shape) in bce_shapes.items():
        for from_logits in (False, True):
            for smoothing in (0.0, 0.2):
                kwargs = {"from_logits": from_logits, "label_smoothing": smoothing}
                y_true = binary_labels(true_shape)
                if from_logits:
                    y_pred = rng.normal(scale=3.0, size=pred_shape)
                else:
                    y_pred = probabilities(pred_shape)
                key = f"bce_{name}_{'logits' if from_logits else 'probs'}_ls{smoothing}"
                add_loss(key, "BinaryCrossentropy", kwargs, y_true, y_pred)
                add_loss(
                    key + "_w", "BinaryCrossentropy", kwargs, y_true, y_pred, weights(true_shape[0])
                )
    # A 1-D prediction: Keras averages it into one number, the same as rnnkit unweighted.
    add_loss("bce_vec", "BinaryCrossentropy", {}, binary_labels((6,)), probabilities((6,)))
    # Per-time-step weights on a sequence.
    add_loss(
        "bce_seq_stepw",
        "BinaryCrossentropy",
        {},
        binary_labels((4, 5, 1)),
        probabilities((4, 5, 1)),
        rng.uniform(0, 2, size=(4, 5)),
    )

    for pred_shape in ((6, 4), (3, 5, 4)):
        tag = "seq" if len(pred_shape) == 3 else "2d"
        for from_logits in (False, True):
            for smoothing in (0.0, 0.1):
                kwargs = {"from_logits": from_logits, "label_smoothing": smoothing}
                y_true, labels = one_hot(pred_shape)
                if from_logits:
                    y_pred = rng.normal(scale=2.0, size=pred_shape)
                else:  # unnormalised rows, one exact 0 and one near-one-hot row
                    y_pred = rng.uniform(0.05, 1.5, size=pred_shape)
                    y_pred.reshape(-1, pred_shape[-1])[0, 0] = 0.0
                    y_pred.reshape(-1, pred_shape[-1])[1] = [1.0] + [0.0] * (pred_shape[-1] - 1)
                kind = "logits" if from_logits else "probs"
                key = f"cce_{tag}_{kind}_ls{smoothing}"
                w = weights(pred_shape[0])
                add_loss(key, "CategoricalCrossentropy", kwargs, y_true, y_pred)
                add_loss(key + "_w", "CategoricalCrossentropy", kwargs, y_true, y_pred, w)
                if smoothing == 0.0:
                    skw = {"from_logits": from_logits}
                    key = f"scce_{tag}_{kind}"
                    add_loss(key, "SparseCategoricalCrossentropy", skw, labels, y_pred)
                    add_loss(key + "_w", "SparseCategoricalCrossentropy", skw, labels, y_pred, w)
                    add_loss(
                        key + "_col",
                        "SparseCategoricalCrossentropy",
                        skw,
                        labels[..., None],
                        y_pred,
                    )

    for cls, tag in (("MeanSquaredError", "mse"), ("MeanAbsoluteError", "mae")):
        for pred_shape, true_shape in (((6, 1), (6,)), ((6, 3), (6, 3)), ((3, 5, 2), (3, 5, 2))):
            y_true = rng.normal(size=true_shape)
            y_pred = rng.normal(size=pred_shape)
            key = f"{tag}_{'x'.join(map(str, pred_shape))}"
            add_loss(key, cls, {}, y_true, y_pred)
            add_loss(key + "_w", cls, {}, y_true, y_pred, weights(pred_shape[0]))
        add_loss(f"{tag}_vec", cls, {}, rng.normal(size=6), rng.normal(size=6))


# ---------------------------------------------------------------- metrics
def add_metric(key, cls, kwargs, batches, sample_weight, keras_weight=None):
    """``batches``: two (y_true, y_pred) pairs; the second update is weighted."""
    metric = getattr(keras.metrics, cls)(**kwargs)
    (t1, p1), (t2, p2) = batches
    metric.update_state(t1, p1)
    w = sample_weight if keras_weight is None else keras_weight
    metric.update_state(t2, p2, sample_weight=w)
    arrays[f"{key}__result"] = np.asarray(keras.ops.convert_to_numpy(metric.result()), np.float64)
    for i, (t, p) in enumerate(batches, start=1):
        arrays[f"{key}__y_true{i}"] = np.asarray(t)
        arrays[f"{key}__y_pred{i}"] = np.asarray(p, np.float64)
    arrays[f"{key}__sample_weight2"] = np.asarray(sample_weight)
    cases["metrics"].append({"key": key, "class": cls, "kwargs": kwargs, "weighted": True})


def add_mean(key, shape):
    metric = keras.metrics.Mean()
    v1, v2, w = rng.normal(size=shape), rng.normal(size=shape), weights(shape[0])
    metric.update_state(v1)
    metric.update_state(v2, sample_weight=w)
    arrays[f"{key}__result"] = np.asarray(keras.ops.convert_to_numpy(metric.result()), np.float64)
    arrays[f"{key}__values1"], arrays[f"{key}__values2"] = v1, v2
    arrays[f"{key}__sample_weight2"] = w
    cases["metrics"].append({"key": key, "class": "Mean", "kwargs": {}, "weighted": True})


def binary_batches(pred_shape, true_shape, logits=False):
    def make():
        p = rng.normal(scale=2.0, size=pred_shape) if logits else probabilities(pred_shape)
        return binary_labels(true_shape), p

    return [make(), make()]


def metric_cases():
    add_metric("binacc_col", "BinaryAccuracy", {}, binary_batches((8, 1), (8,)), weights(8))
    add_metric(
        "binacc_multi_t03",
        "BinaryAccuracy",
        {"threshold": 0.3},
        binary_batches((8, 3), (8, 3)),
        weights(8),
    )
    add_metric("binacc_seq", "BinaryAccuracy", {}, binary_batches((4, 5, 1), (4, 5, 1)), weights(4))
    add_metric(
        "acc_indices",
        "Accuracy",
        {},
        [
            (rng.integers(0, 3, size=8), rng.integers(0, 3, size=(8, 1)).astype(float))
            for _ in range(2)
        ],
        weights(8),
    )
    for shape in ((8, 4), (3, 5, 4)):
        tag = "seq" if len(shape) == 3 else "2d"
        batches = [(one_hot(shape)[0], rng.uniform(size=shape)) for _ in range(2)]
        add_metric(f"catacc_{tag}", "CategoricalAccuracy", {}, batches, weights(shape[0]))
        batches = [(one_hot(shape)[1], rng.uniform(size=shape)) for _ in range(2)]
        add_metric(f"sparseacc_{tag}", "SparseCategoricalAccuracy", {}, batches, weights(shape[0]))
    batches = [(one_hot((8, 4))[1][:, None], rng.uniform(size=(8, 4))) for _ in range(2)]
    add_metric("sparseacc_col", "SparseCategoricalAccuracy", {}, batches, weights(8))

    for cls in ("Precision", "Recall"):
        for name, thresholds in (("default", None), ("t03", 0.3), ("multi", [0.2, 0.5, 0.8])):
            kwargs = {} if thresholds is None else {"thresholds": thresholds}
            key = f"{cls.lower()}_{name}"
            add_metric(key, cls, kwargs, binary_batches((10, 1), (10,)), weights(10))
        w = weights(3)
        add_metric(
            f"{cls.lower()}_seq",
            cls,
            {},
            binary_batches((3, 4, 1), (3, 4, 1)),
            w,
            keras_weight=left_broadcast(w, (3, 4)),
        )
        add_metric(
            f"{cls.lower()}_multi_label", cls, {}, binary_batches((6, 3), (6, 3)), weights(6)
        )

    auc_configs = {
        "roc": {},
        "pr": {"curve": "PR"},
        "roc_n7": {"num_thresholds": 7},
        "roc_minoring": {"summation_method": "minoring"},
        "pr_majoring": {"curve": "PR", "summation_method": "majoring"},
        "pr_n9_minoring": {"curve": "PR", "num_thresholds": 9, "summation_method": "minoring"},
        "roc_logits": {"from_logits": True},
    }
    for name, kwargs in auc_configs.items():
        logits = kwargs.get("from_logits", False)
        add_metric(
            f"auc_{name}", "AUC", kwargs, binary_batches((40, 1), (40,), logits), weights(40)
        )
    w = weights(3)
    add_metric(
        "auc_seq",
        "AUC",
        {},
        binary_batches((3, 6, 1), (3, 6)),
        w,
        keras_weight=left_broadcast(w, (3, 6)),
    )

    add_mean("mean_flat", (6,))
    add_mean("mean_2d", (3, 4))
    for cls, tag in (("MeanSquaredError", "mse"), ("MeanAbsoluteError", "mae")):
        for shape in ((6, 3), (3, 5, 2)):
            batches = [(rng.normal(size=shape), rng.normal(size=shape)) for _ in range(2)]
            add_metric(f"{tag}_{len(shape)}d", cls, {}, batches, weights(shape[0]))


loss_cases()
metric_cases()
arrays["cases"] = np.array(json.dumps(cases))
OUT.parent.mkdir(parents=True, exist_ok=True)
np.savez_compressed(OUT, **arrays)
print(f"wrote {OUT} ({len(cases['losses'])} loss cases, {len(cases['metrics'])} metric cases)")
