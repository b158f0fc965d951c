"""The learning-to-reweight paper's experiments on Fashion-MNIST, every method × seed, resumable.

Each finished run is saved as runs/reweight/SETUP/PARAM/METHOD/seedN.json and skipped on a rerun; after every
run the setup's result (mean ± std over the finished seeds, the paper's numbers beside) is recorded as
reweight_imbalance, reweight_uniform_flip or reweight_background_flip, and for the imbalance setup the plot
docs/images/reweight_imbalance.png is drawn.

    python tools/reweight/experiments.py --setups=imbalance              # 5 ratios x 6 methods x 3 seeds
    python tools/reweight/experiments.py --setups=uniform,background     # 40% noise, 5-6 methods x 3 seeds
    python tools/reweight/experiments.py --results_only                  # record the results only

The noisy setups default to the regime in which the paper's baselines fail: a 10,000-image subset without
augmentation, long enough (60 epochs) for plain training to memorise the noise. The regime in which it does not
(all images, augmentation, 3,000 steps with lr decay) is kept apart (result reweight_uniform_flip_full):

    python tools/reweight/experiments.py --setups=uniform --noisy_train_size=0 --noisy_augment \\
        --noisy_lr_schedule=piecewise --noisy_steps=3000 --output=runs/reweight_all_images_augmented \\
        --result_suffix=_full

The shipped setup-(b) weights come from the whole corrupted training split, without a result:

    python tools/reweight/experiments.py --setups=uniform --methods=plain,reweight --seeds=0 \\
        --noisy_train_size=0 --noisy_steps=20000 --weights_for=plain,reweight --output=runs/reweight_full --results=

The paper's own data (--dataset=mnist for the imbalance, cifar10 or cifar100 for the noisy setups; streamed from
tfds, zoo.reweight.sources) at its own configuration: --recipe=reweight-background-cifar10 etc. Those runs print
and keep their results (OUTPUT/DATASET/SETUP/PARAM/METHOD/seedN.json) and record no page result.
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.data import load_fashion_mnist
from zoo.reweight import experiments, plots, sources, sweep
from zoo.training import recipes, strategies

TOOL = "tools/reweight/experiments.py"

FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_enum("dataset", "fashion_mnist", ["fashion_mnist", "mnist", "cifar10", "cifar100"], "fashion_mnist (the "
                  "zoo's scale), or the paper's: mnist (imbalance), cifar10 / cifar100 (uniform, background)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download the paper's data sets")
flags.DEFINE_integer("imbalance_size", 5000, "training images of the paper's MNIST imbalance setup")
flags.DEFINE_integer("hyper_validation", 5000, "noisy images held out of the paper's CIFAR setups")
flags.DEFINE_integer("clean_per_class", 0, "clean images per class of the paper's CIFAR setups (0: the paper's, 1,000 "
                     "in all for uniform, 10 per class for background; the paper's Fig. 4 varies it)")
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
flags.DEFINE_list("noisy_lr_boundaries", [], "steps of the piecewise schedule's decays (÷10; default 50%, 75%)")
flags.DEFINE_integer("fine_tune_steps", 200, "+FT steps on the clean set (noisy-label setups; paper: 5,000)")
flags.DEFINE_integer("noisy_train_size", 10_000, "corrupted training images kept in the noisy-label setups (0: all); "
                     "a small set lets the baselines memorise the noise within a short run, as in the paper")
flags.DEFINE_bool("noisy_augment", False, "crop + flip augmentation in the noisy-label setups (it delays "
                  "memorisation of the noise)")
flags.DEFINE_string("noisy_architecture", "reweight-lenet", "model of the noisy-label setups")
flags.DEFINE_string("output", "runs/reweight", "directory of finished runs")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
flags.DEFINE_string("plot", "docs/images/reweight_imbalance.png", "imbalance plot")
flags.DEFINE_string("result_suffix", "", "appended to the result names (to keep the results of another protocol, "
                    "run into another --output, apart)")
flags.DEFINE_bool("results_only", False, "do not train; record the results from finished runs")
strategies.define_flags()
flags.DEFINE_list("weights_for", [], "methods whose seed-0 uniform-noise models are saved with a manifest-ready "
                  "record (for tools/zoo/publish.py)")


def methods_for(setup):
    return FLAGS.methods.split(",") if FLAGS.methods else sweep.DEFAULT_METHODS[setup]


def params_for(setup):
    return FLAGS.ratios if setup == "imbalance" else [f"{FLAGS.noise:g}"]


def train_size_for(setup):
    return None if setup == "imbalance" else FLAGS.noisy_train_size or None


def recipe_for(setup):
    if setup == "imbalance":
        return experiments.Recipe(steps=FLAGS.imbalance_steps, lr=FLAGS.imbalance_lr, lr_schedule="constant",
                                  augment=False, clean_batch_size=10, fine_tune_steps=0)
    return experiments.Recipe(architecture=FLAGS.noisy_architecture, steps=FLAGS.noisy_steps, lr=FLAGS.noisy_lr,
                              lr_schedule=FLAGS.noisy_lr_schedule, augment=FLAGS.noisy_augment,
                              lr_boundaries=tuple(int(b) for b in FLAGS.noisy_lr_boundaries),
                              fine_tune_steps=FLAGS.fine_tune_steps)


def paper_tasks(setup):
    """The paper's task of ``setup`` for a seed and a parameter (ratio or noise); the imbalance is MNIST's."""
    dataset = None if setup == "imbalance" else FLAGS.dataset
    return lambda seed, param: sources.paper_task(
        setup, dataset, seed, FLAGS.noise, float(param), FLAGS.imbalance_size, FLAGS.hyper_validation,
        FLAGS.clean_per_class or None, FLAGS.data_dir, FLAGS.download)


def record(setup):
    """Record ``setup``'s result from the finished runs (and draw the imbalance figure)."""
    recipe, methods = recipe_for(setup), methods_for(setup)
    scale = sweep.recipe_note(setup, recipe, FLAGS.seeds, train_size_for(setup))
    figures, data = [], {}
    if setup == "imbalance":
        data = sweep.imbalance_errors(FLAGS.output, FLAGS.ratios, methods, FLAGS.seeds)
        table = sweep.imbalance_table(data)
        plots.imbalance(data, FLAGS.plot)
        figures = [FLAGS.plot]
        note = (f"Test **error** (%) on all pullover and coat test images (2,000, balanced) after training on 5,000 "
                f"images of which the given fraction are coats, with 10 balanced clean images. {scale} The paper "
                "(MNIST 4 vs 9) reports this as a plot: its method's error grows by only about 2% up to 200:1 "
                "(0.995) while the baselines degrade.")
    else:
        param = params_for(setup)[0]
        table = sweep.noisy_table(FLAGS.output, setup, param, methods, FLAGS.seeds)
        note = (f"Test accuracy (%) on the full Fashion-MNIST test split; training labels: "
                f"{sweep.task_descriptions(FLAGS.output, setup, param)}. {scale} The paper's column is CIFAR-10 "
                f"({'WRN-28-10' if setup == 'uniform' else 'ResNet-32'}).")
    benchmark.record(sweep.RESULTS[setup] + FLAGS.result_suffix, FLAGS.results, tables=[table], figures=figures,
                     notes=[note], data=data)


def main(argv):
    del argv
    recipes.apply_flags(TOOL)
    unknown = [s for s in FLAGS.setups if s not in experiments.SETUPS]
    if unknown:
        raise app.UsageError(f"--setups has unknown entries {unknown}; choose from {list(experiments.SETUPS)}")
    zoo_scale = FLAGS.dataset == "fashion_mnist"
    if not FLAGS.results_only:
        strategy = strategies.from_flags()
        train, test = (load_fashion_mnist("train"), load_fashion_mnist("test")) if zoo_scale else (None, None)
        output = FLAGS.output if zoo_scale else f"{FLAGS.output}/{FLAGS.dataset}"
        for setup in FLAGS.setups:
            sweep.run(output, setup, train, test, recipe_for(setup), FLAGS.seeds, params_for(setup),
                      methods_for(setup), noise=FLAGS.noise, train_size=train_size_for(setup),
                      weights_for=FLAGS.weights_for, strategy=strategy, tasks=None if zoo_scale else paper_tasks(setup),
                      after_each=(lambda setup=setup: record(setup)) if zoo_scale else None)
    for setup in FLAGS.setups if zoo_scale else ():
        record(setup)


if __name__ == "__main__":
    app.run(main)
