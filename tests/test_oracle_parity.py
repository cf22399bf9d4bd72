"""rnnkit's SimpleRNN, LSTM and GRU forward passes against the plain-NumPy oracle.

The oracle (``tests/oracle.py``) is checked first against numbers worked out by hand and
against values Keras 3 states in its own tests; then every layer option is compared with it
on random weights, biases, initial states and masks, in float64 (to 1e-10) and float32.
"""

from __future__ import annotations

import itertools
import math
import zlib

import numpy as np
import pytest
from oracle import ACTIVATIONS, N_GATES, rnn_forward

from rnnkit.layers import GRU, LSTM, SimpleRNN

# variant name -> (layer class, oracle cell, extra constructor arguments)
VARIANTS = {
    "simple_rnn": (SimpleRNN, "simple_rnn", {}),
    "lstm": (LSTM, "lstm", {}),
    "gru": (GRU, "gru", {"reset_after": False}),
    "gru_reset_after": (GRU, "gru", {"reset_after": True}),
}
GATED = ["lstm", "gru", "gru_reset_after"]
ACTIVATION_NAMES = list(ACTIVATIONS)
MASK_KINDS = ["all_valid", "left_padding", "right_padding", "middle_holes", "fully_masked_row"]
# Options that mean the same to the layer and to the oracle.
SHARED_OPTIONS = (
    "activation",
    "recurrent_activation",
    "go_backwards",
    "return_sequences",
    "return_state",
    "zero_output_for_mask",
)
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


# ---------------------------------------------------------------------------------------
# helpers


