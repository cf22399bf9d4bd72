"""Central-difference gradient checks of every recurrent layer's backward (float64).

Loss = sum_j sum(output_j * R_j) + sum(layer.losses) for fixed random R_j, so the
checked gradient covers the outputs, the states, and every regularization penalty.
"""

import numpy as np
import pytest

from rnnkit import regularizers
from rnnkit.activations import names as activation_names
from rnnkit.layers import GRU, LSTM, SimpleRNN

EPS = 1e-6
TOL = 1e-6
BATCH, STEPS, FEATURES, UNITS = 2, 4, 3, 3
CELLS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def make_layer(cell, rng, scale=0.6, **kwargs):
    layer = CELLS[cell](UNITS, dtype="float64", **kwargs)
    layer.build((BATCH, STEPS, FEATURES))
    # Random weights and non-zero biases (zero biases hide bias bugs).
    layer.set_weights([rng.normal(0, scale, w.shape) for w in layer.get_weights()])
    return layer


def fix_dropout(layer, rng, implementation):
    count = GATES[layer_cell(layer)] if implementation == 1 else 1
    inp = (rng.random((count, BATCH, FEATURES)) > 0.3) / 0.7 if layer.dropout else None
    rec = (rng.random((count, BATCH, UNITS)) > 0.3) / 0.7 if layer.recurrent_dropout else None
    layer._dropout_masks = lambda batch, features: (inp, rec)


def layer_cell(layer):
    return {SimpleRNN: "simple_rnn", LSTM: "lstm", GRU: "gru"}[type(layer)]


def loss_of(outputs, upstream, layer):
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return sum(float(np.sum(o * r)) for o, r in zip(outputs, upstream, strict=True)) + sum(
        layer.losses
    )


def check_gradients(layer, x, rng, *, mask=None, initial_state=None, before_each=None):
    """Compare backward() with central differences for x, every weight and the initial states."""
    call = dict(training=True, mask=mask)
    if initial_state is not None:
        call["initial_state"] = initial_state

    def run():
        if before_each is not None:
            before_each()
        return layer(x, **call)

    outputs = run()
    outs = outputs if isinstance(outputs, list) else [outputs]
    upstream = [rng.normal(size=o.shape) for o in outs]
    result = layer.backward(upstream if isinstance(outputs, list) else upstream[0])
    if initial_state is not None:
        d_x, d_states = result[0], result[1:]
    else:
        d_x, d_states = result, []
    analytic = [d_x, *[g.copy() for g in layer.get_gradients()], *d_states]
    targets = [x, *layer.weights, *(initial_state or [])]
    for target, grad in zip(targets, analytic, strict=True):
        numeric = np.zeros_like(target)
        for idx in np.ndindex(target.shape):
            saved = target[idx]
            target[idx] = saved + EPS
            plus = loss_of(run(), upstream, layer)
            target[idx] = saved - EPS
            minus = loss_of(run(), upstream, layer)
            target[idx] = saved
            numeric[idx] = (plus - minus) / (2 * EPS)
        denom = max(np.linalg.norm(numeric) + np.linalg.norm(grad), 1e-12)
        rel = np.linalg.norm(numeric - grad) / denom
        assert rel < TOL, f"relative error {rel:.2e} for a target of shape {target.shape}"
        # A gradient that is identically zero would pass trivially; these never are.
        assert np.linalg.norm(numeric) > 0 or target is x


def padded_mask(kind):
    mask = np.ones((BATCH, STEPS), dtype=bool)
    if kind == "left":
        mask[0, :2] = False
        mask[1, :1] = False
    elif kind == "right":
        mask[0, -2:] = False
        mask[1, -1:] = False
    elif kind == "middle":
        mask[0, 1:3] = False
        mask[1, 2] = False
    elif kind == "full_row":
        mask[1, :] = False
        mask[0, 1] = False
    return mask


