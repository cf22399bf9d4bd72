"""Core, convolutional and pooling layers: gradients, values, masks, configs, bad arguments.

Gradients are checked by central differences in float64 with the loss
sum(output * R) + sum(layer.losses) for a fixed random R (relative error < 1e-6).
Forward values are checked against plain NumPy loops written independently here.
"""

import json

import numpy as np
import pytest

from rnnkit.errors import ArgumentError, ArgumentTypeError, NotBuiltError, RnnkitError, ShapeError
from rnnkit.layers import (
    LSTM,
    Activation,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Masking,
    MaxPooling1D,
    SpatialDropout1D,
)

EPS = 1e-6
TOL = 1e-6


def check_gradients(layer, x, rng, *, mask=None, before_each=None, wrt_input=True):
    """Compare backward() with central differences for the input and every weight."""
    call = {"training": True} if mask is None else {"training": True, "mask": mask}

    def run():
        if before_each is not None:
            before_each()
        return layer(x, **call)

    out = run()
    upstream = rng.normal(size=out.shape)

    def loss():
        return float(np.sum(run() * upstream)) + sum(layer.losses)

    d_x = layer.backward(upstream)
    analytic = [g.copy() for g in layer.get_gradients()]
    targets = list(layer.weights)
    if wrt_input:
        analytic.insert(0, d_x)
        targets.insert(0, x)
    else:
        assert d_x is None
    for target, grad in zip(targets, analytic, strict=True):
        numeric = np.zeros_like(target, dtype=np.float64)
        for idx in np.ndindex(target.shape):
            saved = target[idx]
            target[idx] = saved + EPS
            plus = loss()
            target[idx] = saved - EPS
            minus = loss()
            target[idx] = saved
            numeric[idx] = (plus - minus) / (2 * EPS)
        assert grad.shape == target.shape
        denom = max(np.linalg.norm(numeric) + np.linalg.norm(grad), 1e-12)
        rel = np.linalg.norm(numeric - grad) / denom
        assert rel < TOL, f"relative error {rel:.2e} for a target of shape {target.shape}"


def randomize(layer, rng, scale=0.5):
    layer.set_weights([rng.normal(0, scale, w.shape) for w in layer.get_weights()])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------------------ Dense
@pytest.mark.parametrize(
    ("activation", "use_bias", "shape"),
    [
        (None, True, (3, 4)),
        ("tanh", True, (2, 3, 4)),
        ("sigmoid", False, (3, 4)),
        ("softmax", True, (2, 3, 4)),
        ("relu", True, (3, 4)),
        ("elu", True, (3, 4)),
    ],
)
def test_dense_gradients(rng, activation, use_bias, shape):
    layer = Dense(3, activation=activation, use_bias=use_bias, dtype="float64")
    layer.build(shape)
    randomize(layer, rng)
    check_gradients(layer, rng.normal(size=shape), rng)


@pytest.mark.parametrize(("units", "features"), [(1, 3), (3, 1), (1, 1)])
def test_dense_single_unit_or_feature(rng, units, features, capfd):
    # One-row views (x.T of an (N, 1) array, kernel.T of an (F, 1) kernel) must reach
    # BLAS with a valid leading dimension.
    layer = Dense(units, dtype="float64")
    layer.build((4, features))
    randomize(layer, rng)
    check_gradients(layer, rng.normal(size=(4, features)), rng)
    x = rng.normal(size=(features, 1)).T  # (1, features), row stride of one element
    np.testing.assert_allclose(layer(x), x @ layer.get_weights()[0] + layer.get_weights()[1])
    assert "illegal value" not in capfd.readouterr().out


