import hashlib
import io
import os
import urllib.error

import numpy as np
import pytest
from imdb_corpus import TINY, film_of, url_list, write_archive, write_folder

from rnnkit.data import imdb as source
from rnnkit.datasets import imdb
from rnnkit.errors import ArgumentError, RnnkitError

REAL_DATA_DIR = os.environ.get("RNNKIT_DATA_DIR")  # read before the fixture below unsets it


pytestmark = pytest.mark.usefixtures("offline_imdb")


@pytest.fixture
def archive(tmp_path):
    return write_archive(tmp_path / "data" / "aclImdb_v1.tar.gz")


# ------------------------------------------------------------------ tokenization, ranks
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Bad bad movie.<br /><br />Awful!", ["bad", "bad", "movie", "awful"]),
        ("line<br>break<BR/>here", ["line", "break", "here"]),
        ("Don't, won\u2019t 'quoted' rock'n'roll", ["don't", "won't", "quoted", "rock'n'roll"]),
        ("well-made 10/10 B-movie", ["well", "made", "10", "10", "b", "movie"]),
        ("Amélie, naïve CAFÉ", ["amélie", "naïve", "café"]),
        ("snake_case ...!!! ''", ["snake", "case"]),
        ("", []),
    ],
)
def test_tokenize(text, tokens):
    assert source.tokenize(text) == tokens


def test_word_ranks_count_training_reviews_only(archive):
    index = imdb.get_word_index(archive)
    # "bad" and "good" occur 4 times each in the training reviews: the tie is alphabetical.
    assert index["bad"] == 1 and index["good"] == 2
    assert index["film"] == 3  # 2 occurrences, alone at that count
    # 1-based, dense, and ordered by (-count, word).
    assert sorted(index.values()) == list(range(1, len(index) + 1))
    assert "unseenword" not in index and "so" not in index  # test-only words
    assert "whatever" not in index  # unlabelled reviews do not count either
    assert index["don't"] > 0  # typographic apostrophe normalized


def test_reading_order_and_labels(archive):
    texts, labels = imdb.load_texts(archive, "train")
    # negative then positive, each by numeric review id (2 before 10)
    assert texts == [
        TINY["train/neg"][n] for n in ("0_1.txt", "1_2.txt", "2_4.txt", "10_3.txt")
    ] + [TINY["train/pos"][n] for n in ("0_9.txt", "1_10.txt", "2_8.txt")]
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1] and labels.dtype == np.int64
    texts, labels = imdb.load_texts(archive, "unsup")
    assert texts == ["whatever<br />you say", "more text"] and labels.tolist() == [-1, -1]
    texts, labels = imdb.load_texts(archive, "test")
    assert len(texts) == 4 and labels.tolist() == [0, 0, 1, 1]
    with pytest.raises(ArgumentError, match="subset"):
        imdb.load_texts(archive, "validation")