ACTIVATIONS = [a for a in activation_names() if a != "exponential"] + ["exponential"]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation(cell, activation, rng):
    kwargs = {"activation": activation}
    if cell != "simple_rnn":
        # Pair each activation with a different recurrent activation, covering all of them.
        names = activation_names()
        kwargs["recurrent_activation"] = names[(names.index(activation) + 3) % len(names)]
    # An exponential gate overflows quickly (as in Keras); keep its pre-activations small.
    scale = 0.2 if "exponential" in kwargs.values() else 0.6
    layer = make_layer(cell, rng, scale=scale, return_sequences=True, **kwargs)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    check_gradients(layer, x, rng)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"use_bias": False},
        {"return_sequences": True},
        {"return_state": True},
        {"return_sequences": True, "return_state": True},
        {"go_backwards": True},
        {"go_backwards": True, "return_sequences": True, "return_state": True},
        {"recurrent_activation": "sigmoid", "return_sequences": True},
    ],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default",
)
def test_options(cell, options, rng):
    if cell == "simple_rnn":
        options = {k: v for k, v in options.items() if k != "recurrent_activation"}
    layer = make_layer(cell, rng, **options)
    check_gradients(layer, rng.normal(size=(BATCH, STEPS, FEATURES)), rng)


@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("use_bias", [False, True])
def test_gru_variants(reset_after, use_bias, rng):
    layer = make_layer(
        "gru",
        rng,
        reset_after=reset_after,
        use_bias=use_bias,
        return_sequences=True,
        recurrent_activation="sigmoid",
    )
    check_gradients(layer, rng.normal(size=(BATCH, STEPS, FEATURES)), rng)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("implementation", [1, 2])
@pytest.mark.parametrize("which", ["dropout", "recurrent_dropout", "both"])
def test_fixed_dropout_masks(cell, implementation, which, rng):
    kwargs = {"return_sequences": True}
    if which in ("dropout", "both"):
        kwargs["dropout"] = 0.3
    if which in ("recurrent_dropout", "both"):
        kwargs["recurrent_dropout"] = 0.3
    if cell == "gru_reset_after":
        cell, kwargs["reset_after"] = "gru", True
    if cell != "simple_rnn":
        kwargs["implementation"] = implementation
    elif implementation == 2:
        pytest.skip("SimpleRNN has a single mask")
    layer = make_layer(cell, rng, **kwargs)
    fix_dropout(layer, rng, implementation)
    check_gradients(layer, rng.normal(size=(BATCH, STEPS, FEATURES)), rng)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("kind", ["left", "right", "middle", "full_row"])
@pytest.mark.parametrize(
    "options",
    [
        {"return_sequences": True},
        {"return_sequences": True, "zero_output_for_mask": True},
        {"return_state": True},
        {"zero_output_for_mask": True, "return_state": True},
        {"go_backwards": True, "return_sequences": True},
    ],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()),
)
def test_masks(cell, kind, options, rng):
    if cell == "gru_reset_after":
        cell, options = "gru", {**options, "reset_after": True}
    layer = make_layer(cell, rng, **options)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    states = [rng.normal(size=(BATCH, UNITS)) for _ in layer._state_names]
    check_gradients(layer, x, rng, mask=padded_mask(kind), initial_state=states)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("return_state", [False, True])
def test_initial_states(cell, return_state, rng):
    options = {"return_state": return_state, "return_sequences": True}
    if cell == "gru_reset_after":
        cell, options["reset_after"] = "gru", True
    layer = make_layer(cell, rng, **options)
    states = [rng.normal(size=(BATCH, UNITS)) for _ in layer._state_names]
    check_gradients(layer, rng.normal(size=(BATCH, STEPS, FEATURES)), rng, initial_state=states)


@pytest.mark.parametrize("cell", CELLS)
def test_stateful_chaining(cell, rng):
    """Truncated BPTT: the second call's gradient stops at the call boundary."""
    layer = make_layer(cell, rng, stateful=True, return_sequences=True)
    layer(rng.normal(size=(BATCH, STEPS, FEATURES)))  # first chunk sets the carried state
    carried = [s.copy() for s in layer.states]
    assert all(np.abs(s).sum() > 0 for s in carried)
    check_gradients(
        layer,
        rng.normal(size=(BATCH, STEPS, FEATURES)),
        rng,
        before_each=lambda: layer.reset_states([s.copy() for s in carried]),
    )


