"""Saving: metric configs, file modes, and clear errors for bad files."""

import inspect
import json
import os
import stat
import zipfile

import numpy as np
import pytest

import rnnkit
from rnnkit import metrics
from rnnkit.errors import ArgumentError
from rnnkit.layers import Dense
from rnnkit.models import Sequential
from rnnkit.saving import FileFormatError


def binary_model(metric_list=None):
    rnnkit.utils.set_random_seed(3)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=metric_list)
    return model


def binary_data():
    rng = np.random.default_rng(2)
    return rng.random((16, 3)).astype(np.float32), (rng.random(16) > 0.5).astype(np.float32)


def rewrite_meta(path, edit):
    """Rewrite the rnnkit.json of the zip at ``path`` with ``edit(meta)``, keeping the arrays."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    meta = edit(json.loads(members["rnnkit.json"]))
    members["rnnkit.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ---------------------------------------------------------------- metric configs
@pytest.mark.parametrize(
    "metric",
    [
        metrics.Precision(thresholds=0.9),
        metrics.Recall(thresholds=(0.4,)),
        metrics.Recall(thresholds=np.float32(0.25)),
        metrics.BinaryAccuracy(threshold=0.0, name="acc_logits"),
        metrics.AUC(num_thresholds=20, curve="PR", from_logits=True, name="pr"),
        metrics.AUC,
        "accuracy",
        "AUC",
        {"class_name": "Recall", "config": {"thresholds": 0.2, "name": "r"}},
    ],
    ids=repr,
)
def test_metric_settings_survive_save_and_load(tmp_path, metric):
    x, y = binary_data()
    model = binary_model([metric])
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.rnnkit"
    model.save(str(path))
    clone = rnnkit.load_model(str(path))
    [original], [loaded] = model.compiled_metrics, clone.compiled_metrics
    assert type(loaded) is type(original)
    assert loaded.get_config() == original.get_config()
    assert clone.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_metrics_saved_as_class_name_and_config(tmp_path):
    model = binary_model([metrics.Precision(thresholds=0.9), "accuracy"])
    model.build((None, 3))
    path = tmp_path / "m.rnnkit"
    model.save(str(path))
    with zipfile.ZipFile(path) as archive:
        saved = json.loads(archive.read("rnnkit.json"))["compile"]["metrics"]
    assert saved == [
        {"class_name": "Precision", "config": {"name": "precision", "thresholds": 0.9}},
        "accuracy",  # names stay names, resolved again on load as in Keras
    ]


def test_weighted_metrics_survive_save_and_load(tmp_path):
    if "weighted_metrics" not in inspect.signature(Sequential.compile).parameters:
        pytest.skip("compile() takes no weighted_metrics")
    x, y = binary_data()
    model = binary_model(["accuracy"])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=[metrics.Precision(thresholds=0.3, name="p"), "accuracy"],
    )
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.rnnkit"
    model.save(str(path))
    clone = rnnkit.load_model(str(path))
    assert [m.get_config() for m in clone.compiled_metrics] == [
        m.get_config() for m in model.compiled_metrics
    ]
    weights = np.linspace(0, 1, len(y))
    assert clone.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True) == (
        model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    )


def test_files_with_metric_names_still_load(tmp_path):
    model = binary_model(["accuracy", "auc"])
    model.build((None, 3))
    path = tmp_path / "old.rnnkit"
    model.save(str(path))

    def old_layout(meta):
        meta["compile"]["metrics"] = ["accuracy", "auc"]
        return meta

    rewrite_meta(path, old_layout)
    clone = rnnkit.load_model(str(path))
    assert [type(m).__name__ for m in clone.compiled_metrics] == ["BinaryAccuracy", "AUC"]
    assert [m.name for m in clone.compiled_metrics] == ["accuracy", "auc"]


class CustomMetric(metrics.Mean):
    pass


class Precision(metrics.Precision):  # same class name as rnnkit's, but not rnnkit's class
    pass


@pytest.mark.parametrize("metric", [CustomMetric(name="custom"), Precision(name="mine")], ids=repr)
def test_unsavable_metric_fails_at_save_naming_it(tmp_path, metric):
    model = binary_model([metric])
    model.build((None, 3))
    path = tmp_path / "m.rnnkit"
    with pytest.raises(ArgumentError, match=f"metric '{metric.name}'.*save_weights"):
        model.save(str(path))
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left
    model.save_weights(str(path))  # weights alone do not need the metrics


# ---------------------------------------------------------------- file modes
pytestmark_posix = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytestmark_posix
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_file_gets_the_mode_open_would_give(tmp_path, umask):
    model = binary_model()
    model.build((None, 3))
    old = os.umask(umask)
    try:
        model.save(str(tmp_path / "m.rnnkit"))
        model.save_weights(str(tmp_path / "sub" / "w.rnnkit"))
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "plain").st_mode) == expected
    assert stat.S_IMODE(os.stat(tmp_path / "m.rnnkit").st_mode) == expected
    assert stat.S_IMODE(os.stat(tmp_path / "sub" / "w.rnnkit").st_mode) == expected


@pytestmark_posix
def test_overwritten_file_keeps_its_mode(tmp_path):
    model = binary_model()
    model.build((None, 3))
    path = tmp_path / "m.rnnkit"
    model.save(str(path))
    os.chmod(path, 0o640)
    old = os.umask(0o022)
    try:
        model.save(str(path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["m.rnnkit"]


def test_save_to_a_folder_is_refused(tmp_path):
    model = binary_model()
    model.build((None, 3))
    with pytest.raises(ArgumentError, match="is a folder; pass a file path"):
        model.save(str(tmp_path))


# ---------------------------------------------------------------- bad files
def write_zip(path, text):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rnnkit.json", text)


GOOD_HEAD = '{"format": "rnnkit-model", "version": 1'


@pytest.mark.parametrize(
    ("text", "match", "weights_too"),
    [
        ("[1, 2]", "rnnkit.json holds a JSON list, not an object", True),
        ('"model"', "rnnkit.json holds a JSON str, not an object", True),
        (GOOD_HEAD + "}", '"model" entry .* is missing', True),
        (GOOD_HEAD + ', "model": [1]}', '"model" entry .* is not a model configuration', True),
        (GOOD_HEAD + ', "model": {"layers": [1]}}', "not a model configuration", True),
        ('{"format": "rnnkit-model", "version": "1"}', "version is '1', not an integer", True),
        (GOOD_HEAD + ', "model": {"layers": []}, "compile": [1]}', "'compile' entry is a", True),
        (GOOD_HEAD + ', "model": {"layers": [{"class_name": "Dense"}]}}', "Dense layer", False),
        (GOOD_HEAD + ', "model": {"layers": [{"class_name": "No", "config": {}}]}}', "'No'", False),
    ],
)
def test_damaged_files_raise_file_format_error(tmp_path, text, match, weights_too):
    path = tmp_path / "bad.rnnkit"
    write_zip(path, text)
    with pytest.raises(FileFormatError, match=match) as caught:
        rnnkit.load_model(str(path))
    assert str(path) in str(caught.value)
    if weights_too:  # load_weights (and so checkpoints) reads files the same way
        with pytest.raises(FileFormatError, match=match):
            binary_model().load_weights(str(path))


def test_loading_a_folder_raises_file_format_error(tmp_path):
    with pytest.raises(FileFormatError, match="is a folder") as caught:
        rnnkit.load_model(str(tmp_path))
    assert str(tmp_path) in str(caught.value)
    with pytest.raises(FileFormatError, match="is a folder"):
        binary_model().load_weights(str(tmp_path))


def test_unknown_metric_in_file_raises_file_format_error(tmp_path):
    model = binary_model(["accuracy"])
    model.build((None, 3))
    path = tmp_path / "m.rnnkit"
    model.save(str(path))

    def unknown(meta):
        meta["compile"]["metrics"] = ["acc_logits"]
        return meta

    rewrite_meta(path, unknown)
    with pytest.raises(FileFormatError, match="compile settings stored in .*acc_logits"):
        rnnkit.load_model(str(path))
    binary_model().load_weights(str(path))  # the weights are still readable


# --- session 8 review of saving -------------------------------------------------------


def test_failed_load_weights_leaves_the_model_untouched(tmp_path):
    """A later layer's wrong shape was found after earlier layers were overwritten."""
    from rnnkit.layers import LSTM, Dense

    source = Sequential([LSTM(3, input_shape=(4, 2)), Dense(2)])
    source.build((None, 4, 2))
    path = tmp_path / "w.rnnkit"
    source.save_weights(str(path))
    target = Sequential([LSTM(3, input_shape=(4, 2)), Dense(3)])
    target.build((None, 4, 2))
    before = [w.copy() for w in target.get_weights()]
    with pytest.raises(FileFormatError, match=r"other shapes: weights/1/kernel \(3, 2\)"):
        target.load_weights(str(path))
    for old, new in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    fewer = Sequential([LSTM(3, input_shape=(4, 2))])
    fewer.build((None, 4, 2))
    with pytest.raises(FileFormatError, match="not in the model.*the file's layers"):
        fewer.load_weights(str(path))  # said "missing []"


