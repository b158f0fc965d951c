"""The paper's Table 3 comparison on Fashion-MNIST: CIFAR-quick with each normaliser, trained for every seed by
:func:`zoo.training.train_classifier` (``tools/divnorm/table3.py``); where each run lives, the finished runs' test
accuracies, the table beside the paper's CIFAR-10 column, and which of the paper's claims hold."""
import json
import pathlib
import shlex

import numpy as np

from zoo import reporting

LABELS = {"": "Baseline", "l1": "Baseline + L1", "bn": "BN", "bn-s": "BN-s", "bn-star": "BN*", "ln": "LN",
          "ln-s": "LN-s", "ln-star": "LN*", "dn": "DN", "dn-star": "DN*"}
"""The paper's name of each ``cifar-quick`` variant (suffix; ``""`` is the baseline)."""

PAPER_CIFAR10 = {"": 0.7565, "l1": 0.7839, "bn": 0.7807, "bn-s": 0.8017, "bn-star": 0.8179, "ln": 0.7211,
                 "ln-s": 0.8083, "ln-star": 0.8091, "dn": 0.8058, "dn-star": 0.8122}
"""The paper's CIFAR-10 test accuracy of each variant (Table 3)."""

CLAIMS = [("bn-s", "bn"), ("ln-s", "ln"), ("bn-star", "bn-s"), ("ln-star", "ln-s"), ("dn-star", "dn"),
          ("l1", ""), ("dn", "ln"), ("bn", "")]
"""The paper's claims as (better, worse) pairs: the smoothing σ helps, the L1 penalty helps, DN ≥ LN, BN helps."""


def model_name(variant):
    """The registered architecture of ``variant``: ``cifar-quick`` or ``cifar-quick-VARIANT``."""
    return "cifar-quick" + (f"-{variant}" if variant else "")


def run_dir(output, variant, seed):
    """Directory of one run of the sweep under ``output``."""
    return pathlib.Path(output) / model_name(variant) / f"seed{seed}"


def record_path(output, variant, seed):
    """The weight record a finished run leaves (its presence marks the run as finished)."""
    return run_dir(output, variant, seed) / f"{model_name(variant)}.fashion_mnist.json"


def train_command(output, variant, seed, epochs, batch_size, lr, lr_schedule):
    """The single-run ``tools/zoo/train.py`` command equivalent to one run of the sweep (kept in its record)."""
    return shlex.join(["python", "tools/zoo/train.py", f"--model={model_name(variant)}", "--dataset=fashion_mnist",
                       f"--epochs={epochs}", f"--batch_size={batch_size}", f"--lr={lr}",
                       f"--lr_schedule={lr_schedule}", f"--seed={seed}", f"--output={run_dir(output, variant, seed)}"])


def summarize(output, variants, seeds):
    """``{variant: {"label", "mean", "std", "seeds", "paper_cifar10"}}`` over the finished runs of each variant
    (test top-1 accuracy as a fraction; variants without a finished run are left out)."""
    summary = {}
    for variant in variants:
        accuracies = []
        for seed in seeds:
            path = record_path(output, variant, seed)
            if path.exists():
                (record,) = json.loads(path.read_text()).values()
                accuracies.append(record["metrics"]["top1_accuracy"])
        if accuracies:
            summary[variant] = {"label": LABELS[variant], "mean": float(np.mean(accuracies)),
                                "std": float(np.std(accuracies)), "seeds": len(accuracies),
                                "paper_cifar10": PAPER_CIFAR10[variant]}
    return summary


def table(summary):
    """The result's :class:`zoo.reporting.Table`: each variant's mean ± std beside the paper's CIFAR-10 column."""
    return reporting.Table(
        ["Model", "Name", "Fashion-MNIST top-1 % (ours)", "Seeds", "CIFAR-10 top-1 % (paper)"],
        [[s["label"], f"`{model_name(variant)}`", f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f}", str(s["seeds"]),
          f"{100 * s['paper_cifar10']:.2f}"] for variant, s in summary.items()])


def claims(summary):
    """Which of :data:`CLAIMS` hold on the means, and the rank correlation with the paper's column, as a sentence."""
    means = {variant: s["mean"] for variant, s in summary.items()}
    pairs = [(a, b) for a, b in CLAIMS if a in means and b in means]
    held = [f"{LABELS[a]} > {LABELS[b]}" for a, b in pairs if means[a] > means[b]]
    failed = [f"{LABELS[a]} ≤ {LABELS[b]}" for a, b in pairs if means[a] <= means[b]]
    ours = np.argsort(np.argsort([means[v] for v in means]))
    paper = np.argsort(np.argsort([PAPER_CIFAR10[v] for v in means]))
    rho = float(np.corrcoef(ours, paper)[0, 1]) if len(means) > 2 else float("nan")
    return (f"Rank correlation (Spearman) of our means with the paper's CIFAR-10 column: {rho:.2f}. "
            f"The paper's pairwise claims that hold here: {', '.join(held) or 'none'}; that do not: "
            f"{', '.join(failed) or 'none'}.")
