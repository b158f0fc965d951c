"""The learning-to-reweight paper's experiments on Fashion-MNIST, every method × seed, resumable.

Each finished run is saved as runs/reweight/SETUP/PARAM/METHOD/seedN.json and skipped on a rerun; after every
run the setup's section of docs/RESULTS.md (mean ± std over the finished seeds, the paper's numbers beside) is
rewritten, and for the imbalance setup the plot docs/images/reweight_imbalance.png.

    python tools/reweight_experiments.py --setups=imbalance              # 5 ratios x 6 methods x 3 seeds
    python tools/reweight_experiments.py --setups=uniform,background     # 40% noise, 5-6 methods x 3 seeds
    python tools/reweight_experiments.py --results_only                  # rewrite the sections only

The noisy setups default to the regime in which the paper's baselines fail: a 10,000-image subset without
augmentation, long enough (60 epochs) for plain training to memorise the noise. The regime in which it does not
(all images, augmentation, 3,000 steps with lr decay) is kept apart:

    python tools/reweight_experiments.py --setups=uniform --noisy_train_size=0 --noisy_augment \
        --noisy_lr_schedule=piecewise --noisy_steps=3000 --output=runs/reweight_all_images_augmented \
        --section_suffix=" (all images, augmentation: no memorisation)"

The shipped setup-(b) weights come from the whole corrupted training split, without a results table:

    python tools/reweight_experiments.py --setups=uniform --methods=plain,reweight --seeds=0 \
        --noisy_train_size=0 --noisy_steps=20000 --weights_for=plain,reweight --output=runs/reweight_full --results=
"""
import json
import pathlib
import shlex
import sys
import time

import numpy as np
from absl import app, flags

from zoo import benchmark
from zoo.data import load_fashion_mnist, preprocessing
from zoo.reweight import experiments
from zoo.training import records

FLAGS = flags.FLAGS
flags.DEFINE_list("setups", list(experiments.SETUPS), "experiments to run")
flags.DEFINE_list("seeds", ["0", "1", "2"], "seeds (clean split, corruption, initialisation)")
flags.DEFINE_list("ratios", ["0.9", "0.95", "0.98", "0.99", "0.995"], "dominant-class fractions (imbalance)")
flags.DEFINE_float("noise", 0.4, "flipped fraction (uniform, background)")
flags.DEFINE_string("methods", "", "comma-separated methods for every setup (default: each setup's own list)")
flags.DEFINE_integer("imbalance_steps", 1000, "training steps of the imbalance setup")
flags.DEFINE_float("imbalance_lr", 0.01, "constant learning rate of the imbalance setup (momentum 0.9)")
flags.DEFINE_integer("noisy_steps", 6000, "training steps of the noisy-label setups")
flags.DEFINE_float("noisy_lr", 0.01, "learning rate of the noisy-label setups (momentum 0.9; the paper's 0.1, and "
                   "0.03, make reweighted training of the BN-free reweight-lenet diverge)")
flags.DEFINE_enum("noisy_lr_schedule", "constant", ["constant", "piecewise", "cosine"],
                  "learning-rate schedule of the noisy-label setups")
flags.DEFINE_integer("noisy_train_size", 10_000, "corrupted training images kept in the noisy-label setups (0: all); "
                     "a small set lets the baselines memorise the noise within a short run, as in the paper")
flags.DEFINE_bool("noisy_augment", False, "crop + flip augmentation in the noisy-label setups (it delays "
                  "memorisation of the noise)")
flags.DEFINE_string("noisy_architecture", "reweight-lenet", "model of the noisy-label setups")
flags.DEFINE_string("output", "runs/reweight", "directory of finished runs")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update ('' to only print)")
flags.DEFINE_string("plot", "docs/images/reweight_imbalance.png", "imbalance plot")
flags.DEFINE_string("section_suffix", "", "appended to the RESULTS.md section titles (to keep the sections of "
                    "another protocol, run into another --output, apart)")
flags.DEFINE_bool("results_only", False, "do not train; rewrite the results from finished runs")
flags.DEFINE_list("weights_for", [], "methods whose seed-0 uniform-noise models are saved with a manifest-ready "
                  "record (for tools/publish_weights.py)")

