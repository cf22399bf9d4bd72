import json
from pathlib import Path

import numpy as np
import pytest

from rnnkit import losses
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError

FIXTURES = np.load(Path(__file__).parent / "fixtures" / "losses_metrics.npz")
LOSS_CASES = json.loads(str(FIXTURES["cases"]))["losses"]


def _sample_weight(key):
    name = f"{key}__sample_weight"
    return FIXTURES[name] if name in FIXTURES.files else None


# Keras 3.15.1 (torch backend), scripts/make_loss_metric_fixtures.py. Keras's torch `ops.mean`
# computes in float32 even for float64 tensors, so its "float64" values carry float32 rounding
# (relative error ~1e-7): both comparisons use float32-level tolerances.
@pytest.mark.parametrize("case", LOSS_CASES, ids=[c["key"] for c in LOSS_CASES])
def test_values_match_keras(case):
    key = case["key"]
    loss = getattr(losses, case["class"])(**case["kwargs"])
    y_true, y_pred = FIXTURES[f"{key}__y_true"], FIXTURES[f"{key}__y_pred"]
    weight = _sample_weight(key)
    value64 = loss(y_true, y_pred, weight)
    assert type(value64) is float
    assert value64 == pytest.approx(float(FIXTURES[f"{key}__value64"]), rel=1e-6)
    value32 = loss(y_true.astype(np.float32), y_pred.astype(np.float32), weight)
    assert value32 == pytest.approx(float(FIXTURES[f"{key}__value32"]), rel=1e-5)


# ---------------------------------------------------------------- gradients
def _probabilities(rng, shape):
    p = rng.uniform(0.05, 0.95, size=shape)
    flat = p.reshape(-1)
    # Outside [eps, 1 - eps]: the clip is active, so the exact derivative there is 0.
    flat[0], flat[-1] = -0.3, 1.4
    return p


def _categorical_probabilities(rng, shape):
    p = rng.uniform(0.1, 1.0, size=shape)
    # Sums to 1 + 0.5 (K - 4) < 2: q_0 > 1 - eps and q_1, q_3 < eps, so the clip is active.
    p.reshape(-1, shape[-1])[0, :4] = [2.0, -1.0, 0.3, -0.3]
    p.reshape(-1, shape[-1])[0, 4:] = 0.5
    return p


def _labels(rng, kind, pred_shape, true_shape):
    if kind == "binary":
        return rng.integers(0, 2, size=true_shape)
    if kind == "onehot":
        return np.eye(pred_shape[-1])[rng.integers(0, pred_shape[-1], size=pred_shape[:-1])]
    if kind == "sparse":
        return rng.integers(0, pred_shape[-1], size=true_shape)
    return rng.normal(size=true_shape)


def _predictions(rng, loss, shape):
    if isinstance(loss, (losses.MeanSquaredError, losses.MeanAbsoluteError)):
        return rng.normal(size=shape)
    if loss.from_logits:
        return rng.normal(scale=2.0, size=shape)
    if isinstance(loss, losses.BinaryCrossentropy):
        return _probabilities(rng, shape)
    return _categorical_probabilities(rng, shape)


ELEMENTWISE_SHAPES = [
    ((5,), (5,)),
    ((5, 1), (5,)),
    ((5, 1), (5, 1)),
    ((5, 3), (5, 3)),
    ((3, 4, 1), (3, 4)),
    ((3, 4, 2), (3, 4, 2)),
]
CATEGORICAL_SHAPES = [((5, 4), None), ((3, 4, 5), None)]
SPARSE_SHAPES = [((5, 4), (5,)), ((5, 4), (5, 1)), ((3, 4, 5), (3, 4))]

