"""The GHN ranking levers against the SGD ground truths of both seeds: one row per lever and combination with
Pearson R (bootstrap interval), Spearman ρ, the correlation beyond structure and its cost per architecture as a
ratio to 1,000 SGD steps; a second table gives each lever's gain in R over the shipped GHN against each ground truth
and their mean, with paired bootstrap intervals; a third the test accuracy of GHN-predicted weights on 7- and 17-node
cells, for the GHNs trained on 7-node cells and on 7–17-node cells (lever 3).

    python tools/ghn/levers.py            # rows whose GHN runs are missing under --runs are left out, with a note

Lever 1 (batch norm after each cell's leaf sum) changes the networks, so it is judged against ground truths of those
networks (tools/ghn/ground_truth.py --cell_output_norm=batch_norm). Scores are cached in docs/data/ghn/scores.
"""
import pathlib
import shlex
import sys

import numpy as np
from absl import app, flags

import zoo
from zoo import reporting
from zoo.ghn import levers, models, plots, search, training

FLAGS = flags.FLAGS
flags.DEFINE_string("runs", "runs/ghn", "directory of tools/ghn/train.py runs")
flags.DEFINE_integer("resamples", 2000, "bootstrap resamples")

GROUND_TRUTHS = {
    "sum": {"seed 0": "docs/data/ghn/ground_truth", "seed 1": "docs/data/ghn/ground_truth_seed1"},
    "cell-output BN": {"seed 0": "docs/data/ghn/ground_truth_cellnorm",
                       "seed 1": "docs/data/ghn/ground_truth_cellnorm_seed1"},
}
FIGURE = "images/ghn_levers.png"
"""The R-against-cost figure, relative to docs/."""
MIN_CELLS = 50
"""Cells a ground truth needs before it judges (the second seed of a network family needs at least 50)."""
SHIPPED = "ghn.fashion_mnist"
SEEDS = [SHIPPED, "ln_mb4_seed1", "ln_mb4_seed2"]
LEVERS = [  # label, its name in the figure, network family, GHNs (weights or runs) averaged, validation images
    ("shipped GHN", "shipped", "sum", [SHIPPED], 500),
    *((f"2b: {n} validation batches", f"2b ×{n}", "sum", [SHIPPED], 250 * n) for n in (1, 4, 8, 16)),
    *((f"2a: the seed-{k} GHN alone", f"seed {k}", "sum", [name], 500) for k, name in enumerate(SEEDS[1:], 1)),
    *((f"2a: {n} GHNs averaged", f"2a ×{n}", "sum", SEEDS[:n], 500) for n in range(2, len(SEEDS) + 1)),
    ("3: trained on 7–17-node cells", "3", "sum", ["mix7to17"], 500),
    ("1: batch norm after the cell output", "1", "cell-output BN", ["cellnorm"], 500),
    ("1 + 3 (1,000 steps)", "1 + 3", "cell-output BN", ["cellnorm_mix7to17"], 500),
]
SIZE_LEVERS = ["shipped GHN", "3: trained on 7–17-node cells", "1: batch norm after the cell output",
               "1 + 3 (1,000 steps)"]
"""Lever 3 beside the GHNs trained on 7-node cells only, judged on both cell sizes."""
SMALL_CELL_TRUTHS = {"sum": "docs/data/ghn/ground_truth_7nodes",
                     "cell-output BN": "docs/data/ghn/ground_truth_cellnorm_7nodes"}
"""SGD ground truths (seed 0) of 7-node evaluation cells, the size the GHNs train on."""
CELL_SIZES = (7, 17)
SIZE_ARCHITECTURES = 20
"""Unseen evaluation architectures per cell size on which each GHN's predicted weights are tested."""
JUDGES = ("seed 0", "seed 1", "mean")
HEADER = ("ranking", "network", "R vs seed 0", "R vs seed 1", "R vs mean", "ρ vs mean", "R beyond structure",
          "cost ratio", "trace s")
GAIN_HEADER = ("ranking", "cells", "ΔR vs seed 0", "ΔR vs seed 1", "ΔR vs mean")
SIZE_HEADER = ("GHN", "network", *(f"test accuracy, {n}-node cells" for n in CELL_SIZES),
               "R on live 7-node cells (seed 0)", "R on 17-node cells (mean)")


