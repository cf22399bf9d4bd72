"""A batch split across rnnkit's threads gives the results of the whole batch.

The split is forced (every size qualifies, parts of one row) and compared, in float64,
with an identical layer running the whole batch in one piece: outputs, final states and
every gradient must agree to rounding. The split path runs the same code per part, so
the gradient checks of the whole batch (test_gradients.py) carry over.
"""

import os
import threading

import numpy as np
import pytest

from rnnkit.kernels import threads
from rnnkit.kernels.blas import blas_threads
from rnnkit.layers import GRU, LSTM, SimpleRNN, recurrent

needs_thread_control = pytest.mark.skipif(
    blas_threads() is None, reason="the BLAS's thread count cannot be set here"
)
BATCH, STEPS, FEATURES, UNITS = 7, 5, 3, 4


@pytest.fixture
def restore_threads():
    before = threads.threads()
    yield
    threads.set_threads(before)


@pytest.fixture
def forced_split(monkeypatch, restore_threads):
    monkeypatch.setattr(recurrent, "_SPLIT_WORK", 0)
    monkeypatch.setattr(recurrent, "_SPLIT_ROWS", 1)


def test_split_covers_the_batch_in_order(restore_threads):
    threads.set_threads(3)
    if threads.threads() == 1:
        pytest.skip("the BLAS's thread count cannot be set here")
    assert threads.split(10, 2) == [(0, 3), (3, 6), (6, 10)]
    assert threads.split(5, 2) == [(0, 2), (2, 5)]  # two parts of 2+ rows
    assert threads.split(3, 2) == [(0, 3)]
    threads.set_threads(1)
    assert threads.split(10, 1) == [(0, 10)]


def test_set_threads_rejects_bad_counts(restore_threads):
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive integer"):
            threads.set_threads(bad)
    for bad in (1.5, True, "2"):
        with pytest.raises(TypeError, match="positive integer"):
            threads.set_threads(bad)


def test_environment_variable(monkeypatch):
    monkeypatch.setenv(threads.ENVIRONMENT_VARIABLE, "lots")
    with pytest.raises(ValueError, match="RNNKIT_NUM_THREADS must be a positive integer"):
        threads._configured()
    monkeypatch.setenv(threads.ENVIRONMENT_VARIABLE, "0")
    with pytest.raises(ValueError, match="at least 1"):
        threads._configured()
    monkeypatch.setenv(threads.ENVIRONMENT_VARIABLE, "3")
    assert threads._configured() == (1 if blas_threads() is None else 3)


@needs_thread_control
def test_parallel_runs_side_by_side_on_a_single_threaded_blas(restore_threads):
    threads.set_threads(2)
    before = blas_threads()
    seen = []

    def task(value):
        seen.append((threading.current_thread().name, blas_threads()))
        return value * 2

    assert threads.parallel([lambda: task(1), lambda: task(2)]) == [2, 4]
    assert {count for _, count in seen} == {1}
    assert len({name for name, _ in seen}) == 2
    assert blas_threads() == before


@needs_thread_control
def test_parallel_raises_a_task_error_after_all_ended(restore_threads):
    threads.set_threads(2)
    before = blas_threads()
    finished = []

    def slow():
        finished.append(True)

    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        threads.parallel([fails, slow])
    assert finished == [True]
    assert blas_threads() == before


needs_two_cpus = pytest.mark.skipif(
    threads._CURRENT_CPU is None or len(threads._process_cpus()) < 2,
    reason="binding threads needs two CPUs, sched_getcpu and os.sched_setaffinity",
)


def _cpu_sets_seen(tasks_count=2):
    """One parallel call; the CPU set each task ran with, the caller's first."""
    seen = [None] * tasks_count

    def task(i):
        seen[i] = os.sched_getaffinity(0)

    threads.parallel([lambda i=i: task(i) for i in range(tasks_count)])
    return seen


@needs_thread_control
@needs_two_cpus
def test_parallel_runs_each_thread_on_a_cpu_of_its_own(restore_threads):
    threads.set_threads(2)
    before = os.sched_getaffinity(0)
    _cpu_sets_seen()  # starts the pool thread
    for _ in range(3):
        caller, pool = _cpu_sets_seen()
        assert len(caller) == 1 and len(pool) == 1
        assert caller != pool
        assert caller | pool <= before
        assert os.sched_getaffinity(0) == before  # the caller's CPUs are given back


@needs_thread_control
@needs_two_cpus
def test_parallel_binds_nothing_with_fewer_cpus_than_threads(restore_threads):
    threads.set_threads(len(os.sched_getaffinity(0)) + 1)
    before = os.sched_getaffinity(0)
    for _ in range(2):
        assert _cpu_sets_seen() == [before, before]


@needs_thread_control
@needs_two_cpus
def test_a_restricted_caller_keeps_its_cpu_set(restore_threads):
    threads.set_threads(2)
    before = os.sched_getaffinity(0)
    _cpu_sets_seen()  # the pool and its thread exist
    mine = {max(before)}
    seen = []

    def caller():
        os.sched_setaffinity(0, mine)  # a thread that may run on one CPU only
        seen.extend(_cpu_sets_seen())
        seen.append(os.sched_getaffinity(0))

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join()
    on_caller, on_pool, after = seen
    assert on_caller == mine and after == mine
    assert len(on_pool) == 1 and on_pool != mine


