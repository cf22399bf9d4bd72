"""Optimizers and schedules: Keras parity, a float64 oracle, state, in-place updates, errors.

``tests/fixtures/optimizers.npz`` holds three-step trajectories from real Keras 3.15.1 (torch
backend), written by ``scripts/make_optimizer_fixtures.py``; this file needs no Keras.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from rnnkit import optimizers as opt
from rnnkit.errors import ArgumentError, ArgumentTypeError, RnnkitError, ShapeError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "optimizers.npz"
with np.load(FIXTURE) as _npz:
    DATA = {key: _npz[key] for key in _npz.files}
CASES: dict[str, dict] = json.loads(str(DATA["cases"]))
PARAMS = [DATA["param_0"], DATA["param_1"]]  # float32, (3, 4) and (5,)
GRADS = [[DATA["grads_0"][s], DATA["grads_1"][s]] for s in range(3)]


def make(name: str) -> opt.Optimizer:
    spec = CASES[name]
    kwargs = dict(spec["kwargs"])
    lr = kwargs.get("learning_rate")
    if isinstance(lr, dict):
        kwargs["learning_rate"] = getattr(opt.schedules, lr["schedule"])(**lr["config"])
    return getattr(opt, spec["class"])(**kwargs)


def run(optimizer, params, grads):
    """Apply each step's gradients; return the raveled parameters after each step."""
    trajectory = []
    for step_grads in grads:
        optimizer.apply(params, step_grads)
        trajectory.append(np.concatenate([p.ravel() for p in params]))
    return np.stack(trajectory)


# ---- parity with Keras ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_float32(name):
    params = [p.copy() for p in PARAMS]
    got = run(make(name), params, GRADS)
    assert all(p.dtype == np.float32 for p in params)
    # The arithmetic follows Keras's torch backend op for op, scalars in float32 too;
    # what remains is a float32 rounding or two (torch fuses some multiply-adds).
    np.testing.assert_allclose(got, DATA[name], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]["kwargs"].get("use_ema")))
def test_moving_averages_match_keras(name):
    """What finalize_variable_values (the end of fit) leaves: Keras's moving averages."""
    params = [p.copy() for p in PARAMS]
    optimizer = make(name)
    run(optimizer, params, GRADS)
    optimizer.finalize_variable_values(params)
    got = np.concatenate([p.ravel() for p in params])
    np.testing.assert_allclose(got, DATA[f"{name}__finalized"], rtol=1e-6, atol=1e-7)


def test_moving_average_by_hand_and_through_save_state():
    """average = m * average + (1 - m) * param after each step, m = 0 at the first."""
    params = [np.array([1.0, -2.0])]
    optimizer = opt.SGD(1.0, use_ema=True, ema_momentum=0.75)
    expected, values = None, []
    for g in ([0.5, 0.5], [1.0, -1.0], [0.0, 2.0]):
        optimizer.apply(params, [np.array(g)])
        values.append(params[0].copy())
        expected = values[0] if expected is None else 0.75 * expected + 0.25 * values[-1]
    state = optimizer.get_state()
    np.testing.assert_allclose(state["average"][0], expected)
    twin = opt.SGD(1.0, use_ema=True, ema_momentum=0.75)
    twin.set_state(state)
    twin.finalize_variable_values(params)
    np.testing.assert_allclose(params[0], expected)
    restored = opt.SGD.from_config(optimizer.get_config())
    assert restored.use_ema and restored.ema_momentum == 0.75
    assert restored.ema_overwrite_frequency is None


def test_fit_ends_on_the_moving_averages():
    from rnnkit.layers import Dense
    from rnnkit.models import Sequential

    x = np.random.default_rng(0).normal(size=(16, 3))
    y = x @ np.array([1.0, -1.0, 0.5])
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=opt.SGD(0.05, use_ema=True, ema_momentum=0.9), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        model.get_weights()[0], model.optimizer.get_state()["average"][0], rtol=0, atol=0
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"use_ema": "yes"}, "use_ema"),
        ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
        ({"use_ema": True, "ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
        ({"use_ema": True, "ema_overwrite_frequency": 2.5}, "ema_overwrite_frequency"),
    ],
)
def test_bad_ema_arguments(kwargs, match):
    with pytest.raises((ArgumentError, ArgumentTypeError), match=match):
        opt.Adam(**kwargs)


# ---- an independent float64 oracle ------------------------------------------------------

DEFAULTS = {  # Keras 3 defaults, written out independently of rnnkit
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSprop": {
        "learning_rate": 0.001,
        "rho": 0.9,
        "momentum": 0.0,
        "epsilon": 1e-7,
        "centered": False,
    },
    "Adam": {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
    },
    "AdamW": {
        "learning_rate": 0.001,
        "weight_decay": 0.004,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
    },
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


