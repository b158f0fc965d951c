"""Build the COCO-QA-style Fashion-MNIST set, train the frozen image encoder and the image-QA models, and save
each model's test-set answer probabilities for tools/imageqa/eval.py.

    python tools/imageqa/train.py                                   # everything -> runs/imageqa
    python tools/imageqa/train.py --models=vis-lstm,bow             # some models (the rest stay as they are)
    python tools/imageqa/train.py --publish                         # also write manifest-ready weight records

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
from zoo.training import strategies

_DEFAULTS = dataclasses.asdict(training.TrainConfig())
FLAGS = flags.FLAGS
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
    strategy = strategies.from_flags()
    config = training.TrainConfig(**{name: FLAGS[name].value for name in _DEFAULTS})
    out = pathlib.Path(FLAGS.output)
    state = training.train_all(out, FLAGS.models, config, strategy=strategy)
    if FLAGS.publish:
        training.write_records(out, state, config, " ".join(["python"] + sys.argv))


if __name__ == "__main__":
    app.run(main)
