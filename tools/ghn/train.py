"""Train a graph hypernetwork on Fashion-MNIST, a freshly sampled architecture (7-node cells) every step.

    python tools/ghn/train.py                                  # the paper's GHN-1 settings -> runs/ghn/ghn
    python tools/ghn/train.py --model=ghn --normalize --run=norm   # GHN-2 options one at a time
    python tools/ghn/train.py --publish_as=ghn.fashion_mnist   # + a manifest-ready weight record
    python tools/ghn/train.py --init_from=ghn --num_nodes=17 --lr=3e-4 --seed=1 --run=ft   # fine-tune a run

Resumable (checkpoints every 50 steps in runs/ghn/RUN). At the end the GHN predicts the weights of the first
``--eval_architectures`` unseen 17-node evaluation architectures; their mean validation and test accuracy go in
RUN/summary.json.
"""
import json
import pathlib
import sys

import numpy as np
from absl import app, flags

from zoo import registry
from zoo.ghn import graph as ghn_graph
from zoo.ghn import search, training
from zoo.training import recipes, strategies

TOOL = "tools/ghn/train.py"

FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_enum("dataset", "fashion_mnist", ["fashion_mnist", "cifar10"], "Fashion-MNIST (10,000 held out), or the "
                  "paper's CIFAR-10 from tfds (5,000 held out; --data_dir, --download)")
flags.DEFINE_integer("validation", 0, "training images held out (0: 10,000 of Fashion-MNIST, the paper's 5,000)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download CIFAR-10")
flags.DEFINE_enum("model", "ghn", ["ghn", "ghn2"], "registered GHN")
flags.DEFINE_bool("normalize", None, "override: GHN-2 fan-in normalization of predicted kernels")
flags.DEFINE_bool("layer_norm", None, "override: GHN-2 layer norm on node embeddings")
flags.DEFINE_bool("module_handoff", None, "override: pass module embeddings between stacked cells (paper's Table 5)")
flags.DEFINE_integer("meta_batch", 1, "architectures per step (GHN-2: 8)")
flags.DEFINE_integer("steps", 1000, "training steps")
flags.DEFINE_integer("batch_size", 64, "images per step, shared by the meta-batch (GHN-2: 64 on CIFAR-10, 256 on "
                     "ImageNet)")
flags.DEFINE_float("lr", 1e-3, "peak learning rate of the cosine schedule (AdamW)")
flags.DEFINE_float("ema_decay", 0.0, "also average the GHN's weights exponentially over the steps and keep the "
                   "average (0 = off; the last iterate is then saved as ghn_last.weights.h5)")
flags.DEFINE_integer("num_nodes", 7, "nodes of the training cells (paper: 7)")
flags.DEFINE_integer("cells_per_stage", 1, "cells in each of the 3 stages of the networks it trains and scores on "
                     "(zoo.ghn.search.network_skeleton; the paper: 6)")
flags.DEFINE_integer("channels", search.NETWORK["channels"], "channels of the first stage of the networks it "
                     "trains and scores on (the paper: 32)")
flags.DEFINE_enum("cell_output_norm", "none", list(ghn_graph.CELL_OUTPUT_NORMS), "how each cell's output "
                  "combines its leaves: their sum (the paper), or the sum then batch norm (independent of the leaf "
                  "count)")
flags.DEFINE_integer("max_num_nodes", 0, "if set, each training cell has num_nodes … max_num_nodes nodes (uniform)")
flags.DEFINE_integer("sweeps", 5, "forward-backward sweeps T (paper: 5)")
flags.DEFINE_integer("hidden", 32, "node embedding / GRU size (paper: 32)")
flags.DEFINE_integer("virtual_edges", 0, "GHN-2 virtual edges up to this many hops (GHN-2: 50; 0 = none)")
flags.DEFINE_bool("shape_encoding", False, "GHN-2 shape encoding: embed each node's channel counts")
flags.DEFINE_integer("eval_architectures", 20, "unseen 17-node architectures scored at the end")
flags.DEFINE_integer("seed", 0, "initialisation and architecture stream")
flags.DEFINE_string("run", "ghn", "run name (directory under --output)")
flags.DEFINE_string("output", "runs/ghn", "directory of the runs")
flags.DEFINE_string("init_from", "", "start from the trained GHN of this run, or of a published weight such as "
                    "ghn.fashion_mnist (a fine-tune; its builder options must match)")
strategies.define_flags()
flags.DEFINE_string("publish_as", "", "also write a manifest-ready weight record NAME (then run "
                    "tools/publish_weights.py --record=..., which adds the golden outputs and headline)")


