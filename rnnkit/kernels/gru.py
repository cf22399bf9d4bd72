"""GRU recurrence (both Keras variants), forward and backward through time.

Gate order z, r, h (Keras). ``x = x_t @ W + b_x`` is precomputed by the layer;
``m_g`` is the recurrent dropout mask of gate g (all ones without dropout).

reset_after=True (bias (2, 3n), the cuDNN / Keras 3 variant)::

    q_g = (h_{t-1} * m_g) @ U_g + b_h,g         (x = x_t @ W + b_x)
    z = rec_act(x_z + q_z)    r = rec_act(x_r + q_r)    hh = act(x_h + r * q_h)

reset_after=False (bias (3n,), the Keras 2 default)::

    z = rec_act(x_z + (h_{t-1} * m_z) @ U_z)    r = rec_act(x_r + (h_{t-1} * m_r) @ U_r)
    hh = act(x_h + (r * h_{t-1} * m_h) @ U_h)

    h_t = z * h_{t-1} + (1 - z) * hh      (the interpolation uses the undropped h_{t-1})

``aux`` keeps the h-block value the backward needs: ``q_h`` (reset_after) or
``r * h_{t-1} * m_h`` (the left factor of ``U_h``). Backward, per step::

    d_z = dh * (h_{t-1} - hh) * rec_act'(z)     d_hh = dh * (1 - z) * act'(hh)
    reset_after:  d_r = d_hh * q_h * rec_act'(r);   d_q = [d_z, d_r, d_hh * r]  (gradient at q)
    otherwise:    d_q = d_hh (gradient at the U_h product);  d_rh = d_q @ U_h^T
                  d_r = d_rh * h_{t-1} * m_h * rec_act'(r)
    dh_{t-1} = dh * z + sum over gates (d_q_g @ U_g^T) * m_g   (+ d_rh * r * m_h)
"""

import numpy as np
from numba import njit

from rnnkit.kernels.activations import activate, derivative
from rnnkit.kernels.blas import gemm, gemm_ut
from rnnkit.kernels.loops import add2, copy1, fill1, fill2, masked_rows, mul2


@njit(cache=True, nogil=True, error_model="numpy")
def gru_forward(gates, U, bias, rmask, mask, act_code, rec_code, reset_after, exact, h_all, aux):
    """Run the GRU recurrence.

    Args:
        gates: (T, B, 3n) input projections ``x_t @ W``; overwritten with z, r, hh.
        U: (n, 3n) recurrent kernel.
        bias: (2, 3n): input bias ``b_x`` and recurrent bias ``b_h`` (zeros where absent).
        rmask: (R, B, n) recurrent dropout masks, R = 0, 1 or 3 (per gate).
        mask: (T, B) bool, or shape (0, 0) for no mask.
        act_code, rec_code: activation codes.
        reset_after: which variant.
        exact: exact tanh / sigmoid (float64) instead of the fast float32 approximation.
        h_all: (T+1, B, n); index 0 holds the initial state, the rest is written.
        aux: (T, B, n) written with the h-block value the backward needs (see module doc).
    """
    steps, batch, three_n = gates.shape
    n = three_n // 3
    n_masks = rmask.shape[0]
    # The h gate's mask: 2 per gate, 0 shared. A variable, not a constant, in every call
    # of masked_rows: a constant index would compile it once more for that value.
    h_mask = max(n_masks - 1, 0)
    has_mask = mask.shape[0] > 0
    hm = np.empty((batch, n), gates.dtype)
    zr = slice(0, 2 * n)
    hb = slice(2 * n, 3 * n)
    for t in range(steps):
        h_prev = h_all[t]
        g_t = gates[t]
        # Recurrent products of z and r accumulate into the gates; reset_after's h block
        # goes to aux (q_h), as r multiplies it after the product.
        if n_masks <= 1:
            src = h_prev
            if n_masks == 1:
                masked_rows(h_prev, rmask, h_mask, hm)
                src = hm
            gemm(src, U[:, zr], g_t[:, zr], False, False, 1.0)
            if reset_after:
                gemm(src, U[:, hb], aux[t], False, False, 0.0)
        else:
            for g in range(2):
                block = slice(g * n, (g + 1) * n)
                masked_rows(h_prev, rmask, g, hm)
                gemm(hm, U[:, block], g_t[:, block], False, False, 1.0)
            if reset_after:
                masked_rows(h_prev, rmask, h_mask, hm)
                gemm(hm, U[:, hb], aux[t], False, False, 0.0)
        for b in range(batch):
            if has_mask and not mask[t, b]:
                fill1(aux[t, b], 0.0)
                continue
            a = g_t[b]
            for j in range(three_n):
                a[j] += bias[0, j]
            for j in range(2 * n):
                a[j] += bias[1, j]
            activate(rec_code, a[: 2 * n], exact)
            if reset_after:
                for j in range(n):
                    q = aux[t, b, j] + bias[1, 2 * n + j]
                    aux[t, b, j] = q
                    a[2 * n + j] += a[n + j] * q
            elif n_masks == 0:
                for j in range(n):
                    aux[t, b, j] = a[n + j] * h_prev[b, j]
            else:
                m_h = rmask[h_mask, b]
                for j in range(n):
                    aux[t, b, j] = a[n + j] * h_prev[b, j] * m_h[j]
        if not reset_after:
            gemm(aux[t], U[:, hb], g_t[:, hb], False, False, 1.0)
        for b in range(batch):
            h_new = h_all[t + 1, b]
            if has_mask and not mask[t, b]:
                copy1(h_prev[b], h_new)
                continue
            a = g_t[b]
            activate(act_code, a[2 * n :], exact)
            for j in range(n):
                z = a[j]
                h_new[j] = z * h_prev[b, j] + (1.0 - z) * a[2 * n + j]


