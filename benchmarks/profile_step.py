"""Where a training step's time goes: matrix products, gate math, Python overhead.

Usage::

    python benchmarks/profile_step.py [--cell lstm|gru|simple_rnn] [--shape 64x200x128x128]
        [--threads 2] [--repeats 15] [--dropout]

Times one training step of the layer (forward with ``return_sequences=False``, BPTT
without the input gradient, as ``bench_recurrent.py``) under ``cProfile`` and splits it:

* whole-sequence products: the input projection and the weight gradients (BLAS);
* per-step kernels (Numba): the recurrence forward and backward; each is split into its
  recurrent products (timed alone: one ``(B, n) @ (n, G*n)`` product per step forward
  and one ``(B, G*n) @ (G*n, n)`` backward, in a compiled loop; the kernels may split
  them into gate blocks, e.g. per-gate dropout masks) and the rest, the gate math;
* waiting for the other parts (a split call, below);
* the remainder: Python, array allocation, transposes and checks (the median step less
  the other rows; the script says so when the machine's speed changed so much during
  the run that this comes out negative).

A call that splits its batch across rnnkit's threads (:mod:`rnnkit.kernels.threads`)
runs one part on the calling thread, the only one cProfile sees: the parts are then
that part's (batch / parts rows, a single-threaded BLAS, the other parts running at the
same time on the other cores), and the per-step products are timed alone at that part's
size on one thread. The whole step is the wall-clock time.

The thread count is set before NumPy loads; medians over ``--repeats`` steps.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", choices=["lstm", "gru", "simple_rnn"], default="lstm")
    parser.add_argument("--shape", default="64x200x128x128")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--dropout", action="store_true", help="dropout 0.2 + recurrent 0.2")
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:  # pragma: no cover
        parser.error("run as a script: the thread count must be set before NumPy loads")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import cProfile
    import pstats
    import statistics
    import time

    import numpy as np
    from numba import njit

    from rnnkit.kernels.blas import blas_threads, gemm, set_blas_threads
    from rnnkit.layers import GRU, LSTM, SimpleRNN

    batch, steps, features, units = (int(p) for p in args.shape.split("x"))
    options = {"dropout": 0.2, "recurrent_dropout": 0.2} if args.dropout else {}
    if args.cell == "lstm":
        layer, gates = LSTM(units, recurrent_activation="sigmoid", **options), 4
    elif args.cell == "gru":
        layer = GRU(units, recurrent_activation="sigmoid", reset_after=True, **options)
        gates = 3
    else:
        layer, gates = SimpleRNN(units, **options), 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, steps, features), dtype=np.float32)
    upstream = rng.standard_normal((batch, units), dtype=np.float32)

    def step() -> None:
        layer(x, training=True)
        layer.backward(upstream, input_gradient=False)

    for _ in range(3):
        step()
    parts = layer._parts(batch, steps)
    part_rows = parts[0][1] - parts[0][0]
    profile = cProfile.Profile()
    totals = []
    for _ in range(args.repeats):
        profile.enable()
        started = time.perf_counter()
        step()
        totals.append(time.perf_counter() - started)
        profile.disable()
    stats = pstats.Stats(profile).stats
    per_step: dict[str, float] = {}
    for (filename, _, name), (_, _, own, _, _) in stats.items():
        where = os.path.basename(filename)
        key = None
        if where == "blas.py" and name == "gemm":
            key = "whole-sequence products (BLAS)"
        elif where == "dropout.py":
            key = "whole-sequence products (BLAS)"
        elif name.endswith("_forward") and where != "recurrent.py":
            key = "recurrence forward (Numba)"
        elif name.endswith("_backward") and where != "recurrent.py":
            key = "recurrence backward (Numba)"
        elif name == "<method 'acquire' of '_thread.lock' objects>":
            key = "waiting for the other parts"
        if key:
            per_step[key] = per_step.get(key, 0.0) + own / args.repeats

    # The recurrent products alone: the same gemm calls in a compiled loop, at the size
    # of the calling thread's part, on as many BLAS threads as the parts have.
    h = rng.standard_normal((part_rows, units), dtype=np.float32)
    u = rng.standard_normal((units, gates * units), dtype=np.float32)
    out = np.zeros((part_rows, gates * units), np.float32)
    d_out = rng.standard_normal((part_rows, gates * units), dtype=np.float32)
    d_h = np.zeros((part_rows, units), np.float32)
    saved_blas = blas_threads()
    if len(parts) > 1 and saved_blas is not None:
        set_blas_threads(1)

    @njit
    def products(h, u, out, d_out, d_h, steps):  # pragma: no cover - compiled
        for _ in range(steps):
            gemm(h, u, out, False, False, 1.0)
        for _ in range(steps):
            gemm(d_out, u, d_h, False, True, 0.0)

    @njit
    def forward_products(h, u, out, steps):  # pragma: no cover - compiled
        for _ in range(steps):
            gemm(h, u, out, False, False, 1.0)

    products(h, u, out, d_out, d_h, 2)
    forward_products(h, u, out, 2)
    both, fwd = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        forward_products(h, u, out, steps)
        fwd.append(time.perf_counter() - started)
        started = time.perf_counter()
        products(h, u, out, d_out, d_h, steps)
        both.append(time.perf_counter() - started)
    if len(parts) > 1 and saved_blas is not None:
        set_blas_threads(saved_blas)
    fwd_products = statistics.median(fwd)
    bwd_products = statistics.median(both) - fwd_products

    total = statistics.median(totals)
    rows = [
        ("whole-sequence products (BLAS)", per_step.get("whole-sequence products (BLAS)", 0.0)),
        ("recurrence forward: recurrent products", fwd_products),
        (
            "recurrence forward: gate math and the rest",
            per_step.get("recurrence forward (Numba)", 0.0) - fwd_products,
        ),
        ("recurrence backward: recurrent products", bwd_products),
        (
            "recurrence backward: gate math and the rest",
            per_step.get("recurrence backward (Numba)", 0.0) - bwd_products,
        ),
        ("waiting for the other parts", per_step.get("waiting for the other parts", 0.0)),
    ]
    rows.append(("Python, allocation, transposes, checks", total - sum(t for _, t in rows)))
    label = f"{args.cell} {args.shape}" + (" dropout" if args.dropout else "")
    print(f"Training step, {label}, {args.threads} thread(s): {1e3 * total:.1f} ms (median)")
    if len(parts) > 1:
        print(f"split in {len(parts)} parts; rows below: the calling thread's ({part_rows} rows)")
    print()
    print("| part | ms | share |")
    print("|---|--:|--:|")
    for name, seconds in rows:
        print(f"| {name} | {1e3 * seconds:.1f} | {100 * seconds / total:.0f}% |")
    if rows[-1][1] < 0:
        # Each row is a median over the steps (or timed alone), the last one what is left
        # of the median step: when the machine changes speed during the run they no
        # longer add up.
        print(
            "\nThe remainder is negative: the rows' medians do not add up to the median "
            "step (the machine changed speed during the run). Rerun on an idle machine."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
