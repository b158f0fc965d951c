"""Train a registered classifier on a streamed image data set; writes weights and a manifest-ready JSON record.

    python tools/zoo/train.py --model=resnet-32 --dataset=fashion_mnist --epochs=10 --output=runs/resnet-32
    python tools/zoo/train.py --recipe=revnet-38-cifar10 --strategy=mirrored --output=runs/revnet-38-cifar10

A killed run started again with the same flags resumes from its last checkpoint (OUTPUT/checkpoints).
"""
import json
import shlex
import sys

from absl import app, flags

from zoo.data import transforms
from zoo.training import TrainConfig, recipes, schedules, strategies, train_classifier

TOOL = "tools/zoo/train.py"
_DEFAULTS = TrainConfig()
FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_string("model", _DEFAULTS.model, "registered architecture name")
flags.DEFINE_string("dataset", _DEFAULTS.dataset, "a zoo.data.datasets name (fashion_mnist, mnist, cifar10, cifar100, "
                    "imagenet2012) or any tfds image-classification name")
flags.DEFINE_string("tag", "", "weight tag (default: the data set name)")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "training epochs")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "global batch size")
flags.DEFINE_float("lr", _DEFAULTS.lr, "initial learning rate")
flags.DEFINE_float("momentum", _DEFAULTS.momentum, "SGD momentum")
flags.DEFINE_enum("lr_schedule", _DEFAULTS.lr_schedule, schedules.SCHEDULES, "learning-rate schedule")
flags.DEFINE_list("lr_boundaries", [], "steps at which the piecewise schedule divides the rate by 10 (default: 50% and "
                  "75% of the run)")
flags.DEFINE_enum("transform", "", ["", *transforms.TRANSFORMS], "training augmentation (default: the data set's)")
strategies.define_flags()
flags.DEFINE_string("output", _DEFAULTS.output, "output directory")
flags.DEFINE_string("model_overrides", "{}", "JSON dict of extra builder kwargs, e.g. '{\"units\": [1, 1, 1]}'")
flags.DEFINE_integer("train_subset", 0, "use the first N training examples (0 = all)")
flags.DEFINE_integer("test_subset", 0, "evaluate on the first N test examples (0 = all)")
flags.DEFINE_integer("steps_per_epoch", 0, "cap on steps per epoch (0 = a full pass)")
flags.DEFINE_integer("seed", 0, "random seed")
flags.DEFINE_bool("download", False, "let tfds download missing data sets")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_integer("checkpoint_every", _DEFAULTS.checkpoint_every, "steps between checkpoints (a killed run started "
                     "again with the same flags resumes from the last)")
flags.DEFINE_integer("verbose", 1, "0 silent, 1 progress bar")


def main(argv):
    del argv
    recipes.apply_flags(TOOL)
    try:
        overrides = json.loads(FLAGS.model_overrides)
    except json.JSONDecodeError as err:
        raise app.UsageError(f"--model_overrides must be a JSON object: {err}")
    config = TrainConfig(
        model=FLAGS.model, dataset=FLAGS.dataset, tag=FLAGS.tag, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
        lr=FLAGS.lr, momentum=FLAGS.momentum, lr_schedule=FLAGS.lr_schedule,
        lr_boundaries=tuple(int(b) for b in FLAGS.lr_boundaries), transform=FLAGS.transform,
        strategy=FLAGS.strategy, num_cpu_devices=FLAGS.num_cpu_devices, output=FLAGS.output,
        model_overrides=overrides, train_subset=FLAGS.train_subset, test_subset=FLAGS.test_subset,
        steps_per_epoch=FLAGS.steps_per_epoch, seed=FLAGS.seed, download=FLAGS.download, data_dir=FLAGS.data_dir,
        command=shlex.join(["python", TOOL, *sys.argv[1:]]), checkpoint_every=FLAGS.checkpoint_every,
        verbose=FLAGS.verbose)
    record = train_classifier(config)
    print(json.dumps({config.weight_name: record["metrics"]}))


if __name__ == "__main__":
    app.run(main)
