"""Reproduce the divisive-normalization paper's Table 3 comparison on Fashion-MNIST.

Trains CIFAR-quick with each normaliser for every seed (same schedule for all), skipping runs whose record
already exists, so an interrupted sweep resumes where it stopped. After every run it rewrites the
"Divisive normalization: Table 3" section of docs/RESULTS.md (mean ± std of test accuracy over the seeds
finished so far, beside the paper's CIFAR-10 column) and the plot docs/images/divnorm_table3.png.

    python tools/divnorm_table.py                 # 10 variants x 3 seeds, 3 epochs each (about 90 min, 2 cores)
    python tools/divnorm_table.py --results_only  # rewrite the section from the finished runs
"""
import json
import pathlib
import shlex

import numpy as np
from absl import app, flags

from zoo import benchmark
from zoo.divnorm.models import NORMALIZERS
from zoo.training import TrainConfig, train_classifier

FLAGS = flags.FLAGS
flags.DEFINE_list("variants", list(NORMALIZERS), "cifar-quick suffixes ('' is the baseline)")
flags.DEFINE_list("seeds", ["0", "1", "2"], "seeds; each variant is trained once per seed")
flags.DEFINE_integer("epochs", 3, "epochs per run")
flags.DEFINE_integer("batch_size", 100, "batch size")
flags.DEFINE_float("lr", 0.01, "initial learning rate (SGD, momentum 0.9)")
flags.DEFINE_string("lr_schedule", "piecewise", "learning-rate schedule (see zoo.training.schedules)")
flags.DEFINE_string("output", "runs/divnorm", "directory of the runs")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file whose Table 3 section is rewritten")
flags.DEFINE_string("plot", "docs/images/divnorm_table3.png", "bar chart of the table")
flags.DEFINE_bool("results_only", False, "do not train; rewrite the results from finished runs")

SECTION = "Divisive normalization: Table 3 on Fashion-MNIST"
LABELS = {"": "Baseline", "l1": "Baseline + L1", "bn": "BN", "bn-s": "BN-s", "bn-star": "BN*", "ln": "LN",
          "ln-s": "LN-s", "ln-star": "LN*", "dn": "DN", "dn-star": "DN*"}
PAPER_CIFAR10 = {"": 0.7565, "l1": 0.7839, "bn": 0.7807, "bn-s": 0.8017, "bn-star": 0.8179, "ln": 0.7211,
                 "ln-s": 0.8083, "ln-star": 0.8091, "dn": 0.8058, "dn-star": 0.8122}
# The paper's claims, as (better, worse) pairs: the smoothing sigma helps, the L1 penalty helps, DN >= LN.
CLAIMS = [("bn-s", "bn"), ("ln-s", "ln"), ("bn-star", "bn-s"), ("ln-star", "ln-s"), ("dn-star", "dn"),
          ("l1", ""), ("dn", "ln"), ("bn", "")]


def model_name(variant):
    return "cifar-quick" + (f"-{variant}" if variant else "")


def train_command(variant, seed):
    """The single-run command equivalent to one run of this sweep (recorded in its weight record)."""
    return shlex.join(["python", "tools/train.py", f"--model={model_name(variant)}", "--dataset=fashion_mnist",
                       f"--epochs={FLAGS.epochs}", f"--batch_size={FLAGS.batch_size}", f"--lr={FLAGS.lr}",
                       f"--lr_schedule={FLAGS.lr_schedule}", f"--seed={seed}",
                       f"--output={run_dir(variant, seed)}"])


def run_dir(variant, seed):
    return pathlib.Path(FLAGS.output) / model_name(variant) / f"seed{seed}"


def record_path(variant, seed):
    return run_dir(variant, seed) / f"{model_name(variant)}.fashion_mnist.json"


def finished_accuracies(variant):
    accuracies = []
    for seed in FLAGS.seeds:
        path = record_path(variant, seed)
        if path.exists():
            (record,) = json.loads(path.read_text()).values()
            accuracies.append(record["metrics"]["top1_accuracy"])
    return accuracies


