import json
from pathlib import Path

import numpy as np
import pytest

from rnnkit import losses, metrics
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError

FIXTURES = np.load(Path(__file__).parent / "fixtures" / "losses_metrics.npz")
METRIC_CASES = json.loads(str(FIXTURES["cases"]))["metrics"]


# Keras 3.15.1 (torch backend, float32 metrics), scripts/make_loss_metric_fixtures.py: two
# update_state calls, the second weighted, then result().
@pytest.mark.parametrize("case", METRIC_CASES, ids=[c["key"] for c in METRIC_CASES])
def test_results_match_keras(case):
    key = case["key"]
    metric = getattr(metrics, case["class"])(**case["kwargs"])
    weight = FIXTURES[f"{key}__sample_weight2"]
    if case["class"] == "Mean":
        metric.update_state(FIXTURES[f"{key}__values1"])
        metric.update_state(FIXTURES[f"{key}__values2"], sample_weight=weight)
    else:
        metric.update_state(FIXTURES[f"{key}__y_true1"], FIXTURES[f"{key}__y_pred1"])
        metric.update_state(
            FIXTURES[f"{key}__y_true2"], FIXTURES[f"{key}__y_pred2"], sample_weight=weight
        )
    expected = FIXTURES[f"{key}__result"]
    result = metric.result()
    if expected.ndim == 0:
        assert type(result) is float
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


def _exact_roc_auc(y_true, y_pred):
    """Mann-Whitney: the probability that a positive outranks a negative (ties count 1/2)."""
    positive, negative = y_pred[y_true == 1], y_pred[y_true == 0]
    greater = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return greater + 0.5 * ties


def test_auc_approaches_the_exact_roc_auc(rng):
    y_true = rng.integers(0, 2, size=400)
    y_pred = np.clip(0.3 * y_true + rng.uniform(0, 0.7, size=400), 0, 1)
    metric = metrics.AUC(num_thresholds=2000)
    metric.update_state(y_true[:150], y_pred[:150])
    metric.update_state(y_true[150:], y_pred[150:])
    assert metric.result() == pytest.approx(_exact_roc_auc(y_true, y_pred), abs=2e-3)


def test_auc_of_a_perfect_ranking_is_one(rng):
    for curve in ("ROC", "PR"):
        metric = metrics.AUC(curve=curve)
        metric.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
        assert metric.result() == pytest.approx(1.0)
    metric = metrics.AUC(num_thresholds=3)
    metric.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert metric.result() == 1.0


def test_results_before_any_update_and_after_reset():
    for metric in (
        metrics.BinaryAccuracy(),
        metrics.Precision(),
        metrics.Recall(),
        metrics.AUC(),
        metrics.Mean(),
        metrics.MeanSquaredError(),
    ):
        assert metric.result() == 0.0
        if isinstance(metric, metrics.Mean):
            metric.update_state([1.0, 2.0])
        else:
            metric.update_state([[1], [0]], [[0.9], [0.2]])
        metric.reset_state()
        assert metric.result() == 0.0


def test_mean_of_batch_losses():
    mean = metrics.Mean(name="loss")
    mean.update_state(0.5)
    mean.update_state(1.5)
    assert mean.result() == 1.0 and mean.name == "loss"
    mean.update_state(4.0, sample_weight=2.0)  # a scalar weight counts as that many samples
    assert mean.result() == pytest.approx((0.5 + 1.5 + 8.0) / 4)


def test_sequence_weights_broadcast_over_time(rng):
    y_true = rng.integers(0, 2, size=(3, 4, 1))
    y_pred = rng.uniform(size=(3, 4, 1))
    weight = np.array([0.5, 0.0, 2.0])
    for cls in (metrics.BinaryAccuracy, metrics.Precision, metrics.Recall, metrics.AUC):
        per_sample, per_step = cls(), cls()
        per_sample.update_state(y_true, y_pred, sample_weight=weight)
        per_step.update_state(y_true, y_pred, sample_weight=np.repeat(weight[:, None], 4, axis=1))
        assert per_sample.result() == pytest.approx(per_step.result(), rel=1e-12)


def test_precision_and_recall_values():
    y_true, y_pred = [0, 1, 1, 1, 0], [0.9, 0.2, 0.6, 0.7, 0.1]  # TP 2, FP 1, FN 1 at 0.5
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(y_true, y_pred)
    recall.update_state(y_true, y_pred)
    assert precision.result() == pytest.approx(2 / 3) and recall.result() == pytest.approx(2 / 3)
    several = metrics.Precision(thresholds=[0.0, 0.5, 0.95])
    several.update_state(y_true, y_pred)
    np.testing.assert_allclose(several.result(), [3 / 5, 2 / 3, 0.0])
    # A prediction equal to the threshold is negative (y_pred > threshold).
    at = metrics.Recall(thresholds=0.5)
    at.update_state([1], [0.5])
    assert at.result() == 0.0


