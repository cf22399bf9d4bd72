"""The recipe's JSON files, its argument checks and the `rnnkit predict` command line."""

import json
import math
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from rnnkit import recipes
from rnnkit.callbacks import EarlyStopping
from rnnkit.cli import main
from rnnkit.errors import ArgumentError, ArgumentTypeError

TINY = {"num_words": 20, "maxlen": 10, "units": 2, "embedding_dim": 2}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained tiny recipe model with its preprocessing.json, as `train` leaves them."""
    out = tmp_path_factory.mktemp("model")
    config = recipes.IMDBConfig(**TINY)
    model = recipes.build_imdb_model(config)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.save(str(out / recipes.MODEL_FILE))
    preprocessing = recipes._preprocessing(config, {"good": 1, "bad": 2, "movie": 3})
    recipes._write_json(out / recipes.PREPROCESSING_FILE, preprocessing)
    return out


@pytest.fixture
def umask():
    """Set the process umask for a test and restore it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------ 1. the JSON files
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_json_file_gets_the_mode_open_gives_and_keeps_it(tmp_path, umask):
    path = tmp_path / "metrics.json"
    for mask, expected in ((0o022, 0o644), (0o002, 0o664)):
        umask(mask)
        path.unlink(missing_ok=True)
        recipes._write_json(path, {"accuracy": np.float32(0.5)})
        assert _mode(path) == expected  # 0666 less the umask, not mkstemp's 0600
    os.chmod(path, 0o640)
    recipes._write_json(path, {"accuracy": 0.75})
    assert _mode(path) == 0o640  # an overwritten file keeps its mode
    assert json.loads(path.read_text(encoding="utf-8")) == {"accuracy": 0.75}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]  # no temporary left


def test_json_file_is_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), replace(a, b))[1])
    recipes._write_json(tmp_path / "preprocessing.json", {"maxlen": 10})
    assert events == ["fsync", "replace"]


def test_unserializable_json_leaves_nothing_behind(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"old": 1}\n', encoding="utf-8")
    with pytest.raises(TypeError):
        recipes._write_json(path, {"bad": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"old": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def _fake_imdb(monkeypatch):
    """A 60 + 30 review IMDB made of random ids, with 20 films of 3 reviews."""
    rng = np.random.default_rng(0)

    def reviews(n, num_words):
        ids = [list(rng.integers(1, num_words, size=rng.integers(3, 12))) for _ in range(n)]
        return np.array(ids, dtype=object)

    def load_data(data=None, num_words=None, seed=113, **kwargs):
        train = (reviews(60, num_words), rng.integers(0, 2, 60))
        return train, (reviews(30, num_words), rng.integers(0, 2, 30))

    monkeypatch.setattr(recipes.imdb, "load_data", load_data)
    monkeypatch.setattr(
        recipes.imdb, "get_word_index", lambda data=None: {f"w{i}": i + 1 for i in range(50)}
    )
    monkeypatch.setattr(
        recipes.imdb, "load_films", lambda data=None, seed=113: (np.repeat(np.arange(20), 3), None)
    )
    monkeypatch.setattr(
        recipes.imdb, "film_validation_split", lambda films, fraction, seed=113: films < 4
    )
    monkeypatch.setattr(recipes, "_import_figure", lambda: None)  # no plots: faster


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_train_imdb_writes_its_json_files_like_its_model(tmp_path, monkeypatch, umask):
    _fake_imdb(monkeypatch)
    umask(0o027)
    config = recipes.IMDBConfig(**TINY, epochs=1, batch_size=16)
    recipes.train_imdb(config, tmp_path / "run", verbose=0, log=lambda line: None)
    run = tmp_path / "run"
    assert _mode(run / recipes.MODEL_FILE) == 0o640
    assert _mode(run / recipes.METRICS_FILE) == 0o640
    assert _mode(run / recipes.PREPROCESSING_FILE) == 0o640


# ------------------------------------------------------------------ 2. argument checks
@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("bidirectional", "no", ArgumentTypeError),
        ("bidirectional", 0, ArgumentTypeError),
        ("bucket_by_length", "false", ArgumentTypeError),
        ("patience", 1.5, ArgumentTypeError),
        ("patience", "2", ArgumentTypeError),
        ("patience", -1, ArgumentError),
        ("seed", 1.5, ArgumentTypeError),
        ("seed", None, ArgumentTypeError),
        ("seed", True, ArgumentTypeError),
        ("seed", -1, ArgumentError),
        ("units", "64", ArgumentTypeError),
        ("epochs", 2.0, ArgumentTypeError),
        ("learning_rate", "0.001", ArgumentTypeError),
        ("learning_rate", math.inf, ArgumentError),
        ("learning_rate", -1e-3, ArgumentError),
        ("lr_decay", "0.5", ArgumentTypeError),
        ("validation_split", "0.1", ArgumentTypeError),
        ("validation_split", 1.0, ArgumentError),
        ("validation_split", math.nan, ArgumentError),
        ("dropout", "0.2", ArgumentTypeError),
        ("data", 3, ArgumentTypeError),
        ("cell", ["gru"], ArgumentTypeError),
    ],
)
def test_config_refuses_bad_values_naming_the_field(name, value, error):
    with pytest.raises(error, match=f"IMDBConfig: `{name}` must be "):
        recipes.IMDBConfig(**{name: value})


