"""Write Keras 3 reference trajectories for rnnkit's optimizer parity tests.

Run with real Keras 3 on the torch backend::

    KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_optimizer_fixtures.py

Writes ``tests/fixtures/optimizers.npz`` (float32 arrays, a few KiB):

* ``cases``: JSON ``{name: {"class": "Adam", "kwargs": {...}}}``; ``kwargs`` are the
  constructor arguments, the same for Keras and rnnkit, except that a schedule is written
  as ``{"schedule": class name, "config": {...}}``;
* ``param_<j>``: the two starting parameters (shapes (3, 4) and (5,)), shared by every case;
* ``grads_<j>``: the gradients of parameter ``j`` at steps 0, 1, 2, stacked, shared;
* ``<name>``: shape (3, 17), row ``s`` the two parameters after step ``s`` under Keras,
  raveled and concatenated (one array per case keeps the file small);
* ``<name>__finalized`` (cases with ``use_ema``): the parameters after
  ``finalize_variable_values``, which ``fit`` calls at the end (the moving averages).

The first parameter's gradients are large (norm ~ 7, entries beyond 0.5), the second's
small (norm ~ 0.3), so ``clipnorm=1`` clips one and not the other and ``clipvalue=0.5``
clips some entries.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402

if keras.backend.backend() != "torch":
    sys.exit("make_optimizer_fixtures.py needs KERAS_BACKEND=torch")

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "optimizers.npz"
STEPS = 3

CASES: dict[str, tuple[str, dict]] = {
    # Keras defaults, each class.
    "sgd_default": ("SGD", {}),
    "rmsprop_default": ("RMSprop", {}),
    "adam_default": ("Adam", {}),
    "adamw_default": ("AdamW", {}),
    "adagrad_default": ("Adagrad", {}),
    "nadam_default": ("Nadam", {}),
    # Options.
    "sgd": ("SGD", {"learning_rate": 0.1}),
    "sgd_ema_every_step": (
        "SGD",
        {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 1},
    ),
    "adam_ema_every_2": (
        "Adam",
        {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2},
    ),
    "rmsprop_ema_no_overwrite": ("RMSprop", {"learning_rate": 0.01, "use_ema": True}),
    "sgd_momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.2}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}),
    "rmsprop_momentum": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    "rmsprop_centered_momentum": (
        "RMSprop",
        {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-3},
    ),
    "adam": ("Adam", {"learning_rate": 0.01}),
    "adam_custom": ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3}),
    "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "beta_2": 0.5, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
    "adamw": ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    "adamw_amsgrad": ("AdamW", {"learning_rate": 0.01, "beta_2": 0.5, "amsgrad": True}),
    "adagrad": ("Adagrad", {"learning_rate": 0.1}),
    "adagrad_custom": (
        "Adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3},
    ),
    "nadam": ("Nadam", {"learning_rate": 0.01}),
    "nadam_custom": ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9}),
    # Clipping.
    "sgd_clipnorm": ("SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    "sgd_clipvalue": ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    "sgd_global_clipnorm": ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "global_clipnorm": 2.0}),
    "rmsprop_clipvalue": ("RMSprop", {"learning_rate": 0.01, "clipvalue": 0.5}),
    "adagrad_clipnorm": ("Adagrad", {"learning_rate": 0.1, "clipnorm": 1.0}),
    # Schedules (evaluated at iterations 0, 1, 2).
    "sgd_exponential": (
        "SGD",
        {
            "learning_rate": {
                "schedule": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5},
            }
        },
    ),
    "sgd_inverse_time": (
        "SGD",
        {
            "learning_rate": {
                "schedule": "InverseTimeDecay",
                "config": {
                    "initial_learning_rate": 0.1,
                    "decay_steps": 2,
                    "decay_rate": 1.0,
                    "staircase": True,
                },
            }
        },
    ),
    "sgd_piecewise": (
        "SGD",
        {
            "momentum": 0.5,
            "learning_rate": {
                "schedule": "PiecewiseConstantDecay",
                "config": {"boundaries": [0, 1], "values": [0.1, 0.05, 0.2]},
            },
        },
    ),
    "adam_cosine_warmup": (
        "Adam",
        {
            "learning_rate": {
                "schedule": "CosineDecay",
                "config": {
                    "initial_learning_rate": 0.01,
                    "decay_steps": 10,
                    "alpha": 0.1,
                    "warmup_target": 0.05,
                    "warmup_steps": 2,
                },
            }
        },
    ),
    "adamw_polynomial": (
        "AdamW",
        {
            "weight_decay": 0.5,
            "learning_rate": {
                "schedule": "PolynomialDecay",
                "config": {
                    "initial_learning_rate": 0.05,
                    "decay_steps": 2,
                    "end_learning_rate": 0.01,
                    "power": 2.0,
                },
            },
        },
    ),
}


def keras_kwargs(kwargs: dict) -> dict:
    out = dict(kwargs)
    lr = out.get("learning_rate")
    if isinstance(lr, dict):
        out["learning_rate"] = getattr(keras.optimizers.schedules, lr["schedule"])(**lr["config"])
    return out


def main() -> None:
    rng = np.random.default_rng(20261125)
    params = [
        rng.standard_normal((3, 4)).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
    ]
    grads = [
        [
            (2.0 * rng.standard_normal((3, 4))).astype(np.float32),
            (0.1 * rng.standard_normal(5)).astype(np.float32),
        ]
        for _ in range(STEPS)
    ]
    arrays: dict[str, np.ndarray] = {f"param_{j}": p for j, p in enumerate(params)}
    for j in range(len(params)):
        arrays[f"grads_{j}"] = np.stack([step_grads[j] for step_grads in grads])
    for name, (class_name, kwargs) in CASES.items():
        optimizer = getattr(keras.optimizers, class_name)(**keras_kwargs(kwargs))
        variables = [keras.Variable(p.copy(), dtype="float32") for p in params]
        trajectory = []
        for step_grads in grads:
            optimizer.apply([keras.ops.convert_to_tensor(g) for g in step_grads], variables)
            trajectory.append(
                np.concatenate([keras.ops.convert_to_numpy(v).ravel() for v in variables])
            )
        arrays[name] = np.stack(trajectory).astype(np.float32)
        if kwargs.get("use_ema"):
            optimizer.finalize_variable_values(variables)  # what fit does at the end
            arrays[f"{name}__finalized"] = np.concatenate(
                [keras.ops.convert_to_numpy(v).ravel() for v in variables]
            ).astype(np.float32)
    cases = {name: {"class": c, "kwargs": kw} for name, (c, kw) in CASES.items()}
    arrays["cases"] = np.array(json.dumps(cases, sort_keys=True))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(CASES)} cases to {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
