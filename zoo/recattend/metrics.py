"""Instance segmentation metrics of the paper's supplement (Eqs. 3–9): symmetric best Dice, |DiC|, weighted and
unweighted coverage, and average precision at an IoU threshold. Masks are boolean arrays ``(instances, H, W)``."""
import numpy as np


def _as_masks(masks, name):
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"{name} must be (instances, height, width), got shape {masks.shape}")
    return masks.astype(bool).reshape(masks.shape[0], masks.shape[1] * masks.shape[2])


def _overlaps(a, b):
    """Intersections ``(len(a), len(b))`` and the two area vectors of flattened boolean masks."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return a @ b.T, a.sum(axis=1), b.sum(axis=1)


def dice_matrix(a, b):
    """Dice ``2|a_i ∩ b_j| / (|a_i| + |b_j|)`` for every pair (0 where both are empty)."""
    a, b = _as_masks(a, "a"), _as_masks(b, "b")
    inter, area_a, area_b = _overlaps(a, b)
    total = area_a[:, None] + area_b[None, :]
    return np.divide(2 * inter, total, out=np.zeros_like(inter), where=total > 0)


def iou_matrix(a, b):
    """IoU ``|a_i ∩ b_j| / |a_i ∪ b_j|`` for every pair (0 where both are empty)."""
    a, b = _as_masks(a, "a"), _as_masks(b, "b")
    inter, area_a, area_b = _overlaps(a, b)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def best_dice(a, b):
    """BD(a, b) = (1/|a|) Σ_i max_j Dice(a_i, b_j): 1 when both sets are empty, 0 when only one is."""
    if len(a) == 0 or len(b) == 0:
        return float(len(a) == len(b))
    return float(dice_matrix(a, b).max(axis=1).mean())


def symmetric_best_dice(predicted, truth):
    """SBD = min(BD(predicted, truth), BD(truth, predicted)); each direction averages over its own first set
    (the official analysis code averaged both over the ground-truth count)."""
    return min(best_dice(predicted, truth), best_dice(truth, predicted))


def difference_in_count(predicted, truth):
    """|DiC| = |#predicted − #truth|."""
    return abs(len(predicted) - len(truth))


def coverage(predicted, truth, weighted):
    """MWCov (``weighted``: each true instance weighted by its share of the true area) or MUCov (equal weights)
    of the best IoU each true instance gets from any prediction; 1 with no true instances."""
    _as_masks(predicted, "predicted"), _as_masks(truth, "truth")
    if len(truth) == 0:
        return 1.0
    if len(predicted) == 0:
        return 0.0
    best = iou_matrix(truth, predicted).max(axis=1)
    if not weighted:
        return float(best.mean())
    areas = _as_masks(truth, "truth").sum(axis=1).astype(np.float64)
    return float((areas / areas.sum()) @ best)


def average_precision(predictions, truths, threshold=0.5):
    """AP at IoU ``threshold`` over a data set.

    Args:
        predictions: per image, ``(masks (K, H, W), scores (K,))``.
        truths: per image, masks ``(N, H, W)``.
        threshold: a prediction is a true positive when its IoU with a not yet matched true instance of its image
            reaches this; predictions are taken in decreasing score over the whole set, each matching its
            best-overlapping free true instance.

    Returns:
        The area under the precision–recall curve with precision made monotone (the all-point interpolation of
        PASCAL VOC 2010+); 0 with no true instances.
    """
    if len(predictions) != len(truths):
        raise ValueError(f"predictions and truths must list the same images, got {len(predictions)} and "
                         f"{len(truths)}")
    entries = []  # (score, image, prediction index)
    ious = []
    for image, ((masks, scores), truth) in enumerate(zip(predictions, truths)):
        scores = np.asarray(scores, np.float64)
        if len(scores) != len(masks):
            raise ValueError(f"image {image}: {len(masks)} masks but {len(scores)} scores")
        ious.append(iou_matrix(masks, truth) if len(masks) and len(truth) else np.zeros((len(masks), len(truth))))
        entries += [(s, image, k) for k, s in enumerate(scores)]
    total = sum(len(t) for t in truths)
    if total == 0:
        return 0.0
    entries.sort(key=lambda e: -e[0])
    matched = [np.zeros(len(t), bool) for t in truths]
    hits = []
    for _, image, k in entries:
        candidates = np.where(~matched[image], ious[image][k], -1.0)
        j = int(np.argmax(candidates)) if len(candidates) else -1
        hit = j >= 0 and candidates[j] >= threshold
        if hit:
            matched[image][j] = True
        hits.append(hit)
    hits = np.asarray(hits, np.float64)
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = true_positives / total
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))
