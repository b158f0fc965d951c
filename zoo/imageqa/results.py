"""The recorded image-QA result (``imageqa_scenes``, ``tools/imageqa/eval.py``): every model ``tools/imageqa/train.py``
trained scored on the generated test set (accuracy, WUPS@0.9, WUPS@0.0, overall and per question type) beside the
paper's COCO-QA numbers, the data set's statistics, examples, and the scale of the runs."""
import json

import numpy as np

from zoo import reporting
from zoo.imageqa import data, evaluation, qgen

MODELS = (("guess", "GUESS"), ("bow", "BOW"), ("lstm", "LSTM"), ("img-bow", "IMG+BOW"), ("vis-lstm", "VIS+LSTM"),
          ("2vis-blstm", "2-VIS+BLSTM"), ("full", "FULL"))
"""Each model's run name and the paper's name for it."""

PAPER_OVERALL = {"GUESS": (0.0665, 0.1742, 0.7344), "BOW": (0.3752, 0.4854, 0.8278),
                 "LSTM": (0.3676, 0.4758, 0.8234), "IMG+BOW": (0.5592, 0.6678, 0.8899),
                 "VIS+LSTM": (0.5331, 0.6391, 0.8825), "2-VIS+BLSTM": (0.5509, 0.6534, 0.8864),
                 "FULL": (0.5784, 0.6790, 0.8952)}
"""COCO-QA, the authors' poster: accuracy, WUPS@0.9, WUPS@0.0."""

PAPER_PER_TYPE = {"GUESS": (.0211, .3584, .1387, .0893), "BOW": (.3727, .4356, .3475, .4084),
                  "LSTM": (.3587, .4534, .3626, .3842), "IMG+BOW": (.5866, .4410, .5196, .4939),
                  "VIS+LSTM": (.5653, .4610, .4587, .4552), "2-VIS+BLSTM": (.5817, .4479, .4953, .4734),
                  "FULL": (.6108, .4766, .5148, .5028)}
"""COCO-QA accuracy per type: object, number, color, location."""

PAPER_STATISTICS = {"object": (54992, 69.84, 27206, 69.85), "number": (5885, 7.47, 2755, 7.07),
                    "color": (13059, 16.59, 6509, 16.71), "location": (4800, 6.10, 2478, 6.36),
                    "total": (78736, 100.0, 38948, 100.0)}
"""COCO-QA question counts and percentages: train, %, test, %."""


def predictions(out, name):
    """Predicted answer ids of model ``name`` on the test questions (from what training saved in ``out``)."""
    if name == "guess":
        return np.load(out / "guess.answers.npy")
    return np.argmax(np.load(out / f"{name}.probs.npy"), axis=1)


def evaluate_runs(out, test, vocabulary):
    """``{paper name: evaluation.evaluate(...)}`` of every model with saved predictions in ``out``."""
    return {label: evaluation.evaluate(predictions(out, name), test, vocabulary)
            for name, label in MODELS if name == "guess" or (out / f"{name}.probs.npy").exists()}


def accuracy_data(scores):
    """The figure's numbers: ``{model: {question type: accuracy, ..., "overall": accuracy}}``."""
    return {label: {**{t: s["accuracy"] for t, s in result["per_type"].items()},
                    "overall": result["overall"]["accuracy"]} for label, result in scores.items()}


