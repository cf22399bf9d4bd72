"""Layers: parameters, shapes, configs, Keras names."""

from rnnkit.layers.base import Layer
from rnnkit.layers.convolutional import (
    Conv1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    MaxPooling1D,
)
from rnnkit.layers.core import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Masking,
    SpatialDropout1D,
)
from rnnkit.layers.recurrent import GRU, LSTM, RNNBase, SimpleRNN
from rnnkit.layers.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "Activation",
    "Bidirectional",
    "Conv1D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "Layer",
    "Masking",
    "MaxPooling1D",
    "RNNBase",
    "SimpleRNN",
    "SpatialDropout1D",
    "TimeDistributed",
]
