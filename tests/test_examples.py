"""Every script in examples/ runs end to end (one epoch) on a tiny IMDB-shaped corpus."""

import pathlib
import runpy
import sys

import pytest
from imdb_corpus import synthetic_corpus, write_archive

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    write_archive(data / "aclImdb_v1.tar.gz", synthetic_corpus(per_class=20))
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(data))
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "argv", [str(script), "--epochs", "1"])
    runpy.run_path(str(script), run_name="__main__")
    assert "Test accuracy:" in capsys.readouterr().out
