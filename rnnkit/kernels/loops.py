"""Elementwise helpers for the kernels, written as plain loops.

Numba compiles array-level assignment and in-place operators (``a[:] = b``,
``a += b``) through its broadcasting machinery, whose error messages pull string
formatting into every kernel and cost seconds of compile time each. These loops
compile in milliseconds and run as fast.
"""

from numba import njit


@njit(cache=True, error_model="numpy")
def copy1(src, dst):
    """``dst[:] = src`` for 1-D arrays of one length."""
    for j in range(dst.shape[0]):
        dst[j] = src[j]


@njit(cache=True, error_model="numpy")
def fill1(dst, value):
    """``dst[:] = value`` for a 1-D array."""
    for j in range(dst.shape[0]):
        dst[j] = value


@njit(cache=True, error_model="numpy")
def fill2(dst, value):
    """``dst[:, :] = value`` for a 2-D array."""
    for i in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[i, j] = value


@njit(cache=True, error_model="numpy")
def add2(dst, src):
    """``dst += src`` for 2-D arrays of one shape."""
    for i in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[i, j] += src[i, j]


@njit(cache=True, error_model="numpy")
def mul2(dst, src):
    """``dst *= src`` for 2-D arrays of one shape."""
    for i in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[i, j] *= src[i, j]


@njit(cache=True, error_model="numpy")
def masked_rows(h, rmask, index, out):
    """``out = h * rmask[index]`` for (B, n) arrays; the shared mask when there is one."""
    m = rmask[index if rmask.shape[0] > 1 else 0]
    for b in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[b, j] = h[b, j] * m[b, j]
