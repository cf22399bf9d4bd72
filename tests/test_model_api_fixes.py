"""Sequential's training API against Keras 3: reported loss, metrics and their weights,
validation and its callbacks, empty and incomplete data.

Expected numbers come from first principles (NumPy on the model's own predictions);
where Keras 3.15 (torch backend) was checked the test says so.
"""

import numpy as np
import pytest

from rnnkit import callbacks, losses, metrics, optimizers, regularizers
from rnnkit.errors import ArgumentError, ShapeError
from rnnkit.layers import Dense, Embedding, SimpleRNN
from rnnkit.models import Sequential, load_model
from rnnkit.utils import set_random_seed


def binary_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)).astype(np.float32)
    y = (rng.random(n) > 0.5).astype(np.float32)
    return x, y


def sigmoid_model(loss="binary_crossentropy", learning_rate=0.0, seed=0, **compile_args):
    set_random_seed(seed)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss=loss, **compile_args)
    return model


def binary_accuracy(model, x, y, weights=None):
    correct = (model.predict(x, verbose=0)[:, 0] > 0.5) == (y > 0.5)
    return float(np.average(correct, weights=weights))


class Spy(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_test_begin(self, logs=None):
        self.calls.append(("test_begin",))

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(("test_batch_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_batch_end", batch))

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", dict(logs)))


# ---------------------------------------------------------------- 1. regularization penalty
def penalized_model():
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,), kernel_regularizer=regularizers.l2(1.0))])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="mse")
    return model


def test_train_on_batch_reports_the_penalty_of_the_weights_it_ran_with():
    rng = np.random.default_rng(0)
    x = rng.random((8, 3)).astype(np.float32)
    y = rng.random((8, 1)).astype(np.float32)
    model = penalized_model()
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    # Keras 3 (checked): train_on_batch = mse(w0) + l2 * sum(kernel0**2), before the update.
    expected = np.mean((y - (x @ kernel + bias)) ** 2) + np.sum(kernel**2)
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-5)
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)
    assert model.get_weights()[0] != pytest.approx(kernel)  # the step did update
    # fit's logged loss is the same number: one batch, the penalty before its update.
    model = penalized_model()
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------- 2. "accuracy" resolution
def test_accuracy_with_one_unit_and_a_non_crossentropy_loss_is_binary():
    x, y = binary_data(16)
    model = sigmoid_model(loss="mse", metrics=["accuracy", "acc"])
    assert [type(m) for m in model.compiled_metrics] == [metrics.BinaryAccuracy] * 2
    logs = model.evaluate(x, y, verbose=0, return_dict=True)  # Keras 3: both binary
    assert list(logs) == ["loss", "accuracy", "acc"]
    assert logs["accuracy"] == logs["acc"] == pytest.approx(binary_accuracy(model, x, y))
    assert model.evaluate(x, y[:, None], verbose=0)[1] == pytest.approx(logs["accuracy"])


