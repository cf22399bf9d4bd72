"""Write Keras 3 reference fixtures for rnnkit's parity tests.

Run with real Keras 3 on the torch backend (``make fixtures`` does this)::

    KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_keras_fixtures.py

Every configuration below becomes ``tests/fixtures/keras/<name>.npz`` (float32 arrays):

* ``config``: JSON with ``layer``, ``kwargs`` (rnnkit constructor arguments: Keras 2
  names, rnnkit activation names), ``training`` and notes;
* ``x``, ``weights_<i>`` (Keras ``get_weights`` order), optional ``mask`` (bool),
  ``initial_state_<i>``, ``input_masks`` (G, batch, features) / ``recurrent_masks``
  (G, batch, units) -- the fixed dropout masks, already scaled;
* ``outputs_<j>`` (Keras outputs, list order), ``upstream_<j>`` (fixed random arrays R_j);
* the gradients of ``loss = sum_j sum(outputs_j * R_j)`` (+ the layer's regularization
  losses when it has regularizers): ``grad_x``, ``grad_weights_<i>``,
  ``grad_initial_state_<i>``; ``reg_losses`` (the values of ``layer.losses``);
* stateful configurations also hold a second call: ``call2_x``, ``call2_outputs_<j>``,
  ``call2_upstream_<j>``, ``call2_grad_x``, ``call2_grad_weights_<i>``.

Gradients come from torch autograd through the Keras torch-backend tensors and variables.
The script is deterministic (one seed per configuration, derived from its name) and
rewrites the whole fixture directory each time.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from keras import ops, regularizers  # noqa: E402

if keras.backend.backend() != "torch":
    sys.exit("make_keras_fixtures.py needs KERAS_BACKEND=torch")

OUT_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras"
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
N_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


def k2_hard_sigmoid(x):
    """Keras 2's hard sigmoid, clip(0.2 x + 0.5, 0, 1) (rnnkit: ``"hard_sigmoid"``)."""
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def keras_activation(name):
    """Map an rnnkit activation name onto what Keras 3 must be given."""
    if name == "hard_sigmoid":
        return k2_hard_sigmoid
    if name == "keras3_hard_sigmoid":
        return "hard_sigmoid"
    return name


def keras_regularizer(spec):
    cls = {"L1": regularizers.L1, "L2": regularizers.L2, "L1L2": regularizers.L1L2}
    return cls[spec["class_name"]](**spec["config"])


def L1(l1):  # noqa: N802 - mirrors the Keras class names in the fixture JSON
    return {"class_name": "L1", "config": {"l1": l1}}


def L2(l2):  # noqa: N802
    return {"class_name": "L2", "config": {"l2": l2}}


def L1L2(l1, l2):  # noqa: N802
    return {"class_name": "L1L2", "config": {"l1": l1, "l2": l2}}


REGULARIZER_KEYS = (
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
)


def keras_kwargs(layer, kwargs, unroll):
    out = {}
    for key, value in kwargs.items():
        if key in ("activation", "recurrent_activation"):
            out[key] = keras_activation(value)
        elif key in REGULARIZER_KEYS:
            out[key] = keras_regularizer(value)
        else:
            out[key] = value
    if layer != "SimpleRNN":
        out["use_cudnn"] = False  # the generic cell loop; the fused paths give the same math
    out["unroll"] = unroll
    return out


# ---------------------------------------------------------------------------
# The configurations
# ---------------------------------------------------------------------------

CONFIGS: list[dict] = []


