"""One IMDB training epoch, rnnkit against PyTorch, the same model on the same data.

Usage::

    python benchmarks/imdb_epoch.py [--rounds 2] [--threads 2] [--maxlen 200]
        [--limit N] [--bucket]

Model (both peers): Embedding(20000, 128) -> LSTM(128) -> Dense(1, sigmoid), inputs
padded / truncated to ``--maxlen`` tokens at the front (Keras ``pad_sequences``), batch
64, Adam (learning rate 1e-3), binary cross-entropy, shuffled batches. The LSTM uses
the logistic sigmoid for its gates (PyTorch's only choice); no masking, so both run
every padded step. rnnkit: ``Sequential.fit``, one epoch. PyTorch 2.13: ``nn.Embedding``
(dense gradient, as Keras), ``nn.LSTM(batch_first=True)``, ``nn.Linear``,
``BCEWithLogitsLoss`` and ``torch.optim.Adam``.

Each epoch runs in its own fresh process (thread-count variables set before any
import), peers alternating, ``--rounds`` epochs each; the median is reported. The data
are loaded once by the parent (``rnnkit.datasets.imdb.load_data(num_words=20000)``,
which needs ``RNNKIT_DATA_DIR`` or the cached arrays) and handed over as a ``.npy``
file, so loading is not timed. ``--bucket`` adds an rnnkit run with
``Embedding(mask_zero=True)`` and ``fit(bucket_by_length=True)`` (same weights count;
masked padding, so not the same computation as PyTorch's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from worker import emit, run_worker

NUM_WORDS = 20000
EMBEDDING = 128
UNITS = 128
BATCH = 64
LEARNING_RATE = 1e-3


def _torch_epoch(x, y, seed: int) -> dict:
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(seed)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(NUM_WORDS, EMBEDDING)
            self.lstm = nn.LSTM(EMBEDDING, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embedding(ids))
            return self.dense(h[-1]).squeeze(1)

    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.BCEWithLogitsLoss()
    xs = torch.from_numpy(x.astype(np.int64))
    ys = torch.from_numpy(y.astype(np.float32))
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
    started = time.perf_counter()
    total = 0.0
    for i in range(0, len(x), BATCH):
        index = order[i : i + BATCH]
        optimizer.zero_grad()
        loss = loss_fn(model(xs[index]), ys[index])
        loss.backward()
        optimizer.step()
        total += float(loss) * len(index)
    return {"epoch_s": time.perf_counter() - started, "loss": total / len(x)}


def _rnnkit_epoch(x, y, seed: int, bucket: bool) -> dict:
    from rnnkit import optimizers
    from rnnkit.layers import LSTM, Dense, Embedding
    from rnnkit.models import Sequential
    from rnnkit.utils import set_random_seed

    set_random_seed(seed)
    model = Sequential(
        [
            Embedding(NUM_WORDS, EMBEDDING, mask_zero=bucket),
            LSTM(UNITS, recurrent_activation="sigmoid"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy")
    # Compile (or load) the kernels on a few samples first; not timed.
    model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, verbose=0)
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, bucket_by_length=bucket)
    return {"epoch_s": time.perf_counter() - started, "loss": history.history["loss"][-1]}


def _worker(spec: dict) -> dict:
    import numpy as np

    data = np.load(spec["data"])
    x, y = data["x"], data["y"]
    if spec["peer"] == "torch":
        return _torch_epoch(x, y, spec["seed"])
    return _rnnkit_epoch(x, y, spec["seed"], spec["peer"] == "rnnkit+bucket")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="epochs per peer (default 2)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--maxlen", type=int, default=200)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N reviews")
    parser.add_argument("--bucket", action="store_true", help="also rnnkit with bucketing")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        emit(_worker(json.loads(args.worker)))
        return 0

    import numpy as np

    from rnnkit.datasets import imdb
    from rnnkit.preprocessing.sequence import pad_sequences

    (x_train, y_train), _ = imdb.load_data(num_words=NUM_WORDS)
    x = pad_sequences(x_train, maxlen=args.maxlen)
    y = np.asarray(y_train, dtype=np.float32)
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    peers = ["torch", "rnnkit"] + (["rnnkit+bucket"] if args.bucket else [])
    times: dict[str, list[float]] = {p: [] for p in peers}
    losses: dict[str, list[float]] = {p: [] for p in peers}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "imdb.npz")
        np.savez(path, x=x, y=y)
        for r in range(args.rounds):
            for peer in peers:
                result = run_worker(__file__, {"peer": peer, "data": path, "seed": r}, args.threads)
                times[peer].append(result["epoch_s"])
                losses[peer].append(result["loss"])
                print(
                    f"round {r + 1}: {peer:14s} {result['epoch_s']:7.1f} s  "
                    f"loss {result['loss']:.4f}",
                    flush=True,
                )
    torch_s = statistics.median(times["torch"])
    print(
        f"\nOne epoch, {len(x):,} reviews x {args.maxlen} tokens, batch {BATCH}, "
        f"{args.threads} thread(s), median of {args.rounds}:\n"
    )
    print("| peer | epoch s (median) | all runs s | speed-up over PyTorch |")
    print("|---|--:|--:|--:|")
    for peer in peers:
        median = statistics.median(times[peer])
        runs = ", ".join(f"{t:.1f}" for t in times[peer])
        print(f"| {peer} | {median:.1f} | {runs} | {torch_s / median:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