# ------------------------------------------------------------------ load_data vs Keras
def keras_reference(
    path, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3
):
    """keras.datasets.imdb.load_data (K3) line by line, on our raw ranks.

    A word without a rank is None and counts as out of range.
    """
    data, _ = source.load_encoded(path)
    raw = []
    for split in (data.train, data.test):
        seqs = [[None if r == 0 else r for r in s.tolist()] for s in split.sequences()]
        raw.append((seqs, split.labels))
    (x_train, labels_train), (x_test, labels_test) = raw
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train = [x_train[i] for i in indices]
    labels_train = labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test = [x_test[i] for i in indices]
    labels_test = labels_test[indices]

    def shift(x):
        return [None if w is None else w + index_from for w in x]

    if start_char is not None:
        x_train = [[start_char] + shift(x) for x in x_train]
        x_test = [[start_char] + shift(x) for x in x_test]
    else:
        x_train = [shift(x) for x in x_train]
        x_test = [shift(x) for x in x_test]
    if maxlen:
        keep = [i for i, x in enumerate(x_train) if len(x) < maxlen]
        x_train, labels_train = [x_train[i] for i in keep], labels_train[keep]
        keep = [i for i, x in enumerate(x_test) if len(x) < maxlen]
        x_test, labels_test = [x_test[i] for i in keep], labels_test[keep]
    xs = x_train + x_test
    if not num_words:
        num_words = max(max(w for w in x if w is not None) for x in xs)

    def ok(w):
        return w is not None and skip_top <= w < num_words

    if oov_char is not None:
        xs = [[w if ok(w) else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if ok(w)] for x in xs]
    idx = len(x_train)
    return (xs[:idx], labels_train), (xs[idx:], labels_test)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 8},
        {"num_words": 8, "skip_top": 5},
        {"skip_top": 6, "oov_char": None},
        {"maxlen": 4},
        {"maxlen": 4, "num_words": 6, "oov_char": None},
        {"start_char": None},
        {"start_char": None, "index_from": 0, "oov_char": 7},
        {"seed": 0, "index_from": 10, "start_char": 5},
    ],
)
def test_load_data_matches_keras_reference(archive, kwargs):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(archive, **kwargs)
    (rx_train, ry_train), (rx_test, ry_test) = keras_reference(archive, **kwargs)
    assert x_train.dtype == object and x_train.ndim == 1 and x_test.ndim == 1
    assert all(type(x) is list and all(type(w) is int for w in x) for x in x_train)
    assert x_train.tolist() == rx_train and x_test.tolist() == rx_test
    assert y_train.dtype == np.int64 and y_train.tolist() == ry_train.tolist()
    assert y_test.tolist() == ry_test.tolist()


def test_load_data_invariants(archive):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(archive)
    # the shuffle is RandomState(113) on train, then the same generator on test
    data, _ = source.load_encoded(archive)
    rng = np.random.RandomState(113)
    order_train, order_test = np.arange(7), np.arange(4)
    rng.shuffle(order_train)
    rng.shuffle(order_test)
    assert y_train.tolist() == data.train.labels[order_train].tolist()
    assert y_test.tolist() == data.test.labels[order_test].tolist()
    raw = data.train.sequences()
    for x, i in zip(x_train, order_train, strict=True):
        assert x[0] == 1 and len(x) == len(raw[i]) + 1  # start char, then one id per word
    # reproducible, and another seed gives another order
    again = imdb.load_data(archive)
    assert again[0][0].tolist() == x_train.tolist() and again[1][1].tolist() == y_test.tolist()
    other = imdb.load_data(archive, seed=1)
    assert other[0][1].tolist() != y_train.tolist() or other[0][0].tolist() != x_train.tolist()
    # seed=None (Keras: RandomState(None)): a fresh shuffle of the same reviews
    unseeded = imdb.load_data(archive, seed=None)[0][0]
    assert sorted(map(tuple, unseeded)) == sorted(map(tuple, x_train))
    # index shifting: id = rank + 3; decoding with the word index gives the words back
    index = imdb.get_word_index(archive)
    words = {rank + 3: word for word, rank in index.items()}
    texts, _ = imdb.load_texts(archive, "train")
    first = x_train[0]
    assert [words.get(w, "?") for w in first[1:]] == source.tokenize(texts[order_train[0]])
    # num_words None: the largest id of both sets is out of vocabulary (Keras quirk)
    largest = len(index) + 3
    assert largest not in {w for x in [*x_train, *x_test] for w in x}
    assert max(w for x in x_train for w in x) == largest - 1
    # a test word never seen in training is out of vocabulary
    (_, _), (x_test_all, _) = imdb.load_data(archive, seed=113)
    assert any(x.count(2) for x in x_test_all)


def test_maxlen_filters_instead_of_truncating(archive):
    (x_train, y_train), (x_test, _) = imdb.load_data(archive, maxlen=4)
    assert all(len(x) < 4 for x in [*x_train, *x_test])
    full = imdb.load_data(archive)[0][0]
    assert len(x_train) == sum(len(x) < 4 for x in full) < len(full)
    assert len(y_train) == len(x_train)
    with pytest.raises(ArgumentError, match="maxlen=2"):
        imdb.load_data(archive, maxlen=2)


