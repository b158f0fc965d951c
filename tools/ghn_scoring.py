"""How GHNs rank a set of trained architectures under each way of scoring their weights, beside the SGD-step
baselines read off the same training runs and two rankings that need no network at all (parameter count, pooling
count).

    python tools/ghn_scoring.py          # the published ghn.fashion_mnist on the stored ground truth
    python tools/ghn_scoring.py --ground_truth=docs/data/ghn/ground_truth_2cells \\
        --ghns=ghn.fashion_mnist,runs/ghn/ft_2cells --batch_sizes=250 --section="..."   # a deeper skeleton
    python tools/ghn_scoring.py --sweeps=1,3,5,8,12 --validation_examples=2000 --batch_sizes=250 \\
        --section="Graph HyperNetworks: sweeps at prediction time"

Each scoring choice is a number of validation images and a batch-normalization batch size (the GHN predicts no
running statistics, so its weights are scored with batch statistics; ppuda: batches of 64, our tools: 250) and,
with --sweeps, the forward-backward sweeps T the GHN runs to predict the weights.
Writes a section of docs/RESULTS.md (about 10 minutes per GHN on 2 cores with the default choices).
"""
import json
import pathlib
import shlex
import sys

import numpy as np
from absl import app, flags

import zoo
from zoo import benchmark
from zoo.ghn import graph as ghn_graph
from zoo.ghn import models, ranking, search, training

FLAGS = flags.FLAGS
flags.DEFINE_list("ghns", ["ghn.fashion_mnist"], "published GHN weights (ARCH.TAG) or tools/ghn_train.py run "
                  "directories")
flags.DEFINE_list("validation_examples", ["500", "2000"], "held-out images each score is measured on")
flags.DEFINE_list("batch_sizes", ["64", "250", "2000"], "batch-normalization batch sizes (each at most the images)")
flags.DEFINE_list("sweeps", [], "forward-backward sweeps T the GHN runs when it predicts the weights (default: the T "
                  "it was trained with)")
flags.DEFINE_string("ground_truth", search.GROUND_TRUTH, "tools/ghn_ground_truth.py results")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update")
flags.DEFINE_string("section", "Graph HyperNetworks: how GHN weights are scored", "title of the section it writes")

HEADER = ("ranking", "s per architecture", "Pearson R", "Spearman ρ", "Kendall τ", "Pearson R, −loss",
          "Spearman ρ, −loss", "Kendall τ, −loss", "mean accuracy %")


def main(argv):
    del argv
    records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(FLAGS.ground_truth).glob("arch_*.json"))]
    if not records:
        raise ValueError(f"--ground_truth {FLAGS.ground_truth!r} holds no arch_*.json results")
    if any(int(t) < 1 for t in FLAGS.sweeps):
        raise ValueError(f"--sweeps must be positive integers, got {','.join(FLAGS.sweeps)}")
    truth = np.array([r["test_accuracy"] for r in records])
    graphs = [ghn_graph.NetworkGraph.from_dict(r["graph"]) for r in records]
    data = training.load_splits()
    stored = stored_truth(records)
    rows, pearson = baseline_rows(records, truth, graphs, stored), {}
    for name in FLAGS.ghns:
        ghn = models.load_run(name)[0] if pathlib.Path(name).is_dir() else zoo.load(name)
        ghn_rows, pearson[name] = score_rows(name, ghn, graphs, truth, stored, data)
        rows += ghn_rows
    body = (describe(records, truth) + "\n\n" + benchmark.markdown_table(HEADER, rows) + "\n\n"
            + " ".join(f"Over {len(r)} scoring choice{'s' * (len(r) > 1)}, `{name}` ranks at Pearson R "
                       f"{_span(r, 0)} by accuracy and {_span(r, 1)} by loss." for name, r in pearson.items()))
    benchmark.write_section(FLAGS.results, FLAGS.section, body, shlex.join(["python"] + sys.argv))
    print(body)


def score_rows(name, ghn, graphs, truth, stored, data):
    """One table row per scoring choice of GHN ``ghn`` (shown as ``name``), and the (Pearson R by accuracy, by
    loss) pairs of those rows; where ``stored`` (the stored ground truth of the same cells) is given, each choice
    also gets a row of how the same scores rank against it."""
    rows, pearson = [], []
    for sweeps in [int(t) for t in FLAGS.sweeps] or [ghn.sweeps]:
        ghn.sweeps = sweeps
        for images in (int(n) for n in FLAGS.validation_examples):
            for batch_size in (int(b) for b in FLAGS.batch_sizes if int(b) <= images):
                label = f"`{name}`, {f'T = {sweeps}, ' if FLAGS.sweeps else ''}{images} images, batch {batch_size}"
                scores = search.score_architectures(
                    ghn, graphs, data, images, with_test=False, batch_size=batch_size,
                    progress=lambda i, n: print(f"\r{label}: {i}/{n}", end="", flush=True))
                print()
                row, pair = _scored_row(label, scores, truth)
                rows.append(row)
                pearson.append(pair)
                if stored is not None:
                    rows.append(_scored_row(label + ", against the stored ground truth", scores, stored)[0])
    return rows, pearson