GRADIENT_CASES = (
    [
        (losses.BinaryCrossentropy(from_logits=fl, label_smoothing=ls), "binary", shapes)
        for fl in (False, True)
        for ls in (0.0, 0.2)
        for shapes in ELEMENTWISE_SHAPES
    ]
    + [
        (losses.CategoricalCrossentropy(from_logits=fl, label_smoothing=ls), "onehot", shapes)
        for fl in (False, True)
        for ls in (0.0, 0.1)
        for shapes in CATEGORICAL_SHAPES
    ]
    + [
        (losses.SparseCategoricalCrossentropy(from_logits=fl), "sparse", shapes)
        for fl in (False, True)
        for shapes in SPARSE_SHAPES
    ]
    + [(losses.MeanSquaredError(), "real", shapes) for shapes in ELEMENTWISE_SHAPES]
    + [(losses.MeanAbsoluteError(), "real", shapes) for shapes in ELEMENTWISE_SHAPES]
)


def _numeric_gradient(f, x, step=1e-6):
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        numeric[index] = (f(plus) - f(minus)) / (2 * step)
    return numeric


WEIGHTED_GRADIENT_CASES = [
    (loss, kind, shapes, weighting)
    for loss, kind, shapes in GRADIENT_CASES
    for weighting in ("none", "per_sample", "per_step")[: 3 if len(shapes[0]) == 3 else 2]
]


@pytest.mark.parametrize(
    ("loss", "kind", "shapes", "weighting"),
    WEIGHTED_GRADIENT_CASES,
    ids=[f"{c[0]!r}-{c[2][0]}-{c[2][1]}-{c[3]}" for c in WEIGHTED_GRADIENT_CASES],
)
def test_gradient_matches_central_differences(loss, kind, shapes, weighting, rng):
    pred_shape, true_shape = shapes
    y_true = _labels(rng, kind, pred_shape, true_shape or pred_shape)
    y_pred = _predictions(rng, loss, pred_shape)
    loss_shape = loss.per_sample(y_true, y_pred).shape  # (B,) or (B, T)
    weight = {
        "none": None,
        "per_sample": rng.uniform(0.2, 2.0, size=loss_shape[:1]),
        "per_step": rng.uniform(0.2, 2.0, size=loss_shape),
    }[weighting]

    analytic = loss.gradient(y_true, y_pred, weight)
    numeric = _numeric_gradient(lambda p: loss(y_true, p, weight), y_pred)
    assert analytic.shape == y_pred.shape and analytic.dtype == np.float64
    assert np.abs(analytic - numeric).max() / np.abs(numeric).max() < 1e-6

    value, both = loss.value_and_gradient(y_true, y_pred, weight)
    assert value == loss(y_true, y_pred, weight)
    np.testing.assert_array_equal(both, analytic)


def test_clip_gives_zero_gradient():
    bce = losses.BinaryCrossentropy()
    grad = bce.gradient([[1, 0, 1, 0]], [[0.0, 1.0, 1.0, 0.5]])
    # p = 0 and p = 1 lie outside [eps, 1 - eps]: only the interior entry has a gradient.
    np.testing.assert_array_equal(grad[0, :3], 0.0)
    assert grad[0, 3] == pytest.approx(2.0 / 4)  # (p - t) / (p (1 - p) K)
    cce = losses.CategoricalCrossentropy()
    np.testing.assert_array_equal(cce.gradient([[1, 0, 0]], [[1.0, 0.0, 0.0]]), 0.0)


def test_logit_losses_stay_finite_for_large_logits():
    y_pred = np.array([[800.0, -800.0, 0.0]])
    for loss in (
        losses.BinaryCrossentropy(from_logits=True),
        losses.CategoricalCrossentropy(from_logits=True),
    ):
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            value, grad = loss.value_and_gradient([[0, 1, 0]], y_pred)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert losses.BinaryCrossentropy(from_logits=True)([[0]], [[800.0]]) == pytest.approx(800.0)


