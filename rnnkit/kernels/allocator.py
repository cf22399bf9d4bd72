"""Keep freed memory for reuse, so repeated training steps do not fault their pages in again.

A layer call allocates the same large buffers call after call: the input projection,
the states, the gradients (tens of MB at ordinary sizes). With glibc's default malloc
settings such a buffer is handed back to the operating system when it is freed (the
top of the heap is trimmed, or the block was its own ``mmap``), so the next call gets
fresh pages and pays a page fault for every 4 KiB it touches: on the project's machine
that was a fifth of an LSTM training step at batch 64, 200 steps, 128 units, and half
of a small SimpleRNN call. :func:`tune_allocator` tells glibc to serve blocks below
32 MiB from the heap and to keep up to 512 MiB of freed heap memory for reuse.

It runs once when :mod:`rnnkit.kernels` is imported, on Linux with glibc. It changes
the process's allocator settings, so freed memory stays with the process (up to the
limit above) instead of going back to the system; set ``RNNKIT_MALLOC_TUNING=0`` before
importing rnnkit to leave the allocator alone. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest fixed mmap threshold glibc accepts on 64-bit
TRIM_THRESHOLD = 512 * 2**20
ENVIRONMENT_VARIABLE = "RNNKIT_MALLOC_TUNING"


def tune_allocator() -> bool:
    """Apply the settings above; return whether the allocator took them."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "1").strip() == "0":
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc's, in the running process
    except (OSError, AttributeError):  # another C library (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


ALLOCATOR_TUNED = tune_allocator()
"""Whether :func:`tune_allocator` took effect when rnnkit was imported."""
