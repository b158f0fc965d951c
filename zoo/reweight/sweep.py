"""The paper's experiments as a resumable sweep (``tools/reweight/experiments.py``): every method × seed × setting
of a setup trained once (:func:`zoo.reweight.experiments.train_method`) and kept as ``OUTPUT/SETUP/PARAM/METHOD/
seedN.json``, the manifest-ready records of the shipped weights, and the recorded results' tables and numbers."""
import json
import pathlib
import shlex
import time

import numpy as np

from zoo import reporting
from zoo.data import preprocessing
from zoo.reweight import experiments
from zoo.training import records

DEFAULT_METHODS = {
    "imbalance": ["plain", "proportion", "resample", "hard_mining", "random", "reweight"],
    "uniform": ["plain", "plain+ft", "random", "random+ft", "clean_only", "reweight"],
    "background": ["plain", "plain+ft", "random", "clean_only", "reweight"],
}
"""The methods each setup compares (the paper's rows)."""

PAPER = {
    "uniform": {"plain": "67.97 ± 0.62", "plain+ft": "78.66 ± 0.44", "random": "86.06 ± 0.32",
                "random+ft": "86.55 ± 0.24", "clean_only": "46.64 ± 3.90", "reweight": "86.92 ± 0.19"},
    "background": {"plain": "59.54 ± 2.16", "plain+ft": "82.82 ± 0.93", "random": "69.51 ± 1.36",
                   "clean_only": "15.90 ± 3.32", "reweight": "86.73 ± 0.48"},
}
"""The paper's CIFAR-10 test accuracy (%): Table 1 (UniformFlip 40%, WRN-28-10) and Table 2 (BackgroundFlip 40%,
ResNet-32). The imbalance experiment (MNIST) is reported as a plot only."""

LABELS = {"plain": "Baseline", "plain+ft": "Baseline + FT", "proportion": "Proportion", "resample": "Resample",
          "hard_mining": "Hard mining", "random": "Random", "random+ft": "Random + FT", "clean_only": "Clean only",
          "reweight": "**Ours (reweight)**"}
"""Row label of each method."""

RESULTS = {"imbalance": "reweight_imbalance", "uniform": "reweight_uniform_flip",
           "background": "reweight_background_flip"}
"""The name of each setup's recorded result."""


def result_path(output, setup, param, method, seed):
    """Where one finished run's result is kept (its weights beside it, ``.weights.h5``)."""
    return pathlib.Path(output) / setup / str(param) / method / f"seed{seed}.json"


def finished(output, setup, param, method, seeds):
    """Test accuracies of the finished runs of ``method`` among ``seeds``."""
    paths = [result_path(output, setup, param, method, s) for s in seeds]
    return [json.loads(p.read_text())["test_accuracy"] for p in paths if p.exists()]


def run(output, setup, train, test, recipe, seeds, params, methods, noise=0.4, train_size=None, weights_for=(),
        after_each=None, strategy=None, tasks=None):
    """Train every missing run of ``setup``: each of ``methods`` for each seed and param (a ratio for
    ``imbalance``, the noise otherwise), on :func:`zoo.reweight.experiments.make_task` of ``train`` / ``test``.

    A ``+ft`` method fine-tunes its base method's finished weights when they exist. The seed-0 uniform-noise models
    of ``weights_for`` methods also get a manifest-ready record (:func:`write_weight_record`). ``after_each`` is
    called after every finished run (e.g. to record the results so far). ``strategy`` (default: one device) is
    the ``tf.distribute`` strategy every run trains under (:func:`zoo.reweight.experiments.train_method`).
    ``tasks(seed, param)``, when given, makes each task instead (e.g. :func:`zoo.reweight.sources.paper_task`;
    ``train`` and ``test`` are then unused).
    """
    for seed in seeds:
        for param in params:
            task = tasks(int(seed), param) if tasks else experiments.make_task(
                setup, train, test, int(seed), ratio=float(param), noise=noise, train_size=train_size)
            for method in methods:
                path = result_path(output, setup, param, method, seed)
                if path.exists():
                    continue
                started = time.time()
                base = result_path(output, setup, param, method.removesuffix("+ft"), seed).with_suffix(".weights.h5")
                model, accuracy = experiments.train_method(task, method, recipe, int(seed),
                                                           trained_base=base if base.exists() else None,
                                                           strategy=strategy)
                path.parent.mkdir(parents=True, exist_ok=True)
                model.save_weights(path.with_suffix(".weights.h5"))
                seconds = time.time() - started
                if setup == "uniform" and int(seed) == 0 and method in weights_for:
                    write_weight_record(model, task, recipe, method, accuracy, path.parent, seconds, noise,
                                        train_size, output)
                path.write_text(json.dumps({"setup": setup, "param": param, "method": method, "seed": int(seed),
                                            "task": task.description, "recipe": vars(recipe),
                                            "test_accuracy": accuracy, "seconds": round(seconds, 1)}, indent=2))
                print(f"{setup} {param} {method} seed {seed}: {100 * accuracy:.2f}% ({seconds:.0f} s)", flush=True)
                if after_each:
                    after_each()