REGULARIZERS = {
    "l1": regularizers.L1(0.01),
    "l2": regularizers.L2(0.02),
    "l1_l2": regularizers.L1L2(l1=0.01, l2=0.03),
}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("reg", REGULARIZERS)
@pytest.mark.parametrize("where", ["kernel", "recurrent", "bias", "activity"])
def test_regularizers(cell, reg, where, rng):
    layer = make_layer(cell, rng, return_state=True, **{f"{where}_regularizer": REGULARIZERS[reg]})
    check_gradients(layer, rng.normal(size=(BATCH, STEPS, FEATURES)), rng)
    assert sum(layer.losses) > 0


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize(("units", "features", "batch"), [(1, 3, 2), (3, 1, 2), (1, 1, 1)])
@pytest.mark.parametrize("dropout", [False, True])
def test_size_one_dimensions(cell, units, features, batch, dropout, rng):
    """One unit, one input feature, one sample: one-row BLAS operands (a past bug)."""
    kwargs = {"return_sequences": True}
    if cell == "gru_reset_after":
        cell, kwargs["reset_after"] = "gru", True
    if dropout:
        kwargs.update(dropout=0.3, recurrent_dropout=0.3)
    layer = CELLS[cell](units, dtype="float64", **kwargs)
    layer.build((batch, STEPS, features))
    layer.set_weights([rng.normal(0, 0.6, w.shape) for w in layer.get_weights()])
    if dropout:
        count = GATES[cell]
        inp = (rng.random((count, batch, features)) > 0.3) / 0.7
        rec = (rng.random((count, batch, units)) > 0.3) / 0.7
        inp[:, 0, 0] = rec[:, 0, 0] = 1 / 0.7  # keep one entry, or a gradient is truly zero
        layer._dropout_masks = lambda b, f: (inp, rec)
    check_gradients(layer, rng.normal(size=(batch, STEPS, features)), rng)


def _cell_options(cell: str, dropout: int | None) -> tuple[str, dict]:
    """``(base cell, layer options)``: GRU's reset_after variant, dropout 0.3 on both
    inputs and states with ``implementation=dropout`` (SimpleRNN has a single mask)."""
    base = cell.removesuffix("_reset_after")
    options: dict = {"reset_after": True} if cell == "gru_reset_after" else {}
    if dropout is not None:
        options.update(dropout=0.3, recurrent_dropout=0.3)
        if base != "simple_rnn":
            options["implementation"] = dropout
    return base, options


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("dropout", [None, 1, 2], ids=["no_dropout", "per_gate", "shared"])
def test_forward_in_chunks(monkeypatch, cell, chunk, dropout, rng):
    """The training forward projects the inputs a chunk of steps at a time (chunks of 1
    and of 3 + 1 steps here); gradients stay exact through the chunk boundaries. The
    per-gate masked products also run in blocks of 3 rows (not a whole number of
    samples), so their gradients accumulate over blocks."""
    from rnnkit.kernels import dropout as dropout_kernels
    from rnnkit.layers import recurrent

    base, options = _cell_options(cell, dropout)
    monkeypatch.setattr(recurrent, "_CHUNK_BYTES", chunk * BATCH * GATES[base] * UNITS * 8)
    monkeypatch.setattr(recurrent, "_CHUNK_ROWS", 1)
    monkeypatch.setattr(dropout_kernels, "BLOCK_ROWS", 3)
    layer = make_layer(base, rng, return_sequences=True, return_state=True, **options)
    assert layer._chunk_steps(BATCH, STEPS) == chunk
    if dropout is not None:
        fix_dropout(layer, rng, dropout if base != "simple_rnn" else 2)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    states = [rng.normal(size=(BATCH, UNITS)) for _ in range(2 if base == "lstm" else 1)]
    check_gradients(layer, x, rng, mask=padded_mask("middle"), initial_state=states)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