def test_dense_gradients_with_regularizers(rng):
    layer = Dense(
        3,
        activation="tanh",
        kernel_regularizer="l2",
        bias_regularizer={"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}},
        activity_regularizer="l1_l2",
        dtype="float64",
    )
    layer.build((2, 4))
    randomize(layer, rng)
    check_gradients(layer, rng.normal(size=(2, 4)), rng)
    assert len(layer.losses) == 3


def test_dense_values_on_every_step(rng):
    layer = Dense(3, activation="sigmoid", bias_initializer="ones")
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    out = layer(x)
    w, b = layer.get_weights()
    expected = sigmoid(np.einsum("btf,fu->btu", x.astype(np.float64), w) + b)
    assert out.dtype == np.float32 and out.shape == (2, 5, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_dense_softmax_values(rng):
    layer = Dense(4, activation="softmax", dtype="float64")
    x = rng.normal(size=(3, 2)) * 50  # large logits: the shifted exp must not overflow
    out = layer(x)
    z = x @ layer.get_weights()[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_dense_input_dim_and_mask_pass_through():
    layer = Dense(2, input_dim=7)
    assert layer.batch_input_shape == (None, 7)
    mask = np.array([[True, False]])
    assert layer.compute_mask(np.zeros((1, 2, 7)), mask) is mask
    assert layer.compute_output_shape((None, 5, 7)) == (None, 5, 2)


# -------------------------------------------------------------------- Embedding
def test_embedding_gradient_and_untouched_rows(rng):
    layer = Embedding(9, 3, dtype="float64", activity_regularizer="l2")
    layer.build((2, 4))
    ids = np.array([[1, 4, 4, 0], [7, 1, 1, 4]])
    check_gradients(layer, ids, rng, wrt_input=False)
    np.testing.assert_array_equal(layer.sparse_rows, [0, 1, 4, 7])
    grad = layer.grads["embeddings"]
    untouched = np.setdiff1d(np.arange(9), layer.sparse_rows)
    assert np.all(grad[untouched] == 0.0)
    # Independent oracle: one-hot matrix product.
    d_out = rng.normal(size=(2, 4, 3))
    layer(ids, training=True)
    layer._activity_losses = []
    layer.activity_regularizer = None
    layer.backward(d_out)
    one_hot = np.eye(9)[ids.ravel()]  # (N, V)
    np.testing.assert_allclose(grad, one_hot.T @ d_out.reshape(-1, 3), atol=1e-12)


def test_embedding_zeroes_only_previous_rows(rng):
    layer = Embedding(6, 2, dtype="float64")
    layer(np.array([[1, 2]]), training=True)
    grad = layer.grads["embeddings"]
    layer.backward(np.ones((1, 2, 2)))
    layer(np.array([[3, 3]]), training=True)
    layer.backward(np.ones((1, 2, 2)))
    assert layer.grads["embeddings"] is grad  # written in place
    np.testing.assert_array_equal(layer.sparse_rows, [3])
    np.testing.assert_array_equal(grad, np.array([[0, 0], [0, 0], [0, 0], [2, 2], [0, 0], [0, 0]]))


def test_embedding_regularizer_makes_gradient_dense(rng):
    layer = Embedding(5, 2, embeddings_regularizer="l2", dtype="float64")
    check_gradients(layer, np.array([[1, 2]]), rng, wrt_input=False)
    np.testing.assert_array_equal(layer.sparse_rows, np.arange(5))


def test_embedding_values_and_mask():
    layer = Embedding(5, 2, mask_zero=True, input_length=3)
    ids = np.array([[0, 3, 4], [2, 0, 0]])
    out = layer(ids.astype(np.float64))  # whole-number floats are accepted
    np.testing.assert_array_equal(out, layer.get_weights()[0][ids])
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert layer.supports_masking
    assert Embedding(5, 2).compute_mask(ids) is None
    assert layer.compute_output_shape((None, None)) == (None, 3, 2)
    assert layer.batch_input_shape == (None, 3)


@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        (np.array([[1, 5]]), ArgumentError, r"\[0, input_dim\) = \[0, 5\); got ids from 1 to 5"),
        (np.array([[-1, 2]]), ArgumentError, "num_words"),
        (np.array([[1.5, 2.0]]), ArgumentError, "whole numbers"),
        (np.array([["a", "b"]]), ArgumentTypeError, "integer token ids"),
        (np.array([[True]]), ArgumentTypeError, "integer token ids"),
        (np.zeros((2, 0), int), ShapeError, "token ids of shape"),
        (np.array([[1, 2, 3, 4]]), ShapeError, "input_length=3"),
    ],
)
def test_embedding_bad_ids(ids, error, match):
    with pytest.raises(error, match=match):
        Embedding(5, 2, input_length=3)(ids)


# ---------------------------------------------------------- Activation, Dropout
@pytest.mark.parametrize("name", ["tanh", "softmax", "softplus", "hard_sigmoid", "selu"])
def test_activation_layer_gradients(rng, name):
    x = rng.normal(size=(2, 3, 4))
    check_gradients(Activation(name, dtype="float64"), x, rng)


def test_activation_layer_values():
    x = np.array([[-4.0, -1.0, 0.5, 3.0]])
    np.testing.assert_allclose(Activation("hard_sigmoid")(x), [[0.0, 0.3, 0.6, 1.0]])
    np.testing.assert_allclose(Activation(None)(x), x)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Dropout(0.4, seed=3, dtype="float64"), (2, 3, 4)),
        (Dropout(0.4, noise_shape=(None, 1, 4), seed=3, dtype="float64"), (2, 3, 4)),
        (SpatialDropout1D(0.5, seed=2, dtype="float64"), (2, 3, 4)),
    ],
)
def test_dropout_gradients(rng, layer, shape):
    def same_mask():
        layer._rng = np.random.default_rng(7)

    check_gradients(layer, rng.normal(size=shape), rng, before_each=same_mask)