def test_accuracies():
    binary = metrics.BinaryAccuracy(threshold=0.0)  # logits
    binary.update_state([1, 0, 1, 0], [[2.0], [-1.0], [-0.5], [0.0]])
    assert binary.result() == 0.75  # 0.0 is not > 0.0: predicted 0
    categorical = metrics.CategoricalAccuracy()
    categorical.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]], sample_weight=[3, 1])
    assert categorical.result() == 0.75
    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state([[1, 0], [1, 1]], np.eye(2)[[[1, 1], [1, 1]]])  # (2, 2, 2) sequences
    assert sparse.result() == 0.75
    exact = metrics.Accuracy()
    exact.update_state([1, 2, 3], [1.0, 2.0, 4.0])
    assert exact.result() == pytest.approx(2 / 3)


def test_mse_and_mae_metrics():
    mse, mae = metrics.MeanSquaredError(), metrics.MeanAbsoluteError()
    for metric in (mse, mae):
        metric.update_state([[0.0, 0.0], [1.0, 1.0]], [[1.0, 3.0], [1.0, 1.0]])
    assert mse.result() == pytest.approx((5.0 + 0.0) / 2)
    assert mae.result() == pytest.approx((2.0 + 0.0) / 2)


# ---------------------------------------------------------------- get
@pytest.mark.parametrize(
    ("kwargs", "cls"),
    [
        ({"loss": "binary_crossentropy"}, metrics.BinaryAccuracy),
        ({"loss": losses.BinaryCrossentropy(from_logits=True)}, metrics.BinaryAccuracy),
        ({"loss": "categorical_crossentropy"}, metrics.CategoricalAccuracy),
        ({"loss": "sparse_categorical_crossentropy"}, metrics.SparseCategoricalAccuracy),
        ({"loss": "mse", "output_shape": (None, 1)}, metrics.BinaryAccuracy),
        ({"output_shape": (None, 1)}, metrics.BinaryAccuracy),
        ({"output_shape": (None, 20, 1)}, metrics.BinaryAccuracy),
        ({"output_shape": (None,)}, metrics.BinaryAccuracy),
        ({"output_shape": (None, 5)}, metrics.CategoricalAccuracy),
        (
            {"loss": "sparse_categorical_crossentropy", "output_shape": (None, 5)},
            metrics.SparseCategoricalAccuracy,
        ),
        ({"loss": "mse"}, metrics.CategoricalAccuracy),
    ],
)
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_get_resolves_accuracy(identifier, kwargs, cls):
    metric = metrics.get(identifier, **kwargs)
    assert type(metric) is cls and metric.name == identifier