# ---------------------------------------------------------------- reduction and shapes
def test_reduction_divides_by_the_number_of_losses_not_the_weights():
    mse = losses.MeanSquaredError()
    y_true, y_pred = np.zeros((4, 1)), np.arange(4.0)[:, None]  # per-sample 0, 1, 4, 9
    assert mse(y_true, y_pred) == pytest.approx(14 / 4)
    assert mse(y_true, y_pred, [1, 0, 0, 1]) == pytest.approx(9 / 4)
    assert mse(y_true, y_pred, 2.0) == pytest.approx(2 * 14 / 4)
    assert mse(y_true, y_pred, np.zeros(4)) == 0.0
    summed = losses.MeanSquaredError(reduction="sum")
    assert summed(y_true, y_pred, [1, 0, 0, 1]) == pytest.approx(9.0)
    np.testing.assert_allclose(summed.gradient(y_true, y_pred), 2 * y_pred)


def test_sequence_weights_broadcast_over_time(rng):
    cce = losses.CategoricalCrossentropy(from_logits=True)
    y_true = np.eye(3)[rng.integers(0, 3, size=(2, 5))]  # (2, 5, 3)
    y_pred = rng.normal(size=(2, 5, 3))
    weight = np.array([0.5, 2.0])
    tiled = np.repeat(weight[:, None], 5, axis=1)  # (2, 5)
    assert cce.per_sample(y_true, y_pred).shape == (2, 5)
    assert cce(y_true, y_pred, weight) == pytest.approx(cce(y_true, y_pred, tiled), rel=1e-14)
    assert cce(y_true, y_pred, weight[:, None]) == pytest.approx(cce(y_true, y_pred, tiled))
    np.testing.assert_allclose(
        cce.gradient(y_true, y_pred, weight), cce.gradient(y_true, y_pred, tiled)
    )


def test_one_dimensional_predictions_are_one_column(rng):
    y_true, y_pred = rng.integers(0, 2, size=6), rng.uniform(0.1, 0.9, size=6)
    weight = rng.uniform(size=6)
    for loss in (
        losses.BinaryCrossentropy(),
        losses.MeanSquaredError(),
        losses.MeanAbsoluteError(),
    ):
        column = y_pred[:, None]
        assert loss(y_true, y_pred, weight) == loss(y_true, column, weight)
        assert loss.per_sample(y_true, y_pred).shape == (6,)
        np.testing.assert_array_equal(
            loss.gradient(y_true, y_pred, weight), loss.gradient(y_true, column, weight)[:, 0]
        )


def test_sparse_equals_categorical_on_one_hot_labels(rng):
    labels = rng.integers(0, 4, size=(3, 5))
    y_pred = rng.uniform(0.1, 1.0, size=(3, 5, 4))
    for from_logits in (False, True):
        sparse = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        dense = losses.CategoricalCrossentropy(from_logits=from_logits)
        one_hot = np.eye(4)[labels]
        assert sparse(labels, y_pred) == dense(one_hot, y_pred)
        np.testing.assert_array_equal(
            sparse.gradient(labels, y_pred), dense.gradient(one_hot, y_pred)
        )
    # Float labels holding integers are accepted.
    assert sparse(labels.astype(float), y_pred) == sparse(labels, y_pred)


@pytest.mark.parametrize(
    "loss",
    [
        losses.BinaryCrossentropy(label_smoothing=0.1),
        losses.CategoricalCrossentropy(),
        losses.SparseCategoricalCrossentropy(from_logits=True),
        losses.MeanSquaredError(),
        losses.MeanAbsoluteError(),
    ],
    ids=repr,
)
def test_float32_computes_in_float32(loss, rng):
    y_pred = rng.uniform(0.1, 0.9, size=(4, 3))
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y_true = rng.integers(0, 3, size=4)
    else:
        y_true = np.eye(3)[rng.integers(0, 3, size=4)]
    y32 = y_pred.astype(np.float32)
    assert loss.per_sample(y_true, y32).dtype == np.float32
    assert loss.gradient(y_true, y32).dtype == np.float32
    assert loss(y_true, y32) == pytest.approx(loss(y_true, y_pred), rel=1e-5)
    np.testing.assert_allclose(loss.gradient(y_true, y32), loss.gradient(y_true, y_pred), rtol=1e-4)
    # Integer predictions are computed in float64.
    assert loss.per_sample(y_true, (y_pred > 0.5).astype(int) + 1).dtype == np.float64