def test_dropout_values():
    x = np.ones((20, 6, 8))
    layer = Dropout(0.25, seed=0)
    assert layer(x) is not None and np.array_equal(layer(x), x)  # inference: identity
    assert layer._cache is None
    y = layer(x, training=True)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < np.mean(y == 0) < 0.35
    shared = Dropout(0.5, noise_shape=(None, 1, None), seed=0)(x, training=True)
    assert np.array_equal(shared, np.broadcast_to(shared[:, :1], x.shape))
    spatial = SpatialDropout1D(0.5, seed=0)(x, training=True)
    assert np.array_equal(spatial, np.broadcast_to(spatial[:, :1], x.shape))
    assert not np.array_equal(spatial[0], spatial[1])  # per sample
    assert np.array_equal(Dropout(0.0)(x, training=True), x)
    mask = np.ones((20, 6), bool)
    assert Dropout(0.1).compute_mask(x, mask) is mask


def test_dropout_seed_is_repeatable():
    x = np.ones((4, 5))
    a = Dropout(0.5, seed=11)(x, training=True)
    b = Dropout(0.5, seed=11)(x, training=True)
    np.testing.assert_array_equal(a, b)


def test_dropout_bad_noise_shape():
    with pytest.raises(ShapeError, match="does not broadcast"):
        Dropout(0.5, noise_shape=(None, 2, None))(np.ones((2, 3, 4)), training=True)