@njit(cache=True, nogil=True, error_model="numpy")
def gru_backward(
    gates,
    h_all,
    aux,
    W,
    w_is_ut,
    rmask,
    mask,
    act_code,
    rec_code,
    reset_after,
    d_hs,
    d_h,
    d_a,
    d_bias,
):
    """Backpropagate through the GRU recurrence.

    Args:
        gates, h_all, aux: what :func:`gru_forward` wrote. With ``reset_after``, ``aux``
            (``q_h``) is overwritten with the gradient at ``q_h``.
        W, w_is_ut: the recurrent kernel U (n, 3n), or (``w_is_ut``) a contiguous copy of
            U^T (3n, n), which BLAS reads faster (:func:`rnnkit.kernels.blas.gemm_ut`).
        rmask, mask, act_code, rec_code, reset_after: as in the forward.
        d_hs: (T, B, n) gradient arriving at each ``h_t`` from the outputs, or shape
            (0, 0, 0) when only the final state receives gradient.
        d_h: (B, n) gradient at the final state; overwritten with the gradient at the
            initial state.
        d_a: (T, B, 3n) written with the gradient at the input projections (zero on
            masked rows). May be ``gates`` itself: each step's gates are read before its
            gradient overwrites them, which saves a (T, B, 3n) buffer.
        d_bias: (2, 3n) written with the sums of ``d_a`` (row 0) and of the gradient at
            the h block of the recurrent product (row 1, h block: reset_after's
            recurrent h bias).

    The gradient at the recurrent products is then, per step: reset_after, at
    ``q = h_{t-1} @ U``: ``[d_a_z, d_a_r, aux]``; otherwise ``[d_a_z, d_a_r]`` at
    ``h_{t-1} @ U_zr`` and ``d_a_h`` at ``aux @ U_h``.
    """
    steps, batch, three_n = gates.shape
    n = three_n // 3
    n_masks = rmask.shape[0]
    has_mask = mask.shape[0] > 0
    has_seq = d_hs.shape[0] > 0
    dt = gates.dtype
    d_gate = np.empty(three_n, dt)
    d_prev = np.empty((batch, n), dt)
    d_rh = np.empty((batch, n), dt)
    d_r_gate = np.empty((batch, n), dt)
    r_kept = np.empty((batch, n), dt)
    part = np.empty((batch, n), dt)
    zr = slice(0, 2 * n)
    hb = slice(2 * n, 3 * n)
    h_mask = max(n_masks - 1, 0)  # the h gate's mask, as in the forward
    fill2(d_bias, 0.0)
    for t in range(steps - 1, -1, -1):
        if has_seq:
            add2(d_h, d_hs[t])
        h_prev = h_all[t]
        for b in range(batch):
            da = d_a[t, b]
            if has_mask and not mask[t, b]:
                fill1(da, 0.0)
                if reset_after:
                    fill1(aux[t, b], 0.0)
                continue
            a = gates[t, b]
            derivative(rec_code, a[: 2 * n], d_gate[: 2 * n])
            derivative(act_code, a[2 * n :], d_gate[2 * n :])
            for j in range(n):
                dh = d_h[b, j]
                z = a[j]
                r = a[n + j]
                hh = a[2 * n + j]
                d_hh = dh * (1.0 - z) * d_gate[2 * n + j]
                d_prev[b, j] = dh * z  # the direct path through z * h_{t-1}
                da[j] = dh * (h_prev[b, j] - hh) * d_gate[j]
                da[2 * n + j] = d_hh
                if reset_after:
                    da[n + j] = d_hh * aux[t, b, j] * d_gate[n + j]
                    aux[t, b, j] = d_hh * r
                else:
                    d_r_gate[b, j] = d_gate[n + j]
                    r_kept[b, j] = r
        if not reset_after:
            gemm_ut(d_a[t, :, hb], W, 2 * n, three_n, d_rh, w_is_ut, 0.0)
            for b in range(batch):
                if has_mask and not mask[t, b]:
                    continue
                for j in range(n):
                    m_h = 1.0
                    if n_masks > 0:
                        m_h = rmask[h_mask, b, j]
                    d_a[t, b, n + j] = d_rh[b, j] * h_prev[b, j] * m_h * d_r_gate[b, j]
                    d_prev[b, j] += d_rh[b, j] * r_kept[b, j] * m_h
        for b in range(batch):
            if has_mask and not mask[t, b]:
                continue
            for j in range(three_n):
                d_bias[0, j] += d_a[t, b, j]
            for j in range(n):
                d_bias[1, 2 * n + j] += aux[t, b, j] if reset_after else d_a[t, b, 2 * n + j]
        # Recurrent products: d_q_g @ U_g^T, masked per gate.
        if n_masks <= 1:
            gemm_ut(d_a[t, :, zr], W, 0, 2 * n, part, w_is_ut, 0.0)
            if reset_after:
                gemm_ut(aux[t], W, 2 * n, three_n, part, w_is_ut, 1.0)
            if n_masks == 1:
                mul2(part, rmask[0])
            for b in range(batch):
                for j in range(n):
                    d_prev[b, j] += part[b, j]
        else:
            for g in range(3 if reset_after else 2):
                block = slice(g * n, (g + 1) * n)
                if g == 2:
                    gemm_ut(aux[t], W, g * n, (g + 1) * n, part, w_is_ut, 0.0)
                else:
                    gemm_ut(d_a[t, :, block], W, g * n, (g + 1) * n, part, w_is_ut, 0.0)
                m = rmask[g]
                for b in range(batch):
                    for j in range(n):
                        d_prev[b, j] += part[b, j] * m[b, j]
        for b in range(batch):
            if not has_mask or mask[t, b]:
                copy1(d_prev[b], d_h[b])
