"""Labelled image sources for episodes: ``(images uint8 (N, 28, 28, 1), labels (N,))`` per split.

- ``glyphs``: the procedural Omniglot-like set (:mod:`zoo.data.glyphs`), offline, disjoint class splits.
- ``fashion_mnist``: 10 classes only, for a sanity check (its train and test splits share the classes).
- ``omniglot``: tfds ``omniglot`` (background alphabets = train, evaluation alphabets = test), resized to 28×28
  as in the paper; needs the data in the tfds directory, or ``download=True``.
"""
import hashlib
import pathlib

import numpy as np
import tensorflow as tf

from zoo.data import glyphs, load_fashion_mnist
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler

SOURCES = ("glyphs", "fashion_mnist", "omniglot")


def load_source(name, split, examples_per_class=40, seed=0, download=False, data_dir=None, cache_dir=None):
    """``(images, labels)`` of ``split`` of source ``name`` (see the module docstring). Rendered glyphs are
    kept in ``cache_dir`` when given (rendering a split takes about a minute)."""
    if name == "glyphs":
        images, labels = _cached_glyphs(split, examples_per_class, seed, cache_dir)
    elif name == "fashion_mnist":
        if split not in ("train", "test"):
            raise ValueError(f"fashion_mnist has splits 'train' and 'test', got {split!r}")
        images, labels = load_fashion_mnist(split, download=download)
    elif name == "omniglot":
        images, labels = _omniglot(split, download, data_dir)
    else:
        raise ValueError(f"source must be one of {SOURCES}, got {name!r}")
    return images[..., None] if images.ndim == 3 else images, labels


def paper_samplers(name, shots, distractors, examples_per_class=40, label_ratio=0.4, seed=0, cache_dir=None):
    """The paper's episode samplers on source ``name``: training (train split, M = 5) and test (test split,
    M = 20); 5-way, ``shots``-shot, 5 queries per class, and 5 distractor classes when ``distractors``."""
    def sampler(split, unlabeled):
        images, labels = load_source(name, split, examples_per_class, seed, cache_dir=cache_dir)
        config = EpisodeConfig(n_way=5, k_shot=shots, n_query=5, n_unlabeled=unlabeled,
                               n_distractor=5 if distractors else 0)
        return EpisodeSampler(images, labels, config, label_ratio, seed)

    return sampler("train", 5), sampler("test", 20)


def golden_episode():
    """A small fixed Glyphs episode (test classes; 5-way 1-shot, 2 queries, 3 unlabeled + 2 distractor classes)
    whose logits the shipped weights record, so ``zoo.load`` can be checked against them."""
    images, labels = glyphs.make_glyphs("test", num_classes=10, examples_per_class=8, seed=0)
    config = EpisodeConfig(n_way=5, k_shot=1, n_query=2, n_unlabeled=3, n_distractor=2)
    return EpisodeSampler(images, labels, config, label_ratio=0.5, seed=0).episode(0)


def _cached_glyphs(split, examples_per_class, seed, cache_dir):
    if cache_dir is None:
        return glyphs.make_glyphs(split, examples_per_class=examples_per_class, seed=seed)
    key = hashlib.sha256(repr((split, examples_per_class, seed, glyphs.GlyphConfig())).encode()).hexdigest()[:16]
    path = pathlib.Path(cache_dir) / f"glyphs_{split}_{key}.npz"
    if path.exists():
        with np.load(path) as cached:
            return cached["images"], cached["labels"]
    images, labels = glyphs.make_glyphs(split, examples_per_class=examples_per_class, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, images=images, labels=labels)
    temporary.replace(path)  # atomic: parallel runs never read a half-written cache
    return images, labels


def _omniglot(split, download, data_dir):
    import tensorflow_datasets as tfds

    tfds_split = {"train": "train", "test": "test"}.get(split)
    if tfds_split is None:
        raise ValueError(f"omniglot has splits 'train' (background) and 'test' (evaluation), got {split!r}")
    dataset = tfds.load("omniglot", split=tfds_split, download=download, data_dir=data_dir)

    def to_28x28(example):
        ink = 255 - tf.image.rgb_to_grayscale(example["image"])  # strokes are dark on white: make ink bright
        return tf.cast(tf.image.resize(ink, (28, 28), antialias=True), tf.uint8), example["label"]

    images, labels = [], []
    for image, label in dataset.map(to_28x28).batch(1024).as_numpy_iterator():
        images.append(image)
        labels.append(label)
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)