# ---------------------------------------------------------------- Masking, Flatten
def test_masking_values_mask_and_gradient(rng):
    x = rng.normal(size=(2, 4, 3))
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    x[1, 0, 0] = 0.0  # one zero feature does not mask the step
    layer = Masking(dtype="float64")
    mask = layer.compute_mask(x)
    np.testing.assert_array_equal(mask, [[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(layer(x), x * mask[..., None])
    # The mask is a constant of the backward pass (as in Keras): masked steps get no
    # gradient. Differences across a masked step would flip the mask, so they run on
    # data without one.
    layer(x, training=True)
    d_out = rng.normal(size=x.shape)
    np.testing.assert_array_equal(layer.backward(d_out), d_out * mask[..., None])
    check_gradients(layer, rng.normal(size=(2, 4, 3)), rng)
    x2 = np.where(np.abs(x) > 0.5, x, -1.0)
    assert Masking(-1.0).compute_mask(x2).dtype == bool


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten(rng, data_format):
    x = rng.normal(size=(2, 3, 4))
    layer = Flatten(data_format=data_format, dtype="float64")
    out = layer(x)
    moved = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    np.testing.assert_array_equal(out, moved.reshape(2, 12))
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)
    assert layer.compute_mask(x, np.ones((2, 3), bool)) is None
    check_gradients(layer, x, rng)
    assert Flatten()(np.ones(3)).shape == (3, 1)


# ----------------------------------------------------------------------- Conv1D
def conv1d_oracle(x, kernel, bias, stride, padding, dilation):
    """Direct loops over outputs, windows and taps (channels_last)."""
    batch, steps, _ = x.shape
    k, _, filters = kernel.shape
    span = (k - 1) * dilation + 1
    if padding == "valid":
        left, out_steps = 0, (steps - span) // stride + 1
    elif padding == "causal":
        left, out_steps = span - 1, (steps - 1) // stride + 1
    else:
        out_steps = -(-steps // stride)
        left = max((out_steps - 1) * stride + span - steps, 0) // 2
    out = np.zeros((batch, out_steps, filters))
    for t in range(out_steps):
        for j in range(k):
            s = t * stride + j * dilation - left
            if 0 <= s < steps:
                out[:, t] += x[:, s] @ kernel[j]
    return out + bias


CONV_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=2, strides=2),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, strides=3, padding="same"),
    dict(kernel_size=3, padding="causal", dilation_rate=2),
    dict(kernel_size=(2,), dilation_rate=(3,), padding="same"),
]


@pytest.mark.parametrize("kwargs", CONV_CASES)
def test_conv1d_values(rng, kwargs):
    layer = Conv1D(3, dtype="float64", bias_initializer="ones", **kwargs)
    x = rng.normal(size=(2, 7, 2))
    out = layer(x)
    kernel, bias = layer.get_weights()
    expected = conv1d_oracle(
        x,
        kernel,
        bias,
        layer.strides,
        layer.padding,
        layer.dilation_rate,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape((None, 7, 2)) == out.shape[:0] + (None, *out.shape[1:])


@pytest.mark.parametrize(
    "kwargs",
    [
        *CONV_CASES,
        dict(kernel_size=2, activation="relu", kernel_regularizer="l2", activity_regularizer="l1"),
        dict(kernel_size=2, use_bias=False, data_format="channels_first"),
    ],
)
def test_conv1d_gradients(rng, kwargs):
    layer = Conv1D(2, dtype="float64", **kwargs)
    shape = (2, 3, 6) if kwargs.get("data_format") == "channels_first" else (2, 6, 3)
    layer.build(shape)
    randomize(layer, rng)
    check_gradients(layer, rng.normal(size=shape), rng)


def test_conv1d_shapes_and_mask():
    x = np.ones((2, 100, 16))
    assert Conv1D(4, 5)(x).shape == (2, 96, 4)  # the IMDB CNN-LSTM example
    assert Conv1D(4, 3, strides=2, padding="same")(np.ones((2, 10, 5))).shape == (2, 5, 4)
    assert Conv1D(4, 3, padding="causal")(np.ones((2, 10, 5))).shape == (2, 10, 4)
    first = Conv1D(4, 3, data_format="channels_first")
    assert first(np.ones((2, 5, 10))).shape == (2, 4, 8)
    assert first.get_weights()[0].shape == (3, 5, 4)
    assert first.compute_output_shape((None, 5, None)) == (None, 4, None)
    assert Conv1D(2, 2).compute_mask(x, np.ones((2, 100), bool)) is None
    assert not Conv1D(2, 2).supports_masking


def test_conv1d_channels_first_equals_channels_last(rng):
    x = rng.normal(size=(2, 6, 3))
    last = Conv1D(2, 3, padding="same", dtype="float64")
    first = Conv1D(2, 3, padding="same", dtype="float64", data_format="channels_first")
    last(x)
    first.build((2, 3, 6))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first(x.transpose(0, 2, 1)), last(x).transpose(0, 2, 1))