def oracle(class_name, kwargs, params, grads):
    """Plain float64 NumPy of the Keras 3 update rules (textbook form, no buffers)."""
    k = {**DEFAULTS[class_name], **kwargs}
    rate = k["learning_rate"]
    params = [p.astype(np.float64) for p in params]
    m, v, a, vh = ([np.zeros_like(p) for p in params] for _ in range(4))
    acc = [np.full_like(p, k.get("initial_accumulator_value", 0.0)) for p in params]
    u_product = 1.0
    averages = None  # the EMA of the parameters (use_ema)
    trajectory = []
    for step, gs in enumerate(grads):
        t = step + 1
        lr = rate(step) if callable(rate) else rate
        lr /= 1.0 + k.get("decay", 0.0) * step
        gs = [g.astype(np.float64) for g in gs]
        if k.get("clipvalue"):
            gs = [np.clip(g, -k["clipvalue"], k["clipvalue"]) for g in gs]
        if k.get("clipnorm"):
            gs = [g * k["clipnorm"] / max(np.linalg.norm(g), k["clipnorm"]) for g in gs]
        if k.get("global_clipnorm"):
            total = math.sqrt(sum(np.sum(g * g) for g in gs))
            gs = [g * k["global_clipnorm"] / max(total, k["global_clipnorm"]) for g in gs]
        if k.get("weight_decay"):
            params = [p * (1 - k["weight_decay"] * lr) for p in params]
        if class_name == "Nadam":
            b1 = k["beta_1"]
            u_t = b1 * (1 - 0.5 * 0.96**t)
            u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product *= u_t
        for j, g in enumerate(gs):
            if class_name == "SGD":
                if k["momentum"]:
                    m[j] = k["momentum"] * m[j] - lr * g
                    step_ = k["momentum"] * m[j] - lr * g if k["nesterov"] else m[j]
                    params[j] = params[j] + step_
                else:
                    params[j] = params[j] - lr * g
            elif class_name == "RMSprop":
                rho = k["rho"]
                v[j] = rho * v[j] + (1 - rho) * g**2
                den = v[j] + k["epsilon"]
                if k["centered"]:
                    a[j] = rho * a[j] + (1 - rho) * g
                    den = den - a[j] ** 2
                inc = lr * g / np.sqrt(den)
                if k["momentum"]:
                    m[j] = k["momentum"] * m[j] + inc
                    inc = m[j]
                params[j] = params[j] - inc
            elif class_name in ("Adam", "AdamW"):
                b1, b2 = k["beta_1"], k["beta_2"]
                m[j] = b1 * m[j] + (1 - b1) * g
                v[j] = b2 * v[j] + (1 - b2) * g**2
                vh[j] = np.maximum(vh[j], v[j])
                second = vh[j] if k["amsgrad"] else v[j]
                alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                params[j] = params[j] - alpha * m[j] / (np.sqrt(second) + k["epsilon"])
            elif class_name == "Adagrad":
                acc[j] = acc[j] + g**2
                params[j] = params[j] - lr * g / np.sqrt(acc[j] + k["epsilon"])
            else:  # Nadam
                b1, b2 = k["beta_1"], k["beta_2"]
                m[j] = b1 * m[j] + (1 - b1) * g
                v[j] = b2 * v[j] + (1 - b2) * g**2
                m_hat = u_next * m[j] / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
                v_hat = v[j] / (1 - b2**t)
                params[j] = params[j] - lr * m_hat / (np.sqrt(v_hat) + k["epsilon"])
        if k.get("use_ema"):
            mom = k.get("ema_momentum", 0.99) if step else 0.0
            averages = [
                p.copy() if avg is None else mom * avg + (1 - mom) * p
                for p, avg in zip(params, averages or [None] * len(params), strict=True)
            ]
            if k.get("ema_overwrite_frequency") and t % k["ema_overwrite_frequency"] == 0:
                params = [avg.copy() for avg in averages]
        trajectory.append(np.concatenate([p.ravel() for p in params]))
    return np.stack(trajectory)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_matches_oracle_and_keras(name):
    optimizer = make(name)
    params = [p.astype(np.float64) for p in PARAMS]
    got = run(optimizer, params, GRADS)  # float32 gradients, cast to float64
    assert all(p.dtype == np.float64 for p in params)
    assert all(a.dtype == np.float64 for slot in optimizer._slots.values() for a in slot)
    kwargs = {**CASES[name]["kwargs"], "learning_rate": optimizer.learning_rate}
    expected = oracle(CASES[name]["class"], kwargs, PARAMS, GRADS)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    # Keras ran in float32: float64 differs from it by float32 roundings only.
    np.testing.assert_allclose(got, DATA[name], rtol=0, atol=2e-6)


