"""rnnkit: Keras-compatible recurrent neural networks in NumPy and Numba.

SimpleRNN, LSTM and GRU with every Keras argument, trained by hand-derived
backpropagation through time in compiled kernels.
"""

from rnnkit import activations, constraints, initializers, layers, regularizers
from rnnkit.errors import RnnkitError

__version__ = "0.1.0"

__all__ = [
    "RnnkitError",
    "activations",
    "constraints",
    "initializers",
    "layers",
    "regularizers",
]