def rng_for(*key) -> np.random.Generator:
    """A generator seeded from the test's parameters: fixed, and different per case."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def n_gates(variant: str) -> int:
    return N_GATES[VARIANTS[variant][1]]


def n_states(variant: str) -> int:
    return 2 if variant == "lstm" else 1


def random_weights(rng, variant, features, units, *, use_bias=True, scale=0.5):
    """Keras-layout weights with non-zero biases: [kernel, recurrent_kernel(, bias)]."""
    width = n_gates(variant) * units
    weights = [
        rng.uniform(-scale, scale, (features, width)),  # (F, G*n)
        rng.uniform(-scale, scale, (units, width)),  # (n, G*n)
    ]
    if use_bias:
        bias_shape = (2, width) if variant == "gru_reset_after" else (width,)
        weights.append(rng.uniform(-scale, scale, bias_shape))
    return weights


def random_states(rng, variant, batch, units, scale=0.8):
    return [rng.uniform(-scale, scale, (batch, units)) for _ in range(n_states(variant))]


def make_mask(kind, rng, batch, time):
    """A boolean (batch, time) mask, True = keep."""
    keep = np.ones((batch, time), dtype=bool)
    if kind == "left_padding":
        for b in range(batch):
            keep[b, : rng.integers(0, time)] = False
        keep[0, : time - 1] = False  # the longest padding: one valid step
    elif kind == "right_padding":
        for b in range(batch):
            keep[b, time - rng.integers(0, time) :] = False
        keep[0, 1:] = False
    elif kind == "middle_holes":
        keep[:, 1:-1] = rng.random((batch, time - 2)) < 0.5
        keep[0, 1:-1] = False
    elif kind == "fully_masked_row":
        keep = rng.random((batch, time)) < 0.6
        keep[0] = False
    elif kind != "all_valid":
        raise ValueError(kind)
    return keep


def dropout_mask(rng, count, batch, size, rate):
    """``count`` inverted-dropout masks, (count, batch, size), values 0 or 1/(1-rate)."""
    return (rng.random((count, batch, size)) >= rate) / (1.0 - rate)


def make_layer(variant, units, *, dtype="float64", **options):
    cls, _, extra = VARIANTS[variant]
    if variant == "simple_rnn":
        options.pop("recurrent_activation", None)
    return cls(units, dtype=dtype, **extra, **options)


def run_layer(
    variant,
    x,
    weights,
    *,
    units,
    dtype="float64",
    mask=None,
    initial_state=None,
    training=False,
    dropout_masks=None,
    **options,
):
    layer = make_layer(variant, units, dtype=dtype, **options)
    layer.build(x.shape)
    layer.set_weights([w.astype(dtype) for w in weights])
    if dropout_masks is not None:
        layer._dropout_masks = lambda batch, features: dropout_masks
    if initial_state is not None:
        initial_state = [s.astype(dtype) for s in initial_state]
    return layer(x.astype(dtype), training=training, mask=mask, initial_state=initial_state)


def run_oracle(
    variant,
    x,
    weights,
    *,
    units,
    mask=None,
    initial_state=None,
    dropout_masks=(None, None),
    **options,
):
    _, cell, extra = VARIANTS[variant]
    kernel, recurrent_kernel, *bias = weights
    return rnn_forward(
        cell,
        x,
        kernel,
        recurrent_kernel,
        bias[0] if bias else None,
        units=units,
        reset_after=extra.get("reset_after", False),
        mask=mask,
        initial_state=initial_state,
        input_masks=dropout_masks[0],
        recurrent_masks=dropout_masks[1],
        **{k: v for k, v in options.items() if k in SHARED_OPTIONS},
    )


def assert_same(got, want, dtype="float64"):
    """``got`` (layer) equals ``want`` (oracle): same structure, shapes, dtype, values."""
    tol = TOLERANCE[dtype]
    if isinstance(want, list):
        assert isinstance(got, list | tuple), type(got)
        assert len(got) == len(want)
    else:
        got, want = [got], [want]
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g = np.asarray(g)
        assert g.shape == w.shape, f"item {i}: shape {g.shape} != {w.shape}"
        assert g.dtype == np.dtype(dtype), f"item {i}: dtype {g.dtype}"
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"item {i}")


def assert_parity(variant, x, weights, *, units, dtype="float64", **kwargs):
    if dtype == "float32":
        # The oracle sees the same float32-rounded numbers; only the arithmetic differs.
        x = x.astype(np.float32).astype(np.float64)
        weights = [w.astype(np.float32).astype(np.float64) for w in weights]
        if kwargs.get("initial_state") is not None:
            kwargs["initial_state"] = [
                s.astype(np.float32).astype(np.float64) for s in kwargs["initial_state"]
            ]
    got = run_layer(variant, x, weights, units=units, dtype=dtype, **kwargs)
    want = run_oracle(variant, x, weights, units=units, **kwargs)
    assert_same(got, want, dtype)


# ---------------------------------------------------------------------------------------
# the oracle itself


def simple_rnn_by_hand(**options):
    """SimpleRNN(1) with W = [[0.5], [-1]], U = [[0.8]], b = [0.1] on x = [[1, 2], [0.5, -1]].

    Pre-activations from the input alone: step 0: 0.5*1 - 1*2 + 0.1 = -1.4;
    step 1: 0.5*0.5 - 1*(-1) + 0.1 = 1.35.
    """
    x = np.array([[[1.0, 2.0], [0.5, -1.0]]])  # (1, 2, 2)
    weights = (np.array([[0.5], [-1.0]]), np.array([[0.8]]), np.array([0.1]))
    return rnn_forward("simple_rnn", x, *weights, units=1, **options)


def test_oracle_simple_rnn_by_hand_tanh():
    h0 = math.tanh(-1.4)  # -0.88535...
    h1 = math.tanh(1.35 + 0.8 * h0)  # tanh(0.64172...)
    out = simple_rnn_by_hand(return_sequences=True)
    np.testing.assert_allclose(out, [[[h0], [h1]]], rtol=1e-15)


@pytest.mark.parametrize(
    ("options", "outputs", "state"),
    [
        # h = -1.4, then 1.35 + 0.8*(-1.4) = 0.23
        ({}, [-1.4, 0.23], 0.23),
        # reversed: h = 1.35, then -1.4 + 0.8*1.35 = -0.32
        ({"go_backwards": True}, [1.35, -0.32], -0.32),
        # initial h = 2: h = -1.4 + 1.6 = 0.2, then 1.35 + 0.16 = 1.51
        ({"initial_state": [np.array([[2.0]])]}, [0.2, 1.51], 1.51),
        # step 0 masked: output 0 (no previous output yet, not the initial h), h stays 2;
        # step 1: 1.35 + 0.8*2 = 2.95
        (
            {"initial_state": [np.array([[2.0]])], "mask": [[False, True]]},
            [0.0, 2.95],
            2.95,
        ),
        # step 1 masked: output repeats step 0, h stays 0.2
        (
            {"initial_state": [np.array([[2.0]])], "mask": [[True, False]]},
            [0.2, 0.2],
            0.2,
        ),
        (
            {
                "initial_state": [np.array([[2.0]])],
                "mask": [[True, False]],
                "zero_output_for_mask": True,
            },
            [0.2, 0.0],
            0.2,
        ),
        # fully masked: zero outputs, the initial state comes back
        (
            {"initial_state": [np.array([[2.0]])], "mask": [[False, False]]},
            [0.0, 0.0],
            2.0,
        ),
        # dropout: input mask [2, 0] (x_1 dropped, x_0 doubled), recurrent mask [0.5]
        # step 0: 0.5*2 + 0.1 = 1.1; step 1: 0.5*1 + 0.1 + 0.8*0.5*1.1 = 1.04
        (
            {"input_masks": [[[2.0, 0.0]]], "recurrent_masks": [[[0.5]]]},
            [1.1, 1.04],
            1.04,
        ),
    ],
)
def test_oracle_simple_rnn_by_hand_linear(options, outputs, state):
    seq, h = simple_rnn_by_hand(
        activation="linear", return_sequences=True, return_state=True, **options
    )
    np.testing.assert_allclose(seq, np.reshape(outputs, (1, 2, 1)), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(h, [[state]], rtol=1e-14, atol=1e-15)
    last = simple_rnn_by_hand(activation="linear", **options)
    np.testing.assert_allclose(last, seq[:, -1], rtol=1e-14, atol=1e-15)


def test_oracle_lstm_one_step_by_hand():
    """LSTM(1), linear activation, Keras 2 hard_sigmoid gates, recurrent dropout on o only.

    h0 = 0.5, c0 = 2, x = 1; pre-activations x*W + h0*m*U:
    i = hs(0.5 + 0.5) = 0.7, f = hs(1 + 0.5) = 0.8, g = 2 + 0 = 2, o = hs(0 + 5*0.5*0) = 0.5;
    c = 0.8*2 + 0.7*2 = 3 (the mask never touches c0), h = 0.5*3 = 1.5.
    """
    out, h, c = rnn_forward(
        "lstm",
        np.ones((1, 1, 1)),
        np.array([[0.5, 1.0, 2.0, 0.0]]),
        np.array([[1.0, 1.0, 0.0, 5.0]]),
        units=1,
        activation="linear",
        initial_state=[np.array([[0.5]]), np.array([[2.0]])],
        recurrent_masks=np.array([1.0, 1.0, 1.0, 0.0]).reshape(4, 1, 1),
        return_state=True,
    )
    np.testing.assert_allclose([out.item(), h.item(), c.item()], [1.5, 1.5, 3.0], rtol=1e-15)


@pytest.mark.parametrize(
    ("reset_after", "recurrent_masks", "expected"),
    [
        # z = hs(1 + 0.5*1) = 0.8, r = hs(0.5 + 0.5 - 1) = 0.5, hh = 2.1 + (0.5*1)*1 = 2.6,
        # h = 0.8*1 + 0.2*2.6 = 1.32
        (False, None, 1.32),
        # mask 2 on the candidate's h only: hh = 2.1 + (0.5*(1*2))*1 = 3.1; the interpolation
        # keeps the undropped h: 0.8*1 + 0.2*3.1 = 1.42
        (False, [1.0, 1.0, 2.0], 1.42),
        # reset after the matmul, recurrent bias 0.3 on h: hh = 2.1 + 0.5*((1*2)*1 + 0.3) = 3.25,
        # h = 0.8 + 0.2*3.25 = 1.45
        (True, [1.0, 1.0, 2.0], 1.45),
    ],
)
def test_oracle_gru_one_step_by_hand(reset_after, recurrent_masks, expected):
    """GRU(1), linear activation, Keras 2 hard_sigmoid gates, h0 = 1, x = 1."""
    bias = np.array([0.0, 0.5, 0.1])
    if reset_after:
        bias = np.stack([bias, [0.0, 0.0, 0.3]])
    h = rnn_forward(
        "gru",
        np.ones((1, 1, 1)),
        np.array([[1.0, 0.5, 2.0]]),
        np.array([[0.5, -1.0, 1.0]]),
        bias,
        units=1,
        activation="linear",
        reset_after=reset_after,
        initial_state=[np.ones((1, 1))],
        recurrent_masks=None if recurrent_masks is None else np.reshape(recurrent_masks, (3, 1, 1)),
    )
    np.testing.assert_allclose(h, [[expected]], rtol=1e-14)


def constant_weights(cell, features, units, *, bias_shape=None, unit_forget_bias=True):
    """Keras test weights: kernel 0.01, recurrent kernel 0.02, bias 0.03.

    With ``unit_forget_bias`` the LSTM forget-gate bias block is exactly 1 (spec section 1.2).
    """
    width = N_GATES[cell] * units
    bias = np.full(bias_shape or (width,), 0.03)
    if cell == "lstm" and unit_forget_bias:
        bias[units : 2 * units] = 1.0
    return np.full((features, width), 0.01), np.full((units, width), 0.02), bias


# Values from Keras 3's own tests (keras/src/layers/rnn/{lstm,gru,simple_rnn}_test.py,
# Keras 3.15.1), whose recurrent_activation default is sigmoid, and from spec section 2
# (LSTM with Keras 3 hard_sigmoid, run on Keras 3.15.1). Every unit has the same value.
KERAS3_GOLDEN = [
    ("lstm_correctness", "lstm", {}, [0.6288687, 0.86899155, 0.9460773]),
    (
        "lstm_keras3_hard_sigmoid",
        "lstm",
        {"recurrent_activation": "keras3_hard_sigmoid"},
        [0.53647, 0.81474, 0.97780],
    ),
    ("lstm_go_backwards", "lstm", {"go_backwards": True}, [0.35622165, 0.74789524, 0.8872726]),
    (
        "lstm_no_unit_forget_bias",
        "lstm",
        {"unit_forget_bias": False},
        [0.57019705, 0.8661914, 0.9459622],
    ),
    ("lstm_no_bias", "lstm", {"use_bias": False}, [0.54986924, 0.86226785, 0.9443936]),
    ("gru_correctness", "gru", {}, [0.5217289, 0.6371659, 0.39384964]),
    ("gru_go_backwards", "gru", {"go_backwards": True}, [0.24406259, 0.611516, 0.3928808]),
]


@pytest.mark.parametrize(
    ("cell", "options", "expected"),
    [pytest.param(cell, opts, exp, id=name) for name, cell, opts, exp in KERAS3_GOLDEN],
)
def test_oracle_keras3_golden(cell, options, expected):
    options = dict(options)
    x = np.arange(72, dtype=np.float64).reshape(3, 6, 4)
    bias_shape = (2, 9) if cell == "gru" else None  # Keras 3 GRU: reset_after=True
    kernel, recurrent_kernel, bias = constant_weights(
        cell, 4, 3, bias_shape=bias_shape, unit_forget_bias=options.pop("unit_forget_bias", True)
    )
    if not options.pop("use_bias", True):
        bias = None
    options.setdefault("recurrent_activation", "sigmoid")
    out = rnn_forward(
        cell, x, kernel, recurrent_kernel, bias, units=3, reset_after=cell == "gru", **options
    )
    np.testing.assert_allclose(out, np.repeat(np.array(expected)[:, None], 3, 1), atol=1e-5)


def test_oracle_keras3_golden_simple_rnn():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    out = rnn_forward("simple_rnn", x, *constant_weights("simple_rnn", 4, 4), units=4)
    np.testing.assert_allclose(out, np.repeat([[0.405432], [0.73605347]], 4, 1), atol=1e-5)


def test_oracle_keras3_golden_lstm_masking_and_initial_state():
    """Keras 3 ``lstm_test.py``: test_masking and test_pass_initial_state."""
    x = np.arange(24, dtype=np.float64).reshape(2, 4, 3)
    weights = constant_weights("lstm", 3, 2)
    options = {"units": 2, "recurrent_activation": "sigmoid"}
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    seq = rnn_forward("lstm", x, *weights, mask=mask, return_sequences=True, **options)
    np.testing.assert_allclose(
        seq[..., 0],
        [
            [0.0158891, 0.05552048, 0.11755939, 0.11755939],
            [0.14185596, 0.28556206] + [0.28556206] * 2,
        ],
        atol=1e-5,
    )
    seq = rnn_forward(
        "lstm", x, *weights, mask=mask, return_sequences=True, zero_output_for_mask=True, **options
    )
    np.testing.assert_allclose(
        seq[..., 0],
        [[0.0158891, 0.05552048, 0.11755939, 0], [0.14185596, 0.28556206, 0, 0]],
        atol=1e-5,
    )
    backwards_mask = np.array([[False, True, True, True], [False, False, True, True]])
    out = rnn_forward("lstm", x, *weights, mask=backwards_mask, go_backwards=True, **options)
    np.testing.assert_allclose(out[:, 0], [0.15341201, 0.3844719], atol=1e-5)

    initial_state = [np.arange(4.0).reshape(2, 2)] * 2
    out = rnn_forward("lstm", x, *weights, initial_state=initial_state, **options)
    np.testing.assert_allclose(out, [[0.20574439, 0.3558822], [0.64930826, 0.66276]], atol=1e-5)
    out = rnn_forward(
        "lstm", x, *weights, initial_state=initial_state, go_backwards=True, **options
    )
    np.testing.assert_allclose(out, [[0.13281618, 0.2790356], [0.5839337, 0.5992567]], atol=1e-5)


def test_oracle_activations():
    x = np.array([-4.0, -3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0, 4.0])
    # spec section 2: Keras 2 vs Keras 3 hard_sigmoid at these points
    np.testing.assert_allclose(
        ACTIVATIONS["hard_sigmoid"](x), [0, 0, 0, 0.3, 0.5, 0.7, 1, 1, 1], atol=1e-15
    )
    np.testing.assert_allclose(
        ACTIVATIONS["keras3_hard_sigmoid"](x),
        [0, 0, 1 / 12, 1 / 3, 0.5, 2 / 3, 11 / 12, 1, 1],
        atol=1e-15,
    )
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"](x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"](np.array([-800.0, 800.0])), [0, 1])
    np.testing.assert_allclose(ACTIVATIONS["softplus"](x), np.log1p(np.exp(x)), rtol=1e-15)
    np.testing.assert_allclose(
        ACTIVATIONS["selu"](np.array([-1.0, 2.0])), [-1.1113307, 2.101402], rtol=1e-6
    )
    np.testing.assert_allclose(ACTIVATIONS["elu"](np.array([-1.0, 2.0])), [math.expm1(-1), 2])


# ---------------------------------------------------------------------------------------
# rnnkit against the oracle

SHAPES = [  # (batch, time, features, units)
    (1, 1, 1, 1),
    (1, 6, 3, 2),
    (4, 1, 5, 3),
    (3, 5, 2, 4),
    (2, 8, 7, 7),
    (5, 3, 4, 1),
]


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_shapes(variant, shape, training):
    """Default activations, random biases and initial states, every returned array.

    Inference and training (no dropout) keep different buffers (the LSTM's cell
    states: two rows in turn, or one per step); both must return the same states.
    """
    batch, time, features, units = shape
    rng = rng_for("shapes", variant, shape)
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        initial_state=random_states(rng, variant, batch, units),
        return_sequences=True,
        return_state=True,
        training=training,
    )


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_output_modes(variant, return_sequences, return_state, go_backwards):
    rng = rng_for("modes", variant, return_sequences, return_state, go_backwards)
    batch, time, features, units = 3, 5, 4, 3
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        initial_state=random_states(rng, variant, batch, units),
        return_sequences=return_sequences,
        return_state=return_state,
        go_backwards=go_backwards,
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_zero_initial_state_by_default(variant):
    rng = rng_for("no initial state", variant)
    assert_parity(
        variant,
        rng.normal(size=(2, 4, 3)),
        random_weights(rng, variant, 3, 2),
        units=2,
        return_sequences=True,
        return_state=True,
    )


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask_kind", MASK_KINDS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_masks(variant, mask_kind, go_backwards, zero_output_for_mask, return_sequences):
    """Masked steps carry the state; outputs repeat the previous one (zeros before any)."""
    rng = rng_for("masks", variant, mask_kind, go_backwards, zero_output_for_mask, return_sequences)
    batch, time, features, units = 4, 6, 3, 5
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        mask=make_mask(mask_kind, rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
        return_sequences=return_sequences,
        return_state=True,
    )


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_inference_in_chunks(monkeypatch, variant, go_backwards, return_sequences, chunk):
    """Inference projects the inputs a few steps at a time; the states carry across chunks.

    ``_CHUNK_BYTES`` and ``_CHUNK_ROWS`` are set so that each chunk holds ``chunk`` steps
    of 7 (odd and even chunks, a shorter last one, one step per chunk), with padding that
    crosses chunks.
    """
    from rnnkit.layers import recurrent

    rng = rng_for("chunks", variant, go_backwards, return_sequences, chunk)
    batch, time, features, units = 3, 7, 4, 5
    width = n_gates(variant) * units
    monkeypatch.setattr(recurrent, "_CHUNK_BYTES", chunk * batch * width * 8)
    monkeypatch.setattr(recurrent, "_CHUNK_ROWS", 1)
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        mask=make_mask("middle_holes", rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        go_backwards=go_backwards,
        return_sequences=return_sequences,
        return_state=True,
    )


@pytest.mark.parametrize("mask_dtype", [np.int8, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_integer_mask(variant, mask_dtype):
    """A 0/1 integer mask means the same as the boolean one."""
    rng = rng_for("int mask", variant, np.dtype(mask_dtype).name)
    batch, time, features, units = 3, 5, 2, 3
    x = rng.normal(size=(batch, time, features))
    weights = random_weights(rng, variant, features, units)
    initial_state = random_states(rng, variant, batch, units)
    mask = make_mask("middle_holes", rng, batch, time)
    mask[2, :] = False
    options = {"return_sequences": True, "return_state": True, "units": units}
    got = run_layer(
        variant, x, weights, mask=mask.astype(mask_dtype), initial_state=initial_state, **options
    )
    want = run_oracle(variant, x, weights, mask=mask, initial_state=initial_state, **options)
    assert_same(got, want)


@pytest.mark.parametrize("mask_kind", ["none", "left_padding", "middle_holes", "fully_masked_row"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_unroll(variant, go_backwards, mask_kind):
    """``unroll=True`` gives the same numbers, masking corner cases included."""
    rng = rng_for("unroll", variant, go_backwards, mask_kind)
    batch, time, features, units = 3, 5, 2, 4
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        mask=None if mask_kind == "none" else make_mask(mask_kind, rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        unroll=True,
        go_backwards=go_backwards,
        return_sequences=True,
        return_state=True,
    )


def activation_cases():
    """Every (activation, recurrent_activation) pair once, the gated layer rotating.

    Across the 121 cases each layer also meets every activation in both roles, so all
    three factors are covered pairwise. SimpleRNN gets every activation on its own.
    """
    for (i, act), (j, rec) in itertools.product(
        enumerate(ACTIVATION_NAMES), enumerate(ACTIVATION_NAMES)
    ):
        variant = GATED[(i + j) % len(GATED)]
        yield pytest.param(variant, act, rec, id=f"{variant}-{act}-{rec}")
    for act in ACTIVATION_NAMES:
        yield pytest.param("simple_rnn", act, None, id=f"simple_rnn-{act}")


@pytest.mark.parametrize(
    ("variant", "activation", "recurrent_activation"), list(activation_cases())
)
def test_parity_activations(variant, activation, recurrent_activation):
    rng = rng_for("activations", variant, activation, recurrent_activation)
    batch, time, features, units = 3, 4, 3, 2
    options = {"activation": activation}
    if recurrent_activation is not None:
        options["recurrent_activation"] = recurrent_activation
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        # small weights keep exponential / linear / relu compositions finite
        random_weights(rng, variant, features, units, scale=0.3),
        units=units,
        mask=make_mask("middle_holes", rng, batch, time),
        initial_state=random_states(rng, variant, batch, units, scale=0.5),
        return_sequences=True,
        return_state=True,
        **options,
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_without_bias(variant):
    rng = rng_for("no bias", variant)
    batch, time, features, units = 3, 4, 5, 2
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units, use_bias=False),
        units=units,
        mask=make_mask("left_padding", rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        use_bias=False,
        return_sequences=True,
        return_state=True,
    )


def dropout_cases():
    for variant in VARIANTS:
        implementations = [None] if variant == "simple_rnn" else [1, 2]
        for implementation, which in itertools.product(
            implementations, ["input", "recurrent", "both"]
        ):
            yield pytest.param(
                variant, implementation, which, id=f"{variant}-{implementation}-{which}"
            )


@pytest.mark.parametrize("block_rows", [None, 3])
@pytest.mark.parametrize(("variant", "implementation", "which"), list(dropout_cases()))
def test_parity_fixed_dropout_masks(monkeypatch, variant, implementation, which, block_rows):
    """Given dropout masks, training=True equals the oracle with the same masks.

    ``block_rows=3``: the per-gate masked products run in blocks of 3 rows (the default
    block holds every row of these small sequences).
    """
    from rnnkit.kernels import dropout as dropout_kernels

    if block_rows is not None:
        monkeypatch.setattr(dropout_kernels, "BLOCK_ROWS", block_rows)
    rng = rng_for("dropout", variant, implementation, which)
    batch, time, features, units = 4, 5, 3, 4
    rate, recurrent_rate = 0.25, 0.4
    options = {
        "dropout": rate if which in ("input", "both") else 0.0,
        "recurrent_dropout": recurrent_rate if which in ("recurrent", "both") else 0.0,
    }
    if implementation is not None:
        options["implementation"] = implementation
    # Per-gate masks when the layer runs implementation 1 (recurrent dropout may force it,
    # as in Keras 2), one shared mask otherwise.
    layer_implementation = getattr(make_layer(variant, units, **options), "implementation", 2)
    count = n_gates(variant) if layer_implementation == 1 else 1
    input_masks = recurrent_masks = None
    if options["dropout"]:
        input_masks = dropout_mask(rng, count, batch, features, rate)
    if options["recurrent_dropout"]:
        recurrent_masks = dropout_mask(rng, count, batch, units, recurrent_rate)
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        mask=make_mask("middle_holes", rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        training=True,
        dropout_masks=(input_masks, recurrent_masks),
        go_backwards=which == "both",
        return_sequences=True,
        return_state=True,
        **options,
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_dropout_off_at_inference(variant):
    """training=False ignores dropout entirely."""
    rng = rng_for("inference", variant)
    batch, time, features, units = 2, 4, 3, 3
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        training=False,
        dropout=0.5,
        recurrent_dropout=0.5,
        return_sequences=True,
    )


def build_stateful(variant, weights, batch, time, features, units):
    layer = make_layer(variant, units, stateful=True, return_sequences=True, return_state=True)
    layer.build((batch, time, features))
    layer.set_weights(weights)
    return layer


@pytest.mark.parametrize("lengths", [(4, 4), (3, 5)], ids=["equal", "unequal"])
@pytest.mark.parametrize("with_mask", [False, True], ids=["no_mask", "mask"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_stateful(variant, with_mask, lengths):
    """Two calls on a stateful layer continue one sequence; reset_states() zeroes the states."""
    rng = rng_for("stateful", variant, with_mask, lengths)
    batch, features, units = 3, 2, 4
    split = lengths[0]
    x = rng.normal(size=(batch, sum(lengths), features))
    weights = random_weights(rng, variant, features, units)
    # middle holes: row 0 is masked across the split, so the second call starts masked
    mask = make_mask("middle_holes", rng, batch, sum(lengths)) if with_mask else None
    head_mask, tail_mask = (None, None) if mask is None else (mask[:, :split], mask[:, split:])
    oracle = {"units": units, "return_sequences": True, "return_state": True}
    layer = build_stateful(variant, weights, batch, split, features, units)

    first = layer(x[:, :split], mask=head_mask)
    second = layer(x[:, split:], mask=tail_mask)
    head = run_oracle(variant, x[:, :split], weights, mask=head_mask, **oracle)
    # Each call starts with no previous output, so the second call equals a fresh oracle run
    # from the first call's states (its leading masked steps output zeros).
    tail = run_oracle(
        variant, x[:, split:], weights, mask=tail_mask, initial_state=head[1:], **oracle
    )
    assert_same(first, head)
    assert_same(second, tail)
    joined = run_oracle(variant, x, weights, mask=mask, **oracle)
    assert_same(second[1:], joined[1:])  # the states continue one sequence
    if not with_mask:
        assert_same(np.concatenate([first[0], second[0]], axis=1), joined[0])

    layer.reset_states()
    assert_same(layer(x[:, split:]), run_oracle(variant, x[:, split:], weights, **oracle))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_stateful_reset_to_given_states(variant):
    """Keras 2 ``reset_states(states)`` sets the states the next call starts from."""
    rng = rng_for("stateful reset", variant)
    batch, time, features, units = 2, 3, 4, 3
    x = rng.normal(size=(batch, time, features))
    weights = random_weights(rng, variant, features, units)
    states = random_states(rng, variant, batch, units)
    layer = build_stateful(variant, weights, batch, time, features, units)
    layer(x)
    layer.reset_states(states)
    got = layer(x)
    want = run_oracle(
        variant,
        x,
        weights,
        units=units,
        initial_state=states,
        return_sequences=True,
        return_state=True,
    )
    assert_same(got, want)


@pytest.mark.parametrize("variant", ["simple_rnn", "gru", "gru_reset_after"])
def test_parity_initial_state_as_single_array(variant):
    """A one-state layer also takes its initial state as a bare array, as Keras does."""
    rng = rng_for("bare initial state", variant)
    batch, time, features, units = 2, 3, 3, 2
    x = rng.normal(size=(batch, time, features))
    weights = random_weights(rng, variant, features, units)
    (h0,) = random_states(rng, variant, batch, units)
    layer = make_layer(variant, units)
    layer.build(x.shape)
    layer.set_weights(weights)
    got = layer(x, initial_state=h0)
    want = run_oracle(variant, x, weights, units=units, initial_state=[h0])
    assert_same(got, want)


FLOAT32_CASES = [
    {},
    {"go_backwards": True, "mask_kind": "left_padding"},
    {"mask_kind": "fully_masked_row", "zero_output_for_mask": True},
    {"activation": "relu", "recurrent_activation": "sigmoid", "mask_kind": "middle_holes"},
]


@pytest.mark.parametrize(
    "case", FLOAT32_CASES, ids=lambda c: "-".join(map(str, c.values())) or "plain"
)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parity_float32(variant, case):
    """float32 layers compute in float32, within 1e-5 of the float64 oracle."""
    options = dict(case)
    mask_kind = options.pop("mask_kind", "all_valid")
    rng = rng_for("float32", variant, tuple(case.items()))
    batch, time, features, units = 4, 7, 5, 6
    assert_parity(
        variant,
        rng.normal(size=(batch, time, features)),
        random_weights(rng, variant, features, units),
        units=units,
        dtype="float32",
        mask=make_mask(mask_kind, rng, batch, time),
        initial_state=random_states(rng, variant, batch, units),
        return_sequences=True,
        return_state=True,
        **options,
    )
