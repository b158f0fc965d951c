"""SBNet as the paper uses it: train ``sbnet-segnet`` end-to-end in sparse mode on generated Fashion-MNIST scenes,
evaluate it and its dense twin (the same weights run on every pixel) on the full test scenes, measure the batch-1
speed-up, publish both weights and record result ``sbnet_segmentation``.

    python tools/sbnet/train.py          # 1,500 steps x 16 new train scenes, 1,000 test scenes (~40 min, 2 cores)

Every training scene is new (scene i of seed 0 from the train split: one pass over 24,000 scenes); the test scenes
are scenes 0..N-1 of seed 1 from the test split. Checkpoints go to OUTPUT/checkpoints, so an interrupted run
resumes where it stopped; a finished training is only evaluated again. Smoke run:

    python tools/sbnet/train.py --steps=3 --test_scenes=8 --timing_scenes=2 --output=/tmp/sbnet --publish=false \\
        --results=
"""
import json
import pathlib
import shlex
import sys

import keras
from absl import app, flags

from zoo import benchmark, publish, reporting
from zoo.sbnet import benchmark as sbnet_benchmark
from zoo.sbnet import evaluation, models, ops, results, training
from zoo.training import recipes, strategies

TOOL = "tools/sbnet/train.py"
_DEFAULTS = training.TrainConfig()
FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_enum("dataset", "fmnist_scenes", ["fmnist_scenes", "cityscapes"], "generated Fashion-MNIST scenes, or "
                  "Cityscapes street scenes (tfds, manual download; 19 classes, foreground mask target)")
flags.DEFINE_string("data_dir", None, "tfds data directory (Cityscapes)")
flags.DEFINE_integer("steps", _DEFAULTS.steps, "training steps (each on batch_size new train scenes)")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "scenes per training step")
flags.DEFINE_float("lr", _DEFAULTS.lr, "Adam learning rate (cosine decay to 0 over the steps)")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "seed of the train scenes and of the initialisation")
flags.DEFINE_integer("test_scenes", evaluation.TEST_SCENES,
                     "test scenes (scenes 0..N-1 of --test_seed, test split) to evaluate on")
flags.DEFINE_integer("test_seed", evaluation.TEST_SEED, "seed of the test scenes")
flags.DEFINE_integer("timing_scenes", 100, "test scenes timed at batch 1")
flags.DEFINE_integer("timing_repeats", 5, "timed forward passes per scene and model")
flags.DEFINE_integer("checkpoint_every", _DEFAULTS.checkpoint_every, "steps between checkpoints")
flags.DEFINE_enum("impl", "auto", list(ops.IMPLS), "SBNet op implementation")
flags.DEFINE_string("output", "runs/sbnet", "checkpoints, weights, records and the results JSON")
flags.DEFINE_bool("publish", True, "publish both weights into pretrained/ and its manifest")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
strategies.define_flags()

MIRROR = pathlib.Path(__file__).resolve().parents[2] / "pretrained"


def main(argv):
    del argv
    recipes.apply_flags(TOOL)
    strategy = strategies.from_flags()  # each step's scenes are split over the replicas
    output = pathlib.Path(FLAGS.output)
    output.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(FLAGS.seed)
    config = training.TrainConfig(steps=FLAGS.steps, batch_size=FLAGS.batch_size, lr=FLAGS.lr, seed=FLAGS.seed,
                                  checkpoint_every=FLAGS.checkpoint_every)
    if FLAGS.dataset == "cityscapes":
        return cityscapes(config, output, strategy)
    with strategy.scope():
        sparse = models.sbnet_segnet(impl=FLAGS.impl)
    seconds = training.train(sparse, config, output / "checkpoints", strategy=strategy)
    sparse.save_weights(output / "trained.weights.h5")
    dense = models.sbnet_segnet_dense(impl=FLAGS.impl)
    dense.load_weights(output / "trained.weights.h5")

    images, labels = evaluation.scene_batch("test", FLAGS.test_seed, 0, FLAGS.test_scenes)
    run = {"steps": FLAGS.steps, "batch_size": FLAGS.batch_size, "lr": FLAGS.lr, "train_minutes": seconds / 60,
           "test_scenes": FLAGS.test_scenes, "timing_scenes": FLAGS.timing_scenes,
           "timing_repeats": FLAGS.timing_repeats, "impl": FLAGS.impl}
    for name, model in (("sparse", sparse), ("dense", dense)):
        confusion, mask_stats = evaluation.evaluate(model, images, labels)
        run[name] = {**evaluation.segmentation_metrics(confusion), **mask_stats}
        print(name, run[name], flush=True)
    run["median_seconds"] = sbnet_benchmark.forward_speedup(sparse, dense, images[:FLAGS.timing_scenes],
                                                            FLAGS.timing_repeats)
    run["speedup"] = run["median_seconds"]["dense"] / run["median_seconds"]["sparse"]
    print(f"speed-up {run['speedup']:.2f}x", flush=True)
    (output / "results.json").write_text(json.dumps(run, indent=2))

    command = shlex.join(["python", "tools/sbnet/train.py", *sys.argv[1:]])
    for architecture, model, name, mode in (
            ("sbnet-segnet", sparse, "sparse", "trained end-to-end in sparse mode"),
            ("sbnet-segnet-dense", dense, "dense", f"the weights of sbnet-segnet.{training.TAG}, run densely")):
        metrics = {k: round(v, 6) for k, v in run[name].items()}
        metrics["speedup_vs_dense"] = round(run["speedup"] if name == "sparse" else 1.0, 3)
        record = training.write_record(model, output, architecture, config, impl=FLAGS.impl,
                                       test_scenes=FLAGS.test_scenes, test_seed=FLAGS.test_seed, metrics=metrics,
                                       seconds=seconds, mode=mode, command=command)
        if FLAGS.publish:
            print(f"published {publish.publish(record, MIRROR).name}", flush=True)
    benchmark.record("sbnet_segmentation", FLAGS.results, tables=[results.segmentation_table(run)],
                     notes=results.segmentation_notes(run), data=run)


def cityscapes(config, output, strategy):
    """Train on Cityscapes, evaluate the model and its dense twin on the first --test_scenes validation images and
    time them; OUTPUT/results.json (nothing is published or recorded)."""
    shape = dict(impl=FLAGS.impl, num_classes=training.CITYSCAPES_CLASSES, input_shape=(*training.CITYSCAPES_SIZE, 3))
    with strategy.scope():
        sparse = models.sbnet_segnet(**shape)
    seconds = training.train_cityscapes(sparse, config, output / "checkpoints", data_dir=FLAGS.data_dir,
                                        strategy=strategy)
    sparse.save_weights(output / "trained.weights.h5")
    dense = models.sbnet_segnet_dense(**shape)
    dense.load_weights(output / "trained.weights.h5")
    images, labels = training.cityscapes_validation(FLAGS.test_scenes, data_dir=FLAGS.data_dir)
    run = {"dataset": "cityscapes", "steps": config.steps, "train_minutes": seconds / 60,
           **{name: training.evaluate_cityscapes(model, images, labels) for name, model in
              (("sparse", sparse), ("dense", dense))},
           "median_seconds": sbnet_benchmark.forward_speedup(sparse, dense, images[:FLAGS.timing_scenes],
                                                             FLAGS.timing_repeats)}
    run["speedup"] = run["median_seconds"]["dense"] / run["median_seconds"]["sparse"]
    (output / "results.json").write_text(json.dumps(run, indent=2))
    print(json.dumps(run, indent=2))


if __name__ == "__main__":
    app.run(main)