def main(argv):
    del argv
    import keras
    recipes.apply_flags(TOOL)
    if FLAGS.publish_as and FLAGS.dataset != "fashion_mnist":
        raise app.UsageError("--publish_as records Fashion-MNIST weights only")
    strategy = strategies.from_flags()  # the meta-batch's architectures are split over the replicas
    keras.utils.set_random_seed(FLAGS.seed)
    run = pathlib.Path(FLAGS.output) / FLAGS.run
    run.mkdir(parents=True, exist_ok=True)
    options = {k: getattr(FLAGS, k) for k in ("normalize", "layer_norm", "module_handoff")
               if getattr(FLAGS, k) is not None}
    builder_kwargs = {"sweeps": FLAGS.sweeps, **options}
    if FLAGS.hidden != 32:
        builder_kwargs["hidden"] = FLAGS.hidden
    if FLAGS.virtual_edges:
        builder_kwargs["virtual_edges"] = FLAGS.virtual_edges
    if FLAGS.shape_encoding:
        builder_kwargs["shape_encoding"] = True
    with strategy.scope():
        ghn = registry.build(FLAGS.model, **builder_kwargs)
    base_seconds = initial_weights(ghn, FLAGS.init_from) if FLAGS.init_from else 0.0
    data = training.load_data(FLAGS.dataset, FLAGS.validation, FLAGS.data_dir, FLAGS.download)
    skeleton = dict(cells_per_stage=FLAGS.cells_per_stage, channels=FLAGS.channels,
                    cell_output_norm=FLAGS.cell_output_norm, image_channels=data["train"][0].shape[-1])
    network = search.network_skeleton(**skeleton)
    config = training.GHNConfig(steps=FLAGS.steps, num_nodes=FLAGS.num_nodes,
                                max_num_nodes=FLAGS.max_num_nodes, meta_batch=FLAGS.meta_batch,
                                batch_size=FLAGS.batch_size, lr=FLAGS.lr, ema_decay=FLAGS.ema_decay,
                                seed=FLAGS.seed)

    def progress(step, history):
        if step % 10 == 0 or step == config.steps:
            print(f"\rstep {step}/{config.steps}  loss {np.mean(history['loss'][-50:]):.3f}  "
                  f"train acc {np.mean(history['accuracy'][-50:]):.3f}  ({history['seconds']:.0f} s)",
                  end="", flush=True)

    history = training.train_ghn(ghn, data, config, network, checkpoint_dir=run / "checkpoints",
                                 progress=progress, strategy=strategy)
    print()
    unseen = [search.evaluation_architecture(i, **skeleton) for i in range(FLAGS.eval_architectures)]
    scores = search.score_architectures(ghn, unseen, data)
    summary = {"model": FLAGS.model, "builder_kwargs": builder_kwargs, "config": vars(config),
               "init_from": FLAGS.init_from or None, "network": network,
               "train_seconds": base_seconds + history["seconds"], "eval_architectures": FLAGS.eval_architectures,
               "mean_validation_accuracy": float(np.mean(scores["validation_accuracy"])),
               "mean_test_accuracy": float(np.mean(scores["test_accuracy"])),
               "command": " ".join(["python"] + sys.argv)}
    (run / "summary.json").write_text(json.dumps(summary, indent=1))
    ghn.save_weights(run / "ghn.weights.h5")
    if "last_iterate" in history:
        save_with(ghn, history["last_iterate"], run / "ghn_last.weights.h5")
    print(json.dumps(summary, indent=1))
    if FLAGS.publish_as:
        training.write_weight_record(ghn, run, FLAGS.publish_as, summary=summary, config=config)


def initial_weights(ghn, init_from):
    """Load the GHN of the run ``init_from`` (under ``--output``) or of the published weight of that name into
    ``ghn``; returns the seconds its training took."""
    base = pathlib.Path(FLAGS.output) / init_from
    if (base / "ghn.weights.h5").exists():
        ghn.load_weights(base / "ghn.weights.h5")
        return json.loads((base / "summary.json").read_text())["train_seconds"]
    spec = registry.get_weight_spec(init_from)  # a clear error for a name that is neither
    ghn.set_weights(registry.load(init_from).get_weights())
    return float(spec.training["seconds"])


def save_with(ghn, values, path):
    """Save ``ghn`` with its trainable variables set to ``values`` (e.g. the last iterate of an averaged run), then
    restore its own values."""
    own = [v.numpy() for v in ghn.trainable_variables]
    for variable, value in zip(ghn.trainable_variables, values):
        variable.assign(value)
    ghn.save_weights(path)
    for variable, value in zip(ghn.trainable_variables, own):
        variable.assign(value)


if __name__ == "__main__":
    app.run(main)
