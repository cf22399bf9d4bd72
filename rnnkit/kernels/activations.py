"""Activation functions and their derivatives inside compiled kernels.

Dispatch is on the integer codes of :mod:`rnnkit.activations`, once per row, so each
branch is a plain loop the compiler can vectorize. Derivatives take the activation's
output ``y`` (what the forward pass keeps), never its input.
"""

import numpy as np
from numba import njit

from rnnkit.activations import (
    ELU,
    EXPONENTIAL,
    HARD_SIGMOID,
    KERAS3_HARD_SIGMOID,
    RELU,
    SELU,
    SELU_ALPHA,
    SELU_SCALE,
    SIGMOID,
    SOFTPLUS,
    SOFTSIGN,
    TANH,
)


@njit(cache=True, inline="always")
def activate(code, v):
    """Apply activation ``code`` to the 1-D array ``v`` in place."""
    n = v.shape[0]
    if code == TANH:
        for j in range(n):
            v[j] = np.tanh(v[j])
    elif code == SIGMOID:
        for j in range(n):
            v[j] = 1.0 / (1.0 + np.exp(-v[j]))
    elif code == HARD_SIGMOID:
        for j in range(n):
            v[j] = min(max(0.2 * v[j] + 0.5, 0.0), 1.0)
    elif code == KERAS3_HARD_SIGMOID:
        for j in range(n):
            v[j] = min(max(v[j] / 6.0 + 0.5, 0.0), 1.0)
    elif code == RELU:
        for j in range(n):
            v[j] = max(v[j], 0.0)
    elif code == SOFTSIGN:
        for j in range(n):
            v[j] = v[j] / (1.0 + abs(v[j]))
    elif code == ELU:
        for j in range(n):
            if v[j] <= 0:
                v[j] = np.expm1(v[j])
    elif code == SELU:
        for j in range(n):
            x = v[j]
            v[j] = SELU_SCALE * x if x > 0 else SELU_SCALE * SELU_ALPHA * np.expm1(x)
    elif code == SOFTPLUS:
        for j in range(n):
            x = v[j]
            v[j] = max(x, 0.0) + np.log1p(np.exp(-abs(x)))
    elif code == EXPONENTIAL:
        for j in range(n):
            v[j] = np.exp(v[j])
    # LINEAR: identity


@njit(cache=True, inline="always")
def derivative(code, y, out):
    """Write ``d act / d x`` for outputs ``y`` (1-D) into ``out``."""
    n = y.shape[0]
    if code == TANH:
        for j in range(n):
            out[j] = 1.0 - y[j] * y[j]
    elif code == SIGMOID:
        for j in range(n):
            out[j] = y[j] * (1.0 - y[j])
    elif code == HARD_SIGMOID:
        for j in range(n):
            out[j] = 0.2 if 0.0 < y[j] < 1.0 else 0.0
    elif code == KERAS3_HARD_SIGMOID:
        for j in range(n):
            out[j] = 1.0 / 6.0 if 0.0 < y[j] < 1.0 else 0.0
    elif code == RELU:
        for j in range(n):
            out[j] = 1.0 if y[j] > 0 else 0.0
    elif code == SOFTSIGN:
        for j in range(n):
            a = 1.0 - abs(y[j])
            out[j] = a * a
    elif code == ELU:
        for j in range(n):
            out[j] = 1.0 if y[j] > 0 else y[j] + 1.0
    elif code == SELU:
        for j in range(n):
            out[j] = SELU_SCALE if y[j] > 0 else y[j] + SELU_SCALE * SELU_ALPHA
    elif code == SOFTPLUS:
        for j in range(n):
            out[j] = -np.expm1(-y[j])
    elif code == EXPONENTIAL:
        for j in range(n):
            out[j] = y[j]
    else:  # LINEAR
        for j in range(n):
            out[j] = 1.0
