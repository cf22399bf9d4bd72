"""Plain-NumPy reference ("oracle") for the forward pass of SimpleRNN, LSTM and GRU.

Written for clarity, not speed: float64 throughout, one Python loop over time, one
explicit equation per gate, weights split into per-gate blocks. It depends on nothing in
rnnkit (not even ``rnnkit.activations``), so the layers can be checked against it.

Semantics follow ``shared/spec/keras-semantics.md`` sections 1, 2, 6 and 7, with rnnkit's
choices where Keras versions disagree:

* weights in Keras layout: ``kernel`` (features, G*units), ``recurrent_kernel``
  (units, G*units), ``bias`` (G*units,), or (2, 3*units) for a GRU with ``reset_after``;
  gate order LSTM i, f, c, o and GRU z, r, h;
* a masked step carries every state unchanged; its output is zeros with
  ``zero_output_for_mask``, else the previous step's output, which is zeros before the
  first valid step (never the initial ``h``);
* ``go_backwards`` consumes x[:, T-1], ..., x[:, 0] (the mask is reversed with it) and the
  returned sequence is in processing order;
* dropout masks are given, already scaled, and reused at every step: an input mask
  multiplies ``x_t`` before ``@ W``, a recurrent mask multiplies ``h_{t-1}`` where it
  enters ``@ U`` (never ``c_{t-1}``, never the GRU interpolation term ``z * h_{t-1}``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),  # Keras 2
    "keras3_hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),  # relu6(x + 3) / 6
    "relu": lambda x: np.maximum(x, 0.0),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "elu": _elu,
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "exponential": np.exp,
}

N_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def _blocks(matrix: np.ndarray, n_gates: int, units: int) -> list[np.ndarray]:
    """Split the last axis of a fused matrix into ``n_gates`` blocks of ``units`` columns."""
    assert matrix.shape[-1] == n_gates * units, (matrix.shape, n_gates, units)
    return [matrix[..., g * units : (g + 1) * units] for g in range(n_gates)]


def _gate_masks(masks, n_gates: int, batch: int, size: int) -> list[np.ndarray]:
    """One (batch, size) dropout mask per gate: ones if None, the shared one repeated if G=1."""
    if masks is None:
        return [np.ones((batch, size))] * n_gates
    masks = np.asarray(masks, dtype=np.float64)
    assert masks.ndim == 3 and masks.shape[1:] == (batch, size), masks.shape
    assert masks.shape[0] in (1, n_gates), masks.shape
    if masks.shape[0] == 1:
        return [masks[0]] * n_gates
    return list(masks)


def _simple_rnn_step(x_t, states, p):
    (h,) = states
    (W,), (U,), (b,) = p["W"], p["U"], p["b_x"]
    (mx,), (mh,) = p["input_masks"], p["recurrent_masks"]
    h_new = p["act"]((x_t * mx) @ W + b + (h * mh) @ U)
    return h_new, [h_new]


def _lstm_step(x_t, states, p):
    h, c = states
    W, U, b = p["W"], p["U"], p["b_x"]
    mx, mh = p["input_masks"], p["recurrent_masks"]
    act, rec = p["act"], p["rec"]

    def pre(g):  # gate pre-activation, (batch, units)
        return (x_t * mx[g]) @ W[g] + b[g] + (h * mh[g]) @ U[g]

    i = rec(pre(0))
    f = rec(pre(1))
    candidate = act(pre(2))
    o = rec(pre(3))
    c_new = f * c + i * candidate
    h_new = o * act(c_new)
    return h_new, [h_new, c_new]


def _gru_step(x_t, states, p):
    (h,) = states
    W, U, b_x, b_h = p["W"], p["U"], p["b_x"], p["b_h"]
    mx, mh = p["input_masks"], p["recurrent_masks"]
    act, rec = p["act"], p["rec"]

    def from_x(g):  # (batch, units)
        return (x_t * mx[g]) @ W[g] + b_x[g]

    if p["reset_after"]:

        def from_h(g):  # recurrent bias added before the reset gate multiplies
            return (h * mh[g]) @ U[g] + b_h[g]

        z = rec(from_x(0) + from_h(0))
        r = rec(from_x(1) + from_h(1))
        candidate = act(from_x(2) + r * from_h(2))
    else:
        z = rec(from_x(0) + (h * mh[0]) @ U[0])
        r = rec(from_x(1) + (h * mh[1]) @ U[1])
        candidate = act(from_x(2) + (r * (h * mh[2])) @ U[2])
    h_new = z * h + (1.0 - z) * candidate  # undropped h in the interpolation
    return h_new, [h_new]


_STEPS = {"simple_rnn": _simple_rnn_step, "lstm": _lstm_step, "gru": _gru_step}


def rnn_forward(
    cell: str,
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "hard_sigmoid",
    reset_after: bool = False,
    mask=None,
    initial_state: Sequence | np.ndarray | None = None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    return_state: bool = False,
    zero_output_for_mask: bool = False,
    input_masks=None,
    recurrent_masks=None,
):
    """Run a SimpleRNN, LSTM or GRU layer forward, one time step at a time.

    Args:
        cell: ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        x: Inputs, (batch, time, features).
        kernel: (features, G*units), G = 1, 4, 3 gates.
        recurrent_kernel: (units, G*units).
        bias: (G*units,), (2, 3*units) for a GRU with ``reset_after``, or None (zeros).
        units: Number of units.
        activation: Activation name (candidate and, for LSTM, the cell-state squashing).
        recurrent_activation: Gate activation name (LSTM and GRU only).
        reset_after: GRU variant: reset gate applied after the recurrent matmul.
        mask: (batch, time), truthy = keep, or None.
        initial_state: List of states (LSTM ``[h, c]``, others ``[h]``), a single array
            for SimpleRNN/GRU, or None (zeros). Each state is (batch, units).
        go_backwards: Process the sequence in reverse.
        return_sequences: Return every step's output, (batch, time, units), in processing
            order; else the last processed output, (batch, units).
        return_state: Also return the final states.
        zero_output_for_mask: Masked steps output zeros instead of the previous output.
        input_masks: Dropout masks for ``x_t``, (G_in, batch, features), G_in = 1 (shared)
            or G (one per gate, gate order); or None.
        recurrent_masks: Dropout masks for ``h_{t-1}``, (G_r, batch, units); or None.

    Returns:
        The output, or ``[output, *states]`` if ``return_state``.
    """
    n_gates = N_GATES[cell]
    x = np.asarray(x, dtype=np.float64)
    batch, time, features = x.shape
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    assert kernel.shape == (features, n_gates * units), kernel.shape
    assert recurrent_kernel.shape == (units, n_gates * units), recurrent_kernel.shape

    gru_two_biases = cell == "gru" and reset_after
    if bias is None:
        bias = np.zeros((2, n_gates * units) if gru_two_biases else (n_gates * units,))
    bias = np.asarray(bias, dtype=np.float64)
    if gru_two_biases:
        assert bias.shape == (2, n_gates * units), bias.shape
        b_x, b_h = bias[0], bias[1]
    else:
        assert bias.shape == (n_gates * units,), bias.shape
        b_x, b_h = bias, np.zeros_like(bias)

    params = {
        "W": _blocks(kernel, n_gates, units),
        "U": _blocks(recurrent_kernel, n_gates, units),
        "b_x": _blocks(b_x, n_gates, units),
        "b_h": _blocks(b_h, n_gates, units),
        "act": ACTIVATIONS[activation],
        "rec": ACTIVATIONS[recurrent_activation],
        "reset_after": reset_after,
        "input_masks": _gate_masks(input_masks, n_gates, batch, features),
        "recurrent_masks": _gate_masks(recurrent_masks, n_gates, batch, units),
    }

    n_states = 2 if cell == "lstm" else 1
    if initial_state is None:
        states = [np.zeros((batch, units)) for _ in range(n_states)]
    else:
        if isinstance(initial_state, np.ndarray):
            initial_state = [initial_state]
        states = [np.asarray(s, dtype=np.float64) for s in initial_state]
    assert len(states) == n_states and all(s.shape == (batch, units) for s in states)

    keep = np.ones((batch, time), dtype=bool) if mask is None else np.asarray(mask).astype(bool)
    assert keep.shape == (batch, time), keep.shape

    step = _STEPS[cell]
    previous_output = np.zeros((batch, units))  # zeros before the first valid step
    outputs = []
    for t in reversed(range(time)) if go_backwards else range(time):
        output, new_states = step(x[:, t], states, params)
        valid = keep[:, t][:, None]  # (batch, 1)
        states = [np.where(valid, new, old) for new, old in zip(new_states, states, strict=True)]
        masked_output = np.zeros((batch, units)) if zero_output_for_mask else previous_output
        output = np.where(valid, output, masked_output)
        outputs.append(output)
        previous_output = output

    if return_sequences:
        result = np.stack(outputs, axis=1)  # (batch, time, units), processing order
    else:
        result = outputs[-1]  # (batch, units)
    if return_state:
        return [result, *states]
    return result
