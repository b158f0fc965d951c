"""Episodic training of one semi-supervised few-shot model on Glyphs (or another source), then its test score.

    python tools/fewshot/train.py --model=masked-soft-kmeans-conv4 --shots=1 --distractors
    python tools/fewshot/train.py --model=protonet-conv4 --shots=5 --steps=3000 --publish_as=glyphs

Training episodes: 5-way, K-shot, 5 queries and M = 5 unlabeled images per class (+ 5 distractor classes with
--distractors); test: 600 episodes of the test classes with M = 20, as in the paper. Resumable: checkpoints in
OUTPUT/RUN/checkpoints. The run's result goes to OUTPUT/RUN/result.json, which tools/fewshot/table.py --table reads.
"""
import json
import pathlib
import shlex
import sys

from absl import app, flags

import zoo
from zoo.fewshot import sources, training
from zoo.training import recipes, strategies

TOOL = "tools/fewshot/train.py"
FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_string("model", "protonet-conv4", "registered few-shot model")
flags.DEFINE_integer("shots", 1, "K labeled images per class")
flags.DEFINE_bool("distractors", False, "add 5 distractor classes of unlabeled images to every episode")
flags.DEFINE_integer("steps", 2000, "training episodes (paper, Omniglot: 20,000)")
flags.DEFINE_float("lr", 1e-3, "Adam learning rate, halved --halvings times at equal intervals")
flags.DEFINE_integer("halvings", 4, "times the learning rate is halved (mini-ImageNet: 7, every 25k of 200k steps)")
flags.DEFINE_float("weight_decay", 5e-5, "L2 weight decay on the kernels")
flags.DEFINE_enum("source", "glyphs", list(sources.SOURCES), "episode source")
flags.DEFINE_integer("examples_per_class", 40, "Glyphs renderings per class")
flags.DEFINE_float("label_ratio", None, "labeled fraction of every class's images, split per image (default: the "
                   "paper's, 0.1 for omniglot and 0.4 otherwise)")
flags.DEFINE_integer("num_classes", 0, "keep only the first N classes of each split (0: all)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download omniglot")
flags.DEFINE_integer("test_episodes", 600, "test episodes (95% intervals over them)")
flags.DEFINE_integer("episodes_per_step", 1, "episodes per training step, split over the replicas (paper: 1)")
flags.DEFINE_integer("seed", 0, "data split, episode stream and initialisation")
flags.DEFINE_string("output", "runs/fewshot", "directory of the runs")
strategies.define_flags()
flags.DEFINE_string("publish_as", "", "also write a manifest-ready weight record MODEL.TAG (then run "
                    "tools/zoo/publish.py --record=...)")


def main(argv):
    del argv
    import keras

    recipes.apply_flags(TOOL)
    strategy = strategies.from_flags()
    keras.utils.set_random_seed(FLAGS.seed)
    run = pathlib.Path(FLAGS.output) / training.run_name(FLAGS.model, FLAGS.shots, FLAGS.distractors)
    run.mkdir(parents=True, exist_ok=True)
    label_ratio = sources.paper_label_ratio(FLAGS.source) if FLAGS.label_ratio is None else FLAGS.label_ratio
    train_sampler, test_sampler = (
        sources.paper_sampler(FLAGS.source, split, FLAGS.shots, FLAGS.distractors, FLAGS.examples_per_class,
                              label_ratio, FLAGS.seed, FLAGS.num_classes or None, data_dir=FLAGS.data_dir,
                              download=FLAGS.download) for split in ("train", "test"))
    with strategy.scope():  # the network takes the source's images: 28×28×1 (Omniglot), 84×84×3 (mini-ImageNet)
        model = zoo.load(FLAGS.model, pretrained=False, input_shape=train_sampler.images.shape[1:])
    checkpoint = run / "checkpoints"
    training.train_episodic(model, train_sampler, FLAGS.steps, lr=FLAGS.lr, halvings=FLAGS.halvings,
                            weight_decay=FLAGS.weight_decay, checkpoint_dir=checkpoint,
                            episodes_per_step=FLAGS.episodes_per_step, strategy=strategy)
    seconds = training.checkpoint_seconds(checkpoint)
    accuracy, interval = training.evaluate(model, test_sampler, FLAGS.test_episodes)
    command = shlex.join(["python", *sys.argv])
    result = {"model": FLAGS.model, "shots": FLAGS.shots, "distractors": FLAGS.distractors, "steps": FLAGS.steps,
              "episodes_per_step": FLAGS.episodes_per_step,
              "source": FLAGS.source, "accuracy": accuracy, "interval": interval,
              "test_episodes": FLAGS.test_episodes, "train_seconds": round(seconds), "command": command}
    (run / "result.json").write_text(json.dumps(result, indent=2))
    print(f"{run.name}: {100 * accuracy:.2f} ± {100 * interval:.2f}% over {FLAGS.test_episodes} test episodes")
    if FLAGS.publish_as:
        training.write_weight_record(
            model, run, f"{FLAGS.model}.{FLAGS.publish_as}", source=FLAGS.source, shots=FLAGS.shots,
            distractors=FLAGS.distractors, examples_per_class=FLAGS.examples_per_class, label_ratio=label_ratio,
            test_episodes=FLAGS.test_episodes, accuracy=accuracy, interval=interval, command=command,
            training={"steps": FLAGS.steps, "lr": FLAGS.lr, "optimizer": "adam", "weight_decay": FLAGS.weight_decay,
                      "seed": FLAGS.seed, "seconds": round(seconds), "label_ratio": label_ratio,
                      "examples_per_class": FLAGS.examples_per_class})


if __name__ == "__main__":
    app.run(main)