def _scored_row(label, scores, truth):
    """The table row of how GHN ``scores`` rank against ``truth``, and its (Pearson R by accuracy, by loss)."""
    by_accuracy = ranking.correlations(truth, scores["validation_accuracy"])
    by_loss = ranking.correlations(truth, -np.asarray(scores["validation_loss"]))
    row = (label, f"{np.median(scores['seconds']):.2f}", *_cells(by_accuracy), *_cells(by_loss),
           f"{100 * np.mean(scores['validation_accuracy']):.1f}")
    return row, (by_accuracy["pearson"], by_loss["pearson"])


def describe(records, truth):
    """What the section's table ranks and how."""
    config, skeleton = records[0]["config"], records[0]["graph"]
    return (f"{len(records)} random unseen architectures (`zoo.ghn.search.evaluation_architecture`: 17-node cells; "
            f"skeleton: {skeleton['channels']} channels, {len(skeleton['stages'])} stages of "
            f"{skeleton['stages'][0]} cell(s) after a stride-2 stem). Ground truth: test accuracy after "
            f"{config['steps']} SGD steps (batch {config['batch_size']}, lr {config['lr']} cosine; mean "
            f"{100 * truth.mean():.1f}%, range {100 * truth.min():.1f}–{100 * truth.max():.1f}%; "
            f"`{FLAGS.ground_truth}`). "
            "GHN rows: validation accuracy (and −loss) of GHN-predicted weights, with batch normalization using the "
            "statistics of each batch of the given size (ppuda evaluates with batches of 64; our tools use 250)"
            + ("; T = the forward–backward sweeps the GHN runs to predict them, whatever T it was trained with"
               if FLAGS.sweeps else "") + "; "
            "seconds per architecture are the median wall time of prediction + validation pass here, under whatever "
            "else shared the machine (docs/BENCHMARKS.md has the quiet-machine costs). SGD rows: validation accuracy "
            "after k steps of the ground-truth run (its cosine schedule cut at k). The GHN-free rows rank by "
            "parameter count (more first) and by the cell's live pooling nodes (fewer first; the cell count that "
            "correlates most with the stored ground truth, so chosen after looking). Where the stored ground truth "
            "has the same cells, a row gives how it ranks them, and rows 'against the stored ground truth' give how "
            "the same GHN scores rank against it.")


def stored_truth(records):
    """Test accuracies of the same cells in the stored ground truth, if --ground_truth is another one that the
    stored one covers; else None."""
    stored = pathlib.Path(search.GROUND_TRUTH)
    paths = [stored / f"arch_{r['index']:03d}.json" for r in records]
    if pathlib.Path(FLAGS.ground_truth).resolve() == stored.resolve() or not all(p.exists() for p in paths):
        return None
    return np.array([json.loads(p.read_text())["test_accuracy"] for p in paths])


def baseline_rows(records, truth, graphs, stored):
    """Rows for the SGD-step baselines, the GHN-free rankings and, if given, the stored ground truth of the same
    cells."""
    steps = records[0]["config"]["steps"]
    rows = [(f"SGD {k} steps", "–", *_cells(ranking.correlations(truth, [r["validation_accuracy_at"][str(k)]
                                                                          for r in records])), "–", "–", "–", "–")
            for k in sorted(int(k) for k in records[0]["validation_accuracy_at"]) if k < steps]
    if stored is not None:
        rows.append((f"stored ground truth of the same cells (`{search.GROUND_TRUTH}`)", "–",
                     *_cells(ranking.correlations(truth, stored)), "–", "–", "–", "–"))
    rows += [(name, "–", *_cells(ranking.correlations(truth, counts)), "–", "–", "–", "–")
             for name, counts in ranking.structural_rankings(graphs).items()]
    return rows


def _cells(result):
    return [f"{result[name]:.2f}" for name in ("pearson", "spearman", "kendall")]


def _span(pairs, column):
    values = [pair[column] for pair in pairs]
    low, high = f"{min(values):.2f}", f"{max(values):.2f}"
    return low if low == high else f"{low}–{high}"


if __name__ == "__main__":
    app.run(main)
