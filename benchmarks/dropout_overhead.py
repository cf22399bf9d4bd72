"""Cost of dropout / recurrent_dropout in rnnkit's training step, measured in one process.

Run: python benchmarks/dropout_overhead.py [lstm|gru] [--threads 2] [--repeats 15]
    [--profile]

Every variant's layer lives in the same process and the variants are timed in turn,
round after round, so machine noise hits them alike; the table gives the median and
the minimum of the rounds, each variant's ratio to the no-dropout step (of the medians,
of the minimums) and the paired ratio: the median over rounds of the variant's time
over the no-dropout time of the same round. One step =
forward (training=True) + backward (weights only, as for a first layer), batch 64,
200 steps, 128 inputs, 128 units, float32, sigmoid gates. ``--profile`` then runs 12
more steps of each variant under cProfile and prints the milliseconds per step spent in
each compiled kernel and BLAS call (where the overhead of the masks goes).
"""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cell", nargs="?", default="lstm", choices=["lstm", "gru"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="split each step by kernel")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import time

    import numpy as np

    from rnnkit.layers import GRU, LSTM

    batch, steps, features, units = 64, 200, 128, 128
    x = np.random.default_rng(0).normal(size=(batch, steps, features)).astype(np.float32)
    cls, base = (LSTM, {}) if args.cell == "lstm" else (GRU, {"reset_after": True})
    variants = [
        {},
        {"dropout": 0.2},
        {"recurrent_dropout": 0.2},
        {"dropout": 0.2, "recurrent_dropout": 0.2},
        {"dropout": 0.2, "recurrent_dropout": 0.2, "implementation": 2},
    ]
    layers = []
    for options in variants:
        layer = cls(units, recurrent_activation="sigmoid", **base, **options)
        layer.build(x.shape)
        layers.append(layer)
    upstream = np.ones((batch, units), np.float32)
    times = [[] for _ in variants]
    for round_ in range(args.repeats + 1):
        for i, layer in enumerate(layers):
            start = time.perf_counter()
            layer(x, training=True)
            layer.backward(upstream, input_gradient=False)
            if round_:  # round 0 compiles and warms up
                times[i].append(time.perf_counter() - start)
    base_median, base_min = np.median(times[0]), np.min(times[0])
    print(f"{args.cell}, {args.threads} thread(s), {args.repeats} rounds")
    print("| options | median ms | min ms | median ratio | min ratio | paired ratio |")
    print("|---|--:|--:|--:|--:|--:|")
    for options, t in zip(variants, times, strict=True):
        label = ", ".join(f"{k}={v}" for k, v in options.items()) or "none"
        # Each round's time over the same round's no-dropout time, then the median: a
        # slow spell of the machine that spans a round cancels out of its ratio.
        paired = np.median(np.asarray(t) / np.asarray(times[0]))
        print(
            f"| {label} | {np.median(t) * 1e3:.1f} | {np.min(t) * 1e3:.1f} | "
            f"{np.median(t) / base_median:.2f} | {np.min(t) / base_min:.2f} | {paired:.2f} |"
        )
    if args.profile:
        import cProfile
        import pstats

        steps_profiled = 12
        print("\nms per step by function (cProfile, own time above 1 ms):")
        for options, layer in zip(variants, layers, strict=True):
            profile = cProfile.Profile()
            for _ in range(steps_profiled):
                profile.enable()
                layer(x, training=True)
                layer.backward(upstream, input_gradient=False)
                profile.disable()
            stats = pstats.Stats(profile).stats
            parts = {
                name: own / steps_profiled * 1e3
                for (_, _, name), (_, _, own, _, _) in stats.items()
                if own / steps_profiled > 1e-3
            }
            label = ", ".join(f"{k}={v}" for k, v in options.items()) or "none"
            split = ", ".join(f"{k} {v:.1f}" for k, v in sorted(parts.items(), key=lambda i: -i[1]))
            print(f"- {label}: {split}")


if __name__ == "__main__":
    main()