def test_oracle_with_legacy_decay_and_mixed_dtypes():
    optimizer = opt.RMSprop(0.05, momentum=0.3, decay=0.5, clipnorm=1.0)
    params = [PARAMS[0].astype(np.float64), PARAMS[1].astype(np.float64)]
    got = run(optimizer, params, GRADS)
    expected = oracle(
        "RMSprop",
        {"learning_rate": 0.05, "momentum": 0.3, "decay": 0.5, "clipnorm": 1.0},
        PARAMS,
        GRADS,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


# ---- state ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_resume_from_state_is_bit_for_bit(name, tmp_path):
    uninterrupted = make(name)
    expected = run(uninterrupted, [p.copy() for p in PARAMS], GRADS)

    first = make(name)
    params = [p.copy() for p in PARAMS]
    run(first, params, GRADS[:1])
    state = first.get_state()
    config = json.loads(json.dumps(opt.serialize(first)))  # through a text file and back
    # Through an .npz file, as a model file would keep it: arrays and plain numbers.
    flat = {k: np.asarray(val) for k, val in state.items() if not isinstance(val, list)}
    for key, arrays in state.items():
        if isinstance(arrays, list):
            flat.update({f"{key}/{i}": a for i, a in enumerate(arrays)})
    np.savez(tmp_path / "state.npz", **flat)
    with np.load(tmp_path / "state.npz") as npz:
        loaded = {key: npz[key] for key in npz.files if "/" not in key}
        for key in {key.split("/")[0] for key in npz.files if "/" in key}:
            count = sum(1 for k in npz.files if k.startswith(key + "/"))
            loaded[key] = [npz[f"{key}/{i}"] for i in range(count)]

    resumed = opt.get(config)
    resumed.set_state(loaded)
    assert resumed.iterations == 1
    got = run(resumed, params, GRADS[1:])
    np.testing.assert_array_equal(got, expected[1:])
    assert resumed.get_state().keys() == uninterrupted.get_state().keys()


def test_state_keys_follow_keras_slot_names():
    def keys(optimizer):
        optimizer.apply([np.zeros(2)], [np.ones(2)])
        return list(optimizer.get_state())

    assert keys(opt.SGD()) == ["iterations"]
    assert keys(opt.SGD(momentum=0.9)) == ["iterations", "momentum"]
    assert keys(opt.RMSprop(momentum=0.5, centered=True)) == [
        "iterations",
        "velocity",
        "momentum",
        "average_gradient",
    ]
    assert keys(opt.Adam(amsgrad=True)) == ["iterations", "momentum", "velocity", "velocity_hat"]
    assert keys(opt.Adagrad()) == ["iterations", "accumulator"]
    assert keys(opt.Nadam()) == ["iterations", "u_product", "momentum", "velocity"]
    assert opt.Adam().get_state() == {"iterations": 0}


def test_state_is_copied_both_ways():
    optimizer = opt.Adam(0.1)
    w = np.ones(3)
    optimizer.apply([w], [np.ones(3)])
    state = optimizer.get_state()
    saved = state["momentum"][0].copy()
    optimizer.apply([w], [np.ones(3)])
    np.testing.assert_array_equal(state["momentum"][0], saved)  # later steps leave it alone
    optimizer.set_state(state)
    state["momentum"][0][:] = 99.0
    assert not np.any(optimizer.get_state()["momentum"][0] == 99.0)


def test_state_saved_before_the_first_step_unbuilds():
    optimizer = opt.Adam()
    optimizer.apply([np.ones(2)], [np.ones(2)])
    optimizer.set_state({"iterations": 0})
    assert not optimizer.built
    optimizer.apply([np.ones((2, 2))], [np.ones((2, 2))])  # builds anew for new shapes
    assert optimizer.iterations == 1


def test_float32_state_into_float64_parameters():
    source = opt.Adam(0.1)
    source.apply([np.ones(2, np.float32)], [np.ones(2, np.float32)])
    target = opt.Adam(0.1)
    target.set_state(source.get_state())
    w = np.ones(2)
    target.apply([w], [np.ones(2)])
    assert target.get_state()["momentum"][0].dtype == np.float64


@pytest.mark.parametrize(
    ("optimizer", "state", "match"),
    [
        (opt.Adam(), {"iterations": 1, "momentum": [np.zeros(2)]}, "keys 'iterations'"),
        (opt.SGD(), {"iterations": 1, "momentum": [np.zeros(2)]}, "same config"),
        (opt.Adam(), {"iterations": -1}, "an integer >= 0"),
        (
            opt.Adam(),
            {"iterations": 1, "momentum": [np.zeros(2)], "velocity": [np.zeros(3)]},
            r"shapes \[\(2,\)\]",
        ),
        (opt.Adagrad(), {"iterations": 1, "accumulator": np.zeros(2)}, "a list of float arrays"),
        (opt.Adam(), [("iterations", 1)], "must be a dict"),
    ],
)
def test_bad_state(optimizer, state, match):
    with pytest.raises(RnnkitError, match=match):
        optimizer.set_state(state)


def test_state_shapes_must_match_the_parameters():
    optimizer = opt.Adam()
    optimizer.apply([np.ones(2)], [np.ones(2)])
    with pytest.raises(ArgumentError, match=r"slots of shapes \[\(2,\)\]"):
        optimizer.set_state({"iterations": 1, "momentum": [np.zeros(3)], "velocity": [np.zeros(3)]})


# ---- the step ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sgd_nesterov",
        "rmsprop_centered_momentum",
        "adam_amsgrad",
        "adamw",
        "adagrad_clipnorm",
        "nadam",
        "sgd_clipvalue",
        "sgd_global_clipnorm",
    ],
)
def test_updates_in_place_and_never_writes_gradients(name):
    optimizer = make(name)
    params = [p.copy() for p in PARAMS]
    ids = [id(p) for p in params]
    pointers = [p.__array_interface__["data"][0] for p in params]
    grads = [[g.astype(np.float64) for g in step] for step in GRADS]  # cast path too
    before = [[g.copy() for g in step] for step in grads]
    for step_grads in grads:
        optimizer.apply(params, step_grads)
    assert [id(p) for p in params] == ids
    assert [p.__array_interface__["data"][0] for p in params] == pointers
    for step, step_before in zip(grads, before, strict=True):
        for g, g0 in zip(step, step_before, strict=True):
            np.testing.assert_array_equal(g, g0)
    # Float64 gradients are cast to the parameters' float32 before any arithmetic.
    np.testing.assert_array_equal(
        np.concatenate([p.ravel() for p in params]),
        run(make(name), [p.copy() for p in PARAMS], GRADS)[-1],
    )


