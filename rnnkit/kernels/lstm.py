"""LSTM recurrence, forward and backward through time.

Gate order i, f, c, o (Keras). Per step, with ``z = x_t @ W`` precomputed for all
steps by the layer (``m`` = recurrent dropout mask(s))::

    a   = z + (h_{t-1} * m) @ U + b                              (B, 4n)
    i, f, o = rec_act(a_i), rec_act(a_f), rec_act(a_o);  g = act(a_c)
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)

Masked rows (``mask[t, b] == False``) carry ``h`` and ``c`` unchanged.

Backward (``dh``, ``dc`` = gradients arriving at ``h_t``, ``c_t``)::

    d_o = dh * act(c_t)                  dc += dh * o * act'(c_t)
    d_i = dc * g      d_g = dc * i       d_f = dc * c_{t-1}      dc_{t-1} = dc * f
    d_a = [d_i * rec_act'(i), d_f * rec_act'(f), d_g * act'(g), d_o * rec_act'(o)]
    dh_{t-1} = sum over gates (d_a_gate @ U_gate^T) * m_gate
"""

import numpy as np
from numba import njit

from rnnkit.kernels.activations import activate, derivative
from rnnkit.kernels.blas import gemm, gemm_ut
from rnnkit.kernels.loops import add2, copy1, fill1, masked_rows


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_forward(gates, U, bias, rmask, mask, act_code, rec_code, exact, h_all, c_all, act_c):
    """Run the LSTM recurrence.

    Args:
        gates: (T, B, 4n) input projections ``x_t @ W``; overwritten with the activated
            gates i, f, g, o.
        U: (n, 4n) recurrent kernel.
        bias: (4n,) bias (zeros without one).
        rmask: (R, B, n) recurrent dropout masks, R = 0 (none), 1 (shared) or 4 (per gate).
        mask: (T, B) bool, or shape (0, 0) for no mask.
        act_code, rec_code: activation codes of ``activation`` / ``recurrent_activation``.
        exact: exact tanh / sigmoid (float64) instead of the fast float32 approximation.
        h_all: (T+1, B, n); index 0 holds the initial state, the rest is written.
        c_all: (T+1, B, n) like ``h_all``; or, for inference, (2, B, n) used in turn
            (index 0 the initial state, the final state at index ``T % 2``).
        act_c: (T, B, n) written with ``act(c_t)``; shape (0, B, n) for inference.
    """
    steps, batch, four_n = gates.shape
    n = four_n // 4
    n_masks = rmask.shape[0]
    has_mask = mask.shape[0] > 0
    keep = act_c.shape[0] > 0
    # hm[g] = h_{t-1} * m_g, the left factor of gate block g's product: made for the
    # initial state here, then by each row as it writes its new h (while it is in cache).
    # A row a step leaves unchanged keeps its h and so its masked copies.
    hm = np.empty((n_masks, batch, n), gates.dtype)
    for g in range(n_masks):
        masked_rows(h_all[0], rmask, g, hm[g])
    width = four_n // max(n_masks, 1)
    scratch = np.empty(n, gates.dtype)  # act(c_t) when act_c is not kept
    for t in range(steps):
        c_in = t if keep else t % 2
        c_out = t + 1 if keep else (t + 1) % 2
        h_prev = h_all[t]
        if n_masks == 0:
            gemm(h_prev, U, gates[t], False, False, 1.0)
        else:  # one product per mask: all four gates under a shared mask, or one gate each
            for g in range(n_masks):
                block = slice(g * width, (g + 1) * width)
                gemm(hm[g], U[:, block], gates[t, :, block], False, False, 1.0)
        for b in range(batch):
            if has_mask and not mask[t, b]:
                copy1(h_prev[b], h_all[t + 1, b])
                copy1(c_all[c_in, b], c_all[c_out, b])
                continue
            a = gates[t, b]
            for j in range(four_n):
                a[j] += bias[j]
            activate(rec_code, a[: 2 * n], exact)
            activate(act_code, a[2 * n : 3 * n], exact)
            activate(rec_code, a[3 * n :], exact)
            c_prev = c_all[c_in, b]
            c_new = c_all[c_out, b]
            ac = act_c[t, b] if keep else scratch
            for j in range(n):
                c_new[j] = a[n + j] * c_prev[j] + a[j] * a[2 * n + j]
                ac[j] = c_new[j]
            activate(act_code, ac, exact)
            h_new = h_all[t + 1, b]
            for j in range(n):
                h_new[j] = a[3 * n + j] * ac[j]
            for g in range(n_masks):
                m = rmask[g, b]
                target = hm[g, b]
                for j in range(n):
                    target[j] = h_new[j] * m[j]


