"""Matrix products, all through one BLAS.

NumPy and SciPy each ship an OpenBLAS with its own thread pool. The per-step products
inside the compiled recurrences go through SciPy's (Numba's ``np.dot``); if the
whole-sequence products went through NumPy's ``@``, the two pools would spin against
each other on the same cores (measured: a 2-thread training step 2x slower than a
1-thread one). So every product in rnnkit calls :func:`matmul`, which runs in the
same BLAS as the kernels.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _dot(a, b, out):
    np.dot(a, b, out)


def _contiguous(a: np.ndarray) -> np.ndarray:
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return a
    return np.ascontiguousarray(a)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D float arrays of one dtype (transposed views are free).

    Args:
        a: (m, k), C- or F-contiguous (other layouts are copied).
        b: (k, n), likewise.
        out: optional C-contiguous (m, n) array to write into.

    Returns:
        ``out``, or a new C-contiguous (m, n) array.
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    _dot(_contiguous(a), _contiguous(b), out)
    return out
