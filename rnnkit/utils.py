"""Small utilities: repeatable randomness.

>>> set_random_seed(1)
>>> a = np.random.random()
>>> set_random_seed(1)
>>> a == np.random.random()
True
"""

from __future__ import annotations

import random

import numpy as np

from rnnkit.errors import ArgumentTypeError
from rnnkit.validation import check_seed


def set_random_seed(seed: int) -> None:
    """Seed every random source rnnkit uses, so a run repeats bit for bit.

    Layers, initializers and models draw their own seeds from Python's ``random`` when
    they are created; NumPy's global generator is seeded too for user code. Create the
    model after calling this.

    Args:
        seed: A non-negative integer.
    """
    seed = check_seed("set_random_seed", "seed", seed)
    if seed is None:
        raise ArgumentTypeError("set_random_seed: `seed` must be a non-negative integer; got None.")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (the legacy global generator users call)
