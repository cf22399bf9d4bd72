r"""The IMDB Large Movie Review Dataset: find, download, read and tokenize it.

The dataset of Maas et al. (2011), "Learning Word Vectors for Sentiment Analysis": 25,000
training and 25,000 test reviews labelled positive (rating >= 7 of 10) or negative
(rating <= 4), plus 50,000 unlabelled training reviews. This module reads the raw reviews
from the official archive ``aclImdb_v1.tar.gz`` (streamed with :mod:`tarfile`, never
extracted) or from an extracted ``aclImdb/`` folder, tokenizes them and encodes them as
word ranks. :mod:`rnnkit.datasets.imdb` builds the Keras-spelled ``load_data`` on top.

Where the data comes from (:func:`find_data`), first match wins:

1. an explicit ``path``: the ``.tar.gz`` file, an ``aclImdb/`` folder, or a folder holding
   either of them;
2. the folder named by the environment variable ``RNNKIT_DATA_DIR`` (holding
   ``aclImdb_v1.tar.gz`` or ``aclImdb/``);
3. the cache folder (:func:`cache_dir`: ``RNNKIT_CACHE_DIR``, else
   ``$XDG_CACHE_HOME/rnnkit``, else ``~/.cache/rnnkit``), holding either of them;
4. a download of the official archive from :data:`URL` into the cache folder, with a
   progress bar, verified against :data:`SHA256` before it is kept.

Local files are used as they are, without a checksum: a repacked copy (for example one
without the bag-of-words ``.feat`` files) has other bytes than the official archive.

Order of the reviews: within a subset, the negative reviews then the positive ones
(``unsup`` has one folder), each sorted by the numeric review id of the file name
``<id>_<rating>.txt``. Labels: 0 negative, 1 positive, -1 unlabelled.

Tokenization (:func:`tokenize`): the text is lowercased, HTML line breaks (``<br />``,
``<br>``, ``<br/>``) become spaces, the typographic apostrophe ``’`` becomes ``'``, and
the tokens are the matches of :data:`TOKEN_PATTERN`, ``[^\W_]+(?:'[^\W_]+)*``: runs of
Unicode letters and digits, joined by single apostrophes inside a word. So punctuation
separates words and is dropped ("well-made" gives "well", "made"; "10/10" gives "10",
"10"), contractions stay whole ("don't", "it's"), and quotes around a word are removed.

Word ranks (:func:`encode`): counted over the 25,000 labelled training reviews only (the
test and unlabelled reviews never influence them); rank 1 is the most frequent word; ties
are broken alphabetically (Python string order), so the ranks do not depend on the order
in which the files are read. A test word that never occurs in a training review has no
rank: it is encoded as :data:`UNKNOWN` (0).

Films: the archive's ``urls_neg.txt`` / ``urls_pos.txt`` / ``urls_unsup.txt`` give, on
line ``i``, the IMDB page of the film that review id ``i`` of that folder is about.
Each review's film is the number of its IMDB title (``tt0064354`` gives 64354), or
:data:`NO_FILM` (-1) when the list lacks its line. The training and test sets are about
disjoint sets of films (up to 30 reviews each), so a validation set that should behave
like the test set holds out whole films (see :mod:`rnnkit.recipes`).

>>> tokenize("I didn't like it -- at ALL!<br /><br />Rating: 2/10")
['i', "didn't", 'like', 'it', 'at', 'all', 'rating', '2', '10']
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import tarfile
import tempfile
import time
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.validation import check_choice

ARCHIVE_NAME = "aclImdb_v1.tar.gz"
FOLDER_NAME = "aclImdb"
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
#: sha256 of the official 84,125,825-byte archive at :data:`URL` (as published by the
#: TensorFlow Datasets ``imdb_reviews`` checksums and many other loaders).
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
DATA_DIR_ENV = "RNNKIT_DATA_DIR"
CACHE_DIR_ENV = "RNNKIT_CACHE_DIR"

TOKEN_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
#: Bumped whenever tokenization or encoding changes, so old processed caches are rebuilt.
ENCODING_VERSION = 1
UNKNOWN = 0
NO_FILM = -1

SUBSETS = ("train", "test", "unsup")
_FOLDERS = {"train": ("neg", "pos"), "test": ("neg", "pos"), "unsup": ("unsup",)}
_LABELS = {"neg": 0, "pos": 1, "unsup": -1}
_FOLDER_OF_LABEL = {label: folder for folder, label in _LABELS.items()}
_SUBSET_DIR = {"train": "train", "test": "test", "unsup": "train"}
_REVIEW = re.compile(r"(?:\./)?aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt")
_FILE_NAME = re.compile(r"(\d+)_(\d+)\.txt")
_URLS = re.compile(r"(?:\./)?aclImdb/(train|test)/urls_(pos|neg|unsup)\.txt")
_TITLE = re.compile(r"/title/tt(\d+)")

#: Opens a URL (``urllib.request.urlopen``); tests replace it so that they never use the
#: network.
urlopen: Callable[..., Any] = urllib.request.urlopen


class DatasetNotFoundError(RnnkitError, FileNotFoundError):
    """The dataset is not where it was looked for, and could not be downloaded."""


class DatasetFormatError(RnnkitError, ValueError):
    """A file or folder is not a readable IMDB archive, or a download is damaged."""


# ------------------------------------------------------------------------------ tokenize
def tokenize(text: str) -> list[str]:
    """Split a review into lowercase word tokens (the rules are in the module docstring).

    Args:
        text: A raw review, HTML line breaks included.

    Returns:
        The tokens, in order.
    """
    text = _LINE_BREAK.sub(" ", text.lower()).replace("\u2019", "'")
    return TOKEN_PATTERN.findall(text)


# ------------------------------------------------------------------------------ locate
def cache_dir() -> Path:
    """The cache folder: ``RNNKIT_CACHE_DIR``, ``$XDG_CACHE_HOME/rnnkit`` or ``~/.cache/rnnkit``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "rnnkit"


