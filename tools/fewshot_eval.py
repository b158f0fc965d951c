"""Evaluate few-shot models over test episodes; build the paper-layout table of docs/RESULTS.md.

    python tools/fewshot_eval.py --weights=masked-soft-kmeans-conv4.glyphs --shots=1 --distractors
    python tools/fewshot_eval.py --table      # from runs/fewshot/*/result.json (tools/fewshot_train.py)

The table also scores "ProtoNet + semi-supervised inference": each ProtoNet run's weights used by the soft
k-means model at test time only.
"""
import json
import pathlib
import shlex
import sys

from absl import app, flags

import zoo
from zoo import benchmark
from zoo.fewshot import sources, training

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", "", "pretrained weight (ARCH.TAG) to evaluate")
flags.DEFINE_integer("shots", 1, "K labeled images per class")
flags.DEFINE_bool("distractors", False, "5 distractor classes per episode")
flags.DEFINE_integer("test_episodes", 600, "test episodes")
flags.DEFINE_bool("table", False, "write the results table from the finished runs")
flags.DEFINE_string("output", "runs/fewshot", "directory of the runs")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update ('' to only print)")

ROWS = (("Supervised ProtoNet", "protonet-conv4"), ("ProtoNet + semi-supervised inference", "protonet+inference"),
        ("Soft k-means", "soft-kmeans-conv4"), ("Soft k-means + cluster", "soft-kmeans-cluster-conv4"),
        ("Masked soft k-means", "masked-soft-kmeans-conv4"))
SETTINGS = ((1, False), (5, False), (1, True), (5, True))
# Paper (final version) miniImageNet 5-way accuracy, quoted by TPN (ICLR 2019) Table 9, for orientation.
PAPER_MINI = {"soft-kmeans-conv4": ("50.09±0.45", "64.59±0.28", "48.70±0.32", "63.55±0.28"),
              "soft-kmeans-cluster-conv4": ("49.03±0.24", "63.08±0.18", "48.86±0.32", "61.27±0.24"),
              "masked-soft-kmeans-conv4": ("50.41±0.31", "64.39±0.24", "49.04±0.31", "62.96±0.14")}


def setting_name(shots, distractors):
    return f"{shots}-shot{' w/ distractors' if distractors else ''}"


def evaluate_weights(model, shots, distractors):
    _, test_sampler = sources.paper_samplers("glyphs", shots, distractors)
    return training.evaluate(model, test_sampler, FLAGS.test_episodes)


def semi_supervised_inference(run, shots, distractors):
    """The soft k-means model with a ProtoNet run's weights (no training with unlabeled data)."""
    result_path = run / "inference_result.json"
    if result_path.exists():
        return json.loads(result_path.read_text())
    model = zoo.load("soft-kmeans-conv4", pretrained=False)
    model.load_weights(run / "checkpoint.weights.h5")
    accuracy, interval = evaluate_weights(model, shots, distractors)
    result = {"accuracy": accuracy, "interval": interval}
    result_path.write_text(json.dumps(result))
    return result


def table():
    output = pathlib.Path(FLAGS.output)
    results = {}
    for path in output.glob("*/result.json"):
        r = json.loads(path.read_text())
        results[r["model"], r["shots"], r["distractors"]] = r
        if r["model"] == "protonet-conv4":
            results["protonet+inference", r["shots"], r["distractors"]] = semi_supervised_inference(
                path.parent, r["shots"], r["distractors"])
    rows = []
    for label, key in ROWS:
        cells = [f"{100 * results[key, k, d]['accuracy']:.2f} ± {100 * results[key, k, d]['interval']:.2f}"
                 if (key, k, d) in results else "not run" for k, d in SETTINGS]
        rows.append((label, *cells, " / ".join(PAPER_MINI.get(key, ("–",)))))
    header = ("model", *(setting_name(k, d) for k, d in SETTINGS), "paper miniImageNet (1 / 5 / 1 D / 5 D)")
    steps = sorted({r["steps"] for r in results.values() if "steps" in r})
    body = "\n\n".join([
        "5-way accuracy (%) on 600 test episodes of the 600 Glyphs test classes (unseen in training), mean ± 95% "
        "interval; 5 queries per class; M = 5 unlabeled images per class in training and 20 at test; with "
        "distractors, 5 more classes contribute M unlabeled images each. Glyphs: 40 renderings per class, 40% "
        "labeled (split per image). Conv-4 (64 filters), Adam 1e-3 halved 4 times, weight decay 5e-5, "
        f"{', '.join(map(str, steps))} training episodes per model (paper, Omniglot: 20,000) on 2 CPU cores.",
        benchmark.markdown_table(header, rows),
        "Commands: `python tools/fewshot_train.py --model=MODEL --shots=K [--distractors]` per cell, then "
        "`python tools/fewshot_eval.py --table`.",
    ])
    print(body)
    if FLAGS.results:
        benchmark.write_section(FLAGS.results, "Semi-supervised few-shot learning on Glyphs", body,
                                shlex.join(["python", *sys.argv]))


def main(argv):
    del argv
    if FLAGS.table:
        return table()
    if not FLAGS.weights:
        raise app.UsageError("pass --weights=ARCH.TAG or --table")
    model = zoo.load(FLAGS.weights)
    accuracy, interval = evaluate_weights(model, FLAGS.shots, FLAGS.distractors)
    print(f"{FLAGS.weights} {setting_name(FLAGS.shots, FLAGS.distractors)}: {100 * accuracy:.2f} ± "
          f"{100 * interval:.2f}% over {FLAGS.test_episodes} episodes")


if __name__ == "__main__":
    app.run(main)
