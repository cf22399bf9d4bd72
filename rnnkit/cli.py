"""The ``rnnkit`` command: argument parsing and printing only (the work is in the library).

Commands::

    rnnkit train imdb [--cell gru] [--units 64] ... [--out runs/imdb] [--data PATH]
    rnnkit evaluate MODEL_DIR_OR_FILE [--data PATH]
    rnnkit predict MODEL_DIR_OR_FILE ["some review text" ...] [-] [--file PATH] [-- TEXT ...]

``predict`` prints one line per review: the probability that it is positive and its
label, and with several reviews the review's first 60 characters, separated by tabs. A
review is shown on its one line: its runs of whitespace (newlines, tabs) as one space,
other control characters escaped as ``ascii()`` writes them. Its TEXTs may come before,
between or after the options; one that starts with ``-`` and has no space (``-awful``) is
taken for an option unless it follows ``--``.

A value the parser refuses (``--units 0``) prints the usage and the error and exits 2,
as any malformed command line; other mistakes (a value the recipe refuses, such as
``--lr-decay 2``, missing data, a missing model) print one line to standard error and
exit 1; anything else is a bug and keeps its traceback. Output cut short by its reader
(``rnnkit predict ... | head -1``) ends the command quietly with status 141, the status
of a command killed by SIGPIPE (128 + 13), as ``cat`` or ``git`` end there.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from rnnkit import __version__
from rnnkit.errors import RnnkitError
from rnnkit.recipes import (
    CELLS,
    LABEL_NAMES,
    METRICS_FILE,
    IMDBConfig,
    load_sentiment_model,
    train_imdb,
)

_DEFAULTS = IMDBConfig()
_SNIPPET = 60  # characters of each review shown when there are several
_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)  # the shells' status of a SIGPIPE death


class _UsageError(RnnkitError, ValueError):
    """A command line that parses but cannot be carried out."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {text!r}")
    return value


