"""General matrix products through BLAS ``?gemm``, from compiled kernels and from Python.

Numba's ``np.dot`` only multiplies whole contiguous matrices into a fresh output. The
recurrences need more of ``gemm``: accumulating into the gate pre-activations in place
(``beta = 1``), multiplying gate blocks of a fused matrix (a leading dimension larger
than the block), and transposed operands without copies. :func:`gemm` gives that, for
row-major (C-order) matrices whose rows may be strided, by calling the ``numba_xxgemm``
helper that Numba itself uses for ``np.dot`` (SciPy's BLAS). Keeping every product in
this one BLAS also keeps one thread pool: NumPy's own OpenBLAS would spin against it.

>>> import numpy as np
>>> a = np.arange(6.0).reshape(2, 3); b = np.ones((2, 4))
>>> out = np.zeros((3, 4))
>>> gemm(a, b, out, True, False, 0.0)   # out = a.T @ b
>>> out[:, 0]
array([3., 5., 7.])
>>> matmul(a.T, b)[:, 0]
array([3., 5., 7.])
"""

import numpy as np
from numba import njit, types
from numba.np.linalg import ensure_blas

ensure_blas()

# int numba_xxgemm(kind, transa, transb, m, n, k, alpha*, a*, lda, b*, ldb, beta*, c*, ldc):
# Fortran (column-major) semantics; pointers are passed as addresses.
_xxgemm = types.ExternalFunction(
    "numba_xxgemm",
    types.intc(
        types.char, types.char, types.char,
        types.intp, types.intp, types.intp,
        types.intp, types.intp, types.intp,
        types.intp, types.intp,
        types.intp, types.intp, types.intp,
    ),
)  # fmt: skip
_N = 110  # 'n': no transpose
_T = 116  # 't': transpose


@njit(cache=True)
def _leading(x, size):
    """BLAS leading dimension of a row-major matrix: its row stride, at least its width.

    A one-row view can carry any row stride (even one element); BLAS rejects a leading
    dimension below the width and then writes nothing.
    """
    if x.shape[0] > 1:
        return x.strides[0] // size
    return max(x.shape[1], 1)


@njit(cache=True)
def gemm(a, b, c, trans_a, trans_b, beta):
    """``c = op(a) @ op(b) + beta * c`` for 2-D arrays of one float dtype.

    Every operand must have unit stride along its last axis (rows may be strided, e.g.
    a column block of a wider matrix). ``op(x)`` is ``x.T`` when its flag is set.
    """
    m = c.shape[0]
    n = c.shape[1]
    k = a.shape[0] if trans_a else a.shape[1]
    if m == 0 or n == 0:
        return
    size = c.itemsize
    scalars = np.empty(2, c.dtype)
    scalars[0] = 1.0
    scalars[1] = beta
    kind = 115 if size == 4 else 100  # BLAS kind 's' (float32) or 'd' (float64)
    # Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    _xxgemm(
        kind,
        _T if trans_b else _N,
        _T if trans_a else _N,
        n,
        m,
        k,
        scalars.ctypes.data,
        b.ctypes.data,
        _leading(b, size),
        a.ctypes.data,
        _leading(a, size),
        scalars.ctypes.data + size,
        c.ctypes.data,
        _leading(c, size),
    )


def _operand(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(array with unit stride along its last axis, transposed?)`` for a 2-D operand."""
    if x.strides[-1] == x.itemsize or x.shape[-1] == 1:
        return x, False
    if x.strides[0] == x.itemsize or x.shape[0] == 1:
        return x.T, True
    return np.ascontiguousarray(x), False


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (written into ``out`` if given) for 2-D arrays of one float dtype.

    Transposed views and column blocks of wider matrices are used in place; ``out``
    may be a column block too. Other layouts are copied once.
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    a_op, trans_a = _operand(a)
    b_op, trans_b = _operand(b)
    gemm(a_op, b_op, out, trans_a, trans_b, 0.0)
    return out
