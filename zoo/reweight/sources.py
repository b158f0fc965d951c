"""The paper's own data sets (Ren et al. 2018, §5): the MNIST class-imbalance setup and the CIFAR label-noise
setups, as streaming sources (:mod:`zoo.data.sources`).

* ``imbalance``: MNIST 4 vs 9, 9 dominant at ``ratio``, 5,000 training images, a balanced clean set of 10 taken out
  of the training split; tested on every MNIST test image of the two classes;
* ``uniform`` (UniformFlip, Table 1): 40% of CIFAR-10/100's training labels flipped to another class uniformly,
  1,000 clean images (class-balanced) taken out first;
* ``background`` (BackgroundFlip, Table 2): 40% of the labels of the other classes flipped to one background class
  (drawn per seed from the paper's five: CIFAR-10 0, 1, 3, 5, 7; CIFAR-100 7, 12, 41, 62, 85), 10 clean images per
  class taken out first.

For the CIFAR setups 5,000 training images are also held out as the hyper-validation set, corrupted with the same
noise, as in the paper. Only the labels are read to build a task (one pass over the label feature); the images
stream when a pipeline reads the sources. The corruption generators are :mod:`zoo.reweight.data`'s (the paper's
definitions), so the same seed corrupts the same way at both scales.
"""
import dataclasses

import numpy as np

from zoo.data import datasets, sources
from zoo.reweight import data

BACKGROUND_CLASSES = {"cifar10": (0, 1, 3, 5, 7), "cifar100": (7, 12, 41, 62, 85)}
"""The background classes BackgroundFlip draws from (the paper's)."""

CLEAN_IMAGES = {"uniform": 1000, "background": None}
"""Clean images of each noisy setup: 1,000 in all (UniformFlip); None: 10 per class (BackgroundFlip)."""

HYPER_VALIDATION = 5000
"""Noisy training images held out as the hyper-validation set of the CIFAR setups."""

IMBALANCE_CLASSES = (4, 9)
"""MNIST's minority and dominant class of the imbalance setup."""


@dataclasses.dataclass
class PaperTask:
    """A corrupted training set with its clean set, the hyper-validation set (CIFAR; None for MNIST) and the test
    set, as :class:`~zoo.data.sources.Source` s of data set ``dataset`` (for its record and transforms)."""

    train: sources.Source
    clean: sources.Source
    validation: sources.Source | None
    test: sources.Source
    num_classes: int
    dataset: str
    description: str


def paper_task(setup, dataset=None, seed=0, noise=0.4, ratio=0.995, size=5000, validation=HYPER_VALIDATION,
               clean_per_class=None, data_dir=None, download=False):
    """The paper's task ``setup`` (``"imbalance"``, ``"uniform"`` or ``"background"``) on ``dataset`` (default:
    ``mnist`` for the imbalance, ``cifar10`` otherwise): :func:`mnist_imbalance` (``ratio``, ``size``) or
    :func:`noisy_cifar` (``noise``, ``validation``, ``clean_per_class``)."""
    if setup == "imbalance":
        if dataset not in (None, "mnist"):
            raise ValueError(f"the imbalance setup is MNIST's, got dataset={dataset!r}")
        return mnist_imbalance(ratio, size, seed, data_dir=data_dir, download=download)
    return noisy_cifar(dataset or "cifar10", setup, noise, seed, validation, clean_per_class, data_dir, download)


def noisy_cifar(dataset="cifar10", setup="uniform", noise=0.4, seed=0, validation=HYPER_VALIDATION,
                clean_per_class=None, data_dir=None, download=False):
    """UniformFlip or BackgroundFlip (``setup``) on ``dataset`` (``cifar10`` or ``cifar100``) with a fraction
    ``noise`` of the labels corrupted: the clean set (``clean_per_class`` images of every class; None: the
    paper's :data:`CLEAN_IMAGES`) is taken out of the training split first, then ``validation`` hyper-validation
    images, then the labels of both remaining parts are corrupted (``seed`` fixes every choice)."""
    if dataset not in BACKGROUND_CLASSES:
        raise ValueError(f"dataset must be one of {', '.join(BACKGROUND_CLASSES)}, got {dataset!r}")
    if setup not in CLEAN_IMAGES:
        raise ValueError(f"setup must be 'uniform' or 'background', got {setup!r}")
    train = datasets.source(dataset, "train", data_dir, download)
    labels = train.labels()
    num_classes = datasets.spec(dataset).num_classes
    per_class = clean_per_class or (CLEAN_IMAGES[setup] or 10 * num_classes) // num_classes
    clean, rest = data.split_clean(labels, per_class, seed)
    noisy_part, held = train.select(rest).hold_out(validation, seed + 1)
    corrupted = labels.copy()
    if setup == "uniform":
        corrupted[rest], _ = data.uniform_flip(labels[rest], noise, num_classes, seed)
        what = f"{100 * noise:g}% uniform flip"
    else:
        background = int(np.random.default_rng(seed).choice(BACKGROUND_CLASSES[dataset]))
        corrupted[rest], _ = data.background_flip(labels[rest], noise, background, seed)
        what = f"{100 * noise:g}% background flip (to class {background})"
    description = (f"{dataset}, {what}, {noisy_part.num_examples:,} training images, {validation:,} noisy "
                   f"hyper-validation images, {len(clean):,} clean")
    return PaperTask(noisy_part.relabel(corrupted), train.select(clean), held.relabel(corrupted),
                     datasets.source(dataset, "test", data_dir, download), num_classes, dataset, description)


def mnist_imbalance(ratio=0.995, size=5000, seed=0, clean_per_class=5, data_dir=None, download=False):
    """MNIST 4 vs 9 with class 9 (label 1) at fraction ``ratio`` of ``size`` training images and a balanced clean
    set of ``clean_per_class`` images per class taken out of the training split first; the test set is every test
    image of the two classes. Labels are binary: 1 for the dominant class."""
    minority, dominant = IMBALANCE_CLASSES
    train = datasets.source("mnist", "train", data_dir, download)
    labels = train.labels()
    pair = np.flatnonzero(np.isin(labels, IMBALANCE_CLASSES))
    clean, rest = data.split_clean(labels[pair], clean_per_class, seed)
    picked, _ = data.two_class_imbalance(labels[pair[rest]], IMBALANCE_CLASSES, ratio, size, seed)
    binary = (labels == dominant).astype(np.int64)
    test = datasets.source("mnist", "test", data_dir, download)
    test_labels = test.labels()
    test = test.select(np.flatnonzero(np.isin(test_labels, IMBALANCE_CLASSES))).relabel(test_labels == dominant)
    description = (f"MNIST {minority} vs {dominant}, {100 * ratio:g}% {dominant}, {size:,} training images, "
                   f"{2 * clean_per_class} clean")
    return PaperTask(train.select(pair[rest][picked]).relabel(binary), train.select(pair[clean]).relabel(binary),
                     None, test, 2, "mnist", description)