def ordering_sentence(means):
    held = [f"{LABELS[a]} > {LABELS[b]}" for a, b in CLAIMS if a in means and b in means and means[a] > means[b]]
    failed = [f"{LABELS[a]} ≤ {LABELS[b]}" for a, b in CLAIMS if a in means and b in means and means[a] <= means[b]]
    common = [v for v in means if v in PAPER_CIFAR10]
    ours = np.argsort(np.argsort([means[v] for v in common]))
    paper = np.argsort(np.argsort([PAPER_CIFAR10[v] for v in common]))
    rho = float(np.corrcoef(ours, paper)[0, 1]) if len(common) > 2 else float("nan")
    return (f"Rank correlation (Spearman) of our means with the paper's CIFAR-10 column: {rho:.2f}. "
            f"The paper's pairwise claims that hold here: {', '.join(held) or 'none'}; that do not: "
            f"{', '.join(failed) or 'none'}.")


def write_results():
    rows, means, stds = [], {}, {}
    for variant in FLAGS.variants:
        accuracies = finished_accuracies(variant)
        if not accuracies:
            continue
        means[variant], stds[variant] = float(np.mean(accuracies)), float(np.std(accuracies))
        rows.append((LABELS[variant], f"`{model_name(variant)}`",
                     f"{100 * means[variant]:.2f} ± {100 * stds[variant]:.2f}", str(len(accuracies)),
                     f"{100 * PAPER_CIFAR10[variant]:.2f}"))
    if not rows:
        return
    body = (f"CIFAR-quick (paper §5.1) with each normaliser before every convolutional ReLU, trained on the full "
            f"Fashion-MNIST training split (60,000 images, padded to 32×32, random crop + flip) for {FLAGS.epochs} "
            f"epochs at batch {FLAGS.batch_size}, SGD momentum 0.9, learning rate {FLAGS.lr} divided by 10 at 50% "
            f"and 75% of the run, the same for every variant; test accuracy on the full test split (10,000), mean ± "
            f"std over seeds. Scale: {FLAGS.epochs} epochs instead of the paper's ~100k+ iterations at lr 1e-3, "
            f"He-normal initialisation instead of Caffe's fixed stds (which assume 0–255 pixels). The last column "
            f"is the paper's CIFAR-10 test accuracy (Table 3).\n\n"
            + benchmark.markdown_table(("Model", "Name", "Fashion-MNIST top-1 % (ours)", "Seeds",
                                        "CIFAR-10 top-1 % (paper)"), rows)
            + f"\n\n{ordering_sentence(means)}\n\n"
            f"![Table 3 on Fashion-MNIST](images/{pathlib.Path(FLAGS.plot).name})\n")
    benchmark.write_section(FLAGS.results, SECTION, body, "python tools/divnorm_table.py")
    plot(means, stds)


def plot(means, stds):
    plt = benchmark.pyplot()

    variants = list(means)
    positions = np.arange(len(variants))
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.bar(positions, [100 * means[v] for v in variants], yerr=[100 * stds[v] for v in variants], capsize=3,
           color="tab:blue", label="Fashion-MNIST (ours, mean ± std)")
    ax.set_ylim(min(100 * means[v] for v in variants) - 2, 100 * max(means.values()) + 1)
    ax.set_ylabel("Fashion-MNIST test top-1 %")
    twin = ax.twinx()
    twin.plot(positions, [100 * PAPER_CIFAR10[v] for v in variants], "o", color="tab:red",
              label="CIFAR-10 (paper)")
    twin.set_ylabel("CIFAR-10 test top-1 % (paper)", color="tab:red")
    ax.set_xticks(positions, [LABELS[v] for v in variants], rotation=30, ha="right")
    ax.set_title("CIFAR-quick with each normaliser (paper Table 3)")
    fig.legend(loc="lower center", ncol=2, fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    pathlib.Path(FLAGS.plot).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FLAGS.plot, dpi=120)
    plt.close(fig)


def main(argv):
    del argv
    unknown = [v for v in FLAGS.variants if v not in NORMALIZERS]
    if unknown:
        raise app.UsageError(f"--variants has unknown entries {unknown}; choose from {list(NORMALIZERS)}")
    if not FLAGS.results_only:
        for seed in FLAGS.seeds:  # seed-major, so a partial sweep has every variant at least once
            for variant in FLAGS.variants:
                if record_path(variant, seed).exists():
                    continue
                print(f"== {model_name(variant)} seed {seed}", flush=True)
                train_classifier(TrainConfig(
                    model=model_name(variant), epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, lr=FLAGS.lr,
                    lr_schedule=FLAGS.lr_schedule, seed=int(seed), output=str(run_dir(variant, seed)),
                    command=train_command(variant, seed), verbose=2))
                write_results()
    write_results()


if __name__ == "__main__":
    app.run(main)
