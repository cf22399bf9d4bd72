"""Batch split across rnnkit's threads against one batch on a multi-threaded BLAS, in one process.

Run: python benchmarks/threads.py [--threads 2] [--repeats 9] [--cells lstm gru simple_rnn]
    [--shapes 64x200x128x128 ...] [--dropout] [--force-split]

For each cell and shape (batch x steps x features x units) the same layer runs a
training step (forward with ``training=True`` + backward, weights only, as a first
layer) and an inference pass two ways, alternated call by call so machine noise hits
both alike: "split" (rnnkit's default: the batch split across ``--threads`` threads,
each with a single-threaded BLAS; :mod:`rnnkit.kernels.threads`) and "blas" (one batch,
the BLAS's own ``--threads`` threads splitting every product). An idle pause before each
timed call lets the BLAS's spinning threads go to sleep, as they do in a process that
runs one way only. Prints the medians and the ratio blas/split (above 1: splitting is
faster). ``--dropout`` adds dropout=0.2, recurrent_dropout=0.2 to LSTM and GRU.

The "work" column is what decides whether a call splits: the multiply-adds of its
forward products, steps x batch x gate width x (units + features), against
``rnnkit.layers.recurrent._SPLIT_WORK``. ``--force-split`` sets that threshold to 0, so
that every call whose batch has enough rows splits; sweeping the work with it shows
where the threshold belongs, e.g.::

    python benchmarks/threads.py --force-split --cells lstm --repeats 15 \
        --shapes 32x1x128x128 32x4x128x128 32x8x128x128 32x16x128x128 32x32x128x128 \
        64x32x128x128 64x80x128x128 64x200x128x128
"""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "simple_rnn"])
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=["64x200x128x128", "32x80x128x128", "128x500x128x256", "16x1000x128x512"],
    )
    parser.add_argument("--dropout", action="store_true")
    parser.add_argument(
        "--force-split", action="store_true", help="split whatever the work (threshold 0)"
    )
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.pop("RNNKIT_NUM_THREADS", None)

    import time

    import numpy as np

    from rnnkit.kernels import threads
    from rnnkit.layers import GRU, LSTM, SimpleRNN, recurrent

    default = recurrent._SPLIT_WORK
    threshold = 0 if args.force_split else default
    never = 1 << 62
    threads.set_threads(args.threads)
    classes = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}
    print(
        f"{args.threads} thread(s), {args.repeats} rounds, median ms; split threshold "
        f"{threshold / 1e6:g} M multiply-adds"
    )
    print("| cell | shape BxTxFxn | work M | mode | blas ms | split ms | blas/split |")
    print("|---|---|--:|---|--:|--:|--:|")
    for cell in args.cells:
        for shape in args.shapes:
            batch, steps, features, units = map(int, shape.split("x"))
            x = np.random.default_rng(0).normal(size=(batch, steps, features)).astype(np.float32)
            options = {}
            if cell != "simple_rnn":
                options["recurrent_activation"] = "sigmoid"
                if args.dropout:
                    options.update(dropout=0.2, recurrent_dropout=0.2)
            layer = classes[cell](units, **options)
            layer.build(x.shape)
            work = steps * batch * layer._gates * units * (units + features) / 1e6
            upstream = np.ones((batch, units), np.float32)

            def train(layer=layer, x=x, upstream=upstream) -> None:
                layer(x, training=True)
                layer.backward(upstream, input_gradient=False)

            def infer(layer=layer, x=x) -> None:
                layer(x)

            for mode, run in (("train", train), ("infer", infer)):
                times: dict[str, list[float]] = {"blas": [], "split": []}
                for round_ in range(args.repeats + 1):
                    for variant in times:
                        # Both variants keep rnnkit's pool alive (set_threads would start
                        # a fresh thread, whose first products allocate BLAS buffers).
                        recurrent._SPLIT_WORK = threshold if variant == "split" else never
                        time.sleep(0.15)  # the BLAS's idle threads stop spinning
                        start = time.perf_counter()
                        run()
                        if round_:  # round 0 compiles and warms up
                            times[variant].append(time.perf_counter() - start)
                blas, split = np.median(times["blas"]), np.median(times["split"])
                print(
                    f"| {cell} | {shape} | {work:.0f} | {mode} | {blas * 1e3:.1f} | "
                    f"{split * 1e3:.1f} | "
                    f"{blas / split:.2f} |",
                    flush=True,
                )
    recurrent._SPLIT_WORK = default


if __name__ == "__main__":
    main()
