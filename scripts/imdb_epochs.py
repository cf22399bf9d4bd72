"""Run the IMDB recipe over several seeds and score the test set after every epoch.

Usage::

    RNNKIT_DATA_DIR=../shared/data python scripts/imdb_epochs.py --seeds 1 2 3 \\
        [--set maxlen=400 lr_decay=1 validation=random ...] [--out runs/imdb-epochs]

Each seed is one ``rnnkit train imdb`` run (:func:`rnnkit.recipes.train_imdb`, so the
same data, split, model selection and files, in ``OUT/seed-N``) with a callback that
classifies the 25,000 test reviews after every epoch. For analysis of a recipe only:
the recipe itself never sees those numbers (it selects its epoch on the validation
films), and the table shows how much the epoch it kept differs from the others.
``--set`` takes :class:`rnnkit.recipes.IMDBConfig` fields as ``name=value``. Prints one
JSON line per epoch, then a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import numpy as np

from rnnkit.callbacks import Callback
from rnnkit.datasets import imdb
from rnnkit.preprocessing.sequence import pad_sequences
from rnnkit.recipes import IMDBConfig, train_imdb


def parse_settings(items: list[str]) -> dict:
    """``["maxlen=400", "bidirectional=false"]`` -> IMDBConfig keyword arguments."""
    kinds = {field.name: field.type for field in dataclasses.fields(IMDBConfig)}
    settings = {}
    for item in items:
        name, _, text = item.partition("=")
        kind = kinds.get(name)
        if kind is None:
            raise SystemExit(f"--set: {name!r} is not an IMDBConfig field ({', '.join(kinds)})")
        if kind == "bool":
            settings[name] = text.lower() in ("1", "true", "yes")
        elif kind == "int":
            settings[name] = int(text)
        elif kind == "float":
            settings[name] = float(text)
        else:
            settings[name] = None if text.lower() == "none" else text
    return settings


class ScoreTestSet(Callback):
    """Classify the test reviews after every epoch; print and keep one row per epoch."""

    def __init__(self, x_test: np.ndarray, y_test: np.ndarray, seed: int) -> None:
        super().__init__()
        self.x_test, self.y_test, self.seed = x_test, y_test, seed
        self.rows: list[dict] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        probabilities = self.model.predict(
            self.x_test, batch_size=256, verbose=0, bucket_by_length=True
        )[:, 0]
        row = {
            "seed": self.seed,
            "epoch": epoch + 1,
            "accuracy": float(logs["accuracy"]),
            "val_accuracy": float(logs["val_accuracy"]),
            "test_accuracy": float(np.mean((probabilities > 0.5) == self.y_test)),
            "time": time.time(),
        }
        self.rows.append(row)
        print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[113])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--out", default="runs/imdb-epochs")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    table = []
    for seed in args.seeds:
        config = IMDBConfig(**{**settings, "seed": seed})
        (_, _), (x_test, y_test) = imdb.load_data(
            config.data, num_words=config.num_words, seed=config.seed
        )
        scorer = ScoreTestSet(pad_sequences(x_test, maxlen=config.maxlen), y_test, seed)
        metrics = train_imdb(
            config, f"{args.out}/seed-{seed}", verbose=0, log=lambda _: None, callbacks=[scorer]
        )
        table.append((seed, scorer.rows, metrics["best_epoch"], metrics["test"]["accuracy"]))
    print(f"\nIMDBConfig({', '.join(args.set)}), {sys.argv[0]}")
    print("| seed | validation accuracy by epoch | test accuracy by epoch | kept | test |")
    print("|--:|---|---|--:|--:|")
    for seed, rows, best, accuracy in table:
        val = ", ".join(f"{r['val_accuracy']:.4f}" for r in rows)
        test = ", ".join(f"{r['test_accuracy']:.4f}" for r in rows)
        print(f"| {seed} | {val} | {test} | {best} | {accuracy:.4f} |")


if __name__ == "__main__":
    main()
