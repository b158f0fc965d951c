"""Noise and imbalance generators follow the paper's definitions exactly."""
import numpy as np
import pytest

from zoo.reweight import data

LABELS = np.repeat(np.arange(10), 100)


def test_uniform_flip_changes_exactly_the_rate_to_other_classes_and_reaches_every_class():
    noisy, flipped = data.uniform_flip(LABELS, 0.4, 10, seed=0)
    assert flipped.sum() == 400
    assert np.all(noisy[flipped] != LABELS[flipped]) and np.all(noisy[~flipped] == LABELS[~flipped])
    assert set(noisy[flipped]) == set(range(10))  # the official code could never produce class C-1
    np.testing.assert_array_equal(noisy, data.uniform_flip(LABELS, 0.4, 10, seed=0)[0])


def test_background_flip_relabels_the_rate_of_other_classes():
    noisy, flipped = data.background_flip(LABELS, 0.4, background_class=3, seed=1)
    assert flipped.sum() == 360  # 40% of the 900 non-background examples
    assert np.all(noisy[flipped] == 3) and not np.any(flipped[LABELS == 3])
    assert np.all(noisy[~flipped] == LABELS[~flipped])


def test_split_clean_is_balanced_and_disjoint():
    clean, rest = data.split_clean(LABELS, per_class=10, seed=0)
    assert np.bincount(LABELS[clean]).tolist() == [10] * 10
    assert len(np.intersect1d(clean, rest)) == 0 and len(clean) + len(rest) == len(LABELS)
    with pytest.raises(ValueError, match="fewer than per_class"):
        data.split_clean(LABELS, per_class=101, seed=0)


def test_two_class_imbalance_has_the_ratio():
    indices, binary = data.two_class_imbalance(LABELS, classes=(2, 4), dominant_fraction=0.95, size=100, seed=0)
    assert binary.sum() == 95 and len(binary) == 100
    np.testing.assert_array_equal(LABELS[indices], np.where(binary == 1, 4, 2))
    with pytest.raises(ValueError, match="dominant_fraction"):
        data.two_class_imbalance(LABELS, (2, 4), 1.0, 100, 0)


def test_class_balanced_resampling_is_balanced():
    labels = np.array([0] * 95 + [1] * 5)
    drawn = labels[data.class_balanced_indices(labels, 20_000, seed=0)]
    assert abs(drawn.mean() - 0.5) < 0.02


def test_bad_rate_is_rejected():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\]"):
        data.uniform_flip(LABELS, 1.5, 10, 0)
