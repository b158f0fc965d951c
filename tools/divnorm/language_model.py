"""DN-LSTM vs LSTM (and LN-LSTM) word-level language models on WordNet glosses (the paper's Table 4, scaled).

The Penn Treebank is not available offline; WordNet 3.0's glosses (Debian's wordnet-base, ~1.6M training
tokens) are. Each model is trained with the same schedule and its test perplexity recorded as result
``divnorm_language_model``. Finished models are kept in runs/divnorm_lm/ and skipped on a rerun.

    python tools/divnorm/language_model.py       # lstm, ln, dn; 2 layers of 200; about an hour on 2 cores
    python tools/divnorm/language_model.py --train_tokens=20000 --epochs=1 --results=   # a smoke run, printed only
"""
import json
import pathlib

from absl import app, flags

from zoo import benchmark, reporting
from zoo.data.wordnet_glosses import load_gloss_corpus
from zoo.divnorm import language_model

_DEFAULTS = language_model.LanguageModelConfig()
FLAGS = flags.FLAGS
flags.DEFINE_list("cells", list(language_model.CELLS), "models to train")
flags.DEFINE_integer("units", _DEFAULTS.units, "hidden size (paper: 200)")
flags.DEFINE_integer("num_layers", _DEFAULTS.num_layers, "stacked LSTM layers (paper: 2)")
flags.DEFINE_integer("radius", _DEFAULTS.radius, "DN window radius (official PTB config: a 30-unit window)")
flags.DEFINE_float("sigma", _DEFAULTS.sigma, "smoothing sigma of the LN and DN cells (paper: 1 for -s / *)")
flags.DEFINE_integer("vocab_size", 10_000, "vocabulary size (PTB: 10k)")
flags.DEFINE_integer("train_tokens", _DEFAULTS.train_tokens, "train on the first N training tokens (0 = all)")
flags.DEFINE_integer("steps", _DEFAULTS.steps, "unrolled time steps per row (paper: 35)")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "rows per batch (paper: 20)")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "passes over the training tokens")
flags.DEFINE_float("lr", _DEFAULTS.lr, "SGD learning rate, halved every epoch after the first")
flags.DEFINE_float("clipnorm", _DEFAULTS.clipnorm, "gradient-norm clip (paper: 5)")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "initialisation seed")
flags.DEFINE_string("output", "runs/divnorm_lm", "directory for results of finished models")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    corpus = load_gloss_corpus(vocab_size=FLAGS.vocab_size)
    config = language_model.LanguageModelConfig(
        units=FLAGS.units, num_layers=FLAGS.num_layers, radius=FLAGS.radius, sigma=FLAGS.sigma,
        train_tokens=FLAGS.train_tokens, steps=FLAGS.steps, batch_size=FLAGS.batch_size, epochs=FLAGS.epochs,
        lr=FLAGS.lr, clipnorm=FLAGS.clipnorm, seed=FLAGS.seed)
    output = pathlib.Path(FLAGS.output)
    output.mkdir(parents=True, exist_ok=True)
    results = {}
    for cell in FLAGS.cells:
        path = output / f"{cell}.json"
        if not path.exists():
            print(f"== {cell}", flush=True)
            path.write_text(json.dumps(language_model.train_language_model(corpus, cell, config), indent=2))
        results[cell] = json.loads(path.read_text())
    train_tokens = next(iter(results.values()))["train_tokens"]
    benchmark.record("divnorm_language_model", FLAGS.results, tables=[language_model.perplexity_table(results)],
                     data={"results": results}, notes=[
        f"Word-level language models on WordNet 3.0 glosses (Debian `wordnet-base`; definitions and examples, split "
        f"90/5/5% by synset; vocabulary {FLAGS.vocab_size:,}; {len(corpus.test):,} test tokens). Scale: "
        f"{FLAGS.num_layers} layers of {FLAGS.units} units (paper: 2 of 200), trained on the first {train_tokens:,} "
        f"training tokens for {FLAGS.epochs} epochs (paper: all of PTB for 13), rows of {FLAGS.steps} steps without "
        f"state carried across rows, batch {FLAGS.batch_size}, SGD lr {FLAGS.lr} halved every epoch, gradient norm "
        f"clipped at {FLAGS.clipnorm}, the same for every model; DN radius R = {FLAGS.radius}. The Penn Treebank is "
        "not available offline, so the paper's PTB perplexities (last column) are context, not a like-for-like "
        "target."])


if __name__ == "__main__":
    app.run(main)
