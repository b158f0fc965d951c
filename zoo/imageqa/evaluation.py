"""Accuracy and WUPS@0.9 / WUPS@0.0 of predicted answers, overall and per question type (the paper's tables)."""
import numpy as np

from zoo.imageqa import qgen, wups

THRESHOLDS = (0.9, 0.0)


def scores(predicted, truth):
    """``{"accuracy", "wups_0.9", "wups_0.0"}`` of predicted answer words against true ones."""
    predicted, truth = list(predicted), list(truth)
    out = {"accuracy": float(np.mean([p == t for p, t in zip(predicted, truth)]))}
    for threshold in THRESHOLDS:
        out[f"wups_{threshold}"] = wups.wups(predicted, truth, threshold)
    return out


def evaluate(predicted_ids, arrays, vocabulary):
    """Scores of answer ids ``predicted_ids`` on a split's ``arrays`` (``answers``, ``types``):
    ``{"overall": scores, "per_type": {type name: scores}, "count": {type name: n}}``."""
    predicted_ids = np.asarray(predicted_ids)
    if predicted_ids.shape != arrays["answers"].shape:
        raise ValueError(f"predicted_ids has shape {predicted_ids.shape}, expected {arrays['answers'].shape}")
    words = np.array(vocabulary.answers, dtype=object)
    predicted, truth = words[predicted_ids], words[arrays["answers"]]
    result = {"overall": scores(predicted, truth), "per_type": {}, "count": {}}
    for t, name in enumerate(qgen.QUESTION_TYPES):
        chosen = arrays["types"] == t
        result["count"][name] = int(chosen.sum())
        if chosen.any():
            result["per_type"][name] = scores(predicted[chosen], truth[chosen])
    return result