def test_num_words_and_skip_top(archive):
    (x_train, _), (x_test, _) = imdb.load_data(archive, num_words=6, skip_top=5)
    ids = {w for x in [*x_train, *x_test] for w in x}
    assert ids <= {2, 5}  # below 5 (start char, rank 1 = id 4) and >= 6 are out of vocabulary
    (x_train, _), _ = imdb.load_data(archive, num_words=6, skip_top=4, oov_char=None)
    assert {w for x in x_train for w in x} <= {4, 5}


def test_load_data_one_dimensional_when_lengths_agree(tmp_path):
    corpus = {
        "train/neg": {"0_1.txt": "bad film"},
        "train/pos": {"0_9.txt": "good film"},
        "test/neg": {"0_2.txt": "bad one"},
        "test/pos": {"0_8.txt": "good one"},
    }
    path = write_archive(tmp_path / "eq.tar.gz", corpus)
    (x_train, _), (x_test, _) = imdb.load_data(path)
    assert x_train.shape == (2,) and x_test.shape == (2,)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"num_words": -1}, ArgumentError),
        ({"num_words": 2.5}, TypeError),
        ({"skip_top": None}, TypeError),
        ({"maxlen": True}, TypeError),
        ({"seed": -3}, ArgumentError),
    ],
)
def test_load_data_bad_arguments(archive, kwargs, error):
    with pytest.raises(error):
        imdb.load_data(archive, **kwargs)


def test_encode_texts_matches_load_data(archive):
    index = imdb.get_word_index(archive)
    texts, _ = imdb.load_texts(archive, "test")
    _, (x_test, _) = imdb.load_data(archive, num_words=8, seed=5)
    rng = np.random.RandomState(5)
    rng.shuffle(np.arange(7))
    order = np.arange(4)
    rng.shuffle(order)
    encoded = imdb.encode_texts([texts[i] for i in order], index, num_words=8)
    assert encoded == x_test.tolist()
    with pytest.raises(TypeError, match="list of strings"):
        imdb.encode_texts("one text", index)


# ------------------------------------------------------------------ films
def test_films_follow_the_url_lists(archive, tmp_path):
    """Line i of urls_<label>.txt is the film of review id i of that folder."""
    folder = write_folder(tmp_path / "extracted")
    for path in (archive, folder):
        data, _ = source.load_encoded(path)
        for split, subset in ((data.train, "train"), (data.test, "test")):
            expected = [
                film_of(f"{subset}/{label}", int(name.split("_")[0]))
                for label in ("neg", "pos")
                for name in sorted(TINY[f"{subset}/{label}"], key=lambda n: int(n.split("_")[0]))
            ]
            assert split.films.tolist() == expected and split.films.dtype == np.int64
    # A list without a review's line leaves its film unknown.
    (folder / url_list("train/pos")).write_text("http://www.imdb.com/title/tt0000042/\n")
    data, _ = source.load_encoded(folder)
    assert data.train.films[-3:].tolist() == [42, source.NO_FILM, source.NO_FILM]


@pytest.mark.parametrize("seed", [113, 0])
def test_load_films_in_load_data_order(archive, seed):
    train_films, test_films = imdb.load_films(archive, seed=seed)
    (_, y_train), (_, y_test) = imdb.load_data(archive, seed=seed)
    # Negative reviews are about films below 200 (train) / 400 (test), positive ones above.
    assert ((train_films >= 200) == y_train).all() and ((test_films >= 400) == y_test).all()
    assert sorted(train_films.tolist()) == sorted(imdb.load_films(archive, seed=1)[0].tolist())


def test_film_validation_split():
    rng = np.random.default_rng(0)
    films = np.repeat(np.arange(300), rng.integers(1, 30, 300))  # up to 29 reviews a film
    films[::97] = -1  # unknown films: a film of their own each
    for seed in (0, 1):
        held = imdb.film_validation_split(films, 0.1, seed=seed)
        known = films >= 0
        assert not set(films[held & known]) & set(films[~held & known])
        wanted = round(0.1 * len(films))  # at least that many, less than one film more
        assert wanted <= held.sum() < wanted + 29
        assert (imdb.film_validation_split(films, 0.1, seed=seed) == held).all()
    assert (imdb.film_validation_split(films, 0.1, seed=0) != held).any()
    unknown = np.full(10, -1)
    assert imdb.film_validation_split(unknown, 0.3, seed=0).sum() == 3
    with pytest.raises(ArgumentError, match="fraction"):
        imdb.film_validation_split(films, 1.0)
    with pytest.raises(TypeError, match="1-D integer array"):
        imdb.film_validation_split(films.astype(float))