def main(argv):
    del argv
    read = {family: {seed: levers.GroundTruth.read(d) for seed, d in seeds.items() if pathlib.Path(d).is_dir()}
            for family, seeds in GROUND_TRUTHS.items()}
    # a ground truth still being generated judges nothing until it has the minimum of cells
    truths = {family: {seed: t for seed, t in seeds.items() if len(t.indices) >= MIN_CELLS}
              for family, seeds in read.items()}
    partial = [f"{family} {seed} ({len(t.indices)} cells)" for family, seeds in read.items()
               for seed, t in seeds.items() if len(t.indices) < MIN_CELLS]
    data = training.load_splits()
    scored, rows, points, gains, missing, agreements = {}, [], [], [], [], []
    for label, short, family, names, examples in LEVERS:
        paths = [_score_path(n, family, examples) for n in names]
        if not truths[family] or any(_loader(n) is None and not path.is_file() for n, path in zip(names, paths)):
            missing.append(label)
            continue
        first = next(iter(truths[family].values()))
        parts = [levers.score(_loader(n), first, data, examples, path) for n, path in zip(names, paths)]
        scores = levers.Scores.mean(parts)
        judged, count = levers.judge_lever(scores.accuracy, scores.indices, truths[family], FLAGS.resamples)
        scored[label] = (scores, judged.get("mean") or judged["seed 0"], count)
        if len(parts) > 1:
            agreements.append(f"{label}: the GHNs' scores agree with each other at R "
                              f"{levers.mutual_agreement(parts):.2f} (mean over pairs)")
        row, point = _row(label, short, family, scores, judged, count, first)
        rows.append(row)
        points.append(point)
        if label != "shipped GHN" and "shipped GHN" in scored:
            gains.append(_gains(label, scores, truths[family], scored["shipped GHN"][0], truths["sum"]))
    for family, family_truths in truths.items():
        if family_truths:
            baseline_rows, baseline_points = _baselines(family_truths, family)
            rows += baseline_rows
            points += baseline_points
    notes = [(f"Ground truths: {', '.join(f'{f} networks {len(t)} seed(s)' for f, t in truths.items() if t)}; "
             "R with 95% bootstrap intervals over the architectures; cost ratio = median seconds of 1,000 SGD steps "
             "over the ranking's seconds per architecture (its one-off graph trace per skeleton beside it).")]
    notes += [_spread(family, family_truths) for family, family_truths in truths.items() if family_truths]
    notes += [f"{'; '.join(agreements)}."] if agreements else []
    if missing:
        notes.append(f"Not measured (runs missing): {'; '.join(missing)}.")
    if partial:
        notes.append(f"Ground truths in progress, not judged until they have {MIN_CELLS} cells: {'; '.join(partial)}.")
    sizes, size_notes = _cell_size_rows(data, scored, truths)
    notes += size_notes
    tables = [reporting.Table(list(HEADER), rows),
              reporting.Table(list(GAIN_HEADER), gains, "Gain in R over the shipped GHN (paired bootstrap interval "
                              "over the architectures both were judged on; each against its own networks' ground "
                              "truth of the same seed):"),
              reporting.Table(list(SIZE_HEADER), sizes, f"Both cell sizes: mean test accuracy of GHN-predicted "
                              f"weights (SGD: of the trained networks) on the first {SIZE_ARCHITECTURES} unseen "
                              "evaluation architectures of each size, and the ranking R by accuracy on each size's "
                              "ground truth (7-node cells: seed 0 only, the cells whose output is live; cells judged "
                              "in brackets):")]
    plots.levers(points, pathlib.Path("docs") / FIGURE)
    reporting.write_result("ghn_levers", shlex.join(["python", *sys.argv]), tables, figures=[FIGURE], notes=notes,
                           data={"points": points})
    print(reporting.markdown_table(HEADER, rows))
    print(reporting.markdown_table(GAIN_HEADER, gains))
    print(reporting.markdown_table(SIZE_HEADER, sizes))


def _cell_size_rows(data, scored, truths):
    """Rows of the cell-size table (each scored lever of :data:`SIZE_LEVERS` and the SGD ground truths, on 7- and
    17-node cells) and notes on the 7-node cells left out of its R."""
    small = {family: levers.GroundTruth.read(d) for family, d in SMALL_CELL_TRUTHS.items() if pathlib.Path(d).is_dir()}
    small = {family: truth for family, truth in small.items() if len(truth.indices) >= MIN_CELLS}
    notes = []
    for family, truth in small.items():
        dead = np.isin(truth.indices, levers.dead_cells(truth))
        notes.append(f"7-node {family} cells: {dead.sum()} of {len(dead)} have no live path to their output (SGD "
                     f"test accuracy {', '.join(f'{a:.1%}' for a in truth.accuracy[dead])}: chance); left out of the "
                     f"7-node R, which they alone would push towards 1. The live ones: test accuracy std "
                     f"{100 * truth.accuracy[~dead].std():.2f} points.")
    rows = []
    for label, _, family, names, examples in (lever for lever in LEVERS if lever[0] in SIZE_LEVERS):
        if label not in scored:
            continue
        [name] = names
        norm = "none" if family == "sum" else "batch_norm"
        graphs = {n: [search.evaluation_architecture(i, num_nodes=n, cell_output_norm=norm)
                      for i in range(SIZE_ARCHITECTURES)] for n in CELL_SIZES}
        path = pathlib.Path("docs/data/ghn/scores") / f"{name}.{_slug(family)}.cell_sizes.json"
        accuracy = levers.accuracy_by_cell_size(_loader(name), graphs, data, path)
        small_r = "–"
        if family in small:
            scores = levers.with_live_output(levers.score(_loader(name), small[family], data, examples,
                                                          _score_path(name, family, examples, nodes=7)), small[family])
            judged, count = levers.judge_lever(scores.accuracy, scores.indices, {"seed 0": small[family]},
                                               FLAGS.resamples)
            small_r = f"{_r(judged['seed 0'])} [{count}]"
        _, mean, count = scored[label]
        rows.append((label, family, *(f"{100 * accuracy[n]:.1f}%" for n in CELL_SIZES), small_r,
                     f"{_r(mean)} [{count}]"))
    for family, small_truth in small.items():
        if "seed 0" in truths[family]:
            rows.append(("SGD (the ground truth, seed 0)", family, *(
                f"{100 * t.accuracy[np.array(t.indices) < SIZE_ARCHITECTURES].mean():.1f}%"
                for t in (small_truth, truths[family]["seed 0"])), "–", "–"))
    return rows, notes