def test_one_step(cell, rng):
    """A one-step sequence with initial states (the LSTM saves its c rows one per step)."""
    base = cell.removesuffix("_reset_after")
    options = {"reset_after": True} if cell == "gru_reset_after" else {}
    layer = make_layer(base, rng, return_state=True, **options)
    x = rng.normal(size=(BATCH, 1, FEATURES))
    states = [rng.normal(size=(BATCH, UNITS)) for _ in range(2 if base == "lstm" else 1)]
    check_gradients(layer, x, rng, initial_state=states)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("dropout", [None, 1], ids=["no_dropout", "per_gate"])
def test_backward_reads_u_or_its_transposed_copy_alike(monkeypatch, cell, dropout, rng):
    """The backward's per-step products read a contiguous copy of U^T when the call has
    enough rows (_TRANSPOSE_ROWS), else U itself: the gradients agree."""
    from rnnkit.layers import recurrent

    base, options = _cell_options(cell, dropout)
    layer = make_layer(base, rng, return_sequences=True, **options)
    if dropout is not None:
        fix_dropout(layer, rng, dropout if base != "simple_rnn" else 2)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    d_out = rng.normal(size=(BATCH, STEPS, UNITS))
    results = []
    for rows in (0, 10**9):  # always the copy, never
        monkeypatch.setattr(recurrent, "_TRANSPOSE_ROWS", rows)
        layer(x, training=True, mask=padded_mask("middle"))
        d_x = layer.backward(d_out)
        results.append([d_x, *(g.copy() for g in layer.get_gradients())])
    for copied, direct in zip(*results, strict=True):
        np.testing.assert_allclose(copied, direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("paired", [0, 2, 3])
@pytest.mark.parametrize("input_gradient", [False, True])
@pytest.mark.parametrize("block_rows", [4, 5, 64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_gradients_against_numpy(paired, input_gradient, block_rows, dtype, rng):
    """masked_gradients makes, in one pass, the masked weight gradients of x (every
    block) and of h (the first ``paired`` blocks) and, when asked, the input gradient:
    each equals its plain NumPy product, for blocks that split samples (5 rows, batch
    4), a strided gradient (a column block of a wider array) and an ``h`` output that
    is a column block of a wider array."""
    from rnnkit.kernels import dropout as dropout_kernels

    batch, steps, features, units, blocks, width = 4, 6, 5, 3, 3, 2
    rows = batch * steps
    x = rng.normal(size=(rows, features)).astype(dtype)
    h = rng.normal(size=(rows, units)).astype(dtype)
    wide = rng.normal(size=(rows, blocks * width + 3)).astype(dtype)
    d = wide[:, 1 : 1 + blocks * width]
    w = rng.normal(size=(features, blocks * width)).astype(dtype)
    x_masks = (rng.random((blocks, batch, features)) > 0.4).astype(dtype) / 0.6
    h_masks = np.ascontiguousarray(
        (rng.random((blocks, batch, units)) > 0.4).astype(dtype)[:paired] / 0.6
    )
    x_out = np.full((features, blocks * width), np.nan, dtype)
    h_wide = np.full((units, blocks * width + 2), np.nan, dtype)
    h_out = h_wide[:, : paired * width]
    dx_out = np.full((rows if input_gradient else 0, features), np.nan, dtype)
    dropout_kernels.masked_gradients(x, h, d, x_masks, h_masks, w, x_out, h_out, dx_out, block_rows)
    sample = np.arange(rows) % batch
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12}
    expected_dx = np.zeros((rows, features))
    for g in range(blocks):
        cols = slice(g * width, (g + 1) * width)
        expected = (x * x_masks[g][sample]).T @ d[:, cols]
        np.testing.assert_allclose(x_out[:, cols], expected, **tolerance)
        if g < paired:
            expected = (h * h_masks[g][sample]).T @ d[:, cols]
            np.testing.assert_allclose(h_out[:, cols], expected, **tolerance)
        expected_dx += (d[:, cols] @ w[:, cols].T) * x_masks[g][sample]
    assert np.isnan(h_wide[:, paired * width :]).all()  # columns past the paired blocks untouched
    if input_gradient:
        np.testing.assert_allclose(dx_out, expected_dx, **tolerance)
