import io
import json
import subprocess
import sys

import numpy as np
import pytest
from imdb_corpus import synthetic_corpus, write_archive

from rnnkit import recipes
from rnnkit.cli import main
from rnnkit.models import load_model

TINY_RECIPE = [
    "--units", "3", "--embedding-dim", "4", "--maxlen", "12", "--num-words", "40",
    "--epochs", "2", "--batch-size", "8", "--learning-rate", "0.05", "--seed", "3",
    "--validation-split", "0.25", "--verbose", "2", "--ema-momentum", "0.5",
    "--lr-decay", "0.5",
]  # fmt: skip


pytestmark = pytest.mark.usefixtures("offline_imdb")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny training run shared by the tests below: (archive, output folder, stdout)."""
    root = tmp_path_factory.mktemp("cli")
    archive = write_archive(root / "aclImdb_v1.tar.gz", synthetic_corpus(per_class=16))
    out = root / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNKIT_CACHE_DIR", str(root / "cache"))
        patch.delenv("RNNKIT_DATA_DIR", raising=False)
        stdout = io.StringIO()
        patch.setattr(sys, "stdout", stdout)
        status = main(["train", "imdb", *TINY_RECIPE, "--data", str(archive), "--out", str(out)])
    assert status == 0
    return archive, out, stdout.getvalue()


def test_train_writes_everything(trained):
    archive, out, printed = trained
    assert "Test accuracy:" in printed and "Epoch 1/2" in printed
    for name in ("model.rnnkit", "checkpoint.rnnkit", "preprocessing.json", "metrics.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["test"]
    assert test["samples"] == 32 and 0.0 <= test["accuracy"] <= 1.0 and test["loss"] > 0
    matrix = np.array(test["confusion_matrix"]["matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == 32 and matrix.sum(axis=1).tolist() == [16, 16]
    assert np.trace(matrix) / 32 == pytest.approx(test["accuracy"])
    assert set(metrics["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(metrics["history"]["loss"]) == metrics["epochs_run"] <= 2
    assert metrics["config"]["units"] == 3 and metrics["config"]["cell"] == "gru"
    assert metrics["config"]["ema_momentum"] == 0.5 and metrics["config"]["bucket_by_length"]
    optimizer = load_model(str(out / "model.rnnkit")).optimizer
    # Each epoch (24 reviews, batch 8: 3 steps) ends on the averaged weights.
    assert optimizer.use_ema and optimizer.ema_momentum == 0.5
    assert optimizer.ema_overwrite_frequency == 3
    # --lr-decay 0.5: the rate halves after every epoch of 3 steps.
    schedule = optimizer.learning_rate
    assert [float(schedule(step)) for step in (0, 2, 3, 6)] == [0.05, 0.05, 0.025, 0.0125]
    assert metrics["config"]["data"] == str(archive)
    assert metrics["data"] == {
        "train_samples": 24,
        "validation_samples": 8,
        "validation": "film",
        "validation_films": 4,  # two reviews each in the synthetic corpus
        "test_samples": 32,
        "vocabulary": metrics["data"]["vocabulary"],
    }
    assert metrics["wall_time_s"]["total"] >= metrics["wall_time_s"]["train"] > 0
    preprocessing = json.loads((out / "preprocessing.json").read_text())
    assert preprocessing["maxlen"] == 12 and preprocessing["num_words"] == 40
    assert all(rank + 3 < 40 for rank in preprocessing["word_index"].values())
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in printed
        assert not (out / "learning_curves.png").exists()
    else:
        for name in ("learning_curves.png", "confusion_matrix.png"):
            assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_evaluate_reproduces_the_test_metrics(trained, capsys):
    archive, out, _ = trained
    assert main(["evaluate", str(out), "--data", str(archive)]) == 0
    printed = capsys.readouterr().out
    accuracy = json.loads((out / "metrics.json").read_text())["test"]["accuracy"]
    assert f"Test accuracy: {accuracy:.4f}" in printed
    # the model file itself works too, and text encoding gives the same numbers
    model = recipes.load_sentiment_model(out / "model.rnnkit")
    texts, labels = recipes.imdb.load_texts(archive, "test")
    probabilities = model.predict(texts)
    assert np.mean((probabilities > 0.5) == labels) == pytest.approx(accuracy)


def test_evaluate_on_data_with_another_vocabulary(trained, capsys, tmp_path):
    # another corpus has other word ranks: the test texts are encoded with the model's index
    _, out, _ = trained
    other = write_archive(tmp_path / "other.tar.gz", synthetic_corpus(per_class=5, seed=9))
    model = recipes.load_sentiment_model(out)
    assert recipes.imdb.get_word_index(other) != model.preprocessing["word_index"]
    assert main(["evaluate", str(out), "--data", str(other)]) == 0
    assert "(10 reviews)" in capsys.readouterr().out


def test_predict_text_stdin_and_file(trained, capsys, monkeypatch, tmp_path):
    _, out, _ = trained
    assert main(["predict", str(out), "A wonderful, superb film!"]) == 0
    line = capsys.readouterr().out.strip()
    probability, label = line.split("\t")
    assert 0.0 <= float(probability) <= 1.0 and label in ("positive", "negative")
    assert (label == "positive") == (float(probability) > 0.5)

    monkeypatch.setattr(sys, "stdin", io.StringIO("awful boring dull\n\nsuperb moving great\n"))
    assert main(["predict", str(out / "model.rnnkit"), "-"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].endswith("superb moving great")

    reviews = tmp_path / "reviews.txt"
    reviews.write_text("one review\nanother review<br />with a break\n", encoding="utf-8")
    assert main(["predict", str(out), "--file", str(reviews), "third"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_user_mistakes_print_one_line(trained, capsys, tmp_path):
    _, out, _ = trained
    cases = [
        ["predict", str(tmp_path / "missing"), "text"],
        ["predict", str(out)],
        ["evaluate", str(tmp_path)],
        ["train", "imdb", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")],
        ["predict", str(out), "--file", str(tmp_path / "no-such-file.txt")],
    ]
    for argv in cases:
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert len(captured.err.strip().splitlines()) == 1, argv
        assert captured.err.startswith(f"rnnkit {argv[0]}: error: ")
    for argv in (["train", "imdb", "--units", "0"], ["train", "imdb", "--dropout", "1.5"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "must be" in capsys.readouterr().err


def test_model_without_preprocessing(trained, tmp_path, capsys):
    _, out, _ = trained
    lonely = tmp_path / "model.rnnkit"
    lonely.write_bytes((out / "model.rnnkit").read_bytes())
    assert main(["predict", str(lonely), "text"]) == 1
    assert "preprocessing.json" in capsys.readouterr().err


def test_recipe_validation():
    with pytest.raises(ValueError, match="cell"):
        recipes.IMDBConfig(cell="transformer")
    with pytest.raises(ValueError, match="num_words"):
        recipes.IMDBConfig(num_words=3)
    with pytest.raises(ValueError, match="pooling"):
        recipes.IMDBConfig(pooling="mean")
    with pytest.raises(ValueError, match="ema_momentum"):
        recipes.IMDBConfig(ema_momentum=1.0)
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="lr_decay"):
            recipes.IMDBConfig(lr_decay=bad)
    with pytest.raises(ValueError, match="validation"):
        recipes.IMDBConfig(validation="by_film")
    model = recipes.build_imdb_model(
        recipes.IMDBConfig(cell="lstm", layers=2, bidirectional=True, units=2, num_words=10)
    )
    assert [type(layer).__name__ for layer in model.layers] == [
        "Embedding",
        "SpatialDropout1D",
        "Bidirectional",
        "Bidirectional",
        "GlobalMaxPooling1D",
        "Dense",
    ]
    assert model.layers[0].mask_zero
    assert model.layers[3].forward_layer.return_sequences  # pooled over the whole sequence
    model = recipes.build_imdb_model(
        recipes.IMDBConfig(units=2, num_words=10, pooling="last", spatial_dropout=0.0)
    )
    assert [type(layer).__name__ for layer in model.layers] == [
        "Embedding",
        "Bidirectional",
        "Dense",
    ]
    assert not model.layers[1].forward_layer.return_sequences


def test_python_dash_m_rnnkit():
    result = subprocess.run(
        [sys.executable, "-m", "rnnkit", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("rnnkit ")
