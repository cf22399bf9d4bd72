"""Whole-sequence products under per-gate dropout masks, a block of rows at a time.

With ``implementation=1`` every gate g has its own mask ``m_g`` (batch, features),
fixed over time, so gate g's block of a product sees its own masked copy of the left
factor. The rows of a sequence (step t, sample b; row ``t * B + b``) are taken a block
at a time: the block's masked copy for one gate is made while it fits in cache and goes
straight into that gate's column block of the product. FLOPs are those of the unmasked
product; the copies cost one pass over the block per gate::

    z[:, block g]   = (x * m_g) @ W[:, block g]
    d_x             = sum over g of (d_z[:, block g] @ W[:, block g]^T) * m_g
    d_W[:, block g] = (x * m_g)^T @ d_z[:, block g]

Both functions take the sequence flattened to rows (2-D); row r belongs to sample
``r % B``, B being the masks' batch size. The same holds for the recurrent kernel with
``h_{t-1}`` in place of ``x``.
"""

import numpy as np
from numba import njit, types

from rnnkit.kernels.blas import gemm

BLOCK_ROWS = 256
"""Rows per block (what the layers pass as ``block_rows``). A (256, 128) float32 copy is
128 KiB: it and the block of ``x`` it is made from stay in a core's L2 cache (512 KiB on
this project's machine, a Zen 3 EPYC) while BLAS reads them. LSTM training step 64x200x128x128 with
dropout 0.2 + recurrent 0.2, 2 threads, block sizes alternated in one process (a
one-off driver, not kept; 41 rounds, three runs): 256 rows 0.5-2% faster than 1024 in
each run, 128 the same as 256 (docs/benchmarks.md, "Dropout and recurrent dropout")."""


@njit(cache=True, nogil=True, error_model="numpy")
def _mask_rows(x, start, stop, mask, batch, out):
    """``out[r - start] = x[r] * mask[r % batch]`` for rows ``start .. stop - 1``."""
    for r in range(start, stop):
        m = mask[r % batch]
        row = x[r]
        target = out[r - start]
        for f in range(row.shape[0]):
            target[f] = row[f] * m[f]


def _product_signatures() -> list:
    """``masked_product`` compiled once per float dtype (when first imported; cached).

    ``right`` and ``out`` only reach BLAS, so any layout serves them at no cost; listed,
    the signatures keep the callers' contiguous arrays and column blocks from compiling
    a version each (0.9 s apiece).
    """
    signatures = []
    for real in (types.float32, types.float64):
        rows = types.Array(real, 2, "C", readonly=True)  # writable arrays convert
        right = types.Array(real, 2, "A", readonly=True)
        masks = types.Array(real, 3, "C", readonly=True)
        out = types.Array(real, 2, "A")
        signatures.append(types.void(rows, right, masks, out, types.int64, types.boolean))
    return signatures


@njit(_product_signatures(), cache=True, nogil=True, error_model="numpy")
def masked_product(x, right, masks, out, block_rows, transposed):
    """Products whose left factor is ``x`` under gate g's mask, block by block.

    ``transposed`` False (the input projection)::

        out[:, block g] = (x * m_g) @ right[:, block g]

    ``transposed`` True (the weight gradient, summed over the blocks)::

        out[:, block g] = (x * m_g)^T @ right[:, block g]

    One function for both modes, compiled once per dtype (see its listed signatures).

    Args:
        x: (R, F) rows of the sequence (inputs, or ``h_{t-1}``), R a multiple of the
            batch size.
        right: (F, G*n) weights, or (R, G*n) the gradient at the products (rows may be
            strided); G blocks of n columns.
        masks: (G, B, F) per-block masks.
        out: (R, G*n) or (F, G*n) written (strided rows, or a column block of a wider
            array, are fine).
        block_rows: rows per block (:data:`BLOCK_ROWS`).
        transposed: which of the two products.
    """
    rows, features = x.shape
    blocks, batch = masks.shape[0], masks.shape[1]
    width = out.shape[1] // blocks
    buffer = np.empty((min(rows, block_rows), features), x.dtype)
    for start in range(0, rows, block_rows):
        stop = min(start + block_rows, rows)
        for g in range(blocks):
            _mask_rows(x, start, stop, masks[g], batch, buffer)
            cols = slice(g * width, (g + 1) * width)
            left = buffer[: stop - start]
            if transposed:
                beta = 0.0 if start == 0 else 1.0
                gemm(left, right[start:stop, cols], out[:, cols], True, False, beta)
            else:
                gemm(left, right[:, cols], out[start:stop, cols], False, False, 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def masked_product_transposed(d, w, masks, out, block_rows):
    """``out = sum over g of (d[:, block g] @ w[:, block g]^T) * m_g`` (the input gradient).

    Args:
        d: (R, G*n) gradient at the products (rows may be strided).
        w: (F, G*n) weights.
        masks: (G, B, F) per-block masks.
        out: (R, F) written.
        block_rows: rows per block.
    """
    rows, features = out.shape
    blocks, batch = masks.shape[0], masks.shape[1]
    width = w.shape[1] // blocks
    part = np.empty((min(rows, block_rows), features), out.dtype)
    for start in range(0, rows, block_rows):
        stop = min(start + block_rows, rows)
        for g in range(blocks):
            cols = slice(g * width, (g + 1) * width)
            gemm(d[start:stop, cols], w[:, cols], part[: stop - start], False, True, 0.0)
            m = masks[g]
            for r in range(start, stop):
                mr = m[r % batch]
                src = part[r - start]
                target = out[r]
                if g == 0:
                    for f in range(features):
                        target[f] = src[f] * mr[f]
                else:
                    for f in range(features):
                        target[f] += src[f] * mr[f]
