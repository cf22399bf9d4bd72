"""Fit and check the float32 tanh approximation of ``rnnkit/kernels/activations.py``.

Run::

    .venv/bin/python scripts/fit_fast_tanh.py           # fit, then check the shipped code
    .venv/bin/python scripts/fit_fast_tanh.py --check   # only the check

**Fit.** ``tanh x ~ x P(x^2) / Q(x^2)`` on ``[0, CLAMP]`` with ``P`` of degree 6 and ``Q``
of degree 3 (in ``x^2``), ``P(0) = Q(0) = 1`` (so the slope at 0 is exact), minimizing
the largest absolute error over a dense grid: each round solves the linear program
``min E`` subject to ``|x P(t) - tanh(x) Q(t)| <= E Q_prev(t)`` (the error weighted by
the previous round's denominator, which linearizes the rational error; HiGHS through
SciPy), and the best of the rounds is kept. The variable is scaled to ``[0, 1]`` for the
solver. Beyond ``CLAMP`` the kernels clamp ``x``: ``1 - tanh(8.7) = 5.5e-8``.

**Check.** Runs the compiled kernels (``activate`` on float32, what the layers call) on
every float32 from 2^-14 to 12 (144 million values; below 2^-14 the result is ``x`` to
within 1e-13) and prints the largest absolute error of tanh and sigmoid against float64,
and the same for an evaluation without fused multiply-adds (NumPy float32 arithmetic,
each operation rounded), for a CPU without FMA.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import linprog

CLAMP = 8.7
DEGREE_P, DEGREE_Q = 6, 3


def fit(points: int = 6000, rounds: int = 40) -> tuple[float, np.ndarray, np.ndarray]:
    """``(largest error on the grid, P coefficients, Q coefficients)`` in powers of x^2."""
    k = np.arange(points)
    x = np.append(CLAMP * (1 - np.cos(np.pi * (k + 0.5) / points)) / 2, CLAMP)
    y = np.tanh(x)
    s = (x / CLAMP) ** 2  # the scaled variable
    columns_p = np.stack([x * s**i for i in range(1, DEGREE_P + 1)], axis=1)
    columns_q = np.stack([-y * s**i for i in range(1, DEGREE_Q + 1)], axis=1)
    unknowns = DEGREE_P + DEGREE_Q
    cost = np.zeros(unknowns + 1)
    cost[-1] = 1.0
    weight = np.ones_like(x)
    best = (np.inf, None, None)
    for _ in range(rounds):
        rows = np.hstack([columns_p, columns_q]) / weight[:, None]
        base = (x - y) / weight
        ones = np.ones((len(x), 1))
        result = linprog(
            cost,
            A_ub=np.vstack([np.hstack([rows, -ones]), np.hstack([-rows, -ones])]),
            b_ub=np.concatenate([-base, base]),
            bounds=[(None, None)] * unknowns + [(0, None)],
            method="highs",
        )
        p = np.concatenate([[1.0], result.x[:DEGREE_P]])
        q = np.concatenate([[1.0], result.x[DEGREE_P:unknowns]])
        weight = np.polyval(q[::-1], s)
        error = np.abs(x * np.polyval(p[::-1], s) / weight - y).max()
        if error < best[0]:
            best = (error, p, q)
    error, p, q = best
    scale_p = CLAMP ** (2.0 * np.arange(DEGREE_P + 1))
    scale_q = CLAMP ** (2.0 * np.arange(DEGREE_Q + 1))
    return error, p / scale_p, q / scale_q


def _float32_values(start: float, stop: float, chunk: int = 1 << 22):  # noqa: ANN202
    """Every float32 in ``[start, stop]``, in chunks (ascending)."""
    lo = int(np.float32(start).view(np.int32))
    hi = int(np.float32(stop).view(np.int32))
    for first in range(lo, hi + 1, chunk):
        yield np.arange(first, min(first + chunk, hi + 1), dtype=np.int32).view(np.float32)


def _without_fma(x: np.ndarray, p: np.ndarray, q: np.ndarray, clamp: np.float32) -> np.ndarray:
    """The kernels' evaluation order in float32, every operation rounded (no FMA)."""
    x = np.clip(x, -clamp, clamp)
    t = x * x
    t2 = t * t
    t4 = t2 * t2
    top = ((p[0] + p[1] * t) + t2 * (p[2] + p[3] * t)) + t4 * ((p[4] + p[5] * t) + t2 * p[6])
    bottom = (q[0] + q[1] * t) + t2 * (q[2] + q[3] * t)
    return np.clip(x * top / bottom, np.float32(-1), np.float32(1))


def check() -> None:
    """Print the largest errors of the shipped approximation (see the module docstring)."""
    from rnnkit.activations import SIGMOID, TANH
    from rnnkit.kernels import activations as kernel

    p = np.array(kernel._P, np.float32)
    q = np.array(kernel._Q, np.float32)
    half = np.float32(0.5)
    worst = {"tanh": 0.0, "sigmoid": 0.0, "tanh, no FMA": 0.0, "sigmoid, no FMA": 0.0}
    for x in _float32_values(2.0**-14, 12.0):
        exact = np.tanh(x.astype(np.float64))
        exact_sigmoid = 0.5 + 0.5 * np.tanh(x.astype(np.float64))  # sigmoid(2x)
        y = x.copy()
        kernel.activate(TANH, y, False)
        worst["tanh"] = max(worst["tanh"], float(np.abs(y - exact).max()))
        for sign in (1, -1):  # exact in float32: sigmoid(+-2x) = (1 +- tanh x) / 2
            z = sign * 2 * x
            kernel.activate(SIGMOID, z, False)
            reference = exact_sigmoid if sign == 1 else 1 - exact_sigmoid
            worst["sigmoid"] = max(worst["sigmoid"], float(np.abs(z - reference).max()))
        plain = _without_fma(x, p, q, kernel._CLAMP)
        worst["tanh, no FMA"] = max(worst["tanh, no FMA"], float(np.abs(plain - exact).max()))
        for sign in (1, -1):
            plain_sigmoid = half + half * (sign * plain)
            reference = exact_sigmoid if sign == 1 else 1 - exact_sigmoid
            worst["sigmoid, no FMA"] = max(
                worst["sigmoid, no FMA"], float(np.abs(plain_sigmoid - reference).max())
            )
    for name, value in worst.items():
        print(f"largest absolute error, {name}: {value:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the shipped code")
    args = parser.parse_args()
    if not args.check:
        error, p, q = fit()
        print(f"largest error on the grid (float64): {error:.3g}")
        print("_P =", tuple(float(np.float32(c)) for c in p))
        print("_Q =", tuple(float(np.float32(c)) for c in q))
    check()


if __name__ == "__main__":
    main()
