"""The paper's Table 4 on our space: how well GHN-weight accuracy (and k SGD steps) rank architectures by their
trained accuracy, with the cost of each method. Needs tools/ghn_ground_truth.py and tools/ghn_train.py runs.

    python tools/ghn_correlation.py --runs=ghn,normalize,layer_norm,meta_batch4

Scores are cached in runs/ghn/RUN/scores_SIZE.json. Writes the section of docs/RESULTS.md and its plots; with a
longer-trained ground truth (--longer_ground_truth) every method is also correlated with that one.
"""
import inspect
import json
import os
import pathlib
import shlex
import sys

import numpy as np
from absl import app, flags
from scipy import stats

from zoo import benchmark
from zoo.ghn import graph as ghn_graph
from zoo.ghn import models, ranking, search, training
from zoo.ghn.hypernet import GraphHyperNetwork

FLAGS = flags.FLAGS
flags.DEFINE_list("runs", ["ghn"], "GHN runs (directories under --output); the first is the headline GHN")
flags.DEFINE_string("output", "runs/ghn", "directory of the runs")
flags.DEFINE_integer("validation_examples", 2000, "held-out images each GHN-weight accuracy is measured on")
flags.DEFINE_list("headline_validation_examples", ["500"], "the headline GHN is also scored on each of these many "
                  "held-out images (fewer: cheaper; more: less sampling noise in its accuracy)")
flags.DEFINE_string("ground_truth", search.GROUND_TRUTH, "tools/ghn_ground_truth.py results")
flags.DEFINE_string("longer_ground_truth", "runs/ghn/ground_truth_3000",
                    "tools/ghn_ground_truth.py results of a longer SGD recipe on some of the same architectures "
                    "(skipped if absent): every method is also correlated with it")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update")
flags.DEFINE_string("section", "Graph HyperNetworks: ranking architectures (Table 4 protocol)",
                    "title of the section of --results this writes")
flags.DEFINE_string("plot", "docs/images/ghn_correlation.png", "scatter plot")
flags.DEFINE_string("training_plot", "docs/images/ghn_training.png", "training curves of the runs")
flags.DEFINE_string("variants_plot", "docs/images/ghn_variants.png", "weight quality against ranking, per run")

LAST_ITERATE = "ghn_last.weights.h5"
"""The last iterate a run with weight averaging (``tools/ghn_train.py --ema_decay``) keeps beside the average."""

LOSS = ", −loss"
"""Label suffix of a GHN ranked by its validation loss instead of accuracy."""

PAPER_PEARSON = {"SGD 10 steps": 0.26, "SGD 100 steps": 0.59, "SGD 200 steps": 0.62, "SGD 1000 steps": 0.77,
                 "GHN": 0.68}


