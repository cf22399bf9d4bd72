"""Saving and loading models: one file with architecture, weights and optimizer state.

The file is a ZIP archive in NumPy's ``.npz`` layout: ``rnnkit.json`` (the model
config, the compile config, the optimizer's scalar state and the random-generator
states, so that ``fit`` resumes exactly where it stopped) and one array per weight and
optimizer slot. Every file is written to a temporary name in the same folder, flushed
to disk and then renamed over the target, so a crash never leaves a half-written
model or checkpoint behind; a new file gets the mode ``open()`` would give it (0666
less the umask), an overwritten one keeps its mode. Metrics are stored as given to
``compile``: names as names, metric objects as ``{"class_name", "config"}``.

>>> import tempfile, os, numpy as np
>>> from rnnkit.layers import Dense
>>> from rnnkit.models import Sequential
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> path = os.path.join(tempfile.mkdtemp(), "model.rnnkit")
>>> save_model(model, path)
>>> np.array_equal(load_model(path).get_weights()[0], model.get_weights()[0])
True
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from rnnkit import layers as layers_module
from rnnkit import losses as losses_module
from rnnkit import metrics as metrics_module
from rnnkit import optimizers as optimizers_module
from rnnkit.errors import ArgumentError, RnnkitError
from rnnkit.layers.base import Layer
from rnnkit.models import Sequential

FORMAT = "rnnkit-model"
VERSION = 1


class FileFormatError(RnnkitError, ValueError):
    """A file is not an rnnkit model / weights file, or it is damaged."""


class ModelFileNotFoundError(RnnkitError, FileNotFoundError):
    """The model / weights file to load does not exist."""


def _temporary_file(folder: str) -> tuple[int, str]:
    """Create a new empty file in ``folder``; return its descriptor and path.

    Unlike ``tempfile.mkstemp`` (mode 0600), the file is created with mode 0666 less
    the umask, the mode a plain ``open(path, "wb")`` gives a new file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".rnnkit-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file in '{folder}'.")