def test_tuple_of_parameters_and_empty_step():
    optimizer = opt.SGD(0.5)
    optimizer.apply([], [])
    assert optimizer.iterations == 0 and not optimizer.built
    w = np.ones(2, np.float32)
    optimizer.apply((w,), (np.ones(2, np.float32),))
    np.testing.assert_array_equal(w, [0.5, 0.5])


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: opt.SGD(0.1, momentum=0.9, nesterov=True, clipvalue=0.5),
        lambda: opt.RMSprop(0.01, momentum=0.5, centered=True, global_clipnorm=100.0),
        lambda: opt.Adam(0.01, amsgrad=True, clipnorm=10.0),
        lambda: opt.AdamW(0.01, weight_decay=0.5),
        lambda: opt.Adagrad(0.1),
        lambda: opt.Nadam(0.01),
    ],
)
def test_blocked_updates_equal_whole_array_updates(make_optimizer):
    rng = np.random.default_rng(3)
    shape = (449, 447)  # > opt._BLOCK elements, not a multiple of it
    assert math.prod(shape) > 3 * opt._BLOCK
    start = rng.standard_normal(shape).astype(np.float32)
    blocked = [start.copy()]  # C-contiguous: updated block by block
    whole = [np.asfortranarray(start)]  # not C-contiguous: updated in one piece
    blocked_opt, whole_opt = make_optimizer(), make_optimizer()
    for _ in range(3):
        grad = rng.standard_normal(shape).astype(np.float32)
        blocked_opt.apply(blocked, [grad])
        whole_opt.apply(whole, [np.asfortranarray(grad)])
    np.testing.assert_array_equal(blocked[0], whole[0])
    for name, arrays in blocked_opt.get_state().items():
        if isinstance(arrays, list):
            np.testing.assert_array_equal(arrays[0], whole_opt.get_state()[name][0])
    # Scratch buffers are block-sized for contiguous parameters.
    scratch = make_optimizer()
    scratch.apply([start.copy()], [start.astype(np.float64)])
    assert max(buffer.size for buffer in scratch._scratch.values()) == opt._BLOCK


def test_global_clipnorm_of_zero_and_nan_gradients():
    optimizer = opt.SGD(1.0, global_clipnorm=1.0)
    w = np.ones(2, np.float32)
    optimizer.apply([w], [np.zeros(2, np.float32)])
    np.testing.assert_array_equal(w, [1.0, 1.0])
    optimizer.apply([w], [np.array([np.nan, 0.0], np.float32)])  # no warning
    assert np.isnan(w).all()  # as Keras: a NaN norm poisons every gradient


def test_overflow_gives_inf_without_warnings_and_completes_the_step():
    params = [np.ones(2, np.float32), np.ones(2, np.float32)]
    optimizer = opt.Adam(1e30)
    with np.errstate(all="raise"):  # even so: the whole step runs
        optimizer.apply(params, [np.full(2, 3e38, np.float32), np.ones(2, np.float32)])
    assert optimizer.iterations == 1
    assert not np.isfinite(params[0]).any()  # inf / inf
    assert np.isfinite(params[1]).all() and params[1][0] < 0  # updated too
    w = np.ones(2, np.float32)
    opt.SGD(1e30).apply([w], [np.full(2, 1e30, np.float32)])
    np.testing.assert_array_equal(w, -np.inf)


