"""The paper's training losses: soft IoU between predicted and true instances, maximum-weight bipartite matching
(outside autodiff, with scipy), the matched IoU loss, the monotone score loss, and scheduled sampling's
teacher-forcing schedule and ground-truth choice."""
import math

import numpy as np
import tensorflow as tf
from scipy.optimize import linear_sum_assignment

IOU_EPSILON = 1e-5


def soft_iou_matrix(predicted, truth):
    """Soft IoU ``Σ y_i y*_j / Σ (y_i + y*_j − y_i y*_j)`` (+1e-5 in the denominator) of every prediction with
    every true instance: ``predicted`` ``(B, T, H, W)`` in [0, 1], ``truth`` ``(B, N, H, W)`` → ``(B, T, N)``."""
    predicted = tf.convert_to_tensor(predicted)
    truth = tf.cast(truth, predicted.dtype)
    if predicted.shape.rank != 4 or truth.shape.rank != 4:
        raise ValueError(f"predicted and truth must be (batch, instances, height, width), got {predicted.shape} and "
                         f"{truth.shape}")
    intersection = tf.einsum("bthw,bnhw->btn", predicted, truth)
    union = (tf.reduce_sum(predicted, axis=[2, 3])[:, :, None] + tf.reduce_sum(truth, axis=[2, 3])[:, None, :]
             - intersection)
    return intersection / (union + IOU_EPSILON)


def maximum_weight_matching(weights):
    """0/1 matrix of the maximum-weight matching of a ``(T, N)`` weight matrix (each row and column used at most
    once; min(T, N) pairs). Weights are rounded to 1e-6 and offset by 1e-5 first, as the paper's code does, so
    near-ties resolve the same way every time."""
    weights = np.asarray(weights, np.float64)
    if weights.ndim != 2:
        raise ValueError(f"weights must be a (predictions, truths) matrix, got shape {weights.shape}")
    matching = np.zeros(weights.shape, np.float32)
    if weights.size:
        rows, cols = linear_sum_assignment(np.round(weights, 6) + 1e-5, maximize=True)
        matching[rows, cols] = 1
    return matching


def match_instances(iou, num_truths):
    """Batched matching: ``iou`` ``(B, T, N)``, ``num_truths`` ``(B,)`` valid true instances per example (the rest
    is padding). Returns the constant ``(B, T, N)`` 0/1 matching (no gradient flows through it)."""
    def match(iou, counts):
        out = np.zeros(iou.shape, np.float32)
        for b, count in enumerate(counts):
            out[b, :, :count] = maximum_weight_matching(iou[b, :, :count])
        return out

    matching = tf.numpy_function(match, [tf.stop_gradient(iou), tf.cast(num_truths, tf.int32)], tf.float32)
    return tf.stop_gradient(tf.ensure_shape(tf.cast(matching, iou.dtype), iou.shape))


def matched_iou_loss(iou, matching):
    """−(sum of matched IoUs) / (number of matches), averaged over the batch (0 for an example with no match)."""
    matched = tf.reduce_sum(iou * matching, axis=[1, 2])
    count = tf.reduce_sum(matching, axis=[1, 2])
    return -tf.reduce_mean(matched / tf.maximum(count, 1.0))


def monotone_score_loss(scores, targets, epsilon=1e-7):
    """The paper's score loss: ``(1/T) Σ_t [−s*_t log min_{t'≤t} s_t' − (1 − s*_t) log(1 − max_{t'≥t} s_t')]``.

    A step that should still find an object is penalised by the smallest score so far, a step that should have
    stopped by the largest score still to come, so the scores learn to fall once and stay down.

    Args:
        scores: ``(B, T)`` in (0, 1).
        targets: ``(B, T)`` 1 where step t is matched to a true instance.
    """
    scores = tf.convert_to_tensor(scores)
    targets = tf.cast(targets, scores.dtype)
    if scores.shape.rank != 2 or targets.shape != scores.shape:
        raise ValueError(f"scores and targets must both be (batch, steps), got {scores.shape} and {targets.shape}")
    steps = tf.transpose(scores)  # (T, B): scan over time
    running_min = tf.transpose(tf.scan(tf.minimum, steps))
    future_max = tf.transpose(tf.reverse(tf.scan(tf.maximum, tf.reverse(steps, [0])), [0]))
    loss = (-targets * tf.math.log(tf.maximum(running_min, epsilon))
            - (1 - targets) * tf.math.log(tf.maximum(1 - future_max, epsilon)))
    return tf.reduce_mean(loss)


def teacher_forcing_probability(step, timestep, offset=10_000, decay_steps=2_885, growth=3.0):
    """Scheduled sampling's θ = min(Γ_t · exp(−(step − S) / S₂), 1) with Γ_t = 1 + log(1 + K·t) (supplement:
    S = 10,000, S₂ = 2,885, K = 3): near 1 early in training, decaying, and larger for later timesteps t."""
    gamma = 1.0 + math.log(1.0 + growth * timestep)
    return min(gamma * math.exp(-(step - offset) / decay_steps), 1.0)


def pick_ground_truth(overlaps, available):
    """The true instance teacher forcing feeds at a step: per example, the one overlapping the prediction most
    among those still ``available`` (valid and not fed before), so each instance is fed at most once — the
    official code never updated its record and could feed the same one again.

    Args:
        overlaps: ``(B, N)`` overlap of the step's prediction with every true instance.
        available: ``(B, N)`` bool.

    Returns:
        ``(B, N)`` one-hot rows (all zero where nothing is available).
    """
    overlaps = tf.convert_to_tensor(overlaps)
    available = tf.convert_to_tensor(available, tf.bool)
    if overlaps.shape.rank != 2 or available.shape != overlaps.shape:
        raise ValueError(f"overlaps and available must both be (batch, instances), got {overlaps.shape} and "
                         f"{available.shape}")
    choice = tf.argmax(tf.where(available, overlaps, tf.fill(tf.shape(overlaps), tf.constant(-np.inf, overlaps.dtype))),
                       axis=1)
    onehot = tf.one_hot(choice, tf.shape(overlaps)[1], dtype=overlaps.dtype)
    return onehot * tf.cast(tf.reduce_any(available, axis=1, keepdims=True), overlaps.dtype)


def box_iou(boxes, truth):
    """IoU of boxes ``(B, 4)`` with true boxes ``(B, N, 4)``, all ``(y0, x0, y1, x1)`` with exclusive ends."""
    boxes = tf.cast(boxes, tf.float32)[:, None, :]
    truth = tf.cast(truth, tf.float32)
    low, high = tf.maximum(boxes[..., :2], truth[..., :2]), tf.minimum(boxes[..., 2:], truth[..., 2:])
    intersection = tf.reduce_prod(tf.maximum(high - low, 0.0), axis=-1)
    area = lambda b: tf.reduce_prod(tf.maximum(b[..., 2:] - b[..., :2], 0.0), axis=-1)  # noqa: E731
    union = area(boxes) + area(truth) - intersection
    return intersection / tf.maximum(union, 1e-6)
