"""Score every image-QA model trained by tools/imageqa_train.py on the generated test set (accuracy, WUPS@0.9,
WUPS@0.0, overall and per question type), with the paper's COCO-QA numbers beside them, the data set's
statistics table, and a per-type accuracy plot; writes docs/RESULTS.md's image-QA section.

    python tools/imageqa_eval.py                     # reads runs/imageqa
"""
import json
import os
import pathlib
import sys

import numpy as np
from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("output", "runs/imageqa", "directory written by tools/imageqa_train.py")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file whose image-QA section is replaced")
flags.DEFINE_string("plot", "docs/images/imageqa_accuracy.png", "per-type accuracy plot")

MODELS = (("guess", "GUESS"), ("bow", "BOW"), ("lstm", "LSTM"), ("img-bow", "IMG+BOW"), ("vis-lstm", "VIS+LSTM"),
          ("2vis-blstm", "2-VIS+BLSTM"), ("full", "FULL"))
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


def predictions(out, name):
    """Predicted answer ids of model ``name`` on the test questions."""
    if name == "guess":
        return np.load(out / "guess.answers.npy")
    return np.argmax(np.load(out / f"{name}.probs.npy"), axis=1)


def _plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from zoo.imageqa import qgen
    types = [t for t in qgen.QUESTION_TYPES if any(t in r["per_type"] for r in results.values())] + ["overall"]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(results)
    for k, (label, result) in enumerate(results.items()):
        values = [result["overall"]["accuracy"] if t == "overall" else result["per_type"][t]["accuracy"]
                  for t in types]
        ax.bar(np.arange(len(types)) + k * width, values, width, label=label)
    ax.set_xticks(np.arange(len(types)) + 0.4 - width / 2, types)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.legend(ncol=4, fontsize=8)
    ax.set_title("Image QA on Fashion-MNIST scenes: accuracy per question type")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv):
    del argv
    from zoo import benchmark
    from zoo.imageqa import data, evaluation, qgen
    out = pathlib.Path(FLAGS.output)
    dataset, vocabulary = data.load(out, images=False)
    results = {label: evaluation.evaluate(predictions(out, name), dataset["test"], vocabulary)
               for name, label in MODELS if name == "guess" or (out / f"{name}.probs.npy").exists()}
    (out / "results.json").write_text(json.dumps(results, indent=1))
    present = [t for t in qgen.QUESTION_TYPES if dataset["test"]["types"].tolist().count(qgen.QUESTION_TYPES.index(t))]

    stats = data.statistics(dataset)
    lines = ["Questions by type (paper: COCO-QA, the authors' poster):", "",
             "| type | train | % | test | % | paper train | % | paper test | % |", "|---|" + "---|" * 8]
    for name in list(qgen.QUESTION_TYPES) + ["total"]:
        (n_train, p_train), (n_test, p_test) = stats[name]["train"], stats[name]["test"]
        pt, pp, qt, qp = PAPER_STATISTICS[name]
        lines.append(f"| {name} | {n_train:,} | {p_train:.1f} | {n_test:,} | {p_test:.1f} | {pt:,} | {pp:.2f} | "
                     f"{qt:,} | {qp:.2f} |")
    texts = json.loads((out / "questions.json").read_text())["test"]
    lines += ["", "Examples (the first test question of each type that occurs):", ""]
    for t, name in enumerate(qgen.QUESTION_TYPES):
        found = np.flatnonzero(dataset["test"]["types"] == t)
        if len(found):
            answer = vocabulary.answers[dataset["test"]["answers"][found[0]]]
            lines.append(f"- {name}: “{texts[found[0]]}?” → {answer}")
    lines += ["", "Overall (accuracy / WUPS@0.9 / WUPS@0.0; paper: COCO-QA):", "",
              "| model | accuracy | WUPS 0.9 | WUPS 0.0 | paper |", "|---|---|---|---|---|"]
    for label, result in results.items():
        o = result["overall"]
        paper = " / ".join(f"{v:.4f}" for v in PAPER_OVERALL[label])
        lines.append(f"| {label} | {o['accuracy']:.4f} | {o['wups_0.9']:.4f} | {o['wups_0.0']:.4f} | {paper} |")
    lines += ["", "Accuracy per question type (paper's COCO-QA accuracy in brackets):", "",
              "| model | " + " | ".join(present) + " |", "|---|" + "---|" * len(present)]
    for label, result in results.items():
        cells = [f"{result['per_type'][t]['accuracy']:.4f} ({PAPER_PER_TYPE[label][qgen.QUESTION_TYPES.index(t)]:.4f})"
                 for t in present]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "WUPS@0.9 / WUPS@0.0 per question type:", "", "| model | " + " | ".join(present) + " |",
              "|---|" + "---|" * len(present)]
    for label, result in results.items():
        cells = [f"{result['per_type'][t]['wups_0.9']:.4f} / {result['per_type'][t]['wups_0.0']:.4f}" for t in present]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    _plot(results, pathlib.Path(FLAGS.plot))
    plot = os.path.relpath(FLAGS.plot, pathlib.Path(FLAGS.results).parent)
    lines += ["", f"![accuracy per question type]({plot})"]
    print("\n".join(lines))
    benchmark.write_section(FLAGS.results, "Image question answering (Fashion-MNIST scenes, COCO-QA protocol)",
                            "\n".join(lines) + "\n\n" + _notes(out, stats), " ".join(["python"] + sys.argv))


def _notes(out, stats):
    """Scale and training facts read from the run's own records."""
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


if __name__ == "__main__":
    app.run(main)
