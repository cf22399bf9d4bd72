"""Tiny corpora in the layout of the real aclImdb_v1.tar.gz, written at test time."""

import io
import tarfile
import time

# subset/folder -> {file name: text}
TINY = {
    "train/neg": {
        "0_1.txt": "Bad bad movie.<br /><br />Awful!",
        "1_2.txt": "Boring, and bad.",
        "10_3.txt": "It's bad",
        "2_4.txt": "not good",
    },
    "train/pos": {
        "0_9.txt": "Good good film!",
        "1_10.txt": "A great, good film.",
        "2_8.txt": "Don\u2019t miss it",
    },
    "train/unsup": {"0_0.txt": "whatever<br />you say", "1_0.txt": "more text"},
    "test/neg": {"0_1.txt": "bad unseenword", "1_3.txt": "so boring"},
    "test/pos": {"0_10.txt": "good film", "1_7.txt": "Great great great!"},
}


def members(corpus):
    """(name, bytes or None for a folder) in an order unlike the documented one."""
    out = [("aclImdb", None), ("aclImdb/README", b"Large Movie Review Dataset v1.0\n")]
    out.append(("aclImdb/imdb.vocab", b"the\nand\n"))
    for folder in sorted(corpus, reverse=True):
        out.append((f"aclImdb/{folder}", None))
        for name in sorted(corpus[folder], reverse=True):
            out.append((f"aclImdb/{folder}/{name}", corpus[folder][name].encode()))
    for folder in sorted(corpus):
        if folder in FILM_BASE:
            out.append((f"aclImdb/{url_list(folder)}", urls(folder, corpus[folder])))
    return out


# subset/folder -> the film number of review id 0; ids 2k and 2k + 1 review film base + k
FILM_BASE = {"train/neg": 100, "train/pos": 200, "test/neg": 300, "test/pos": 400}


def url_list(folder):
    """``train/pos`` -> ``train/urls_pos.txt``."""
    subset, label = folder.split("/")
    return f"{subset}/urls_{label}.txt"


def film_of(folder, review_id):
    return FILM_BASE[folder] + review_id // 2


def urls(folder, reviews):
    """The ``urls_*.txt`` list of a folder: line i is the film page of review id i."""
    count = 1 + max(int(name.split("_")[0]) for name in reviews)
    lines = [
        f"http://www.imdb.com/title/tt{film_of(folder, i):07d}/usercomments\n" for i in range(count)
    ]
    return "".join(lines).encode()


def write_archive(path, corpus=TINY):
    """Write a gzipped tar like aclImdb_v1.tar.gz; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members(corpus):
            info = tarfile.TarInfo(name)
            info.mtime = int(time.time())
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def write_folder(root, corpus=TINY):
    """Write the extracted layout under root/aclImdb; returns that folder."""
    for name, data in members(corpus):
        target = root / name
        if data is None:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return root / "aclImdb"


def synthetic_corpus(per_class=12, seed=0):
    """A learnable corpus: positive reviews use positive words, negative ones negative words."""
    import random

    rng = random.Random(seed)
    good = ["great", "wonderful", "superb", "moving", "brilliant"]
    bad = ["awful", "boring", "dull", "terrible", "waste"]
    filler = ["the", "film", "a", "movie", "plot", "acting", "was", "and", "it"]
    corpus = {}
    for subset in ("train", "test"):
        for folder, words in (("pos", good), ("neg", bad)):
            reviews = {}
            for i in range(per_class):
                tokens = rng.choices(filler, k=5) + rng.choices(words, k=3)
                rng.shuffle(tokens)
                rating = 9 if folder == "pos" else 2
                reviews[f"{i}_{rating}.txt"] = " ".join(tokens).capitalize() + ".<br />"
            corpus[f"{subset}/{folder}"] = reviews
    corpus["train/unsup"] = {"0_0.txt": "unlabelled text"}
    return corpus
