"""Callbacks: hooks into ``fit`` / ``evaluate`` / ``predict``, with Keras names.

Subclass :class:`Callback` and override any ``on_*`` method; ``self.model`` is the
model being trained and ``self.params`` holds ``epochs``, ``steps`` and ``verbose``.
As in Keras, every hook receives a ``logs`` dict: ``{}`` for the ``*_begin`` hooks,
the running averages for batch ends, the epoch's logs for ``on_epoch_end``, the last
epoch's for ``on_train_end``, and ``{"outputs": <the batch's predictions>}`` for
``on_predict_batch_end``.

>>> history = History()
>>> history.on_epoch_end(0, {"loss": 0.5})
>>> history.history
{'loss': [0.5]}
"""

from __future__ import annotations

import csv
import math
import os
import string
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NonFiniteLossError,
    argument_message,
    describe,
)
from rnnkit.validation import check_bool


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

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch by the default ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch by the default ``on_train_batch_end``."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before each training batch; calls ``on_batch_begin`` (Keras)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after each training batch with running averages; calls ``on_batch_end``."""
        self.on_batch_end(batch, logs=logs)

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


def _format_value(value: float, verbose: int) -> str:
    """Keras's Progbar rule: ``.4f`` above 1e-3, ``.4e`` otherwise (zero included).

    ``verbose=1`` compares the absolute value, ``verbose=2`` the signed one (so a
    negative value prints as ``.4e`` there), as keras/src/utils/progbar.py does.
    """
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def _format_logs(logs: dict[str, float], verbose: int = 1) -> str:
    return " - ".join(f"{k}: {_format_value(v, verbose)}" for k, v in logs.items())


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