# ------------------------------------------------------------------- pooling
def max_pool_oracle(x, pool, stride, padding):
    steps = x.shape[1]
    if padding == "valid":
        left, out_steps = 0, (steps - pool) // stride + 1
    else:
        out_steps = -(-steps // stride)
        left = max((out_steps - 1) * stride + pool - steps, 0) // 2
    out = np.empty((x.shape[0], out_steps, x.shape[2]))
    for t in range(out_steps):
        lo = max(t * stride - left, 0)
        hi = min(t * stride - left + pool, steps)
        out[:, t] = x[:, lo:hi].max(axis=1)
    return out


@pytest.mark.parametrize(
    ("pool_size", "strides", "padding"),
    [(2, None, "valid"), (4, None, "valid"), (3, 1, "valid"), (3, 2, "same"), (2, None, "same")],
)
def test_max_pooling_values_and_gradients(rng, pool_size, strides, padding):
    layer = MaxPooling1D(pool_size, strides=strides, padding=padding, dtype="float64")
    x = rng.normal(size=(2, 7, 3))
    stride = pool_size if strides is None else strides
    np.testing.assert_array_equal(layer(x), max_pool_oracle(x, pool_size, stride, padding))
    check_gradients(layer, x, rng)
    assert layer.compute_output_shape((None, 7, 3)) == (None, *layer(x).shape[1:])


def test_max_pooling_channels_first(rng):
    x = rng.normal(size=(2, 8, 3))
    last = MaxPooling1D(4)(x)
    first = MaxPooling1D(4, data_format="channels_first")(x.transpose(0, 2, 1))
    np.testing.assert_array_equal(first, last.transpose(0, 2, 1))
    check_gradients(
        MaxPooling1D(2, data_format="channels_first", dtype="float64"),
        rng.normal(size=(2, 3, 6)),
        rng,
    )


MASKS = [
    None,
    np.array([[True, True, True, False, False], [False, True, True, True, True]]),
    np.array([[True, False, True, False, True], [False, False, False, False, False]]),
]


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling(rng, mask, keepdims):
    x = rng.normal(size=(2, 5, 3))
    layer = GlobalAveragePooling1D(keepdims=keepdims, dtype="float64")
    out = layer(x, mask=mask)
    m = np.ones((2, 5)) if mask is None else mask.astype(float)
    expected = np.stack(
        [(x[b] * m[b, :, None]).sum(0) / max(m[b].sum(), 1) for b in range(2)]
    )  # a row with no valid step gives zeros
    np.testing.assert_allclose(out.reshape(2, 3), expected, rtol=1e-12, atol=1e-15)
    assert out.shape == ((2, 1, 3) if keepdims else (2, 3))
    assert layer.compute_mask(x, mask) is None
    check_gradients(layer, x, rng, mask=mask)


@pytest.mark.parametrize("mask", MASKS)
def test_global_max_pooling(rng, mask):
    x = rng.normal(size=(2, 5, 3))
    layer = GlobalMaxPooling1D(dtype="float64")
    out = layer(x, mask=mask)
    m = np.ones((2, 5), bool) if mask is None else mask
    expected = np.stack([x[b][m[b]].max(axis=0) if m[b].any() else np.zeros(3) for b in range(2)])
    np.testing.assert_array_equal(out, expected)
    check_gradients(layer, x, rng, mask=mask)


def test_global_pooling_channels_first(rng):
    x = rng.normal(size=(2, 5, 3))
    mask = MASKS[1]
    for cls in (GlobalAveragePooling1D, GlobalMaxPooling1D):
        last = cls()(x, mask=mask)
        first = cls(data_format="channels_first", keepdims=True)(x.transpose(0, 2, 1), mask=mask)
        assert first.shape == (2, 3, 1)
        np.testing.assert_allclose(first[..., 0], last, rtol=1e-6)
        check_gradients(
            cls(data_format="channels_first", dtype="float64"),
            x.transpose(0, 2, 1).copy(),
            rng,
            mask=mask,
        )


# ------------------------------------------------- the CNN-LSTM IMDB example stack
def test_cnn_lstm_stack_end_to_end_gradient(rng):
    """Embedding -> Dropout -> Conv1D(relu) -> MaxPooling1D -> LSTM -> Dense(sigmoid)."""
    stack = [
        Embedding(7, 3, dtype="float64"),
        Dropout(0.25, seed=1, dtype="float64"),
        Conv1D(2, 3, activation="relu", dtype="float64"),
        MaxPooling1D(2, dtype="float64"),
        LSTM(2, dtype="float64"),
        Dense(1, activation="sigmoid", dtype="float64"),
    ]
    ids = rng.integers(0, 7, size=(2, 8))
    h = ids
    for layer in stack:
        h = layer(h)
        if layer.weights:
            randomize(layer, rng)
    upstream = rng.normal(size=(2, 1))

    def run(training=True):
        stack[1]._rng = np.random.default_rng(5)
        h = ids
        for layer in stack:
            h = layer(h, training=training)
        return h

    def loss():
        return float(np.sum(run() * upstream))

    assert run().shape == (2, 1)
    d = upstream
    for i in range(len(stack) - 1, -1, -1):
        d = stack[i].backward(d, input_gradient=i > 0)
    assert d is None
    for layer in stack:
        for w, g in zip(layer.weights, [g.copy() for g in layer.get_gradients()], strict=True):
            numeric = np.zeros_like(w)
            for idx in np.ndindex(w.shape):
                saved = w[idx]
                w[idx] = saved + EPS
                plus = loss()
                w[idx] = saved - EPS
                minus = loss()
                w[idx] = saved
                numeric[idx] = (plus - minus) / (2 * EPS)
            rel = np.linalg.norm(numeric - g) / max(
                np.linalg.norm(numeric) + np.linalg.norm(g), 1e-12
            )
            assert rel < TOL, f"{layer.name}: relative error {rel:.2e}"


# ------------------------------------------------------------- the layer contract
def all_layers():
    return [
        Dense(3, activation="softmax", kernel_regularizer="l2", bias_constraint="non_neg"),
        Dense(2, input_dim=4, dtype="float64"),
        Embedding(10, 4, mask_zero=True, input_length=5, embeddings_regularizer="l1"),
        Activation("softmax"),
        Dropout(0.3, noise_shape=[None, 1, None], seed=4),
        SpatialDropout1D(0.2, seed=1),
        Masking(-1.0),
        Flatten(data_format="channels_first"),
        Conv1D(4, 3, strides=1, padding="causal", dilation_rate=2, activation="relu"),
        MaxPooling1D(3, strides=2, padding="same"),
        GlobalMaxPooling1D(keepdims=True),
        GlobalAveragePooling1D(data_format="channels_first"),
    ]


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert clone.name == layer.name


def sample_input(layer, rng):
    if isinstance(layer, Embedding):
        return rng.integers(0, 10, size=(2, 5))
    if isinstance(layer, Dense):
        return rng.normal(size=(2, 5, 4))
    return rng.normal(size=(2, 6, 4))


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: type(layer).__name__)
def test_cache_and_shapes(layer, rng):
    x = sample_input(layer, rng)
    out = layer(x, training=True)
    assert layer._cache is not None
    assert out.dtype == layer.dtype
    expected = layer.compute_output_shape((None, *x.shape[1:]))
    assert tuple(expected)[1:] == out.shape[1:] or None in tuple(expected)[1:]
    d_x = layer.backward(np.ones_like(out))
    assert d_x is None or d_x.shape == x.shape
    assert layer.backward(np.ones_like(out), input_gradient=False) is None
    layer(x)
    assert layer._cache is None
    with pytest.raises(NotBuiltError, match="training=True"):
        layer.backward(np.ones_like(out))


