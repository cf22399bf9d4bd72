"""Plot training-step time against sequence length and against units, rnnkit and PyTorch.

Usage (the sweep, then the plot; matplotlib from the ``plot`` extra)::

    python benchmarks/bench_recurrent.py --cells lstm gru simple_rnn --no-dropout \\
        --shapes 64x50x128x128 64x100x128x128 64x200x128x128 64x400x128x128 \\
                 64x800x128x128 64x200x128x64 64x200x128x256 64x200x128x512 \\
        --json benchmarks/results/scaling.json
    python benchmarks/plot_scaling.py benchmarks/results/scaling.json docs/scaling.png

Reads the JSON that ``bench_recurrent.py --json`` writes and draws, per mode (training
step, inference), time against the number of steps (shapes that differ from the
reference 64x200x128x128 only in time) and against the units (those that differ only
in units), one line per (peer, cell), on log-log axes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REFERENCE = (64, 200, 128, 128)
COLORS = {"lstm": "tab:blue", "gru": "tab:orange", "simple_rnn": "tab:green"}


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("x"))


def series(rows: list[dict], mode: str, axis: int) -> dict[tuple[str, str], list]:
    """``{(peer, cell): [(x, ms), ...]}`` over shapes that vary only along ``axis``."""
    out: dict[tuple[str, str], list] = {}
    for row in rows:
        shape = _shape(row["shape"])
        if row["mode"] != mode or row["threads"] != max(r["threads"] for r in rows):
            continue
        if any(shape[i] != REFERENCE[i] for i in range(4) if i != axis):
            continue
        for peer in ("rnnkit", "torch"):
            ms = row.get(f"{peer}_ms")
            if ms is not None:
                out.setdefault((peer, row["cell"]), []).append((shape[axis], ms))
    return {key: sorted(points) for key, points in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="JSON from bench_recurrent.py --json")
    parser.add_argument("png", type=Path, help="where to write the figure")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(args.results.read_text())
    rows = data["rows"]
    modes = [m for m in ("train", "infer") if any(r["mode"] == m for r in rows)]
    fig, axes = plt.subplots(len(modes), 2, figsize=(11, 4.2 * len(modes)), squeeze=False)
    for r, mode in enumerate(modes):
        for c, (axis, label) in enumerate(((1, "sequence length (steps)"), (3, "units"))):
            ax = axes[r][c]
            for (peer, cell), points in sorted(series(rows, mode, axis).items()):
                xs, ys = zip(*points, strict=True)
                ax.plot(
                    xs,
                    ys,
                    marker="o" if peer == "rnnkit" else "s",
                    linestyle="-" if peer == "rnnkit" else "--",
                    color=COLORS.get(cell, "black"),
                    label=f"{peer} {cell}",
                )
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel("ms per " + ("training step" if mode == "train" else "forward pass"))
            fixed = "batch 64, 128 inputs, " + ("128 units" if axis == 1 else "200 steps")
            ax.set_title(f"{mode}: {fixed}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    threads = max(r["threads"] for r in rows)
    fig.suptitle(f"rnnkit (solid) vs PyTorch (dashed), {threads} thread(s)", fontsize=10)
    fig.tight_layout()
    args.png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
