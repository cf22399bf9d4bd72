"""GRU recurrence (both Keras variants), forward and backward through time.

Gate order z, r, h (Keras). ``x = x_t @ W + b_x`` is precomputed by the layer;
``m_g`` is the recurrent dropout mask of gate g (all ones without dropout).

reset_after=True (bias (2, 3n), the cuDNN / Keras 3 variant)::

    q_g = (h_{t-1} * m_g) @ U_g + b_h,g
    z = rec_act(x_z + q_z)    r = rec_act(x_r + q_r)    hh = act(x_h + r * q_h)

reset_after=False (bias (3n,), the Keras 2 default)::

    z = rec_act(x_z + (h_{t-1} * m_z) @ U_z)    r = rec_act(x_r + (h_{t-1} * m_r) @ U_r)
    hh = act(x_h + (r * h_{t-1} * m_h) @ U_h)

    h_t = z * h_{t-1} + (1 - z) * hh      (the interpolation uses the undropped h_{t-1})

``aux`` keeps the h-block value the backward needs: ``q_h`` (reset_after) or
``r * h_{t-1} * m_h`` (the left factor of ``U_h``). Backward, per step::

    d_z = dh * (h_{t-1} - hh) * rec_act'(z)     d_hh = dh * (1 - z) * act'(hh)
    reset_after:  d_r = d_hh * q_h * rec_act'(r);   d_aux = d_hh * r   (gradient at q_h)
    otherwise:    d_aux = d_hh (gradient at the U_h product);  d_rh = d_aux @ U_h^T
                  d_r = d_rh * h_{t-1} * m_h * rec_act'(r)
    dh_{t-1} = dh * z + sum over gates (d_q_g @ U_g^T) * m_g   (+ d_rh * r * m_h)
"""

import numpy as np
from numba import njit

from rnnkit.kernels.activations import activate, derivative


@njit(cache=True, error_model="numpy")
def _mask_rows(h_prev, rmask, index, out):
    """``out = h_prev * rmask[index]`` (or a copy without masks)."""
    if rmask.shape[0] == 0:
        out[:, :] = h_prev
    else:
        m = rmask[index if rmask.shape[0] > 1 else 0]
        for b in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[b, j] = h_prev[b, j] * m[b, j]


@njit(cache=True, error_model="numpy")
def gru_forward(gates, U, Uh, b_h, rmask, mask, act_code, rec_code, reset_after, exact, h_all, aux):
    """Run the GRU recurrence.

    Args:
        gates: (T, B, 3n) input projections ``x_t @ W + b_x``; overwritten with z, r, hh.
        U: recurrent kernel blocks. reset_after: (1, n, 3n) fused or (3, n, n) per gate;
            otherwise (1, n, 2n) for z and r fused or (3, n, n) per gate.
        Uh: (n, n) the h block of the recurrent kernel (used when not reset_after).
        b_h: (3n,) recurrent bias (reset_after; zeros otherwise).
        rmask: (R, B, n) recurrent dropout masks, R = 0, 1 or 3 (then U is per gate).
        mask: (T, B) bool, or shape (0, 0) for no mask.
        act_code, rec_code: activation codes.
        reset_after: which variant.
        exact: exact tanh / sigmoid (float64) instead of the fast float32 approximation.
        h_all: (T+1, B, n); index 0 holds the initial state, the rest is written.
        aux: (T, B, n) written with the h-block value the backward needs (see module doc).
    """
    steps, batch, three_n = gates.shape
    n = three_n // 3
    split = U.shape[0]
    n_blocks = 3 if reset_after else 2
    has_mask = mask.shape[0] > 0
    dt = gates.dtype
    rec = np.empty((batch, three_n), dt)
    fused = np.empty((batch, U.shape[2]), dt)
    hm = np.empty((batch, n), dt)
    part = np.empty((batch, n), dt)
    for t in range(steps):
        h_prev = h_all[t]
        if split == 1:
            _mask_rows(h_prev, rmask, 0, hm)
            np.dot(hm, U[0], fused)
            rec[:, : U.shape[2]] = fused
        else:
            for g in range(n_blocks):
                _mask_rows(h_prev, rmask, g, hm)
                np.dot(hm, U[g], part)
                rec[:, g * n : (g + 1) * n] = part
        for b in range(batch):
            a = gates[t, b]
            if has_mask and not mask[t, b]:
                aux[t, b] = 0.0
                continue
            if reset_after:
                for j in range(three_n):
                    rec[b, j] += b_h[j]
            for j in range(2 * n):
                a[j] += rec[b, j]
            activate(rec_code, a[: 2 * n], exact)
            if reset_after:
                for j in range(n):
                    q = rec[b, 2 * n + j]
                    aux[t, b, j] = q
                    a[2 * n + j] += a[n + j] * q
            else:
                m_h = 1.0
                for j in range(n):
                    if rmask.shape[0] > 0:
                        m_h = rmask[2 if rmask.shape[0] > 1 else 0, b, j]
                    aux[t, b, j] = a[n + j] * h_prev[b, j] * m_h
        if not reset_after:
            np.dot(aux[t], Uh, part)
        for b in range(batch):
            h_new = h_all[t + 1, b]
            if has_mask and not mask[t, b]:
                h_new[:] = h_prev[b]
                continue
            a = gates[t, b]
            if not reset_after:
                for j in range(n):
                    a[2 * n + j] += part[b, j]
            activate(act_code, a[2 * n :], exact)
            for j in range(n):
                z = a[j]
                h_new[j] = z * h_prev[b, j] + (1.0 - z) * a[2 * n + j]