class ProgbarLogger(Callback):
    """Keras-style progress bar.

    On a terminal (``verbose=1``): a bar per epoch with ETA and running metrics, redrawn
    in place. Not on a terminal, or with ``verbose=2``: one line per epoch. Nothing with
    ``verbose=0``. Values print as in Keras: ``0.1234`` above 1e-3 in size, otherwise
    (zero included) ``1.0000e-05``; with ``verbose=2`` Keras compares the signed value,
    so a negative one prints as ``-5.0000e-01`` there.

    Args:
        verbose: ``None`` (the default) takes the ``verbose`` of the ``fit``,
            ``evaluate`` or ``predict`` call, as Keras's ``ProgbarLogger()`` does
            (``"auto"`` is 1); ``"auto"``, 0, 1 or 2 (rnnkit's own) overrides it.
        stream: Where to write (``sys.stdout`` by default).
        width: Width of the bar in characters.
    """

    def __init__(self, verbose: Any = None, stream: Any = None, width: int = 30) -> None:
        super().__init__()
        if verbose == "auto":
            verbose = 1
        if verbose not in (None, 0, 1, 2) or isinstance(verbose, bool):
            raise ArgumentError(
                argument_message("ProgbarLogger", "verbose", "None, 'auto', 0, 1 or 2", verbose)
            )
        self._verbose_arg = verbose
        self.verbose = 1 if verbose is None else verbose
        self.stream = stream or sys.stdout
        self.width = width
        self._start = 0.0
        self._last_draw = 0.0
        self._drawn = 0  # width of the line drawn so far (a shorter redraw pads it out)

    def set_params(self, params: dict[str, Any]) -> None:
        """Attach the loop parameters; without ``verbose`` given, take the call's."""
        super().set_params(params)
        if self._verbose_arg is None:
            self.verbose = params.get("verbose", 1)

    @property
    def _interactive(self) -> bool:
        return self.verbose == 1 and bool(getattr(self.stream, "isatty", lambda: False)())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _redraw(self, line: str, final: bool) -> None:
        """Draw ``line`` over the current one (terminal) or on its own (``final``)."""
        if self._interactive:
            # Blanks erase the end of a longer previous drawing (Keras pads likewise).
            self._write("\r" + line + " " * max(self._drawn - len(line), 0))
            self._drawn = len(line)
        else:
            self._write(line)
        if final:
            self._write("\n")
            self._drawn = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Print the epoch header."""
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = 0
        if self.verbose and self.params.get("mode", "train") == "train":
            self._write(f"Epoch {epoch + 1}/{self.params['epochs']}\n")

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Start the evaluation bar."""
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = 0

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
        return text + (f" - {_format_logs(logs, self.verbose)}" if logs else "")

    def _batch_end(self, batch: int, logs: dict | None) -> None:
        if not self._interactive:
            return
        now = time.perf_counter()
        if batch + 1 < self.params["steps"] and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._redraw(self._bar(batch + 1, dict(logs or {}), final=False), final=False)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the bar (terminal only, at most ten times a second)."""
        self._batch_end(batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the evaluation bar (stand-alone evaluate only)."""
        if self.params.get("mode") == "test":
            self._batch_end(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Redraw the prediction bar (without the batch's outputs, as in Keras)."""
        if self.params.get("mode") == "predict":
            self._batch_end(batch, {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Print the final line of the epoch, validation included."""
        if self.verbose:
            self._redraw(self._bar(self.params["steps"], dict(logs or {}), final=True), True)

    def on_test_end(self, logs: dict | None = None) -> None:
        """Print the evaluation result."""
        if self.verbose and self.params.get("mode") == "test":
            self._redraw(self._bar(self.params["steps"], dict(logs or {}), final=True), True)

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Finish the prediction bar."""
        if self.verbose and self.params.get("mode") == "predict":
            self._redraw(self._bar(self.params["steps"], {}, final=True), True)


_CALLERS = {"train": "fit", "test": "evaluate", "predict": "predict"}


class CallbackList:
    """Dispatches every hook to the user's callbacks, the progress bar and History.

    As in Keras: ``callbacks`` is one :class:`Callback` or a list of them; a History
    among them replaces the one fit would add (it is the one fit returns), and a
    ProgbarLogger among them replaces the default bar. Every hook receives a ``logs``
    dict: ``{}`` for the ``*_begin`` hooks, and a copy of the loop's logs otherwise (one
    copy per call, shared by the callbacks, so a value a callback adds reaches the
    callbacks after it). Batch hooks get it as the keyword ``logs=``, the others
    positionally, as Keras passes them.
    """

    def __init__(
        self,
        callbacks: Callback | Iterable[Callback] | None,
        *,
        model: Any,
        history: History | None = None,
        verbose: Any = 1,
        epochs: int = 1,
        steps: int = 1,
        mode: str = "train",
    ) -> None:
        caller = _CALLERS.get(mode, mode)
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        elif isinstance(callbacks, (str, bytes, dict)) or not isinstance(callbacks, Iterable):
            raise ArgumentTypeError(
                argument_message(
                    caller, "callbacks", "a Callback or a list of Callback objects", callbacks
                )
            )
        callbacks = list(callbacks)
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise ArgumentTypeError(
                    argument_message(
                        caller, "callbacks", "rnnkit.callbacks.Callback objects", callback
                    )
                )
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ArgumentError(argument_message(caller, "verbose", "'auto', 0, 1 or 2", verbose))
        self.callbacks = callbacks
        if verbose and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if history is not None:
            given = [c for c in self.callbacks if isinstance(c, History)]
            if given:
                history = given[0]
            else:
                self.callbacks.append(history)
        self.history = history
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
        subset.history = None
        return subset

    def _call(self, hook: str, *args: Any, logs: dict | None, keyword: bool = False) -> None:
        logs = {} if logs is None else dict(logs)
        for callback in self.callbacks:
            if keyword:
                getattr(callback, hook)(*args, logs=logs)
            else:
                getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_train_begin``."""
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_train_end`` (fit passes the last epoch's logs)."""
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_epoch_begin``."""
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_epoch_end``."""
        self._call("on_epoch_end", epoch, logs=logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_batch_begin``."""
        self._call("on_batch_begin", batch, logs=logs, keyword=True)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_batch_end``."""
        self._call("on_batch_end", batch, logs=logs, keyword=True)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_train_batch_begin``."""
        self._call("on_train_batch_begin", batch, logs=logs, keyword=True)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_train_batch_end``."""
        self._call("on_train_batch_end", batch, logs=logs, keyword=True)

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_test_begin``."""
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_test_end``."""
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_test_batch_begin``."""
        self._call("on_test_batch_begin", batch, logs=logs, keyword=True)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_test_batch_end``."""
        self._call("on_test_batch_end", batch, logs=logs, keyword=True)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_predict_begin``."""
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        """Call every callback's ``on_predict_end``."""
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_predict_batch_begin``."""
        self._call("on_predict_batch_begin", batch, logs=logs, keyword=True)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Call every callback's ``on_predict_batch_end`` (``{"outputs": ...}`` in predict)."""
        self._call("on_predict_batch_end", batch, logs=logs, keyword=True)


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


def _check_format_fields(filepath: str) -> None:
    """Refuse a ModelCheckpoint filepath whose fields ``str.format(**logs)`` can never fill."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(filepath)]
    except ValueError as error:
        raise ArgumentError(
            f"ModelCheckpoint: filepath '{filepath}' is not a valid format string ({error}); "
            "write a literal brace as '{{' or '}}'."
        ) from error
    for field in fields:
        if field is not None and (field == "" or field[0].isdigit()):
            raise ArgumentError(
                f"ModelCheckpoint: filepath '{filepath}' has a positional field "
                f"'{{{field}}}'; the fields are filled by name: '{{epoch:02d}}' or a log "
                "name such as '{val_loss:.3f}'."
            )


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after epochs, atomically.

    Args:
        filepath: Path, may contain ``{epoch:02d}`` and log names (``{val_loss:.2f}``),
            filled by ``str.format`` with keywords only: a positional field (``{}``) or a
            lone brace raises here, a field the logs cannot fill (an unknown name,
            ``{val_loss:.2d}``) at the first save, both as an ``ArgumentError`` naming
            the filepath.
        monitor: Log name for ``save_best_only``.
        verbose: Print what is done each epoch, with Keras 3's messages ("improved from
            ... saving model to ...", "did not improve from ...", "saving model to ...",
            then "finished saving model to ...").
        save_best_only: Only save when ``monitor`` improved.
        save_weights_only: Save weights instead of the whole model.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"`` (the only frequency supported; an integer raises).
        initial_value_threshold: Initial best value (``None``: the first epoch improves).
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
        _check_format_fields(self.filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self._better = _monitor_mode("ModelCheckpoint", monitor, mode)
        # None until the first monitored epoch, which always improves (Keras 3).
        self.best: float | None = initial_value_threshold

    def _path(self, epoch: int, logs: dict[str, Any]) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise ArgumentError(
                f"ModelCheckpoint: filepath '{self.filepath}' names {error}, which is not in "
                f"the logs (epoch, {', '.join(logs)})."
            ) from error
        except (IndexError, ValueError, TypeError, AttributeError) as error:
            raise ArgumentError(
                f"ModelCheckpoint: cannot fill the fields of filepath '{self.filepath}' "
                f"from the epoch number and the logs ({error}); write them like "
                "'{epoch:02d}' and '{val_loss:.3f}'."
            ) from error

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Save if due (the file is written to a temporary name, then renamed)."""
        logs = dict(logs or {})
        path = self._path(epoch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                raise ArgumentError(
                    f"ModelCheckpoint: monitor '{self.monitor}' is not in the logs "
                    f"({', '.join(logs)})."
                )
            best = "None" if self.best is None else f"{self.best:.5f}"
            if self.best is not None and not self._better(current, self.best):
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
                return
            if self.verbose:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    Args as Keras: ``monitor="val_loss", factor=0.1, patience=10, verbose=0,
    mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0``. Only the size of
    ``min_delta`` counts (its sign is dropped, as in Keras 3).
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
        self.min_delta = abs(float(min_delta))
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
    """Set the learning rate at the start of each epoch from ``schedule(epoch, lr)``.

    The schedule may also take ``epoch`` alone. It must return a finite number (a
    Python or NumPy float, or an int); anything else, ``True`` and ``False`` included,
    raises an ``ArgumentError``, as Keras refuses it.
    """

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
        if (
            isinstance(lr, bool)
            or not isinstance(lr, (float, int, np.floating))
            or not math.isfinite(float(lr))
        ):
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
    """Write the epoch logs to a CSV file (one row per epoch, flushed each epoch).

    The columns are ``epoch`` then the first epoch's log names, sorted; without
    validation, Keras's ``val_`` columns are added too and hold ``NA``. With
    ``append=True`` and a file that has a header, the rows follow that header's columns
    (``NA`` where a run has no value) and a log the header lacks is left out with a
    warning, so that every row has the header's number of fields; a header that does
    not start with ``epoch`` when split at ``separator`` raises an ``ArgumentError``.
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def _header(self) -> list[str] | None:
        """The columns of the file being appended to, or None (no file, or no header)."""
        if not (self.append and os.path.exists(self.filename)):
            return None
        with open(self.filename, newline="") as handle:
            row = next(csv.reader(handle, delimiter=self.separator), None)
        if not row:
            return None
        if row[0] != "epoch":
            raise ArgumentError(
                f"CSVLogger: cannot append to '{self.filename}': its first line split at "
                f"separator {self.separator!r} does not start with the column 'epoch' "
                f"({describe(row[:3])}). Pass the separator the file was written with, "
                "or another file."
            )
        return row[1:]

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Open the file (and read the header of a file appended to)."""
        header = self._header()
        if self._file is not None:
            self._file.close()  # left open by a run that stopped with an error
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = None
        self._keys = header
        self._has_header = header is not None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Append a row."""
        logs = dict(logs or {})
        if self._keys is None:
            self._keys = sorted(logs)
            if self._keys and not any(k.startswith("val_") for k in self._keys):
                self._keys += [f"val_{k}" for k in self._keys]  # Keras's NA columns
        elif self._writer is None:
            left_out = sorted(set(logs) - set(self._keys))
            if left_out:
                warnings.warn(
                    f"CSVLogger: '{self.filename}' has no column for {', '.join(left_out)} "
                    "(its header comes from an earlier run); left out.",
                    stacklevel=2,
                )
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file,
                fieldnames=["epoch", *self._keys],
                delimiter=self.separator,
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
        self._writer = None


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss is NaN or infinite.

    Args:
        raise_error: False (the default): print ``Batch N: Invalid loss, terminating
            training`` and stop after this batch, so the epoch ends and every callback's
            ``on_epoch_end`` and ``on_train_end`` still run. True: raise
            :class:`NonFiniteLossError` (a ``RuntimeError``) at once, with Keras 3's
            message; fit then ends with that error and no ``on_train_end`` is called.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = check_bool("TerminateOnNaN", "raise_error", raise_error)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Check the running loss (called by ``on_train_batch_end``, as in Keras)."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise NonFiniteLossError(
                    f"NaN or Inf loss encountered at batch {batch}. "
                    f"Loss value: {loss}. Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_end=lambda epoch, logs: ...``, etc.

    Any hook of :class:`Callback` may be given, ``on_batch_begin`` / ``on_batch_end``
    included. The functions are called as Keras calls them: ``(logs)`` for
    ``on_train_begin`` and the other begin/end hooks, ``(epoch, logs)`` for the epoch
    hooks, ``(batch, logs=logs)`` for the batch hooks.
    """

    def __init__(self, **hooks: Callable[..., None]) -> None:
        super().__init__()
        for name, function in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ArgumentError(f"LambdaCallback: unknown hook '{name}'.")
            setattr(self, name, function)
