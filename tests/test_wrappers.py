"""Bidirectional and TimeDistributed: values against manually run layers, gradients, configs.

The Bidirectional oracle runs two plain (forward-reading) layers with the wrapper's
weights: one on the input, one on the time-reversed input and mask; then merges with
NumPy. Gradients: central differences in float64, loss sum(outputs * R) + sum(losses).
"""

import json

import numpy as np
import pytest

from rnnkit.errors import ArgumentError, ArgumentTypeError, NotBuiltError, ShapeError
from rnnkit.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    SimpleRNN,
    TimeDistributed,
)

EPS = 1e-6
TOL = 1e-6
BATCH, STEPS, FEATURES, UNITS = 2, 3, 2, 2
CELLS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
MERGES = ["concat", "sum", "mul", "ave", None]
MASK = np.array([[True, True, False], [False, True, True]])


def randomize(layer, rng, scale=0.6):
    layer.set_weights([rng.normal(0, scale, w.shape) for w in layer.get_weights()])


def make_bidirectional(cell, rng, merge_mode="concat", **kwargs):
    layer = Bidirectional(CELLS[cell](UNITS, dtype="float64", **kwargs), merge_mode=merge_mode)
    layer.build((BATCH, STEPS, FEATURES))
    randomize(layer, rng)
    return layer


def as_list(outputs):
    return outputs if isinstance(outputs, list) else [outputs]


def run_manually(bi, x, mask=None, initial_state=None):
    """``[y, y_rev_aligned, *fw_states, *bw_states]`` from two plain forward layers."""
    config = bi.layer.get_config()
    config.update(go_backwards=False, zero_output_for_mask=bi.return_sequences)
    results = []
    n_fw = len(bi.forward_layer._state_names)
    halves = (None, None) if initial_state is None else (initial_state[:n_fw], initial_state[n_fw:])
    for sub, data, m, init in (
        (bi.forward_layer, x, mask, halves[0]),
        (bi.backward_layer, x[:, ::-1], None if mask is None else mask[:, ::-1], halves[1]),
    ):
        plain = type(bi.layer).from_config({**config, "name": sub.name + "_manual"})
        plain.build(x.shape)
        plain.set_weights(sub.get_weights())
        results.append(as_list(plain(np.ascontiguousarray(data), mask=m, initial_state=init)))
    (y, *fw_states), (y_rev, *bw_states) = results
    if bi.return_sequences:
        y_rev = y_rev[:, ::-1]  # processing order -> input order
    return y, y_rev, fw_states, bw_states


def merge(mode, y, y_rev):
    return {
        "concat": lambda: [np.concatenate([y, y_rev], axis=-1)],
        "sum": lambda: [y + y_rev],
        "mul": lambda: [y * y_rev],
        "ave": lambda: [(y + y_rev) / 2],
        None: lambda: [y, y_rev],
    }[mode]()


def check_gradients(layer, x, rng, *, mask=None, initial_state=None):
    """backward() against central differences: input, every weight, the initial states."""
    call = {"training": True, "mask": mask}
    if initial_state is not None:
        call["initial_state"] = initial_state
    outputs = layer(x, **call)
    upstream = [rng.normal(size=o.shape) for o in as_list(outputs)]

    def loss():
        outs = as_list(layer(x, **call))
        return sum(float(np.sum(o * r)) for o, r in zip(outs, upstream, strict=True)) + sum(
            layer.losses
        )

    result = layer.backward(upstream if isinstance(outputs, list) else upstream[0])
    d_x, d_states = (result[0], result[1:]) if initial_state is not None else (result, [])
    analytic = [d_x, *[g.copy() for g in layer.get_gradients()], *d_states]
    targets = [x, *layer.weights, *(initial_state or [])]
    for target, grad in zip(targets, analytic, strict=True):
        numeric = np.zeros_like(target)
        for idx in np.ndindex(target.shape):
            saved = target[idx]
            target[idx] = saved + EPS
            plus = loss()
            target[idx] = saved - EPS
            minus = loss()
            target[idx] = saved
            numeric[idx] = (plus - minus) / (2 * EPS)
        denom = max(np.linalg.norm(numeric) + np.linalg.norm(grad), 1e-12)
        rel = np.linalg.norm(numeric - grad) / denom
        assert rel < TOL, f"relative error {rel:.2e} for a target of shape {target.shape}"