def test_get_accuracy_needs_a_hint():
    with pytest.raises(ArgumentError, match="loss=.*output_shape=.*binary_accuracy"):
        metrics.get("accuracy")
    with pytest.raises(ArgumentTypeError, match="output_shape"):
        metrics.get("accuracy", output_shape=(None, "a"))
    with pytest.raises(ArgumentError, match="loss"):
        metrics.get("accuracy", loss="hinge")


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("precision", metrics.Precision),
        ("recall", metrics.Recall),
        ("auc", metrics.AUC),
        ("mse", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("mean_absolute_error", metrics.MeanAbsoluteError),
        ("Precision", metrics.Precision),
    ],
)
def test_get_names(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls and metric.name == identifier


def test_get_instances_classes_and_errors():
    auc = metrics.AUC(curve="PR")
    assert metrics.get(auc) is auc
    assert metrics.get(metrics.Recall).name == "recall"
    with pytest.raises(ArgumentError, match="accuracy, acc, binary_accuracy"):
        metrics.get("f1")
    with pytest.raises(ArgumentError, match="class name"):
        metrics.get({"class_name": "F1Score", "config": {}})
    with pytest.raises(ArgumentTypeError, match="metric name"):
        metrics.get(None)
    assert "auc" in metrics.names()


@pytest.mark.parametrize(
    "metric",
    [
        metrics.BinaryAccuracy(threshold=0.3, name="acc"),
        metrics.CategoricalAccuracy(),
        metrics.SparseCategoricalAccuracy(),
        metrics.Accuracy(),
        metrics.Precision(thresholds=[0.2, 0.7]),
        metrics.Recall(thresholds=0.4),
        metrics.Precision(thresholds=(0.2, 0.7)),  # tuples, arrays and NumPy scalars are
        metrics.Recall(thresholds=np.array([0.3, 0.6])),  # saved as lists and floats
        metrics.Precision(thresholds=np.float32(0.25)),
        metrics.AUC(num_thresholds=50, curve="PR", summation_method="majoring", from_logits=True),
        metrics.Mean(name="loss"),
        metrics.MeanSquaredError(),
        metrics.MeanAbsoluteError(),
    ],
    ids=repr,
)
def test_config_round_trip(metric):
    config = metric.get_config()
    assert json.loads(json.dumps(config)) == config
    clone = metrics.get(metrics.serialize(metric))
    assert type(clone) is type(metric) and clone.get_config() == config


def test_keras_configs_load():
    keras_auc = {
        "name": "auc",
        "dtype": "float32",
        "num_thresholds": 200,
        "curve": "ROC",
        "summation_method": "interpolation",
        "multi_label": False,
        "num_labels": None,
        "label_weights": None,
        "from_logits": False,
    }
    assert metrics.AUC.from_config(keras_auc).num_thresholds == 200
    with pytest.raises(ArgumentError, match="multi_label"):
        metrics.AUC.from_config({**keras_auc, "multi_label": True})
    keras_precision = {"name": "p", "dtype": "float32", "thresholds": None, "top_k": None}
    assert metrics.Precision.from_config({**keras_precision, "class_id": None}).name == "p"
    with pytest.raises(ArgumentError, match="top_k"):
        metrics.Precision.from_config({**keras_precision, "top_k": 2})


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: metrics.Precision(thresholds=1.5), ArgumentError, r"thresholds"),
        (lambda: metrics.Recall(thresholds=[0.2, "a"]), ArgumentTypeError, r"thresholds"),
        (lambda: metrics.Recall(thresholds=[]), ArgumentError, r"thresholds"),
        (lambda: metrics.AUC(num_thresholds=1), ArgumentError, r"num_thresholds.*> 1"),
        (lambda: metrics.AUC(num_thresholds=2.5), ArgumentTypeError, r"num_thresholds"),
        (lambda: metrics.AUC(curve="PRGAIN"), ArgumentError, r"curve.*'ROC', 'PR'"),
        (lambda: metrics.AUC(summation_method="left"), ArgumentError, r"summation_method"),
        (lambda: metrics.AUC(from_logits="no"), ArgumentTypeError, r"from_logits"),
        (lambda: metrics.BinaryAccuracy(threshold="0.5"), ArgumentTypeError, r"threshold"),
        (lambda: metrics.Mean(name=1), ArgumentTypeError, r"name"),
    ],
)
def test_bad_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred", "kwargs", "error", "match"),
    [
        (
            metrics.BinaryAccuracy(),
            np.zeros((4, 3)),
            np.zeros((4, 1)),
            {},
            ShapeError,
            r"`y_true` of shape \(4, 3\) does not fit `y_pred` of shape \(4, 1\)",
        ),
        (metrics.Precision(), np.zeros(5), np.zeros((4, 1)), {}, ShapeError, r"\(5,\).*\(4, 1\)"),
        (
            metrics.CategoricalAccuracy(),
            np.zeros(4),
            np.zeros((4, 3)),
            {},
            ShapeError,
            r"SparseCategoricalAccuracy",
        ),
        (
            metrics.SparseCategoricalAccuracy(),
            np.zeros((4, 3)),
            np.zeros((4, 3)),
            {},
            ShapeError,
            r"integer labels must have shape \(4,\).*CategoricalAccuracy",
        ),
        (
            metrics.SparseCategoricalAccuracy(),
            np.zeros(4),
            np.zeros(4),
            {},
            ShapeError,
            r"BinaryAccuracy",
        ),
        (
            metrics.AUC(),
            np.zeros(4),
            np.zeros((4, 1)),
            {"sample_weight": np.ones(3)},
            ShapeError,
            r"`sample_weight` of shape \(3,\)",
        ),
        (
            metrics.Recall(),
            np.zeros(4),
            np.zeros(4),
            {"sample_weight": [1, 1, np.inf, 1]},
            ArgumentError,
            r"finite",
        ),
        (metrics.MeanSquaredError(), ["a"], [1.0], {}, ArgumentTypeError, r"`y_true`"),
        (metrics.AUC(), [1], 0.5, {}, ShapeError, r"scalar"),
    ],
)
def test_bad_inputs(metric, y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        metric.update_state(y_true, y_pred, **kwargs)
    assert metric.result() == 0.0  # nothing was accumulated
