"""IMDB movie-review sentiment, spelled as ``keras.datasets.imdb``.

Built from the raw reviews of the Large Movie Review Dataset (Maas et al., 2011) by
:mod:`rnnkit.data.imdb`: where the data comes from, the tokenization and the word ranks
are documented there. In short: lowercase, ``<br />`` removed, words are runs of letters
and digits with inner apostrophes, ranked by frequency over the 25,000 labelled training
reviews (ties alphabetically), rank 1 the most frequent.

- :func:`load_data` -- token-id sequences and labels, with the exact Keras semantics.
- :func:`get_word_index` -- ``{word: rank}``.
- :func:`load_texts` -- the raw texts and labels of ``"train"``, ``"test"`` or
  ``"unsup"`` (the 50,000 unlabelled reviews), for your own tokenization.
- :func:`encode_texts` -- new texts encoded as :func:`load_data` encodes the reviews.
- :func:`load_films` and :func:`film_validation_split` -- the film each review is about,
  in :func:`load_data`'s order, and a validation set of whole films (not in Keras).

The first :func:`load_data` reads and tokenizes the archive (seconds); the encoded reviews
are then cached in the cache folder, so later calls take well under two seconds.
"""

from __future__ import annotations

import gc
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from rnnkit.data import imdb as source_module
from rnnkit.data.imdb import UNKNOWN, tokenize
from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message

PathLike = str | os.PathLike[str] | None

__all__ = [
    "encode_texts",
    "film_validation_split",
    "get_word_index",
    "load_data",
    "load_films",
    "load_texts",
]


def _optional_int(name: str, value: Any, *, minimum: int = 0) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(
            argument_message("imdb.load_data", name, f"None or an integer >= {minimum}", value)
        )
    if value < minimum:
        raise ArgumentError(
            argument_message("imdb.load_data", name, f"None or an integer >= {minimum}", value)
        )
    return int(value)


def _int(name: str, value: Any) -> int:
    checked = _optional_int(name, value)
    if checked is None:
        raise ArgumentTypeError(argument_message("imdb.load_data", name, "an integer >= 0", value))
    return checked


