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
* the remainder: Python, array allocation, transposes and checks.

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

    from rnnkit.kernels.blas import gemm
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
        if key:
            per_step[key] = per_step.get(key, 0.0) + own / args.repeats

    # The recurrent products alone: the same gemm calls in a compiled loop.
    h = rng.standard_normal((batch, units), dtype=np.float32)
    u = rng.standard_normal((units, gates * units), dtype=np.float32)
    out = np.zeros((batch, gates * units), np.float32)
    d_out = rng.standard_normal((batch, gates * units), dtype=np.float32)
    d_h = np.zeros((batch, units), np.float32)

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
    ]
    rows.append(("Python, allocation, transposes, checks", total - sum(t for _, t in rows)))
    label = f"{args.cell} {args.shape}" + (" dropout" if args.dropout else "")
    print(f"Training step, {label}, {args.threads} thread(s): {1e3 * total:.1f} ms (median)\n")
    print("| part | ms | share |")
    print("|---|--:|--:|")
    for name, seconds in rows:
        print(f"| {name} | {1e3 * seconds:.1f} | {100 * seconds / total:.0f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