def test_norm_clipping_survives_float32_overflow_of_the_sum_of_squares():
    # sum(g**2) = 4e40 overflows float32: Keras's norm is inf there and clipnorm zeroes the
    # gradient. rnnkit sums in float64, so the gradient is clipped to norm 1 as intended.
    huge = np.full(4, 1e20, np.float32)
    w = np.ones(4, np.float32)
    opt.SGD(1.0, clipnorm=1.0).apply([w], [huge])
    np.testing.assert_allclose(w, 0.5, rtol=1e-6)
    opt.SGD(1.0, global_clipnorm=1.0).apply([w], [huge])
    np.testing.assert_allclose(w, 0.0, atol=1e-6)
    # A norm beyond float32's range is inf, as in Keras: clipnorm gives a zero gradient
    # and global_clipnorm a NaN one.
    beyond = np.full(4, 3e38, np.float32)
    w = np.ones(4, np.float32)
    opt.SGD(1.0, clipnorm=1.0).apply([w], [beyond])
    np.testing.assert_array_equal(w, 1.0)
    opt.SGD(1.0, global_clipnorm=1.0).apply([w], [beyond])
    assert np.isnan(w).all()


@pytest.mark.parametrize(
    ("make_optimizer", "sparse"),
    [
        (lambda: opt.SGD(0.3), True),
        (lambda: opt.SGD(0.3, clipnorm=0.5), True),
        (lambda: opt.SGD(0.3, global_clipnorm=0.5), True),
        (lambda: opt.SGD(0.3, clipvalue=0.1), True),
        (lambda: opt.Adagrad(0.3), True),
        (lambda: opt.Adagrad(0.3, initial_accumulator_value=0.0, clipvalue=0.2), True),
        (lambda: opt.Adagrad(0.3, weight_decay=0.1), False),
        (lambda: opt.SGD(0.3, momentum=0.9), False),
        (lambda: opt.Adam(0.3), False),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_updates_equal_dense_updates(make_optimizer, sparse, dtype):
    rng = np.random.default_rng(7)
    table = rng.standard_normal((10, 4)).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    dense_opt, rows_opt = make_optimizer(), make_optimizer()
    calls = []
    rows_update = rows_opt._sparse_update
    rows_opt._sparse_update = lambda *args: calls.append(1) or rows_update(*args)
    dense_params = [table.copy(), bias.copy()]
    rows_params = [table.copy(), bias.copy()]
    for step in range(3):
        rows = np.array([[1, 4, 4, 7], [0, 9, 2, 2], [3, 3, 3, 3]][step])  # repeats too
        g_table = np.zeros((10, 4))  # float64 gradient for a parameter of `dtype`
        np.add.at(g_table, rows, rng.standard_normal((4, 4)))
        g_bias = rng.standard_normal(3)
        dense_opt.apply(dense_params, [g_table, g_bias])
        rows_opt.apply(rows_params, [g_table, g_bias], rows=[rows, None])
        for got, expected in zip(rows_params, dense_params, strict=True):
            np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        rows_opt.get_state().get("accumulator", [0])[0],
        dense_opt.get_state().get("accumulator", [0])[0],
    )
    assert len(calls) == (3 if sparse else 0)


def test_no_row_updates_where_untouched_rows_would_change():
    # acc = eps = 0: the dense update gives 0 / 0 = NaN in rows without gradient.
    assert not opt.Adagrad(initial_accumulator_value=0.0, epsilon=0.0)._sparse_ok()
    assert opt.Adagrad(initial_accumulator_value=0.0)._sparse_ok()


# ---- learning rate ----------------------------------------------------------------------


def test_learning_rate_schedule_is_evaluated_at_iterations():
    schedule = opt.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = opt.SGD(schedule)
    w = np.zeros(1)
    for expected_lr in (0.1, 0.05, 0.025):
        assert optimizer.current_learning_rate == expected_lr
        before = w.copy()
        optimizer.apply([w], [np.ones(1)])
        assert before - w == pytest.approx(expected_lr, rel=1e-15)
    assert optimizer.learning_rate is schedule


def test_learning_rate_can_be_set_unless_scheduled():
    optimizer = opt.Adam()
    optimizer.learning_rate = 0.5
    assert optimizer.current_learning_rate == 0.5
    assert optimizer.get_config()["learning_rate"] == 0.5
    optimizer.learning_rate = opt.schedules.CosineDecay(0.1, 10)
    with pytest.raises(ArgumentTypeError, match="learning rate is a schedule"):
        optimizer.learning_rate = 0.1


def test_legacy_decay_is_keras2_inverse_time_decay():
    optimizer = opt.SGD(0.1, decay=0.5)
    w = np.zeros(1)
    for step in range(3):
        assert optimizer.current_learning_rate == pytest.approx(0.1 / (1 + 0.5 * step), 1e-15)
        optimizer.apply([w], [np.ones(1)])
    assert w[0] == pytest.approx(-(0.1 + 0.1 / 1.5 + 0.1 / 2), rel=1e-15)
    assert optimizer.get_config()["decay"] == 0.5
    assert "decay" not in opt.SGD(0.1, decay=0.0).get_config()  # Keras 3 configs have none


def test_lr_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="use `learning_rate`"):
        optimizer = opt.Adam(lr=0.05)
    assert optimizer.learning_rate == 0.05
    w = np.zeros(1)
    optimizer.apply([w], [np.ones(1)])
    assert w[0] == pytest.approx(-0.05, rel=1e-5)  # Adam's first step is ~lr * sign(g)
    with pytest.raises(ArgumentError, match="pass the learning rate once"):
        opt.SGD(0.5, lr=0.1)
    # A Keras 2.0-2.2 config with `lr` loads without a warning.
    loaded = opt.get(
        {
            "class_name": "SGD",
            "config": {"lr": 0.2, "decay": 0.0, "momentum": 0.0, "nesterov": False},
        }
    )
    assert loaded.learning_rate == 0.2