def _in_folder(folder: Path) -> Path | None:
    """The archive or ``aclImdb/`` folder inside ``folder`` (or ``folder`` itself), if any."""
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        return folder
    if (folder / FOLDER_NAME).is_dir():
        return folder / FOLDER_NAME
    if (folder / ARCHIVE_NAME).is_file():
        return folder / ARCHIVE_NAME
    return None


def _where_to_put_it() -> str:
    return (
        f"Put {ARCHIVE_NAME} (or the extracted {FOLDER_NAME}/ folder) in a folder and set "
        f"{DATA_DIR_ENV} to it (export {DATA_DIR_ENV}=/path/to/folder), or put it in "
        f"{cache_dir()}, or pass its path (load_data(path=...), rnnkit train imdb --data PATH). "
        f"It is published at {URL}."
    )


def find_data(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """Locate the IMDB data: the archive file or the ``aclImdb/`` folder.

    Args:
        path: The ``aclImdb_v1.tar.gz`` file, an ``aclImdb/`` folder, or a folder holding
            one of them. None: look in ``RNNKIT_DATA_DIR``, then in the cache folder.
        download: Without ``path`` and without a local copy, download the official archive
            into the cache folder (else raise).

    Returns:
        The path of the archive or of the ``aclImdb`` folder.

    Raises:
        DatasetNotFoundError: ``path`` or ``RNNKIT_DATA_DIR`` holds no IMDB data, or the
            data is nowhere and the download failed (the message says where to put it).
        DatasetFormatError: The downloaded file does not have the official checksum.
    """
    if path is not None:
        given = Path(os.fspath(path)).expanduser()
        if given.is_file():
            return given
        found = _in_folder(given) if given.is_dir() else None
        if found is None:
            what = "does not exist" if not given.exists() else "holds no IMDB data"
            raise DatasetNotFoundError(
                f"IMDB data: '{given}' {what}; give the {ARCHIVE_NAME} file, the "
                f"{FOLDER_NAME}/ folder, or a folder holding one of them."
            )
        return found
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        folder = Path(env).expanduser()
        found = _in_folder(folder) if folder.is_dir() else None
        if found is None:
            if not folder.exists():
                problem = "does not exist"
            elif folder.is_dir():
                problem = f"holds neither {ARCHIVE_NAME} nor {FOLDER_NAME}/"
            else:
                problem = "is a file, not a folder"
            raise DatasetNotFoundError(
                f"IMDB data: {DATA_DIR_ENV}={env} {problem}. Set it to the folder that "
                f"holds {ARCHIVE_NAME} (or {FOLDER_NAME}/), pass the file itself as "
                f"`path`, or unset {DATA_DIR_ENV}."
            )
        return found
    cache = cache_dir()
    found = _in_folder(cache) if cache.is_dir() else None
    if found is not None:
        return found
    if not download:
        raise DatasetNotFoundError(f"IMDB data not found. {_where_to_put_it()}")
    return download_archive(cache)


# ------------------------------------------------------------------------------ download
class _Progress:
    """A download progress bar on ``stream`` (redrawn in place on a terminal)."""

    def __init__(self, stream: IO[str], total: int | None, label: str) -> None:
        self.stream, self.total, self.label = stream, total, label
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = 0.0
        self.start = time.perf_counter()

    def _line(self, done: int) -> str:
        mb = done / 1e6
        if not self.total:
            return f"{self.label}: {mb:.1f} MB"
        fraction = min(done / self.total, 1.0)
        bar = "=" * int(30 * fraction)
        return f"{self.label}: [{bar:<30}] {mb:.1f}/{self.total / 1e6:.1f} MB"

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if self.tty and now - self.last >= 0.1:
            self.last = now
            self.stream.write("\r" + self._line(done))
            self.stream.flush()

    def finish(self, done: int) -> None:
        seconds = time.perf_counter() - self.start
        self.stream.write(("\r" if self.tty else "") + self._line(done) + f" in {seconds:.0f}s\n")
        self.stream.flush()


def download_archive(
    folder: str | os.PathLike[str],
    *,
    url: str | None = None,
    sha256: str | None = None,
    stream: IO[str] | None = None,
) -> Path:
    """Download the official archive into ``folder``, verify it, and return its path.

    The bytes go to a temporary file in ``folder``; the file is renamed to
    ``aclImdb_v1.tar.gz`` only when its sha256 matches, so an interrupted or damaged
    download never looks like a good archive.

    Args:
        folder: Destination folder (created if needed).
        url: Source URL (default :data:`URL`).
        sha256: Expected hex digest (default :data:`SHA256`).
        stream: Where the progress bar goes (default standard error).

    Raises:
        DatasetNotFoundError: The download failed (offline, HTTP error); the message says
            where to put a copy by hand.
        DatasetFormatError: The downloaded bytes have another checksum.
    """
    url = URL if url is None else url
    expected = SHA256 if sha256 is None else sha256
    stream = sys.stderr if stream is None else stream
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ARCHIVE_NAME
    fd, tmp = tempfile.mkstemp(prefix=".aclImdb-", suffix=".part", dir=folder)
    digest = hashlib.sha256()
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urlopen(url, timeout=60) as response:
                    length = response.headers.get("Content-Length") if response.headers else None
                    progress = _Progress(stream, int(length) if length else None, ARCHIVE_NAME)
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        progress.update(done)
            except (OSError, http.client.HTTPException, ValueError) as error:
                raise DatasetNotFoundError(
                    f"IMDB data not found, and downloading {url} failed ({error}). "
                    f"{_where_to_put_it()}"
                ) from error
            progress.finish(done)
        if digest.hexdigest() != expected:
            raise DatasetFormatError(
                f"IMDB download: {url} gave {done} bytes with sha256 {digest.hexdigest()}; "
                f"expected {expected}. The file was discarded; try again, or download it by "
                f"hand. {_where_to_put_it()}"
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


# ------------------------------------------------------------------------------ read
@dataclass(frozen=True)
class Review:
    """One review file: its subset, label (0, 1, -1), numeric id, rating, text and film.

    ``film`` is the IMDB title number of the film reviewed, or :data:`NO_FILM`.
    """

    subset: str
    label: int
    id: int
    rating: int
    text: str
    film: int = NO_FILM


def _films(data: bytes) -> list[int]:
    """IMDB title numbers of the lines of a ``urls_*.txt`` file (:data:`NO_FILM` if none)."""
    out = []
    for line in _decode(data).splitlines():
        match = _TITLE.search(line)
        out.append(int(match[1]) if match else NO_FILM)
    return out


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _from_archive(
    source: Path, subsets: set[str], films: dict[tuple[str, str], list[int]]
) -> Iterator[Review]:
    """The reviews of ``subsets``; fills ``films[(subset folder, folder)]`` on the way."""
    with tarfile.open(source, "r|*") as archive:  # streamed: one pass, nothing extracted
        for member in archive:
            urls = _URLS.fullmatch(member.name)
            if urls is not None and member.isfile():
                handle = archive.extractfile(member)
                films[urls[1], urls[2]] = _films(handle.read() if handle is not None else b"")
                continue
            match = _REVIEW.fullmatch(member.name)
            if match is None or not member.isfile():
                continue
            folder_subset, folder, review_id, rating = match.groups()
            subset = "unsup" if folder == "unsup" else folder_subset
            if subset not in subsets:
                continue
            handle = archive.extractfile(member)
            text = _decode(handle.read()) if handle is not None else ""
            yield Review(subset, _LABELS[folder], int(review_id), int(rating), text)


def _from_folder(
    root: Path, subsets: set[str], films: dict[tuple[str, str], list[int]]
) -> Iterator[Review]:
    """As :func:`_from_archive`, from an extracted ``aclImdb/`` folder."""
    for subset in SUBSETS:
        if subset not in subsets:
            continue
        for folder in _FOLDERS[subset]:
            directory = root / _SUBSET_DIR[subset] / folder
            urls = root / _SUBSET_DIR[subset] / f"urls_{folder}.txt"
            if urls.is_file():
                films[_SUBSET_DIR[subset], folder] = _films(urls.read_bytes())
            if not directory.is_dir():
                continue
            for entry in os.scandir(directory):
                match = _FILE_NAME.fullmatch(entry.name)
                if match is None or not entry.is_file():
                    continue
                with open(entry.path, "rb") as handle:
                    text = _decode(handle.read())
                yield Review(subset, _LABELS[folder], int(match[1]), int(match[2]), text)


def read_reviews(source: str | os.PathLike[str], subsets: Iterable[str]) -> dict[str, list[Review]]:
    """Read the raw reviews of ``subsets`` from the archive or the ``aclImdb`` folder.

    Args:
        source: What :func:`find_data` returns.
        subsets: Any of ``"train"``, ``"test"``, ``"unsup"``.

    Returns:
        ``{subset: [Review, ...]}`` in the documented order (negative then positive, each
        by review id), each with its film.

    Raises:
        DatasetFormatError: The archive is damaged or not a gzipped tar, or a subset
            asked for has no reviews.
    """
    wanted = {check_choice("read_reviews", "subsets", s, SUBSETS) for s in subsets}
    source = Path(os.fspath(source))
    reader = _from_folder if source.is_dir() else _from_archive
    films: dict[tuple[str, str], list[int]] = {}
    try:
        reviews = list(reader(source, wanted, films))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DatasetFormatError(
            f"IMDB data: '{source}' is not a readable {ARCHIVE_NAME} ({error}). Replace it "
            f"with a good copy (delete it from the cache folder to download it again)."
        ) from error
    out: dict[str, list[Review]] = {}
    for subset in sorted(wanted, key=SUBSETS.index):
        chosen = [r for r in reviews if r.subset == subset]
        if not chosen:
            raise DatasetFormatError(
                f"IMDB data: '{source}' has no {subset} reviews (expected files "
                f"aclImdb/{_SUBSET_DIR[subset]}/{'|'.join(_FOLDERS[subset])}/<id>_<rating>.txt)."
            )
        for i, r in enumerate(chosen):
            listed = films.get((_SUBSET_DIR[subset], _FOLDER_OF_LABEL[r.label]), [])
            if r.id < len(listed):
                chosen[i] = replace(r, film=listed[r.id])
        out[subset] = sorted(chosen, key=lambda r: (r.label, r.id))
    return out


# ------------------------------------------------------------------------------ encode
@dataclass(frozen=True)
class Split:
    """Encoded reviews of one subset, as flat arrays.

    Attributes:
        ranks: ``(tokens,)`` int32 word ranks of every review, one after the other
            (:data:`UNKNOWN` for a word with no rank).
        lengths: ``(reviews,)`` int64 token counts.
        labels: ``(reviews,)`` int64 labels (0 negative, 1 positive).
        films: ``(reviews,)`` int64 IMDB title numbers (:data:`NO_FILM` where unknown).
    """

    ranks: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    films: np.ndarray

    def sequences(self) -> list[np.ndarray]:
        """The ranks of each review, as views into :attr:`ranks`."""
        return np.split(self.ranks, np.cumsum(self.lengths)[:-1]) if len(self.lengths) else []


@dataclass(frozen=True)
class Encoded:
    """The labelled reviews encoded as word ranks, and the vocabulary.

    Attributes:
        words: The training vocabulary by rank: ``words[r - 1]`` has rank ``r``.
        train: The 25,000 training reviews.
        test: The 25,000 test reviews.
    """

    words: list[str]
    train: Split
    test: Split

    def word_index(self) -> dict[str, int]:
        """``{word: rank}``, ranks from 1."""
        return {word: rank for rank, word in enumerate(self.words, start=1)}


def encode(reviews: dict[str, list[Review]]) -> Encoded:
    """Tokenize the train and test reviews and encode them as word ranks (train-only ranks).

    Args:
        reviews: :func:`read_reviews` output with ``"train"`` and ``"test"``.

    Returns:
        The :class:`Encoded` data, reviews in the order given.
    """
    provisional: dict[str, int] = {}  # word -> id in order of first appearance
    ids: dict[str, list[np.ndarray]] = {}
    for subset in ("train", "test"):
        ids[subset] = [
            np.fromiter(
                (provisional.setdefault(w, len(provisional)) for w in tokenize(r.text)),
                dtype=np.int32,
            )
            for r in reviews[subset]
        ]
    vocabulary = list(provisional)
    train_ids = np.concatenate(ids["train"]) if ids["train"] else np.zeros(0, np.int32)
    counts = np.bincount(train_ids, minlength=len(vocabulary))  # (V,) train counts only
    seen = np.flatnonzero(counts)
    order = sorted(seen.tolist(), key=lambda i: (-counts[i], vocabulary[i]))
    rank_of = np.full(len(vocabulary), UNKNOWN, dtype=np.int32)  # provisional id -> rank
    rank_of[order] = np.arange(1, len(order) + 1, dtype=np.int32)

    def split(subset: str) -> Split:
        arrays = ids[subset]
        flat = np.concatenate(arrays) if arrays else np.zeros(0, np.int32)
        return Split(
            ranks=rank_of[flat],
            lengths=np.array([len(a) for a in arrays], dtype=np.int64),
            labels=np.array([r.label for r in reviews[subset]], dtype=np.int64),
            films=np.array([r.film for r in reviews[subset]], dtype=np.int64),
        )

    return Encoded([vocabulary[i] for i in order], split("train"), split("test"))


# ------------------------------------------------------------------------------ cache
_SPLIT_FIELDS = tuple(field.name for field in fields(Split))


def _stamp(source: Path) -> str:
    """What identifies the source's content cheaply: sizes and modification times."""
    if source.is_file():
        status = source.stat()
        parts = [f"file:{status.st_size}:{status.st_mtime_ns}"]
    else:
        parts = ["folder"]
        for subset in ("train", "test"):
            for folder in _FOLDERS[subset]:
                for entry in (source / subset / folder, source / subset / f"urls_{folder}.txt"):
                    if entry.exists():
                        parts.append(f"{subset}/{entry.name}:{entry.stat().st_mtime_ns}")
    return f"v{ENCODING_VERSION}|" + "|".join(parts)


def _cache_file(source: Path) -> Path:
    key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / f"imdb-{key}.npz"


def _save(path: Path, stamp: str, data: Encoded) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".imdb-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(
                handle,
                stamp=np.frombuffer(stamp.encode(), dtype=np.uint8),
                words=np.frombuffer("\n".join(data.words).encode(), dtype=np.uint8),
                **{
                    f"{name}_{field}": getattr(getattr(data, name), field)
                    for name in ("train", "test")
                    for field in _SPLIT_FIELDS
                },
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load(path: Path, stamp: str) -> Encoded | None:
    try:
        # Opened here, so that it is closed even when np.load fails on a damaged archive.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as stored:
            if stored["stamp"].tobytes().decode() != stamp:
                return None
            text = stored["words"].tobytes().decode()
            splits = {
                name: Split(*(stored[f"{name}_{f}"] for f in _SPLIT_FIELDS))
                for name in ("train", "test")
            }
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        UnicodeDecodeError,
        zlib.error,
        zipfile.BadZipFile,  # a truncated .npz (a ZIP archive) whose header survived
    ):
        return None  # missing, damaged or of an older layout: rebuilt by the caller
    return Encoded(text.split("\n") if text else [], splits["train"], splits["test"])


def load_encoded(path: str | os.PathLike[str] | None = None) -> tuple[Encoded, Path]:
    """The encoded train and test reviews, from the processed cache when it is current.

    The cache file ``imdb-<hash of the source path>.npz`` in :func:`cache_dir` records the
    source's size and modification time (for a folder: those of its review folders and
    film lists) and :data:`ENCODING_VERSION`; when they differ, the reviews are read and
    encoded again and the file is replaced atomically (temporary file, then
    ``os.replace``). A cache file of an older layout is rebuilt the same way.

    Args:
        path: As in :func:`find_data`.

    Returns:
        ``(encoded, source)``: the data and the archive or folder it came from.
    """
    source = find_data(path)
    stamp = _stamp(source)
    cache = _cache_file(source)
    data = _load(cache, stamp)
    if data is None:
        data = _encode_source(source)
        try:
            _save(cache, stamp, data)
        except OSError as error:
            warnings.warn(
                f"IMDB: could not write the processed cache {cache} ({error}); the next load "
                "reads the archive again.",
                RuntimeWarning,
                stacklevel=2,
            )
    return data, source


def _encode_source(source: Path) -> Encoded:
    return encode(read_reviews(source, ("train", "test")))


def load_texts(
    path: str | os.PathLike[str] | None = None, subset: str = "train"
) -> tuple[list[str], np.ndarray]:
    """The raw texts and labels of one subset (see :func:`rnnkit.datasets.imdb.load_texts`)."""
    check_choice("load_texts", "subset", subset, SUBSETS)
    reviews = read_reviews(find_data(path), (subset,))[subset]
    return [r.text for r in reviews], np.array([r.label for r in reviews], dtype=np.int64)
