"""Sequence padding with Keras semantics.

>>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
array([[2, 3],
       [0, 4]], dtype=int32)
>>> pad_sequences([[1, 2, 3], [4]], padding="post", truncating="post")
array([[1, 2, 3],
       [4, 0, 0]], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message
from rnnkit.validation import check_choice


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (and truncate) sequences to one length, as ``keras.utils.pad_sequences``.

    Args:
        sequences: A list of sequences (lists or arrays; items may be scalars or arrays
            of one shape).
        maxlen: Output length; default: the longest sequence.
        dtype: Output dtype.
        padding: ``"pre"`` (pad at the start, the default) or ``"post"``.
        truncating: ``"pre"`` (keep the last ``maxlen`` items, the default) or ``"post"``.
        value: Padding value.

    Returns:
        An array ``(len(sequences), maxlen, *sample_shape)``.
    """
    owner = "pad_sequences"
    check_choice(owner, "padding", padding, ("pre", "post"))
    check_choice(owner, "truncating", truncating, ("pre", "post"))
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise ArgumentTypeError(
            argument_message(owner, "sequences", "a list of sequences", sequences)
        )
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_shape = False
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ArgumentTypeError(
                f"{owner}: `sequences` must be a list of sequences; item {i} is "
                f"{type(seq).__name__}."
            )
        lengths.append(len(seq))
        if not found_shape and len(seq):
            sample_shape = np.asarray(seq).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ArgumentError(argument_message(owner, "maxlen", "None or an integer >= 0", maxlen))
    kind = np.dtype(dtype)
    is_text = any(np.issubdtype(kind, t) for t in (np.str_, np.bytes_, np.object_))  # Keras
    if isinstance(value, str) and not is_text:
        raise ArgumentTypeError(
            f"{owner}: `dtype` {dtype} cannot hold the string padding value {value!r}; use "
            "dtype=object or a numeric value."
        )
    out = np.full((len(sequences), maxlen, *sample_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        trunc = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ArgumentError(
                f"{owner}: item {i} has sample shape {trunc.shape[1:]}; expected {sample_shape} "
                "(the shape of the first non-empty sequence)."
            )
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc) :] = trunc
    return out
