"""Labelled image sources for episodes: ``(images uint8 (N, H, W, C), labels (N,))`` per split.

- ``glyphs``: the procedural Omniglot-like set (:mod:`zoo.data.glyphs`), offline, disjoint class splits.
- ``fashion_mnist``: 10 classes only, for a sanity check (its train and test splits share the classes).
- ``omniglot``: tfds ``omniglot`` with the paper's split (Vinyals et al.'s, :func:`omniglot`): 1,200 characters
  train, the other 423 test, each rotated by 0°, 90°, 180° and 270° into four classes, 28×28 with bright ink;
- ``mini_imagenet``: a mini-ImageNet-style split of tfds ``imagenet2012`` (:func:`mini_imagenet`): 100 classes
  (64 train / 16 val / 20 test) of 600 images each at 84×84, built once and cached.

``omniglot`` and ``mini_imagenet`` need the data in the tfds directory (or ``download=True`` for omniglot;
ImageNet is a manual download). :func:`tfds_classes` makes such a split from any tfds classification data set.
"""

import numpy as np

from zoo.data import cache, glyphs, load_fashion_mnist
from zoo.data.sources import TfdsSource
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler

SOURCES = ("glyphs", "fashion_mnist", "omniglot", "mini_imagenet")

PAPER_UNLABELED = {"train": 5, "test": 20}
"""Unlabeled images per class M in the paper's training and test episodes."""

PAPER_LABEL_RATIO = {"omniglot": 0.1, "mini_imagenet": 0.4}
"""The fraction of each class's images in its labeled part (the paper's; other sources: 0.4)."""

OMNIGLOT_TRAIN_CHARACTERS = 1200
"""Vinyals et al.'s Omniglot split, which the paper uses: the first 1,200 of the 1,623 characters in the data set's
own numbering (the 30 background alphabets, then the evaluation alphabets up to Gurmukhi's 41st character) train,
the other 423 test."""

MINI_IMAGENET = {"classes": {"train": 64, "val": 16, "test": 20}, "per_class": 600, "image_size": 84}
"""The shape of a mini-ImageNet split (Vinyals et al., Ravi & Larochelle): classes per split, images per class
and image size."""


def load_source(name, split, examples_per_class=40, seed=0, download=False, data_dir=None, num_classes=None,
                progress=None):
    """``(images, labels)`` of ``split`` of source ``name`` (see the module docstring).

    Args:
        name, split: the source (:data:`SOURCES`) and its split.
        examples_per_class, seed: renderings per class and seed of ``glyphs``; the class split's seed of
            ``mini_imagenet``.
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
        images, labels = omniglot(split, data_dir=data_dir, download=download)
    elif name == "mini_imagenet":
        images, labels = mini_imagenet(split, seed, data_dir=data_dir)
    else:
        raise ValueError(f"source must be one of {SOURCES}, got {name!r}")
    if num_classes is not None:
        keep = np.isin(labels, np.unique(labels)[:num_classes])
        images, labels = images[keep], labels[keep]
    return images[..., None] if images.ndim == 3 else images, labels


def paper_label_ratio(name):
    """The labeled fraction of each class's images for source ``name``: :data:`PAPER_LABEL_RATIO`, else 0.4."""
    return PAPER_LABEL_RATIO.get(name, 0.4)


def paper_sampler(name, split, shots, distractors, examples_per_class=40, label_ratio=None, seed=0,
                  num_classes=None, progress=None, data_dir=None, download=False):
    """The paper's episode sampler of ``split`` of source ``name``: 5-way, ``shots``-shot, 5 queries per class,
    M unlabeled images per class (:data:`PAPER_UNLABELED`: 5 in training, 20 at test) and 5 distractor classes
    when ``distractors``; ``label_ratio`` None takes the paper's (:data:`PAPER_LABEL_RATIO`). ``num_classes``,
    ``progress``, ``data_dir`` and ``download`` as in :func:`load_source`."""
    if split not in PAPER_UNLABELED:
        raise ValueError(f"split must be one of {sorted(PAPER_UNLABELED)}, got {split!r}")
    if label_ratio is None:
        label_ratio = paper_label_ratio(name)
    images, labels = load_source(name, split, examples_per_class, seed, download, data_dir, num_classes, progress)
    config = EpisodeConfig(n_way=5, k_shot=shots, n_query=5, n_unlabeled=PAPER_UNLABELED[split],
                           n_distractor=5 if distractors else 0)
    return EpisodeSampler(images, labels, config, label_ratio, seed)


