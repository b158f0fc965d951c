"""A word-level language-modelling corpus from WordNet 3.0's glosses (definitions and example sentences).

Read from the ``data.{noun,verb,adj,adv}`` files of Debian's ``wordnet-base`` package (about 1.5M words, the
size of the Penn Treebank's training set), split by synset into train / valid / test (90 / 5 / 5%) with a
fixed hash, so every reader gets the same split.
"""
import collections
import dataclasses
import os
import pathlib
import re
import zlib

import numpy as np

DEFAULT_DIRS = ("/usr/share/wordnet",)
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
UNKNOWN, END = "<unk>", "<eos>"
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


@dataclasses.dataclass(frozen=True)
class GlossCorpus:
    """Token-id streams (``int32``) of each split and the vocabulary (id → word; 0 is ``<unk>``)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    vocabulary: tuple


def find_wordnet_dir(directory=None):
    """The first directory holding WordNet's data files: ``directory``, ``$ZOO_WORDNET_DIR``, then Debian's."""
    candidates = [directory] if directory else [os.environ.get("ZOO_WORDNET_DIR"), *DEFAULT_DIRS]
    for candidate in filter(None, candidates):
        if (pathlib.Path(candidate) / "data.noun").exists():
            return pathlib.Path(candidate)
    raise FileNotFoundError(f"WordNet data files (data.noun, ...) not found in {[c for c in candidates if c]}; "
                            "install Debian's wordnet-base (apt-get install wordnet-base) or set ZOO_WORDNET_DIR")


def read_glosses(directory=None):
    """``[(synset key, gloss text)]`` of every synset, in file order; the key is ``"POS:offset"``."""
    root = find_wordnet_dir(directory)
    glosses = []
    for pos in PARTS_OF_SPEECH:
        path = root / f"data.{pos}"
        if not path.exists():
            continue
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:  # license header lines start with two spaces
                continue
            glosses.append((f"{pos}:{line.split(' ', 1)[0]}", line.split("|", 1)[1].strip()))
    return glosses


def tokenize(text):
    """Lower-cased words (with clitics such as ``'s``) and punctuation marks."""
    return _TOKEN.findall(text.lower())


def split_of(key):
    """``"train"``, ``"valid"`` or ``"test"`` for a synset key (a fixed hash: 90 / 5 / 5%)."""
    bucket = zlib.crc32(key.encode()) % 20
    return "valid" if bucket == 0 else "test" if bucket == 1 else "train"


def load_gloss_corpus(directory=None, vocab_size=10_000):
    """The glosses as token-id streams, each gloss followed by ``<eos>``.

    Args:
        directory: WordNet directory (default: ``$ZOO_WORDNET_DIR``, then ``/usr/share/wordnet``).
        vocab_size: vocabulary size including ``<unk>`` and ``<eos>``; the most frequent training words are
            kept (ties broken alphabetically), the rest map to ``<unk>``.
    """
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be >= 3 (<unk>, <eos> and one word), got {vocab_size}")
    tokens = {"train": [], "valid": [], "test": []}
    for key, gloss in read_glosses(directory):
        tokens[split_of(key)].extend([*tokenize(gloss), END])
    counts = collections.Counter(t for t in tokens["train"] if t != END)
    words = sorted(counts, key=lambda w: (-counts[w], w))[:vocab_size - 2]
    vocabulary = (UNKNOWN, END, *words)
    ids = {word: i for i, word in enumerate(vocabulary)}
    streams = {split: np.array([ids.get(t, 0) for t in stream], dtype="int32") for split, stream in tokens.items()}
    return GlossCorpus(vocabulary=vocabulary, **streams)
