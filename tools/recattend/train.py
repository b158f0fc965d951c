"""Train the recurrent attention segmenter on Fashion-MNIST scenes with the paper's curriculum (box-network
pre-training, then the full model with scheduled sampling) and score it on held-out test scenes.

    python tools/recattend/train.py                                   # -> runs/recattend/full
    python tools/recattend/train.py --nobox_network --run=no_box      # ablation: no box network
    python tools/recattend/train.py --glimpses=1 --run=glimpse1       # ablation: 1 glimpse instead of 5
    python tools/recattend/train.py --publish_as=recattend.fmnist_scenes

Resumable (checkpoints every 100 steps in runs/recattend/RUN). Test scenes hold articles of the Fashion-MNIST
test split only. RUN/summary.json gets the metrics. The paper's MS-COCO zebra setting (supplement, Table 1),
streamed from tfds coco/2017_panoptic and held in memory:

    python tools/recattend/train.py --recipe=recattend-coco-zebra --download --run=coco_zebra
"""
import json
import pathlib
import sys
import time

from absl import app, flags

from zoo import registry
from zoo.recattend import training
from zoo.training import recipes, strategies

TOOL = "tools/recattend/train.py"
FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_enum("dataset", "fmnist_scenes", ["fmnist_scenes", "coco"], "generated Fashion-MNIST scenes, or MS-COCO "
                  "images of --category (train / validation)")
flags.DEFINE_string("category", "zebra", "COCO category (--dataset=coco; the supplement: zebra)")
flags.DEFINE_integer("image_size", 224, "side of the COCO images (--dataset=coco; the paper: 224)")
flags.DEFINE_integer("max_instances", 10, "most instances per COCO image; the model takes one more step")
flags.DEFINE_string("model_overrides", "{}", "JSON dict of extra builder kwargs (widths, patch size, ...)")
flags.DEFINE_float("lr", 1e-3, "Adam learning rate")
flags.DEFINE_float("lr_decay", 0.85, "factor the rate is multiplied by every --decay_steps")
flags.DEFINE_integer("decay_steps", 1000, "steps between decays (the supplement: 5,000)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download COCO")
flags.DEFINE_integer("box_steps", 1000, "box-network pre-training steps")
flags.DEFINE_integer("full_steps", 4000, "full-model steps")
flags.DEFINE_integer("batch_size", 8, "scenes per step (paper: 8)")
flags.DEFINE_integer("train_scenes", 8000, "generated training scenes (train-split articles); COCO: the first N "
                     "training images (0: all)")
flags.DEFINE_integer("test_scenes", 1000, "held-out test scenes (test-split articles); COCO: the first N validation "
                     "images (0: all)")
flags.DEFINE_integer("glimpses", 5, "box-network glimpses per step (paper: 5)")
flags.DEFINE_bool("box_network", True, "use the box network (False: every step reads the whole image)")
flags.DEFINE_enum("memory", "canvas", ["canvas", "convlstm"], "external memory")
flags.DEFINE_integer("seed", 0, "scenes, initialisation and teacher-forcing draws")
flags.DEFINE_string("run", "full", "run name (directory under --output)")
flags.DEFINE_string("output", "runs/recattend", "directory of the runs")
flags.DEFINE_string("publish_as", "", "also write a manifest-ready weight record NAME")
strategies.define_flags()


def main(argv):
    del argv
    import keras
    recipes.apply_flags(TOOL)
    if FLAGS.publish_as and FLAGS.dataset != "fmnist_scenes":
        raise app.UsageError("--publish_as records Fashion-MNIST-scene weights only")
    strategy = strategies.from_flags()
    keras.utils.set_random_seed(FLAGS.seed)
    run = pathlib.Path(FLAGS.output) / FLAGS.run
    run.mkdir(parents=True, exist_ok=True)
    builder_kwargs = {"glimpses": FLAGS.glimpses, "box_network": FLAGS.box_network, "memory": FLAGS.memory}
    if FLAGS.dataset == "coco":
        builder_kwargs.update(image_size=[FLAGS.image_size] * 2, max_steps=FLAGS.max_instances + 1,
                              **json.loads(FLAGS.model_overrides))
        coco = dict(category=FLAGS.category, size=FLAGS.image_size, max_instances=FLAGS.max_instances,
                    data_dir=FLAGS.data_dir, download=FLAGS.download)
        train_arrays = training.coco_arrays("train", limit=FLAGS.train_scenes, **coco)
        test_arrays = training.coco_arrays("validation", limit=FLAGS.test_scenes, **coco)
    else:
        print(f"generating {FLAGS.train_scenes} training and {FLAGS.test_scenes} test scenes", flush=True)
        train_arrays = training.scene_arrays(FLAGS.train_scenes, "train", FLAGS.seed)
        test_arrays = training.scene_arrays(FLAGS.test_scenes, "test", FLAGS.seed + 1)
    with strategy.scope():
        model = registry.build("recattend", **builder_kwargs)
    config = training.TrainConfig(box_steps=FLAGS.box_steps, full_steps=FLAGS.full_steps,
                                  batch_size=FLAGS.batch_size, lr=FLAGS.lr, lr_decay=FLAGS.lr_decay,
                                  decay_steps=FLAGS.decay_steps, seed=FLAGS.seed)
    started = time.time()

    def progress(step, total, record):
        if step % 10 == 0 or step == total:
            print(f"\r[{record['phase']}] step {step}/{total}  loss {record['total']:.3f}  segment "
                  f"{record['segment']:.3f}  box {record['box']:.3f}  score {record['score']:.3f}  "
                  f"({time.time() - started:.0f} s)", end="", flush=True)

    history = training.train(model, train_arrays, config, checkpoint_dir=run / "checkpoints", progress=progress,
                             strategy=strategy)
    print()
    model.save_weights(run / "recattend.weights.h5")
    evaluation_started = time.time()
    result = training.evaluate(model, test_arrays)
    # training time summed over resumed sessions (None for runs checkpointed before the history was kept)
    complete = bool(history) and history[0]["step"] == 1 and "seconds" in history[-1]
    summary = {"builder_kwargs": builder_kwargs, "config": vars(config), "train_scenes": FLAGS.train_scenes,
               "test": result, "seconds": history[-1]["seconds"] if complete else None,
               "evaluation_seconds": time.time() - evaluation_started, "command": " ".join(["python"] + sys.argv)}
    (run / "summary.json").write_text(json.dumps(summary, indent=1))
    (run / "history.json").write_text(json.dumps(history))
    print(json.dumps(result, indent=1))
    if FLAGS.publish_as:
        training.write_weight_record(model, run, FLAGS.publish_as, builder_kwargs=builder_kwargs, config=config,
                                     train_scenes=FLAGS.train_scenes, test_scenes=FLAGS.test_scenes, result=result,
                                     seconds=summary["seconds"], command=summary["command"])


if __name__ == "__main__":
    app.run(main)
