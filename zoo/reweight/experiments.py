"""The paper's three experiments on Fashion-MNIST: building each corrupted task and training one method on it.

* ``imbalance``: two similar classes (pullover vs coat), the coat class dominant at ``ratio``, 5,000 training
  images, a balanced clean set of 10 images (paper: MNIST 4 vs 9, Fig. 2);
* ``uniform``: 40% of the training labels flipped uniformly to another class, 1,000 clean images (Table 1);
* ``background``: 40% of the other classes' labels flipped to one background class, 10 clean images per class
  (Table 2).

The clean set is always taken out of the training split before corrupting it; tests use the full test split
(of the two classes, for ``imbalance``).
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from zoo import registry
from zoo.data import datasets, pipeline, preprocessing, sources
from zoo.reweight import data
from zoo.reweight.model import ExampleReweighting
from zoo.training import classifier, distributed, schedules

SETUPS = ("imbalance", "uniform", "background")
# Methods as the paper names them; "+ft" fine-tunes on the clean set afterwards.
METHODS = ("plain", "plain+ft", "proportion", "resample", "hard_mining", "random", "random+ft", "clean_only",
           "reweight")
IMBALANCE_CLASSES = (2, 4)  # Fashion-MNIST pullover (minority) vs coat (dominant): the most confused pair


@dataclasses.dataclass
class Task:
    """A corrupted training set, its clean set, and the test set (raw uint8 images, int labels)."""

    train: tuple
    clean: tuple
    test: tuple
    num_classes: int
    description: str



def make_task(setup, train, test, seed, ratio=0.995, noise=0.4, train_size=None):
    """The corrupted task ``setup`` (one of :data:`SETUPS`) built from ``train`` / ``test`` ``(images, labels)``.

    Args:
        setup: ``"imbalance"``, ``"uniform"`` or ``"background"``.
        train, test: raw Fashion-MNIST splits.
        seed: seed of every random choice (clean set, corruption, background class, training subset).
        ratio: dominant-class fraction (``imbalance``).
        noise: fraction of labels flipped (``uniform`` / ``background``).
        train_size: for the noisy setups, keep only this many randomly chosen corrupted training images
            (``None``: all of them). A small network memorises the noise of a small set within a short run,
            which is the regime where the paper's baselines fail.
    """
    images, labels = train
    if setup == "imbalance":
        minority, dominant = IMBALANCE_CLASSES
        pair = np.flatnonzero(np.isin(labels, IMBALANCE_CLASSES))
        clean, rest = data.split_clean(labels[pair], per_class=5, seed=seed)
        picked, binary = data.two_class_imbalance(labels[pair[rest]], IMBALANCE_CLASSES, ratio, 5000, seed)
        train_indices = pair[rest][picked]
        test_pair = np.isin(test[1], IMBALANCE_CLASSES)
        return Task((images[train_indices], binary),
                    (images[pair[clean]], (labels[pair[clean]] == dominant).astype(np.int64)),
                    (test[0][test_pair], (test[1][test_pair] == dominant).astype(np.int64)), 2,
                    f"pullover vs coat, {100 * ratio:g}% coat, 5,000 training images, 10 clean")
    if setup not in ("uniform", "background"):
        raise ValueError(f"setup must be one of {', '.join(SETUPS)}, got {setup!r}")
    per_class = 100 if setup == "uniform" else 10
    clean, rest = data.split_clean(labels, per_class=per_class, seed=seed)
    if train_size is not None:
        if not 0 < train_size <= len(rest):
            raise ValueError(f"train_size must be in [1, {len(rest)}] (the training images left after taking out "
                             f"the clean set), got {train_size}")
        rest = np.sort(np.random.default_rng(seed + 1).choice(rest, train_size, replace=False))
    if setup == "uniform":
        noisy, _ = data.uniform_flip(labels[rest], noise, 10, seed)
        description = f"{100 * noise:g}% uniform flip, {len(rest):,} training images, {10 * per_class:,} clean"
    else:
        background = int(np.random.default_rng(seed).integers(0, 10))
        noisy, _ = data.background_flip(labels[rest], noise, background, seed)
        description = (f"{100 * noise:g}% background flip (to class {background}), {len(rest):,} training images, "
                       f"{10 * per_class} clean")
    return Task((images[rest], noisy.astype(np.int64)), (images[clean], labels[clean].astype(np.int64)),
                (test[0], test[1].astype(np.int64)), 10, description)


@dataclasses.dataclass
class Recipe:
    """How every method is trained (the same for all methods of an experiment); ``lr_boundaries`` are the steps
    of a piecewise schedule's decays (÷10; empty: at 50% and 75% of the run)."""

    architecture: str = "reweight-lenet"
    steps: int = 2000
    batch_size: int = 100
    clean_batch_size: int = 100
    lr: float = 0.1
    momentum: float = 0.9
    lr_schedule: str = "piecewise"
    fine_tune_steps: int = 200
    fine_tune_lr: float = 0.001
    augment: bool = True
    lr_boundaries: tuple = ()


