"""Prototypes and the paper's three semi-supervised refinements (Ren et al., ICLR 2018, arXiv:1803.00676 §3–4).

All functions take embeddings of one episode: ``support`` ``(N·K, D)`` with one-hot ``support_onehot``
``(N·K, N)``, ``unlabeled`` ``(U, D)``. Distances are squared Euclidean. One refinement step, as in the paper
(and the official ``num_cluster_steps=1``).
"""
import math

import tensorflow as tf


def squared_distances(x, centres):
    """``(len(x), len(centres))`` squared Euclidean distances."""
    return tf.reduce_sum(tf.square(x[:, None, :] - centres[None, :, :]), axis=-1)


def prototypes(support, support_onehot):
    """Class means of the support embeddings: ``(N, D)``."""
    counts = tf.reduce_sum(support_onehot, axis=0)[:, None]
    return tf.matmul(support_onehot, support, transpose_a=True) / counts


def refined_prototypes(support, support_onehot, unlabeled, assignments):
    """p̃_c = (Σ_i h(x_i) z_ic + Σ_j h(x̃_j) z̃_jc) / (Σ_i z_ic + Σ_j z̃_jc) for ``assignments`` z̃ ``(U, N)``."""
    numerator = tf.matmul(support_onehot, support, transpose_a=True) + tf.matmul(assignments, unlabeled,
                                                                                transpose_a=True)
    denominator = tf.reduce_sum(support_onehot, axis=0) + tf.reduce_sum(assignments, axis=0)
    return numerator / denominator[:, None]


def soft_kmeans(support, support_onehot, unlabeled):
    """Soft k-means refinement: z̃_jc = softmax_c(−‖h(x̃_j) − p_c‖²), then :func:`refined_prototypes`.

    Returns ``(refined prototypes (N, D), assignments (U, N))``.
    """
    assignments = tf.nn.softmax(-squared_distances(unlabeled, prototypes(support, support_onehot)), axis=-1)
    return refined_prototypes(support, support_onehot, unlabeled, assignments), assignments


def log_normaliser(radius):
    """A(r) = ½ log(2π) + log r, the Gaussian log-normaliser of a cluster of radius r."""
    return 0.5 * math.log(2 * math.pi) + tf.math.log(radius)


def cluster_logits(x, centres, radii):
    """−‖x − p_c‖² / r_c² − A(r_c): ``(len(x), len(centres))``."""
    return -squared_distances(x, centres) / tf.square(radii)[None, :] - log_normaliser(radii)[None, :]


def soft_kmeans_with_distractor(support, support_onehot, unlabeled, distractor_radius):
    """Soft k-means with an extra distractor cluster centred at the origin.

    The N class clusters have radius 1 and the distractor cluster ``distractor_radius``; unlabeled points are
    assigned by a softmax over the N + 1 cluster logits (:func:`cluster_logits`); the class prototypes are
    refined with their assignments and the distractor centre becomes the assignment-weighted mean of the
    unlabeled points. Returns ``(centres (N + 1, D), radii (N + 1,), assignments (U, N + 1))``; classify queries
    with ``cluster_logits(query, centres, radii)`` over all N + 1 clusters, as the official code does.
    """
    protos = prototypes(support, support_onehot)
    num_classes = tf.shape(protos)[0]
    radii = tf.concat([tf.ones([num_classes], protos.dtype), tf.reshape(distractor_radius, [1])], axis=0)
    centres = tf.concat([protos, tf.zeros_like(protos[:1])], axis=0)
    assignments = tf.nn.softmax(cluster_logits(unlabeled, centres, radii), axis=-1)
    onehot = tf.pad(support_onehot, [[0, 0], [0, 1]])  # labeled points never belong to the distractor cluster
    return refined_prototypes(support, onehot, unlabeled, assignments), radii, assignments


def distance_statistics(normalised):
    """Per class (column), [min, max, variance, skewness, kurtosis] of the normalised distances: ``(N, 5)``."""
    mean = tf.reduce_mean(normalised, axis=0)
    centred = normalised - mean
    variance = tf.reduce_mean(tf.square(centred), axis=0)
    std = tf.sqrt(variance + 1e-12)
    skewness = tf.reduce_mean(centred ** 3, axis=0) / std ** 3
    kurtosis = tf.reduce_mean(centred ** 4, axis=0) / std ** 4
    return tf.stack([tf.reduce_min(normalised, axis=0), tf.reduce_max(normalised, axis=0), variance, skewness,
                     kurtosis], axis=1)


def masked_soft_kmeans(support, support_onehot, unlabeled, mask_mlp):
    """Masked soft k-means: soft assignments z̃ as in :func:`soft_kmeans`, times a per-class soft mask.

    d̃_jc = d_jc / mean_j d_jc (d: squared distance to the prototype); ``mask_mlp`` maps the five statistics
    of d̃_·c (:func:`distance_statistics`, gradient stopped as in the official code) to ``(β_c, γ_c)`` (already
    positive); m_jc = σ(−γ_c (d̃_jc − β_c)). The mask enters the prototype once, as the paper writes it (the
    official code applies it twice). Returns ``(refined prototypes (N, D), masked assignments (U, N))``.
    """
    protos = prototypes(support, support_onehot)
    distances = squared_distances(unlabeled, protos)
    assignments = tf.nn.softmax(-distances, axis=-1)
    normalised = distances / tf.reduce_mean(distances, axis=0, keepdims=True)
    beta, gamma = tf.unstack(mask_mlp(tf.stop_gradient(distance_statistics(normalised))), axis=-1)
    mask = tf.sigmoid(-gamma[None, :] * (normalised - beta[None, :]))
    masked = assignments * mask
    return refined_prototypes(support, support_onehot, unlabeled, masked), masked
