"""``keras.preprocessing.sequence`` spelled for rnnkit."""

from rnnkit.data.text import pad_sequences

__all__ = ["pad_sequences"]