# ------------------------------------------------------------------ where the data comes from
def test_folder_sources_give_the_same_data(tmp_path, archive, monkeypatch):
    expected = imdb.load_data(archive)
    folder = write_folder(tmp_path / "extracted")
    for path in (folder, tmp_path / "extracted"):
        got = imdb.load_data(path)
        assert got[0][0].tolist() == expected[0][0].tolist()
        assert got[1][1].tolist() == expected[1][1].tolist()
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(archive.parent))  # a folder holding the tarball
    assert source.find_data() == archive
    assert imdb.load_data()[0][0].tolist() == expected[0][0].tolist()
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(tmp_path / "extracted"))
    assert source.find_data() == folder
    assert imdb.get_word_index() == imdb.get_word_index(archive)


def test_cache_folder_is_searched(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    write_archive(cache / "aclImdb_v1.tar.gz")
    assert source.find_data() == cache / "aclImdb_v1.tar.gz"
    monkeypatch.setenv("RNNKIT_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert source.cache_dir() == tmp_path / "xdg" / "rnnkit"


def test_processed_cache_is_used_and_refreshed(archive, monkeypatch, tmp_path):
    first = imdb.load_data(archive)
    assert len(list((tmp_path / "cache").glob("imdb-*.npz"))) == 1
    assert not list((tmp_path / "cache").glob(".*"))  # no temporary file left

    def reader_must_not_run(path):
        raise AssertionError("the archive was read again despite a current cache")

    real_reader = source._encode_source
    monkeypatch.setattr(source, "_encode_source", reader_must_not_run)
    assert imdb.load_data(archive)[0][0].tolist() == first[0][0].tolist()
    assert imdb.get_word_index(archive)["bad"] == 1
    # a changed source (new modification time) is read again
    stat = archive.stat()
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="read again"):
        imdb.load_data(archive)
    calls = []
    monkeypatch.setattr(source, "_encode_source", lambda p: calls.append(p) or real_reader(p))
    imdb.load_data(archive)
    imdb.load_data(archive)
    assert len(calls) == 1
    # a damaged cache file is rebuilt, not fatal
    (cached,) = (tmp_path / "cache").glob("imdb-*.npz")
    whole = cached.read_bytes()
    cached.write_bytes(b"garbage")
    assert imdb.load_data(archive)[0][0].tolist() == first[0][0].tolist()
    assert len(calls) == 2
    cached.write_bytes(whole[: len(whole) // 2])  # truncated: a ZIP header, no directory
    assert imdb.load_data(archive)[0][0].tolist() == first[0][0].tolist()
    assert len(calls) == 3


def test_missing_data_offline_says_where_to_put_it(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(source, "urlopen", offline)
    with pytest.raises(source.DatasetNotFoundError) as info:
        imdb.load_data()
    message = str(info.value)
    assert "RNNKIT_DATA_DIR" in message and str(tmp_path / "cache") in message
    assert "aclImdb_v1.tar.gz" in message and "no network" in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, RnnkitError)
    assert not list((tmp_path / "cache").iterdir())  # no partial download left
    with pytest.raises(source.DatasetNotFoundError, match="does not exist"):
        imdb.load_data(tmp_path / "nowhere.tar.gz")
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(tmp_path))
    with pytest.raises(source.DatasetNotFoundError, match="RNNKIT_DATA_DIR=.* holds neither"):
        imdb.get_word_index()
    # the variable names a folder: a missing one, or the archive itself, is said so
    a_file = tmp_path / "not_a_folder.tar.gz"
    a_file.touch()
    for target, problem in ((tmp_path / "nowhere", "does not exist"), (a_file, "is a file")):
        monkeypatch.setenv("RNNKIT_DATA_DIR", str(target))
        with pytest.raises(source.DatasetNotFoundError, match=f"{problem}.*pass the file"):
            imdb.get_word_index()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty-tar"])
def test_corrupt_archive(tmp_path, archive, damage):
    bad = tmp_path / "bad.tar.gz"
    if damage == "garbage":
        bad.write_bytes(b"this is not a tarball" * 100)
    elif damage == "truncated":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    else:
        write_archive(bad, {})
    with pytest.raises(source.DatasetFormatError, match="bad.tar.gz"):
        imdb.load_data(bad)


class FakeResponse(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def test_download_verifies_the_checksum(tmp_path, archive, monkeypatch):
    payload = archive.read_bytes()
    urls = []

    def opener(url, timeout):
        urls.append(url)
        return FakeResponse(payload)

    monkeypatch.setattr(source, "urlopen", opener)
    monkeypatch.setattr(source, "SHA256", hashlib.sha256(payload).hexdigest())
    progress = io.StringIO()
    monkeypatch.setattr("sys.stderr", progress)
    (x_train, _), _ = imdb.load_data()
    assert urls == [source.URL] and len(x_train) == 7
    assert (tmp_path / "cache" / "aclImdb_v1.tar.gz").read_bytes() == payload
    assert "aclImdb_v1.tar.gz" in progress.getvalue() and "MB" in progress.getvalue()
    imdb.load_data()  # the downloaded copy is found in the cache folder
    assert len(urls) == 1


def test_download_with_wrong_checksum_is_discarded(tmp_path, archive, monkeypatch):
    monkeypatch.setattr(source, "urlopen", lambda url, timeout: FakeResponse(b"tampered"))
    with pytest.raises(source.DatasetFormatError, match="sha256"):
        source.download_archive(tmp_path / "dl", stream=io.StringIO())
    assert not list((tmp_path / "dl").iterdir())


def test_official_checksum_constant():
    assert len(source.SHA256) == 64 and int(source.SHA256, 16) >= 0


# ------------------------------------------------------------------ the real archive
@pytest.mark.slow
def test_real_archive():
    if not REAL_DATA_DIR:
        pytest.skip("RNNKIT_DATA_DIR is not set")
    path = source.find_data(REAL_DATA_DIR)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path)
    assert len(x_train) == len(y_train) == 25_000 and len(x_test) == len(y_test) == 25_000
    assert int(y_train.sum()) == int(y_test.sum()) == 12_500
    assert all(x[0] == 1 for x in x_train[:100])
    index = imdb.get_word_index(path)
    assert index["the"] == 1 and sorted(index.values())[-1] == len(index)
    largest = max(w for x in x_train for w in x)
    assert largest == len(index) + 3 - 1  # the single largest id became OOV
    (x_train20, y_train20), (x_test20, _) = imdb.load_data(path, num_words=20_000)
    assert max(w for x in x_train20 for w in x) == 19_999
    assert y_train20.tolist() == y_train.tolist()  # same shuffle
    assert [len(x) for x in x_test20[:500]] == [len(x) for x in x_test[:500]]
    (x_short, _), (x_short_test, _) = imdb.load_data(path, maxlen=100)
    assert 0 < len(x_short) < 25_000 and all(len(x) < 100 for x in x_short)
    assert len(x_short_test) == sum(len(x) < 100 for x in x_test)
    texts, labels = imdb.load_texts(path, "unsup")
    assert len(texts) == 50_000 and set(labels.tolist()) == {-1}
    # Every review has its film; at most 30 reviews a film; train and test films about
    # disjoint (the dataset's README); a film split holds out whole films.
    train_films, test_films = imdb.load_films(path)
    assert (train_films > 0).all() and (test_films > 0).all()
    assert np.unique(train_films, return_counts=True)[1].max() <= 30
    assert len(np.intersect1d(train_films, test_films)) < 10
    held = imdb.film_validation_split(train_films, 0.1, seed=113)
    assert 2_500 <= held.sum() < 2_530
    assert not np.intersect1d(train_films[held], train_films[~held]).size