# ---- schedules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "steps", "expected"),
    [
        (
            opt.ExponentialDecay(0.1, 4, 0.5),
            [0, 2, 4, 6],
            [0.1, 0.1 * 0.5**0.5, 0.05, 0.1 * 0.5**1.5],
        ),
        (opt.ExponentialDecay(0.1, 4, 0.5, staircase=True), [3, 4, 7, 8], [0.1, 0.05, 0.05, 0.025]),
        (opt.InverseTimeDecay(1.0, 2, 0.5), [0, 1, 2, 4], [1.0, 1 / 1.25, 1 / 1.5, 1 / 2.0]),
        (opt.InverseTimeDecay(1.0, 2, 0.5, staircase=True), [1, 2, 3], [1.0, 1 / 1.5, 1 / 1.5]),
        (
            opt.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]),
            [0, 2, 3, 5, 6, 100],
            [1.0, 1.0, 0.5, 0.5, 0.1, 0.1],
        ),
        (
            opt.PolynomialDecay(1.0, 4, end_learning_rate=0.2, power=2.0),
            [0, 2, 4, 9],
            [1.0, 0.8 * 0.25 + 0.2, 0.2, 0.2],
        ),
        (
            opt.PolynomialDecay(1.0, 4, end_learning_rate=0.0, cycle=True),
            [0, 2, 4, 6],
            [1.0, 0.5, 0.0, 0.25],
        ),
        (
            opt.CosineDecay(2.0, 4, alpha=0.5),
            [0, 2, 4, 8],
            [2.0, 2.0 * (0.5 * 0.5 + 0.5), 1.0, 1.0],
        ),
        (
            opt.CosineDecay(0.1, 4, warmup_target=1.0, warmup_steps=3),
            [0, 1, 3, 5, 7, 20],
            [0.1, 0.4, 1.0, 0.5, 0.0, 0.0],
        ),
    ],
)
def test_schedule_values(schedule, steps, expected):
    got = [schedule(step) for step in steps]
    assert all(type(value) is float for value in got)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    clone = opt.schedules.deserialize(json.loads(json.dumps(opt.schedules.serialize(schedule))))
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config()
    assert [clone(step) for step in steps] == got


def test_schedule_config_has_keras_keys():
    schedule = opt.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5)
    assert opt.schedules.serialize(schedule) == {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 100,
            "alpha": 0.0,
            "name": "CosineDecay",
            "warmup_target": 0.2,
            "warmup_steps": 5,
        },
        "registered_name": None,
    }
    config = opt.Adam(schedule).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: opt.ExponentialDecay(0.1, 0, 0.5), ArgumentError, "`decay_steps` must be"),
        (lambda: opt.ExponentialDecay(-0.1, 10, 0.5), ArgumentError, "initial_learning_rate"),
        (
            lambda: opt.InverseTimeDecay(0.1, 10, 0.5, staircase=1),
            ArgumentTypeError,
            "True or False",
        ),
        (
            lambda: opt.PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
            ArgumentError,
            "one entry shorter",
        ),
        (
            lambda: opt.PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3]),
            ArgumentError,
            "non-decreasing",
        ),
        (lambda: opt.CosineDecay(0.1, 10, warmup_steps=-1), ArgumentError, "warmup_steps"),
        (
            lambda: opt.schedules.deserialize({"class_name": "Nope"}),
            ArgumentError,
            "ExponentialDecay, InverseTimeDecay",
        ),
    ],
)
def test_bad_schedule_arguments(build, error, match):
    with pytest.raises(error, match=match):
        build()


