"""Whole-sequence products under per-gate dropout masks, a block of rows at a time.

With ``implementation=1`` every gate g has its own mask ``m_g`` (batch, features),
fixed over time, so gate g's block of a product sees its own masked copy of the left
factor. The rows of a sequence (step t, sample b; row ``t * B + b``) are taken a block
at a time: the block's masked copy for one gate is made while it fits in cache and goes
straight into that gate's column block of the product. FLOPs are those of the unmasked
product; the copies cost one pass over the block per gate::

    z[:, block g]   = (x * m_g) @ W[:, block g]                   (masked_product)
    d_W[:, block g] = (x * m_g)^T @ d_z[:, block g]                 (masked_gradients)
    d_x             = sum over g of (d_z[:, block g] @ W[:, block g]^T) * m_g

The same holds for the recurrent kernel with ``h_{t-1}`` in place of ``x``. The
gradients come from one pass over ``d_z``'s blocks (:func:`masked_gradients`): the
kernel's, the input's when it is wanted, and the recurrent kernel's where it is taken
against the same columns of ``d_z`` (LSTM: all four gates; GRU: z and r), so the
largest operand is read from memory once.

Every function takes the sequence flattened to rows (2-D); row r belongs to sample
``r % B``, B being the masks' batch size.
"""

import threading
from collections.abc import Callable
from typing import Any

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


def _signature(real: types.Type, gradients: bool) -> Any:
    """The one signature a masked product is compiled with for one float type.

    Arrays that only reach BLAS (the right factor, the outputs) take any layout at no
    cost; listed, the signature keeps the callers' contiguous arrays and column blocks
    from compiling a version each (0.9 s apiece). ``gradients``: the signature of
    :func:`masked_gradients`, else of :func:`masked_product`.
    """
    rows = types.Array(real, 2, "C", readonly=True)  # writable arrays convert
    right = types.Array(real, 2, "A", readonly=True)
    masks = types.Array(real, 3, "C", readonly=True)
    out = types.Array(real, 2, "A")
    if gradients:
        return types.void(rows, rows, right, masks, masks, right, out, out, out, types.int64)
    return types.void(rows, right, masks, out, types.int64)


_COMPILED: dict[tuple[str, np.dtype], Any] = {}
_COMPILING = threading.Lock()  # the parts of a split call may ask at once


def _compiled(function: Callable[..., None], gradients: bool, dtype: np.dtype) -> Any:
    """``function`` compiled for ``dtype`` (float32 or float64): on first use, then cached.

    Each dtype is compiled when a layer of that dtype first needs it (about 0.6 and 1.4
    s for the two products in float64; docs/benchmarks.md, "Compilation", session 9),
    not when rnnkit is imported, so float32 work never pays for the float64 versions.
    """
    key = (function.__name__, np.dtype(dtype))
    if key[1] not in (np.float32, np.float64):
        raise TypeError(f"{function.__name__[1:]}: float32 or float64 arrays; got {key[1]}.")
    kernel = _COMPILED.get(key)
    if kernel is None:
        with _COMPILING:
            kernel = _COMPILED.get(key)
            if kernel is None:
                real = types.float32 if key[1] == np.float32 else types.float64
                options = {"cache": True, "nogil": True, "error_model": "numpy"}
                kernel = njit([_signature(real, gradients)], **options)(function)
                _COMPILED[key] = kernel
    return kernel


def masked_product(
    x: np.ndarray, w: np.ndarray, masks: np.ndarray, out: np.ndarray, block_rows: int
) -> None:
    """The input projection under per-gate masks: ``out[:, block g] = (x * m_g) @ w[:, block g]``.

    Args:
        x: (R, F) rows of the sequence, R a multiple of the batch size.
        w: (F, G*n) weights: G blocks of n columns.
        masks: (G, B, F) per-block masks.
        out: (R, G*n) written (strided rows, or a column block of a wider array, are fine).
        block_rows: rows per block (:data:`BLOCK_ROWS`).
    """
    _compiled(_masked_product, False, x.dtype)(x, w, masks, out, block_rows)


