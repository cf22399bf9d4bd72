"""One recurrent step's matrix product through NumPy's BLAS and through rnnkit's ``gemm``.

Usage::

    python benchmarks/blas_step.py [--batch 16] [--units 512] [--gates 4] [--threads 2]
        [--backward]

rnnkit's kernels call ``gemm`` (``rnnkit/kernels/blas.py``), which goes through Numba's
``numba_xxgemm`` to SciPy's OpenBLAS; NumPy's ``matmul`` uses NumPy's own OpenBLAS
build. This times ``(batch, units) @ (units, gates*units)``, accumulated into one output
200 times in a row (as a recurrence does), both ways, and prints GFLOP/s (best of 5).

``--backward`` times the backward's per-step product instead, ``(batch, gates*units) @
U^T`` with ``U`` (units, gates*units), through ``gemm`` two ways: ``U`` read transposed
by BLAS, and a contiguous copy of ``U^T`` (what the kernels are given).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--units", type=int, default=512)
    parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backward", action="store_true", help="time d_a @ U^T")
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:  # pragma: no cover
        parser.error("run as a script: the thread count must be set before NumPy loads")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import time

    import numpy as np
    from numba import njit

    from rnnkit.kernels.blas import gemm

    rng = np.random.default_rng(0)
    h = rng.standard_normal((args.batch, args.units)).astype(np.float32)
    u = rng.standard_normal((args.units, args.gates * args.units)).astype(np.float32)
    out = np.zeros((args.batch, args.gates * args.units), np.float32)
    steps = 200

    @njit
    def loop(h, u, out, steps):  # pragma: no cover - compiled
        for _ in range(steps):
            gemm(h, u, out, False, False, 1.0)

    def through_numpy() -> None:
        for _ in range(steps):
            np.matmul(h, u, out=out)

    @njit
    def loop_t(d, right, out, steps, transposed):  # pragma: no cover - compiled
        for _ in range(steps):
            gemm(d, right, out, False, transposed, 0.0)

    if args.backward:
        d = rng.standard_normal((args.batch, args.gates * args.units)).astype(np.float32)
        u_t = np.ascontiguousarray(u.T)
        d_rec = np.zeros((args.batch, args.units), np.float32)
        loop_t(d, u, d_rec, 2, True)
        loop_t(d, u_t, d_rec, 2, False)
        cases = (
            ("U transposed", lambda: loop_t(d, u, d_rec, steps, True)),
            ("U^T copy", lambda: loop_t(d, u_t, d_rec, steps, False)),
        )
        wide = args.gates * args.units
        shape = f"({args.batch}x{wide}) @ ({wide}x{args.units})"
    else:
        loop(h, u, out, 2)
        cases = (("NumPy matmul", through_numpy), ("rnnkit gemm", lambda: loop(h, u, out, steps)))
        shape = f"({args.batch}x{args.units}) @ ({args.units}x{args.gates * args.units})"
    flops = 2.0 * args.batch * args.units * args.gates * args.units * steps
    for name, run in cases:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        print(f"{name:13s} {shape}, {args.threads} thread(s): {flops / best / 1e9:.0f} GFLOP/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