def train_method(task, method, recipe, seed, trained_base=None, strategy=None):
    """Train ``method`` (one of :data:`METHODS`) on ``task``; returns ``(model, test accuracy)``.

    ``task`` is a :class:`Task` of in-memory arrays (Fashion-MNIST) or a :class:`zoo.reweight.sources.PaperTask`
    of streamed sources (the paper's MNIST and CIFAR setups); either streams through :mod:`zoo.data.pipeline`
    with its data set's record and, with ``recipe.augment``, its training transform. For a ``+ft`` method,
    ``trained_base`` may name the weights file of the finished base run (same task, recipe and seed), which is
    then fine-tuned instead of training the base method again. ``strategy`` (default: one device) trains through
    the shared loop (:class:`zoo.training.distributed.Loop`): every replica takes its share of the training batch
    *and* of the clean batch; the example weights are normalised over the global batch and the clean gradient is
    averaged over the replicas (:meth:`ExampleReweighting.replica_step`), so N replicas compute the single-device
    step; several workers each read their own share of the data.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    record = _record(task)
    with strategy.scope():
        model = registry.build(recipe.architecture, num_classes=task.num_classes,
                               input_shape=preprocessing.model_input_shape(record))
    base, fine_tune = method.removesuffix("+ft"), method.endswith("+ft")
    train = _source(task.clean if base == "clean_only" else task.train)
    if base == "resample":
        if not isinstance(task, Task):
            raise ValueError("resample draws from arrays in memory: it runs on the Fashion-MNIST tasks only")
        order = data.class_balanced_indices(task.train[1], recipe.steps * recipe.batch_size, seed)
        train = sources.ArraySource(task.train[0][order], task.train[1][order])
    stream = _stream(task, train, recipe.batch_size, recipe, seed)
    weighting = "plain" if base in ("clean_only", "resample") else base
    if fine_tune and trained_base is not None:
        model.load_weights(trained_base)
    else:
        frequencies = np.bincount(train.labels(), minlength=task.num_classes) / train.num_examples
        trainer = ExampleReweighting(model, method=weighting, class_frequencies=frequencies, seed=seed)
        if weighting == "reweight":
            clean = _source(task.clean)
            clean_stream = _stream(task, clean, min(recipe.clean_batch_size, clean.num_examples), recipe, seed + 1)
            stream = _zipped(stream, clean_stream)
        fit(trainer, stream, recipe.steps, recipe.lr, recipe.momentum, recipe.lr_schedule, strategy,
            recipe.lr_boundaries)
    if fine_tune:
        clean = _source(task.clean)
        fit(ExampleReweighting(model, method="plain"),
            _stream(task, clean, min(recipe.batch_size, clean.num_examples), recipe, seed + 2),
            recipe.fine_tune_steps, recipe.fine_tune_lr, recipe.momentum, "constant", strategy)
    test = pipeline.make_dataset(_source(task.test), 500, False, _dataset_spec(task).eval_transform, record)
    return model, classifier.accuracy(model, test)


def fit(trainer, stream, steps, lr, momentum, schedule, strategy, boundaries=()):
    """Train an :class:`ExampleReweighting` ``trainer`` (built under ``strategy``'s scope) for ``steps`` steps of
    SGD with ``momentum`` and learning-rate ``schedule`` from ``lr`` (decays at ``boundaries``) through the shared
    loop, on ``stream``: a dataset of batches, or a function of the loop's input context returning one (each worker
    its own share)."""
    with strategy.scope():
        trainer.compile(keras.optimizers.SGD(schedules.make_lr_schedule(schedule, lr, steps, boundaries),
                                             momentum=momentum))
    loop = distributed.Loop(strategy, trainer.optimizer, trainer.model.trainable_variables)
    return loop.run(trainer.replica_step, stream(loop.input_context()) if callable(stream) else stream, steps,
                    verbose=0)


def _record(task):
    """The preprocessing record of ``task``'s images."""
    return dict(preprocessing.FASHION_MNIST) if isinstance(task, Task) else datasets.preprocessing_record(task.dataset)


def _dataset_spec(task):
    return datasets.spec("fashion_mnist" if isinstance(task, Task) else task.dataset)


def _source(part):
    """A task part as a :class:`zoo.data.sources.Source` (arrays in memory become an ``ArraySource``)."""
    return part if isinstance(part, sources.Source) else sources.ArraySource(*part)


def _stream(task, source, batch_size, recipe, seed):
    """A function of an input context: the endless, shuffled (augmented with ``recipe.augment``) batches of
    ``source``."""
    transform = _dataset_spec(task).train_transform if recipe.augment else "none"
    return lambda context: pipeline.make_dataset(source, batch_size, True, transform, _record(task), seed, context)


def _zipped(stream, clean_stream):
    return lambda context: data.with_clean_batches(stream(context), clean_stream(context))