def main(argv):
    del argv
    records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(FLAGS.ground_truth).glob("arch_*.json"))]
    truth = np.array([r["test_accuracy"] for r in records])
    graphs = [search.evaluation_architecture(r["index"]) for r in records]
    data = training.load_splits()
    steps = sorted(int(k) for k in records[0]["validation_accuracy_at"])
    methods = {}  # name -> (predictions, per-architecture seconds, initial seconds)
    for k in steps:
        methods[f"SGD {k} steps"] = ([r["validation_accuracy_at"][str(k)] for r in records],
                                     [r["seconds_at"][str(k)] for r in records], None)
    summaries = {}
    for name in FLAGS.runs:
        run = pathlib.Path(FLAGS.output) / name
        ghn, summaries[name] = models.load_run(run)
        summaries[name]["options"] = non_default_options(ghn)
        headline = name == FLAGS.runs[0]
        sizes = [FLAGS.validation_examples] + ([int(n) for n in FLAGS.headline_validation_examples] if headline else [])
        for size in sizes:
            scores = cached_scores(ghn, run / f"scores_{size}.json", graphs, records, data, size, name)
            label = ("GHN" if headline else f"GHN ({name})") + ("" if size == sizes[0] else f", {size} images")
            add_ghn_methods(methods, label, scores, summaries[name]["train_seconds"])
        if (run / LAST_ITERATE).exists():  # an averaged run (--ema_decay): its last iterate too, for comparison
            ghn.load_weights(run / LAST_ITERATE)
            scores = cached_scores(ghn, run / f"scores_last_{FLAGS.validation_examples}.json", graphs, records, data,
                                   FLAGS.validation_examples, name + " (last iterate)")
            add_ghn_methods(methods, f"GHN ({name}, last iterate)", scores, summaries[name]["train_seconds"])

    top_half = truth >= np.median(truth)
    sgd_1000 = np.median(methods[f"SGD {max(steps)} steps"][1])
    rows = []
    for label, (predicted, seconds, initial) in methods.items():
        all_archs = ranking.correlations(truth, predicted)
        top = ranking.correlations(truth[top_half], np.asarray(predicted)[top_half])
        rows.append((label, "–" if initial is None else f"{initial / 60:.1f} min", f"{np.median(seconds):.3f}",
                     f"{sgd_1000 / np.median(seconds):.0f}×", f"{all_archs['pearson']:.2f}",
                     "{:.2f}–{:.2f}".format(*ranking.pearson_interval(truth, predicted)),
                     f"{all_archs['spearman']:.2f}", f"{all_archs['kendall']:.2f}", f"{top['pearson']:.2f}",
                     "–" if LOSS in label else f"{100 * np.mean(predicted):.1f}", PAPER_PEARSON.get(label, "")))
    table = benchmark.markdown_table(
        ("method", "initial cost", "per-architecture s (median)", "SGD-1000 cost / cost", "Pearson R",
         "Pearson R, 95% bootstrap interval", "Spearman ρ",
         "Kendall τ", "Pearson R, top half", "mean predicted accuracy %", "paper Pearson R (Random-100, CIFAR-10)"),
        rows)
    config = records[0]["config"]
    body = (f"{len(records)} random unseen architectures (17-node cells, `zoo.ghn.search.evaluation_architecture(i)`, "
            f"{search.NETWORK['channels']} channels, {len(search.NETWORK['stages'])} stages of one cell after a "
            "stride-2 stem; the paper: 18 cells, F = 32). "
            f"Ground truth: test accuracy (10,000 Fashion-MNIST test images) after {config['steps']} SGD steps "
            f"(batch {config['batch_size']}, Nesterov momentum {config['momentum']}, lr {config['lr']} cosine, "
            f"weight decay {config['weight_decay']}; mean {100 * truth.mean():.1f}%, range "
            f"{100 * truth.min():.1f}–{100 * truth.max():.1f}%) — the paper trains 50 epochs. "
            f"Predictions are validation accuracies on {FLAGS.validation_examples} held-out training images "
            "(batch statistics in batch normalization): with GHN-predicted weights, or after k steps of the "
            "same SGD run (so its cosine schedule is cut at k); rows marked '−loss' score the GHN weights by their "
            "negated validation cross-entropy instead of accuracy (same pass, same cost; the paper ranks by "
            "accuracy; `tools/ghn_search.py --rank_by=loss`). Per-architecture cost: wall seconds on one core "
            "(other jobs shared the 2-core machine; docs/BENCHMARKS.md has the costs on a quiet machine, "
            "`tools/bench_ghn.py`, with every part of each method's cost), GHN = predicting all weights + the "
            "validation pass; SGD = k steps (without tracing its step or its validation pass). Initial cost = GHN "
            f"training. 'Top half' = the {top_half.sum()} architectures with the best "
            "ground truth (the paper's Top-50 column ranks the top 50 of its search).\n\n" + table)
    body += "\n\n" + options_table(summaries, methods, truth)
    body += "\n\n" + structure_table(graphs, truth, methods)
    if len(FLAGS.runs) > 2:
        body += "\n\n" + agreement_table(methods, truth)
    spread = seed_spread(summaries, methods, truth)
    if spread:
        body += "\n\n" + spread
    longer = sorted(pathlib.Path(FLAGS.longer_ground_truth).glob("arch_*.json"))
    if longer:
        body += "\n\n" + longer_ground_truth_table(methods, records, [json.loads(p.read_text()) for p in longer])
    docs = pathlib.Path(FLAGS.results).parent
    body += (f"\n\n![GHN vs ground truth]({os.path.relpath(FLAGS.plot, docs)})\n"
             f"\n![GHN variants: weight quality against ranking]({os.path.relpath(FLAGS.variants_plot, docs)})\n"
             f"\n![GHN training]({os.path.relpath(FLAGS.training_plot, docs)})\n")
    plot(methods, truth, steps)
    plot_variants(methods, truth)
    plot_training(FLAGS.runs)
    command = shlex.join(["python"] + sys.argv)
    benchmark.write_section(FLAGS.results, FLAGS.section, body, command)


def add_ghn_methods(methods, label, scores, train_seconds):
    """Add a GHN's two rankings to ``methods``: by validation accuracy (``label``) and by −loss (``label`` + LOSS)."""
    methods[label] = (scores["validation_accuracy"], scores["seconds"], train_seconds)
    methods[label + LOSS] = (search.ranking_score(scores, "loss"), scores["seconds"], train_seconds)


