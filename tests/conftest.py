import io

import numpy as np
import pytest

from rnnkit.data import imdb as imdb_source


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


@pytest.fixture
def offline_imdb(tmp_path, monkeypatch):
    """No user cache, no RNNKIT_DATA_DIR from the Makefile, and no network."""
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(imdb_source, "urlopen", no_network)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def terminal():
    """A text stream that says it is a terminal (the progress bar then redraws in place)."""
    return _Terminal()
