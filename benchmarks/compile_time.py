"""Time Numba's compilation of every rnnkit kernel from an empty cache, then from the cache.

Run: python benchmarks/compile_time.py
Each measurement runs in a fresh subprocess with its own NUMBA_CACHE_DIR: every layer
(SimpleRNN, LSTM, both GRU variants), with and without dropout (both implementations)
and masks, forward and backward, for float32 alone and for float32 + float64.
"""

import os
import subprocess
import sys
import tempfile
import time

WORK = r"""
import time, numpy as np
t0 = time.perf_counter()
from rnnkit.layers import GRU, LSTM, SimpleRNN
x = np.random.default_rng(0).normal(size=(3, 5, 4))
mask = np.ones((3, 5), bool); mask[0, :2] = False
for dtype in DTYPES:
    for cls, kw in [(SimpleRNN, {}), (LSTM, {}), (GRU, {}), (GRU, {"reset_after": True})]:
        for extra in ({}, {"dropout": 0.2, "recurrent_dropout": 0.2},
                      {"dropout": 0.2, "recurrent_dropout": 0.2, "implementation": 2}):
            if cls is SimpleRNN:
                extra = {k: v for k, v in extra.items() if k != "implementation"}
            layer = cls(3, dtype=dtype, return_sequences=True, **kw, **extra)
            for m in (None, mask):
                out = layer(x, training=True, mask=m)
                layer.backward(np.ones_like(out))
print(f"{time.perf_counter() - t0:.1f}")
"""


def run(cache: str, dtypes: tuple[str, ...]) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    code = f"DTYPES = {dtypes!r}\n" + WORK
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    for dtypes in (("float32",), ("float32", "float64")):
        with tempfile.TemporaryDirectory() as cache:
            cold = run(cache, dtypes)
            warm = run(cache, dtypes)
        print(
            f"every kernel variant, {' + '.join(dtypes)}: first use (compile) {cold:.1f} s, "
            f"later processes (cache) {warm:.1f} s"
        )