def test_functions_return_per_sample_losses():
    y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    np.testing.assert_allclose(
        losses.binary_crossentropy(y_true, y_pred), [0.9162907, 0.7135582], rtol=1e-6
    )
    np.testing.assert_allclose(
        losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        [0.0512933, 2.3025851],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        [0.0512933, 2.3025851],
        rtol=1e-6,
    )
    np.testing.assert_allclose(losses.mse([[1.0, 2.0]], [[0.0, 0.0]]), [2.5])
    np.testing.assert_allclose(losses.mae([[1.0, -2.0]], [[0.0, 0.0]]), [1.5])
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred", "match"),
    [
        (
            losses.BinaryCrossentropy(),
            np.zeros((4, 3)),
            np.zeros((4, 1)),
            r"`y_true` of shape \(4, 3\) does not fit `y_pred` of shape \(4, 1\).*Reshape",
        ),
        (losses.MeanSquaredError(), np.zeros(5), np.zeros((4, 1)), r"\(5,\).*\(4, 1\)"),
        (losses.MeanSquaredError(), np.zeros((4, 2)), np.zeros((4, 3)), r"\(4, 2\).*\(4, 3\)"),
        (
            losses.CategoricalCrossentropy(),
            np.zeros(4),
            np.zeros((4, 3)),
            r"\(4,\).*\(4, 3\).*SparseCategoricalCrossentropy",
        ),
        (
            losses.CategoricalCrossentropy(),
            np.zeros((4, 1)),
            np.full((4, 1), 0.5),
            r"classes >= 2; got shape \(4, 1\).*BinaryCrossentropy",
        ),
        (
            losses.SparseCategoricalCrossentropy(),
            np.zeros((4, 3)),
            np.zeros((4, 3)),
            r"\(4, 3\).*integer labels must have shape \(4,\).*CategoricalCrossentropy",
        ),
        (losses.SparseCategoricalCrossentropy(), [0, 1], np.zeros(3), r"classes >= 2"),
        (losses.MeanSquaredError(), np.zeros(0), np.zeros(0), r"batch >= 1"),
        (losses.MeanSquaredError(), 1.0, 1.0, r"batch >= 1"),
    ],
)
def test_shape_errors(loss, y_true, y_pred, match):
    with pytest.raises(ShapeError, match=match) as info:
        loss(y_true, y_pred)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ShapeError, match=match):
        loss.gradient(y_true, y_pred)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sample_weight": np.ones(3)}, ShapeError, r"`sample_weight` of shape \(3,\).*\(4,\)"),
        ({"sample_weight": np.ones((4, 2))}, ShapeError, r"\(4, 2\)"),
        ({"sample_weight": [1, np.nan, 1, 1]}, ArgumentError, r"`sample_weight` must be finite"),
        ({"sample_weight": ["a"] * 4}, ArgumentTypeError, r"`sample_weight` must be None or"),
        ({"y_true": [[0], [1], [2], [3]]}, None, None),
        ({"y_true": [4, 0, 0, 0]}, ArgumentError, r"labels in \[0, 4\); got labels from 0 to 4"),
        ({"y_true": [-1, 0, 0, 0]}, ArgumentError, r"labels in \[0, 4\)"),
        ({"y_true": [0.5, 0, 0, 0]}, ArgumentError, r"non-integer"),
        ({"y_true": ["a", "b", "c", "d"]}, ArgumentTypeError, r"`y_true` must be an array"),
        ({"y_pred": np.full((4, 4), "x")}, ArgumentTypeError, r"`y_pred` must be an array"),
    ],
)
def test_bad_values(kwargs, error, match):
    loss = losses.SparseCategoricalCrossentropy()
    call = {"y_true": [0, 1, 2, 3], "y_pred": np.full((4, 4), 0.25), **kwargs}
    if error is None:
        assert np.isfinite(loss(**call))
        return
    with pytest.raises(error, match=match):
        loss(**call)


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: losses.BinaryCrossentropy(label_smoothing=1.5), ArgumentError, "in \\[0, 1\\]"),
        (
            lambda: losses.CategoricalCrossentropy(label_smoothing=-0.1),
            ArgumentError,
            "label_smoothing",
        ),
        (
            lambda: losses.BinaryCrossentropy(label_smoothing="0.1"),
            ArgumentTypeError,
            "label_smoothing",
        ),
        (lambda: losses.BinaryCrossentropy(from_logits=1), ArgumentTypeError, "from_logits"),
        (lambda: losses.MeanSquaredError(reduction="none"), ArgumentError, "reduction"),
        (lambda: losses.MeanSquaredError(name=3), ArgumentTypeError, "name"),
    ],
)
def test_bad_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