def non_default_options(ghn):
    """``{option: value}`` of every GraphHyperNetwork argument ``ghn`` was built with that is not the default (a
    registered builder such as ``ghn2`` sets some without them appearing in a run's builder arguments)."""
    defaults = inspect.signature(GraphHyperNetwork.__init__).parameters
    config = ghn.get_config()
    return {k: config[k] for k, p in defaults.items()
            if k in config and p.default is not inspect.Parameter.empty and _plain(config[k]) != _plain(p.default)}


def _plain(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def cached_scores(ghn, cache, graphs, records, data, size, name):
    """GHN-weight validation accuracies of the ground-truth architectures (cached per run and size)."""
    scores = json.loads(cache.read_text()) if cache.exists() else {}
    if scores.get("indices") != [r["index"] for r in records] or "validation_loss" not in scores:
        scores = search.score_architectures(ghn, graphs, data, validation_examples=size, with_test=False,
                                            progress=lambda i, n: print(f"\r{name}: {i}/{n} architectures",
                                                                        end="", flush=True))
        scores["indices"] = [r["index"] for r in records]
        cache.write_text(json.dumps(scores))
        print()
    return scores


def options_table(summaries, methods, truth):
    """GHN variants (GHN-2's options and others), one run each: what they change in training cost and ranking."""
    rows = []
    for i, (name, summary) in enumerate(summaries.items()):
        label = "GHN" if i == 0 else f"GHN ({name})"
        predicted = methods[label][0]
        corr = ranking.correlations(truth, predicted)
        by_loss = ranking.correlations(truth, methods[label + LOSS][0])
        options = ", ".join(f"{k}={v}" for k, v in summary["options"].items()) or "none"
        cfg = summary["config"]
        if cfg.get("ema_decay"):
            options += f"; weights averaged (EMA {cfg['ema_decay']:g})"
        if summary.get("init_from"):
            options += f"; fine-tune of `{summary['init_from']}` (lr {cfg['lr']:g})"
        nodes = f"{cfg['num_nodes']}–{cfg['max_num_nodes']}" if cfg.get("max_num_nodes") else cfg["num_nodes"]
        rows.append((name, summary["model"], options, cfg["seed"], nodes, cfg["meta_batch"],
                     cfg["batch_size"], cfg["steps"], cfg["steps"] * cfg["meta_batch"],
                     f"{summary['train_seconds'] / 60:.1f}",
                     f"{100 * np.mean(predicted):.1f}", f"{corr['pearson']:.2f}", f"{corr['spearman']:.2f}",
                     f"{corr['kendall']:.2f}", f"{by_loss['pearson']:.2f}", f"{by_loss['spearman']:.2f}"))
    return ("GHN variants — GHN-2's improvements as options, longer training, fine-tuning, width, sweeps, image "
            "batch, seeds (each a separate `tools/ghn_train.py` run; T = 5 sweeps unless the options say "
            "otherwise; mean predicted accuracy = mean validation accuracy of GHN weights over the architectures "
            "above):\n\n" + benchmark.markdown_table(
                ("run", "model", "options", "seed", "training cell nodes", "meta-batch", "image batch",
                 "steps", "architectures seen",
                 "training min (with the run fine-tuned)",
                 "mean predicted accuracy %", "Pearson R", "Spearman ρ", "Kendall τ", "Pearson R, −loss",
                 "Spearman ρ, −loss"), rows))


def structure_table(graphs, truth, methods):
    """How the ground truth, the headline GHN's scores and its ranking error (standardised score minus standardised
    ground truth) correlate with counts of each cell's structure (:func:`zoo.ghn.graph.cell_structure`): what the
    GHN over- or under-rates."""
    def standardised(x):
        x = np.asarray(x, float)
        return (x - x.mean()) / x.std()

    features = [ghn_graph.cell_structure(g.cell) for g in graphs]
    by_accuracy, by_loss = methods["GHN"][0], methods["GHN" + LOSS][0]
    columns = (truth, by_accuracy, by_loss, standardised(by_accuracy) - standardised(truth),
               standardised(by_loss) - standardised(truth))
    rows = [(f"`{name}`", f"{np.mean([f[name] for f in features]):.1f}",
             *(f"{stats.pearsonr([f[name] for f in features], column)[0]:+.2f}" for column in columns))
            for name in features[0]]
    return ("What the headline GHN misranks: Pearson correlation of each cell count "
            "(`zoo.ghn.graph.cell_structure`; a node is live when non-zero operations connect it to the cell input) "
            "with the ground truth, with the GHN's scores, and with its ranking error (standardised score minus "
            "standardised ground truth; positive = the GHN rates cells with more of it too highly):\n\n"
            + benchmark.markdown_table(("cell count", "mean", "ground truth", "GHN accuracy", "GHN −loss",
                                        "GHN error, accuracy", "GHN error, −loss"), rows))


def ghn_labels(methods):
    """The GHN rows of ``methods`` ranked by accuracy at the default validation size (one per run and iterate)."""
    return [label for label in methods if label.startswith("GHN") and LOSS not in label and "images" not in label]


def agreement_table(methods, truth):
    """How much the GHN runs agree with each other against how much each agrees with the ground truth, and how
    well the mean of their scores ranks: systematic errors shared by every GHN (high agreement, no gain from
    averaging) would show here, noise of one run (low agreement, a gain from averaging) too."""
    labels = [label for label in ghn_labels(methods) if "last iterate" not in label]
    rows = []
    for suffix, what in (("", "accuracy"), (LOSS, "−loss")):
        scores = np.array([methods[label + suffix][0] for label in labels])
        between = np.corrcoef(scores)
        for i, label in enumerate(labels):
            others = np.delete(between[i], i)
            rows.append((f"{label}{suffix}", f"{ranking.correlations(truth, scores[i])['pearson']:.2f}",
                         f"{others.mean():.2f}", f"{others.min():.2f}–{others.max():.2f}"))
        rows.append((f"**mean score of the {len(labels)} runs**, {what}",
                     f"**{ranking.correlations(truth, scores.mean(axis=0))['pearson']:.2f}**", "–", "–"))
    return ("Do the GHN runs fail alike? Pearson R of each run's scores with the ground truth and with the other "
            "runs' scores of the same architectures, and the Pearson R of the runs' mean score (an ensemble that "
            f"would cost {len(labels)}× one GHN per architecture):\n\n" + benchmark.markdown_table(
                ("scores", "R with the ground truth", "R with the other GHN runs, mean", "range"), rows))


def seed_spread(summaries, methods, truth):
    """Run-to-run spread of the correlations over runs that differ only in their seed, one line per such recipe."""
    recipes = {}
    for i, (name, summary) in enumerate(summaries.items()):
        config = {k: v for k, v in summary["config"].items() if k != "seed"}
        key = json.dumps([summary["model"], summary["builder_kwargs"], config, summary.get("init_from")],
                         sort_keys=True)
        recipes.setdefault(key, []).append((name, "GHN" if i == 0 else f"GHN ({name})"))
    lines = []
    for runs in recipes.values():
        if len(runs) < 2:
            continue
        names, labels = zip(*runs)
        spread = []
        for suffix, what in (("", "accuracy"), (LOSS, "loss")):
            r = [ranking.correlations(truth, methods[label + suffix][0])["pearson"] for label in labels]
            spread.append(f"by {what} {np.mean(r):.2f} ± {np.std(r, ddof=1):.2f} (range {min(r):.2f}–{max(r):.2f})")
        lines.append(f"Same recipe, {len(labels)} seeds ({', '.join(f'`{n}`' for n in names)}): Pearson R "
                     + ", ".join(spread) + " (mean ± standard deviation over seeds).")
    return "\n\n".join(lines)


def longer_ground_truth_table(methods, records, longer_records):
    """Every method's Pearson R with the ground truth and with a longer-trained ground truth of the same
    architectures (those the longer run covers), to show how much the ranking depends on the training length."""
    position = {r["index"]: n for n, r in enumerate(records)}
    shared = [r for r in longer_records if r["index"] in position]
    if len(shared) < 3:
        raise ValueError(f"--longer_ground_truth shares {len(shared)} architectures with --ground_truth; need >= 3")
    rows_of = [position[r["index"]] for r in shared]
    truth = np.array([records[n]["test_accuracy"] for n in rows_of])
    longer_truth = np.array([r["test_accuracy"] for r in shared])
    steps, longer_steps = records[0]["config"]["steps"], shared[0]["config"]["steps"]
    rows = [(f"ground truth ({steps} steps)", "–", "–", f"{ranking.correlations(longer_truth, truth)['pearson']:.2f}",
             "–")]
    for label, (predicted, _, _) in methods.items():
        if LOSS in label or "images" in label:
            continue
        scores = [np.asarray(predicted)[rows_of]]
        scores.append(np.asarray(methods[label + LOSS][0])[rows_of] if label + LOSS in methods else None)
        rows.append((label, *("–" if score is None else f"{ranking.correlations(t, score)['pearson']:.2f}"
                              for t in (truth, longer_truth) for score in scores)))
    which = "these architectures" if len(shared) == len(records) else f"{len(shared)} of these architectures"
    return (f"Longer ground truth: {which} trained again with "
            f"{longer_steps} SGD steps instead of {steps} (same recipe otherwise; test accuracy mean "
            f"{100 * longer_truth.mean():.1f}% vs {100 * truth.mean():.1f}%, range {100 * longer_truth.min():.1f}–"
            f"{100 * longer_truth.max():.1f}%; `python tools/ghn_ground_truth.py --architectures={len(shared)} "
            f"--steps={longer_steps} --output={FLAGS.longer_ground_truth}`). Pearson R of the same predictions "
            f"with each ground truth, on these {len(shared)} architectures:\n\n" + benchmark.markdown_table(
                ("method", f"R by accuracy, {steps}-step truth", f"R by −loss, {steps}-step truth",
                 f"R by accuracy, {longer_steps}-step truth", f"R by −loss, {longer_steps}-step truth"), rows))


def plot(methods, truth, steps):
    plt = benchmark.pyplot()
    panels = ["GHN", "GHN" + LOSS, f"SGD {steps[1]} steps", f"SGD {max(steps)} steps"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6))
    for ax, label in zip(axes, panels):
        predicted = np.asarray(methods[label][0])
        by_loss = LOSS in label
        ax.scatter(-predicted if by_loss else 100 * predicted, 100 * truth, s=12)
        r = ranking.correlations(truth, predicted)["pearson"]
        ax.set_title(f"{label}: R = {r:.2f}")
        ax.set_xlabel("GHN-weight validation loss" if by_loss else "predicted (validation accuracy %)")
        if by_loss:
            ax.invert_xaxis()  # lower loss = better, to the right as in the other panels
        ax.set_ylabel("trained test accuracy %")
    fig.tight_layout()
    pathlib.Path(FLAGS.plot).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FLAGS.plot, dpi=110)


