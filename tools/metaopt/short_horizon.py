"""Short-horizon bias experiments: figures (docs/images/short_horizon_*.png) and recorded results
short_horizon_nqm, short_horizon_offline and short_horizon_online.

    python tools/metaopt/short_horizon.py --parts=nqm      # (a) greedy vs long-horizon optimal schedules on the NQM
    python tools/metaopt/short_horizon.py --parts=offline  # (b) offline meta-optimisation per horizon vs a grid search
    python tools/metaopt/short_horizon.py --parts=online   # (c) online meta-optimisation vs a hand-tuned schedule

(b) and (c) train the paper's MLP 784-100-100-10 on Fashion-MNIST with momentum SGD; finished pieces are saved
as JSON under --output and reused on a rerun. The paper's own MNIST runs, at its configuration:

    python tools/metaopt/short_horizon.py --recipe=short-horizon-offline-mnist --download   # or ..-online-mnist

print their tables and keep their pieces and figures under OUTPUT/mnist (no page result is recorded).
"""
import dataclasses
import pathlib

from absl import app, flags

from zoo import benchmark, reporting
from zoo.metaopt import experiments, hypergrad, plots
from zoo.training import recipes, strategies

TOOL = "tools/metaopt/short_horizon.py"

_DEFAULTS = experiments.Config()
FLAGS = flags.FLAGS
PARTS = ("nqm", "offline", "online")
recipes.define_flag(TOOL)
flags.DEFINE_list("parts", list(PARTS), f"experiments to run, from {PARTS}")
flags.DEFINE_enum("dataset", "fashion_mnist", ["fashion_mnist", "mnist"], "data of (b) and (c): Fashion-MNIST, or the "
                  "paper's MNIST (tfds)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download MNIST")
flags.DEFINE_integer("nqm_dim", _DEFAULTS.nqm_dim, "NQM dimensions d")
flags.DEFINE_float("nqm_curvature_power", _DEFAULTS.nqm_curvature_power, "NQM curvatures h_i = i^(-p)")
flags.DEFINE_float("nqm_gradient_noise", _DEFAULTS.nqm_gradient_noise, "NQM gradient-noise variance s * h_i")
flags.DEFINE_integer("nqm_horizon", _DEFAULTS.nqm_horizon, "NQM horizon T")
flags.DEFINE_integer("nqm_meta_steps", _DEFAULTS.nqm_meta_steps, "Adam steps of the long-horizon schedule search")
flags.DEFINE_list("horizons", [str(h) for h in _DEFAULTS.horizons], "offline meta-optimisation horizons T")
flags.DEFINE_list("meta_steps", [str(s) for s in _DEFAULTS.meta_steps], "offline meta-steps for each horizon")
flags.DEFINE_float("offline_meta_lr", _DEFAULTS.offline_meta_lr, "Adam step size of the offline meta-optimisation")
flags.DEFINE_float("offline_initial_lr", _DEFAULTS.offline_initial_lr, "α₀ where offline meta-optimisation starts")
flags.DEFINE_float("offline_initial_decay", _DEFAULTS.offline_initial_decay, "β where it starts")
flags.DEFINE_integer("meta_batch_size", _DEFAULTS.meta_batch_size, "training images of the offline meta-objective")
flags.DEFINE_integer("full_run_steps", _DEFAULTS.full_run_steps, "steps of a full training run (grid and evaluation)")
flags.DEFINE_list("grid_lrs", [str(x) for x in _DEFAULTS.grid_lrs], "α₀ of the grid search")
flags.DEFINE_list("grid_decays", [str(x) for x in _DEFAULTS.grid_decays], "β of the grid search")
flags.DEFINE_integer("online_steps", _DEFAULTS.online_steps, "training steps of the online experiment (paper: 50,000)")
flags.DEFINE_float("online_initial_lr", _DEFAULTS.online_initial_lr, "learning rate where online meta-optimisation "
                   "starts")
flags.DEFINE_float("online_initial_momentum", _DEFAULTS.online_initial_momentum, "momentum where it starts")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "training batch size")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "seed of batches and initialisation")
flags.DEFINE_string("output", _DEFAULTS.output, "directory of finished pieces")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
flags.DEFINE_string("images", "docs/images", "directory of the figures")
strategies.define_flags()


def config_from_flags():
    """The :class:`zoo.metaopt.experiments.Config` of the flags."""
    lists = {"horizons": int, "meta_steps": int, "grid_lrs": float, "grid_decays": float}
    return experiments.Config(**{field: tuple(map(lists[field], FLAGS[field].value)) if field in lists
                                 else FLAGS[field].value for field in experiments.Config.__dataclass_fields__})


def main(argv):
    del argv
    recipes.apply_flags(TOOL)
    unknown = [p for p in FLAGS.parts if p not in PARTS]
    if unknown:
        raise app.UsageError(f"--parts has unknown entries {unknown}; choose from {list(PARTS)}")
    if len(FLAGS.meta_steps) != len(FLAGS.horizons):
        raise app.UsageError(f"--meta_steps needs one count per horizon ({len(FLAGS.horizons)}), got "
                             f"{len(FLAGS.meta_steps)}")
    strategy = strategies.from_flags()  # the full runs and the hand-tuned run; meta-optimisation runs on one device
    config, images, results = config_from_flags(), pathlib.Path(FLAGS.images), FLAGS.results
    if FLAGS.dataset != "fashion_mnist":  # the paper's data: its own cache and figures, printed, not recorded
        config = dataclasses.replace(config, output=f"{config.output}/{FLAGS.dataset}")
        images, results = pathlib.Path(config.output) / "images", ""
    if "nqm" in FLAGS.parts:
        curves = experiments.nqm_curves(config)
        plots.nqm(curves, images / "short_horizon_nqm.png")
        benchmark.record("short_horizon_nqm", results,
                         tables=[experiments.nqm_table(curves, config.nqm_horizon)],
                         figures=[images / "short_horizon_nqm.png"], notes=[experiments.nqm_note(config, curves)])
    if "offline" in FLAGS.parts or "online" in FLAGS.parts:
        train, test = (experiments.load_split(split, FLAGS.dataset, FLAGS.data_dir, FLAGS.download)
                       for split in ("train", "test"))
    if "offline" in FLAGS.parts:
        trainer = experiments.mlp_trainer(hypergrad.InverseTimeDecay(experiments.DECAY_STEPS, experiments.MOMENTUM),
                                          config.seed)
        grid, meta = experiments.offline(trainer, train, test, config, strategy)
        plots.offline(grid, meta, config.full_run_steps, images / "short_horizon_offline.png")
        benchmark.record("short_horizon_offline", results,
                         tables=[experiments.offline_table(grid, meta, config)],
                         figures=[images / "short_horizon_offline.png"], notes=[experiments.offline_note(config)])
    if "online" in FLAGS.parts:
        trainer = experiments.mlp_trainer(hypergrad.EffectiveLearningRate(), config.seed)
        runs = experiments.online(trainer, train, test, config, strategy)
        plots.online(runs, config.online_steps, config.online_initial_lr, images / "short_horizon_online.png")
        benchmark.record("short_horizon_online", results, tables=[experiments.online_table(runs)],
                         figures=[images / "short_horizon_online.png"], notes=[experiments.online_note(config, runs)])


if __name__ == "__main__":
    app.run(main)