def _row(label, short, family, scores, judged, count, first):
    """The table row of a GHN ranking (``judged`` on ``count`` cells by :func:`zoo.ghn.levers.judge_lever`), and
    its point of the figure (R against the seed mean, over its cost)."""
    mean = judged.get("mean") or judged["seed 0"]
    cost = first.sgd_1000_seconds / scores.seconds
    row = (label, f"{family} ({count} cells)", *(_r(judged.get(judge)) for judge in JUDGES),
           f"{mean['spearman']:.2f}", f"{mean['partial']:.2f}", f"{cost:.0f}×", f"{scores.trace_seconds:.0f}")
    return row, _point(label, short, family, mean, cost, ghn=True)


def _point(label, short, family, judged, cost, ghn):
    return {"ranking": label, "short": short, "network": family, "r": judged["pearson"],
            "interval": list(judged["interval"]), "cost": cost, "ghn": ghn}


def _gains(label, scores, truths, shipped, shipped_truths):
    """The gain row of ``label`` over the shipped GHN (:func:`zoo.ghn.levers.gains_over`), "–" for a judge that
    either network family lacks."""
    cells, gains = levers.gains_over(scores, truths, shipped, shipped_truths, FLAGS.resamples)
    return (label, str(cells), *("{:+.2f} ({:+.2f} to {:+.2f})".format(*gains[j]) if j in gains else "–"
                                 for j in JUDGES))


def _baselines(truths, family):
    """Rows and figure points of the rankings that need no GHN on ``family``'s networks: SGD for k steps, and a
    structural count (no cost ratio: it runs no network)."""
    seed0 = truths["seed 0"]
    rows, points = [], []
    for label, short, predicted, cost in levers.rankings_without_ghn(seed0):
        judged, count = levers.judge_lever(predicted, seed0.indices, truths, FLAGS.resamples)
        mean = judged.get("mean") or judged["seed 0"]
        beyond = f"{mean['partial']:.2f}" if cost else "–"  # the count is itself the structure
        rows.append((label, f"{family} ({count} cells)", *(_r(judged.get(s)) for s in JUDGES),
                     f"{mean['spearman']:.2f}", beyond, f"{cost:.0f}×" if cost else "–", "–"))
        points.append(_point(label, short, family, mean, cost, ghn=False))
    return rows, points


def _spread(family, truths):
    """A note on what there is to rank on ``family``'s networks: the spread of their test accuracy and how well the
    two seeds' ground truths agree (the reliability that bounds any ranking's R against one seed)."""
    stds = ", ".join(f"{100 * t.accuracy.std():.2f}" for t in truths.values())
    note = f"{family} networks: test accuracy std {stds} points (per seed)"
    if len(truths) > 1:
        agreement, cells = levers.seed_agreement(*truths.values())
        note += f"; the two seeds' ground truths agree at R {agreement:.2f} on {cells} cells"
    return note + "."


def _r(judged):
    return "–" if judged is None else "{:.2f} ({:.2f}–{:.2f})".format(judged["pearson"], *judged["interval"])


def _loader(name):
    """A function loading GHN ``name`` (a published weight or a run), so only a cache miss loads it; None when the
    run is not here (its scores must then be cached)."""
    if name == SHIPPED:
        return lambda: zoo.load(name)
    run = pathlib.Path(FLAGS.runs) / name
    return (lambda: models.load_run(run)[0]) if (run / "ghn.weights.h5").is_file() else None


def _score_path(name, family, examples, nodes=17):
    cells = "" if nodes == 17 else f".{nodes}nodes"
    return pathlib.Path("docs/data/ghn/scores") / f"{name}.{_slug(family)}{cells}.{examples}.json"


def _slug(family):
    return "cellnorm" if family != "sum" else "sum"


if __name__ == "__main__":
    app.run(main)
