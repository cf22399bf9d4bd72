"""Callbacks against Keras 3.15: the logs every hook receives, on_batch_*, the progress
bar, the History fit returns, CSVLogger, LearningRateScheduler, ReduceLROnPlateau,
TerminateOnNaN and ModelCheckpoint.

Where an expected value or message is Keras's, it was checked with Keras 3.15 (torch
backend) running the same steps; the test says so.
"""

import csv
import io

import numpy as np
import pytest

from rnnkit import callbacks, optimizers
from rnnkit.errors import ArgumentError, ArgumentTypeError
from rnnkit.layers import Dense
from rnnkit.models import Sequential
from rnnkit.utils import set_random_seed


def binary_data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)).astype(np.float32)
    y = (rng.random(n) > 0.5).astype(np.float32)
    return x, y


def tiny_model(learning_rate=0.01, metrics=("accuracy",)):
    set_random_seed(0)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(
        optimizer=optimizers.SGD(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=list(metrics),
    )
    return model


HOOKS = [
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


class Recorder(callbacks.Callback):
    """Records each hook's positional and keyword arguments as it receives them."""

    def __init__(self):
        super().__init__()
        self.calls = []
        for hook in HOOKS:
            setattr(self, hook, self._recorder(hook))

    def _recorder(self, hook):
        def record(*args, **kwargs):
            self.calls.append((hook, args, kwargs))

        return record

    def of(self, hook):
        return [(args, kwargs) for name, args, kwargs in self.calls if name == hook]


# ------------------------------------------------------------ 1. logs in every hook
def test_every_hook_receives_logs_as_keras_passes_them():
    x, y = binary_data()
    model = tiny_model()
    rec = Recorder()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, validation_split=0.5, callbacks=[rec])
    # Keras's CallbackList: begin hooks get {} (positionally; batch hooks as logs=).
    assert rec.of("on_train_begin") == [(({},), {})]
    assert rec.of("on_epoch_begin") == [((0, {}), {}), ((1, {}), {})]
    assert rec.of("on_train_batch_begin")[0] == ((0,), {"logs": {}})
    assert rec.of("on_test_begin")[0] == (({},), {})
    assert rec.of("on_test_batch_begin")[0] == ((0,), {"logs": {}})
    batch_end = rec.of("on_train_batch_end")[0]
    assert batch_end[0] == (0,) and set(batch_end[1]["logs"]) == {"loss", "accuracy"}
    # on_train_end gets the last epoch's logs, validation included.
    last_epoch_logs = rec.of("on_epoch_end")[-1][0][1]
    assert rec.of("on_train_end") == [((last_epoch_logs,), {})]
    assert set(last_epoch_logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}

    rec.calls.clear()
    model.predict(x, batch_size=10, verbose=0, callbacks=[rec])
    assert rec.of("on_predict_begin") == [(({},), {})]
    assert rec.of("on_predict_batch_begin") == [((0,), {"logs": {}}), ((1,), {"logs": {}})]
    assert rec.of("on_predict_end") == [(({},), {})]


def test_keras_lambda_callback_examples_run():
    x, y = binary_data()
    model = tiny_model()
    seen = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: seen.append(("epoch_begin", epoch, logs)),
        on_train_batch_begin=lambda batch, logs: seen.append(("batch_begin", batch, logs)),
        on_train_end=lambda logs: seen.append(("train_end", sorted(logs))),
    )
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[hooks])
    assert seen == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_begin", 0, {}),
        ("train_end", ["accuracy", "loss"]),
    ]


def test_train_end_logs_are_the_epoch_logs_before_callbacks_add_to_them():
    # Keras 3.15: ReduceLROnPlateau adds learning_rate to the logs the callbacks share
    # (History records it) but not to the fit's own logs that on_train_end receives;
    # with no epoch run, on_train_end gets {}.
    x, y = binary_data()
    model = tiny_model()
    rec = Recorder()
    history = model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[callbacks.ReduceLROnPlateau(monitor="loss"), rec],
    )
    assert "learning_rate" in history.history
    assert "learning_rate" in rec.of("on_epoch_end")[0][0][1]
    assert sorted(rec.of("on_train_end")[0][0][0]) == ["accuracy", "loss"]
    rec.calls.clear()
    model.fit(x, y, epochs=1, initial_epoch=1, verbose=0, callbacks=[rec])
    assert rec.of("on_train_end") == [(({},), {})]