DEFAULT_METHODS = {
    "imbalance": ["plain", "proportion", "resample", "hard_mining", "random", "reweight"],
    "uniform": ["plain", "plain+ft", "random", "random+ft", "clean_only", "reweight"],
    "background": ["plain", "plain+ft", "random", "clean_only", "reweight"],
}
# The paper's CIFAR-10 test accuracy (%) for the methods we run: Table 1 (UniformFlip 40%, WRN-28-10) and
# Table 2 (BackgroundFlip 40%, ResNet-32). The imbalance experiment (MNIST) is reported as a plot only.
PAPER = {
    "uniform": {"plain": "67.97 ± 0.62", "plain+ft": "78.66 ± 0.44", "random": "86.06 ± 0.32",
                "random+ft": "86.55 ± 0.24", "clean_only": "46.64 ± 3.90", "reweight": "86.92 ± 0.19"},
    "background": {"plain": "59.54 ± 2.16", "plain+ft": "82.82 ± 0.93", "random": "69.51 ± 1.36",
                   "clean_only": "15.90 ± 3.32", "reweight": "86.73 ± 0.48"},
}
LABELS = {"plain": "Baseline", "plain+ft": "Baseline + FT", "proportion": "Proportion", "resample": "Resample",
          "hard_mining": "Hard mining", "random": "Random", "random+ft": "Random + FT", "clean_only": "Clean only",
          "reweight": "**Ours (reweight)**"}
TITLES = {"imbalance": "Learning to reweight: class imbalance (Fig. 2) on Fashion-MNIST",
          "uniform": "Learning to reweight: 40% uniform flip (Table 1) on Fashion-MNIST",
          "background": "Learning to reweight: 40% background flip (Table 2) on Fashion-MNIST"}


def methods_for(setup):
    return FLAGS.methods.split(",") if FLAGS.methods else DEFAULT_METHODS[setup]


def params_for(setup):
    return FLAGS.ratios if setup == "imbalance" else [f"{FLAGS.noise:g}"]


def recipe_for(setup):
    if setup == "imbalance":
        return experiments.Recipe(steps=FLAGS.imbalance_steps, lr=FLAGS.imbalance_lr, lr_schedule="constant",
                                  augment=False, clean_batch_size=10, fine_tune_steps=0)
    return experiments.Recipe(architecture=FLAGS.noisy_architecture, steps=FLAGS.noisy_steps, lr=FLAGS.noisy_lr,
                              lr_schedule=FLAGS.noisy_lr_schedule, augment=FLAGS.noisy_augment)


def result_path(setup, param, method, seed):
    return pathlib.Path(FLAGS.output) / setup / param / method / f"seed{seed}.json"


def finished(setup, param, method):
    paths = [result_path(setup, param, method, s) for s in FLAGS.seeds]
    return [json.loads(p.read_text())["test_accuracy"] for p in paths if p.exists()]


def run_all(train, test):
    for setup in FLAGS.setups:
        recipe = recipe_for(setup)
        train_size = None if setup == "imbalance" else FLAGS.noisy_train_size or None
        for seed in FLAGS.seeds:
            for param in params_for(setup):
                task = experiments.make_task(setup, train, test, int(seed), ratio=float(param), noise=FLAGS.noise,
                                             train_size=train_size)
                for method in methods_for(setup):
                    path = result_path(setup, param, method, seed)
                    if path.exists():
                        continue
                    started = time.time()
                    base_weights = result_path(setup, param, method.removesuffix("+ft"), seed).with_suffix(
                        ".weights.h5")
                    model, accuracy = experiments.train_method(
                        task, method, recipe, int(seed), trained_base=base_weights if base_weights.exists() else None)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    model.save_weights(path.with_suffix(".weights.h5"))
                    if setup == "uniform" and seed == "0" and method in FLAGS.weights_for:
                        save_weights(model, task, recipe, method, accuracy, path.parent, time.time() - started)
                    path.write_text(json.dumps({"setup": setup, "param": param, "method": method, "seed": int(seed),
                                                "task": task.description, "recipe": vars(recipe),
                                                "test_accuracy": accuracy,
                                                "seconds": round(time.time() - started, 1)}, indent=2))
                    print(f"{setup} {param} {method} seed {seed}: {100 * accuracy:.2f}% "
                          f"({time.time() - started:.0f} s)", flush=True)
                    write_results(setup)


def save_weights(model, task, recipe, method, accuracy, output, seconds):
    """Write ``MODEL.fashion_mnist_uniform40_METHOD`` weights and record (publish with tools/publish_weights.py)."""
    tag = f"fashion_mnist_uniform{round(100 * FLAGS.noise)}_{method.replace('+', '_')}"
    records.write_weight_record(
        model, output, f"{recipe.architecture}.{tag}", architecture=recipe.architecture,
        builder_kwargs={"num_classes": 10, "input_shape": list(preprocessing.model_input_shape(
            preprocessing.FASHION_MNIST))},
        dataset="fashion_mnist",
        split={"train": f"train: {task.description}", "test": f"test[:{len(task.test[1])}]"},
        preprocessing=preprocessing.FASHION_MNIST,
        metrics={"top1_accuracy": round(accuracy, 6), "test_examples": int(len(task.test[1]))},
        command=shlex.join(["python", "tools/reweight_experiments.py", "--setups=uniform", f"--methods={method}",
                            "--seeds=0", f"--noisy_steps={recipe.steps}", f"--noisy_lr={recipe.lr}",
                            f"--noisy_lr_schedule={recipe.lr_schedule}", f"--noisy_train_size={FLAGS.noisy_train_size}",
                            f"--noisy_augment={recipe.augment}", f"--noisy_architecture={recipe.architecture}",
                            f"--output={FLAGS.output}", "--results="]),
        training={**vars(recipe), "method": method, "seed": 0, "seconds": round(seconds, 1)})


