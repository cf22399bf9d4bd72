"""Keras-style preprocessing namespace (``rnnkit.preprocessing.sequence``)."""

from rnnkit.preprocessing import sequence

__all__ = ["sequence"]
