"""Whole-sequence products under per-gate dropout masks, one sample at a time.

With ``implementation=1`` every gate g has its own mask ``m_g`` (batch, features),
fixed over time. Masking the input once per gate would make G copies of the whole
sequence and G narrow products. Because a mask only depends on the sample, each
sample b can instead use the gate-masked weights ``W_b = [m_g[b] (row-scale) W_g]_g``
in one full-width product over its time steps::

    z[:, b]        = x[:, b] @ W_b                      (T, G*n)
    d_x[:, b]      = d_z[:, b] @ W_b^T                  (T, F)
    d_W[:, block g] += m_g[b] (row-scale) (x[:, b]^T @ d_z[:, b])[:, block g]

The same holds for the recurrent kernel with ``h_{t-1}`` in place of ``x``. FLOPs are
those of the unmasked products and no masked copy of the sequence is made.
"""

import numpy as np
from numba import njit

from rnnkit.kernels.blas import gemm


@njit(cache=True, nogil=True, error_model="numpy")
def _scale_rows(w, masks, b, out):
    """``out[:, block g] = masks[g, b][:, None] * w[:, block g]`` for every block."""
    blocks = masks.shape[0]
    width = w.shape[1] // blocks
    for f in range(w.shape[0]):
        for g in range(blocks):
            s = masks[g, b, f]
            for j in range(g * width, (g + 1) * width):
                out[f, j] = w[f, j] * s


@njit(cache=True, nogil=True, error_model="numpy")
def masked_product(x, w, masks, out):
    """``out[:, b] = x[:, b] @ W_b`` for every sample.

    Args:
        x: (T, B, F) time-major input.
        w: (F, G*n) weights, G blocks of n columns.
        masks: (G, B, F) per-block masks.
        out: (T, B, G*n) written.
    """
    w_b = np.empty((w.shape[0], w.shape[1]), w.dtype)
    for b in range(x.shape[1]):
        _scale_rows(w, masks, b, w_b)
        gemm(x[:, b, :], w_b, out[:, b, :], False, False, 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def masked_product_transposed(d, w, masks, out):
    """``out[:, b] = d[:, b] @ W_b^T`` for every sample (the input gradient).

    Args:
        d: (T, B, G*n) gradient at the products.
        w: (F, G*n) weights.
        masks: (G, B, F) per-block masks.
        out: (T, B, F) written.
    """
    w_b = np.empty((w.shape[0], w.shape[1]), w.dtype)
    for b in range(d.shape[1]):
        _scale_rows(w, masks, b, w_b)
        gemm(d[:, b, :], w_b, out[:, b, :], False, True, 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def masked_weight_gradient(x, d, masks, d_w):
    """``d_w = sum over samples of masks (row-scale) (x[:, b]^T @ d[:, b])``, per block.

    Args:
        x: (T, B, F) the left factor (inputs, or ``h_{t-1}``).
        d: (T, B, G*n) gradient at the products (may be a column block of a wider array).
        masks: (G, B, F) per-block masks.
        d_w: (F, G*n) written (may be a column block of a wider array).
    """
    part = np.empty((d_w.shape[0], d_w.shape[1]), d_w.dtype)
    blocks = masks.shape[0]
    width = d_w.shape[1] // blocks
    for f in range(d_w.shape[0]):
        for j in range(d_w.shape[1]):
            d_w[f, j] = 0.0
    for b in range(x.shape[1]):
        gemm(x[:, b, :], d[:, b, :], part, True, False, 0.0)
        for f in range(d_w.shape[0]):
            for g in range(blocks):
                s = masks[g, b, f]
                for j in range(g * width, (g + 1) * width):
                    d_w[f, j] += part[f, j] * s