def _fraction(low_closed: bool) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        ok = (0.0 <= value < 1.0) if low_closed else (0.0 < value < 1.0)
        if not ok:
            interval = "[0, 1)" if low_closed else "(0, 1)"
            raise argparse.ArgumentTypeError(f"must be a number in {interval}; got {text!r}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}")
    return value


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The ``rnnkit`` parser and its ``predict`` subparser."""
    parser = argparse.ArgumentParser(
        prog="rnnkit", description="Keras-compatible recurrent networks in NumPy and Numba."
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a recipe (imdb)",
        description="Train IMDB sentiment classification from the raw reviews; model "
        "selection on a validation split of the training set, then one evaluation on all "
        "25,000 test reviews. Defaults: the recipe of rnnkit.recipes.IMDBConfig.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    train.add_argument("dataset", choices=["imdb"], help="the recipe")
    d = _DEFAULTS
    model = train.add_argument_group("model")
    model.add_argument("--cell", choices=list(CELLS), default=d.cell)
    model.add_argument("--units", type=_positive_int, default=d.units)
    model.add_argument("--layers", type=_positive_int, default=d.layers, help="stacked layers")
    model.add_argument(
        "--bidirectional",
        action=argparse.BooleanOptionalAction,
        default=d.bidirectional,
        help="wrap each recurrent layer in Bidirectional",
    )
    model.add_argument("--embedding-dim", type=_positive_int, default=d.embedding_dim)
    model.add_argument("--dropout", type=_fraction(True), default=d.dropout)
    model.add_argument("--recurrent-dropout", type=_fraction(True), default=d.recurrent_dropout)
    model.add_argument(
        "--spatial-dropout",
        type=_fraction(True),
        default=d.spatial_dropout,
        help="SpatialDropout1D rate after the embedding (0: none)",
    )
    model.add_argument(
        "--pooling",
        choices=["max", "last"],
        default=d.pooling,
        help="max over the last recurrent layer's outputs, or its last output",
    )
    run = train.add_argument_group("data and training")
    run.add_argument(
        "--num-words", type=_positive_int, default=d.num_words, help="vocabulary size (ids)"
    )
    run.add_argument(
        "--maxlen", type=_positive_int, default=d.maxlen, help="tokens kept (the last ones)"
    )
    run.add_argument("--epochs", type=_positive_int, default=d.epochs, help="at most")
    run.add_argument("--batch-size", type=_positive_int, default=d.batch_size)
    run.add_argument("--learning-rate", type=_positive_float, default=d.learning_rate)
    run.add_argument(
        "--lr-decay",
        type=_positive_float,
        default=d.lr_decay,
        help="multiply the learning rate by this after every epoch (1: constant)",
    )
    run.add_argument(
        "--ema-momentum",
        type=_fraction(True),
        default=d.ema_momentum,
        help="average the weights with this momentum; each epoch ends on the average (0: off)",
    )
    run.add_argument("--seed", type=_non_negative_int, default=d.seed)
    run.add_argument("--validation-split", type=_fraction(False), default=d.validation_split)
    run.add_argument(
        "--validation",
        choices=["film", "random"],
        default=d.validation,
        help="hold out whole films (like the test set) or random reviews (default film)",
    )
    run.add_argument("--patience", type=_non_negative_int, default=d.patience)
    run.add_argument(
        "--bucket-by-length",
        action=argparse.BooleanOptionalAction,
        default=d.bucket_by_length,
        help="batch reviews of similar length and skip their padding (same model, faster)",
    )
    run.add_argument("--out", default="runs/imdb", help="output folder (default runs/imdb)")
    run.add_argument("--data", default=None, help="aclImdb_v1.tar.gz or aclImdb/ folder")
    run.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1)

    evaluate = commands.add_parser("evaluate", help="test accuracy and loss of a trained model")
    evaluate.add_argument("model", help="folder written by `rnnkit train` or its model.rnnkit")
    evaluate.add_argument("--data", default=None, help="aclImdb_v1.tar.gz or aclImdb/ folder")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256)

    predict = commands.add_parser(
        "predict",
        help="sentiment of review texts",
        description="Print one line per review: the probability that it is positive and "
        "its label, and with several reviews its first 60 characters (whitespace shown as "
        "single spaces), separated by tabs. Reviews come from the TEXT arguments ('-' reads "
        "standard input), before or after the options, and from --file; in a file and on "
        "standard input each non-empty line is one review. A TEXT that starts with '-' and "
        "has no space goes after '--': rnnkit predict MODEL -- -awful",
    )
    predict.add_argument("model", help="folder written by `rnnkit train` or its model.rnnkit")
    predict.add_argument("texts", nargs="*", metavar="TEXT", help="a review, or - for stdin")
    predict.add_argument("--file", action="append", default=[], help="one review per line")
    return parser, predict


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _one_line(text: str) -> str:
    """``text`` on one line of output, cut to ``_SNIPPET`` characters.

    Runs of whitespace become one space, other control characters are escaped.
    """
    text = " ".join(text.split())  # newlines, tabs, \r, \u2028 ... (str.split's whitespace)
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 3] + "..."
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _train(args: argparse.Namespace) -> None:
    names = {field.name for field in dataclasses.fields(IMDBConfig)}
    config = IMDBConfig(**{k: v for k, v in vars(args).items() if k in names})
    metrics = train_imdb(config, args.out, verbose=args.verbose)
    test = metrics["test"]
    print(
        f"Test accuracy: {test['accuracy']:.4f}  loss: {test['loss']:.4f}  "
        f"({test['samples']:,} reviews, {metrics['wall_time_s']['total'] / 60:.1f} min)"
    )
    print(f"Wrote {', '.join(metrics['files'].values())}, {METRICS_FILE} into {args.out}")


def _evaluate(args: argparse.Namespace) -> None:
    model = load_sentiment_model(args.model)
    scores = model.evaluate(args.data, batch_size=args.batch_size, verbose=1)
    (tn, fp), (fn, tp) = scores["confusion_matrix"]["matrix"]
    print(
        f"Test accuracy: {scores['accuracy']:.4f}  loss: {scores['loss']:.4f}  "
        f"({scores['samples']:,} reviews)"
    )
    print(
        f"Confusion matrix (rows: true negative, positive; columns: predicted): "
        f"[[{tn}, {fp}], [{fn}, {tp}]]"
    )


def _predict(args: argparse.Namespace) -> None:
    texts: list[str] = []
    for text in args.texts:
        texts.extend(_lines(sys.stdin.read()) if text == "-" else [text])
    for path in args.file:
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts.extend(_lines(handle.read()))
    if not texts:
        raise _UsageError("no review given: pass a TEXT, '-' for standard input, or --file PATH")
    model = load_sentiment_model(args.model)
    threshold = model.preprocessing.get("threshold", 0.5)
    for text, probability in zip(texts, model.predict(texts), strict=True):
        label = LABEL_NAMES[int(probability > threshold)]
        snippet = "" if len(texts) == 1 else "\t" + _one_line(text)
        print(f"{probability:.4f}\t{label}{snippet}")


def _quiet_stdout() -> None:
    """Point standard output at the null device (the recipe of the ``signal`` docs).

    Python's last flush of a closed pipe at exit then neither fails nor prints.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's capture)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rnnkit`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, predict = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "predict":
        # TEXTs may come before, between or after the options (`predict MODEL --file F "text"`)
        rest = argv[argv.index("predict") + 1 :]
        args = predict.parse_intermixed_args(rest, argparse.Namespace(command="predict"))
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handlers = {"train": _train, "evaluate": _evaluate, "predict": _predict}
    try:
        handlers[args.command](args)
        sys.stdout.flush()  # a reader gone shows here, not at interpreter exit
    except BrokenPipeError:  # `rnnkit predict ... | head -1`: stop quietly, like `cat`
        _quiet_stdout()
        return _BROKEN_PIPE
    except (RnnkitError, OSError) as error:
        print(f"rnnkit {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rnnkit {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