def test_backward_checks_gradient_shape():
    layer = Dense(2)
    layer(np.ones((3, 4)), training=True)
    with pytest.raises(ShapeError, match=r"output gradient must have shape \(3, 2\)"):
        layer.backward(np.ones((3, 3)))


BAD_ARGUMENTS = [
    (Dense, {"units": 0}, ArgumentError, "`units` must be a positive integer; got 0"),
    (Dense, {"units": 2, "activation": "softmaxx"}, ArgumentError, "softmax"),
    (Dense, {"units": 2, "activation": lambda x: x}, ArgumentTypeError, "cannot run"),
    (Dense, {"units": 2, "kernel_initializer": "glorot"}, ArgumentError, "kernel_initializer"),
    (Dense, {"units": 2, "use_bias": 1}, ArgumentTypeError, "`use_bias`"),
    (Dense, {"units": 2, "foo": 1}, ArgumentTypeError, "unrecognized keyword argument"),
    (Dense, {"units": 2, "input_dim": 3, "input_shape": (3,)}, ArgumentError, "not both"),
    (Embedding, {"input_dim": 0, "output_dim": 2}, ArgumentError, "`input_dim`"),
    (Embedding, {"input_dim": 5, "output_dim": 2, "mask_zero": "yes"}, ArgumentTypeError, "mask"),
    (Embedding, {"input_dim": 5, "output_dim": 2, "input_length": 0}, ArgumentError, "length"),
    (Dropout, {"rate": 1.0}, ArgumentError, r"`rate` must be a float in \[0, 1\)"),
    (Dropout, {"rate": 0.5, "noise_shape": "abc"}, ArgumentTypeError, "noise_shape"),
    (Dropout, {"rate": 0.5, "noise_shape": (2, 0)}, ArgumentError, "noise_shape"),
    (Dropout, {"rate": 0.5, "seed": -2}, ArgumentError, "`seed`"),
    (SpatialDropout1D, {"rate": 0.5, "noise_shape": (1,)}, ArgumentTypeError, "noise_shape"),
    (Masking, {"mask_value": "x"}, ArgumentTypeError, "`mask_value`"),
    (Activation, {"activation": "nope"}, ArgumentError, "one of linear"),
    (Flatten, {"data_format": "NCW"}, ArgumentError, "`data_format`"),
    (Conv1D, {"filters": 2, "kernel_size": 0}, ArgumentError, "`kernel_size`"),
    (Conv1D, {"filters": 2, "kernel_size": (2, 2)}, ArgumentError, "tuple of one"),
    (Conv1D, {"filters": 2, "kernel_size": 2, "padding": "full"}, ArgumentError, "causal"),
    (Conv1D, {"filters": 2, "kernel_size": 2, "strides": 2, "dilation_rate": 2}, ArgumentError,
     "cannot be combined"),
    (Conv1D, {"filters": 2, "kernel_size": 2, "groups": 2}, ArgumentError, "not implemented"),
    (MaxPooling1D, {"pool_size": 2, "padding": "causal"}, ArgumentError, "`padding`"),
    (MaxPooling1D, {"pool_size": 2, "strides": 0}, ArgumentError, "`strides`"),
    (GlobalMaxPooling1D, {"keepdims": None}, ArgumentTypeError, "`keepdims`"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        cls(**kwargs)
    assert isinstance(info.value, RnnkitError)


@pytest.mark.parametrize(
    ("layer", "x", "kwargs", "error", "match"),
    [
        (Dense(2), np.ones(4), {}, ShapeError, r"\(batch, \.\.\., features\); got \(4,\)"),
        (Dense(2), np.full((2, 3), np.nan), {}, ArgumentError, "NaN"),
        (Dense(2), np.array([["a"]]), {}, ArgumentTypeError, "numeric"),
        (Dense(2), np.ones((2, 3)), {"training": "yes"}, ArgumentTypeError, "`training`"),
        (Conv1D(2, 3), np.ones((2, 5)), {}, ShapeError, "Add a channel axis"),
        (Conv1D(2, 6), np.ones((2, 5, 1)), {}, ShapeError, "shorter than the kernel span"),
        (MaxPooling1D(6), np.ones((2, 5, 1)), {}, ShapeError, "shorter than pool_size"),
        (GlobalAveragePooling1D(), np.ones((2, 5, 1)), {"mask": np.ones((2, 4))}, ShapeError,
         r"mask must have shape \(batch, time\)"),
        (SpatialDropout1D(0.5), np.ones((2, 5)), {"training": True}, ShapeError, "features"),
        (Masking(), np.ones(3), {}, ShapeError, "expects input"),
    ],
)  # fmt: skip
def test_bad_inputs(layer, x, kwargs, error, match):
    with pytest.raises(error, match=match):
        layer(x, **kwargs)


def test_wrong_feature_size_after_build():
    layer = Dense(2)
    layer(np.ones((2, 3)))
    with pytest.raises(ShapeError, match="built for 3 input features"):
        layer(np.ones((2, 4)))
    conv = Conv1D(2, 2)
    conv(np.ones((1, 4, 3)))
    with pytest.raises(ShapeError, match="built for 3 input channels"):
        conv(np.ones((1, 4, 2)))


def test_float32_default_and_float64(rng):
    x = rng.normal(size=(2, 6, 3))
    for cls in (lambda **k: Dense(2, **k), lambda **k: Conv1D(2, 3, **k)):
        assert cls()(x).dtype == np.float32
        assert cls(dtype="float64")(x).dtype == np.float64


def test_constraints_are_applied():
    layer = Dense(2, kernel_constraint="non_neg", bias_constraint={"class_name": "NonNeg"})
    layer.build((1, 3))
    layer.set_weights([-np.ones((3, 2)), -np.ones(2)])
    layer.apply_constraints()
    assert all((w >= 0).all() for w in layer.get_weights())


def test_dense_reads_any_input_layout(capfd):
    # Reversed rows, broadcast rows and overlapping windows are arrays BLAS cannot take
    # as they are (a negative, zero or too small leading dimension): they must be read
    # correctly, forward and backward, never left to an unwritten output.
    from rnnkit.kernels.blas import matmul

    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(3, 2)).astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(8, dtype=np.float32), 3)
    layouts = [
        x[::-1],
        x[:, ::-1],
        x[::-1, ::-1],
        x[::2],
        np.asfortranarray(x),
        np.broadcast_to(x[:1], (4, 3)),
        windows,
    ]
    for a in layouts:
        np.testing.assert_allclose(matmul(a, b), a @ b, rtol=1e-6)
        np.testing.assert_allclose(matmul(b.T, a.T), b.T @ a.T, rtol=1e-6)
    layer = Dense(2)
    layer.build((None, 3))
    kernel = layer.get_weights()[0]
    for a in layouts:
        np.testing.assert_allclose(layer(a), a @ kernel + layer.get_weights()[1], rtol=1e-6)
    layer(x, training=True)
    g = rng.normal(size=(4, 2)).astype(np.float32)
    d_x = layer.backward(g[::-1])
    np.testing.assert_allclose(d_x, g[::-1] @ kernel.T, rtol=1e-5)
    np.testing.assert_allclose(layer.get_gradients()[0], x.T @ g[::-1], rtol=1e-5)
    assert "illegal value" not in capfd.readouterr().err