def _as_lists(ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 1-D object array of Python lists, one per sequence (even when lengths agree)."""
    out = np.empty(len(lengths), dtype=object)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of new objects would trigger many useless collections
    try:
        begin = 0
        for i, stop in enumerate(np.cumsum(lengths).tolist()):
            out[i] = ids[begin:stop].tolist()
            begin = stop
    finally:
        if gc_was_enabled:
            gc.enable()
    return out


def _shifted(
    split: source_module.Split, order: np.ndarray, start_char: int | None, index_from: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 2-3 of load_data: reorder, shift by index_from, prepend start_char.

    Returns the ids of every sequence one after the other ``(tokens,)``, whether each id
    is a known word or the start char (False for a word with no rank), and the lengths.
    """
    old_lengths = split.lengths[order]  # (reviews,)
    old_starts = (np.cumsum(split.lengths) - split.lengths)[order]
    extra = 0 if start_char is None else 1
    lengths = old_lengths + extra
    starts = np.cumsum(lengths) - lengths  # where each output sequence begins
    is_word = np.ones(int(lengths.sum()), dtype=bool)  # (tokens,)
    if extra:
        is_word[starts] = False
    source = np.flatnonzero(is_word) + np.repeat(old_starts - starts - extra, old_lengths)
    ranks = split.ranks[source]
    ids = np.full(len(is_word), -1 if start_char is None else start_char, dtype=np.int64)
    ids[is_word] = ranks.astype(np.int64) + index_from
    known = np.ones(len(is_word), dtype=bool)
    known[is_word] = ranks != UNKNOWN
    return ids, known, lengths


def load_data(
    path: PathLike = None,
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int | None = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The IMDB reviews as word-id sequences, with the semantics of ``keras.datasets.imdb``.

    Steps, in Keras's order:

    1. The 25,000 training and 25,000 test reviews, as raw word ranks (1 = the most
       frequent training word), in the documented file order of :mod:`rnnkit.data.imdb`.
    2. ``rng = np.random.RandomState(seed)`` shuffles the training set, then the same
       ``rng``, continuing, shuffles the test set (labels alike).
    3. Each sequence becomes ``[start_char] + [rank + index_from ...]`` (without
       ``start_char`` when it is None).
    4. With ``maxlen``, every sequence with ``len >= maxlen`` (start char included) is
       **removed**, not truncated, from each set separately; an error if a set is left
       empty. Truncate with :func:`rnnkit.preprocessing.sequence.pad_sequences` instead.
    5. ``num_words`` None (or 0): it becomes the largest id over both sets, and since the
       test below is strict, that one largest id is turned into ``oov_char`` (the Keras
       quirk, kept on purpose).
    6. Every id ``w`` that does not satisfy ``skip_top <= w < num_words`` becomes
       ``oov_char`` (or is dropped when ``oov_char`` is None). The shifted ids are
       compared, so ``skip_top=N`` removes the ids below ``N`` (the top
       ``N - index_from`` words, and the start char when ``N > start_char``), and every
       id is below ``num_words``.

    One addition to Keras: a test word that never occurs in the training reviews has no
    rank; it is treated like an id outside the range of step 6 (``oov_char``, or dropped).

    Args:
        path: The archive, an ``aclImdb/`` folder, or a folder holding one; None searches
            ``RNNKIT_DATA_DIR``, the cache folder, then downloads (see
            :func:`rnnkit.data.imdb.find_data`).
        num_words: Keep ids below this (None or 0: all, see step 5).
        skip_top: Ids below this become ``oov_char``.
        maxlen: Remove sequences of this length or longer (None or 0: keep all).
        seed: Seed of the shuffles (None: a different shuffle every call, as Keras's
            ``RandomState(None)``).
        start_char: Id put at the start of every sequence (None: none).
        oov_char: Id that replaces out-of-range ids (None: drop them).
        index_from: Added to every word rank.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` 1-D object arrays of Python lists
        of ints, ``y`` int64 arrays of 0 (negative) and 1 (positive).

    Raises:
        ArgumentError: A bad argument, or ``maxlen`` leaves a set empty.
        rnnkit.data.imdb.DatasetNotFoundError: No data and no download possible.
    """
    num_words = _optional_int("num_words", num_words)
    skip_top = _int("skip_top", skip_top)
    maxlen = _optional_int("maxlen", maxlen)
    seed = _optional_int("seed", seed)
    start_char = _optional_int("start_char", start_char)
    oov_char = _optional_int("oov_char", oov_char)
    index_from = _int("index_from", index_from)

    data, _ = source_module.load_encoded(path)
    parts = []
    for split, order in zip((data.train, data.test), _shuffles(data, seed), strict=True):
        ids, known, lengths = _shifted(split, order, start_char, index_from)
        labels = split.labels[order]
        if maxlen:
            keep = lengths < maxlen  # (reviews,)
            token_keep = np.repeat(keep, lengths)
            ids, known, lengths, labels = (
                ids[token_keep],
                known[token_keep],
                lengths[keep],
                labels[keep],
            )
            if not len(lengths):
                raise ArgumentError(
                    f"imdb.load_data: after removing the sequences of length >= maxlen={maxlen}, "
                    "no sequence is left in one of the sets. Increase maxlen."
                )
        parts.append((ids, known, lengths, labels))

    if not num_words:
        known_ids = [ids[known] for ids, known, _, _ in parts]
        num_words = int(max((k.max() for k in known_ids if len(k)), default=0))
    out = []
    for ids, known, lengths, labels in parts:
        valid = known & (ids >= skip_top) & (ids < num_words)
        if oov_char is not None:
            ids = np.where(valid, ids, oov_char)
        else:
            owner = np.repeat(np.arange(len(lengths)), lengths)
            ids = ids[valid]
            lengths = np.bincount(owner[valid], minlength=len(lengths))
        out.append((_as_lists(ids, lengths), labels))
    return out[0], out[1]


def _shuffles(data: source_module.Encoded, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The orders :func:`load_data` puts the training and test reviews in (Keras's)."""
    rng = np.random.RandomState(seed)  # noqa: NPY002 (Keras's generator, for its permutation)
    orders = []
    for split in (data.train, data.test):
        order = np.arange(len(split.lengths))
        rng.shuffle(order)
        orders.append(order)
    return orders[0], orders[1]


def load_films(path: PathLike = None, seed: int = 113) -> tuple[np.ndarray, np.ndarray]:
    """The film of every review, in the order of :func:`load_data` (an rnnkit addition).

    IMDB has up to 30 reviews per film, and the training and test sets are about
    disjoint sets of films, so a validation set held out of the training set behaves
    like the test set only if it holds out whole films (see :func:`film_validation_split`).

    Args:
        path: As in :func:`load_data`.
        seed: The ``seed`` given to :func:`load_data`, which must have had no ``maxlen``
            (``maxlen`` removes reviews).

    Returns:
        ``(train_films, test_films)``: int64 arrays (25,000 each) of IMDB title numbers
        (``tt0064354`` is 64354; -1 where the archive's ``urls_*.txt`` lists lack the review).
    """
    seed = _int("seed", seed)
    data, _ = source_module.load_encoded(path)
    train_order, test_order = _shuffles(data, seed)
    return data.train.films[train_order], data.test.films[test_order]


def film_validation_split(films: Any, fraction: float = 0.1, seed: int = 113) -> np.ndarray:
    """Choose whole films to hold out for validation: a boolean mask, True = validation.

    Films are taken in a random order (``numpy.random.default_rng(seed)``) until they
    hold at least ``fraction`` of the reviews; a review of unknown film (-1) counts as a
    film of its own. No film has reviews on both sides.

    >>> films = np.array([7, 7, 3, 3, 3, 5, -1, -1])
    >>> film_validation_split(films, 0.25, seed=1).astype(int)  # 2 of 8 reviews: film 7
    array([1, 1, 0, 0, 0, 0, 0, 0])

    Args:
        films: ``(reviews,)`` film numbers, as :func:`load_films` returns them.
        fraction: Share of the reviews to hold out, in (0, 1).
        seed: Seed of the film order.
    """
    films = np.asarray(films)
    if films.ndim != 1 or not np.issubdtype(films.dtype, np.integer):
        raise ArgumentTypeError(
            argument_message("film_validation_split", "films", "a 1-D integer array", films)
        )
    if not 0.0 < fraction < 1.0:
        raise ArgumentError(
            f"film_validation_split: `fraction` must be in (0, 1); got {fraction!r}."
        )
    groups = np.where(films >= 0, films, -1 - np.arange(len(films)))  # unknown: alone
    _, group, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.random.default_rng(_int("seed", seed)).permutation(len(counts))
    wanted = max(1, int(round(fraction * len(films))))
    taken = order[: int(np.searchsorted(np.cumsum(counts[order]), wanted)) + 1]
    return np.isin(group, taken)


def get_word_index(path: PathLike = None) -> dict[str, int]:
    """``{word: rank}`` of the training vocabulary, ranks from 1 (most frequent).

    An id ``i`` of :func:`load_data` (with the default ``index_from=3``) is the word of
    rank ``i - 3``; ids 0, 1, 2 are padding, start and out-of-vocabulary.

    Args:
        path: As in :func:`load_data`.
    """
    data, _ = source_module.load_encoded(path)
    return data.word_index()


def load_texts(path: PathLike = None, subset: str = "train") -> tuple[list[str], np.ndarray]:
    """The raw review texts (HTML line breaks included) and their labels.

    Read from the archive each time (no cache); the order is the documented file order
    (negative then positive reviews, each by review id), not shuffled.

    Args:
        path: As in :func:`load_data`.
        subset: ``"train"`` (25,000), ``"test"`` (25,000) or ``"unsup"`` (the 50,000
            unlabelled training reviews).

    Returns:
        ``(texts, labels)``: a list of str and an int64 array: 0 negative, 1 positive, -1
        for every ``"unsup"`` review (they have no label).
    """
    return source_module.load_texts(path, subset)


def encode_texts(
    texts: Iterable[str],
    word_index: Mapping[str, int],
    *,
    num_words: int | None = None,
    skip_top: int = 0,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> list[list[int]]:
    """Encode new texts as :func:`load_data` encodes the reviews.

    Each text is tokenized (:func:`rnnkit.data.imdb.tokenize`), each word replaced by
    ``word_index[word] + index_from`` (a word not in ``word_index`` is out of
    vocabulary), ``start_char`` put in front, and the rule of step 6 of
    :func:`load_data` applied. With ``num_words`` None every known word is kept (there is
    no data set to take the largest id from).

    Args:
        texts: Review texts.
        word_index: ``{word: rank}``, e.g. :func:`get_word_index`.
        num_words, skip_top, start_char, oov_char, index_from: As in :func:`load_data`.

    Returns:
        One list of ids per text.

    >>> encode_texts(["A good, good film!"], {"good": 1, "film": 2, "a": 3}, num_words=5)
    [[1, 2, 4, 4, 2]]
    """
    num_words = _optional_int("num_words", num_words)
    skip_top = _int("skip_top", skip_top)
    start_char = _optional_int("start_char", start_char)
    oov_char = _optional_int("oov_char", oov_char)
    index_from = _int("index_from", index_from)
    if isinstance(texts, str):
        raise ArgumentTypeError(
            argument_message("encode_texts", "texts", "a list of strings", texts)
        )
    out = []
    for text in texts:
        ids: list[int | None] = [] if start_char is None else [start_char]
        for word in tokenize(text):
            rank = word_index.get(word)
            ids.append(None if rank is None else rank + index_from)
        row = []
        for w in ids:
            if w is not None and skip_top <= w and (not num_words or w < num_words):
                row.append(w)
            elif oov_char is not None:
                row.append(oov_char)
        out.append(row)
    return out
