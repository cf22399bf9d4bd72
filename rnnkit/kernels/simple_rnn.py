"""SimpleRNN recurrence, forward and backward through time.

Per step, with ``z = x_t @ W`` precomputed by the layer::

    h_t = act(z_t + (h_{t-1} * m) @ U + b)

Backward::

    d_a = dh * act'(h_t)          dh_{t-1} = (d_a @ U^T) * m

Masked rows carry ``h`` unchanged (forward) and pass ``dh`` through (backward).
"""

import numpy as np
from numba import njit

from rnnkit.kernels.activations import activate, derivative
from rnnkit.kernels.blas import gemm, gemm_ut
from rnnkit.kernels.loops import add2, copy1, fill1


@njit(cache=True, nogil=True, error_model="numpy")
def simple_rnn_forward(z, U, bias, rmask, mask, act_code, exact, h_all):
    """Run the recurrence.

    Args:
        z: (T, B, n) input projections ``x_t @ W``; overwritten with pre-activations.
        U: (n, n) recurrent kernel.
        bias: (n,) bias (zeros without one).
        rmask: (R, B, n) recurrent dropout mask, R = 0 or 1.
        mask: (T, B) bool, or shape (0, 0) for no mask.
        act_code: activation code.
        exact: exact tanh / sigmoid (float64) instead of the fast float32 approximation.
        h_all: (T+1, B, n); index 0 holds the initial state, the rest is written.
    """
    steps, batch, n = z.shape
    has_rmask = rmask.shape[0] > 0
    has_mask = mask.shape[0] > 0
    hm = np.empty((batch, n), z.dtype)
    for t in range(steps):
        h_prev = h_all[t]
        if has_rmask:
            for b in range(batch):
                for j in range(n):
                    hm[b, j] = h_prev[b, j] * rmask[0, b, j]
            gemm(hm, U, z[t], False, False, 1.0)
        else:
            gemm(h_prev, U, z[t], False, False, 1.0)
        for b in range(batch):
            h_new = h_all[t + 1, b]
            if has_mask and not mask[t, b]:
                copy1(h_prev[b], h_new)
                continue
            for j in range(n):
                h_new[j] = z[t, b, j] + bias[j]
            activate(act_code, h_new, exact)


@njit(cache=True, nogil=True, error_model="numpy")
def simple_rnn_backward(h_all, W, w_is_ut, rmask, mask, act_code, d_hs, d_h, d_a, d_bias):
    """Backpropagate through the recurrence.

    Args:
        h_all: (T+1, B, n) states written by the forward.
        W, w_is_ut: the recurrent kernel U (n, n), or (``w_is_ut``) a contiguous copy of
            U^T, which BLAS reads faster (:func:`rnnkit.kernels.blas.gemm_ut`).
        rmask, mask, act_code: as in the forward.
        d_hs: (T, B, n) gradient arriving at each ``h_t`` from the outputs, or shape
            (0, 0, 0) when only the final state receives gradient.
        d_h: (B, n) gradient at the final state; overwritten with the gradient at the
            initial state.
        d_a: (T, B, n) written with the gradient at the pre-activations (zero on masked rows).
        d_bias: (n,) written with the bias gradient (the sum of ``d_a``).
    """
    steps, batch, n = d_a.shape
    has_rmask = rmask.shape[0] > 0
    has_mask = mask.shape[0] > 0
    has_seq = d_hs.shape[0] > 0
    d_rec = np.empty((batch, n), d_a.dtype)
    fill1(d_bias, 0.0)
    for t in range(steps - 1, -1, -1):
        if has_seq:
            add2(d_h, d_hs[t])
        for b in range(batch):
            da = d_a[t, b]
            if has_mask and not mask[t, b]:
                fill1(da, 0.0)
                continue
            derivative(act_code, h_all[t + 1, b], da)
            for j in range(n):
                da[j] *= d_h[b, j]
                d_bias[j] += da[j]
        gemm_ut(d_a[t], W, 0, n, d_rec, w_is_ut, 0.0)
        for b in range(batch):
            if not has_mask or mask[t, b]:
                for j in range(n):
                    d_h[b, j] = d_rec[b, j] * rmask[0, b, j] if has_rmask else d_rec[b, j]
