"""Activation functions and their derivatives inside compiled kernels.

Dispatch is on the integer codes of :mod:`rnnkit.activations`, once per row, so each
branch is a plain loop the compiler can vectorize. Derivatives take the activation's
output ``y`` (what the forward pass keeps), never its input.

float32 kernels (``exact=False``) evaluate tanh and sigmoid with a rational function
that vectorizes (libm's ``tanhf``/``expf`` do not, and they dominate the gate math):
``tanh x ~ x P(x^2) / Q(x^2)`` with ``P`` of degree 6 and ``Q`` of degree 3 in ``x^2``,
``P(0) = Q(0) = 1``, fitted for the smallest largest absolute error on ``[0, 8.7]``
(``scripts/fit_fast_tanh.py`` fits the coefficients and checks the result), ``x``
clamped to ``[-8.7, 8.7]`` (``1 - tanh 8.7 = 5.5e-8``), and
``sigmoid(x) = 0.5 + 0.5 tanh(x / 2)``. P and Q are evaluated by Estrin's scheme,
contracted to fused multiply-adds (``fastmath={"contract"}``, nothing else relaxed).
Over every float32 from 2^-14 to 12 the largest absolute error is 3.1e-7 for tanh
(mostly float32 rounding: the fit itself is within 7e-8) and 1.9e-7 for sigmoid; without
FMA 3.5e-7 and 2.0e-7. The 12th convergent of Lambert's continued fraction, used before,
needed fourteen coefficients for 3.6e-7 and 1.9e-7: an evaluation now takes a sixth
less time (0.70 -> 0.58 ns per float32 on this project's machine, a one-off
micro-benchmark not kept).
float64 kernels (``exact=True``, used by the gradient checks) call the exact functions.
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

# scripts/fit_fast_tanh.py prints these (rounded to float32) and checks the kernels.
_P = (
    1.0,
    0.13047809898853302,
    0.0030644647777080536,
    1.0767515050247312e-05,
    -1.8810608182207034e-08,
    4.6772717643417394e-11,
    -7.139675271350746e-14,
)
_Q = (1.0, 0.4638110399246216, 0.024335304275155067, 0.0002490189508534968)
_F = np.float32
_P0, _P1, _P2, _P3, _P4, _P5, _P6 = (_F(c) for c in _P)
_Q0, _Q1, _Q2, _Q3 = (_F(c) for c in _Q)
_CLAMP = _F(8.7)  # the end of the fitted range
_HALF = _F(0.5)
_ONE = _F(1.0)


@njit(cache=True, inline="always", error_model="numpy")
def fast_tanh(x):
    """float32 tanh by the rational approximation in the module docstring."""
    x = min(max(x, -_CLAMP), _CLAMP)
    t = x * x
    t2 = t * t
    t4 = t2 * t2
    # Estrin's scheme: short dependency chains instead of Horner's, so consecutive
    # elements overlap in the pipeline; with the fused multiply-adds 1.6x faster than
    # Horner's rule on this project's machine (one micro-benchmark).
    p = ((_P0 + _P1 * t) + t2 * (_P2 + _P3 * t)) + t4 * ((_P4 + _P5 * t) + t2 * _P6)
    q = (_Q0 + _Q1 * t) + t2 * (_Q2 + _Q3 * t)
    # Rounding can land one ulp above 1 near the clamp; keep tanh's range exact.
    return min(max(x * p / q, -_ONE), _ONE)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def activate(code, v, exact):
    """Apply activation ``code`` to the 1-D array ``v`` in place."""
    n = v.shape[0]
    if code == TANH:
        if exact:
            for j in range(n):
                v[j] = np.tanh(v[j])
        else:
            for j in range(n):
                v[j] = fast_tanh(v[j])
    elif code == SIGMOID:
        if exact:
            for j in range(n):
                v[j] = 1.0 / (1.0 + np.exp(-v[j]))
        else:
            for j in range(n):
                v[j] = _HALF + _HALF * fast_tanh(_HALF * v[j])
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


@njit(cache=True, error_model="numpy")
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