@njit(cache=True, error_model="numpy")
def gru_backward(
    gates, h_all, aux, UT, UhT, rmask, mask, act_code, rec_code, reset_after, d_hs, d_h, d_a, d_aux
):
    """Backpropagate through the GRU recurrence.

    Args:
        gates, h_all, aux: what :func:`gru_forward` wrote.
        UT: transposed blocks of ``U`` as passed to the forward: (1, 3n or 2n, n) or (3, n, n).
        UhT: (n, n) transposed h block (used when not reset_after).
        rmask, mask, act_code, rec_code, reset_after: as in the forward.
        d_hs: (T, B, n) gradient arriving at each ``h_t`` from the outputs, or shape
            (0, 0, 0) when only the final state receives gradient.
        d_h: (B, n) gradient at the final state; overwritten with the gradient at the
            initial state.
        d_a: (T, B, 3n) written with the gradient at the input projections.
        d_aux: (T, B, n) written with the gradient at the h-block recurrent product
            (``q_h`` for reset_after, ``aux @ U_h`` otherwise).
    """
    steps, batch, three_n = gates.shape
    n = three_n // 3
    split = UT.shape[0]
    n_blocks = 3 if reset_after else 2
    n_masks = rmask.shape[0]
    has_mask = mask.shape[0] > 0
    has_seq = d_hs.shape[0] > 0
    dt = gates.dtype
    d_gate = np.empty(three_n, dt)
    d_prev = np.empty((batch, n), dt)
    d_rh = np.empty((batch, n), dt)
    d_r_gate = np.empty((batch, n), dt)
    fused_in = np.empty((batch, UT.shape[1]), dt)
    part_in = np.empty((batch, n), dt)
    part_out = np.empty((batch, n), dt)
    for t in range(steps - 1, -1, -1):
        if has_seq:
            d_h += d_hs[t]
        h_prev = h_all[t]
        for b in range(batch):
            da = d_a[t, b]
            if has_mask and not mask[t, b]:
                da[:] = 0.0
                d_aux[t, b] = 0.0
                continue
            a = gates[t, b]
            derivative(rec_code, a[: 2 * n], d_gate[: 2 * n])
            derivative(act_code, a[2 * n :], d_gate[2 * n :])
            for j in range(n):
                dh = d_h[b, j]
                z = a[j]
                da[j] = dh * (h_prev[b, j] - a[2 * n + j]) * d_gate[j]
                d_hh = dh * (1.0 - z) * d_gate[2 * n + j]
                da[2 * n + j] = d_hh
                if reset_after:
                    da[n + j] = d_hh * aux[t, b, j] * d_gate[n + j]
                    d_aux[t, b, j] = d_hh * a[n + j]
                else:
                    d_aux[t, b, j] = d_hh
                    d_r_gate[b, j] = d_gate[n + j]
        # Direct path through the interpolation z * h_{t-1}.
        for b in range(batch):
            for j in range(n):
                d_prev[b, j] = d_h[b, j] * gates[t, b, j]
        if not reset_after:
            np.dot(d_aux[t], UhT, d_rh)
            for b in range(batch):
                if has_mask and not mask[t, b]:
                    continue
                for j in range(n):
                    m_h = 1.0
                    if n_masks > 0:
                        m_h = rmask[2 if n_masks > 1 else 0, b, j]
                    d_r = d_rh[b, j] * h_prev[b, j] * m_h
                    d_a[t, b, n + j] = d_r * d_r_gate[b, j]
                    d_prev[b, j] += d_rh[b, j] * gates[t, b, n + j] * m_h
        # Recurrent products: d_q_g @ U_g^T, masked per gate.
        if split == 1:
            for b in range(batch):
                for j in range(2 * n):
                    fused_in[b, j] = d_a[t, b, j]
                if reset_after:
                    for j in range(n):
                        fused_in[b, 2 * n + j] = d_aux[t, b, j]
            np.dot(fused_in, UT[0], part_out)
            if n_masks == 0:
                d_prev += part_out
            else:
                d_prev += part_out * rmask[0]
        else:
            for g in range(n_blocks):
                if g < 2:
                    part_in[:, :] = d_a[t, :, g * n : (g + 1) * n]
                else:
                    part_in[:, :] = d_aux[t]
                np.dot(part_in, UT[g], part_out)
                d_prev += part_out * rmask[g]
        for b in range(batch):
            if not has_mask or mask[t, b]:
                d_h[b] = d_prev[b]