def test_accuracy_is_chosen_on_the_first_batch_when_the_model_is_not_built():
    x, y = binary_data(16)
    set_random_seed(0)
    model = Sequential([Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    assert model.compiled_metrics == []  # undecided until data arrives
    accuracy = model.evaluate(x, y, verbose=0)[1]
    assert [type(m) for m in model.compiled_metrics] == [metrics.BinaryAccuracy]
    assert accuracy == pytest.approx(binary_accuracy(model, x, y))


class SparseMSE(losses.Loss):
    """Mean squared error against one-hot targets that may be given as class indices."""

    keras_name = "sparse_mse"

    def _align(self, y_true, y_pred):
        t = np.asarray(y_true)
        if t.shape != y_pred.shape:
            t = np.eye(y_pred.shape[-1])[t.reshape(len(t)).astype(int)]
        return t.astype(y_pred.dtype), y_pred

    def _forward(self, t, p, need_grad):
        d = p - t
        return (d**2).mean(axis=-1), (2 * d / p.shape[-1] if need_grad else None)


def softmax_model(loss, seed=1):
    set_random_seed(seed)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


@pytest.mark.parametrize(
    ("loss", "labels", "expected"),
    [
        # Keras 3 picks from the shapes of the first batch:
        (SparseMSE(), "integers", metrics.SparseCategoricalAccuracy),  # one axis fewer
        (SparseMSE(), "column", metrics.SparseCategoricalAccuracy),  # last axis 1, wider output
        (SparseMSE(), "one_hot", metrics.CategoricalAccuracy),
        ("categorical_crossentropy", "one_hot", metrics.CategoricalAccuracy),
        ("sparse_categorical_crossentropy", "integers", metrics.SparseCategoricalAccuracy),
        ("sparse_categorical_crossentropy", "column", metrics.SparseCategoricalAccuracy),
    ],
)
def test_accuracy_follows_the_shapes_of_outputs_and_targets(loss, labels, expected):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    classes = rng.integers(0, 3, 30)
    y = {
        "integers": classes,
        "column": classes[:, None],
        "one_hot": np.eye(3, dtype=np.float32)[classes],
    }[labels]
    model = softmax_model(loss)
    accuracy = model.evaluate(x, y, batch_size=8, verbose=0)[1]
    assert [type(m) for m in model.compiled_metrics] == [expected]
    predicted = np.argmax(model.predict(x, verbose=0), axis=-1)
    assert accuracy == pytest.approx(np.mean(predicted == classes))


def test_crossentropy_losses_still_decide_accuracy_at_compile():
    model = softmax_model("sparse_categorical_crossentropy")
    assert [type(m) for m in model.compiled_metrics] == [metrics.SparseCategoricalAccuracy]
    set_random_seed(0)
    multi_label = Sequential([Dense(3, activation="sigmoid", input_shape=(4,))])
    multi_label.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    assert [type(m) for m in multi_label.compiled_metrics] == [metrics.BinaryAccuracy]


# ---------------------------------------------------------------- 3. class_weight and validation
def test_class_weight_does_not_reach_the_validation_loss():
    x, y = binary_data(20)
    model = sigmoid_model()  # learning rate 0: the weights never change
    history = model.fit(
        x, y, epochs=1, validation_split=0.5, class_weight={0: 1.0, 1: 100.0}, verbose=0
    )
    # Keras 3 (checked): val_loss equals evaluate on the last half, unweighted.
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[10:], y[10:], verbose=0), rel=1e-6
    )
    sample_weight = np.random.default_rng(1).random(20)
    history = model.fit(
        x,
        y,
        epochs=1,
        validation_split=0.5,
        class_weight={0: 1.0, 1: 100.0},
        sample_weight=sample_weight,
        verbose=0,
    )
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[10:], y[10:], sample_weight=sample_weight[10:], verbose=0), rel=1e-6
    )


# ---------------------------------------------------------------- 4. metrics vs weighted_metrics
def test_metrics_are_unweighted_and_weighted_metrics_are_weighted():
    x, y = binary_data(16)
    model = sigmoid_model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    sample_weight = np.r_[np.ones(8), np.zeros(8)]
    logs = model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "weighted_accuracy"]
    assert logs["accuracy"] == pytest.approx(binary_accuracy(model, x, y))
    assert logs["weighted_accuracy"] == pytest.approx(binary_accuracy(model, x[:8], y[:8]))
    assert logs["accuracy"] != pytest.approx(logs["weighted_accuracy"])
    test_logs = model.test_on_batch(x, y, sample_weight=sample_weight, return_dict=True)
    assert test_logs["accuracy"] == pytest.approx(logs["accuracy"])
    assert test_logs["weighted_accuracy"] == pytest.approx(logs["weighted_accuracy"])


def test_class_weight_weights_only_the_weighted_metrics():
    x, y = binary_data(20)
    model = sigmoid_model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    class_weight = {0: 1.0, 1: 100.0}
    history = model.fit(x, y, epochs=1, class_weight=class_weight, verbose=0)
    weights = np.where(y > 0.5, 100.0, 1.0)
    assert history.history["accuracy"][0] == pytest.approx(binary_accuracy(model, x, y))
    assert history.history["weighted_accuracy"][0] == pytest.approx(
        binary_accuracy(model, x, y, weights)
    )
    logs = model.train_on_batch(x, y, class_weight=class_weight, return_dict=True)
    assert logs["accuracy"] == pytest.approx(binary_accuracy(model, x, y))
    assert logs["weighted_accuracy"] == pytest.approx(binary_accuracy(model, x, y, weights))


def test_metric_log_names_follow_keras():
    x, y = binary_data(8)
    model = sigmoid_model(
        metrics=["accuracy", "accuracy"], weighted_metrics=["accuracy", "accuracy", "mse"]
    )
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    # Keras 3.15 logs exactly these names for this compile call.
    assert list(logs) == [
        "loss",
        "accuracy",
        "accuracy_1",
        "weighted_accuracy",
        "weighted_accuracy_1",
        "mse",
    ]
    history = model.fit(x, y, epochs=1, validation_split=0.5, verbose=0)
    assert "val_weighted_accuracy" in history.history