def mean_std(values):
    return f"{100 * np.mean(values):.2f} ± {100 * np.std(values):.2f}" if values else "–"


def write_results(setup):
    recipe = recipe_for(setup)
    scale = (f"Model `{recipe.architecture}`, {recipe.steps} steps of batch {recipe.batch_size} "
             f"(clean batch {recipe.clean_batch_size}), SGD momentum {recipe.momentum}, lr {recipe.lr} "
             f"({recipe.lr_schedule}), {'crop + flip augmentation' if recipe.augment else 'no augmentation'}"
             + (f"; +FT: {recipe.fine_tune_steps} steps on the clean set at lr {recipe.fine_tune_lr}"
                if setup != "imbalance" else "")
             + f". Mean ± std over seeds {', '.join(FLAGS.seeds)} (the seed also draws the clean set and the "
             "corruption).")
    if setup != "imbalance" and FLAGS.noisy_train_size and not recipe.augment:
        scale += (f" {recipe.steps * recipe.batch_size / FLAGS.noisy_train_size:g} epochs over a fixed subset "
                  "without augmentation: long enough for plain training to memorise the noisy labels, the regime of "
                  "the paper's CIFAR experiments.")
    if setup == "imbalance":
        header = ("Method", *[f"{float(r):g} coat" for r in FLAGS.ratios])
        rows = [(LABELS[m], *[mean_std([1 - a for a in finished(setup, r, m)]) for r in FLAGS.ratios])
                for m in methods_for(setup)]
        body = (f"Test **error** (%) on all pullover and coat test images (2,000, balanced) after training on 5,000 "
                f"images of which the given fraction are coats, with 10 balanced clean images. {scale} The paper "
                "(MNIST 4 vs 9) reports this as a plot: its method's error grows by only about 2% up to 200:1 "
                "(0.995) while the baselines degrade.\n\n" + benchmark.markdown_table(header, rows)
                + f"\n\n![test error vs imbalance](images/{pathlib.Path(FLAGS.plot).name})\n")
        plot_imbalance()
    else:
        param = params_for(setup)[0]
        rows = []
        for method in methods_for(setup):
            accuracies = finished(setup, param, method)
            rows.append((LABELS[method], mean_std(accuracies), str(len(accuracies)),
                         PAPER[setup].get(method, "–")))
        # The background class is drawn by the seed, so the seeds' task descriptions can differ.
        description = " / ".join(dict.fromkeys(
            json.loads(p.read_text())["task"] for p in
            sorted((pathlib.Path(FLAGS.output) / setup / param).glob("*/seed*.json"), key=lambda p: p.name)))
        body = (f"Test accuracy (%) on the full Fashion-MNIST test split; training labels: {description}. {scale} "
                f"The paper's column is CIFAR-10 ({'WRN-28-10' if setup == 'uniform' else 'ResNet-32'}).\n\n"
                + benchmark.markdown_table(("Method", "Fashion-MNIST (ours)", "Seeds", "CIFAR-10 (paper)"), rows))
    if FLAGS.results:
        benchmark.write_section(FLAGS.results, TITLES[setup] + FLAGS.section_suffix, body,
                                shlex.join(["python", *sys.argv]))
    else:
        print(body)


def plot_imbalance():
    plt = benchmark.pyplot()

    ratios = [float(r) for r in FLAGS.ratios]
    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods_for("imbalance"):
        errors = [[1 - a for a in finished("imbalance", r, method)] for r in FLAGS.ratios]
        if not all(errors):
            continue
        ax.errorbar(ratios, [100 * np.mean(e) for e in errors], yerr=[100 * np.std(e) for e in errors],
                    marker="o", capsize=3, label=LABELS[method].strip("*"))
    ax.set_xlabel("fraction of the dominant class (coat)")
    ax.set_ylabel("test error % (balanced pullover / coat)")
    ax.set_title("Class imbalance, 10 clean images")
    ax.legend(fontsize=8)
    fig.tight_layout()
    pathlib.Path(FLAGS.plot).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FLAGS.plot, dpi=120)
    plt.close(fig)


def main(argv):
    del argv
    unknown = [s for s in FLAGS.setups if s not in experiments.SETUPS]
    if unknown:
        raise app.UsageError(f"--setups has unknown entries {unknown}; choose from {list(experiments.SETUPS)}")
    if not FLAGS.results_only:
        run_all(load_fashion_mnist("train"), load_fashion_mnist("test"))
    for setup in FLAGS.setups:
        write_results(setup)


if __name__ == "__main__":
    app.run(main)