# ---- registry and config ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("sgd", opt.SGD),
        ("SGD", opt.SGD),
        ("rmsprop", opt.RMSprop),
        ("RMSprop", opt.RMSprop),
        ("adam", opt.Adam),
        ("Adam", opt.Adam),
        ("ADAM", opt.Adam),
        ("adamw", opt.AdamW),
        ("AdamW", opt.AdamW),
        ("adagrad", opt.Adagrad),
        ("nadam", opt.Nadam),
        (opt.Nadam, opt.Nadam),
    ],
)
def test_get_by_name(identifier, cls):
    optimizer = opt.get(identifier)
    assert type(optimizer) is cls
    assert opt.get(identifier) is not optimizer
    assert opt.get(optimizer) is optimizer


def test_get_none_and_names():
    assert opt.get(None) is None
    assert opt.names() == ("sgd", "rmsprop", "adam", "adamw", "adagrad", "nadam")


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ArgumentError) as info:
        opt.get("adamax", owner="Sequential.compile")
    message = str(info.value)
    assert message.startswith("Sequential.compile: `optimizer` must be one of 'sgd',")
    for name in opt.names():
        assert repr(name) in message
    assert message.endswith("got 'adamax'.")
    with pytest.raises(ArgumentTypeError, match="an optimizer name"):
        opt.get(3)
    with pytest.raises(ArgumentTypeError, match="a concrete optimizer class"):
        opt.get(opt.Optimizer)


@pytest.mark.parametrize("class_name", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam"])
def test_keras_defaults_and_config_round_trip(class_name):
    optimizer = getattr(opt, class_name)()
    config = optimizer.get_config()
    for key, value in DEFAULTS[class_name].items():
        assert config[key] == value, key
    assert list(config)[:6] == [
        "name",
        "learning_rate",
        "weight_decay",
        "clipnorm",
        "global_clipnorm",
        "clipvalue",
    ]
    clone = opt.get(json.loads(json.dumps(opt.serialize(optimizer))))
    assert type(clone) is type(optimizer)
    assert clone.get_config() == config
    assert repr(clone).startswith(f"{class_name}(learning_rate=")


def test_keras3_config_loads():
    # What Keras 3.15.1 writes for Adam(learning_rate=0.01, clipnorm=1.0).
    keras_config = {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "registered_name": None,
        "config": {
            "name": "adam",
            "learning_rate": 0.009999999776482582,
            "weight_decay": None,
            "clipnorm": 1.0,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
    }
    optimizer = opt.get(keras_config)
    assert isinstance(optimizer, opt.Adam) and optimizer.clipnorm == 1.0
    keras_config["config"]["use_ema"] = True
    assert opt.get(keras_config).use_ema
    keras_config["config"]["gradient_accumulation_steps"] = 4
    with pytest.raises(ArgumentError, match="`gradient_accumulation_steps` must be None"):
        opt.get(keras_config)
    with pytest.raises(ArgumentError, match="keys among learning_rate, beta_1"):
        opt.Adam.from_config({"beta_3": 0.5})


def test_default_names_follow_keras():
    assert [opt.get(n).name for n in opt.names()] == [
        "sgd",
        "rm_sprop",
        "adam",
        "adam_w",
        "adagrad",
        "nadam",
    ]
    assert opt.Adam(name="mine").get_config()["name"] == "mine"


# ---- argument errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: opt.SGD(-0.1),
            ArgumentError,
            "SGD: `learning_rate` must be a finite number >= 0; got -0.1.",
        ),
        (
            lambda: opt.Adam(learning_rate="fast"),
            ArgumentTypeError,
            "Adam: `learning_rate` must be a float >= 0 or an rnnkit.optimizers.schedules object;"
            " got 'fast'.",
        ),
        (
            lambda: opt.Adam(beta_1=1.0),
            ArgumentError,
            "Adam: `beta_1` must be a float in [0, 1); got 1.0.",
        ),
        (
            lambda: opt.Nadam(beta_2=1.5),
            ArgumentError,
            "Nadam: `beta_2` must be a float in [0, 1); got 1.5.",
        ),
        (
            lambda: opt.AdamW(beta_1=-0.1),
            ArgumentError,
            "AdamW: `beta_1` must be a float in [0, 1); got -0.1.",
        ),
        (
            lambda: opt.SGD(momentum=1.5),
            ArgumentError,
            "SGD: `momentum` must be a float in [0, 1]; got 1.5.",
        ),
        (
            lambda: opt.SGD(nesterov="yes"),
            ArgumentTypeError,
            "SGD: `nesterov` must be True or False; got 'yes'.",
        ),
        (
            lambda: opt.RMSprop(rho=1.0),
            ArgumentError,
            "RMSprop: `rho` must be a float in [0, 1); got 1.0.",
        ),
        (
            lambda: opt.Adagrad(initial_accumulator_value=-1),
            ArgumentError,
            "Adagrad: `initial_accumulator_value` must be a finite number >= 0; got -1.",
        ),
        (
            lambda: opt.Adam(epsilon=float("nan")),
            ArgumentError,
            "Adam: `epsilon` must be a finite number >= 0; got nan.",
        ),
        (
            lambda: opt.Adam(clipnorm=1.0, global_clipnorm=1.0),
            ArgumentError,
            "Adam: set at most one of `clipnorm`, `clipvalue` and `global_clipnorm` "
            "(as in Keras 3); got clipnorm=1.0, global_clipnorm=1.0.",
        ),
        (lambda: opt.SGD(clipvalue=1.0, clipnorm=2.0), ArgumentError, "SGD: set at most one of"),
        (
            lambda: opt.SGD(clipnorm=0),
            ArgumentError,
            "SGD: `clipnorm` must be None or a finite number > 0; got 0.",
        ),
        (
            lambda: opt.SGD(weight_decay=-1e-3),
            ArgumentError,
            "SGD: `weight_decay` must be a finite number >= 0; got -0.001.",
        ),
        (
            lambda: opt.AdamW(weight_decay=None),
            ArgumentTypeError,
            "AdamW: `weight_decay` must be a float >= 0; got None. Use Adam for no weight decay.",
        ),
        (
            lambda: opt.SGD(decay=-1.0),
            ArgumentError,
            "SGD: `decay` must be a finite number >= 0; got -1.0.",
        ),
        (lambda: opt.SGD(name=3), ArgumentTypeError, "SGD: `name` must be None or a string"),
        (lambda: opt.SGD(momentum_=0.9), TypeError, "momentum_"),
    ],
)
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()


