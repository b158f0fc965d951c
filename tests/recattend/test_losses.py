"""Losses and matching against brute force and direct numpy computations."""
import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.recattend import losses


def brute_force_best(weights):
    """The largest total weight over every way to pair rows with distinct columns (min(T, N) pairs)."""
    rows, cols = weights.shape
    if rows <= cols:
        return max(sum(weights[i, p[i]] for i in range(rows)) for p in itertools.permutations(range(cols), rows))
    return max(sum(weights[p[j], j] for j in range(cols)) for p in itertools.permutations(range(rows), cols))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (5, 5), (1, 4)])
def test_matching_equals_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(10):
        weights = rng.uniform(size=shape).round(3)
        matching = losses.maximum_weight_matching(weights)
        assert matching.sum() == min(shape)
        assert (matching.sum(axis=0) <= 1).all() and (matching.sum(axis=1) <= 1).all()
        assert (weights * matching).sum() == pytest.approx(brute_force_best(weights))


def test_batched_matching_ignores_padding_and_passes_no_gradient():
    iou = tf.Variable(np.random.default_rng(0).uniform(size=(2, 3, 4)))
    with tf.GradientTape() as tape:
        matching = losses.match_instances(iou, [2, 4])
        loss = losses.matched_iou_loss(iou, matching)
    assert matching.numpy()[0, :, 2:].sum() == 0 and matching.numpy()[0].sum() == 2
    assert matching.numpy()[1].sum() == 3
    gradient = tape.gradient(loss, iou).numpy()
    np.testing.assert_allclose(gradient[0], -matching.numpy()[0] / 2 / 2)  # d/dIoU of −mean over 2 matches / batch 2
    expected = -((iou.numpy()[0] * matching.numpy()[0]).sum() / 2 + (iou.numpy()[1] * matching.numpy()[1]).sum() / 3)
    assert float(loss) == pytest.approx(expected / 2)


def test_soft_iou_matrix_is_the_formula():
    rng = np.random.default_rng(1)
    predicted, truth = rng.uniform(size=(2, 3, 5, 6)), (rng.uniform(size=(2, 2, 5, 6)) > 0.5).astype(float)
    iou = losses.soft_iou_matrix(predicted, truth).numpy()
    for b, t, n in itertools.product(range(2), range(3), range(2)):
        y, z = predicted[b, t], truth[b, n]
        assert iou[b, t, n] == pytest.approx((y * z).sum() / ((y + z - y * z).sum() + 1e-5))
    hard = losses.soft_iou_matrix(truth, truth).numpy()
    np.testing.assert_allclose(np.diagonal(hard, axis1=1, axis2=2), 1, atol=1e-5)


def test_monotone_score_loss_equals_a_direct_computation():
    rng = np.random.default_rng(2)
    scores = rng.uniform(0.05, 0.95, size=(3, 6))
    targets = (np.arange(6)[None, :] < np.array([[2], [5], [0]])).astype(float)
    expected = 0.0
    for b in range(3):
        for t in range(6):
            smallest_so_far = min(scores[b, :t + 1])
            largest_to_come = max(scores[b, t:])
            expected += (-targets[b, t] * math.log(smallest_so_far)
                         - (1 - targets[b, t]) * math.log(1 - largest_to_come))
    assert float(losses.monotone_score_loss(scores, targets)) == pytest.approx(expected / 18)
    with pytest.raises(ValueError, match="scores and targets"):
        losses.monotone_score_loss(scores, targets[:, :3])


def test_teacher_forcing_schedule():
    assert losses.teacher_forcing_probability(0, 0) == 1.0
    assert losses.teacher_forcing_probability(10_000, 0) == 1.0
    assert losses.teacher_forcing_probability(10_000 + 2_885, 0) == pytest.approx(math.exp(-1))
    later = losses.teacher_forcing_probability(10_000 + 2_885, 4)
    assert later == pytest.approx(min((1 + math.log(13)) * math.exp(-1), 1))
    assert losses.teacher_forcing_probability(40_000, 3) < 0.01


def numpy_pick(overlaps, taken):
    """Reference: argmax over the instances not taken yet, −1 when none is left."""
    if taken.all():
        return -1
    return int(np.argmax(np.where(taken, -np.inf, overlaps)))


def test_each_ground_truth_is_picked_at_most_once():
    rng = np.random.default_rng(3)
    overlaps = rng.uniform(size=(4, 3))
    valid = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], bool)
    taken = ~valid
    for _ in range(4):  # more steps than instances: later steps pick nothing
        onehot = losses.pick_ground_truth(overlaps, ~taken).numpy()
        for b in range(4):
            expected = numpy_pick(overlaps[b], taken[b])
            assert onehot[b].sum() == (expected >= 0)
            if expected >= 0:
                assert onehot[b, expected] == 1
        taken |= onehot.astype(bool)
    assert taken.all()
    with pytest.raises(ValueError, match="overlaps and available"):
        losses.pick_ground_truth(overlaps, valid[:, :2])


def test_box_iou_by_hand():
    boxes = np.array([[0, 0, 4, 4], [2, 2, 6, 6]])
    truth = np.array([[[0, 0, 4, 4], [2, 2, 6, 6], [10, 10, 12, 12]]] * 2)
    np.testing.assert_allclose(losses.box_iou(boxes, truth), [[1, 4 / 28, 0], [4 / 28, 1, 0]], rtol=1e-6)