# ----------------------------------------------------------------- Bidirectional
@pytest.mark.parametrize("mask", [None, MASK], ids=["no_mask", "mask"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("merge_mode", MERGES)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_matches_two_manual_layers(rng, cell, merge_mode, return_sequences, mask):
    bi = make_bidirectional(cell, rng, merge_mode, return_sequences=return_sequences)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    y, y_rev, _, _ = run_manually(bi, x, mask)
    expected = merge(merge_mode, y, y_rev)
    got = as_list(bi(x, mask=mask))
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
    if return_sequences and mask is not None:
        # zero_output_for_mask is forced on: masked steps are zeros in both directions.
        assert np.all(got[0][~MASK] == 0.0)


def test_sub_layers_are_fresh_config_copies():
    inner = LSTM(3, return_sequences=True, name="enc")
    bi = Bidirectional(inner)
    assert bi.forward_layer.name == "forward_enc" and bi.backward_layer.name == "backward_enc"
    assert not bi.forward_layer.go_backwards and bi.backward_layer.go_backwards
    assert bi.forward_layer.zero_output_for_mask and bi.backward_layer.zero_output_for_mask
    assert not Bidirectional(LSTM(3)).forward_layer.zero_output_for_mask
    assert inner.built is False and not inner.zero_output_for_mask  # the given layer is untouched
    bi.build((None, 4, 5))
    fw, bw = bi.forward_layer.get_weights(), bi.backward_layer.get_weights()
    assert not np.allclose(fw[0], bw[0])  # independent initializations
    assert [w.shape for w in bi.get_weights()] == [w.shape for w in fw + bw]
    assert (
        bi.weight_names[0] == "forward_enc/kernel" and bi.weight_names[3] == "backward_enc/kernel"
    )
    assert bi.count_params() == 2 * 4 * (3 * (5 + 3) + 3)  # Keras: 4 (n (in + n) + n) each


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_return_state_layout(rng, merge_mode):
    bi = make_bidirectional("lstm", rng, merge_mode, return_state=True, return_sequences=True)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    y, y_rev, fw_states, bw_states = run_manually(bi, x, MASK)
    got = bi(x, mask=MASK)
    expected = [*merge(merge_mode, y, y_rev), *fw_states, *bw_states]  # out, h, c, h, c
    assert len(got) == len(expected) == (5 if merge_mode else 6)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
    shapes = bi.compute_output_shape((BATCH, STEPS, FEATURES))
    assert [tuple(s) for s in shapes] == [g.shape for g in got]
    masks = bi.compute_mask(x, MASK)
    assert masks[0] is MASK and all(m is None for m in masks[-4:])


def test_initial_state_is_split_in_halves(rng):
    bi = make_bidirectional("lstm", rng, return_state=True)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    states = [rng.normal(size=(BATCH, UNITS)) for _ in range(4)]  # h_fw, c_fw, h_bw, c_bw
    y, y_rev, fw_states, bw_states = run_manually(bi, x, initial_state=states)
    got = bi(x, initial_state=states)
    for g, e in zip(got, [np.concatenate([y, y_rev], -1), *fw_states, *bw_states], strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12)
    with pytest.raises(ArgumentError, match="list of 4 arrays"):
        bi(x, initial_state=states[:2])


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("merge_mode", MERGES)
def test_gradients_lstm_with_mask(rng, merge_mode, return_sequences):
    bi = make_bidirectional("lstm", rng, merge_mode, return_sequences=return_sequences)
    check_gradients(bi, rng.normal(size=(BATCH, STEPS, FEATURES)), rng, mask=MASK)


@pytest.mark.parametrize(
    ("cell", "kwargs"),
    [
        ("gru", {"reset_after": True, "return_sequences": True}),
        ("gru", {}),
        ("simple_rnn", {"return_sequences": True, "activity_regularizer": "l2"}),
        ("lstm", {"kernel_regularizer": "l1", "return_sequences": True}),
    ],
)
def test_gradients_other_cells(rng, cell, kwargs):
    bi = make_bidirectional(cell, rng, "concat", **kwargs)
    check_gradients(bi, rng.normal(size=(BATCH, STEPS, FEATURES)), rng, mask=MASK)


@pytest.mark.parametrize("merge_mode", ["mul", None])
def test_gradients_return_state_and_initial_state(rng, merge_mode):
    bi = make_bidirectional("lstm", rng, merge_mode, return_state=True, return_sequences=True)
    states = [rng.normal(size=(BATCH, UNITS)) for _ in range(4)]
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    check_gradients(bi, x, rng, mask=MASK, initial_state=states)
    result = bi.backward([np.ones(s) for s in bi._cache.shapes], input_gradient=False)
    assert result[0] is None and len(result) == 5


def test_weights_argument_and_order(rng):
    donor = make_bidirectional("gru", rng)
    weights = donor.get_weights()
    bi = Bidirectional(GRU(UNITS, dtype="float64"), weights=weights)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    np.testing.assert_allclose(bi(x), donor(x))
    for a, b in zip(
        bi.get_weights(),
        bi.forward_layer.get_weights() + bi.backward_layer.get_weights(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    bi.set_weights([w * 0 for w in weights])  # in place: the sub-layers see it
    assert all((w == 0).all() for w in bi.backward_layer.get_weights())
    with pytest.raises(ArgumentError, match="expects 6 arrays"):
        Bidirectional(GRU(UNITS), weights=weights[:3])(x)


def test_backward_layer_argument(rng):
    backward = GRU(3, go_backwards=True, return_sequences=True, name="rev")
    bi = Bidirectional(LSTM(UNITS, return_sequences=True), backward_layer=backward)
    assert bi.backward_layer is backward and backward.name == "backward_rev"
    assert backward.zero_output_for_mask
    out = bi(rng.normal(size=(BATCH, STEPS, FEATURES)))
    assert out.shape == (BATCH, STEPS, UNITS + 3)
    config = bi.get_config()
    json.dumps(config)
    assert config["backward_layer"]["config"]["name"] == "rev"
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert type(clone.backward_layer) is GRU and clone.backward_layer.name == "backward_rev"


def test_config_round_trip():
    bi = Bidirectional(
        LSTM(4, return_sequences=True, dropout=0.1, seed=3, kernel_regularizer="l2"),
        merge_mode="ave",
        input_shape=(5, 3),
        name="bi",
    )
    config = bi.get_config()
    json.dumps(config)
    assert config["layer"]["class_name"] == "LSTM" and config["layer"]["config"]["name"] != "bi"
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert clone.batch_input_shape == (None, 5, 3)
    assert clone.compute_output_shape((None, 5, 3)) == (None, 5, 4)


def test_dtype_training_and_losses(rng):
    bi = Bidirectional(LSTM(3, dropout=0.5, seed=1, activity_regularizer="l2"))
    x = rng.normal(size=(4, 5, 2))
    out = bi(x)
    assert out.dtype == np.float32 and bi._cache is None
    assert bi.forward_layer._cache is None and bi.backward_layer._cache is None
    assert not np.allclose(bi(x, training=True), out)  # dropout reaches both directions
    assert len(bi.losses) == 2
    assert Bidirectional(LSTM(3), dtype="float64").backward_layer.dtype == np.float64


def test_stateful(rng):
    x1, x2 = rng.normal(size=(2, BATCH, STEPS, FEATURES))
    bi = Bidirectional(
        LSTM(UNITS, stateful=True, dtype="float64"), batch_input_shape=(BATCH, STEPS, FEATURES)
    )
    bi.build(bi.batch_input_shape)
    randomize(bi, rng)
    first = bi(x1)
    carried = [s.copy() for s in bi.states]
    assert len(carried) == 4
    second = bi(x2)
    y, y_rev, _, _ = run_manually(bi, x2, initial_state=carried)
    np.testing.assert_allclose(second, np.concatenate([y, y_rev], -1), rtol=1e-12)
    bi.reset_states()
    assert all((s == 0).all() for s in bi.states)
    np.testing.assert_allclose(bi(x1), first, rtol=1e-12)
    bi.reset_states(carried)
    np.testing.assert_allclose(bi(x2), second, rtol=1e-12)
    with pytest.raises(NotBuiltError, match="stateful"):
        Bidirectional(LSTM(2)).reset_states()


BAD_ARGUMENTS = [
    ({"layer": Dense(2)}, ArgumentTypeError, "recurrent layer instance"),
    ({"layer": "lstm"}, ArgumentTypeError, "recurrent layer instance"),
    ({"layer": LSTM(2), "merge_mode": "max"}, ArgumentError, "`merge_mode` must be one of"),
    ({"layer": LSTM(2), "backward_layer": LSTM(2)}, ArgumentError, "other go_backwards"),
    ({"layer": LSTM(2), "backward_layer": Dense(2)}, ArgumentTypeError, "backward_layer"),
    (
        {"layer": LSTM(2), "backward_layer": LSTM(2, go_backwards=True, return_sequences=True)},
        ArgumentError,
        "same return_sequences",
    ),
    (
        {"layer": LSTM(2), "merge_mode": "sum", "backward_layer": LSTM(3, go_backwards=True)},
        ArgumentError,
        "same units",
    ),
    (
        {"layer": LSTM(2), "backward_layer": LSTM(2, go_backwards=True, dtype="float64")},
        ArgumentError,
        "dtype",
    ),
    ({"layer": LSTM(2), "weights": np.ones(3)}, ArgumentTypeError, "`weights`"),
    ({"layer": LSTM(2), "go_backwards": True}, ArgumentTypeError, "unrecognized keyword"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Bidirectional(**kwargs)


def test_bad_calls(rng):
    bi = Bidirectional(LSTM(2, return_sequences=True))
    with pytest.raises(ShapeError, match=r"\(batch, time, features\)"):
        bi(np.ones((2, 3)))
    bi(np.ones((2, 3, 4)), training=True)
    with pytest.raises(ShapeError, match=r"must have shape \(2, 3, 4\)"):
        bi.backward(np.ones((2, 3, 2)))
    with pytest.raises(ArgumentError, match="one per output"):
        bi.backward([np.ones((2, 3, 4))] * 2)


# ----------------------------------------------------------------- TimeDistributed
def test_time_distributed_dense_values_and_gradients(rng):
    dense = Dense(3, activation="tanh", dtype="float64", kernel_regularizer="l2")
    layer = TimeDistributed(dense)
    x = rng.normal(size=(2, 4, 5))
    out = layer(x)
    assert out.shape == (2, 4, 3)
    for t in range(4):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]), rtol=1e-12)
    assert layer.params is dense.params and layer.weights[0] is dense.weights[0]
    check_gradients(layer, x, rng)
    assert layer.losses == dense.losses and len(layer.losses) == 1


def test_time_distributed_shapes_mask_and_config(rng):
    layer = TimeDistributed(Dense(2), name="td")
    assert layer.compute_output_shape((None, 7, 5)) == (None, 7, 2)
    mask = np.ones((3, 7), bool)
    assert layer.compute_mask(None, mask) is mask
    layer(rng.normal(size=(3, 7, 5)), mask=mask)
    config = layer.get_config()
    json.dumps(config)
    clone = TimeDistributed.from_config(config)
    assert clone.get_config() == config and type(clone.layer) is Dense
    with pytest.raises(ShapeError, match="at least 3 axes"):
        layer(np.ones((3, 5)))


def test_time_distributed_other_layers(rng):
    ids = rng.integers(0, 6, size=(2, 3, 4))
    emb = TimeDistributed(Embedding(6, 2))
    out = emb(ids, training=True)
    np.testing.assert_array_equal(out, emb.layer.get_weights()[0][ids])
    assert emb.backward(np.ones_like(out)) is None
    np.testing.assert_array_equal(emb.sparse_rows, np.unique(ids))
    assert TimeDistributed(Dense(2)).sparse_rows is None
    drop = TimeDistributed(Dropout(0.5, seed=0, dtype="float64"))
    x = rng.normal(size=(2, 3, 4))
    y = drop(x, training=True)
    np.testing.assert_array_equal(drop.backward(np.ones_like(y)), (y != 0) * 2.0)
    rnn = TimeDistributed(LSTM(2, dtype="float64"))
    check_gradients(rnn, rng.normal(size=(2, 2, 3, 2)), rng)


def test_time_distributed_bad_arguments():
    with pytest.raises(ArgumentTypeError, match="an rnnkit layer"):
        TimeDistributed("dense")
    with pytest.raises(ArgumentError, match="return_state=False"):
        TimeDistributed(LSTM(2, return_state=True))
    with pytest.raises(ArgumentError, match="dtype float64 differs"):
        TimeDistributed(Dense(2), dtype="float64")


def test_a_frozen_layer_stays_frozen_inside_the_wrappers():
    from rnnkit.models import Sequential

    x = np.random.default_rng(0).normal(size=(4, STEPS, FEATURES)).astype(np.float32)
    bi = Bidirectional(LSTM(UNITS, trainable=False))
    model = Sequential([bi, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((4, 1), np.float32), epochs=1, verbose=0)  # builds the weights
    before = [w.copy() for w in bi.get_weights()]
    model.fit(x, np.ones((4, 1), np.float32), epochs=2, verbose=0)
    for a, b in zip(before, bi.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not bi.trainable
    bi.trainable = True  # the wrapper's flag is its layers'
    assert bi.forward_layer.trainable and bi.backward_layer.trainable
    assert Bidirectional.from_config(bi.get_config()).forward_layer.trainable
    assert not TimeDistributed(Dense(2, trainable=False)).trainable
    with pytest.raises(ArgumentError, match="all trainable or all frozen"):
        Bidirectional(GRU(2), backward_layer=GRU(2, go_backwards=True, trainable=False))


def test_a_built_backward_layer_keeps_its_weights():
    backward = GRU(UNITS, go_backwards=True)
    backward.build((None, STEPS, FEATURES))
    backward.set_weights([np.full(w.shape, 0.1) for w in backward.get_weights()])
    bi = Bidirectional(GRU(UNITS), backward_layer=backward)
    bi(np.ones((BATCH, STEPS, FEATURES), np.float32))
    for w in bi.backward_layer.get_weights():
        np.testing.assert_allclose(w, 0.1)


def test_bidirectional_reset_states_checks_all_before_setting():
    bi = Bidirectional(LSTM(UNITS, stateful=True))
    bi(np.ones((BATCH, STEPS, FEATURES), np.float32))
    before = [s.copy() for s in bi.states]
    good, other = np.ones((BATCH, UNITS)), np.ones((BATCH + 1, UNITS))
    with pytest.raises(ShapeError, match="one batch size"):
        bi.reset_states([good, good, other, other])
    with pytest.raises(ShapeError, match="must have shape"):
        bi.reset_states([good, good, good, other])
    for a, b in zip(before, bi.states, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_second_bidirectional_backward_names_the_wrapper():
    bi = Bidirectional(LSTM(UNITS), name="bi")
    out = bi(np.ones((BATCH, STEPS, FEATURES), np.float32), training=True)
    bi.backward(np.ones_like(out))
    with pytest.raises(NotBuiltError, match="Bidirectional 'bi': backward"):
        bi.backward(np.ones_like(out))