def test_errors_subclass_builtins():
    with pytest.raises(ValueError):
        opt.Adam(beta_1=1.0)
    with pytest.raises(TypeError):
        opt.Adam(amsgrad=None)


@pytest.mark.parametrize(
    ("params", "grads", "kwargs", "error", "match"),
    [
        (
            [np.zeros(2)],
            [np.zeros(2), np.zeros(2)],
            {},
            ArgumentError,
            "`grads` must be a list of 1 arrays",
        ),
        (
            [np.zeros(2)],
            [np.zeros(3)],
            {},
            ShapeError,
            r"`grads\[0\]` must be a float array of shape \(2,\)",
        ),
        ([np.zeros(2)], [np.zeros(2, int)], {}, ShapeError, r"`grads\[0\]` must be a float"),
        (
            [np.zeros(2, int)],
            [np.zeros(2)],
            {},
            ShapeError,
            r"`params\[0\]` must be a float32 or float64 array",
        ),
        ([np.zeros(2, np.float16)], [np.zeros(2)], {}, ShapeError, "float32 or float64"),
        ([[0.0, 0.0]], [np.zeros(2)], {}, ArgumentTypeError, r"`params\[0\]` must be a NumPy"),
        ([np.zeros(2)], [[0.0, 0.0]], {}, ArgumentTypeError, r"`grads\[0\]` must be a NumPy"),
        (np.zeros(2), [np.zeros(2)], {}, ArgumentTypeError, "`params` must be a list"),
        (
            [np.zeros((2, 2))],
            [np.zeros((2, 2))],
            {"rows": [np.array([0.5])]},
            ArgumentError,
            r"`rows\[0\]` must be None or a 1-D integer array",
        ),
        (
            [np.zeros((2, 2))],
            [np.zeros((2, 2))],
            {"rows": [np.array([0, 2])]},
            ArgumentError,
            r"row indices of params\[0\], in \[0, 2\)",
        ),
        (
            [np.zeros((2, 2))],
            [np.zeros((2, 2))],
            {"rows": [np.array([-1])]},
            ArgumentError,
            r"in \[0, 2\)",
        ),
        (
            [np.zeros((2, 2))],
            [np.zeros((2, 2))],
            {"rows": []},
            ArgumentError,
            "`rows` must be None or a list of 1 entries",
        ),
    ],
)
def test_bad_apply_arguments(params, grads, kwargs, error, match):
    optimizer = opt.SGD()
    with pytest.raises(error, match=match):
        optimizer.apply(params, grads, **kwargs)
    assert optimizer.iterations == 0


def test_read_only_parameter():
    w = np.zeros(2)
    w.flags.writeable = False
    with pytest.raises(ArgumentError, match="a writeable array"):
        opt.SGD().apply([w], [np.zeros(2)])


def test_other_parameters_after_build():
    optimizer = opt.Adam()
    optimizer.apply([np.zeros(2), np.zeros(3)], [np.ones(2), np.ones(3)])
    with pytest.raises(
        ArgumentError,
        match=r"holds state for parameters of shapes \[\(2,\), "
        r"\(3,\)\]; got \[\(3,\), \(2,\)\]",
    ):
        optimizer.apply([np.zeros(3), np.zeros(2)], [np.ones(3), np.ones(2)])
    assert optimizer.iterations == 1
