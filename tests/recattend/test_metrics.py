"""Instance segmentation metrics on hand-made masks, against values worked out by hand."""
import numpy as np
import pytest

from zoo.recattend import metrics


def box(top, left, height, width, size=8):
    mask = np.zeros((size, size), bool)
    mask[top:top + height, left:left + width] = True
    return mask


# truth: A (2×2 = 4 px) and B (4×4 = 16 px); predictions: A exactly, the left half of B (8 px), one stray pixel
TRUTH = np.stack([box(0, 0, 2, 2), box(0, 4, 4, 4)])
PREDICTED = np.stack([box(0, 0, 2, 2), box(0, 4, 4, 2), box(7, 7, 1, 1)])


def test_dice_and_iou_matrices():
    np.testing.assert_allclose(metrics.dice_matrix(PREDICTED, TRUTH), [[1, 0], [0, 2 * 8 / 24], [0, 0]])
    np.testing.assert_allclose(metrics.iou_matrix(PREDICTED, TRUTH), [[1, 0], [0, 0.5], [0, 0]])


def test_symmetric_best_dice_and_count_difference():
    # BD(pred, truth) = (1 + 2/3 + 0) / 3; BD(truth, pred) = (1 + 2/3) / 2; SBD is the smaller
    assert metrics.best_dice(PREDICTED, TRUTH) == pytest.approx(5 / 9)
    assert metrics.best_dice(TRUTH, PREDICTED) == pytest.approx(5 / 6)
    assert metrics.symmetric_best_dice(PREDICTED, TRUTH) == pytest.approx(5 / 9)
    assert metrics.difference_in_count(PREDICTED, TRUTH) == 1
    assert metrics.symmetric_best_dice(TRUTH, TRUTH) == 1.0
    assert metrics.symmetric_best_dice(np.zeros((0, 8, 8)), TRUTH) == 0.0
    assert metrics.symmetric_best_dice(np.zeros((0, 8, 8)), np.zeros((0, 8, 8))) == 1.0


def test_weighted_and_unweighted_coverage():
    assert metrics.coverage(PREDICTED, TRUTH, weighted=False) == pytest.approx((1 + 0.5) / 2)
    assert metrics.coverage(PREDICTED, TRUTH, weighted=True) == pytest.approx((4 * 1 + 16 * 0.5) / 20)
    assert metrics.coverage(np.zeros((0, 8, 8)), TRUTH, weighted=True) == 0.0


def test_average_precision_by_hand():
    other_truth = np.stack([box(4, 0, 3, 3)])
    predictions = [(PREDICTED, [0.9, 0.8, 0.7]),
                   (np.stack([box(0, 5, 2, 2), box(4, 0, 3, 3)]), [0.95, 0.6])]
    # ranked: miss, hit, hit (IoU 0.5 reaches the threshold), miss, hit over 3 true instances:
    # precision 0, 1/2, 2/3, 2/4, 3/5 at recall 0, 1/3, 2/3, 2/3, 1; monotone envelope 2/3, 2/3, 2/3, 3/5, 3/5
    ap = metrics.average_precision(predictions, [TRUTH, other_truth])
    assert ap == pytest.approx((2 / 3 + 2 / 3 + 3 / 5) / 3)
    assert metrics.average_precision([(PREDICTED, [0.9, 0.8, 0.7])], [TRUTH]) == pytest.approx(1.0)
    # a stricter threshold turns the half-covering prediction into a miss
    assert metrics.average_precision([(PREDICTED, [0.9, 0.8, 0.7])], [TRUTH], threshold=0.6) == pytest.approx(0.5)


def test_a_true_instance_is_matched_once():
    duplicates = np.stack([box(0, 0, 2, 2), box(0, 0, 2, 2)])
    # the second copy finds its instance taken: precision 1 then 1/2 at recall 1/2; B is never found
    assert metrics.average_precision([(duplicates, [0.9, 0.8])], [TRUTH]) == pytest.approx(0.5)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="truth must be"):
        metrics.coverage(PREDICTED, np.zeros((8, 8)), weighted=False)
    with pytest.raises(ValueError, match="same images"):
        metrics.average_precision([(PREDICTED, [1, 1, 1])], [])
    with pytest.raises(ValueError, match="3 masks but 2 scores"):
        metrics.average_precision([(PREDICTED, [1, 1])], [TRUTH])
