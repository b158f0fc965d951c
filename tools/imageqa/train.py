"""Build the COCO-QA-style Fashion-MNIST set, train the frozen image encoder and the image-QA models, and save
each model's test-set answer probabilities for tools/imageqa/eval.py.

    python tools/imageqa/train.py                                   # everything -> runs/imageqa
    python tools/imageqa/train.py --models=vis-lstm,bow             # some models (the rest stay as they are)
    python tools/imageqa/train.py --publish                         # also write manifest-ready weight records
    python tools/imageqa/train.py --recipe=imageqa-cocoqa --download --output=runs/imageqa_cocoqa   # COCO-QA

Stages are cached in --output (data set, encoder, features, each model), so a rerun continues where it stopped.
Models: Adam (the paper: SGD with momentum and per-layer rates), batch 100, early stopping (patience 5) on 10% of
the training questions held out, best epoch kept; --strategy splits every batch over replicas. FULL averages the
trained VIS+LSTM, 2-VIS+BLSTM and IMG+BOW.
"""
import dataclasses
import pathlib
import sys

from absl import app, flags

from zoo.imageqa import training
from zoo.training import recipes, strategies

TOOL = "tools/imageqa/train.py"
_DEFAULTS = dataclasses.asdict(training.TrainConfig())
FLAGS = flags.FLAGS
recipes.define_flag(TOOL)
flags.DEFINE_enum("dataset", _DEFAULTS["dataset"], ["fmnist_scenes", "coco"], "generated scenes, or COCO-QA built from "
                  "tfds coco_captions (zoo.imageqa.coco; --data_dir, --download)")
flags.DEFINE_string("feature_network", _DEFAULTS["feature_network"], "COCO-QA image features: a keras.applications "
                    "network (VGG19, the paper's; ResNet50; MobileNetV2)")
flags.DEFINE_string("feature_weights", _DEFAULTS["feature_weights"], "its weights ('imagenet'; '' for random: tests)")
flags.DEFINE_integer("min_answer_count", _DEFAULTS["min_answer_count"], "COCO-QA: answers seen fewer times are "
                     "dropped (the paper: 25)")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_bool("download", False, "let tfds download coco_captions")
flags.DEFINE_string("output", "runs/imageqa", "directory of the cached stages and results")
flags.DEFINE_list("models", ["bow", "lstm", "img-bow", "vis-lstm", "2vis-blstm"], "trained models (FULL and GUESS "
                  "are always formed from what exists)")
flags.DEFINE_integer("train_scenes", _DEFAULTS["train_scenes"], "training scenes (train-split articles)")
flags.DEFINE_integer("test_scenes", _DEFAULTS["test_scenes"], "test scenes (test-split articles)")
flags.DEFINE_integer("encoder_epochs", _DEFAULTS["encoder_epochs"], "epochs of the encoder on tinted Fashion-MNIST")
flags.DEFINE_integer("epochs", _DEFAULTS["epochs"], "most epochs per model")
flags.DEFINE_integer("patience", _DEFAULTS["patience"], "early-stopping patience (epochs)")
flags.DEFINE_integer("batch_size", _DEFAULTS["batch_size"], "questions per step (paper: 100)")
flags.DEFINE_float("lr", _DEFAULTS["lr"], "Adam learning rate")
flags.DEFINE_integer("embedding_dim", _DEFAULTS["embedding_dim"], "word-embedding size (paper: 500; the vocabulary "
                     "here is ~60 words)")
flags.DEFINE_integer("hidden", _DEFAULTS["hidden"], "LSTM units per direction (paper: 300)")
flags.DEFINE_integer("seed", _DEFAULTS["seed"], "scenes, splits and initialisation")
strategies.define_flags()
flags.DEFINE_bool("publish", False, "write manifest-ready weight records for the encoder and every model")


def main(argv):
    del argv
    recipes.apply_flags(TOOL)
    if FLAGS.publish and FLAGS.dataset != "fmnist_scenes":
        raise app.UsageError("--publish records the Fashion-MNIST-scene weights only")
    strategy = strategies.from_flags()
    config = training.TrainConfig(**{name: FLAGS[name].value or None if name == "feature_weights" else
                                     FLAGS[name].value for name in _DEFAULTS})
    out = pathlib.Path(FLAGS.output)
    state = training.train_all(out, FLAGS.models, config, strategy=strategy, data_dir=FLAGS.data_dir,
                               download=FLAGS.download)
    if FLAGS.publish:
        training.write_records(out, state, config, " ".join(["python"] + sys.argv))


if __name__ == "__main__":
    app.run(main)
