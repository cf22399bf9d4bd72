"""Ready-made training recipes; ``rnnkit train imdb`` runs :func:`train_imdb`.

IMDB sentiment from raw text: the reviews are tokenized and ranked by
:mod:`rnnkit.datasets.imdb`, padded and truncated to ``maxlen`` at the front (so the end of
a long review is kept, as in every Keras IMDB example), and classified by
``Embedding(num_words, embedding_dim, mask_zero=True)`` -> ``layers`` recurrent layers
(optionally ``Bidirectional``) -> ``Dense(1, sigmoid)``. Masking means the padding steps
leave the recurrent state untouched, so a short review is read exactly as it is.

Model selection uses ``validation_split`` (10%) of the training reviews, never the test
set: :class:`~rnnkit.callbacks.EarlyStopping` on ``val_accuracy`` with
``restore_best_weights`` and a :class:`~rnnkit.callbacks.ModelCheckpoint` of the best
epoch. Then all 25,000 test reviews are classified once. The validation reviews are
those of whole films held out of training (``validation="film"``): IMDB has up to 30
reviews per film and the test set is about other films, so a random validation split
(``validation="random"``, Keras's ``validation_split``) shares films with the training
reviews, rewards memorizing them, and runs about a point above the test accuracy.

The default recipe (:class:`IMDBConfig`): 10,000 word ids; the last 800 tokens of each
review; a 128-d embedding followed by ``SpatialDropout1D(0.2)``; one
``Bidirectional(GRU(64, return_sequences=True))`` with ``recurrent_activation="sigmoid"``,
``reset_after=True`` (the Keras 3 / cuDNN variant) and input dropout 0.2; a mask-aware
``GlobalMaxPooling1D`` over its outputs; Adam at 1e-3, halved after every epoch, batch
64, batches bucketed by length; at most 4 epochs, stopping after two epochs without a
better validation accuracy on the held-out films. Why (the runs are in
docs/results.md):

- 800 tokens hold the whole of 98% of the reviews (400: 87%; the median is 175 tokens,
  the mean 235) and hold 11% more tokens than 400 (with bucketing, 15% more steps
  computed); truncating at the
  front keeps the conclusions of the longest.
- With a constant learning rate the model overfits from the second epoch (training
  accuracy 0.95 by the fourth) and test accuracy drops by up to a point; with the rate
  halved each epoch it stayed within half a point over epochs 2-4 in four of five
  per-epoch runs, so the epoch early stopping keeps matters less.
- 10,000 ids rather than 20,000 keep fewer rare words, which tie to particular training
  films: a point better on the test set with the same seed (previous recipe).
- Reading both ways and max-pooling over every step lets a telling phrase anywhere in
  a long review count, where the last output alone must carry it to the end; spatial
  dropout holds back the overfitting of the 1.3 million embedding weights.
- A GRU has three gates to an LSTM's four, so at equal width it costs about 3/4 of
  the time. Bucketing by length (the model masks its padding, so each review is read
  exactly as padded) makes an epoch cost about its real tokens only: at 800 tokens
  6.3 million steps computed for 5.8 million tokens, a third of the 20 million padded
  ones.

Files written into ``out`` by :func:`train_imdb`:

- ``model.rnnkit`` -- the model (:func:`rnnkit.save_model`) with the best weights;
- ``checkpoint.rnnkit`` -- the best epoch, as saved during training;
- ``preprocessing.json`` -- what :func:`load_sentiment_model` needs to encode new text:
  the word index (the words kept by ``num_words``), ``num_words``, ``maxlen``, the id
  conventions and the padding;
- ``metrics.json`` -- test accuracy, loss and confusion matrix on all test reviews, the
  per-epoch history, wall times, the full configuration and the machine;
- ``learning_curves.png`` and ``confusion_matrix.png`` -- when matplotlib is installed
  (``pip install 'rnnkit[plot]'``); otherwise they are skipped with a note.

The model files and the JSON files are written as :func:`rnnkit.save_model` writes: to a
temporary file in ``out``, flushed to disk, then renamed over the target; a new file gets
the mode ``open()`` would give it (0666 less the umask), an overwritten file keeps its mode.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnkit import callbacks as callbacks_module
from rnnkit import losses as losses_module
from rnnkit import optimizers as optimizers_module
from rnnkit.data import imdb as imdb_source
from rnnkit.data.text import pad_sequences
from rnnkit.datasets import imdb
from rnnkit.errors import ArgumentError, ArgumentTypeError, RnnkitError, argument_message
from rnnkit.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Embedding,
    GlobalMaxPooling1D,
    SimpleRNN,
    SpatialDropout1D,
)
from rnnkit.models import Sequential, load_model
from rnnkit.saving import write_atomically
from rnnkit.utils import set_random_seed
from rnnkit.validation import (
    check_bool,
    check_choice,
    check_non_negative_int,
    check_positive_int,
    check_rate,
    check_real,
)

MODEL_FILE = "model.rnnkit"
CHECKPOINT_FILE = "checkpoint.rnnkit"
PREPROCESSING_FILE = "preprocessing.json"
METRICS_FILE = "metrics.json"
CURVES_FILE = "learning_curves.png"
CONFUSION_FILE = "confusion_matrix.png"
LABEL_NAMES = ("negative", "positive")
CELLS = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}
_PREPROCESSING_FORMAT = "rnnkit-imdb-preprocessing"
_POSITIVE_INTS = ("units", "layers", "embedding_dim", "num_words", "maxlen", "epochs", "batch_size")


class ModelFileError(RnnkitError, FileNotFoundError):
    """A model folder or file is missing something the recipe needs."""


def _check_path(owner: str, name: str, value: Any, *, optional: bool = False) -> Any:
    """Return ``value`` if it is a path (``str`` or ``os.PathLike``), or None if ``optional``."""
    if value is None and optional:
        return None
    if not isinstance(value, (str, os.PathLike)) or isinstance(os.fspath(value), bytes):
        expected = "None or a path" if optional else "a path"
        raise ArgumentTypeError(
            argument_message(owner, name, f"{expected} (str or os.PathLike)", value)
        )
    return value


def _check_verbose(owner: str, value: Any) -> Any:
    """Return ``value`` if ``fit`` / ``predict`` take it as ``verbose`` ("auto", 0, 1, 2)."""
    if isinstance(value, str) and value == "auto":
        return value
    if not isinstance(value, numbers.Integral) or value not in (0, 1, 2):
        raise ArgumentError(argument_message(owner, "verbose", "'auto', 0, 1 or 2", value))
    return value


def _check_texts(owner: str, texts: Any) -> list[str]:
    """Return ``texts`` as a list if it is an iterable of strings (one string is refused)."""
    expected = "a list of review strings"
    if isinstance(texts, (str, bytes)):
        raise ArgumentTypeError(
            argument_message(owner, "texts", expected, texts, "Wrap one review in a list.")
        )
    try:
        texts = list(texts)
    except TypeError:
        raise ArgumentTypeError(argument_message(owner, "texts", expected, texts)) from None
    for text in texts:
        if not isinstance(text, str):
            raise ArgumentTypeError(
                argument_message(owner, "texts", expected, text, "One item is not a string.")
            )
    return texts


@dataclasses.dataclass(frozen=True)
class IMDBConfig:
    """Everything that defines an IMDB run (the command-line options, one to one).

    Every field is checked when the config is made: a value of the wrong type (``"64"``
    for ``units``, ``"no"`` for ``bidirectional``, ``1.5`` for ``seed``) raises
    :class:`~rnnkit.errors.ArgumentTypeError` (a ``TypeError``), one out of range
    :class:`~rnnkit.errors.ArgumentError` (a ``ValueError``), naming the field and what
    it must be. Numbers are kept as plain Python ``int`` / ``float``.

    Args:
        cell: ``"gru"``, ``"lstm"`` or ``"simple_rnn"``.
        units: Units of each recurrent layer.
        layers: Number of stacked recurrent layers.
        bidirectional: Wrap each recurrent layer in ``Bidirectional`` (concatenated).
        embedding_dim: Size of the word vectors.
        dropout: Input dropout of each recurrent layer (one mask per sequence).
        recurrent_dropout: Dropout on the recurrent state of each recurrent layer.
        spatial_dropout: Rate of a ``SpatialDropout1D`` after the embedding (whole word-vector
            channels dropped per review); 0 for none.
        pooling: ``"max"``: the last recurrent layer returns its whole (masked) output
            sequence and ``GlobalMaxPooling1D`` takes the largest value of each feature over
            the valid steps; ``"last"``: its last output.
        num_words: Vocabulary size, padding, start and out-of-vocabulary ids included
            (words of rank >= ``num_words - 3`` become out-of-vocabulary).
        maxlen: Length every review is padded or truncated to (at the front).
        epochs: Most epochs to train.
        batch_size: Reviews per gradient step.
        learning_rate: Adam's learning rate.
        lr_decay: Factor applied to the learning rate after every epoch (1: constant):
            epoch ``e`` (from 0) trains at ``learning_rate * lr_decay ** e``, through an
            :class:`~rnnkit.optimizers.ExponentialDecay` with ``staircase=True`` over
            the steps of one epoch.
        ema_momentum: If above 0, Adam keeps an exponential moving average of the weights
            with this momentum (``use_ema``) and the weights become their averages at the
            end of every epoch (``ema_overwrite_frequency`` = steps per epoch), so
            validation, model selection and the saved model use the averaged weights.
        seed: Seed of the data shuffle, the weights, the dropout masks and the batches.
        validation_split: Fraction of the training reviews held out for model selection.
        validation: How they are chosen: ``"film"``, whole films
            (:func:`rnnkit.datasets.imdb.film_validation_split`), so that, like the test
            set, the validation reviews are about films the model has not seen;
            ``"random"``, the last ``validation_split`` of the shuffled reviews (Keras's
            ``fit(validation_split=...)``), which shares films with the training reviews.
        patience: Epochs without a better ``val_accuracy`` before stopping.
        bucket_by_length: Batch reviews of similar length and skip each batch's padding
            (``fit(bucket_by_length=True)``): the same model, trained in about the time
            its real tokens take.
        data: Where the IMDB data is (see :func:`rnnkit.data.imdb.find_data`).
    """

    cell: str = "gru"
    units: int = 64
    layers: int = 1
    bidirectional: bool = True
    embedding_dim: int = 128
    dropout: float = 0.2
    recurrent_dropout: float = 0.0
    spatial_dropout: float = 0.2
    pooling: str = "max"
    num_words: int = 10000
    maxlen: int = 800
    epochs: int = 4
    batch_size: int = 64
    learning_rate: float = 1e-3
    lr_decay: float = 0.5
    ema_momentum: float = 0.0
    seed: int = 113
    validation_split: float = 0.1
    validation: str = "film"
    patience: int = 2
    bucket_by_length: bool = True
    data: str | None = None

    def __post_init__(self) -> None:
        owner = "IMDBConfig"
        for name in ("cell", "pooling", "validation"):  # a wrong type is a TypeError
            if not isinstance(getattr(self, name), str):
                raise ArgumentTypeError(
                    argument_message(owner, name, "a string", getattr(self, name))
                )
        checked: dict[str, Any] = {
            "cell": check_choice(owner, "cell", self.cell, tuple(CELLS)),
            "pooling": check_choice(owner, "pooling", self.pooling, ("max", "last")),
            "validation": check_choice(owner, "validation", self.validation, ("film", "random")),
            "bidirectional": check_bool(owner, "bidirectional", self.bidirectional),
            "bucket_by_length": check_bool(owner, "bucket_by_length", self.bucket_by_length),
            "seed": check_non_negative_int(owner, "seed", self.seed),
            "patience": check_non_negative_int(owner, "patience", self.patience),
            "data": _check_path(owner, "data", self.data, optional=True),
        }
        for name in _POSITIVE_INTS:
            checked[name] = check_positive_int(owner, name, getattr(self, name))
        if checked["num_words"] < 4:
            raise ArgumentError(
                argument_message(
                    owner,
                    "num_words",
                    "at least 4",
                    self.num_words,
                    "Ids 0-2 are padding, start and out-of-vocabulary.",
                )
            )
        for name in ("dropout", "recurrent_dropout", "spatial_dropout", "ema_momentum"):
            checked[name] = check_rate(owner, name, getattr(self, name))
        ranges = {
            "validation_split": ("a number in (0, 1)", lambda v: 0.0 < v < 1.0),
            "learning_rate": ("a positive finite number", lambda v: 0.0 < v < math.inf),
            "lr_decay": ("a number in (0, 1]", lambda v: 0.0 < v <= 1.0),
        }
        for name, (expected, inside) in ranges.items():
            value = check_real(owner, name, getattr(self, name))
            if not inside(value):  # NaN is inside no range
                raise ArgumentError(argument_message(owner, name, expected, getattr(self, name)))
            checked[name] = value
        for name, value in checked.items():  # keep plain Python values (frozen dataclass)
            object.__setattr__(self, name, value)


def _check_config(owner: str, config: Any) -> IMDBConfig:
    if not isinstance(config, IMDBConfig):
        raise ArgumentTypeError(argument_message(owner, "config", "an IMDBConfig", config))
    return config


def build_imdb_model(config: IMDBConfig) -> Sequential:
    """The model of the recipe, built for ``(batch, maxlen)`` token ids.

    >>> config = IMDBConfig(num_words=100, maxlen=10, units=4, embedding_dim=3)
    >>> [type(layer).__name__ for layer in build_imdb_model(config).layers]
    ['Embedding', 'SpatialDropout1D', 'Bidirectional', 'GlobalMaxPooling1D', 'Dense']
    """
    _check_config("build_imdb_model", config)
    model = Sequential(name=f"imdb_{config.cell}")
    model.add(
        Embedding(
            config.num_words, config.embedding_dim, mask_zero=True, input_shape=(config.maxlen,)
        )
    )
    if config.spatial_dropout:
        model.add(SpatialDropout1D(config.spatial_dropout))
    for i in range(config.layers):
        options: dict[str, Any] = {
            "return_sequences": i < config.layers - 1 or config.pooling == "max",
            "dropout": config.dropout,
            "recurrent_dropout": config.recurrent_dropout,
        }
        if config.cell != "simple_rnn":
            options["recurrent_activation"] = "sigmoid"
        if config.cell == "gru":
            options["reset_after"] = True
        layer = CELLS[config.cell](config.units, **options)
        model.add(Bidirectional(layer) if config.bidirectional else layer)
    if config.pooling == "max":
        model.add(GlobalMaxPooling1D())
    model.add(Dense(1, activation="sigmoid"))
    return model


# ------------------------------------------------------------------------------ files
def _json_default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _write_json(path: Path, value: Any) -> None:
    """Write JSON as models are saved (:func:`rnnkit.saving.write_atomically`)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    data = text.encode("utf-8")  # made first: a value JSON cannot take leaves no file
    write_atomically(path, lambda handle: handle.write(data))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> list[list[int]]:
    """``[[true neg, false pos], [false neg, true pos]]``: rows true class, columns predicted.

    >>> confusion_matrix(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    [[1, 1], [0, 2]]
    """
    matrix = np.zeros((2, 2), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix.tolist()


def _scores(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy, loss (Keras binary cross-entropy) and the confusion matrix."""
    predicted = (probabilities > 0.5).astype(np.int64)  # Keras binary_accuracy threshold
    (tn, fp), (fn, tp) = matrix = confusion_matrix(labels, predicted)
    loss = losses_module.BinaryCrossentropy()(labels, probabilities.reshape(-1, 1))
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "loss": float(loss),
        "samples": len(labels),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "confusion_matrix": {
            "labels": list(LABEL_NAMES),
            "rows": "true class",
            "columns": "predicted class",
            "matrix": matrix,
        },
    }


def _import_figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


def plot_learning_curves(history: dict[str, list[float]], path: str | os.PathLike[str]) -> bool:
    """Loss and accuracy per epoch, training and validation; False without matplotlib."""
    figure_class = _import_figure()
    if figure_class is None:
        return False
    from matplotlib.ticker import MaxNLocator as locator_class

    figure = figure_class(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, style in (("", "o-"), ("val_", "s--")):
            values = history.get(prefix + key)
            if values:
                epochs = range(1, len(values) + 1)
                ax.plot(
                    epochs, values, style, label=("validation " if prefix else "training ") + key
                )
        ax.xaxis.set_major_locator(locator_class(integer=True))
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    figure.savefig(os.fspath(path), dpi=100)
    return True


def plot_confusion_matrix(matrix: Sequence[Sequence[int]], path: str | os.PathLike[str]) -> bool:
    """The 2 x 2 confusion matrix as a labelled heat map; False without matplotlib."""
    figure_class = _import_figure()
    if figure_class is None:
        return False
    values = np.asarray(matrix)
    figure = figure_class(figsize=(4.5, 4), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(values, cmap="Blues")
    figure.colorbar(image, ax=ax)
    ax.set_xticks([0, 1], labels=list(LABEL_NAMES))
    ax.set_yticks([0, 1], labels=list(LABEL_NAMES))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (row, col), count in np.ndenumerate(values):
        dark = count > values.max() / 2
        ax.text(col, row, f"{count:,}", ha="center", va="center", color="w" if dark else "k")
    ax.set_title(f"test set: accuracy {np.trace(values) / max(values.sum(), 1):.4f}")
    figure.savefig(os.fspath(path), dpi=100)
    return True


# ------------------------------------------------------------------------------ the model
@dataclasses.dataclass
class SentimentModel:
    """A trained model with the preprocessing that turns raw text into its input.

    Attributes:
        model: The :class:`~rnnkit.models.Sequential` model.
        preprocessing: The contents of ``preprocessing.json``.
        path: The model file.
    """

    model: Sequential
    preprocessing: dict[str, Any]
    path: Path

    @property
    def _id_options(self) -> dict[str, Any]:
        p = self.preprocessing
        keys = ("num_words", "skip_top", "start_char", "oov_char", "index_from")
        return {key: p[key] for key in keys}

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """Raw texts -> padded ``(len(texts), maxlen)`` int32 ids."""
        texts = _check_texts("SentimentModel.encode", texts)
        p = self.preprocessing
        ids = imdb.encode_texts(texts, p["word_index"], **self._id_options)
        return pad_sequences(
            ids, maxlen=p["maxlen"], padding=p["padding"], truncating=p["truncating"]
        )

    @property
    def _bucket(self) -> bool:
        """Whether the model masks its padding, so batches can skip it (same results)."""
        layers = self.model.layers
        return bool(layers) and bool(getattr(layers[0], "mask_zero", False))

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """The probability that each text is positive, ``(len(texts),)``."""
        texts = _check_texts("SentimentModel.predict", texts)
        batch_size = check_positive_int("SentimentModel.predict", "batch_size", batch_size)
        if not texts:
            return np.zeros(0, dtype=np.float64)
        x = self.encode(texts)
        return self.model.predict(
            x, batch_size=batch_size, verbose=0, bucket_by_length=self._bucket
        )[:, 0]

    def test_set(self, data: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All test reviews encoded for this model: ``(x (25000, maxlen), labels)``.

        The cached :func:`~rnnkit.datasets.imdb.load_data` is used when the data's word
        index agrees with the model's; otherwise the raw test texts are encoded with the
        model's word index.
        """
        p = self.preprocessing
        stored = p["word_index"]
        index_from, num_words = p["index_from"], p["num_words"]
        current = imdb.get_word_index(data)
        if {w: r for w, r in current.items() if r + index_from < num_words} == stored:
            _, (x, labels) = imdb.load_data(data, **self._id_options)
            ids = list(x)
        else:
            texts, labels = imdb.load_texts(data, "test")
            ids = imdb.encode_texts(texts, stored, **self._id_options)
        x_pad = pad_sequences(
            ids, maxlen=p["maxlen"], padding=p["padding"], truncating=p["truncating"]
        )
        return x_pad, labels

    def evaluate(
        self, data: str | os.PathLike[str] | None = None, batch_size: int = 256, verbose: Any = 0
    ) -> dict[str, Any]:
        """Accuracy, loss and confusion matrix on all test reviews."""
        owner = "SentimentModel.evaluate"
        _check_path(owner, "data", data, optional=True)
        batch_size = check_positive_int(owner, "batch_size", batch_size)
        verbose = _check_verbose(owner, verbose)
        x, labels = self.test_set(data)
        probabilities = self.model.predict(
            x, batch_size=batch_size, verbose=verbose, bucket_by_length=self._bucket
        )[:, 0]
        return _scores(labels, probabilities)


def _model_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    given = Path(os.fspath(_check_path("load_sentiment_model", "path", path))).expanduser()
    model_file = given / MODEL_FILE if given.is_dir() else given
    if not model_file.is_file():
        raise ModelFileError(
            f"no model at '{given}': give a folder written by `rnnkit train imdb --out` or "
            f"its {MODEL_FILE}."
        )
    return model_file, model_file.parent / PREPROCESSING_FILE


def load_sentiment_model(path: str | os.PathLike[str]) -> SentimentModel:
    """Load ``model.rnnkit`` and ``preprocessing.json`` from a training output folder.

    Args:
        path: The folder, or the model file (``preprocessing.json`` must be beside it).
    """
    model_file, preprocessing_file = _model_paths(path)
    if not preprocessing_file.is_file():
        raise ModelFileError(
            f"'{model_file}' has no {PREPROCESSING_FILE} beside it; it is needed to turn "
            "text into token ids (it is written by `rnnkit train imdb`)."
        )
    try:
        preprocessing = json.loads(preprocessing_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"'{preprocessing_file}' is not valid JSON ({error}).") from error
    if not isinstance(preprocessing, dict) or preprocessing.get("format") != _PREPROCESSING_FORMAT:
        raise ModelFileError(f"'{preprocessing_file}' is not an rnnkit IMDB preprocessing file.")
    if preprocessing.get("encoding_version") != imdb_source.ENCODING_VERSION:
        raise ModelFileError(
            f"'{model_file}' was trained with tokenization version "
            f"{preprocessing.get('encoding_version')}; this rnnkit tokenizes with version "
            f"{imdb_source.ENCODING_VERSION}. Train the model again."
        )
    return SentimentModel(load_model(os.fspath(model_file)), preprocessing, model_file)


def _preprocessing(config: IMDBConfig, word_index: dict[str, int]) -> dict[str, Any]:
    index_from = 3
    kept = {word: rank for word, rank in word_index.items() if rank + index_from < config.num_words}
    return {
        "format": _PREPROCESSING_FORMAT,
        "version": 1,
        "tokenizer": "rnnkit.data.imdb.tokenize",
        "encoding_version": imdb_source.ENCODING_VERSION,
        "num_words": config.num_words,
        "skip_top": 0,
        "start_char": 1,
        "oov_char": 2,
        "index_from": index_from,
        "maxlen": config.maxlen,
        "padding": "pre",
        "truncating": "pre",
        "labels": list(LABEL_NAMES),
        "threshold": 0.5,
        "word_index": kept,
    }


def _machine() -> dict[str, Any]:
    import numba

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


def train_imdb(
    config: IMDBConfig,
    out: str | os.PathLike[str],
    *,
    verbose: Any = "auto",
    log: Callable[[str], None] = print,
    callbacks: Sequence[callbacks_module.Callback] = (),
) -> dict[str, Any]:
    """Train, select, evaluate and save an IMDB sentiment model (see the module docstring).

    Args:
        config: The recipe.
        out: Output folder (created; existing files of the same names are replaced).
        verbose: Progress of ``fit`` (``"auto"``/1: a bar on a terminal, one line per
            epoch otherwise; 2: one line per epoch; 0: nothing).
        log: Where the recipe's own messages go.
        callbacks: More callbacks for ``fit``, after the recipe's early stopping and
            checkpoint (``scripts/imdb_epochs.py`` scores every epoch with one).

    Returns:
        The contents of ``metrics.json``.
    """
    owner = "train_imdb"
    _check_config(owner, config)
    out = Path(os.fspath(_check_path(owner, "out", out))).expanduser()
    verbose = _check_verbose(owner, verbose)
    if not callable(log):
        raise ArgumentTypeError(argument_message(owner, "log", "a function of one string", log))
    wrong = ArgumentTypeError(
        argument_message(owner, "callbacks", "a list of rnnkit Callback objects", callbacks)
    )
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise wrong from None
    if not all(isinstance(callback, callbacks_module.Callback) for callback in callbacks):
        raise wrong
    started = time.perf_counter()
    set_random_seed(config.seed)

    log("Loading the IMDB reviews...")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        config.data, num_words=config.num_words, seed=config.seed
    )
    word_index = imdb.get_word_index(config.data)
    x_train = pad_sequences(x_train, maxlen=config.maxlen)  # (25000, maxlen), pre
    x_test = pad_sequences(x_test, maxlen=config.maxlen)
    if config.validation == "film":
        films, _ = imdb.load_films(config.data, seed=config.seed)
        held = imdb.film_validation_split(films, config.validation_split, seed=config.seed)
        held_films = len(np.unique(films[held]))
        selection: dict[str, Any] = {"validation_data": (x_train[held], y_train[held])}
        x_train, y_train = x_train[~held], y_train[~held]
        validation = int(held.sum())
        how = f"the reviews of {held_films:,} films none of the training reviews are about"
    else:
        selection = {"validation_split": config.validation_split}
        validation = int(len(x_train) - int(len(x_train) * (1.0 - config.validation_split)))
        held_films = None
        how = "the last of the shuffled training reviews"
    fitted = len(x_train) - (validation if config.validation == "random" else 0)
    log(
        f"{fitted:,} training, {validation:,} validation ({how}) and "
        f"{len(x_test):,} test reviews; {len(word_index):,} distinct training words, "
        f"{config.num_words:,} ids kept; sequences of {config.maxlen} tokens."
    )
    loaded = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)

    model = build_imdb_model(config)
    steps_per_epoch = -(-fitted // config.batch_size)
    learning_rate: Any = config.learning_rate
    if config.lr_decay != 1.0:
        learning_rate = optimizers_module.ExponentialDecay(
            config.learning_rate, steps_per_epoch, config.lr_decay, staircase=True
        )
    model.compile(
        optimizer=optimizers_module.Adam(
            learning_rate=learning_rate,
            use_ema=config.ema_momentum > 0,
            ema_momentum=config.ema_momentum or 0.99,
            ema_overwrite_frequency=steps_per_epoch if config.ema_momentum > 0 else None,
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(print_fn=log)
    stopper = callbacks_module.EarlyStopping(
        monitor="val_accuracy",
        patience=config.patience,
        restore_best_weights=True,
        verbose=1 if verbose else 0,
    )
    checkpoint = callbacks_module.ModelCheckpoint(
        os.fspath(out / CHECKPOINT_FILE), monitor="val_accuracy", save_best_only=True
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        callbacks=[stopper, checkpoint, *callbacks],
        verbose=verbose,
        bucket_by_length=config.bucket_by_length,
        **selection,
    )
    trained = time.perf_counter()

    log(f"Classifying the {len(x_test):,} test reviews...")
    probabilities = model.predict(
        x_test,
        batch_size=max(config.batch_size, 256),
        verbose=1 if verbose else 0,
        bucket_by_length=config.bucket_by_length,
    )
    test = _scores(y_test, probabilities[:, 0])
    evaluated = time.perf_counter()

    model.save(os.fspath(out / MODEL_FILE))
    _write_json(out / PREPROCESSING_FILE, _preprocessing(config, word_index))
    epochs_run = len(history.epoch)
    best = int(np.argmax(history.history["val_accuracy"])) if epochs_run else 0
    metrics: dict[str, Any] = {
        "test": test,
        "history": {key: [float(v) for v in values] for key, values in history.history.items()},
        "epochs_run": epochs_run,
        "best_epoch": best + 1,
        "wall_time_s": {
            "data": round(loaded - started, 3),
            "train": round(trained - loaded, 3),
            "test": round(evaluated - trained, 3),
            "total": None,
        },
        "config": dataclasses.asdict(config),
        "data": {
            "train_samples": fitted,
            "validation_samples": validation,
            "validation": config.validation,
            "validation_films": held_films,
            "test_samples": len(x_test),
            "vocabulary": len(word_index),
        },
        "model": {"parameters": model.count_params(), "layers": model.get_config()["layers"]},
        "files": {
            "model": MODEL_FILE,
            "checkpoint": CHECKPOINT_FILE,
            "preprocessing": PREPROCESSING_FILE,
        },
        "machine": _machine(),
    }
    skipped = []
    for name, plot, argument in (
        (CURVES_FILE, plot_learning_curves, metrics["history"]),
        (CONFUSION_FILE, plot_confusion_matrix, test["confusion_matrix"]["matrix"]),
    ):
        if plot(argument, out / name):
            metrics["files"][name.split(".")[0]] = name
        else:
            skipped.append(name)
    if skipped:
        log(
            f"Note: matplotlib is not installed, so {' and '.join(skipped)} were not written "
            "(pip install 'rnnkit[plot]')."
        )
    metrics["wall_time_s"]["total"] = round(time.perf_counter() - started, 3)
    _write_json(out / METRICS_FILE, metrics)
    return metrics
