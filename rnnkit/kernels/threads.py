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
data) and moves it to the idle core only milliseconds later: in a short call the two
parts then share one core (LSTM training step at 64x32x128x128: 25 ms split against
20 ms unsplit; with the threads on their own cores 18 ms). Where the calling thread may
use at least as many CPUs as there are threads (``os.sched_getaffinity``), each pool
thread is bound to one of them for good, and the calling thread to another for the
duration of the split call only (where its own CPU set includes that CPU); its CPU set
is given back afterwards. Elsewhere (other systems, fewer CPUs than threads) nothing is
bound.
"""

from __future__ import annotations

import contextlib
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
_CPUS: list[int] = []  # CPUs of the pool: [the caller's, worker 1's, ...]; [] = unbound
_STARTED = 0  # pool threads started so far (each takes the next CPU)
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
    """The pool (made on first use, under ``_LOCK``), with the CPUs its threads take."""
    global _POOL, _CPUS, _STARTED
    if _POOL is None:
        _CPUS = _usable_cpus(_THREADS)
        _STARTED = 0
        _POOL = ThreadPoolExecutor(
            max_workers=max(1, _THREADS - 1),
            thread_name_prefix="rnnkit",
            initializer=_start_worker,
        )
    return _POOL


def _usable_cpus(count: int) -> list[int]:
    """``count`` CPUs the calling thread may use, or [] where threads cannot be bound."""
    if not hasattr(os, "sched_setaffinity"):
        return []
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except OSError:
        return []
    return allowed[:count] if len(allowed) >= count else []


def _bind(cpu: int) -> bool:
    """Bind the calling thread to ``cpu``; False where the system refuses."""
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return False
    return True


def _start_worker() -> None:
    global _STARTED
    _LOCAL.worker = True
    with _LOCK:
        _STARTED += 1
        cpu = _CPUS[_STARTED % len(_CPUS)] if _CPUS else None
    if cpu is not None:
        _bind(cpu)


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start a fresh pool on demand."""
    global _POOL, _ACTIVE, _LOCK
    _POOL = None
    _ACTIVE = 0
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
    first_section = _enter()
    own_cpus = None
    try:
        with _LOCK:
            pool = _pool()
            cpu = _CPUS[0] if _CPUS and first_section else None
        if cpu is not None:
            # The caller takes the pool's first CPU while the tasks run (bound workers
            # hold the others) if its own CPU set has it; a second caller running at
            # once stays where it is.
            own_cpus = os.sched_getaffinity(0)
            if cpu not in own_cpus or not _bind(cpu):
                own_cpus = None
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