# ---------------------------------------------------------------- registry and configs
@pytest.mark.parametrize(
    ("identifier", "cls", "name"),
    [
        ("binary_crossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
        ("categorical_crossentropy", losses.CategoricalCrossentropy, "categorical_crossentropy"),
        (
            "sparse_categorical_crossentropy",
            losses.SparseCategoricalCrossentropy,
            "sparse_categorical_crossentropy",
        ),
        ("mse", losses.MeanSquaredError, "mse"),
        ("mean_squared_error", losses.MeanSquaredError, "mean_squared_error"),
        ("mae", losses.MeanAbsoluteError, "mae"),
        ("mean_absolute_error", losses.MeanAbsoluteError, "mean_absolute_error"),
        ("BinaryCrossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
        (losses.binary_crossentropy, losses.BinaryCrossentropy, "binary_crossentropy"),
        (losses.mse, losses.MeanSquaredError, "mean_squared_error"),
        (losses.SparseCategoricalCrossentropy, losses.SparseCategoricalCrossentropy, None),
    ],
)
def test_get_names(identifier, cls, name):
    loss = losses.get(identifier)
    assert type(loss) is cls
    assert loss.name == (name or loss.keras_name)


def test_get_passes_instances_and_none_through():
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert losses.get(None) is None


def test_get_errors():
    with pytest.raises(ArgumentError, match="binary_crossentropy.*mse"):
        losses.get("hinge")
    with pytest.raises(ArgumentError, match="class name"):
        losses.get({"class_name": "Hinge", "config": {}})
    with pytest.raises(ArgumentTypeError, match="loss name"):
        losses.get(3)
    with pytest.raises(ArgumentTypeError, match="loss name"):
        losses.get(np.mean)


@pytest.mark.parametrize(
    "loss",
    [
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
        losses.CategoricalCrossentropy(label_smoothing=0.1, name="cce"),
        losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
        losses.MeanSquaredError(),
        losses.MeanAbsoluteError(name="l1"),
    ],
    ids=repr,
)
def test_config_round_trip(loss):
    config = loss.get_config()
    assert json.loads(json.dumps(config)) == config
    clone = type(loss).from_config(config)
    assert clone.get_config() == config and type(clone) is type(loss)
    again = losses.get(losses.serialize(loss))
    assert again.get_config() == config and type(again) is type(loss)
    assert losses.serialize(None) is None


def test_keras_configs_load():
    keras_bce = {
        "name": "binary_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "label_smoothing": 0.0,
        "axis": -1,
        "dtype": "float32",
    }
    loss = losses.BinaryCrossentropy.from_config(keras_bce)
    assert loss.from_logits and loss.name == "binary_crossentropy"
    keras_scce = {"name": "s", "reduction": "sum_over_batch_size", "from_logits": False}
    assert losses.SparseCategoricalCrossentropy.from_config({**keras_scce, "ignore_class": None})
    with pytest.raises(ArgumentError, match="ignore_class"):
        losses.SparseCategoricalCrossentropy.from_config({**keras_scce, "ignore_class": 0})
    with pytest.raises(ArgumentError, match="axis"):
        losses.BinaryCrossentropy.from_config({**keras_bce, "axis": 1})
    assert "mse" in losses.names()
