"""The recorded few-shot result (``fewshot_glyphs``, ``tools/fewshot/table.py``): the finished training runs of
``tools/fewshot/train.py`` collected into the paper's layout (models × settings), with ProtoNet's weights also
scored by soft k-means inference at test time, and the paper's miniImageNet numbers beside them."""
import json
import pathlib

import zoo
from zoo import reporting
from zoo.fewshot import sources, training

ROWS = (("Supervised ProtoNet", "protonet-conv4"), ("ProtoNet + semi-supervised inference", "protonet+inference"),
        ("Soft k-means", "soft-kmeans-conv4"), ("Soft k-means + cluster", "soft-kmeans-cluster-conv4"),
        ("Masked soft k-means", "masked-soft-kmeans-conv4"))
"""Row label and model of the table (``protonet+inference``: a ProtoNet run's weights in the soft k-means model)."""

SETTINGS = ((1, False), (5, False), (1, True), (5, True))
"""The table's columns: (shots, distractors)."""

PAPER_MINI = {"soft-kmeans-conv4": ("50.09±0.45", "64.59±0.28", "48.70±0.32", "63.55±0.28"),
              "soft-kmeans-cluster-conv4": ("49.03±0.24", "63.08±0.18", "48.86±0.32", "61.27±0.24"),
              "masked-soft-kmeans-conv4": ("50.41±0.31", "64.39±0.24", "49.04±0.31", "62.96±0.14")}
"""The paper's (final version) miniImageNet 5-way accuracy, quoted by TPN (ICLR 2019) Table 9, for orientation."""


def setting_name(shots, distractors):
    """A column's name, e.g. ``1-shot w/ distractors``."""
    return f"{shots}-shot{' w/ distractors' if distractors else ''}"


def glyphs_test_sampler(shots, distractors):
    """The paper's test-episode sampler of Glyphs (the default of :func:`collect`)."""
    return sources.paper_samplers("glyphs", shots, distractors)[1]


def semi_supervised_inference(run, sampler, episodes, **builder_kwargs):
    """``{"accuracy", "interval"}`` of the soft k-means model with the weights of the ProtoNet run ``run`` (no
    training with unlabeled data) on ``episodes`` episodes of ``sampler``; cached as ``run/inference_result.json``."""
    path = pathlib.Path(run) / "inference_result.json"
    if path.exists():
        return json.loads(path.read_text())
    model = zoo.load("soft-kmeans-conv4", pretrained=False, **builder_kwargs)
    model.load_weights(pathlib.Path(run) / "checkpoint.weights.h5")
    accuracy, interval = training.evaluate(model, sampler, episodes)
    result = {"accuracy": accuracy, "interval": interval}
    path.write_text(json.dumps(result))
    return result


def collect(output, episodes=600, sampler_for=glyphs_test_sampler, **builder_kwargs):
    """``{(model, shots, distractors): result}`` of every finished run under ``output`` (``*/result.json``), plus
    ``("protonet+inference", ...)`` for every ProtoNet run (:func:`semi_supervised_inference` on
    ``sampler_for(shots, distractors)``)."""
    results = {}
    for path in sorted(pathlib.Path(output).glob("*/result.json")):
        r = json.loads(path.read_text())
        results[r["model"], r["shots"], r["distractors"]] = r
        if r["model"] == "protonet-conv4":
            results["protonet+inference", r["shots"], r["distractors"]] = semi_supervised_inference(
                path.parent, sampler_for(r["shots"], r["distractors"]), episodes, **builder_kwargs)
    return results


def table(results):
    """The paper-layout :class:`zoo.reporting.Table` of :func:`collect`: accuracy ± 95% interval (%) per model and
    setting (``not run`` where missing), with the paper's miniImageNet numbers."""
    rows = []
    for label, key in ROWS:
        cells = [f"{100 * results[key, k, d]['accuracy']:.2f} ± {100 * results[key, k, d]['interval']:.2f}"
                 if (key, k, d) in results else "not run" for k, d in SETTINGS]
        rows.append([label, *cells, " / ".join(PAPER_MINI.get(key, ("–",)))])
    return reporting.Table(["model", *(setting_name(k, d) for k, d in SETTINGS),
                            "paper miniImageNet (1 / 5 / 1 D / 5 D)"], rows)


def notes(results):
    """The setting of the table and the commands that fill it."""
    steps = sorted({r["steps"] for r in results.values() if "steps" in r})
    return ["5-way accuracy (%) on 600 test episodes of the 600 Glyphs test classes (unseen in training), mean ± 95% "
            "interval; 5 queries per class; M = 5 unlabeled images per class in training and 20 at test; with "
            "distractors, 5 more classes contribute M unlabeled images each. Glyphs: 40 renderings per class, 40% "
            "labeled (split per image). Conv-4 (64 filters), Adam 1e-3 halved 4 times, weight decay 5e-5, "
            f"{', '.join(map(str, steps))} training episodes per model (paper, Omniglot: 20,000) on 2 CPU cores.",
            "Commands: `python tools/fewshot/train.py --model=MODEL --shots=K [--distractors]` per cell, then "
            "`python tools/fewshot/table.py --table`."]