@njit(cache=True, nogil=True, error_model="numpy")
def lstm_backward(
    gates, c_all, act_c, W, w_is_ut, rmask, mask, act_code, rec_code, d_hs, d_h, d_c, d_a, d_bias
):
    """Backpropagate through the LSTM recurrence.

    Args:
        gates, c_all, act_c: what :func:`lstm_forward` wrote.
        W, w_is_ut: the recurrent kernel U (n, 4n), or (``w_is_ut``) a contiguous copy of
            U^T (4n, n), which BLAS reads faster (:func:`rnnkit.kernels.blas.gemm_ut`).
        rmask, mask, act_code, rec_code: as in the forward.
        d_hs: (T, B, n) gradient arriving at each step's ``h_t`` from the outputs, or
            shape (0, 0, 0) when only the final state receives gradient.
        d_h, d_c: (B, n) gradient at the final ``h`` and ``c``; overwritten with the
            gradient at the initial states.
        d_a: (T, B, 4n) written with the gradient at the gate pre-activations
            (zero on masked rows). May be ``gates`` itself: each step's gates are read
            before its gradient overwrites them, which saves a (T, B, 4n) buffer.
        d_bias: (4n,) written with the bias gradient (the sum of ``d_a``).
    """
    steps, batch, four_n = gates.shape
    n = four_n // 4
    n_masks = rmask.shape[0]
    has_mask = mask.shape[0] > 0
    has_seq = d_hs.shape[0] > 0
    dt = gates.dtype
    parts = np.empty((max(n_masks, 1), batch, n), dt)  # the products, one per mask
    d_gate = np.empty(four_n, dt)
    d_act_c = np.empty(n, dt)
    a = np.empty(four_n, dt)  # the row's gates, copied: d_a may be ``gates`` itself
    dcs = np.empty(n, dt)  # the gradient at c_t
    fill1(d_bias, 0.0)
    # The row's loops touch few arrays each: one loop over all of them (d_a possibly
    # aliasing gates) did not vectorize and took a fifth more time.
    for t in range(steps - 1, -1, -1):
        if has_seq:
            add2(d_h, d_hs[t])
        for b in range(batch):
            da = d_a[t, b]
            if has_mask and not mask[t, b]:
                fill1(da, 0.0)
                continue
            copy1(gates[t, b], a)
            ac = act_c[t, b]
            c_prev = c_all[t, b]
            derivative(rec_code, a[: 2 * n], d_gate[: 2 * n])
            derivative(act_code, a[2 * n : 3 * n], d_gate[2 * n : 3 * n])
            derivative(rec_code, a[3 * n :], d_gate[3 * n :])
            derivative(act_code, ac, d_act_c)
            dh = d_h[b]
            dc = d_c[b]
            for j in range(n):
                dcs[j] = dc[j] + dh[j] * a[3 * n + j] * d_act_c[j]
            for j in range(n):
                d_gate[j] *= dcs[j] * a[2 * n + j]
                d_gate[n + j] *= dcs[j] * c_prev[j]
                d_gate[2 * n + j] *= dcs[j] * a[j]
                d_gate[3 * n + j] *= dh[j] * ac[j]
            for j in range(n):
                dc[j] = dcs[j] * a[n + j]
            for j in range(four_n):
                da[j] = d_gate[j]
                d_bias[j] += d_gate[j]
        # dh_{t-1} = sum_g (d_a_g @ U_g^T) * m_g; masked rows pass d_h through unchanged.
        if n_masks <= 1:
            gemm_ut(d_a[t], W, 0, four_n, parts[0], w_is_ut, 0.0)
        else:
            for g in range(4):
                block = slice(g * n, (g + 1) * n)
                gemm_ut(d_a[t, :, block], W, g * n, (g + 1) * n, parts[g], w_is_ut, 0.0)
        for b in range(batch):
            if has_mask and not mask[t, b]:
                continue
            dh = d_h[b]
            if n_masks == 0:
                copy1(parts[0, b], dh)
            elif n_masks == 1:
                p, m = parts[0, b], rmask[0, b]
                for j in range(n):
                    dh[j] = p[j] * m[j]
            else:  # the four gates' terms in one pass, summed in gate order
                p0, p1, p2, p3 = parts[0, b], parts[1, b], parts[2, b], parts[3, b]
                m0, m1, m2, m3 = rmask[0, b], rmask[1, b], rmask[2, b], rmask[3, b]
                for j in range(n):
                    dh[j] = p0[j] * m0[j] + p1[j] * m1[j] + p2[j] * m2[j] + p3[j] * m3[j]