# ------------------------------------------------------------ 2. on_batch_begin / end
def test_on_batch_begin_and_end_are_called_by_the_train_batch_hooks():
    x, y = binary_data()
    model = tiny_model()

    class Counter(callbacks.Callback):
        begins = ends = 0

        def on_batch_begin(self, batch, logs=None):
            Counter.begins += 1

        def on_batch_end(self, batch, logs=None):
            Counter.ends += 1

    ends = []
    lam = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: ends.append(batch))
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[Counter(), lam])
    assert (Counter.begins, Counter.ends) == (4, 4)  # Keras 3.15: 2 per epoch
    assert ends == [0, 1, 0, 1]
    # Not called by evaluate or predict (Keras's default on_test/predict hooks don't).
    model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[Counter(), lam])
    model.predict(x, batch_size=10, verbose=0, callbacks=[Counter(), lam])
    assert (Counter.begins, Counter.ends, len(ends)) == (4, 4, 4)


# ------------------------------------------------------------ 3. predict outputs
def test_predict_batch_end_receives_the_batch_outputs():
    x, _ = binary_data(25)
    model = tiny_model()
    batches = []
    grab = callbacks.LambdaCallback(
        on_predict_batch_end=lambda batch, logs: batches.append(logs["outputs"])
    )
    result = model.predict(x, batch_size=10, verbose=0, callbacks=[grab])
    assert [b.shape for b in batches] == [(10, 1), (10, 1), (5, 1)]
    np.testing.assert_array_equal(np.concatenate(batches), result)


# ------------------------------------------------------------ 4. ReduceLROnPlateau
def test_reduce_lr_on_plateau_uses_the_size_of_min_delta():
    # Keras 3.15 (MonitorCallback): min_delta=-0.5 acts as 0.5, so 1.0 -> 0.9 is no
    # improvement and patience=1 reduces the rate at epoch 2.
    model = tiny_model(learning_rate=1.0)
    plateau = callbacks.ReduceLROnPlateau(
        monitor="val_loss", min_delta=-0.5, patience=1, factor=0.5, mode="min"
    )
    plateau.set_model(model)
    plateau.on_train_begin({})
    for epoch, value in enumerate([1.0, 0.9]):
        plateau.on_epoch_end(epoch, {"val_loss": value})
    assert model.optimizer.learning_rate == 0.5


# ------------------------------------------------------------ 5. TerminateOnNaN
def diverging():
    x, y = binary_data(8)
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    return model, x, np.full(8, 1e200)  # squared error overflows to inf


def test_terminate_on_nan_raise_error(capsys):
    model, x, y = diverging()
    rec = Recorder()
    stop = callbacks.TerminateOnNaN(raise_error=True)
    with pytest.raises(RuntimeError) as caught:
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, callbacks=[stop, rec])
    # Keras 3.15's message, word for word; no on_train_end after the error.
    assert str(caught.value) == (
        "NaN or Inf loss encountered at batch 0. Loss value: inf. Terminating training immediately."
    )
    assert isinstance(caught.value, callbacks.NonFiniteLossError)
    assert rec.of("on_train_end") == []

    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=4,
        shuffle=False,
        verbose=0,
        callbacks=[rec, callbacks.TerminateOnNaN()],
    )
    assert capsys.readouterr().out == "Batch 0: Invalid loss, terminating training\n"
    assert history.epoch == [0] and len(rec.of("on_train_end")) == 1
    with pytest.raises(ArgumentTypeError, match="raise_error"):
        callbacks.TerminateOnNaN(raise_error="yes")


