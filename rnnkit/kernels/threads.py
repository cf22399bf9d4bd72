"""rnnkit's own threads: the samples of a batch split across the cores.

The samples of a batch never interact in a recurrent layer, so a layer can run its
whole pipeline (projection, recurrence, weight gradients) on sub-batches side by side,
one per core, each with a single-threaded BLAS, and add the sub-batches' weight
gradients at the end. A multi-threaded BLAS instead splits every matrix product: the
recurrence makes one small product per step, so its threads meet hundreds of times per
call, and the gate math between the products runs on one core. On the project's
2-core machine an LSTM training step ran 1.2-1.4x and inference 1.1-1.25x faster split
at batch 32-128 (``benchmarks/threads.py``; docs/benchmarks.md, "Threads").

Two pools that wait by spinning slow each other down badly on shared cores, so
:func:`parallel` sets NumPy's OpenBLAS to one thread while the sub-batches run and
gives it back its thread count afterwards; rnnkit's threads sleep when idle. The
setting is process-wide: NumPy products in other Python threads run single-threaded
while a split call runs. The
thread count is the BLAS's own (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``, else
the cores) unless ``RNNKIT_NUM_THREADS`` says otherwise; 1 turns the splitting off.
With a BLAS whose thread count rnnkit cannot set (``RNNKIT_BLAS=scipy``) it stays off.

Each thread of a split call runs on a core of its own. Left to itself, Linux often
wakes a pool thread on the core of the thread that woke it (it expects them to share
data) and moves it to the idle core only milliseconds later, and it may move the
caller onto the pool thread's core: in a short call the two parts then share one core
(LSTM training step at 64x32x128x128, ``benchmarks/threads.py --force-split``: 27.7 ms
split against 19.8 ms unsplit; bound as below 18.3 against 19.5 ms;
``benchmarks/results/split_threshold.md``). So while a split call runs, the calling thread
is bound to the CPU it is on (``sched_getcpu``) and the pool threads to the CPUs after
it among those the process may use (``os.sched_setaffinity``); the caller's CPU set is
given back when the call ends. Nothing is tied to fixed CPUs: several rnnkit processes
on one machine start from wherever the system runs their callers. Where the system
lacks these calls, or the process may use fewer CPUs than there are threads, nothing
is bound.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from rnnkit.errors import ArgumentError, ArgumentTypeError
from rnnkit.kernels.blas import blas_threads, set_blas_threads

T = TypeVar("T")

ENVIRONMENT_VARIABLE = "RNNKIT_NUM_THREADS"


def _configured() -> int:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    count = None
    if value:
        try:
            count = int(value)
        except ValueError:
            raise ArgumentError(
                f"{ENVIRONMENT_VARIABLE} must be a positive integer (the number of threads "
                f"rnnkit uses); got {value!r}. Unset it to follow the BLAS's thread count."
            ) from None
        if count < 1:
            raise ArgumentError(f"{ENVIRONMENT_VARIABLE} must be at least 1; got {count}.")
    blas = blas_threads()
    if blas is None:
        return 1  # without control of the BLAS's threads, two pools would fight
    return max(1, blas) if count is None else count


_THREADS = _configured()
_POOL: ThreadPoolExecutor | None = None
_WORKERS: list[int] = []  # the pool threads' native ids
_ALLOWED: list[int] = []  # the CPUs the process may use (when the pool was made), sorted
_BOUND: dict[int, int] = {}  # pool thread id -> the CPU it is bound to
_LOCK = threading.Lock()
_ACTIVE = 0  # parallel sections running now (several caller threads may run layers)
_SAVED_BLAS = 1
_LOCAL = threading.local()  # .worker is True inside a pool thread


def threads() -> int:
    """How many threads a layer splits its batch across (1: no splitting)."""
    return _THREADS


def set_threads(count: int) -> None:
    """Set :func:`threads` for this process (1 turns the splitting off).

    Where rnnkit cannot set the BLAS's thread count (``RNNKIT_BLAS=scipy``), the count
    stays 1 whatever is asked: a split there would run two spinning pools at once.
    """
    global _THREADS, _POOL
    if isinstance(count, bool) or not isinstance(count, int):
        raise ArgumentTypeError(f"the thread count must be a positive integer; got {count!r}.")
    if count < 1:
        raise ArgumentError(f"the thread count must be a positive integer; got {count}.")
    if blas_threads() is None:
        count = 1  # without control of the BLAS's threads, two pools would fight
    with _LOCK:
        if _POOL is not None and count != _THREADS:
            _POOL.shutdown(wait=True)
            _POOL = None
        _THREADS = count


def split(batch: int, min_rows: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: the batch in at most :func:`threads` parts of ``min_rows``+."""
    parts = max(1, min(_THREADS, batch // max(1, min_rows)))
    bounds = [batch * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _pool() -> ThreadPoolExecutor:
    """The pool, made on first use (under ``_LOCK``)."""
    global _POOL, _ALLOWED
    if _POOL is None:
        _WORKERS.clear()
        _BOUND.clear()
        _ALLOWED = sorted(_process_cpus())
        _POOL = ThreadPoolExecutor(
            max_workers=max(1, _THREADS - 1),
            thread_name_prefix="rnnkit",
            initializer=_start_worker,
        )
    return _POOL


def _start_worker() -> None:
    _LOCAL.worker = True
    with _LOCK:
        _WORKERS.append(threading.get_native_id())


def _process_cpus() -> set[int]:
    """The CPUs the calling thread may use; empty where the system cannot say."""
    try:
        return set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()
    except OSError:
        return set()


def _current_cpu_function() -> Callable[[], int] | None:
    """The C library's ``sched_getcpu`` where there is one (Linux), else None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        function = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = []
    return function


_CURRENT_CPU = _current_cpu_function()


def _bind_around_the_caller() -> set[int] | None:
    """Bind the caller to its CPU and the pool threads to the next ones (see above).

    Returns the caller's CPU set to give back afterwards, or None if nothing was bound.
    """
    if _CURRENT_CPU is None or len(_ALLOWED) < _THREADS:
        return None
    cpu = _CURRENT_CPU()
    if cpu not in _ALLOWED:
        return None
    try:
        own = os.sched_getaffinity(0)
        if cpu not in own:
            return None
        start = _ALLOWED.index(cpu)
        with _LOCK:
            for i, worker in enumerate(_WORKERS, start=1):
                target = _ALLOWED[(start + i) % len(_ALLOWED)]
                if _BOUND.get(worker) != target:
                    os.sched_setaffinity(worker, {target})
                    _BOUND[worker] = target
        os.sched_setaffinity(0, {cpu})
    except OSError:  # a thread ended, or the system refuses: leave them be
        return None
    return own


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start a fresh pool on demand."""
    global _POOL, _ACTIVE, _LOCK
    _POOL = None
    _ACTIVE = 0
    _WORKERS.clear()
    _BOUND.clear()
    _LOCK = threading.Lock()  # the parent may have held it while forking


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _enter() -> bool:
    """Count a parallel section in (the BLAS to one thread); True for the only one."""
    global _ACTIVE, _SAVED_BLAS
    with _LOCK:
        if _ACTIVE == 0:
            _SAVED_BLAS = blas_threads() or 1
            if _SAVED_BLAS != 1:
                set_blas_threads(1)
        _ACTIVE += 1
        return _ACTIVE == 1


def _leave() -> None:
    global _ACTIVE
    with _LOCK:
        _ACTIVE -= 1
        if _ACTIVE == 0 and _SAVED_BLAS != 1:
            set_blas_threads(_SAVED_BLAS)


def parallel(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the tasks side by side (the first on the calling thread); their results in order.

    The BLAS runs single-threaded until all have finished. The first exception raised
    by a task is raised here, after every task has ended. One task runs directly, and
    so does a call from inside a task (no nested splitting).
    """
    if len(tasks) == 1 or getattr(_LOCAL, "worker", False):
        return [task() for task in tasks]
    only_section = _enter()
    own_cpus = None
    try:
        with _LOCK:
            pool = _pool()
        if only_section:  # a second caller running at once is left where it is
            own_cpus = _bind_around_the_caller()
        futures = [pool.submit(task) for task in tasks[1:]]
        try:
            first = tasks[0]()
        finally:
            done = [future.exception() for future in futures]  # waits for every task
        for error in done:
            if error is not None:
                raise error
        return [first, *(future.result() for future in futures)]
    finally:
        if own_cpus is not None:
            with contextlib.suppress(OSError):  # only if every CPU of it went offline
                os.sched_setaffinity(0, own_cpus)
        _leave()
