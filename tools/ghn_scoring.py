"""Does the way GHN weights are scored change the ranking? The stored ground truth's architectures scored by one
GHN with each number of validation images and each batch-normalization batch size, beside two rankings that need
no GHN at all: by parameter count and by a count of the cell's pooling nodes.

    python tools/ghn_scoring.py                      # the published ghn.fashion_mnist
    python tools/ghn_scoring.py --run=runs/ghn/ln_mb4  # a tools/ghn_train.py run

The GHN predicts no running statistics, so its weights are scored with batch statistics: ppuda uses batches of 64,
our tools 250. Writes a section of docs/RESULTS.md (about 10 minutes on 2 cores).
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
from zoo.ghn import models, search, training

FLAGS = flags.FLAGS
flags.DEFINE_string("run", "", "a tools/ghn_train.py run directory; empty: the published ghn.fashion_mnist")
flags.DEFINE_list("validation_examples", ["500", "2000"], "held-out images each score is measured on")
flags.DEFINE_list("batch_sizes", ["64", "250", "2000"], "batch-normalization batch sizes (each at most the images)")
flags.DEFINE_string("ground_truth", search.GROUND_TRUTH, "tools/ghn_ground_truth.py results")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update")
flags.DEFINE_string("section", "Graph HyperNetworks: how GHN weights are scored", "title of the section it writes")


def main(argv):
    del argv
    records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(FLAGS.ground_truth).glob("arch_*.json"))]
    truth = np.array([r["test_accuracy"] for r in records])
    graphs = [search.evaluation_architecture(r["index"]) for r in records]
    data = training.load_splits()
    ghn = models.load_run(FLAGS.run)[0] if FLAGS.run else zoo.load("ghn", pretrained="fashion_mnist")
    rows, pearson = [], {"accuracy": [], "−loss": []}
    for images in (int(n) for n in FLAGS.validation_examples):
        for batch_size in (int(b) for b in FLAGS.batch_sizes if int(b) <= images):
            scores = search.score_architectures(
                ghn, graphs, data, images, with_test=False, batch_size=batch_size,
                progress=lambda i, n: print(f"\r{images} images, batch {batch_size}: {i}/{n}", end="", flush=True))
            print()
            by_accuracy = search.correlations(truth, scores["validation_accuracy"])
            by_loss = search.correlations(truth, -np.asarray(scores["validation_loss"]))
            pearson["accuracy"].append(by_accuracy["pearson"])
            pearson["−loss"].append(by_loss["pearson"])
            rows.append((f"GHN weights, {images} images, batch {batch_size}", f"{np.median(scores['seconds']):.2f}",
                         *_correlation_cells(by_accuracy), *_correlation_cells(by_loss),
                         f"{100 * np.mean(scores['validation_accuracy']):.1f}"))
    rows += [(name, "–", *_correlation_cells(search.correlations(truth, counts)), "–", "–", "–", "–")
             for name, counts in structural_rankings(graphs).items()]
    command = shlex.join(["python"] + sys.argv)
    source = f"`{FLAGS.run}`" if FLAGS.run else "the published `ghn.fashion_mnist` (run `ln_mb4`)"
    body = (f"The {len(truth)} architectures of the stored ground truth (the Table 4 sections above: 17-node cells, "
            f"8 channels, test accuracy after 1500 SGD steps) ranked by {source} with each scoring choice. The GHN "
            "predicts no running statistics, so batch normalization uses the statistics of each batch of the given "
            "size (ppuda evaluates with batches of 64; our tools use 250). Seconds per architecture: median wall "
            "time of prediction + validation pass here, under whatever else shared the machine "
            "(docs/BENCHMARKS.md has the quiet-machine costs). The last rows rank without a GHN: by parameter count "
            "(more first), and by the number of live pooling nodes in the cell (fewer first) — the cell count that "
            "correlates most with the ground truth in the table above, so chosen after looking at it.\n\n"
            + benchmark.markdown_table(
                ("ranking", "s per architecture", "Pearson R", "Spearman ρ", "Kendall τ", "Pearson R, −loss",
                 "Spearman ρ, −loss", "Kendall τ, −loss", "mean accuracy %"), rows)
            + f"\n\nOver the {len(pearson['accuracy'])} scoring choices the GHN's Pearson R spans "
            + " and ".join(f"{min(r):.2f}–{max(r):.2f} by {by}" for by, r in pearson.items()) + ".")
    benchmark.write_section(FLAGS.results, FLAGS.section, body, command)
    print(body)


def structural_rankings(graphs):
    """Higher-is-better scores that need no training: parameter count, and minus the cell's live pooling nodes."""
    return {"parameter count": [sum(int(np.prod(shape)) for shape in g.parameter_shapes().values()) for g in graphs],
            "fewer live pooling nodes": [-ghn_graph.cell_structure(g.cell)["live_pooling"] for g in graphs]}


def _correlation_cells(result):
    return [f"{result[name]:.2f}" for name in ("pearson", "spearman", "kendall")]


if __name__ == "__main__":
    app.run(main)