# ------------------------------------------------------------ 6. error names the call
def test_callback_argument_errors_name_the_method():
    x, y = binary_data()
    model = tiny_model()
    with pytest.raises(ArgumentError, match=r"^evaluate: `verbose`"):
        model.evaluate(x, y, verbose=5)
    with pytest.raises(ArgumentError, match=r"^predict: `verbose`"):
        model.predict(x, verbose=5)
    with pytest.raises(ArgumentTypeError, match=r"^evaluate: `callbacks`"):
        model.evaluate(x, y, verbose=0, callbacks=[object()])
    with pytest.raises(ArgumentTypeError, match=r"^predict: `callbacks`"):
        model.predict(x, verbose=0, callbacks=[object()])
    with pytest.raises(ArgumentError, match=r"^fit: `verbose`"):
        model.fit(x, y, verbose=5)


# ------------------------------------------------------------ 7, 8. progress bar
def final_line(verbose, logs):
    stream = io.StringIO()
    bar = callbacks.ProgbarLogger(stream=stream)
    bar.set_params({"epochs": 1, "steps": 2, "verbose": verbose, "mode": "train"})
    bar.on_epoch_begin(0, {})
    bar.on_epoch_end(0, logs)
    return stream.getvalue().splitlines()[-1].split(" - ", 2)[-1]


def test_progress_bar_formats_small_values_like_keras():
    logs = {"a": 1e-5, "b": 0.0, "c": -0.5, "d": 0.5, "e": 0.001}
    # keras.utils.Progbar 3.15, the same values with verbose=1 and verbose=2:
    assert final_line(1, logs) == (
        "a: 1.0000e-05 - b: 0.0000e+00 - c: -0.5000 - d: 0.5000 - e: 1.0000e-03"
    )
    assert final_line(2, logs) == (
        "a: 1.0000e-05 - b: 0.0000e+00 - c: -5.0000e-01 - d: 0.5000 - e: 1.0000e-03"
    )


def test_fit_shows_a_small_learning_rate_in_e_notation(capsys):
    x, y = binary_data()
    model = tiny_model()
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 1e-5)
    model.fit(x, y, epochs=1, batch_size=10, verbose=2, callbacks=[schedule])
    assert capsys.readouterr().out.rstrip().endswith("learning_rate: 1.0000e-05")


def test_terminal_redraw_erases_a_longer_previous_bar(terminal):
    bar = callbacks.ProgbarLogger(1, stream=terminal)
    bar.set_params({"epochs": 1, "steps": 3, "verbose": 1, "mode": "train"})
    bar.on_epoch_begin(0, {})
    bar._start -= 100  # the first step took long: an ETA of minutes
    bar.on_train_batch_end(0, logs={"loss": 10.5})
    bar._last_draw = 0.0
    bar._start += 100
    bar.on_train_batch_end(1, logs={"loss": 9.5})
    screen = ""
    for chunk in terminal.getvalue().split("\n")[-1].split("\r"):
        screen = chunk + screen[len(chunk) :]
    assert screen.rstrip().endswith("ETA: 0s - loss: 9.5000")


# ------------------------------------------------------------ 9, 10, 11. fit's callbacks
def test_progbar_logger_follows_the_calls_verbose(capsys):
    x, y = binary_data()
    model = tiny_model()
    stream = io.StringIO()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ProgbarLogger(stream=stream)])
    model.evaluate(x, y, verbose=0, callbacks=[callbacks.ProgbarLogger(stream=stream)])
    model.predict(x, verbose=0, callbacks=[callbacks.ProgbarLogger(stream=stream)])
    assert stream.getvalue() == ""  # Keras 3.15: ProgbarLogger() with verbose=0 is silent
    model.fit(x, y, epochs=2, verbose=2, callbacks=[callbacks.ProgbarLogger(stream=stream)])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert capsys.readouterr().out == ""  # the one bar writes to its stream only
    # An explicit verbose (rnnkit's own argument) overrides the call's.
    loud = io.StringIO()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ProgbarLogger(2, stream=loud)])
    assert loud.getvalue().startswith("Epoch 1/1\n1/1 [")


def test_a_history_among_the_callbacks_is_the_one_fit_returns():
    x, y = binary_data()
    model = tiny_model()
    history = callbacks.History()
    returned = model.fit(x, y, epochs=2, verbose=0, callbacks=[history])
    assert returned is history and model.history is history
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


