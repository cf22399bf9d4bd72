"""rnnkit: Keras-compatible recurrent neural networks in NumPy and Numba.

SimpleRNN, LSTM and GRU with every Keras argument, trained by hand-derived
backpropagation through time in compiled kernels, in a Keras-style model API.
"""

from rnnkit import (
    activations,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    utils,
)
from rnnkit.errors import RnnkitError
from rnnkit.saving import load_model, save_model

__version__ = "0.1.0"

__all__ = [
    "RnnkitError",
    "activations",
    "callbacks",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "save_model",
    "utils",
]
