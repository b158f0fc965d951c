"""How noisy is the GHN ground truth itself, and how much of the GHN's distance to the paper's R = 0.68 is that noise?

    python tools/ghn_ground_truth.py --architectures=100 --seed=1 --output=docs/data/ghn/ground_truth_seed1 \\
        --lane=0 --lanes=2   # and --lane=1: the same cells trained again from other weights and minibatches
    python tools/ghn_truth_noise.py --ground_truths=docs/data/ghn/ground_truth,docs/data/ghn/ground_truth_seed1

Reads two or more ground truths of the same cells that differ only in the SGD seed and reports, on the cells they
share:
- how the seeds rank each other (the ground truth's reliability r: Pearson R between two seeds) and the ceiling
  that noise puts on any ranking scored against one seed or against their mean (what a predictor that knows each
  cell's seed-free accuracy can expect: ``zoo.ghn.ranking.ranking_ceiling``);
- the SGD-k baselines of the first seed scored against its own final accuracy (as in Table 4 here) and against
  the other seeds';
- the GHN-free pooling count and each GHN's weight accuracy against each seed and against the mean over seeds;
- a bootstrap 95% interval of each Pearson R over the cells.
Writes a section of docs/RESULTS.md and a scatter plot (a few minutes per GHN on 2 cores).
"""
import itertools
import json
import os
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
flags.DEFINE_list("ground_truths", ["docs/data/ghn/ground_truth", "docs/data/ghn/ground_truth_seed1"],
                  "tools/ghn_ground_truth.py results of the same cells with different --seed")
flags.DEFINE_list("ghns", ["ghn.fashion_mnist"], "published GHN weights (ARCH.TAG) or tools/ghn_train.py run "
                  "directories")
flags.DEFINE_integer("validation_examples", 500, "held-out images the GHN weights are scored on")
flags.DEFINE_integer("batch_size", 250, "batch-normalization batch size of the GHN scoring")
flags.DEFINE_integer("bootstrap", 2000, "resamples of the cells for the 95% intervals")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update")
flags.DEFINE_string("section", "Graph HyperNetworks: the ground truth's own noise", "title of the section it writes")
flags.DEFINE_string("plot", "docs/images/ghn_truth_noise.png", "scatter plot")

HEADER = ("ranking", "scored against", "Pearson R", "95% interval", "Spearman ρ", "Kendall τ")


def main(argv):
    del argv
    runs = shared_cells([load_ground_truth(d) for d in FLAGS.ground_truths])
    seeds = [run[0]["config"]["seed"] for run in runs]
    truths = np.array([[r["test_accuracy"] for r in run] for run in runs])
    graphs = [ghn_graph.NetworkGraph.from_dict(r["graph"]) for r in runs[0]]
    rows = seed_rows(truths, seeds) + sgd_rows(runs, truths, seeds)
    pooling = ranking.structural_rankings(graphs)["fewer live pooling nodes"]
    rows += against_every_truth("fewer live pooling nodes", pooling, truths, seeds)
    data, ghn_scores = training.load_splits(), {}
    for name in FLAGS.ghns:
        ghn = models.load_run(name)[0] if pathlib.Path(name).is_dir() else zoo.load(name)
        scores = search.score_architectures(ghn, graphs, data, FLAGS.validation_examples, with_test=False,
                                            batch_size=FLAGS.batch_size,
                                            progress=lambda i, n: print(f"\r{name}: {i}/{n}", end="", flush=True))
        print()
        ghn_scores[name] = np.array(scores["validation_accuracy"])
        rows += against_every_truth(f"`{name}`, accuracy", ghn_scores[name], truths, seeds)
        rows += against_every_truth(f"`{name}`, −loss", -np.array(scores["validation_loss"]), truths, seeds)
    plot(truths, seeds, ghn_scores)
    body = (describe(runs, truths, seeds) + "\n\n" + benchmark.markdown_table(HEADER, rows)
            + f"\n\n![ground truth noise]({os.path.relpath(FLAGS.plot, os.path.dirname(FLAGS.results))})")
    benchmark.write_section(FLAGS.results, FLAGS.section, body, shlex.join(["python"] + sys.argv))
    print(body)


def load_ground_truth(directory):
    """The ``arch_*.json`` records of one ground-truth directory, by architecture index."""
    records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(directory).glob("arch_*.json"))]
    if not records:
        raise ValueError(f"--ground_truths entry {directory!r} holds no arch_*.json results")
    return {r["index"]: r for r in records}


def shared_cells(ground_truths):
    """The records of the cells every ground truth has, as one list per ground truth in index order; the ground
    truths must differ in their seed and in nothing else."""
    if len(ground_truths) < 2:
        raise ValueError(f"--ground_truths needs at least two directories, got {len(ground_truths)}")
    indices = sorted(set.intersection(*(set(g) for g in ground_truths)))
    if len(indices) < 3:
        raise ValueError(f"--ground_truths share {len(indices)} architectures; at least 3 are needed")
    runs = [[g[i] for i in indices] for g in ground_truths]
    configs = [{k: v for k, v in run[0]["config"].items() if k != "seed"} for run in runs]
    if any(c != configs[0] for c in configs) or any(
            r["graph"] != first["graph"] for run in runs for r, first in zip(run, runs[0])):
        raise ValueError("--ground_truths must train the same cells with the same SGD settings (only --seed differs)")
    if len({run[0]["config"]["seed"] for run in runs}) != len(runs):
        raise ValueError("--ground_truths must each use a different seed")
    return runs


