"""Train the recurrent attention segmenter on Fashion-MNIST scenes with the paper's curriculum (box-network
pre-training, then the full model with scheduled sampling) and score it on held-out test scenes.

    python tools/recattend/train.py                                   # -> runs/recattend/full
    python tools/recattend/train.py --nobox_network --run=no_box      # ablation: no box network
    python tools/recattend/train.py --glimpses=1 --run=glimpse1       # ablation: 1 glimpse instead of 5
    python tools/recattend/train.py --publish_as=recattend.fmnist_scenes

Resumable (checkpoints every 100 steps in runs/recattend/RUN). Test scenes hold articles of the Fashion-MNIST
test split only. RUN/summary.json gets the metrics.
"""
import json
import pathlib
import sys
import time

from absl import app, flags

from zoo import registry
from zoo.recattend import training
from zoo.training import strategies

FLAGS = flags.FLAGS
flags.DEFINE_integer("box_steps", 1000, "box-network pre-training steps")
flags.DEFINE_integer("full_steps", 4000, "full-model steps")
flags.DEFINE_integer("batch_size", 8, "scenes per step (paper: 8)")
flags.DEFINE_integer("train_scenes", 8000, "generated training scenes (train-split articles)")
flags.DEFINE_integer("test_scenes", 1000, "held-out test scenes (test-split articles)")
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
    strategy = strategies.from_flags()
    keras.utils.set_random_seed(FLAGS.seed)
    run = pathlib.Path(FLAGS.output) / FLAGS.run
    run.mkdir(parents=True, exist_ok=True)
    builder_kwargs = {"glimpses": FLAGS.glimpses, "box_network": FLAGS.box_network, "memory": FLAGS.memory}
    with strategy.scope():
        model = registry.build("recattend", **builder_kwargs)
    print(f"generating {FLAGS.train_scenes} training and {FLAGS.test_scenes} test scenes", flush=True)
    train_arrays = training.scene_arrays(FLAGS.train_scenes, "train", FLAGS.seed)
    test_arrays = training.scene_arrays(FLAGS.test_scenes, "test", FLAGS.seed + 1)
    config = training.TrainConfig(box_steps=FLAGS.box_steps, full_steps=FLAGS.full_steps,
                                  batch_size=FLAGS.batch_size, seed=FLAGS.seed)
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