def _pair(cls, seed, **options):
    """Two identical layers (same weights and dropout seed), float64."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(2):
        layer = cls(UNITS, dtype="float64", seed=5, **options)
        layer.build((BATCH, STEPS, FEATURES))
        layers.append(layer)
    weights = [rng.normal(0, 0.5, w.shape) for w in layers[0].get_weights()]
    for layer in layers:
        layer.set_weights(weights)
    return layers


CASES = [
    (LSTM, {}),
    (LSTM, {"return_sequences": True, "return_state": True, "go_backwards": True}),
    (LSTM, {"dropout": 0.3, "recurrent_dropout": 0.3}),
    (LSTM, {"dropout": 0.3, "recurrent_dropout": 0.3, "implementation": 2}),
    (GRU, {"return_sequences": True, "dropout": 0.3, "recurrent_dropout": 0.3}),
    (GRU, {"reset_after": True, "return_state": True, "zero_output_for_mask": True}),
    (SimpleRNN, {"return_sequences": True, "recurrent_dropout": 0.2}),
]


@needs_thread_control
@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize(("cls", "options"), CASES)
def test_split_batch_matches_whole_batch(forced_split, cls, options, with_mask):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    mask = rng.random((BATCH, STEPS)) > 0.3 if with_mask else None
    if mask is not None:
        mask[0] = False  # a fully masked row
    n_states = 2 if cls is LSTM else 1
    initial = [rng.normal(size=(BATCH, UNITS)) for _ in range(n_states)]
    whole, split = _pair(cls, 1, **options)
    results = []
    for layer, count in ((whole, 1), (split, 3)):
        threads.set_threads(count)
        assert len(layer._parts(BATCH, STEPS)) == count
        inference = layer(x, mask=mask)
        outputs = layer(x, training=True, mask=mask, initial_state=initial)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        upstream = [np.random.default_rng(9).normal(size=o.shape) for o in outputs]
        d_inputs = layer.backward(upstream if len(upstream) > 1 else upstream[0])
        results.append((inference, outputs, d_inputs, layer.get_gradients()))
    (inf_w, out_w, d_w, g_w), (inf_s, out_s, d_s, g_s) = results
    inf_w = inf_w if isinstance(inf_w, list) else [inf_w]
    inf_s = inf_s if isinstance(inf_s, list) else [inf_s]
    for a, b in zip(inf_w + out_w + d_w + g_w, inf_s + out_s + d_s + g_s, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@needs_thread_control
def test_split_stateful_chain_matches_whole_batch(forced_split):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(BATCH, 2 * STEPS, FEATURES))
    whole, split = _pair(LSTM, 2, stateful=True)
    results = []
    for layer, count in ((whole, 1), (split, 2)):
        threads.set_threads(count)
        first = layer(x[:, :STEPS], training=True)
        layer.backward(np.ones_like(first))
        second = layer(x[:, STEPS:], training=True)
        d_x = layer.backward(np.ones_like(second))
        results.append([first, second, d_x, *layer.states, *layer.get_gradients()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@needs_thread_control
@pytest.mark.parametrize("count", [1, 3])
def test_a_bad_row_in_any_part_is_refused_and_changes_nothing(forced_split, count):
    # Each part checks its own rows for NaN / infinity: a bad value in the last part
    # must be refused like one in the first, and leave the stateful states and the
    # dropout stream as they were (the next call equals a fresh layer's first call).
    from rnnkit.errors import ArgumentError

    threads.set_threads(count)
    x = np.random.default_rng(5).normal(size=(BATCH, STEPS, FEATURES))
    bad = x.copy()
    bad[-1, 2, 1] = np.nan
    refused, fresh = _pair(LSTM, 2, stateful=True, dropout=0.3, recurrent_dropout=0.3)
    refused(x, training=True)
    fresh(x, training=True)
    states = [s.copy() for s in refused.states]
    with pytest.raises(ArgumentError, match="NaN or infinity"):
        refused(bad, training=True)
    for before, after in zip(states, refused.states, strict=True):
        np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(refused(x, training=True), fresh(x, training=True))


@needs_thread_control
def test_layers_split_by_default_at_ordinary_sizes(restore_threads):
    threads.set_threads(2)
    layer = LSTM(64)
    layer.build((64, 100, 32))
    assert layer._parts(64, 100) == [(0, 32), (32, 64)]
    assert layer._parts(16, 100) == [(0, 16)]  # parts of 16 rows at least
    assert layer._parts(64, 1) == [(0, 64)]  # too little work to hand over


@needs_thread_control
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_a_pool_of_its_own(forced_split):
    import multiprocessing

    threads.set_threads(2)
    threads.parallel([lambda: None, lambda: None])  # the parent's pool exists
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(_split_call_in_child).get(timeout=60)
    assert result == (2, (BATCH, UNITS))


def _split_call_in_child():
    layer = LSTM(UNITS)
    layer.build((BATCH, STEPS, FEATURES))
    parts = len(layer._parts(BATCH, STEPS))
    return parts, layer(np.ones((BATCH, STEPS, FEATURES), np.float32)).shape
