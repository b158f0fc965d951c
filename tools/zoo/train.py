"""Train a registered classifier; writes weights and a manifest-ready JSON record.

    python tools/zoo/train.py --model=resnet-32 --dataset=fashion_mnist --epochs=10 --output=runs/resnet-32
"""
import json
import shlex
import sys

from absl import app, flags

from zoo.training import TrainConfig, train_classifier
from zoo.training import schedules, strategies

_DEFAULTS = TrainConfig()
FLAGS = flags.FLAGS
flags.DEFINE_string("model", _DEFAULTS.model, "registered architecture name")
flags.DEFINE_string("dataset", _DEFAULTS.dataset, "fashion_mnist, or any tfds image-classification name")
flags.DEFINE_string("tag", "", "weight tag (default: the data set name)")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "training epochs")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "global batch size")
flags.DEFINE_float("lr", _DEFAULTS.lr, "initial learning rate")
flags.DEFINE_float("momentum", _DEFAULTS.momentum, "SGD momentum")
flags.DEFINE_enum("lr_schedule", _DEFAULTS.lr_schedule, schedules.SCHEDULES, "learning-rate schedule")
strategies.define_flags()
flags.DEFINE_string("output", _DEFAULTS.output, "output directory")
flags.DEFINE_string("model_overrides", "{}", "JSON dict of extra builder kwargs, e.g. '{\"units\": [1, 1, 1]}'")
flags.DEFINE_integer("train_subset", 0, "use the first N training examples (0 = all)")
flags.DEFINE_integer("test_subset", 0, "evaluate on the first N test examples (0 = all)")
flags.DEFINE_integer("steps_per_epoch", 0, "cap on steps per epoch (0 = a full pass)")
flags.DEFINE_integer("seed", 0, "random seed")
flags.DEFINE_bool("download", False, "let tfds download missing data sets")
flags.DEFINE_integer("checkpoint_every", _DEFAULTS.checkpoint_every, "steps between checkpoints (a killed run started "
                     "again with the same flags resumes from the last)")
flags.DEFINE_integer("verbose", 1, "0 silent, 1 progress bar")


def main(argv):
    del argv
    try:
        overrides = json.loads(FLAGS.model_overrides)
    except json.JSONDecodeError as err:
        raise app.UsageError(f"--model_overrides must be a JSON object: {err}")
    config = TrainConfig(
        model=FLAGS.model, dataset=FLAGS.dataset, tag=FLAGS.tag, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
        lr=FLAGS.lr, momentum=FLAGS.momentum, lr_schedule=FLAGS.lr_schedule, strategy=FLAGS.strategy,
        num_cpu_devices=FLAGS.num_cpu_devices, output=FLAGS.output, model_overrides=overrides,
        train_subset=FLAGS.train_subset, test_subset=FLAGS.test_subset, steps_per_epoch=FLAGS.steps_per_epoch,
        seed=FLAGS.seed, download=FLAGS.download, command=shlex.join(["python", "tools/zoo/train.py", *sys.argv[1:]]),
        checkpoint_every=FLAGS.checkpoint_every, verbose=FLAGS.verbose)
    record = train_classifier(config)
    print(json.dumps({config.weight_name: record["metrics"]}))


if __name__ == "__main__":
    app.run(main)