def _masked_product(x, w, masks, out, block_rows):  # compiled by _compiled
    rows, features = x.shape
    blocks, batch = masks.shape[0], masks.shape[1]
    width = out.shape[1] // blocks
    buffer = np.empty((min(rows, block_rows), features), x.dtype)
    for start in range(0, rows, block_rows):
        stop = min(start + block_rows, rows)
        for g in range(blocks):
            _mask_rows(x, start, stop, masks[g], batch, buffer)
            cols = slice(g * width, (g + 1) * width)
            gemm(buffer[: stop - start], w[:, cols], out[start:stop, cols], False, False, 0.0)


def masked_gradients(
    x: np.ndarray,
    h: np.ndarray,
    d: np.ndarray,
    x_masks: np.ndarray,
    h_masks: np.ndarray,
    w: np.ndarray,
    x_out: np.ndarray,
    h_out: np.ndarray,
    dx_out: np.ndarray,
    block_rows: int,
) -> None:
    """Gradients under per-gate masks, all from one pass over the blocks of ``d``.

    ::

        x_out[:, block g] = (x * mx_g)^T @ d[:, block g]          for every block g
        h_out[:, block g] = (h * mh_g)^T @ d[:, block g]          for the first P blocks
        dx_out            = sum over g of (d[:, block g] @ w[:, block g]^T) * mx_g

    P = ``h_masks.shape[0]`` (0: no ``h`` product); ``dx_out`` is made only when it has
    rows. Each block of ``d``'s rows serves every product while it is in cache, so
    ``d``, the largest operand, is read from memory once (docs/benchmarks.md, "Dropout
    and recurrent dropout", session 9).

    Args:
        x: (R, F) rows of the sequence (inputs, or ``h_{t-1}`` alone), R a multiple of
            the batch size.
        h: (R, n) rows of ``h_{t-1}``; not read when P = 0 (then any C-contiguous
            (R, k) array of the dtype, e.g. ``x``).
        d: (R, G*c) gradient at the products (rows may be strided): G blocks of c columns.
        x_masks: (G, B, F) per-block masks of ``x``.
        h_masks: (P, B, n) per-block masks of ``h`` for the first P blocks.
        w: (F, G*c) the weights ``x`` meets (read for ``dx_out`` only).
        x_out: (F, G*c) written.
        h_out: (n, P*c) written (a column block of a wider array is fine); not written
            when P = 0.
        dx_out: (R, F) written, or shape (0, F): no input gradient.
        block_rows: rows per block (:data:`BLOCK_ROWS`).
    """
    kernel = _compiled(_masked_gradients, True, x.dtype)
    kernel(x, h, d, x_masks, h_masks, w, x_out, h_out, dx_out, block_rows)


def _masked_gradients(x, h, d, x_masks, h_masks, w, x_out, h_out, dx_out, block_rows):
    rows, features = x.shape
    blocks, batch = x_masks.shape[0], x_masks.shape[1]
    paired = h_masks.shape[0]
    input_gradient = dx_out.shape[0] > 0
    width = d.shape[1] // blocks
    block = min(rows, block_rows)
    x_buffer = np.empty((block, features), x.dtype)
    h_buffer = np.empty((block if paired else 0, h.shape[1]), x.dtype)
    part = np.empty((block if input_gradient else 0, features), x.dtype)
    for start in range(0, rows, block_rows):
        stop = min(start + block_rows, rows)
        beta = 0.0 if start == 0 else 1.0
        for g in range(blocks):
            cols = slice(g * width, (g + 1) * width)
            grad = d[start:stop, cols]
            _mask_rows(x, start, stop, x_masks[g], batch, x_buffer)
            gemm(x_buffer[: stop - start], grad, x_out[:, cols], True, False, beta)
            if g < paired:
                _mask_rows(h, start, stop, h_masks[g], batch, h_buffer)
                gemm(h_buffer[: stop - start], grad, h_out[:, cols], True, False, beta)
            if input_gradient:
                gemm(grad, w[:, cols], part[: stop - start], False, True, 0.0)
                m = x_masks[g]
                for r in range(start, stop):
                    mr = m[r % batch]
                    src = part[r - start]
                    target = dx_out[r]
                    if g == 0:
                        for f in range(features):
                            target[f] = src[f] * mr[f]
                    else:
                        for f in range(features):
                            target[f] += src[f] * mr[f]
