"""DN-LSTM vs LSTM (and LN-LSTM) word-level language models on WordNet glosses (the paper's Table 4, scaled).

The Penn Treebank is not available offline; WordNet 3.0's glosses (Debian's wordnet-base, ~1.6M training
tokens) are. Each model is trained with the same schedule and its test perplexity written to the
"Divisive normalization: language modelling" section of docs/RESULTS.md. Finished models are kept in
runs/divnorm_lm/ and skipped on a rerun.

    python tools/divnorm_lm.py                           # lstm, ln, dn; 2 layers of 200; about an hour on 2 cores
    python tools/divnorm_lm.py --train_tokens=20000 --epochs=1 --results=   # a smoke run, printed only
"""
import json
import pathlib
import shlex
import sys
import time

import keras
from absl import app, flags

from zoo import benchmark
from zoo.data.wordnet_glosses import load_gloss_corpus
from zoo.divnorm import language_model

FLAGS = flags.FLAGS
flags.DEFINE_list("cells", list(language_model.CELLS), "models to train")
flags.DEFINE_integer("units", 200, "hidden size (paper: 200)")
flags.DEFINE_integer("num_layers", 2, "stacked LSTM layers (paper: 2)")
flags.DEFINE_integer("radius", 15, "DN window radius (official PTB config: a 30-unit window)")
flags.DEFINE_float("sigma", 1.0, "smoothing sigma of the LN and DN cells (paper: 1 for -s / *)")
flags.DEFINE_integer("vocab_size", 10_000, "vocabulary size (PTB: 10k)")
flags.DEFINE_integer("train_tokens", 800_000, "train on the first N training tokens (0 = all)")
flags.DEFINE_integer("steps", 35, "unrolled time steps per row (paper: 35)")
flags.DEFINE_integer("batch_size", 20, "rows per batch (paper: 20)")
flags.DEFINE_integer("epochs", 2, "passes over the training tokens")
flags.DEFINE_float("lr", 1.0, "SGD learning rate, halved every epoch after the first")
flags.DEFINE_float("clipnorm", 5.0, "gradient-norm clip (paper: 5)")
flags.DEFINE_integer("seed", 0, "initialisation seed")
flags.DEFINE_string("output", "runs/divnorm_lm", "directory for results of finished models")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update ('' to only print)")

SECTION = "Divisive normalization: language modelling (Table 4, scaled)"
LABELS = {"lstm": "LSTM (Keras)", "ln": "LN-LSTM (σ = 1, all units)", "dn": "DN-LSTM (σ = 1, window radius R)"}
PAPER_PTB = {"lstm": "115.72", "ln": "102.49 (LN-s)", "dn": "103.71 (DN)"}


def train_one(cell, corpus):
    keras.utils.set_random_seed(FLAGS.seed)
    train = corpus.train[:FLAGS.train_tokens] if FLAGS.train_tokens else corpus.train
    inputs, targets = language_model.sequence_batches(train, FLAGS.steps)
    model = language_model.build_language_model(len(corpus.vocabulary), cell, FLAGS.units, FLAGS.num_layers,
                                                FLAGS.radius, FLAGS.sigma)
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: FLAGS.lr * 0.5 ** epoch)
    model.compile(keras.optimizers.SGD(FLAGS.lr, clipnorm=FLAGS.clipnorm),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=cell != "lstm")
    started = time.time()
    model.fit(inputs, targets, batch_size=FLAGS.batch_size, epochs=FLAGS.epochs, shuffle=True, verbose=2,
              callbacks=[schedule])
    return {"cell": cell, "train_tokens": int(targets.size), "seconds": round(time.time() - started, 1),
            "parameters": model.count_params(),
            "valid_perplexity": language_model.perplexity(model, corpus.valid, FLAGS.steps),
            "test_perplexity": language_model.perplexity(model, corpus.test, FLAGS.steps)}


def main(argv):
    del argv
    corpus = load_gloss_corpus(vocab_size=FLAGS.vocab_size)
    output = pathlib.Path(FLAGS.output)
    output.mkdir(parents=True, exist_ok=True)
    results = {}
    for cell in FLAGS.cells:
        path = output / f"{cell}.json"
        if not path.exists():
            print(f"== {cell}", flush=True)
            path.write_text(json.dumps(train_one(cell, corpus), indent=2))
        results[cell] = json.loads(path.read_text())
    rows = [(LABELS[c], f"{r['parameters']:,}", f"{r['valid_perplexity']:.1f}", f"{r['test_perplexity']:.1f}",
             PAPER_PTB[c]) for c, r in results.items()]
    train_tokens = next(iter(results.values()))["train_tokens"]
    body = (f"Word-level language models on WordNet 3.0 glosses (Debian `wordnet-base`; definitions and examples, "
            f"split 90/5/5% by synset; vocabulary {FLAGS.vocab_size:,}; {len(corpus.test):,} test tokens). "
            f"Scale: {FLAGS.num_layers} layers of {FLAGS.units} units (paper: 2 of 200), trained on the first "
            f"{train_tokens:,} training tokens for {FLAGS.epochs} epochs (paper: all of PTB for 13), rows of "
            f"{FLAGS.steps} steps without state carried across rows, batch {FLAGS.batch_size}, SGD lr {FLAGS.lr} "
            f"halved every epoch, gradient norm clipped at {FLAGS.clipnorm}, the same for every model; DN radius "
            f"R = {FLAGS.radius}. The Penn Treebank is not available offline, so the paper's PTB perplexities "
            f"(last column) are context, not a like-for-like target.\n\n"
            + benchmark.markdown_table(("Model", "Parameters", "Valid perplexity", "Test perplexity",
                                        "PTB test perplexity (paper)"), rows))
    print(body)
    if FLAGS.results:
        benchmark.write_section(FLAGS.results, SECTION, body, shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