def _atomic_write(path: str, payload: dict[str, Any], overwrite: bool) -> None:
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ArgumentError(
            f"save: '{path}' is a folder; pass a file path such as "
            f"'{os.path.join(path, 'model.rnnkit')}'."
        )
    if os.path.exists(path) and not overwrite:
        raise ArgumentError(f"save: '{path}' exists; pass overwrite=True to replace it.")

    def write(handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, value in payload.items():
                if isinstance(value, str):
                    archive.writestr(name, value)
                else:
                    buffer = io.BytesIO()
                    np.save(buffer, np.asarray(value), allow_pickle=False)
                    archive.writestr(name + ".npy", buffer.getvalue())

    write_atomically(path, write)


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``write(handle)`` so that a crash never damages it.

    ``write`` fills a temporary file in the same folder (created if missing), which is
    flushed to disk and then renamed over ``path``; on any error it is removed and
    ``path`` is left as it was. A new file gets the mode ``open()`` would give it (0666
    less the umask), an overwritten file keeps its mode. Model files and the recipes'
    JSON files are written this way.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
    fd, tmp = _temporary_file(folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read(path: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileNotFoundError(f"load: no such file '{path}'.")
    if os.path.isdir(path):
        raise FileFormatError(
            f"load: '{path}' is a folder, not an rnnkit model or weights file; pass the "
            "path of the file that save() or save_weights() wrote."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("rnnkit.json"))
            arrays = {
                name[: -len(".npy")]: np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(".npy")
            }
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,  # json.JSONDecodeError and UnicodeDecodeError included
        EOFError,
        NotImplementedError,
    ) as error:
        raise FileFormatError(
            f"load: '{path}' is not an rnnkit model or weights file ({error})."
        ) from error
    _check_meta(path, meta)
    return meta, arrays


def _check_meta(path: str, meta: Any) -> None:
    """Raise :class:`FileFormatError` unless ``meta`` has the layout ``_payload`` writes."""
    if not isinstance(meta, dict):
        raise FileFormatError(
            f"load: '{path}' is not an rnnkit model or weights file (its rnnkit.json holds "
            f"a JSON {type(meta).__name__}, not an object)."
        )
    if meta.get("format") != FORMAT:
        raise FileFormatError(f"load: '{path}' is not an rnnkit model or weights file.")
    version = meta.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise FileFormatError(
            f"load: '{path}' is damaged: its format version is {version!r}, not an integer. "
            "Save the model again."
        )
    if version > VERSION:
        raise FileFormatError(
            f"load: '{path}' was written by a newer rnnkit (format {version}); upgrade."
        )
    model = meta.get("model")
    if not (
        isinstance(model, dict)
        and isinstance(model.get("layers"), list)
        and all(isinstance(entry, dict) for entry in model["layers"])
    ):
        what = "missing" if model is None else "not a model configuration"
        raise FileFormatError(
            f"load: '{path}' is damaged: its rnnkit.json \"model\" entry (the architecture) "
            f"is {what}. Save the model again."
        )
    for key in ("generators", "compile"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise FileFormatError(
                f"load: '{path}' is damaged: its rnnkit.json {key!r} entry is a "
                f"{type(meta[key]).__name__}, not an object. Save the model again."
            )


def _sublayers(layer: Layer, path: str = "") -> list[tuple[str, Layer]]:
    """The layer and every layer it wraps, with attribute paths ("" for itself)."""
    found = [(path, layer)]
    for key, value in vars(layer).items():
        if isinstance(value, Layer):
            found.extend(_sublayers(value, f"{path}{key}."))
    return found


def _generators(layer: Layer) -> dict[str, np.random.Generator]:
    """Every random generator a layer (and its wrapped layers) owns, by attribute path."""
    return {
        path + key: value
        for path, sub in _sublayers(layer)
        for key, value in vars(sub).items()
        if isinstance(value, np.random.Generator)
    }


def _carried_states(layer: Layer) -> dict[str, np.ndarray]:
    """The carried states of stateful (sub)layers, by ``path/index``."""
    return {
        f"{path}/{j}": state
        for path, sub in _sublayers(layer)
        if getattr(sub, "stateful", False) and getattr(sub, "states", None) is not None
        for j, state in enumerate(sub.states)
    }


def _payload(model: Sequential, include_optimizer: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"format": FORMAT, "version": VERSION, "model": model.get_config()}
    payload: dict[str, Any] = {}
    generators: dict[str, Any] = {"model": model._shuffle_rng.bit_generator.state}
    for i, layer in enumerate(model.layers):
        for _, sub in _sublayers(layer):
            if getattr(layers_module, type(sub).__name__, None) is not type(sub):
                _refuse_unloadable(f"layer {i} ({sub.name!r})", sub, "layers")
        for name, value in layer.params.items():
            payload[f"weights/{i}/{name}"] = value
        for name, value in _carried_states(layer).items():
            payload[f"states/{i}/{name}"] = value
        for name, generator in _generators(layer).items():
            generators[f"{i}/{name}"] = generator.bit_generator.state
    meta["generators"] = generators
    if include_optimizer and model.optimizer is not None:
        state = model.optimizer.get_state()
        scalars = {}
        for key, value in state.items():
            if isinstance(value, (list, tuple)):
                for j, array in enumerate(value):
                    if array is not None:  # None: a parameter that never had an update
                        payload[f"optimizer/{key}/{j}"] = array
                absent = [j for j, array in enumerate(value) if array is None]
                scalars[key] = {"list": len(value), **({"absent": absent} if absent else {})}
            elif isinstance(value, np.ndarray):
                payload[f"optimizer/{key}"] = value
                scalars[key] = {"array": True}
            else:
                scalars[key] = {"value": value}
        _check_schedule(model.optimizer)
        for what, obj, module in (
            ("the loss", model.loss, losses_module),
            ("the optimizer", model.optimizer, optimizers_module),
        ):
            try:
                rebuilt = module.get({"class_name": type(obj).__name__, "config": obj.get_config()})
            except RnnkitError:
                rebuilt = None
            if type(rebuilt) is not type(obj):
                _refuse_unloadable(what, obj, module.__name__.rsplit(".", 1)[-1])
        meta["compile"] = {
            "optimizer": {
                "class_name": type(model.optimizer).__name__,
                "config": model.optimizer.get_config(),
            },
            "loss": {"class_name": type(model.loss).__name__, "config": model.loss.get_config()},
            "metrics": [
                _metric_entry(e.identifier) for e in model._metric_entries if not e.weighted
            ],
            "weighted_metrics": [
                _metric_entry(e.identifier) for e in model._metric_entries if e.weighted
            ],
            "optimizer_state": scalars,
        }
    payload["rnnkit.json"] = json.dumps(meta, default=_json_default)
    return payload


def _check_schedule(optimizer: Any) -> None:
    """Refuse, before anything is written, a learning-rate schedule load cannot rebuild.

    The file names the schedule's class; loading knows rnnkit's own schedules only.
    """
    rate = getattr(optimizer, "_learning_rate", None)
    if isinstance(rate, optimizers_module.LearningRateSchedule):
        _check_loadable(
            "the optimizer's learning rate", rate, optimizers_module._SCHEDULES, "schedules"
        )


def _check_loadable(what: str, obj: Any, registry: dict[str, type], kind: str) -> None:
    """Refuse to save ``obj`` unless loading rebuilds it: rnnkit's class of that name."""
    if registry.get(type(obj).__name__) is not type(obj):
        _refuse_unloadable(what, obj, f"{kind}: {', '.join(registry)}")


def _refuse_unloadable(what: str, obj: Any, kind: str) -> None:
    """The error for a class loading cannot rebuild (a user's subclass), before writing."""
    cls = type(obj)
    raise ArgumentError(
        f"save: {what} is a {cls.__module__}.{cls.__qualname__}, which rnnkit cannot load "
        f"back (only its own {kind}). Use one of those, or save the weights only with "
        "save_weights() and build and compile the model again before load_weights()."
    )


def _metric_entry(identifier: Any) -> str | dict[str, Any]:
    """How the file stores a metric given to ``compile``.

    A name stays a name (``"accuracy"`` is resolved again when the model is compiled on
    load, as in Keras); a metric object, class or config dict becomes
    ``{"class_name": ..., "config": ...}``, checked to load back.
    """
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, metrics_module.Metric):
        metric = identifier
    elif (
        isinstance(identifier, type) and issubclass(identifier, metrics_module.Metric)
    ) or isinstance(identifier, dict):
        metric = metrics_module.get(identifier)
    else:
        raise ArgumentError(
            f"save: metric {identifier!r} is not an rnnkit metric; rnnkit can save only "
            "metric names and rnnkit.metrics objects. Compile with those, or save the "
            "weights only with save_weights() and compile the model again after "
            "load_weights()."
        )
    _check_loadable(f"metric {metric.name!r}", metric, metrics_module._CLASSES, "metrics")
    entry = metrics_module.serialize(metric)
    try:
        json.dumps(entry, default=_json_default)
    except (TypeError, ValueError) as error:
        raise ArgumentError(
            f"save: the config of metric {metric.name!r} ({entry['config']!r}) cannot be "
            f"written as JSON ({error}); pass plain numbers and strings to {type(metric).__name__}."
        ) from error
    return entry


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def save_model(model: Sequential, filepath: str, overwrite: bool = True) -> None:
    """Write ``model`` (architecture, weights, optimizer state, RNG states) to ``filepath``."""
    if not isinstance(model, Sequential):
        raise ArgumentError(
            f"save_model: expected an rnnkit Sequential model; got {type(model).__name__}."
        )
    model._check_built()
    _atomic_write(filepath, _payload(model, include_optimizer=True), overwrite)


def save_weights(model: Sequential, filepath: str, overwrite: bool = True) -> None:
    """Write only the weights of ``model`` (and the config, to check compatibility)."""
    model._check_built()
    _atomic_write(filepath, _payload(model, include_optimizer=False), overwrite)


def _restore_weights(
    model: Sequential, meta: dict, arrays: dict[str, np.ndarray], path: str
) -> None:
    expected = [
        (f"weights/{i}/{k}", w.shape)
        for i, layer in enumerate(model.layers)
        for k, w in layer.params.items()
    ]
    saved_layers = [e.get("class_name") for e in meta.get("model", {}).get("layers", [])]
    model_layers = [type(layer).__name__ for layer in model.layers]
    names = {name for name, _ in expected}
    missing = [name for name in names if name not in arrays]
    extra = [k for k in arrays if k.startswith("weights/") and k not in names]
    wrong = [
        f"{name} {arrays[name].shape} (the model's {shape})"
        for name, shape in expected
        if name in arrays and arrays[name].shape != shape
    ]
    if missing or extra or wrong:
        found = "; ".join(
            part
            for part in (
                f"missing {sorted(missing)[:3]}" if missing else "",
                f"not in the model {sorted(extra)[:3]}" if extra else "",
                f"other shapes: {', '.join(wrong[:3])}" if wrong else "",
                f"the file's layers {saved_layers}, the model's {model_layers}"
                if saved_layers and saved_layers != model_layers
                else "",
            )
            if part
        )
        raise FileFormatError(
            f"load: the weights in '{path}' do not match this model's layers ({found})."
        )
    for i, layer in enumerate(model.layers):  # all checked above: no half-loaded model
        layer.set_weights([arrays[f"weights/{i}/{k}"] for k in layer.params])
        for attr, sub in _sublayers(layer):
            saved = []
            while f"states/{i}/{attr}/{len(saved)}" in arrays:
                saved.append(arrays[f"states/{i}/{attr}/{len(saved)}"])
            if saved:
                sub.reset_states(saved)
    generators = meta.get("generators", {})
    try:
        if "model" in generators:
            model._shuffle_rng.bit_generator.state = generators["model"]
        for i, layer in enumerate(model.layers):
            for name, generator in _generators(layer).items():
                if f"{i}/{name}" in generators:
                    generator.bit_generator.state = generators[f"{i}/{name}"]
    except (TypeError, KeyError, ValueError) as error:
        raise FileFormatError(
            f"load: '{path}' is damaged: a random generator's state does not load ({error!r})."
        ) from error


def _layer_from_config(entry: dict, path: str) -> Layer:
    cls = getattr(layers_module, str(entry.get("class_name", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise FileFormatError(
            f"load: '{path}' names an unknown layer class {entry.get('class_name')!r}."
        )
    if not isinstance(entry.get("config"), dict):
        raise FileFormatError(
            f"load: '{path}' is damaged: the {cls.__name__} layer has no config. "
            "Save the model again."
        )
    if cls is Layer or cls.__name__.startswith("RNNBase"):
        raise FileFormatError(f"load: '{path}' names the abstract layer class {cls.__name__}.")
    try:
        return cls.from_config(entry["config"])
    except (TypeError, KeyError, ValueError) as error:  # RnnkitErrors are ValueErrors too
        raise FileFormatError(
            f"load: '{path}' is damaged: the {cls.__name__} layer's config does not load "
            f"({error}). Save the model again."
        ) from error


def _compile(model: Sequential, compiled: dict, arrays: dict[str, np.ndarray]) -> None:
    """Compile ``model`` and restore its optimizer state from the file's compile entry.

    ``metrics`` holds names and ``{"class_name", "config"}`` dicts (only names in files
    written before metric configs were saved); :func:`rnnkit.metrics.get` reads both.
    """
    optimizer = optimizers_module.get(compiled["optimizer"])
    loss = losses_module.get(compiled["loss"])
    weighted = compiled.get("weighted_metrics")
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=compiled.get("metrics") or [],
        **({"weighted_metrics": weighted} if weighted else {}),
    )
    state: dict[str, Any] = {}
    for key, kind in compiled["optimizer_state"].items():
        if "list" in kind:
            absent = set(kind.get("absent", ()))
            state[key] = [
                None if j in absent else arrays[f"optimizer/{key}/{j}"] for j in range(kind["list"])
            ]
        elif "array" in kind:
            state[key] = arrays[f"optimizer/{key}"]
        else:
            state[key] = kind["value"]
    _align_slots(model, state)
    model.optimizer.set_state(state)


def _align_slots(model: Sequential, state: dict[str, Any]) -> None:
    """Place the state of files from before frozen layers had a place in it.

    The optimizer's slot lists cover every parameter, frozen ones included (None until
    a parameter's first update), so a layer can be frozen or unfrozen between steps;
    files written before that (rnnkit up to commit 7588004) list the trainable
    parameters only: their frozen layers' places get None.
    """
    params = [layer.trainable for layer in model.layers for _ in layer.params.values()]
    trained = sum(params)
    for name, value in state.items():
        if isinstance(value, list) and len(value) == trained != len(params):
            saved = iter(value)
            state[name] = [next(saved) if trains else None for trains in params]


def load_model(filepath: str) -> Sequential:
    """Read a model written by :func:`save_model`, compiled and ready to resume training."""
    meta, arrays = _read(filepath)
    path = os.fspath(filepath)
    config = meta["model"]
    layers = [_layer_from_config(entry, path) for entry in config["layers"]]
    model = Sequential(layers, name=config.get("name"))
    trainable = config.get("trainable", True)
    if not isinstance(trainable, bool):
        raise FileFormatError(f"load: '{path}' is damaged: trainable is {trainable!r}.")
    model._trainable = trainable  # the layers keep their own flags
    if config.get("build_input_shape") is not None:
        model.build(tuple(config["build_input_shape"]))
    _restore_weights(model, meta, arrays, path)
    compiled = meta.get("compile")
    if compiled:
        try:
            _compile(model, compiled, arrays)
        except (KeyError, TypeError, AttributeError, RnnkitError) as error:
            raise FileFormatError(
                f"load: cannot restore the compile settings stored in '{path}' ({error!r}). "
                "Build and compile the model yourself and call load_weights(), or save "
                "the model again with this rnnkit."
            ) from error
    return model


def load_weights(model: Sequential, filepath: str) -> None:
    """Load weights written by :func:`save_weights` or :func:`save_model` into ``model``."""
    meta, arrays = _read(filepath)
    if not model.built and meta["model"].get("build_input_shape") is not None:
        model.build(tuple(meta["model"]["build_input_shape"]))
    _restore_weights(model, meta, arrays, filepath)
