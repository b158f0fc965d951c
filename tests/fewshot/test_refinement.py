"""Refinement formulas against an independent numpy implementation written from the paper's equations."""
import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.fewshot import refinement


def np_prototypes(support, labels, n):
    return np.stack([support[labels == c].mean(0) for c in range(n)])


def np_sqdist(x, centres):
    return np.array([[np.sum((a - b) ** 2) for b in centres] for a in x])


def np_softmax(logits):
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def np_refine(support, labels, unlabeled, z, n):
    out = []
    for c in range(n):
        num = support[labels == c].sum(0) + (z[:, c:c + 1] * unlabeled).sum(0)
        out.append(num / ((labels == c).sum() + z[:, c].sum()))
    return np.stack(out)


def episode(seed, n=5, k=2, u=12, d=8):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n), k)
    return rng.standard_normal((n * k, d)), labels, rng.standard_normal((u, d)) * 1.5, np.eye(n)[labels]


@pytest.mark.parametrize("seed", range(3))
def test_prototypes_and_soft_kmeans(seed):
    support, labels, unlabeled, onehot = episode(seed)
    p = np_prototypes(support, labels, 5)
    np.testing.assert_allclose(refinement.prototypes(support, onehot), p, atol=1e-12)
    z = np_softmax(-np_sqdist(unlabeled, p))
    refined, assignments = refinement.soft_kmeans(support, onehot, unlabeled)
    np.testing.assert_allclose(assignments, z, atol=1e-12)
    np.testing.assert_allclose(refined, np_refine(support, labels, unlabeled, z, 5), atol=1e-12)


@pytest.mark.parametrize("radius", [0.7, 3.0, 100.0])
def test_distractor_cluster(radius):
    support, labels, unlabeled, onehot = episode(4)
    p = np.vstack([np_prototypes(support, labels, 5), np.zeros((1, support.shape[1]))])
    r = np.array([1.0] * 5 + [radius])
    logits = -np_sqdist(unlabeled, p) / r ** 2 - (0.5 * math.log(2 * math.pi) + np.log(r))
    z = np_softmax(logits)
    expected = np.vstack([np_refine(support, labels, unlabeled, z, 5),
                          (z[:, 5:] * unlabeled).sum(0) / z[:, 5].sum()])
    centres, radii, assignments = refinement.soft_kmeans_with_distractor(support, onehot, unlabeled,
                                                                         tf.constant(radius, tf.float64))
    np.testing.assert_allclose(assignments, z, atol=1e-12)
    np.testing.assert_allclose(radii, r, atol=1e-12)
    np.testing.assert_allclose(centres, expected, atol=1e-10)
    query = np.random.default_rng(5).standard_normal((7, support.shape[1]))
    np.testing.assert_allclose(refinement.cluster_logits(query, centres, radii),
                               -np_sqdist(query, expected) / r ** 2 - (0.5 * math.log(2 * math.pi) + np.log(r)),
                               atol=1e-10)


def test_masked_soft_kmeans_applies_the_mask_once_to_the_mlp_of_five_statistics():
    support, labels, unlabeled, onehot = episode(6)
    p = np_prototypes(support, labels, 5)
    d = np_sqdist(unlabeled, p)
    normalised = d / d.mean(0, keepdims=True)
    stats = []
    for c in range(5):
        v = normalised[:, c]
        m, s = v.mean(), v.std()
        stats.append([v.min(), v.max(), v.var(), ((v - m) ** 3).mean() / s ** 3, ((v - m) ** 4).mean() / s ** 4])
    stats = np.array(stats)
    seen = []

    def mlp(features):  # a fixed "MLP": beta = 1 + 0.1·min, gamma = 2 + 0.05·kurtosis
        seen.append(np.asarray(features))
        return tf.stack([1.0 + 0.1 * features[:, 0], 2.0 + 0.05 * features[:, 4]], axis=1)

    refined, masked = refinement.masked_soft_kmeans(support, onehot, unlabeled, mlp)
    np.testing.assert_allclose(seen[0], stats, atol=1e-9)
    beta, gamma = 1.0 + 0.1 * stats[:, 0], 2.0 + 0.05 * stats[:, 4]
    mask = 1.0 / (1.0 + np.exp(gamma * (normalised - beta)))
    z = np_softmax(-d) * mask
    np.testing.assert_allclose(masked, z, atol=1e-12)
    np.testing.assert_allclose(refined, np_refine(support, labels, unlabeled, z, 5), atol=1e-12)


def test_mask_statistics_are_not_differentiated():
    support, _, unlabeled, onehot = episode(7)
    unlabeled = tf.constant(unlabeled)
    with tf.GradientTape() as tape:
        tape.watch(unlabeled)
        features = []
        refinement.masked_soft_kmeans(support, onehot, unlabeled,
                                      lambda f: features.append(f) or tf.ones([5, 2], tf.float64))
        total = tf.reduce_sum(features[0])
    assert tape.gradient(total, unlabeled) is None
