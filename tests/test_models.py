"""Sequential end to end: learning, Keras-style scripts, save/load, callbacks, progress."""

import os

import numpy as np
import pytest

import rnnkit
from rnnkit import callbacks
from rnnkit.errors import ArgumentError, NotBuiltError
from rnnkit.layers import GRU, LSTM, Bidirectional, Dense, Embedding
from rnnkit.models import Sequential, load_model
from rnnkit.utils import set_random_seed


def marker_task(n, steps=20, seed=0):
    """Label 1 when a marker appeared in the first quarter of a long noisy sequence."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, steps, 2), np.float32)
    x[..., 0] = rng.normal(size=(n, steps))
    y = rng.integers(0, 2, n)
    early = rng.integers(0, steps // 4, n)
    late = rng.integers(steps // 2, steps, n)
    x[np.arange(n), np.where(y == 1, early, late), 1] = 1.0
    return x, y.astype(np.float32)


@pytest.mark.parametrize("cell", [LSTM, GRU])
def test_recurrent_models_learn_a_memory_task(cell):
    set_random_seed(1)
    x, y = marker_task(1200)
    model = Sequential([cell(16, input_shape=(20, 2)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:1000], y[:1000], batch_size=32, epochs=12, verbose=0)
    _, accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)
    assert accuracy >= 0.95, accuracy


def test_keras_style_script_trains():
    """Embedding -> LSTM(dropout, recurrent_dropout) -> Dense, as in keras/examples/imdb_lstm.py."""
    from rnnkit.preprocessing import sequence

    set_random_seed(2)
    rng = np.random.default_rng(0)
    # A token task: label 1 when word 3 (positive) outnumbers word 4 (negative).
    docs = [rng.integers(5, 50, rng.integers(5, 25)).tolist() for _ in range(800)]
    labels = np.zeros(len(docs), np.float32)
    for i, doc in enumerate(docs):
        positive = rng.random() < 0.5
        for _ in range(3):
            doc.insert(rng.integers(0, len(doc)), 3 if positive else 4)
        labels[i] = positive
    x = sequence.pad_sequences(docs, maxlen=30)
    model = Sequential()
    model.add(Embedding(50, 16))
    model.add(LSTM(16, dropout=0.2, recurrent_dropout=0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(
        x[:600],
        labels[:600],
        batch_size=32,
        epochs=8,
        verbose=0,
        validation_data=(x[600:], labels[600:]),
    )
    assert history.history["val_accuracy"][-1] >= 0.9
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_summary_matches_keras_parameter_count():
    # keras-io bidirectional_lstm_imdb: 2,757,761 parameters.
    model = Sequential(
        [
            Embedding(20000, 128, input_shape=(None,)),
            Bidirectional(LSTM(64, return_sequences=True)),
            Bidirectional(LSTM(64)),
            Dense(1, activation="sigmoid"),
        ]
    )
    assert model.count_params() == 2_757_761
    lines = []
    model.summary(print_fn=lines.append)
    assert any("2,757,761" in line for line in lines)


def small_model(seed=3):
    set_random_seed(seed)
    model = Sequential(
        [
            GRU(8, input_shape=(6, 3), dropout=0.1, recurrent_dropout=0.1),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def small_data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(64, 6, 3)).astype(np.float32), rng.integers(0, 2, 64).astype(np.float32)


def test_save_load_predicts_identically(tmp_path):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.rnnkit"
    model.save(str(path))
    clone = load_model(str(path))
    np.testing.assert_array_equal(model.predict(x, verbose=0), clone.predict(x, verbose=0))
    np.testing.assert_array_equal(
        rnnkit.load_model(str(path)).predict(x, verbose=0), clone.predict(x, verbose=0)
    )


def test_resumed_training_equals_straight_training(tmp_path):
    x, y = small_data()
    straight = small_model()
    straight.fit(x, y, batch_size=16, epochs=4, verbose=0)
    first = small_model()
    first.fit(x, y, batch_size=16, epochs=2, verbose=0)
    rnnkit.save_model(first, str(tmp_path / "half.rnnkit"))
    resumed = rnnkit.load_model(str(tmp_path / "half.rnnkit"))
    resumed.fit(x, y, batch_size=16, epochs=4, initial_epoch=2, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_random_seed_repeats_bit_for_bit():
    x, y = small_data()
    a, b = small_model(9), small_model(9)
    a.fit(x, y, epochs=2, verbose=0)
    b.fit(x, y, epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_save_is_atomic_and_refuses_garbage(tmp_path):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.rnnkit"
    model.save(str(path))
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    model.optimizer.get_state = crash
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(str(path))
    assert path.read_bytes() == before  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.rnnkit"]  # no temporary left behind
    (tmp_path / "bad.rnnkit").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not an rnnkit model"):
        load_model(str(tmp_path / "bad.rnnkit"))


def test_weights_only_round_trip(tmp_path):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(str(tmp_path / "w.rnnkit"))
    other = small_model(seed=4)
    other.load_weights(str(tmp_path / "w.rnnkit"))
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))


def test_early_stopping_restores_best_weights():
    x, y = small_data()
    model = small_model()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    # An absurd learning rate makes the loss rise, so training stops early.
    model.compile(optimizer=rnnkit.optimizers.SGD(learning_rate=50.0), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) < 20
    best = int(np.argmin(history.history["loss"]))
    assert stopper.best_epoch == best


def test_checkpoint_best_only_and_csv_logger(tmp_path):
    x, y = small_data()
    model = small_model()
    ckpt = callbacks.ModelCheckpoint(
        str(tmp_path / "ep{epoch:02d}.rnnkit"), monitor="val_loss", save_best_only=True
    )
    log = tmp_path / "log.csv"
    model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        validation_split=0.25,
        callbacks=[ckpt, callbacks.CSVLogger(str(log))],
    )
    saved = sorted(p.name for p in tmp_path.glob("ep*.rnnkit"))
    assert "ep01.rnnkit" in saved
    rows = log.read_text().strip().splitlines()
    assert rows[0].split(",")[:2] == ["epoch", "accuracy"] and len(rows) == 4
    assert "val_loss" in rows[0]


def test_learning_rate_callbacks():
    x, y = small_data()
    model = small_model()
    seen = []
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1))
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.optimizer.current_learning_rate)
    )
    model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, record])
    np.testing.assert_allclose(seen, [0.01, 0.005, 0.01 / 3], rtol=1e-6)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
    model.compile(optimizer=rnnkit.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[plateau])
    # Epoch 1 sets the best value; epochs 2 and 3 fail to improve by min_delta.
    assert model.optimizer.current_learning_rate == pytest.approx(0.01 * 0.5**2)


def test_terminate_on_nan_and_custom_callback():
    x, y = small_data()
    model = small_model()

    class Counter(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

    counter = Counter()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[counter])
    assert counter.batches == 8
    x_bad = x.copy()
    model.compile(optimizer=rnnkit.optimizers.SGD(learning_rate=1e30), loss="mse")
    history = model.fit(
        x_bad, y * 1e20, epochs=5, verbose=0, callbacks=[callbacks.TerminateOnNaN()]
    )
    assert len(history.history["loss"]) < 5 or not np.isfinite(history.history["loss"][-1])


def test_progress_one_line_per_epoch_off_terminal(capsys):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("3/3 [") and "loss:" in out[1] and "val_accuracy:" in out[1]
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_on_terminal(terminal):
    x, y = small_data()
    model = small_model()
    stream = terminal
    model.fit(
        x,
        y,
        epochs=1,
        batch_size=8,
        verbose=0,
        callbacks=[callbacks.ProgbarLogger(1, stream=stream)],
    )
    text = stream.getvalue()
    assert "\r" in text and "ETA:" in text and text.endswith("\n")


def test_sample_and_class_weights_change_the_loss():
    x, y = small_data()
    model = small_model()
    base = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    zero = np.where(y == 1, 0.0, 1.0)
    weighted = model.evaluate(x, y, verbose=0, sample_weight=zero, return_dict=True)["loss"]
    assert weighted != pytest.approx(base)
    model.train_on_batch(x, y, class_weight={0: 1.0, 1: 2.0})
    with pytest.raises(ArgumentError, match="no weight for class"):
        model.train_on_batch(x, y, class_weight={0: 1.0})


def test_stateful_model_needs_unshuffled_fixed_batches():
    model = Sequential([LSTM(4, stateful=True, batch_input_shape=(4, 5, 2)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 5, 2), np.float32)
    with pytest.raises(ArgumentError, match="shuffle=False"):
        model.fit(x, np.ones(8), batch_size=4, verbose=0)
    model.fit(x, np.ones(8), batch_size=4, shuffle=False, verbose=0)
    assert np.abs(model.layers[0].states[0]).sum() > 0
    model.reset_states()
    assert np.abs(model.layers[0].states[0]).sum() == 0


def test_errors_say_what_to_do():
    model = Sequential([Dense(1)])
    with pytest.raises(NotBuiltError, match="compile"):
        model.fit(np.ones((2, 3)), np.ones(2))
    with pytest.raises(NotBuiltError, match="input_shape"):
        model.summary()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(np.ones((2, 3)), np.ones(3), verbose=0)
    with pytest.raises(ValueError, match="pad_sequences"):
        model.fit(np.array([[1, 2], [3]], dtype=object), np.ones(2), verbose=0)
    assert os.environ.get("RNNKIT_NEVER_SET") is None
