"""Padding waste on IMDB, and what length bucketing saves: steps, time and accuracy.

Usage::

    python benchmarks/padding.py                 # step counts only (seconds)
    python benchmarks/padding.py --train         # + train the same model both ways

Reviews are encoded with ``rnnkit.datasets.imdb.load_data(num_words=20000)`` and padded
/ truncated to ``--maxlen`` (default 500) tokens at the front. The step counts compare
the time steps one epoch computes (batch 64) with the real tokens: plain shuffled
batches, and ``fit(bucket_by_length=True)``'s batches.

``--train`` then trains Embedding(20000, 64, mask_zero=True) -> LSTM(64) ->
Dense(1, sigmoid) (Adam 1e-3, batch 64, ``--epochs`` epochs, one seed) twice from the
same initial weights, plain and bucketed, each in its own process, and reports the
epoch times, the time per real token and the accuracy on all 25,000 test reviews.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
from worker import emit, run_worker

BATCH = 64


def _load(maxlen: int):
    from rnnkit.datasets import imdb
    from rnnkit.preprocessing.sequence import pad_sequences

    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=20000)
    return (
        pad_sequences(x_train, maxlen=maxlen),
        np.asarray(y_train, np.float32),
        pad_sequences(x_test, maxlen=maxlen),
        np.asarray(y_test, np.float32),
    )


def step_counts(x: np.ndarray) -> dict:
    from rnnkit.data.buckets import bucket_batches, padding_overhead, valid_spans

    starts, stops = valid_spans(x != 0)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    plain = [order[i : i + BATCH] for i in range(0, len(x), BATCH)]
    bucketed = bucket_batches(starts, stops, BATCH, rng)
    return {
        "real_tokens": int(np.sum(stops - starts)),
        "padded_tokens": int(x.size),
        "plain_overhead": padding_overhead(starts, stops, plain),
        "bucketed_overhead": padding_overhead(starts, stops, bucketed),
    }


def _train(spec: dict) -> dict:
    from rnnkit import optimizers
    from rnnkit.layers import LSTM, Dense, Embedding
    from rnnkit.models import Sequential
    from rnnkit.utils import set_random_seed

    data = np.load(spec["data"])
    set_random_seed(spec["seed"])
    model = Sequential(
        [
            Embedding(20000, 64, mask_zero=True),
            LSTM(64),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["acc"])
    bucket = spec["bucket"]
    times = []
    for _ in range(spec["epochs"]):
        started = time.perf_counter()
        model.fit(
            data["x"], data["y"], batch_size=BATCH, epochs=1, verbose=0, bucket_by_length=bucket
        )
        times.append(time.perf_counter() - started)
    _, accuracy = model.evaluate(
        data["x_test"], data["y_test"], batch_size=256, verbose=0, bucket_by_length=True
    )
    return {"epoch_s": times, "test_accuracy": accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--maxlen", type=int, default=500)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        emit(_train(json.loads(args.worker)))
        return 0

    x, y, x_test, y_test = _load(args.maxlen)
    counts = step_counts(x)
    real = counts["real_tokens"]
    print(f"IMDB training reviews padded to {args.maxlen}: {real:,} real tokens\n")
    print("| batches | steps computed per epoch | overhead over the real tokens |")
    print("|---|--:|--:|")
    for name, key in (("plain (shuffled)", "plain_overhead"), ("bucketed", "bucketed_overhead")):
        computed = real * (1 + counts[key])
        print(f"| {name} | {computed:,.0f} | {100 * counts[key]:.1f}% |")
    if not args.train:
        return 0

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "imdb.npz")
        np.savez(path, x=x, y=y, x_test=x_test, y_test=y_test)
        for bucket in (False, True):
            spec = {"data": path, "seed": args.seed, "epochs": args.epochs, "bucket": bucket}
            results[bucket] = run_worker(__file__, spec, args.threads)
    print(
        f"\nEmbedding(20000, 64, mask_zero) -> LSTM(64) -> Dense(1), batch {BATCH}, "
        f"{args.epochs} epochs, {args.threads} thread(s):\n"
    )
    print("| batches | epoch times s | µs per real token | test accuracy |")
    print("|---|--:|--:|--:|")
    for bucket, name in ((False, "plain"), (True, "bucketed")):
        r = results[bucket]
        per_token = 1e6 * min(r["epoch_s"]) / real
        times = ", ".join(f"{t:.1f}" for t in r["epoch_s"])
        print(f"| {name} | {times} | {per_token:.2f} | {r['test_accuracy']:.4f} |")
    plain_s, bucket_s = min(results[False]["epoch_s"]), min(results[True]["epoch_s"])
    print(
        f"\nBucketed epochs take {bucket_s / plain_s:.2f}x the plain time; the real tokens "
        f"are {1 / (1 + counts['plain_overhead']):.2f}x the plain steps."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
