"""The returned sequence under a mask, and its backward.

A masked step carries the state, and its output is either zeros
(``zero_output_for_mask``) or the previous step's output, which is zeros before the
first valid step. The recurrent kernels therefore only see ``h``; these two kernels
turn the per-step states into the returned outputs and route output gradients back.
"""

from numba import njit

from rnnkit.kernels.loops import copy1, fill1


@njit(cache=True, nogil=True, error_model="numpy")
def masked_outputs(h_all, mask, zero_output, out):
    """Fill ``out`` (T, B, n) from states ``h_all`` (T+1, B, n) and ``mask`` (T, B)."""
    steps, batch, units = out.shape
    for b in range(batch):
        valid_seen = False
        for t in range(steps):
            if mask[t, b]:
                copy1(h_all[t + 1, b], out[t, b])
                valid_seen = True
            elif zero_output or not valid_seen:
                fill1(out[t, b], 0.0)
            else:
                copy1(out[t - 1, b], out[t, b])


@njit(cache=True, nogil=True, error_model="numpy")
def masked_outputs_backward(d_out, mask, zero_output, d_h):
    """Route ``d_out`` (T, B, n) to ``d_h`` (T, B, n): gradients w.r.t. each valid step's h."""
    steps, batch, units = d_out.shape
    for b in range(batch):
        for j in range(units):
            carry = 0.0
            for t in range(steps - 1, -1, -1):
                carry += d_out[t, b, j]
                if mask[t, b]:
                    d_h[t, b, j] = carry
                    carry = 0.0
                else:
                    d_h[t, b, j] = 0.0
                    if zero_output:
                        carry = 0.0
