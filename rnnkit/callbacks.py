"""Callbacks: hooks into ``fit`` / ``evaluate`` / ``predict``, with Keras names.

Subclass :class:`Callback` and override any ``on_*`` method; ``self.model`` is the
model being trained and ``self.params`` holds ``epochs``, ``steps`` and ``verbose``.

>>> history = History()
>>> history.on_epoch_end(0, {"loss": 0.5})
>>> history.history
{'loss': [0.5]}
"""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message


class Callback:
    """Base class: every hook does nothing."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Attach the model."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Attach the loop parameters."""
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before training."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after training."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of each epoch (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of each epoch with the epoch's (and validation) logs."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch with running averages."""

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called before evaluation."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """Called after evaluation."""

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called before prediction."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called after prediction."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each prediction batch."""


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` etc., and ``history.epoch``."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Append this epoch's logs."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


class ProgbarLogger(Callback):
    """Keras-style progress bar.

    On a terminal (``verbose=1``): a bar per epoch with ETA and running metrics. Not on a
    terminal, or with ``verbose=2``: one line per epoch. Nothing with ``verbose=0``.
    """

    def __init__(self, verbose: Any = 1, stream: Any = None, width: int = 30) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.width = width
        self._start = 0.0
        self._last_draw = 0.0

    @property
    def _interactive(self) -> bool:
        return self.verbose == 1 and bool(getattr(self.stream, "isatty", lambda: False)())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Print the epoch header."""
        self._start = time.perf_counter()
        self._last_draw = 0.0
        if self.verbose and self.params.get("mode", "train") == "train":
            self._write(f"Epoch {epoch + 1}/{self.params['epochs']}\n")

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Start the evaluation bar."""
        self._start = time.perf_counter()
        self._last_draw = 0.0

    on_predict_begin = on_test_begin

    def _bar(self, done: int, logs: dict[str, float], final: bool) -> str:
        total = self.params["steps"]
        elapsed = time.perf_counter() - self._start
        digits = len(str(total))
        filled = int(self.width * done / max(total, 1))
        bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=") if filled else ""
        text = f"{done:>{digits}}/{total} [{bar:<{self.width}}]"
        if final:
            per_step = elapsed / max(done, 1)
            text += f" - {_format_time(elapsed)} {per_step * 1e3:.0f}ms/step"
        else:
            eta = elapsed / max(done, 1) * (total - done)
            text += f" - ETA: {_format_time(eta)}"
        return text + (f" - {_format_logs(logs)}" if logs else "")

    def _batch_end(self, batch: int, logs: dict | None) -> None:
        if not self._interactive:
            return
        now = time.perf_counter()
        if batch + 1 < self.params["steps"] and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._write("\r" + self._bar(batch + 1, dict(logs or {}), final=False))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the bar (terminal only, at most ten times a second)."""
        self._batch_end(batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the evaluation bar (stand-alone evaluate only)."""
        if self.params.get("mode") == "test":
            self._batch_end(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the prediction bar."""
        if self.params.get("mode") == "predict":
            self._batch_end(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Print the final line of the epoch, validation included."""
        if not self.verbose:
            return
        prefix = "\r" if self._interactive else ""
        self._write(prefix + self._bar(self.params["steps"], dict(logs or {}), final=True) + "\n")

    def on_test_end(self, logs: dict | None = None) -> None:
        """Print the evaluation result."""
        if self.verbose and self.params.get("mode") == "test":
            prefix = "\r" if self._interactive else ""
            self._write(prefix + self._bar(self.params["steps"], dict(logs or {}), True) + "\n")

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Finish the prediction bar."""
        if self.verbose and self.params.get("mode") == "predict":
            prefix = "\r" if self._interactive else ""
            self._write(prefix + self._bar(self.params["steps"], {}, True) + "\n")


class CallbackList:
    """Dispatches every hook to the user's callbacks, the progress bar and History."""

    def __init__(
        self,
        callbacks: list[Callback],
        *,
        model: Any,
        history: History | None = None,
        verbose: Any = 1,
        epochs: int = 1,
        steps: int = 1,
        mode: str = "train",
    ) -> None:
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise ArgumentTypeError(
                    argument_message(
                        "fit", "callbacks", "rnnkit.callbacks.Callback objects", callback
                    )
                )
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ArgumentError(argument_message("fit", "verbose", "'auto', 0, 1 or 2", verbose))
        self.callbacks = list(callbacks)
        if verbose and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(verbose))
        if history is not None:
            self.callbacks.append(history)
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "mode": mode}
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)

    def for_validation(self) -> CallbackList:
        """The same callbacks (their model and params untouched) less the progress bar.

        fit runs its validation through these, so the callbacks see the ``on_test_*``
        hooks as in Keras; Keras draws no evaluation bar inside fit, and rnnkit's bar
        would restart its epoch timer.
        """
        subset = object.__new__(CallbackList)
        subset.callbacks = [c for c in self.callbacks if not isinstance(c, ProgbarLogger)]
        return subset

    def __getattr__(self, hook: str) -> Callable[..., None]:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def dispatch(*args: Any) -> None:
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return dispatch


def _base_learning_rate(owner: str, optimizer: Any) -> float:
    """The optimizer's configured rate (before legacy ``decay``), which callbacks replace."""
    rate = optimizer.learning_rate
    if not isinstance(rate, (float, int, np.floating)):
        raise ArgumentError(
            f"{owner}: the optimizer's learning rate is a schedule ({type(rate).__name__}); "
            "this callback sets a fixed rate. Use one or the other."
        )
    return float(rate)


def _monitor_mode(owner: str, monitor: str, mode: str) -> Callable[[float, float], bool]:
    """``improved(current, best)`` for ``mode`` ('auto' picks max for accuracy-like names)."""
    if mode not in ("auto", "min", "max"):
        raise ArgumentError(argument_message(owner, "mode", "'auto', 'min' or 'max'", mode))
    if mode == "auto":
        mode = "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"
    return (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` stops improving.

    Args:
        monitor: Log name to watch (``"val_loss"``).
        min_delta: Smallest change that counts as an improvement.
        patience: Epochs without improvement before stopping.
        verbose: Print when stopping.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: Value the monitor must beat (by ``min_delta``): until it does, epochs
            count against ``patience`` even when they improve on the best so far.
        restore_best_weights: Restore the weights of the best epoch at the end.
        start_from_epoch: Epochs to wait before watching.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._better = _monitor_mode("EarlyStopping", monitor, mode)
        self._sign = 1.0 if self._better(1.0, 0.0) else -1.0
        self.stopped_epoch = 0
        self.best_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Reset the state."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None  # the first watched epoch is an improvement
        self.best_weights = None
        self.best_epoch = 0

    def _improves(self, current: float, reference: float | None) -> bool:
        return reference is None or self._better(current - self._sign * self.min_delta, reference)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Compare with the best value so far; stop after ``patience`` epochs without gain."""
        current = (logs or {}).get(self.monitor)
        if current is None:
            raise ArgumentError(
                f"EarlyStopping: monitor '{self.monitor}' is not in the logs "
                f"({', '.join(logs or {})}). Pass validation data for val_* monitors."
            )
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            # The best epoch is tracked whatever the baseline (Keras >= 2.6): a run
            # that never beats the baseline still restores its best weights.
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0  # patience restarts only when the baseline is beaten too
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        """Restore the best weights if asked."""
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after epochs, atomically.

    Args:
        filepath: Path, may contain ``{epoch:02d}`` and log names (``{val_loss:.2f}``).
        monitor: Log name for ``save_best_only``.
        verbose: Print when saving.
        save_best_only: Only save when ``monitor`` improved.
        save_weights_only: Save weights instead of the whole model.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"`` (the only frequency supported; an integer raises).
        initial_value_threshold: Initial best value.
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ArgumentError(
                argument_message("ModelCheckpoint", "save_freq", "'epoch'", save_freq)
            )
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self._better = _monitor_mode("ModelCheckpoint", monitor, mode)
        sign = 1.0 if self._better(1.0, 0.0) else -1.0
        self.best = -math.inf * sign if initial_value_threshold is None else initial_value_threshold

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Save if due (the file is written to a temporary name, then renamed)."""
        logs = dict(logs or {})
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise ArgumentError(
                f"ModelCheckpoint: filepath '{self.filepath}' names {error}, which is not in "
                f"the logs ({', '.join(logs)})."
            ) from error
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                raise ArgumentError(
                    f"ModelCheckpoint: monitor '{self.monitor}' is not in the logs "
                    f"({', '.join(logs)})."
                )
            if not self._better(current, self.best):
                return
            if self.verbose:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    Args as Keras: ``monitor="val_loss", factor=0.1, patience=10, verbose=0,
    mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ArgumentError(
                argument_message("ReduceLROnPlateau", "factor", "in (0, 1)", factor)
            )
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.min_delta = float(min_delta)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._better = _monitor_mode("ReduceLROnPlateau", monitor, mode)
        self._sign = 1.0 if self._better(1.0, 0.0) else -1.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Reset the state."""
        self.best = -math.inf * self._sign
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Reduce the rate after ``patience`` epochs without improvement."""
        logs = logs if logs is not None else {}
        current = logs.get(self.monitor)
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.current_learning_rate)
        if current is None:
            raise ArgumentError(
                f"ReduceLROnPlateau: monitor '{self.monitor}' is not in the logs "
                f"({', '.join(logs)})."
            )
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current - self._sign * self.min_delta, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = _base_learning_rate("ReduceLROnPlateau", optimizer)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    optimizer.learning_rate = new
                    if self.verbose:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                            f"rate to {new}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule(epoch, lr)``."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise ArgumentTypeError(
                argument_message("LearningRateScheduler", "schedule", "a callable", schedule)
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Apply the schedule."""
        optimizer = self.model.optimizer
        current = _base_learning_rate("LearningRateScheduler", optimizer)
        try:
            lr = self.schedule(epoch, current)
        except TypeError:
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, int, np.floating)) or not math.isfinite(float(lr)):
            raise ArgumentError(
                argument_message("LearningRateScheduler", "schedule(epoch)", "a finite float", lr)
            )
        optimizer.learning_rate = float(lr)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Record the rate in the logs."""
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.current_learning_rate)


class CSVLogger(Callback):
    """Write the epoch logs to a CSV file (one row per epoch, flushed each epoch)."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Open the file."""
        exists = (
            self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        )
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._keys = None
        self._has_header = exists

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Append a row."""
        logs = dict(logs or {})
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self._keys], delimiter=self.separator
            )
            if not self._has_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self._keys}})
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Check the running loss."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...``, etc."""

    def __init__(self, **hooks: Callable[..., None]) -> None:
        super().__init__()
        for name, function in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ArgumentError(f"LambdaCallback: unknown hook '{name}'.")
            setattr(self, name, function)