def add(
    name,
    layer,
    units=3,
    batch=2,
    time=4,
    features=3,
    training=False,
    mask=None,
    initial_state=False,
    stateful=False,
    unroll=False,
    notes="",
    **kwargs,
):
    base = {"units": units}
    if layer == "SimpleRNN":
        base.update(activation="tanh", use_bias=True)
    elif layer == "LSTM":
        base.update(
            activation="tanh",
            recurrent_activation="sigmoid",
            use_bias=True,
            unit_forget_bias=True,
            implementation=2,
        )
    else:
        base.update(
            activation="tanh",
            recurrent_activation="sigmoid",
            use_bias=True,
            reset_after=True,
            implementation=2,
        )
    base.update(return_sequences=False, return_state=False, go_backwards=False)
    if stateful:
        base["stateful"] = True
    base.update(kwargs)
    assert name not in {c["name"] for c in CONFIGS}, name
    CONFIGS.append(
        dict(
            name=name,
            layer=layer,
            kwargs=base,
            batch=batch,
            time=time,
            features=features,
            training=training,
            mask=mask,
            initial_state=initial_state,
            stateful=stateful,
            unroll=unroll,
            notes=notes,
        )
    )


# --- plain forward/backward, output/state combinations, bias, direction, initial state
for layer, extra in (("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False})):
    tag = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[layer]
    if layer == "GRU":
        tag += "_ra" if extra.get("reset_after", True) else "_rb"
    add(f"{tag}_last", layer, **extra)
    add(f"{tag}_seq", layer, return_sequences=True, batch=3, time=5, features=4, **extra)
    add(f"{tag}_state", layer, return_state=True, units=4, **extra)
    add(
        f"{tag}_seq_state",
        layer,
        return_sequences=True,
        return_state=True,
        units=2,
        features=5,
        **extra,
    )
    add(f"{tag}_no_bias", layer, use_bias=False, return_sequences=True, **extra)
    add(
        f"{tag}_backwards_seq",
        layer,
        go_backwards=True,
        return_sequences=True,
        return_state=True,
        batch=3,
        **extra,
    )
    add(f"{tag}_initial_state", layer, initial_state=True, return_state=True, **extra)

# --- LSTM specifics: Keras 2 defaults (hard_sigmoid, implementation 1), unit_forget_bias
add(
    "lstm_k2_defaults_impl1",
    "LSTM",
    recurrent_activation="hard_sigmoid",
    implementation=1,
    return_sequences=True,
    notes="rnnkit's LSTM defaults: hard_sigmoid, implementation=1",
)
add(
    "lstm_unit_forget_bias_false",
    "LSTM",
    unit_forget_bias=False,
    return_state=True,
    notes="unit_forget_bias only changes initialization; weights are set explicitly",
)
add(
    "lstm_no_bias_backwards_init",
    "LSTM",
    use_bias=False,
    go_backwards=True,
    initial_state=True,
    return_sequences=True,
    return_state=True,
)

# --- activation pairs
for act in (
    "sigmoid",
    "relu",
    "softsign",
    "elu",
    "selu",
    "softplus",
    "linear",
    "hard_sigmoid",
    "keras3_hard_sigmoid",
):
    add(f"simple_rnn_act_{act}", "SimpleRNN", activation=act, return_sequences=True)
for rec, act in (
    ("hard_sigmoid", "tanh"),
    ("keras3_hard_sigmoid", "softsign"),
    ("sigmoid", "relu"),
    ("hard_sigmoid", "elu"),
    ("sigmoid", "selu"),
    ("keras3_hard_sigmoid", "softplus"),
    ("sigmoid", "linear"),
    ("tanh", "sigmoid"),
    ("linear", "tanh"),
):
    add(
        f"lstm_act_{rec}_{act}",
        "LSTM",
        recurrent_activation=rec,
        activation=act,
        return_sequences=True,
        return_state=True,
    )
for rec, act, ra in (
    ("hard_sigmoid", "tanh", False),
    ("keras3_hard_sigmoid", "relu", True),
    ("sigmoid", "softsign", False),
    ("hard_sigmoid", "elu", True),
    ("sigmoid", "selu", False),
    ("keras3_hard_sigmoid", "softplus", False),
    ("sigmoid", "linear", True),
    ("softsign", "tanh", True),
):
    add(
        f"gru_act_{rec}_{act}_{'ra' if ra else 'rb'}",
        "GRU",
        recurrent_activation=rec,
        activation=act,
        reset_after=ra,
        return_sequences=True,
    )

# --- masks
add("simple_rnn_mask_right_seq", "SimpleRNN", mask="right", batch=3, return_sequences=True)
add(
    "simple_rnn_mask_left_init_state",
    "SimpleRNN",
    mask="left",
    batch=3,
    initial_state=True,
    return_sequences=True,
    return_state=True,
    notes="non-zero initial state + left padding: previous output before the first valid "
    "step is zeros (torch backend loop, like TF)",
)
add(
    "simple_rnn_mask_middle_backwards",
    "SimpleRNN",
    mask="middle",
    batch=3,
    time=5,
    go_backwards=True,
    return_sequences=True,
)
add("lstm_mask_right_last", "LSTM", mask="right", batch=3, return_state=True)
add("lstm_mask_left_seq", "LSTM", mask="left", batch=3, return_sequences=True)
add(
    "lstm_mask_middle_seq_state",
    "LSTM",
    mask="middle",
    batch=3,
    time=5,
    return_sequences=True,
    return_state=True,
)
add(
    "lstm_mask_left_init_state",
    "LSTM",
    mask="left",
    batch=3,
    initial_state=True,
    return_sequences=True,
    return_state=True,
)
add(
    "lstm_mask_full_row_init_state",
    "LSTM",
    mask="full_row",
    batch=3,
    initial_state=True,
    return_state=True,
    notes="row 1 fully masked: zero output, states = initial states",
)
add(
    "lstm_mask_backwards_right",
    "LSTM",
    mask="right",
    batch=3,
    go_backwards=True,
    return_sequences=True,
    return_state=True,
)
add("gru_ra_mask_middle_seq", "GRU", mask="middle", batch=3, time=5, return_sequences=True)
add(
    "gru_rb_mask_full_row_seq",
    "GRU",
    mask="full_row",
    batch=3,
    reset_after=False,
    return_sequences=True,
    return_state=True,
)
add(
    "gru_rb_mask_left_init_backwards",
    "GRU",
    mask="left",
    batch=3,
    reset_after=False,
    initial_state=True,
    go_backwards=True,
    return_state=True,
)
# zero_output_for_mask
add(
    "simple_rnn_zero_output_seq",
    "SimpleRNN",
    mask="middle",
    batch=3,
    time=5,
    zero_output_for_mask=True,
    return_sequences=True,
)
add(
    "lstm_zero_output_right_last",
    "LSTM",
    mask="right",
    batch=3,
    zero_output_for_mask=True,
    return_state=True,
    notes="last step masked for some rows: Keras 3 returns a zero last output there",
)
add(
    "lstm_zero_output_backwards_seq",
    "LSTM",
    mask="left",
    batch=3,
    zero_output_for_mask=True,
    go_backwards=True,
    return_sequences=True,
    return_state=True,
)
add(
    "gru_ra_zero_output_full_row",
    "GRU",
    mask="full_row",
    batch=3,
    zero_output_for_mask=True,
    initial_state=True,
    return_sequences=True,
    return_state=True,
)

# --- dropout with fixed masks (training=True)
add(
    "simple_rnn_dropout_both",
    "SimpleRNN",
    training=True,
    dropout=0.5,
    recurrent_dropout=0.25,
    return_sequences=True,
    batch=3,
)
add("simple_rnn_dropout_input", "SimpleRNN", training=True, dropout=0.25, return_state=True)
add(
    "simple_rnn_dropout_recurrent",
    "SimpleRNN",
    training=True,
    recurrent_dropout=0.5,
    return_sequences=True,
)
add(
    "lstm_dropout_both_impl1",
    "LSTM",
    training=True,
    dropout=0.5,
    recurrent_dropout=0.5,
    implementation=1,
    return_sequences=True,
    return_state=True,
    batch=3,
)
add(
    "lstm_dropout_input_impl1",
    "LSTM",
    training=True,
    dropout=0.25,
    implementation=1,
    return_sequences=True,
)
add(
    "lstm_dropout_recurrent_impl1",
    "LSTM",
    training=True,
    recurrent_dropout=0.25,
    implementation=1,
    return_state=True,
    recurrent_activation="hard_sigmoid",
)
add(
    "lstm_dropout_input_impl2",
    "LSTM",
    training=True,
    dropout=0.5,
    implementation=2,
    return_sequences=True,
    return_state=True,
    batch=3,
)
add(
    "lstm_dropout_impl1_mask_init",
    "LSTM",
    training=True,
    dropout=0.25,
    recurrent_dropout=0.5,
    implementation=1,
    mask="middle",
    batch=3,
    time=5,
    initial_state=True,
    return_sequences=True,
    return_state=True,
)
add(
    "lstm_dropout_inference",
    "LSTM",
    training=False,
    dropout=0.5,
    recurrent_dropout=0.5,
    implementation=1,
    return_sequences=True,
    notes="training=False: no dropout masks are applied",
)
add(
    "gru_ra_dropout_both_impl1",
    "GRU",
    training=True,
    dropout=0.5,
    recurrent_dropout=0.25,
    implementation=1,
    return_sequences=True,
    return_state=True,
    batch=3,
)
add(
    "gru_rb_dropout_both_impl1",
    "GRU",
    training=True,
    dropout=0.25,
    recurrent_dropout=0.5,
    reset_after=False,
    implementation=1,
    return_sequences=True,
    batch=3,
    recurrent_activation="hard_sigmoid",
)
add(
    "gru_ra_dropout_input_impl2",
    "GRU",
    training=True,
    dropout=0.5,
    implementation=2,
    return_sequences=True,
)
add(
    "gru_rb_dropout_input_impl2",
    "GRU",
    training=True,
    dropout=0.25,
    reset_after=False,
    implementation=2,
    return_state=True,
    batch=3,
)
add(
    "gru_rb_dropout_recurrent_impl1",
    "GRU",
    training=True,
    recurrent_dropout=0.5,
    reset_after=False,
    implementation=1,
    return_sequences=True,
    go_backwards=True,
)
add(
    "gru_rb_dropout_inference",
    "GRU",
    training=False,
    dropout=0.5,
    recurrent_dropout=0.5,
    reset_after=False,
    implementation=1,
    return_sequences=True,
)

# --- regularizers (the loss includes layer.losses)
add(
    "simple_rnn_reg_weights",
    "SimpleRNN",
    kernel_regularizer=L1(0.01),
    recurrent_regularizer=L2(0.02),
    bias_regularizer=L1L2(0.01, 0.03),
    return_sequences=True,
    notes="no activity regularizer: Keras 3 SimpleRNN silently ignores it",
)
add(
    "lstm_reg_all",
    "LSTM",
    kernel_regularizer=L1L2(0.01, 0.02),
    recurrent_regularizer=L2(0.03),
    bias_regularizer=L1(0.02),
    activity_regularizer=L2(0.05),
    return_state=True,
    batch=3,
)
add("lstm_reg_activity_l1_seq", "LSTM", activity_regularizer=L1(0.03), return_sequences=True)
add(
    "lstm_reg_activity_l1l2_seq_state",
    "LSTM",
    activity_regularizer=L1L2(0.02, 0.04),
    kernel_regularizer=L2(0.01),
    return_sequences=True,
    return_state=True,
    mask="right",
    batch=3,
)
add(
    "gru_ra_reg_all",
    "GRU",
    kernel_regularizer=L1(0.02),
    recurrent_regularizer=L1L2(0.01, 0.01),
    bias_regularizer=L2(0.05),
    activity_regularizer=L1(0.01),
    return_sequences=True,
    return_state=True,
)
add(
    "gru_rb_reg_all",
    "GRU",
    reset_after=False,
    kernel_regularizer=L2(0.02),
    recurrent_regularizer=L1(0.01),
    bias_regularizer=L1L2(0.02, 0.02),
    activity_regularizer=L2(0.03),
    return_state=True,
    batch=3,
)

add(
    "gru_rb_reg_activity_l2_last",
    "GRU",
    reset_after=False,
    activity_regularizer=L2(0.04),
    bias_regularizer=L1(0.01),
    notes="activity regularizer with return_state=False: only the returned output counts",
)

# --- stateful: two successive calls
add("simple_rnn_stateful", "SimpleRNN", stateful=True, return_sequences=True)
add("lstm_stateful_state", "LSTM", stateful=True, return_state=True, batch=3)
add(
    "gru_rb_stateful_seq",
    "GRU",
    stateful=True,
    reset_after=False,
    return_sequences=True,
    return_state=True,
)


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def make_mask(kind, batch, time):
    m = np.ones((batch, time), dtype=bool)
    if kind == "right":
        m[1, -2:] = False
        if batch > 2:
            m[2, -1:] = False
    elif kind == "left":
        m[0, :2] = False
        if batch > 2:
            m[2, :1] = False
    elif kind == "middle":
        m[0, 1] = False
        m[0, 3] = False
        m[1, 2:4] = False
        if batch > 2:
            m[2, 0] = False
            m[2, -1] = False
            m[2, 2] = False
    elif kind == "full_row":
        m[0, -1] = False
        m[1, :] = False
        if batch > 2:
            m[2, 1] = False
    else:
        raise ValueError(kind)
    return m


def random_weights(rng, shapes):
    return [rng.uniform(-0.6, 0.6, size=s).astype(np.float32) for s in shapes]


def dropout_masks(rng, rate, gates, batch, dim):
    keep = rng.random((gates, batch, dim)) >= rate
    return (keep * np.float32(1.0 / (1.0 - rate))).astype(np.float32)


def patch_dropout(cell, input_masks, recurrent_masks, per_gate):
    def as_keras(masks):
        if masks is None:
            return None
        if per_gate:
            return [torch.tensor(m) for m in masks]
        return torch.tensor(masks[0])

    k_in, k_rec = as_keras(input_masks), as_keras(recurrent_masks)
    cell.get_dropout_mask = lambda step_input: k_in
    cell.get_recurrent_dropout_mask = lambda step_input: k_rec


def run_call(layer, x, training, mask, init, rng):
    """One Keras call plus autograd; returns the arrays to store (without prefixes)."""
    xt = torch.tensor(x, requires_grad=True)
    kw = {"training": training}
    if mask is not None:
        kw["mask"] = torch.tensor(mask)
    init_t = None
    if init is not None:
        init_t = [torch.tensor(s, requires_grad=True) for s in init]
        kw["initial_state"] = init_t
    outs = layer(xt, **kw)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    upstream = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
    loss = sum((o * torch.tensor(r)).sum() for o, r in zip(outs, upstream, strict=True))
    reg = [ll for ll in layer.losses]
    if reg:
        loss = loss + sum(reg)
    params = [w.value for w in layer.weights]
    targets = [xt, *params, *(init_t or [])]
    grads = torch.autograd.grad(loss, targets, allow_unused=True)
    grads = [
        np.zeros(tuple(t.shape), np.float32) if g is None else g.detach().numpy()
        for t, g in zip(targets, grads, strict=True)
    ]
    data = {"x": x}
    for j, (o, r) in enumerate(zip(outs, upstream, strict=True)):
        data[f"outputs_{j}"] = o.detach().numpy().astype(np.float32)
        data[f"upstream_{j}"] = r
    data["grad_x"] = grads[0]
    for i in range(len(params)):
        data[f"grad_weights_{i}"] = grads[1 + i]
    if init_t is not None:
        for i in range(len(init_t)):
            data[f"grad_initial_state_{i}"] = grads[1 + len(params) + i]
    return data, [float(v.detach()) for v in reg]


def generate(cfg):
    name, layer_name, kwargs = cfg["name"], cfg["layer"], cfg["kwargs"]
    seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed % (2**31))
    b, t, f, n = cfg["batch"], cfg["time"], cfg["features"], kwargs["units"]

    layer = getattr(keras.layers, layer_name)(**keras_kwargs(layer_name, kwargs, cfg["unroll"]))
    x = rng.standard_normal((b, t, f)).astype(np.float32)
    layer.build((b, t, f))
    cell = layer.cell
    if layer_name != "SimpleRNN":
        assert cell.implementation == kwargs["implementation"], (name, cell.implementation)
    shapes = [tuple(w.shape) for w in layer.get_weights()]
    weights = random_weights(rng, shapes)
    layer.set_weights(weights)

    data: dict[str, np.ndarray] = {}
    for i, w in enumerate(weights):
        data[f"weights_{i}"] = w

    mask = make_mask(cfg["mask"], b, t) if cfg["mask"] else None
    if mask is not None:
        data["mask"] = mask

    init = None
    if cfg["initial_state"]:
        init = [
            rng.uniform(-0.8, 0.8, size=(b, n)).astype(np.float32)
            for _ in range(N_STATES[layer_name])
        ]
        for i, s in enumerate(init):
            data[f"initial_state_{i}"] = s

    rate_in = kwargs.get("dropout", 0.0)
    rate_rec = kwargs.get("recurrent_dropout", 0.0)
    has_masks = cfg["training"] and (rate_in > 0 or rate_rec > 0)
    if has_masks:
        per_gate = layer_name != "SimpleRNN" and cell.implementation == 1
        gates = GATES[layer_name] if per_gate else 1
        in_m = dropout_masks(rng, rate_in, gates, b, f) if 0 < rate_in < 1 else None
        rec_m = dropout_masks(rng, rate_rec, gates, b, n) if 0 < rate_rec < 1 else None
        if in_m is not None:
            data["input_masks"] = in_m
        if rec_m is not None:
            data["recurrent_masks"] = rec_m
        patch_dropout(cell, in_m, rec_m, per_gate)

    call_data, reg = run_call(layer, x, cfg["training"], mask, init, rng)
    data.update(call_data)
    has_reg = any(k in kwargs for k in REGULARIZER_KEYS)
    if has_reg:
        data["reg_losses"] = np.asarray(reg, dtype=np.float32)
    else:
        assert not reg, (name, reg)

    if cfg["stateful"]:
        x2 = rng.standard_normal((b, t, f)).astype(np.float32)
        call2, reg2 = run_call(layer, x2, cfg["training"], None, None, rng)
        assert not reg2
        for key, value in call2.items():
            data[f"call2_{key}"] = value

    config = {
        "layer": layer_name,
        "kwargs": kwargs,
        "training": cfg["training"],
        "loss_includes_regularization": has_reg,
        "stateful_calls": 2 if cfg["stateful"] else 1,
        "keras_version": keras.__version__,
        "keras_backend": "torch",
        "keras_unroll": cfg["unroll"],
        "keras_use_cudnn": False if layer_name != "SimpleRNN" else None,
        "dropout_masks": (
            "per_gate" if has_masks and gates > 1 else "shared" if has_masks else None
        ),
        "notes": cfg["notes"],
    }
    if "hard_sigmoid" in (kwargs.get("activation"), kwargs.get("recurrent_activation")):
        config["notes"] = (config["notes"] + "; " if config["notes"] else "") + (
            "rnnkit 'hard_sigmoid' = Keras 2 clip(0.2x+0.5,0,1), given to Keras as a "
            "custom function"
        )
    arrays = {k: (v if v.dtype == bool else v.astype(np.float32)) for k, v in data.items()}
    path = OUT_DIR / f"{name}.npz"
    np.savez_compressed(path, config=np.array(json.dumps(config, sort_keys=True)), **arrays)
    outs = sorted(k for k in data if k.startswith("outputs_"))
    print(
        f"{name:40s} {layer_name:9s} x={tuple(x.shape)} outputs={len(outs)} "
        f"weights={len(weights)} mask={cfg['mask'] or '-'} "
        f"init={'y' if init else 'n'} dropout={config['dropout_masks'] or '-'} "
        f"reg={len(reg) if has_reg else 0} stateful={'y' if cfg['stateful'] else 'n'} "
        f"bytes={path.stat().st_size}"
    )
    return path.stat().st_size


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("*.npz"):
        old.unlink()
    torch.set_num_threads(1)
    total = sum(generate(cfg) for cfg in CONFIGS)
    print(f"{len(CONFIGS)} fixtures, {total} bytes in {OUT_DIR}")


if __name__ == "__main__":
    main()
