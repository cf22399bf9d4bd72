"""rnnkit against reference numbers produced by real Keras 3 (torch backend).

Each ``tests/fixtures/keras/*.npz`` file holds one layer configuration, its weights,
inputs, Keras' outputs and the torch-autograd gradients of
``loss = sum_j sum(outputs_j * upstream_j)`` (+ the layer's regularization losses).
The fixtures are made by ``scripts/make_keras_fixtures.py`` (``make fixtures``); this
test needs neither Keras nor torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rnnkit.layers

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "keras"
FIXTURES = sorted(FIXTURE_DIR.glob("*.npz"))

OUT_TOL = {"atol": 1e-5, "rtol": 1e-5}
GRAD_TOL = {"atol": 1e-5, "rtol": 1e-4}


def _load(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path) as npz:
        data = {key: npz[key] for key in npz.files}
    config = json.loads(str(data.pop("config")))
    return config, data


def _numbered(data: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    items = []
    while f"{prefix}{len(items)}" in data:
        items.append(data[f"{prefix}{len(items)}"])
    return items


def _as_list(value) -> list[np.ndarray]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _make_layer(config: dict, data: dict[str, np.ndarray]):
    layer = getattr(rnnkit.layers, config["layer"])(**config["kwargs"])
    layer.build(data["x"].shape)
    layer.set_weights(_numbered(data, "weights_"))
    if "input_masks" in data or "recurrent_masks" in data:
        masks = (data.get("input_masks"), data.get("recurrent_masks"))
        layer._dropout_masks = lambda batch, features: masks
    return layer


def _saved_states(layer):
    states = getattr(layer, "states", None)
    return None if states is None else [np.array(s, copy=True) for s in states]


def _restore_states(layer, saved):
    if getattr(layer, "stateful", False):
        layer.reset_states(saved)


def _forward(layer, config, data, prefix, mask, initial_state, training):
    outs = layer(data[f"{prefix}x"], training=training, mask=mask, initial_state=initial_state)
    got = _as_list(outs)
    expected = _numbered(data, f"{prefix}outputs_")
    assert len(got) == len(expected), "number of outputs"
    for j, (g, e) in enumerate(zip(got, expected, strict=True)):
        g = np.asarray(g)
        assert g.dtype == np.float32, f"output {j} dtype"
        assert g.shape == e.shape, f"output {j} shape"
        np.testing.assert_allclose(
            g, e, **OUT_TOL, err_msg=f"{prefix}output {j} (training={training})"
        )
    return outs


def _check_call(layer, config, data, prefix="", mask=None, initial_state=None):
    """One forward + backward pass, compared with the Keras numbers under ``prefix``."""
    if config["training"]:
        outs = _forward(layer, config, data, prefix, mask, initial_state, training=True)
    else:
        # rnnkit keeps what backward() needs only for training=True calls: check the
        # inference outputs, then rerun from the same states in training mode with
        # dropout switched off (what Keras computes with training=False).
        saved = _saved_states(layer)
        _forward(layer, config, data, prefix, mask, initial_state, training=False)
        _restore_states(layer, saved)
        layer._dropout_masks = lambda batch, features: (None, None)
        outs = _forward(layer, config, data, prefix, mask, initial_state, training=True)

    upstream = _numbered(data, f"{prefix}upstream_")
    d_inputs = layer.backward(upstream if isinstance(outs, (list, tuple)) else upstream[0])
    if initial_state is not None:
        d_x, *d_states = d_inputs
        expected_states = _numbered(data, f"{prefix}grad_initial_state_")
        assert len(d_states) == len(expected_states), "number of initial-state gradients"
        for i, (g, e) in enumerate(zip(d_states, expected_states, strict=True)):
            np.testing.assert_allclose(g, e, **GRAD_TOL, err_msg=f"{prefix}grad initial_state {i}")
    else:
        d_x = d_inputs
    np.testing.assert_allclose(d_x, data[f"{prefix}grad_x"], **GRAD_TOL, err_msg=f"{prefix}grad x")

    grads = layer.get_gradients()
    expected_grads = _numbered(data, f"{prefix}grad_weights_")
    assert len(grads) == len(expected_grads), "number of weight gradients"
    for i, (g, e) in enumerate(zip(grads, expected_grads, strict=True)):
        np.testing.assert_allclose(g, e, **GRAD_TOL, err_msg=f"{prefix}grad weights {i}")


def test_fixtures_present():
    assert len(FIXTURES) >= 45, f"expected the Keras fixtures in {FIXTURE_DIR}"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_keras_parity(path: Path):
    config, data = _load(path)
    layer = _make_layer(config, data)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in _numbered(data, "weights_")]
    mask = data.get("mask")
    initial_state = _numbered(data, "initial_state_") or None

    _check_call(layer, config, data, mask=mask, initial_state=initial_state)

    losses = [float(v) for v in layer.losses]
    if "reg_losses" in data:
        expected = data["reg_losses"].astype(np.float64)
        assert config["loss_includes_regularization"]
        assert len(losses) == len(expected), "number of regularization losses"
        np.testing.assert_allclose(sorted(losses), np.sort(expected), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(sum(losses), expected.sum(), rtol=1e-5, atol=1e-7)
    else:
        assert sum(losses) == 0.0

    if config.get("stateful_calls", 1) == 2:
        # The second call starts from the states the first one left behind.
        _check_call(layer, config, data, prefix="call2_")
