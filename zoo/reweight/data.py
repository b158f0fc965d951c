"""The paper's corrupted training sets (label noise, class imbalance), the clean set split off them, and the
data-side baselines (resampling).

All generators follow the paper's definitions rather than the official code's (which could leave a "flipped"
label unchanged and never flip to the last class) and are deterministic by ``seed``.
"""
import numpy as np
import tensorflow as tf


def _check_rate(rate):
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}")


def split_clean(labels, per_class, seed):
    """Indices of a class-balanced clean set (``per_class`` examples of every class) and of the rest.

    The clean set is removed from the training set, as in the paper.

    Returns:
        ``(clean_indices, remaining_indices)``, each sorted.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    clean = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(f"class {label} has {len(members)} examples, fewer than per_class={per_class}")
        clean.extend(rng.choice(members, per_class, replace=False))
    clean = np.sort(np.array(clean, dtype=np.int64))
    return clean, np.setdiff1d(np.arange(len(labels)), clean)


def uniform_flip(labels, rate, num_classes, seed):
    """UniformFlip: exactly ``round(rate · n)`` randomly chosen labels each change to a uniformly drawn
    **different** class. Returns the noisy labels and a boolean mask of the flipped examples."""
    _check_rate(rate)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(labels), bool)
    flipped[rng.choice(len(labels), int(round(rate * len(labels))), replace=False)] = True
    shift = rng.integers(1, num_classes, size=len(labels))  # 1..C-1: never the original class
    noisy = np.where(flipped, (labels + shift) % num_classes, labels)
    return noisy.astype(labels.dtype), flipped


def background_flip(labels, rate, background_class, seed):
    """BackgroundFlip: exactly ``round(rate · m)`` of the ``m`` examples whose class is not ``background_class``
    are relabelled ``background_class``. Returns the noisy labels and the mask of flipped examples."""
    _check_rate(rate)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(labels != background_class)
    flipped = np.zeros(len(labels), bool)
    flipped[rng.choice(candidates, int(round(rate * len(candidates))), replace=False)] = True
    return np.where(flipped, background_class, labels).astype(labels.dtype), flipped


def two_class_imbalance(labels, classes, dominant_fraction, size, seed):
    """Indices and binary labels of an imbalanced two-class set: ``round(dominant_fraction · size)`` examples
    of ``classes[1]`` (label 1, dominant) and the rest of ``classes[0]`` (label 0), shuffled."""
    if not 0.5 <= dominant_fraction < 1:
        raise ValueError(f"dominant_fraction must be in [0.5, 1), got {dominant_fraction!r}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    dominant = int(round(dominant_fraction * size))
    picks = []
    for cls, count in ((classes[0], size - dominant), (classes[1], dominant)):
        members = np.flatnonzero(labels == cls)
        if len(members) < count:
            raise ValueError(f"class {cls} has {len(members)} examples, {count} needed")
        picks.append(rng.choice(members, count, replace=False))
    indices = np.concatenate(picks)
    binary = np.concatenate([np.zeros(len(picks[0]), np.int64), np.ones(len(picks[1]), np.int64)])
    order = rng.permutation(len(indices))
    return indices[order], binary[order]


def class_balanced_indices(labels, count, seed):
    """The "Resample" baseline: ``count`` indices drawn with replacement so that every class is equally likely."""
    labels = np.asarray(labels)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    probabilities = 1.0 / (len(classes) * counts[inverse])
    return np.random.default_rng(seed).choice(len(labels), count, replace=True, p=probabilities)


def with_clean_batches(train, clean):
    """``(x, y, (x_clean, y_clean))`` batches for :class:`~zoo.reweight.ExampleReweighting`: each batch of the
    ``train`` dataset with the next batch of the ``clean`` dataset, repeated forever (both already batched)."""
    return tf.data.Dataset.zip((train, clean.repeat())).map(lambda batch, clean_batch: (*batch, clean_batch))