def test_config_keeps_plain_python_values(tmp_path):
    config = recipes.IMDBConfig(
        units=np.int64(3), learning_rate=1, bidirectional=np.bool_(False), data=tmp_path
    )
    assert type(config.units) is int and config.units == 3
    assert type(config.learning_rate) is float and config.learning_rate == 1.0
    assert config.bidirectional is False and config.data == tmp_path


def test_recipe_functions_check_their_arguments(model_dir, tmp_path, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("arguments are checked before the data is loaded")

    monkeypatch.setattr(recipes.imdb, "load_data", no_data)
    config = recipes.IMDBConfig(**TINY)
    with pytest.raises(ArgumentTypeError, match="build_imdb_model: `config`"):
        recipes.build_imdb_model({"units": 2})
    bad_calls = [
        ((dict(TINY), tmp_path), {}, ArgumentTypeError, "config"),
        ((config, 3), {}, ArgumentTypeError, "out"),
        ((config, tmp_path), {"verbose": 5}, ArgumentError, "verbose"),
        ((config, tmp_path), {"log": "print"}, ArgumentTypeError, "log"),
        ((config, tmp_path), {"callbacks": [object()]}, ArgumentTypeError, "callbacks"),
        ((config, tmp_path), {"callbacks": EarlyStopping()}, ArgumentTypeError, "callbacks"),
    ]
    for args, kwargs, error, name in bad_calls:
        with pytest.raises(error, match=f"train_imdb: `{name}` must be "):
            recipes.train_imdb(*args, **kwargs)
    with pytest.raises(ArgumentTypeError, match="load_sentiment_model: `path` must be "):
        recipes.load_sentiment_model(3)
    model = recipes.load_sentiment_model(model_dir)
    with pytest.raises(ArgumentTypeError, match="`texts` must be a list of review strings"):
        model.predict("one review, not ten characters")
    with pytest.raises(ArgumentTypeError, match="`texts` must be"):
        model.predict(["good", 3])
    with pytest.raises(ArgumentError, match="SentimentModel.predict: `batch_size` must be"):
        model.predict(["good"], batch_size=0)
    with pytest.raises(ArgumentTypeError, match="SentimentModel.evaluate: `batch_size` must be"):
        model.evaluate(batch_size="256")
    assert model.predict(("good movie", "bad")).shape == (2,)  # any sequence of strings


# ------------------------------------------------------------------ 3. and 4. the command line
def _predict_lines(capsys, *argv):
    assert main(["predict", *map(str, argv)]) == 0
    return capsys.readouterr().out.splitlines()


def test_predict_texts_after_the_options_even_with_a_dash(model_dir, tmp_path, capsys):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("good movie\nbad movie\n", encoding="utf-8")
    lines = _predict_lines(capsys, model_dir, "--file", reviews, "-1 stars", "-5", "after")
    assert [line.split("\t")[2] for line in lines] == [
        "-1 stars",
        "-5",
        "after",
        "good movie",
        "bad movie",
    ]
    lines = _predict_lines(capsys, model_dir, "first", "--file", reviews, "--", "-awful")
    assert [line.split("\t")[2] for line in lines][:2] == ["first", "-awful"]
    with pytest.raises(SystemExit) as info:  # without `--`, -awful looks like an option
        main(["predict", str(model_dir), "--file", str(reviews), "-awful"])
    assert info.value.code == 2
    assert "rnnkit predict: error: unrecognized arguments: -awful" in capsys.readouterr().err


def test_each_review_is_printed_on_one_line(model_dir, capsys):
    texts = ["first line\nsecond line", "a\ttab and\r\na CRLF", "esc\x1b[31m red", "x" * 100]
    lines = _predict_lines(capsys, model_dir, *texts)
    assert len(lines) == 4
    assert all(len(line.split("\t")) == 3 for line in lines)
    snippets = [line.split("\t")[2] for line in lines]
    assert snippets[:3] == ["first line second line", "a tab and a CRLF", "esc\\x1b[31m red"]
    assert snippets[3] == "x" * 57 + "..."


def test_predict_into_a_closed_pipe_stops_quietly(model_dir, monkeypatch, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["predict", str(model_dir), "good", "bad"]) == 141
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_predict_piped_into_a_reader_that_left(model_dir):
    # `rnnkit predict ... | head -0`: the reader is gone before the first line is written
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnkit", "predict", str(model_dir), "good", "bad"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 141
    assert stderr == b""


@pytest.mark.parametrize("field", ["cell", "pooling", "validation"])
def test_config_choice_of_the_wrong_type_is_a_type_error(field):
    from rnnkit.errors import ArgumentTypeError
    from rnnkit.recipes import IMDBConfig

    with pytest.raises(ArgumentTypeError, match=field):
        IMDBConfig(**{field: 5})
