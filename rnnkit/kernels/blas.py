"""General matrix products through BLAS ``?gemm``, from compiled kernels and from Python.

Numba's ``np.dot`` only multiplies whole contiguous matrices into a fresh output. The
recurrences need more of ``gemm``: accumulating into the gate pre-activations in place
(``beta = 1``), multiplying gate blocks of a fused matrix (a leading dimension larger
than the block), and transposed operands without copies. :func:`gemm` gives that, for
row-major (C-order) matrices whose rows may be strided, through NumPy's own OpenBLAS
where NumPy ships one (``scipy-openblas64``; its 0.3.31 build runs the small per-step
products of a recurrence up to twice as fast as SciPy's 0.3.30), else through the
``numba_xxgemm`` helper Numba uses for ``np.dot`` (SciPy's BLAS). Every product goes
through the one BLAS :data:`BLAS` names, so there is one thread pool: two BLAS pools
would spin against each other on the same cores. :func:`blas_threads` and
:func:`set_blas_threads` read and set that pool's size (NumPy's OpenBLAS only), for
:mod:`rnnkit.kernels.threads`.

>>> import numpy as np
>>> a = np.arange(6.0).reshape(2, 3); b = np.ones((2, 4))
>>> out = np.zeros((3, 4))
>>> gemm(a, b, out, True, False, 0.0)   # out = a.T @ b
>>> out[:, 0]
array([3., 5., 7.])
>>> matmul(a.T, b)[:, 0]
array([3., 5., 7.])
"""

import ctypes
import glob
import os

import llvmlite.binding as llvm
import numpy as np
from numba import cfunc, njit, types
from numba.np.linalg import ensure_blas

ensure_blas()

# The kernels call two symbols with the signature of an ILP64 CBLAS ``cblas_?gemm``:
#   void rnnkit_?gemm(order, transa, transb, m, n, k, alpha, a*, lda, b*, ldb, beta, c*, ldc)
# (pointers passed as addresses, alpha and beta by value). They are bound once per
# process, below: to NumPy's OpenBLAS (``scipy_cblas_?gemm64_``) where NumPy ships it,
# else to adapters over Numba's numba_xxgemm (SciPy's BLAS). Kernels in Numba's cache
# refer to the symbols by name, so they stay valid whichever BLAS a process binds; and
# rnnkit uses one BLAS, so one thread pool. RNNKIT_BLAS=scipy picks SciPy's.
_ORDER, _NO_TRANS, _TRANS = 102, 111, 112  # CblasColMajor, CblasNoTrans, CblasTrans


def _cblas_signature(real: types.Type):  # noqa: ANN202 - a Numba signature
    i64, ptr = types.int64, types.intp
    return types.void(
        types.intc, types.intc, types.intc, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64
    )


_sgemm = types.ExternalFunction("rnnkit_sgemm", _cblas_signature(types.float32))
_dgemm = types.ExternalFunction("rnnkit_dgemm", _cblas_signature(types.float64))

# int numba_xxgemm(kind, transa, transb, m, n, k, alpha*, a*, lda, b*, ldb, beta*, c*, ldc):
# Fortran semantics, every scalar behind a pointer.
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


