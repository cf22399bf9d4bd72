"""Problems found by the session-8 review of initializers, regularizers, activations,
pad_sequences and bucketing; each test failed before its fix (Keras 3.15 is the
reference where the expected values come from it)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit import activations, initializers, regularizers
from rnnkit.errors import ArgumentError, ArgumentTypeError
from rnnkit.layers import LSTM, Dense, Embedding
from rnnkit.models import Sequential
from rnnkit.preprocessing.sequence import pad_sequences


def test_keras_3_15_initializer_configs_load_with_their_axes():
    """Keras 3.15 writes input_axes/output_axes into VarianceScaling-based configs
    (the default LSTM kernel initializer's): rnnkit raised a raw TypeError."""
    config = {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 3, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    layer = LSTM(3, kernel_initializer=config)
    layer.build((2, 4, 5))
    assert layer.get_weights()[0].shape == (5, 12)
    init = initializers.get(config)
    assert init.get_config() == {"seed": 3, "input_axes": None, "output_axes": None}
    # With both axes given the fans are products of those axes (Keras's compute_fans).
    assert initializers.compute_fans((3, 4, 5), [0], [1, 2]) == (3, 20)
    assert initializers.compute_fans((3, 4, 5)) == (12, 15)
    scaled = initializers.VarianceScaling(3.0, "fan_in", "uniform", 0, [0], [1, 2])
    values = scaled((3, 4, 5))
    limit = np.sqrt(3.0 * 3.0 / 3)  # uniform on +-sqrt(3 * scale / fan_in), fan_in = 3
    assert 0.8 * limit < np.abs(values).max() < limit  # by the default fans: sqrt(9 / 12)
    with pytest.raises(ArgumentError, match="unknown key"):
        initializers.GlorotUniform.from_config({"seed": 1, "colour": "red"})


@pytest.mark.parametrize(
    "make",
    [
        lambda: initializers.TruncatedNormal(stddev=float("nan")),  # hung forever
        lambda: initializers.RandomNormal(mean=float("inf")),
        lambda: initializers.RandomUniform(minval=-float("inf")),
        lambda: initializers.VarianceScaling(scale=float("inf")),
        lambda: initializers.Constant(float("nan")),
        lambda: initializers.Orthogonal(gain=float("nan")),
    ],
)
def test_initializer_parameters_must_be_finite(make):
    with pytest.raises(ArgumentError, match="finite"):
        make()


def test_initializer_dtype_none_is_float32_as_keras_floatx():
    assert initializers.GlorotUniform(seed=1)((2, 2), None).dtype == np.float32
    assert initializers.Zeros()((2,), None).dtype == np.float32


def test_keras_aliases_and_case_of_distribution():
    assert isinstance(initializers.get("one"), initializers.Ones)
    assert isinstance(initializers.get("zero"), initializers.Zeros)
    config = {"class_name": "OrthogonalInitializer", "config": {"seed": 1}}
    assert isinstance(initializers.get(config), initializers.Orthogonal)
    init = initializers.VarianceScaling(distribution="Uniform")
    assert init.distribution == "uniform"


def test_regularizer_factor_none_is_keras_3_default():
    assert regularizers.L1(None).l1 == 0.01
    assert regularizers.L2(None).l2 == 0.01
    both = regularizers.L1L2(None, 0.2)
    assert both.l1 == 0.0 and both.l2 == 0.2
    with pytest.raises(ArgumentError, match="finite number >= 0"):
        regularizers.L2(float("nan"))


def test_activation_get_takes_keras_function_configs_and_refuses_other_dicts():
    keras_config = {
        "module": "keras.activations",
        "class_name": "function",
        "config": "tanh",
        "registered_name": "tanh",
    }
    assert activations.get(keras_config) is activations.tanh
    for bad in ({"a": 1}, ["tanh"], np.array([1.0])):
        with pytest.raises(ArgumentTypeError, match="activation"):
            activations.get(bad)  # was a raw "unhashable type"


def test_pad_sequences_takes_byte_string_dtypes_as_keras():
    out = pad_sequences([[1, 2], [3]], dtype="S3", value="p")
    assert out.tolist() == [[b"1", b"2"], [b"p", b"3"]]


def test_bucketing_refused_when_zero_output_for_mask_ends_the_output():
    """With zero_output_for_mask and return_sequences=False the output is zero when the
    last step read is masked; cutting the padding changed it (padded [0, 0], bucketed
    [-0.003, 0.0047])."""
    model = Sequential(
        [Embedding(10, 4, mask_zero=True), LSTM(2, zero_output_for_mask=True), Dense(1)]
    )
    model.compile("sgd", "mse")
    x = np.array([[3, 4, 5, 0, 0, 0], [6, 7, 0, 0, 0, 0]])
    with pytest.raises(ArgumentError, match="zero_output_for_mask"):
        model.predict(x, verbose=0, bucket_by_length=True)
    with pytest.raises(ArgumentError, match="zero_output_for_mask"):
        model.fit(x, np.ones((2, 1)), verbose=0, bucket_by_length=True)
    plain = Sequential([Embedding(10, 4, mask_zero=True), LSTM(2), Dense(1)])
    plain.compile("sgd", "mse")
    np.testing.assert_allclose(
        plain.predict(x, verbose=0, bucket_by_length=True), plain.predict(x, verbose=0)
    )


def test_from_config_of_a_subclass_taking_any_keywords():
    class Scaled(initializers.Initializer):
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def get_config(self):
            return dict(self.kwargs)

    assert Scaled.from_config({"v": 2}).get_config() == {"v": 2}


def test_keras_3_15_layer_config_entries_load():
    """Keras 3.15 writes dtype as a DTypePolicy dict and quantization_config: None;
    both were refused (a raw numpy ValueError, an unknown argument)."""
    policy = {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float64"},
        "registered_name": None,
    }
    dense = Dense.from_config({"units": 2, "dtype": policy, "quantization_config": None})
    assert dense.dtype == np.float64
    embedding = Embedding.from_config(
        {"input_dim": 5, "output_dim": 2, "dtype": policy, "quantization_config": None}
    )
    assert embedding.dtype == np.float64
    with pytest.raises(ArgumentTypeError, match="quantization_config"):
        Dense.from_config({"units": 2, "quantization_config": {"mode": "int8"}})


def test_bidirectional_from_a_keras_config_keeps_the_inner_names():
    """Keras names the wrapped layers forward_lstm / backward_lstm; a config it wrote
    carries those names, which rnnkit prefixed again (forward_forward_lstm)."""
    from rnnkit.layers import Bidirectional

    inner = LSTM(3, name="forward_lstm")
    bidi = Bidirectional(inner)
    assert (bidi.forward_layer.name, bidi.backward_layer.name) == ("forward_lstm", "backward_lstm")
    again = Bidirectional.from_config(bidi.get_config())
    assert again.forward_layer.name == "forward_lstm"
    assert again.backward_layer.name == "backward_lstm"
    given = Bidirectional(LSTM(3), backward_layer=LSTM(3, go_backwards=True, name="backward_x"))
    assert given.backward_layer.name == "backward_x"
