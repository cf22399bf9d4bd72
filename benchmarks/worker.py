"""Run one measurement in a fresh Python process, for the benchmark scripts here.

A benchmark script calls :func:`run_worker` with a JSON-able spec; the child is the same
script with ``--worker SPEC``, started with the thread-count variables set before
anything loads (so no two spinning thread pools ever meet), and it prints one line
``PREFIX + json`` with its result, which :func:`emit` writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
PREFIX = "@@WORKER_RESULT@@ "


def run_worker(script: str, spec: dict, threads: int) -> dict:
    """Run ``script --worker SPEC`` with ``threads`` threads; return its result dict."""
    env = os.environ.copy()
    for var in THREAD_VARIABLES:
        env[var] = str(threads)
    proc = subprocess.run(
        [sys.executable, os.path.abspath(script), "--worker", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX) :])
    raise RuntimeError(f"worker {spec} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def emit(result: dict) -> None:
    """Print a worker's result where :func:`run_worker` looks for it."""
    print(PREFIX + json.dumps(result), flush=True)