def tables(scores, dataset, vocabulary, texts):
    """The result's tables: question statistics beside COCO-QA's, an example per type, overall scores beside the
    paper's, accuracy per type (the paper's in brackets) and WUPS per type."""
    stats = data.statistics(dataset)
    statistics = reporting.Table(
        ["type", "train", "%", "test", "%", "paper train", "%", "paper test", "%"],
        [[name, f"{stats[name]['train'][0]:,}", f"{stats[name]['train'][1]:.1f}", f"{stats[name]['test'][0]:,}",
          f"{stats[name]['test'][1]:.1f}", *(f"{v:,}" if i % 2 == 0 else f"{v:.2f}"
                                             for i, v in enumerate(PAPER_STATISTICS[name]))]
         for name in [*qgen.QUESTION_TYPES, "total"]], "Questions by type (paper: COCO-QA, the authors' poster):")
    examples = []
    for t, name in enumerate(qgen.QUESTION_TYPES):
        found = np.flatnonzero(dataset["test"]["types"] == t)
        if len(found):
            answer = vocabulary.answers[dataset["test"]["answers"][found[0]]]
            examples.append([name, f"“{texts[found[0]]}?” → {answer}"])
    present = [t for t in qgen.QUESTION_TYPES if any(t in r["per_type"] for r in scores.values())]
    return [
        statistics,
        reporting.Table(["question type", "example (question → answer)"], examples,
                        "Examples (the first test question of each type that occurs):"),
        reporting.Table(["model", "accuracy", "WUPS 0.9", "WUPS 0.0", "paper"],
                        [[label, *(f"{r['overall'][k]:.4f}" for k in ("accuracy", "wups_0.9", "wups_0.0")),
                          " / ".join(f"{v:.4f}" for v in PAPER_OVERALL[label])] for label, r in scores.items()],
                        "Overall (accuracy / WUPS@0.9 / WUPS@0.0; paper: COCO-QA):"),
        reporting.Table(["model", *present],
                        [[label, *(f"{r['per_type'][t]['accuracy']:.4f} "
                                   f"({PAPER_PER_TYPE[label][qgen.QUESTION_TYPES.index(t)]:.4f})" for t in present)]
                         for label, r in scores.items()],
                        "Accuracy per question type (paper's COCO-QA accuracy in brackets):"),
        reporting.Table(["model", *present],
                        [[label, *(f"{r['per_type'][t]['wups_0.9']:.4f} / {r['per_type'][t]['wups_0.0']:.4f}"
                                   for t in present)] for label, r in scores.items()],
                        "WUPS@0.9 / WUPS@0.0 per question type:")]


def scale_note(out, dataset):
    """Scale and training facts read from the run's own records in ``out``."""
    stats = data.statistics(dataset)
    encoder = json.loads((out / "encoder.json").read_text())
    epochs = {name: json.loads((out / f"{name}.json").read_text()) for name, _ in MODELS
              if (out / f"{name}.json").exists() and name not in ("guess", "full")}
    runs = ", ".join(f"{name} {r['best_epoch']}/{r['epochs_run']} ({r['seconds'] / 60:.1f} min)"
                     for name, r in epochs.items())
    record = out / "imageqa-vis-lstm.fmnist_qa.json"
    kwargs = json.loads(record.read_text())["imageqa-vis-lstm.fmnist_qa"]["builder_kwargs"] if record.exists() else {}
    return (f"Scale: {stats['total']['train'][0]:,} training and {stats['total']['test'][0]:,} test questions "
            "generated from the captions of 64×64 scenes (1–5 articles; train scenes hold train-split articles, test "
            "scenes test-split ones; a third each on a black, dark grey and grey background), pruned with COCO-QA's "
            f"constants (25 / 350 / 700); {kwargs.get('vocab_size', '?')} word ids, "
            f"{kwargs.get('num_answers', '?')} answers (COCO-QA: 9,739 and 431). Word embeddings "
            f"{kwargs.get('embedding_dim', '?')} and LSTMs {kwargs.get('hidden', '?')} per direction (paper: 500 / "
            "300); Adam instead of the paper's SGD with per-layer rates; early stopping on 10% of the training "
            "questions without the paper's retraining on train + validation. Image features: the frozen "
            f"`imageqa-encoder` (tinted Fashion-MNIST test accuracy {encoder['tinted_test_accuracy']:.4f} after "
            f"{encoder['epochs']} epochs), its first and last feature maps pooled to 4×4 and z-normalised, for the "
            "paper's VGG-19 fc7. The scene captions contain no \"in <artifact>\" phrase, so no location questions "
            f"arise. Best / run epochs per model: {runs}. One seed.")