def test_callbacks_may_be_one_callback():
    x, y = binary_data()
    model = tiny_model()
    history = callbacks.History()
    assert model.fit(x, y, epochs=1, verbose=0, callbacks=history) is history
    rec = Recorder()
    model.evaluate(x, y, verbose=0, callbacks=rec)
    model.predict(x, verbose=0, callbacks=rec)
    assert len(rec.of("on_test_end")) == 1 and len(rec.of("on_predict_end")) == 1
    with pytest.raises(ArgumentTypeError, match="a Callback or a list of Callback objects"):
        model.fit(x, y, verbose=0, callbacks="history")


# ------------------------------------------------------------ 12. predict's bar
def test_predict_verbose_auto_draws_a_bar(capsys):
    x, _ = binary_data(25)
    model = tiny_model()
    model.predict(x, batch_size=10)  # Keras 3.15: "auto" is 1 for predict too
    out = capsys.readouterr().out
    assert out.startswith("3/3 [") and out.count("\n") == 1
    model.predict(x, batch_size=10, verbose=0)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------ 13. CSVLogger
def read_rows(path, separator):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=separator))


def test_csv_logger_columns_follow_keras_and_the_header(tmp_path):
    x, y = binary_data()
    model = tiny_model()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    rows = read_rows(path, ";")
    # Keras 3.15 adds val_ columns (NA) to a run without validation.
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1"] and rows[1][3:] == ["NA", "NA"]
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        callbacks=[callbacks.CSVLogger(path, separator=";", append=True)],
    )
    assert read_rows(path, ";")[-1][3:] != ["NA", "NA"]
    # A log the header lacks is left out (Keras would write a longer row).
    with pytest.warns(UserWarning, match="no column for learning_rate"):
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[
                callbacks.ReduceLROnPlateau(monitor="loss"),
                callbacks.CSVLogger(path, separator=";", append=True),
            ],
        )
    rows = read_rows(path, ";")
    assert len(rows) == 5 and {len(row) for row in rows} == {5}
    with pytest.raises(ArgumentError, match="separator ','"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])


# ------------------------------------------------------------ 14. LearningRateScheduler
def test_learning_rate_scheduler_refuses_a_bool():
    x, y = binary_data()
    model = tiny_model()
    for flag in (True, False):  # Keras 3.15: "The output of the `schedule` function..."
        schedule = callbacks.LearningRateScheduler(lambda epoch, lr, flag=flag: flag)
        with pytest.raises(ArgumentError, match="got True|got False"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[schedule])
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: np.float32(0.5))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[schedule])
    assert model.optimizer.learning_rate == 0.5


# ------------------------------------------------------------ 15. ModelCheckpoint
def test_model_checkpoint_verbose_messages_are_keras(tmp_path, capsys):
    model = tiny_model()
    model.predict(np.zeros((1, 3), np.float32), verbose=0)  # build
    path = tmp_path / "best.rnnkit"
    checkpoint = callbacks.ModelCheckpoint(path, save_best_only=True, verbose=1)
    checkpoint.set_model(model)
    for epoch, value in enumerate([0.5, 0.75, 0.25]):
        checkpoint.on_epoch_end(epoch, {"val_loss": value})
    # Keras 3.15 prints these lines (best is None before the first epoch).
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.25000, saving model to {path}\n"
        f"\nEpoch 3: finished saving model to {path}\n"
    )


def test_model_checkpoint_filepath_that_cannot_be_filled(tmp_path):
    x, y = binary_data()
    model = tiny_model()
    for bad in ("{}.rnnkit", "{0}.rnnkit", "{epoch.rnnkit"):
        with pytest.raises(ArgumentError, match=r"ModelCheckpoint: filepath '.*"):
            callbacks.ModelCheckpoint(str(tmp_path / bad))
    filepath = str(tmp_path / "{val_loss:.2d}.rnnkit")
    checkpoint = callbacks.ModelCheckpoint(filepath)
    rec = Recorder()
    with pytest.raises(ArgumentError, match="cannot fill the fields") as caught:
        model.fit(x, y, epochs=2, verbose=0, validation_split=0.5, callbacks=[checkpoint, rec])
    assert filepath in str(caught.value) and list(tmp_path.iterdir()) == []
    assert len(rec.of("on_epoch_begin")) == 1 and rec.of("on_epoch_end") == []  # first save