def plot_variants(methods, truth):
    """Every GHN run's mean predicted accuracy (how good its weights are) against its Pearson R by loss and by
    accuracy (how well it ranks), with the paper's 0.68."""
    plt = benchmark.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = ghn_labels(methods)
    for suffix, marker, what in ((LOSS, "o", "ranked by −loss"), ("", "x", "ranked by accuracy")):
        quality = [100 * np.mean(methods[label][0]) for label in labels]
        r = [ranking.correlations(truth, methods[label + suffix][0])["pearson"] for label in labels]
        ax.scatter(quality, r, marker=marker, label=what)
        if suffix:
            for label, x, y in zip(labels, quality, r):
                ax.annotate(label.replace("GHN (", "").rstrip(")") if label != "GHN" else FLAGS.runs[0], (x, y),
                            fontsize=6, xytext=(3, 2), textcoords="offset points")
    ax.axhline(PAPER_PEARSON["GHN"], color="gray", linestyle="--", label="paper's GHN (0.68)")
    ax.set_xlabel("mean validation accuracy of GHN weights %")
    ax.set_ylabel("Pearson R with trained accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FLAGS.variants_plot, dpi=110)


def plot_training(runs):
    """Training loss and accuracy of every run (moving mean over 50 steps) against architectures seen (a fine-tune
    counted from the end of its base run; its architectures are larger, so its accuracy is not comparable)."""
    plt = benchmark.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    colours = plt.get_cmap("tab20")
    for i, name in enumerate(runs):
        run = pathlib.Path(FLAGS.output) / name
        if not (run / "checkpoints" / "history.json").exists():
            print(f"{name}: no training history (checkpoints/history.json), left out of {FLAGS.training_plot}")
            continue
        history = json.loads((run / "checkpoints" / "history.json").read_text())
        summary = json.loads((run / "summary.json").read_text())
        seen = np.asarray(history["step"]) * summary["config"]["meta_batch"]
        if summary.get("init_from"):  # a fine-tune continues its base run's curve
            base = json.loads((pathlib.Path(FLAGS.output) / summary["init_from"] / "summary.json").read_text())
            seen += base["config"]["steps"] * base["config"]["meta_batch"]
        for ax, key in zip(axes, ("loss", "accuracy")):
            values = np.convolve(history[key], np.ones(50) / 50, mode="valid")
            ax.plot(seen[49:], values, label=name, color=colours(i % 20), linewidth=1)
    for ax, key in zip(axes, ("training loss", "training-batch accuracy")):
        ax.set_xlabel("architectures seen")
        ax.set_ylabel(key)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7)
    fig.tight_layout()
    fig.savefig(FLAGS.training_plot, dpi=110)


if __name__ == "__main__":
    app.run(main)