def seed_rows(truths, seeds):
    """How each seed's ground truth ranks every other one (the reliability r), and the ceiling of any ranking
    scored against one seed or against the mean over seeds (``ranking.ranking_ceiling``)."""
    rows, pairwise = [], []
    for a, b in itertools.combinations(range(len(seeds)), 2):
        pairwise.append(np.corrcoef(truths[a], truths[b])[0, 1])
        rows.append((f"ground truth, seed {seeds[a]}", f"seed {seeds[b]}", *_cells(truths[b], truths[a])))
    r = min(max(float(np.mean(pairwise)), 0.0), 1.0)
    rows.append(("ceiling: the seed-free accuracy (√r)", "one seed", f"{ranking.ranking_ceiling(r):.2f}", "–", "–",
                 "–"))
    rows.append((f"ceiling: the seed-free accuracy (√(k r / (1 + (k − 1) r))), k = {len(seeds)}", "mean over seeds",
                 f"{ranking.ranking_ceiling(r, len(seeds)):.2f}", "–", "–", "–"))
    return rows


def sgd_rows(runs, truths, seeds):
    """The SGD-k baselines read off the first seed's runs (the rows Table 4 here shows), against that seed's own
    final accuracy (sharing its first k steps) and against each other seed's."""
    first = runs[0]
    steps = sorted(int(k) for k in first[0]["validation_accuracy_at"] if int(k) < first[0]["config"]["steps"])
    rows = []
    for k in steps:
        predicted = np.array([r["validation_accuracy_at"][str(k)] for r in first])
        for seed, truth in zip(seeds, truths):
            against = f"seed {seed}" + (" (its own run)" if seed == seeds[0] else "")
            rows.append((f"SGD {k} steps, seed {seeds[0]}", against, *_cells(truth, predicted)))
    return rows


def against_every_truth(label, predicted, truths, seeds):
    """Rows of how ``predicted`` ranks against each seed's ground truth and against their mean."""
    targets = [(f"seed {s}", t) for s, t in zip(seeds, truths)] + [("mean over seeds", truths.mean(axis=0))]
    return [(label, name, *_cells(target, predicted)) for name, target in targets]


def _cells(truth, predicted):
    """Pearson R, its bootstrap interval, Spearman ρ and Kendall τ of ``predicted`` against ``truth``, as text."""
    result = ranking.correlations(truth, predicted)
    low, high = ranking.pearson_interval(truth, predicted, FLAGS.bootstrap)
    return (f"{result['pearson']:.2f}", f"{low:.2f}–{high:.2f}", f"{result['spearman']:.2f}",
            f"{result['kendall']:.2f}")


def describe(runs, truths, seeds):
    """What the section's table ranks and how."""
    config, skeleton = runs[0][0]["config"], runs[0][0]["graph"]
    spread = ", ".join(f"seed {s}: mean {100 * t.mean():.1f}%, range {100 * t.min():.1f}–{100 * t.max():.1f}%"
                       for s, t in zip(seeds, truths))
    gap = np.abs(truths[0] - truths[1])
    return (f"{truths.shape[1]} random unseen architectures (`zoo.ghn.search.evaluation_architecture`: 17-node "
            f"cells; skeleton: {skeleton['channels']} channels, {len(skeleton['stages'])} stages of "
            f"{skeleton['stages'][0]} cell(s)), each trained {len(seeds)} times with the ground-truth recipe "
            f"({config['steps']} SGD steps, batch {config['batch_size']}, lr {config['lr']} cosine) from different "
            f"seeds (initial weights and minibatch order; `{'`, `'.join(FLAGS.ground_truths)}`). Test accuracy: "
            f"{spread}; the same cell's accuracies under seeds {seeds[0]} and {seeds[1]} differ by "
            f"{100 * np.median(gap):.2f} points in the median "
            f"({100 * gap.max():.2f} at most). "
            "The seed-to-seed Pearson R is the ground truth's reliability r; no ranking scored against one seed can "
            "expect more than √r, what the seed-free accuracy of each cell would reach. SGD-k rows: validation "
            f"accuracy after k steps of the seed-{seeds[0]} runs, scored against their own final accuracy (as Table 4 "
            "here does) and against the other seeds'. GHN rows: validation accuracy (and −loss) of GHN-predicted "
            f"weights on {FLAGS.validation_examples} held-out images, batch normalization with batches of "
            f"{FLAGS.batch_size}. "
            f"Intervals: 95% percentile bootstrap over the cells ({FLAGS.bootstrap} resamples).")


def plot(truths, seeds, ghn_scores):
    """Left: the first two seeds' ground truths against each other. Right: each GHN's weight accuracy against the
    mean over seeds."""
    plt = benchmark.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    axes[0].scatter(100 * truths[0], 100 * truths[1], s=12)
    low, high = 100 * truths.min(), 100 * truths.max()
    axes[0].plot([low, high], [low, high], color="grey", lw=0.8)
    axes[0].set(xlabel=f"test accuracy %, seed {seeds[0]}", ylabel=f"test accuracy %, seed {seeds[1]}",
                title=f"ground truth: R = {np.corrcoef(truths[0], truths[1])[0, 1]:.2f}")
    mean = truths.mean(axis=0)
    for name, scores in ghn_scores.items():
        axes[1].scatter(100 * scores, 100 * mean, s=12, label=f"{name}: R = {np.corrcoef(mean, scores)[0, 1]:.2f}")
    axes[1].set(xlabel="validation accuracy % with GHN weights", ylabel="test accuracy %, mean over seeds",
                title="GHN against the mean ground truth")
    if ghn_scores:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FLAGS.plot, dpi=110)


if __name__ == "__main__":
    app.run(main)