def write_weight_record(model, task, recipe, method, accuracy, directory, seconds, noise, train_size, output):
    """Write ``MODEL.fashion_mnist_uniform40_METHOD`` weights and record in ``directory`` (publish them with
    ``tools/zoo/publish.py``); the record's command reruns this one run into ``output``."""
    tag = f"fashion_mnist_uniform{round(100 * noise)}_{method.replace('+', '_')}"
    records.write_weight_record(
        model, directory, f"{recipe.architecture}.{tag}", architecture=recipe.architecture,
        builder_kwargs={"num_classes": 10, "input_shape": list(preprocessing.model_input_shape(
            preprocessing.FASHION_MNIST))},
        dataset="fashion_mnist",
        split={"train": f"train: {task.description}", "test": f"test[:{len(task.test[1])}]"},
        preprocessing=preprocessing.FASHION_MNIST,
        metrics={"top1_accuracy": round(accuracy, 6), "test_examples": int(len(task.test[1]))},
        command=shlex.join(["python", "tools/reweight/experiments.py", "--setups=uniform", f"--methods={method}",
                            "--seeds=0", f"--noisy_steps={recipe.steps}", f"--noisy_lr={recipe.lr}",
                            f"--noisy_lr_schedule={recipe.lr_schedule}", f"--noisy_train_size={train_size or 0}",
                            f"--noisy_augment={recipe.augment}", f"--noisy_architecture={recipe.architecture}",
                            f"--output={output}", "--results="]),
        training={**vars(recipe), "method": method, "seed": 0, "seconds": round(seconds, 1)})


def mean_std(values):
    """``"mean ± std"`` in % of fractions ``values``, ``"–"`` when there are none."""
    return f"{100 * np.mean(values):.2f} ± {100 * np.std(values):.2f}" if len(values) else "–"


def imbalance_errors(output, ratios, methods, seeds):
    """The imbalance result's numbers: ``{"ratios": [...], "error": {method: {"mean": [...], "std": [...]}}}``, the
    test error over the finished seeds at each ratio (``None`` where no seed has finished)."""
    error = {}
    for method in methods:
        runs = [[1 - a for a in finished(output, "imbalance", ratio, method, seeds)] for ratio in ratios]
        error[method] = {"mean": [float(np.mean(r)) if r else None for r in runs],
                         "std": [float(np.std(r)) if r else None for r in runs]}
    return {"ratios": [float(r) for r in ratios], "error": error}


def imbalance_table(errors):
    """The imbalance result's table from :func:`imbalance_errors`: test error (%) per method and ratio."""
    def cell(mean, std):
        return "–" if mean is None else f"{100 * mean:.2f} ± {100 * std:.2f}"

    return reporting.Table(["Method", *(f"{r:g} coat" for r in errors["ratios"])],
                           [[LABELS[method], *map(cell, e["mean"], e["std"])] for method, e in errors["error"].items()])


def noisy_table(output, setup, param, methods, seeds):
    """A noisy-label setup's table: each method's test accuracy (mean ± std over the finished seeds) beside the
    paper's CIFAR-10 column."""
    rows = []
    for method in methods:
        accuracies = finished(output, setup, param, method, seeds)
        rows.append([LABELS[method], mean_std(accuracies), str(len(accuracies)), PAPER[setup].get(method, "–")])
    return reporting.Table(["Method", "Fashion-MNIST (ours)", "Seeds", "CIFAR-10 (paper)"], rows)


def task_descriptions(output, setup, param):
    """The training labels of the finished runs (the background class is drawn by the seed, so they can differ)."""
    paths = sorted((pathlib.Path(output) / setup / str(param)).glob("*/seed*.json"), key=lambda p: p.name)
    return " / ".join(dict.fromkeys(json.loads(p.read_text())["task"] for p in paths))


def recipe_note(setup, recipe, seeds, train_size):
    """The training recipe of a setup's runs as a sentence (and why a small subset, where one was used)."""
    note = (f"Model `{recipe.architecture}`, {recipe.steps} steps of batch {recipe.batch_size} (clean batch "
            f"{recipe.clean_batch_size}), SGD momentum {recipe.momentum}, lr {recipe.lr} ({recipe.lr_schedule}), "
            f"{'crop + flip augmentation' if recipe.augment else 'no augmentation'}"
            + (f"; +FT: {recipe.fine_tune_steps} steps on the clean set at lr {recipe.fine_tune_lr}"
               if setup != "imbalance" else "")
            + f". Mean ± std over seeds {', '.join(map(str, seeds))} (the seed also draws the clean set and the "
            "corruption).")
    if setup != "imbalance" and train_size and not recipe.augment:
        note += (f" {recipe.steps * recipe.batch_size / train_size:g} epochs over a fixed subset without "
                 "augmentation: long enough for plain training to memorise the noisy labels, the regime of the "
                 "paper's CIFAR experiments.")
    return note
