"""Data sets spelled as ``keras.datasets`` (``rnnkit.datasets.imdb.load_data``)."""

from rnnkit.datasets import imdb

__all__ = ["imdb"]
