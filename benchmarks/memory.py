"""Peak memory of one training step, next to the activations backpropagation must keep.

Usage::

    python benchmarks/memory.py [--cells lstm gru gru_reset_after simple_rnn]
        [--shape 64x1000x128x512]

For each cell, in a fresh process: build the layer, make the input and the upstream
gradient, then run one training step (forward with ``return_sequences=False``, BPTT
with the input gradient, SGD update) and report

* ``traced peak``: the largest total size of the arrays allocated during the step
  (``tracemalloc``, which sees every NumPy buffer), beyond those that existed before it;
* ``RSS growth``: the process's peak resident memory during the step minus its
  resident memory before it (the operating system's view; it includes allocator slack);
* ``activations``: what BPTT over the whole sequence must keep per step and sample --
  the input (F), and per unit the gate activations (G) plus the states (LSTM: c and h;
  GRU and SimpleRNN: h) -- times batch x time, in float32.

The ratio ``traced peak / activations`` is the figure of merit (issue 5 asks for at most
1.5). A warm-up step on a short sequence runs first, so compilation and the Numba cache
do not count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource

from worker import emit, run_worker

GATES = {"lstm": 4, "gru": 3, "gru_reset_after": 3, "simple_rnn": 1}
STATES = {"lstm": 2, "gru": 1, "gru_reset_after": 1, "simple_rnn": 1}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _worker(cell: str, batch: int, steps: int, features: int, units: int) -> dict:
    import tracemalloc

    import numpy as np

    from rnnkit.layers import GRU, LSTM, SimpleRNN

    if cell == "gru_reset_after":
        layer = GRU(units, reset_after=True)
    else:
        layer = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}[cell](units)
    rng = np.random.default_rng(0)
    lr = np.float32(1e-5)

    def step(x: np.ndarray, upstream: np.ndarray) -> None:
        layer(x, training=True)
        layer.backward(upstream)
        for w, g in zip(layer.weights, layer.get_gradients(), strict=True):
            w -= lr * g

    # Warm-up: compile (or load) every kernel on a short sequence.
    step(
        rng.standard_normal((batch, 3, features), dtype=np.float32),
        rng.standard_normal((batch, units), dtype=np.float32),
    )
    x = rng.standard_normal((batch, steps, features), dtype=np.float32)
    upstream = rng.standard_normal((batch, units), dtype=np.float32)
    rss_before = _rss_bytes()
    max_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    step(x, upstream)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    per_step = features + (GATES[cell] + STATES[cell]) * units
    return {
        "traced_peak": traced_peak,
        # ru_maxrss is a high-water mark: it shows this step only if the step set it.
        "rss_growth": max_after - rss_before if max_after > max_before else None,
        "activations": 4 * batch * steps * per_step,
        "input": 4 * batch * steps * features,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", nargs="+", choices=list(GATES), default=list(GATES))
    parser.add_argument("--shape", default="64x1000x128x512", help="BATCHxTIMExFEATURESxUNITS")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        emit(_worker(spec["cell"], *spec["shape"]))
        return 0
    shape = tuple(int(p) for p in args.shape.lower().split("x"))
    if len(shape) != 4 or min(shape) < 1:
        parser.error(f"--shape must be BATCHxTIMExFEATURESxUNITS; got {args.shape!r}")
    mib = 2.0**20
    print(f"Training step memory, shape {args.shape} (BxTxFxn), float32\n")
    print("| cell | activations BPTT keeps (MiB) | traced peak (MiB) | ratio | RSS growth (MiB) |")
    print("|---|--:|--:|--:|--:|")
    for cell in args.cells:
        r = run_worker(__file__, {"cell": cell, "shape": shape}, args.threads)
        print(
            f"| {cell} | {r['activations'] / mib:.0f} | {r['traced_peak'] / mib:.0f} | "
            f"{r['traced_peak'] / r['activations']:.2f} | "
            + ("n/a" if r["rss_growth"] is None else f"{r['rss_growth'] / mib:.0f}")
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
