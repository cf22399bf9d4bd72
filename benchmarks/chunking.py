"""What projecting the inputs a chunk of steps at a time gains, measured in one process.

Run: python benchmarks/chunking.py [lstm|gru|simple_rnn] [--shapes 64x200x128x128 ...]
    [--rounds 15] [--threads 2]

For each shape the same layer runs with the default chunks (``_CHUNK_BYTES`` of
:mod:`rnnkit.layers.recurrent`) and with one chunk for the whole sequence (the earlier
whole-sequence projection), alternating call by call so that machine noise hits both
alike; inference (``layer(x)``) and a training step (``layer(x, training=True)`` and
``backward``) are timed separately. The table gives the minimum and the median over
the rounds and the speed-up of chunking (whole / chunked). float32, sigmoid gates, GRU
``reset_after=True``.
"""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell", nargs="?", default="lstm", choices=["lstm", "gru", "simple_rnn"])
    parser.add_argument(
        "--shapes", nargs="+", default=["64x200x128x128", "128x500x128x256", "16x1000x128x512"]
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import time

    import numpy as np

    from rnnkit.layers import GRU, LSTM, SimpleRNN, recurrent

    make = {
        "lstm": lambda n: LSTM(n, recurrent_activation="sigmoid"),
        "gru": lambda n: GRU(n, recurrent_activation="sigmoid", reset_after=True),
        "simple_rnn": SimpleRNN,
    }[args.cell]
    settings = {"chunked": recurrent._CHUNK_BYTES, "whole": 1 << 62}
    print(f"{args.cell}, {args.threads} thread(s), {args.rounds} rounds")
    print(
        "| shape BxTxFxn | mode | whole min / median ms | chunked min / median ms "
        "| speed-up (min) |"
    )
    print("|---|---|--:|--:|--:|")
    for shape in args.shapes:
        batch, steps, features, units = (int(v) for v in shape.split("x"))
        x = np.random.default_rng(0).normal(size=(batch, steps, features)).astype(np.float32)
        layer = make(units)
        upstream = np.ones((batch, units), np.float32)

        def infer(layer=layer, x=x):
            layer(x)

        def train(layer=layer, x=x, upstream=upstream):
            layer(x, training=True)
            layer.backward(upstream)

        for mode, step in (("infer", infer), ("train", train)):
            times = {name: [] for name in settings}
            for round_ in range(args.rounds + 1):
                for name, chunk_bytes in settings.items():
                    recurrent._CHUNK_BYTES = chunk_bytes
                    start = time.perf_counter()
                    step()
                    if round_:  # round 0 compiles and warms up
                        times[name].append(time.perf_counter() - start)
            recurrent._CHUNK_BYTES = settings["chunked"]
            whole, chunked = (np.array(times[name]) * 1e3 for name in ("whole", "chunked"))
            print(
                f"| {shape} | {mode} | {whole.min():.1f} / {np.median(whole):.1f} | "
                f"{chunked.min():.1f} / {np.median(chunked):.1f} | "
                f"{whole.min() / chunked.min():.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
