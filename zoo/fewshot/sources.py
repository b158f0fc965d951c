"""Labelled image sources for episodes: ``(images uint8 (N, 28, 28, 1), labels (N,))`` per split.

- ``glyphs``: the procedural Omniglot-like set (:mod:`zoo.data.glyphs`), offline, disjoint class splits.
- ``fashion_mnist``: 10 classes only, for a sanity check (its train and test splits share the classes).
- ``omniglot``: tfds ``omniglot`` (background alphabets = train, evaluation alphabets = test), resized to 28×28
  as in the paper; needs the data in the tfds directory, or ``download=True``.
"""

import numpy as np
import tensorflow as tf

from zoo.data import glyphs, load_fashion_mnist
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler

SOURCES = ("glyphs", "fashion_mnist", "omniglot")

PAPER_UNLABELED = {"train": 5, "test": 20}
"""Unlabeled images per class M in the paper's training and test episodes."""


def load_source(name, split, examples_per_class=40, seed=0, download=False, data_dir=None, num_classes=None,
                progress=None):
    """``(images, labels)`` of ``split`` of source ``name`` (see the module docstring).

    Args:
        name, split: the source (:data:`SOURCES`) and its split.
        examples_per_class, seed: renderings per class and seed of ``glyphs``.
        download, data_dir: let tfds download ``omniglot`` / ``fashion_mnist``, and tfds's data directory.
        num_classes: keep only the first this many classes (in label order); Glyphs renders only those.
        progress: show a progress bar while Glyphs renders (None: on a terminal).
    """
    if name == "glyphs":
        images, labels = glyphs.make_glyphs(split, num_classes, examples_per_class, seed, progress=progress)
        num_classes = None
    elif name == "fashion_mnist":
        if split not in ("train", "test"):
            raise ValueError(f"fashion_mnist has splits 'train' and 'test', got {split!r}")
        images, labels = load_fashion_mnist(split, download=download)
    elif name == "omniglot":
        images, labels = _omniglot(split, download, data_dir)
    else:
        raise ValueError(f"source must be one of {SOURCES}, got {name!r}")
    if num_classes is not None:
        keep = np.isin(labels, np.unique(labels)[:num_classes])
        images, labels = images[keep], labels[keep]
    return images[..., None] if images.ndim == 3 else images, labels


def paper_sampler(name, split, shots, distractors, examples_per_class=40, label_ratio=0.4, seed=0,
                  num_classes=None, progress=None):
    """The paper's episode sampler of ``split`` of source ``name``: 5-way, ``shots``-shot, 5 queries per class,
    M unlabeled images per class (:data:`PAPER_UNLABELED`: 5 in training, 20 at test) and 5 distractor classes
    when ``distractors``. ``num_classes`` and ``progress`` as in :func:`load_source`."""
    if split not in PAPER_UNLABELED:
        raise ValueError(f"split must be one of {sorted(PAPER_UNLABELED)}, got {split!r}")
    images, labels = load_source(name, split, examples_per_class, seed, num_classes=num_classes, progress=progress)
    config = EpisodeConfig(n_way=5, k_shot=shots, n_query=5, n_unlabeled=PAPER_UNLABELED[split],
                           n_distractor=5 if distractors else 0)
    return EpisodeSampler(images, labels, config, label_ratio, seed)


def paper_samplers(name, shots, distractors, examples_per_class=40, label_ratio=0.4, seed=0):
    """The paper's training (train split) and test (test split) episode samplers (:func:`paper_sampler`); rendered
    Glyphs are kept under ``$ZOO_HOME/data`` (:func:`zoo.data.glyphs.make_glyphs`)."""
    return tuple(paper_sampler(name, split, shots, distractors, examples_per_class, label_ratio, seed)
                 for split in ("train", "test"))


def golden_episode():
    """A small fixed Glyphs episode (test classes; 5-way 1-shot, 2 queries, 3 unlabeled + 2 distractor classes)
    whose logits the shipped weights record, so ``zoo.load`` can be checked against them."""
    images, labels = glyphs.make_glyphs("test", num_classes=10, examples_per_class=8, seed=0)
    config = EpisodeConfig(n_way=5, k_shot=1, n_query=2, n_unlabeled=3, n_distractor=2)
    return EpisodeSampler(images, labels, config, label_ratio=0.5, seed=0).episode(0)


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
