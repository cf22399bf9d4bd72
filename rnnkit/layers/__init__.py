"""Layers: parameters, shapes, configs, Keras names."""

from rnnkit.layers.base import Layer
from rnnkit.layers.recurrent import GRU, LSTM, RNNBase, SimpleRNN

__all__ = ["GRU", "LSTM", "Layer", "RNNBase", "SimpleRNN"]
