"""Compiled math only: arrays in, arrays out.

Every kernel is a Numba function over time-major, C-contiguous arrays ``(T, B, ...)``.
The layers do the whole-sequence matrix products (input projection, weight and input
gradients); the kernels run the recurrence: the per-step recurrent product and the
fused gate math, forward and backward. No validation happens here: the layers check
everything before calling in. Beside them: the BLAS binding (:mod:`rnnkit.kernels.blas`)
and the threads a layer splits its batch across (:mod:`rnnkit.kernels.threads`).

Importing this package also tunes the C allocator once (:mod:`rnnkit.kernels.allocator`).
"""

from rnnkit.kernels.allocator import ALLOCATOR_TUNED
from rnnkit.kernels.dropout import masked_gradients, masked_product
from rnnkit.kernels.embedding import scatter_add_rows
from rnnkit.kernels.gru import gru_backward, gru_forward
from rnnkit.kernels.lstm import lstm_backward, lstm_forward
from rnnkit.kernels.sequence import masked_outputs, masked_outputs_backward
from rnnkit.kernels.simple_rnn import simple_rnn_backward, simple_rnn_forward

__all__ = [
    "ALLOCATOR_TUNED",
    "gru_backward",
    "gru_forward",
    "lstm_backward",
    "lstm_forward",
    "masked_outputs",
    "masked_gradients",
    "masked_outputs_backward",
    "masked_product",
    "scatter_add_rows",
    "simple_rnn_backward",
    "simple_rnn_forward",
]