def test_weighted_metrics_are_saved_with_the_model(tmp_path):
    x, y = binary_data(16)
    model = sigmoid_model(loss="mse", metrics=["accuracy"], weighted_metrics=["accuracy"])
    model.save(str(tmp_path / "m.rnnkit"))
    loaded = load_model(str(tmp_path / "m.rnnkit"))
    sample_weight = np.r_[np.ones(8), np.zeros(8)]
    logs = loaded.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "weighted_accuracy"]
    assert logs == model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)


def test_one_metric_object_may_not_be_compiled_twice():
    precision = metrics.Precision()
    with pytest.raises(ArgumentError, match="given twice"):
        sigmoid_model(metrics=[precision], weighted_metrics=[precision])


def test_metrics_average_over_the_valid_steps_of_a_masked_output():
    """The mask weights steps 0/1 for metrics (Keras 3, checked), not rescaled per batch."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 9, (4, 5))
    x[0, 1:] = 0  # the first batch of two has 3 valid steps, the second 10
    x[1, 2:] = 0
    y = (rng.random((4, 5, 1)) > 0.5).astype(np.float32)
    model = Sequential(
        [
            Embedding(10, 3, mask_zero=True, input_length=5),
            SimpleRNN(2, return_sequences=True),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer="sgd",
        loss="binary_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy"],
    )
    correct = ((model.predict(x, verbose=0) > 0.5) == (y > 0.5))[..., 0]
    valid = x != 0
    sample_weight = np.array([1.0, 2.0, 0.0, 1.0])
    logs = model.evaluate(
        x, y, batch_size=2, sample_weight=sample_weight, verbose=0, return_dict=True
    )
    assert logs["accuracy"] == pytest.approx(correct[valid].mean())
    steps = valid * sample_weight[:, None]
    assert logs["weighted_accuracy"] == pytest.approx((correct * steps).sum() / steps.sum())


# ---------------------------------------------------------------- 5. one number per metric
def test_a_metric_with_several_values_is_refused_at_compile():
    with pytest.raises(ArgumentError, match=r"'precision'.*2 values.*one metric per"):
        sigmoid_model(metrics=[metrics.Precision(thresholds=[0.3, 0.7])])
    x, y = binary_data(8)
    model = sigmoid_model(metrics=[metrics.Precision(thresholds=[0.3])])  # one threshold
    assert isinstance(model.evaluate(x, y, verbose=0)[1], float)
    with pytest.raises(ArgumentError, match="one metric per"):
        model.compile(loss="mse", metrics=[metrics.Recall(thresholds=[0.3, 0.7])])
    # A refused compile changes nothing.
    assert model.loss.name == "binary_crossentropy"
    assert list(model.evaluate(x, y, verbose=0, return_dict=True)) == ["loss", "precision"]


def test_a_custom_metric_with_several_values_fails_clearly_when_logged():
    class Pair(metrics.Metric):
        keras_name = "pair"

        def reset_state(self):
            self.seen = 0

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.seen += len(y_true)

        def result(self):
            return np.array([1.0, 2.0]) * (1 / self.seen)  # ZeroDivisionError before data

    x, y = binary_data(8)
    model = sigmoid_model(metrics=[Pair()])  # compile cannot ask a fresh Pair
    with pytest.raises(ArgumentError, match="'pair'.*2 values"):
        model.fit(x, y, verbose=0)


# ---------------------------------------------------------------- 6. callbacks in validation
def test_fit_validation_runs_the_test_hooks_of_fits_callbacks():
    x, y = binary_data(20)
    model = sigmoid_model(metrics=["accuracy"])
    spy = Spy()
    model.fit(x, y, epochs=2, batch_size=4, validation_split=0.5, verbose=0, callbacks=[spy])
    epoch_calls = spy.calls[1:10]
    # As Keras 3 (checked): 10 validation samples in batches of 4 are 3 test batches.
    assert [call[:2] for call in epoch_calls[:-2]] == [
        ("test_begin",),
        ("test_batch_begin", 0),
        ("test_batch_end", 0),
        ("test_batch_begin", 1),
        ("test_batch_end", 1),
        ("test_batch_begin", 2),
        ("test_batch_end", 2),
    ]
    test_end, epoch_end = epoch_calls[-2:]
    assert test_end[0] == "test_end" and epoch_end[:2] == ("epoch_end", 0)
    assert test_end[1] == {k[4:]: v for k, v in epoch_end[2].items() if k.startswith("val_")}
    assert len(spy.calls) == 19  # train_begin, then 9 calls per epoch
    assert spy.params["mode"] == "train"  # fit's parameters stay in place


def test_fit_validation_draws_no_evaluation_bar(terminal):
    x, y = binary_data(20)
    model = sigmoid_model()
    stream = terminal
    model.fit(
        x,
        y,
        epochs=2,
        batch_size=4,
        validation_split=0.5,
        verbose=0,
        callbacks=[callbacks.ProgbarLogger(1, stream=stream)],
    )
    lines = stream.getvalue().split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    final = lines[1].rsplit("\r", 1)[-1]
    assert final.startswith("3/3 [") and "val_loss:" in final  # 3 training steps, not 3 test


# ---------------------------------------------------------------- 7. empty data
def test_evaluate_and_predict_refuse_empty_data_like_fit():
    x, y = binary_data(8)
    model = sigmoid_model()
    for call in (
        lambda: model.fit(x[:0], y[:0], verbose=0),
        lambda: model.evaluate(x[:0], y[:0], verbose=0),
        lambda: model.predict(x[:0], verbose=0),  # Keras 3 crashes (UnboundLocalError)
        lambda: model.fit(x, y, validation_data=(x[:0], y[:0]), verbose=0),
    ):
        with pytest.raises(ShapeError, match=r"no samples \(.*shape \(0, 3\)\)"):
            call()


# ---------------------------------------------------------------- 8. validation_data up front
def test_validation_data_without_targets_is_refused_before_training():
    x, y = binary_data(8)
    model = sigmoid_model(learning_rate=0.5)
    before = model.get_weights()
    spy = Spy()
    for validation_data in ((x, None), (x, None, np.ones(8))):
        with pytest.raises(
            ArgumentError, match=r"validation_data has no targets.*\(x_val, y_val\)"
        ):
            model.fit(x, y, validation_data=validation_data, verbose=0, callbacks=[spy])
    assert spy.calls == []
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _sequence_model(mask_zero):
    from rnnkit.layers import TimeDistributed

    set_random_seed(3)
    model = Sequential(
        [
            Embedding(20, 4, mask_zero=mask_zero),
            SimpleRNN(3, return_sequences=True),
            TimeDistributed(Dense(2)),
        ]
    )
    model.compile(optimizers.SGD(0.0), "mse", weighted_metrics=["mae"])
    return model


@pytest.mark.parametrize("mask_zero", [False, True])
def test_per_step_sample_weights_of_a_sequence_output(mask_zero):
    # Keras 3 takes sample_weight of shape (samples, time) for an output with a time
    # axis: each step's loss is weighted; the loss sums over every (sample, step) and
    # divides by their number, a mask first scaled by size / valid steps.
    rng = np.random.default_rng(4)
    x = rng.integers(1, 20, size=(10, 6))
    x[:4, :2] = 0  # left padding, masked when mask_zero
    y = rng.normal(size=(10, 6, 2)).astype(np.float32)
    w = rng.random((10, 6))
    model = _sequence_model(mask_zero)
    pred = model.predict(x, verbose=0).astype(np.float64)
    per_step = ((pred - y) ** 2).mean(-1)
    abs_step = np.abs(pred - y).mean(-1)
    mask = (x != 0) if mask_zero else np.ones_like(w, bool)
    scale = mask * (mask.size / mask.sum())
    expected_loss = (per_step * w * scale).sum() / per_step.size
    expected_mae = (abs_step * w * mask).sum() / (w * mask).sum()
    loss, mae = model.evaluate(x, y, sample_weight=w, batch_size=10, verbose=0)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(mae, expected_mae, rtol=1e-5)
    history = model.fit(x, y, sample_weight=w, batch_size=10, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-5)
    with pytest.raises(ShapeError, match=r"one per output step"):
        model.evaluate(x, y, sample_weight=w[:, :5], verbose=0)
    with pytest.raises(ShapeError, match=r"\(10,\), or \(10, time\)"):
        model.evaluate(x, y, sample_weight=w[:, :, None], verbose=0)


def test_bucketing_refuses_a_sequence_output_in_every_loop():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, size=(8, 6))
    x[:4, :3] = 0
    y = rng.normal(size=(8, 6, 2)).astype(np.float32)
    model = _sequence_model(True)
    for call in (
        lambda: model.fit(x, y, bucket_by_length=True, verbose=0),
        lambda: model.evaluate(x, y, bucket_by_length=True, verbose=0),
        lambda: model.predict(x, bucket_by_length=True, verbose=0),
    ):
        with pytest.raises(ArgumentError, match="keeps a time axis"):
            call()