@njit(cache=True)
def _fortran_gemm(kind, dtype, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    scalars = np.empty(2, dtype)
    scalars[0] = alpha
    scalars[1] = beta
    size = scalars.itemsize
    _xxgemm(
        kind, 116 if ta == _TRANS else 110, 116 if tb == _TRANS else 110, m, n, k,
        scalars.ctypes.data, a, lda, b, ldb, scalars.ctypes.data + size, c, ldc,
    )  # fmt: skip


def _adapter(kind: int, dtype: type) -> object:
    """A CBLAS-shaped ``?gemm`` over numba_xxgemm, for BLAS kind 's' (115) or 'd' (100)."""

    def adapter(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):  # noqa: ARG001
        _fortran_gemm(kind, dtype, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    return adapter


def _scipy_adapters() -> tuple[int, int]:
    """The adapters compiled (not cached: they are closures): their addresses."""
    addresses = []
    for real, kind, dtype in ((types.float32, 115, np.float32), (types.float64, 100, np.float64)):
        compiled = cfunc(_cblas_signature(real))(_adapter(kind, dtype))
        _ADAPTERS.append(compiled)  # keep the code alive
        addresses.append(compiled.address)
    return addresses[0], addresses[1]


def _numpy_openblas() -> ctypes.CDLL | None:
    """NumPy's ILP64 OpenBLAS (``scipy_cblas_?gemm64_``), if NumPy ships one."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas64_*"))):
        try:
            lib = ctypes.CDLL(path)
            for name in ("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_"):
                getattr(lib, name)  # AttributeError if this build lacks it
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _bind() -> tuple[str, ctypes.CDLL | None]:
    lib = None
    if os.environ.get("RNNKIT_BLAS", "").strip().lower() != "scipy":
        lib = _numpy_openblas()
    if lib is not None:
        sgemm = ctypes.cast(lib.scipy_cblas_sgemm64_, ctypes.c_void_p).value
        dgemm = ctypes.cast(lib.scipy_cblas_dgemm64_, ctypes.c_void_p).value
    else:
        sgemm, dgemm = _scipy_adapters()
    llvm.add_symbol("rnnkit_sgemm", sgemm)
    llvm.add_symbol("rnnkit_dgemm", dgemm)
    return ("numpy" if lib is not None else "scipy"), lib


_ADAPTERS: list = []
BLAS, _LIB = _bind()
"""Which BLAS the kernels call: ``"numpy"`` (NumPy's OpenBLAS) or ``"scipy"``."""


def _thread_control() -> tuple[object, object] | None:
    """NumPy's OpenBLAS ``get_num_threads`` / ``set_num_threads``, where it has them."""
    try:
        get = _LIB.scipy_openblas_get_num_threads64_
        put = _LIB.scipy_openblas_set_num_threads64_
    except AttributeError:  # no NumPy OpenBLAS (None), or one without these symbols
        return None
    get.restype, get.argtypes = ctypes.c_int, []
    put.restype, put.argtypes = None, [ctypes.c_int]
    return get, put


_THREAD_CONTROL = _thread_control()


def blas_threads() -> int | None:
    """How many threads the kernels' BLAS runs a product on (None: not known here)."""
    return None if _THREAD_CONTROL is None else int(_THREAD_CONTROL[0]())


def set_blas_threads(count: int) -> None:
    """Set the kernels' BLAS thread count (NumPy's OpenBLAS: process-wide)."""
    if _THREAD_CONTROL is not None:
        _THREAD_CONTROL[1](int(count))


@njit(cache=True)
def _leading(x, size):
    """BLAS leading dimension of a row-major matrix: its row stride, at least its width.

    A one-row view can carry any row stride (even one element); BLAS rejects a leading
    dimension below the width and then writes nothing.
    """
    if x.shape[0] > 1:
        return x.strides[0] // size
    return max(x.shape[1], 1)


def _gemm_signatures() -> list:
    """One compiled ``gemm`` per float dtype, for operands of any layout.

    Listed (compiled when first imported, then cached) so that call sites never add
    specializations: a call from a kernel with constant flags would otherwise compile a
    version for each combination of literal ``True``/``False`` and of array layouts
    (ten per dtype), half a second of compile time each.
    """
    signatures = []
    for real in (types.float32, types.float64):
        factor = types.Array(real, 2, "A", readonly=True)  # writable arrays convert
        out = types.Array(real, 2, "A")
        signatures.append(
            types.void(factor, factor, out, types.boolean, types.boolean, types.float64)
        )
    return signatures


@njit(_gemm_signatures(), cache=True, nogil=True)
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
    # Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    args_b = (_TRANS if trans_b else _NO_TRANS, b.ctypes.data, _leading(b, size))
    args_a = (_TRANS if trans_a else _NO_TRANS, a.ctypes.data, _leading(a, size))
    if size == 4:
        _sgemm(
            _ORDER, args_b[0], args_a[0], n, m, k, np.float32(1.0), args_b[1], args_b[2],
            args_a[1], args_a[2], np.float32(beta), c.ctypes.data, _leading(c, size),
        )  # fmt: skip
    else:
        _dgemm(
            _ORDER, args_b[0], args_a[0], n, m, k, 1.0, args_b[1], args_b[2],
            args_a[1], args_a[2], np.float64(beta), c.ctypes.data, _leading(c, size),
        )  # fmt: skip


@njit(cache=True, nogil=True)
def gemm_ut(a, w, lo, hi, out, w_is_ut, beta):
    """``out = a @ U[:, lo:hi]^T + beta * out``, the backward's per-step product.

    ``w`` is the recurrent kernel ``U`` (n, G*n) itself, read transposed, or (``w_is_ut``)
    a contiguous copy of ``U^T`` (G*n, n), which BLAS reads 6-14% faster
    (``benchmarks/blas_step.py --backward``) but which costs a copy per backward call.
    """
    if w_is_ut:
        gemm(a, w[lo:hi], out, False, False, beta)
    else:
        gemm(a, w[:, lo:hi], out, False, True, beta)


def _operand(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(array BLAS can read in place, transposed?)`` for a 2-D operand.

    In place: unit stride along one axis and, along the other, a stride of at least
    that axis's length (BLAS's leading dimension). Reversed rows (negative strides),
    broadcast rows (stride 0) and overlapping windows are copied: BLAS refuses them
    and would leave the output unwritten.
    """
    size = x.itemsize
    rows, cols = x.shape
    if (cols == 1 or x.strides[1] == size) and (rows == 1 or x.strides[0] >= cols * size):
        return x, False
    if (rows == 1 or x.strides[0] == size) and (cols == 1 or x.strides[1] >= rows * size):
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