def paper_samplers(name, shots, distractors, examples_per_class=40, label_ratio=None, seed=0):
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


def omniglot(split, rotations=True, data_dir=None, download=False):
    """Omniglot with the paper's split (:data:`OMNIGLOT_TRAIN_CHARACTERS`): ``(images uint8 (N, 28, 28, 1),
    labels int64 (N,))`` of split ``"train"`` or ``"test"``, each image turned grey with bright ink on black and
    resized to 28×28 (antialiased); with ``rotations`` every character's images rotated by 0°, 90°, 180° and 270°
    are four classes (label ``4 · character + quarter turns``), characters numbered from 0 within the split."""
    if split not in ("train", "test"):
        raise ValueError(f"omniglot has splits 'train' (1,200 characters) and 'test' (423), got {split!r}")
    source = TfdsSource("omniglot", "train+test", data_dir=data_dir, download=download)  # all 1,623 characters
    labels = source.labels()
    in_split = labels < OMNIGLOT_TRAIN_CHARACTERS if split == "train" else labels >= OMNIGLOT_TRAIN_CHARACTERS
    characters = np.unique(labels[in_split])
    ranks = np.full(int(labels.max()) + 1, -1, np.int64)
    ranks[characters] = np.arange(len(characters))
    source = source.select(np.flatnonzero(in_split)).relabel(ranks[labels])
    images, labels = source.arrays(channels=1, size=28)
    images = 255 - images  # strokes are dark on white: make the ink bright
    if not rotations:
        return images, labels
    return (np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)]),
            np.concatenate([4 * labels + k for k in range(4)]))


def tfds_classes(name, split, classes, per_class, image_size, data_dir=None, download=False):
    """A few-shot split made of any tfds classification data set: ``(images uint8 (N, image_size, image_size, C),
    labels int64 (N,))`` of the first ``per_class`` images of each class in ``classes`` (labels 0 … in that
    order), resized to ``image_size`` × ``image_size`` (antialiased, aspect ratio not kept, as mini-ImageNet)."""
    source = TfdsSource(name, split, data_dir=data_dir, download=download)
    return source.class_subset(classes, per_class).arrays(size=image_size)


def mini_imagenet_classes(seed=0, num_classes=1000):
    """``{"train", "val", "test"}`` → imagenet2012 class ids of a mini-ImageNet-style split: 100 classes drawn at
    random (``seed``) and dealt 64 / 16 / 20 (:data:`MINI_IMAGENET`)."""
    counts = MINI_IMAGENET["classes"]
    drawn = np.random.default_rng(seed).permutation(num_classes)[:sum(counts.values())]
    bounds = np.cumsum([0, *counts.values()])
    return {split: np.sort(drawn[a:b]) for split, a, b in zip(counts, bounds[:-1], bounds[1:])}


def mini_imagenet(split, seed=0, data_dir=None):
    """Split ``split`` (``"train"``, ``"val"`` or ``"test"``) of the mini-ImageNet-style set of
    :func:`mini_imagenet_classes` (``seed``): 600 images per class from imagenet2012's training split at 84×84,
    labels numbered from 0 within the split. All 100 classes are read in one pass over ImageNet and kept under
    ``$ZOO_HOME/data`` (:func:`zoo.data.cache.cached_arrays`)."""
    splits = mini_imagenet_classes(seed)
    if split not in splits:
        raise ValueError(f"mini_imagenet has splits {', '.join(splits)}, got {split!r}")
    ordered = np.concatenate(list(splits.values()))

    def build():
        images, labels = tfds_classes("imagenet2012", "train", ordered, MINI_IMAGENET["per_class"],
                                      MINI_IMAGENET["image_size"], data_dir)
        return {"images": images, "labels": labels}

    arrays = cache.cached_arrays("mini-imagenet", ("mini-imagenet", seed, MINI_IMAGENET), build)
    first = sum(len(splits[s]) for s in list(splits)[:list(splits).index(split)])
    keep = (arrays["labels"] >= first) & (arrays["labels"] < first + len(splits[split]))
    return arrays["images"][keep], arrays["labels"][keep] - first
