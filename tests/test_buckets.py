"""Length bucketing (``fit(bucket_by_length=True)``): batching, trimming, exactness."""

import numpy as np
import pytest

from rnnkit.data.buckets import batch_window, bucket_batches, padding_overhead, valid_spans
from rnnkit.errors import ArgumentError
from rnnkit.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Embedding,
    GlobalMaxPooling1D,
    Masking,
)
from rnnkit.models import Sequential
from rnnkit.preprocessing.sequence import pad_sequences
from rnnkit.utils import set_random_seed


def token_data(n, maxlen, padding="pre", seed=0, vocab=30):
    """Sequences of lengths 1..maxlen (a long-tailed spread, like reviews), padded."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(maxlen / 4), 0.6, n).astype(int), 1, maxlen)
    seqs = [rng.integers(1, vocab, size=k).tolist() for k in lengths]
    x = pad_sequences(seqs, maxlen=maxlen, padding=padding)
    y = (x == 7).any(axis=1).astype(np.float32)
    return x, y


def text_model(masking=True, merge_units=5):
    return Sequential(
        [
            Embedding(30, 6, mask_zero=masking),
            Bidirectional(GRU(merge_units, return_sequences=True, reset_after=True)),
            GlobalMaxPooling1D(),
            Dense(1, activation="sigmoid"),
        ]
    )


def test_valid_spans_cover_each_row():
    mask = np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1]], bool)
    starts, stops = valid_spans(mask)
    assert starts.tolist() == [1, 0, 0, 4]
    assert stops.tolist() == [4, 0, 5, 5]


@pytest.mark.parametrize("shuffle", [True, False])
def test_buckets_hold_every_sample_once_and_keep_every_valid_step(shuffle):
    x, _ = token_data(1003, 60)
    starts, stops = valid_spans(x != 0)
    rng = np.random.default_rng(0) if shuffle else None
    batches = bucket_batches(starts, stops, 32, rng)
    assert len(batches) == -(-len(x) // 32)  # as many steps per epoch as without buckets
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(x)))
    assert max(len(b) for b in batches) == 32
    for index in batches:
        window = batch_window(starts, stops, index)
        assert (starts[index] >= window.start).all() and (stops[index] <= window.stop).all()
    # Shuffled epochs differ; sorted ones do not.
    again = bucket_batches(starts, stops, 32, np.random.default_rng(1) if shuffle else None)
    same = all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    assert same != shuffle


def test_bucketing_cuts_padding_waste_below_ten_percent():
    x, _ = token_data(25000, 500, seed=3)
    starts, stops = valid_spans(x != 0)
    plain = [np.arange(i, min(i + 64, len(x))) for i in range(0, len(x), 64)]
    assert padding_overhead(starts, stops, plain) > 2.0  # padded: several times the real steps
    shuffled = bucket_batches(starts, stops, 64, np.random.default_rng(0))
    assert padding_overhead(starts, stops, shuffled) < 0.10


def test_empty_rows_get_a_one_step_window():
    starts, stops = valid_spans(np.zeros((3, 4), bool))
    assert batch_window(starts, stops, np.arange(3)) == slice(0, 1)


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_bucketed_predict_and_evaluate_equal_padded_ones(padding):
    set_random_seed(0)
    x, y = token_data(300, 40, padding=padding, seed=1)
    x[5, 10:14] = 0  # padding inside a row stays inside its span
    model = text_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    plain = model.predict(x, batch_size=32, verbose=0)
    bucketed = model.predict(x, batch_size=32, verbose=0, bucket_by_length=True)
    np.testing.assert_allclose(bucketed, plain, rtol=1e-5, atol=1e-6)
    loss, acc = model.evaluate(x, y, batch_size=32, verbose=0)
    b_loss, b_acc = model.evaluate(x, y, batch_size=32, verbose=0, bucket_by_length=True)
    assert b_loss == pytest.approx(loss, rel=1e-5)
    assert b_acc == acc


def test_bucketed_training_step_equals_padded_one():
    """One full batch: cutting the all-padding steps leaves every gradient unchanged."""
    x, y = token_data(64, 50, seed=2)
    x = np.pad(x, ((0, 0), (20, 0)))  # 20 steps of padding in every row
    weights = {}
    for bucket in (False, True):
        set_random_seed(4)
        model = Sequential([Embedding(30, 6, mask_zero=True), LSTM(7), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0, bucket_by_length=bucket)
        weights[bucket] = model.get_weights()
    for a, b in zip(weights[False], weights[True], strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def test_bucketing_with_masking_on_features():
    set_random_seed(1)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 12, 3)).astype(np.float32)
    for i, k in enumerate(rng.integers(1, 12, 40)):
        x[i, :k] = 0.0  # pre-padding with the mask value
    model = Sequential([Masking(0.0, input_shape=(12, 3)), LSTM(4), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    np.testing.assert_allclose(
        model.predict(x, batch_size=8, verbose=0, bucket_by_length=True),
        model.predict(x, batch_size=8, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    model.fit(x, rng.normal(size=(40, 2)), batch_size=8, verbose=0, bucket_by_length=True)


def test_bucketing_needs_a_masking_model():
    x, y = token_data(50, 20)
    model = text_model(masking=False)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ArgumentError, match="mask_zero=True"):
        model.fit(x, y, verbose=0, bucket_by_length=True)


def test_bucketed_predict_refuses_sequence_outputs():
    x, _ = token_data(20, 10)
    model = Sequential([Embedding(30, 4, mask_zero=True), LSTM(3, return_sequences=True)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ArgumentError, match="time axis"):
        model.predict(x, verbose=0, bucket_by_length=True)


def test_bucketing_refuses_stateful_models():
    x, y = token_data(8, 10)
    model = Sequential(
        [Embedding(30, 4, mask_zero=True, batch_input_shape=(4, 10)), LSTM(3, stateful=True)]
    )
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ArgumentError, match="stateful"):
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, bucket_by_length=True)