def test_user_subclasses_are_refused_at_save(tmp_path):
    """A subclass of a loss, optimizer or layer saved a file load could not read."""
    from rnnkit import losses, optimizers
    from rnnkit.layers import Dense

    class MyLoss(losses.MeanSquaredError):
        pass

    class MyAdam(optimizers.Adam):
        pass

    class MyDense(Dense):
        pass

    for layer, loss, optimizer, what in (
        (Dense(1), MyLoss(), "adam", "the loss"),
        (Dense(1), "mse", MyAdam(), "the optimizer"),
        (MyDense(1), "mse", "adam", "layer 0"),
    ):
        model = Sequential([layer])
        model.compile(optimizer=optimizer, loss=loss)
        model.build((None, 2))
        path = tmp_path / "m.rnnkit"
        with pytest.raises(ArgumentError, match=f"{what}.*cannot load back"):
            model.save(str(path))
        assert not path.exists()


def test_damaged_layer_configs_and_states_are_file_format_errors(tmp_path):
    import json
    import zipfile

    from rnnkit.layers import LSTM

    model = Sequential([LSTM(3, input_shape=(4, 2))])
    model.compile("adam", "mse")
    model.build((None, 4, 2))
    path = tmp_path / "m.rnnkit"
    model.save(str(path))

    def damaged(change):
        out = tmp_path / "bad.rnnkit"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "rnnkit.json":
                    meta = json.loads(data)
                    change(meta)
                    data = json.dumps(meta).encode()
                dst.writestr(info.filename, data)
        return str(out)

    cases = {
        "config does not load": lambda m: m["model"]["layers"][0]["config"].pop("units"),
        "abstract layer class": lambda m: m["model"]["layers"][0].update(class_name="Layer"),
        "trainable is 'false'": lambda m: m["model"].update(trainable="false"),
        "generator's state": lambda m: m["generators"].update(model="x"),
    }
    for message, change in cases.items():
        with pytest.raises(FileFormatError, match=message) as caught:
            rnnkit.load_model(damaged(change))
        assert "bad.rnnkit" in str(caught.value)  # names the file
