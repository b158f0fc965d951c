"""Word-level LSTM language models with and without divisive normalization (the paper's PTB setup, §5.2): the
models, their perplexity, and the comparison's training and table (``tools/divnorm/language_model.py``)."""
import dataclasses
import math
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import reporting
from zoo.divnorm.rnn import DNLSTMCell

CELLS = ("lstm", "ln", "dn")


def build_language_model(vocab_size, cell="dn", units=200, num_layers=2, radius=15, sigma=1.0, name=None):
    """Embedding → ``num_layers`` recurrent layers → per-step logits over the vocabulary.

    Args:
        vocab_size: number of token ids.
        cell: ``"lstm"`` (Keras' LSTM, the baseline), ``"ln"`` (:class:`DNLSTMCell` over all units, i.e. layer
            norm with smoothing ``sigma``) or ``"dn"`` (:class:`DNLSTMCell` with a window of radius ``radius``).
        units: hidden size (the paper: 200 for LSTMs).
        num_layers: stacked recurrent layers (the paper: 2).
        radius: DN window radius R (``"dn"`` only); the official PTB config's window of 30 units is R = 15.
        sigma: smoothing σ of ``"ln"`` / ``"dn"`` (the paper: 1 for the "-s" and "*" variants).
        name: Keras model name.

    Input: ``(batch, steps)`` int token ids. Output: ``(batch, steps, vocab_size)`` logits.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}")
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, units, name="embedding")(inputs)
    for layer in range(num_layers):
        if cell == "lstm":
            x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm{layer + 1}")(x)
        else:
            recurrent_cell = DNLSTMCell(units, radius=radius if cell == "dn" else None, sigma=sigma)
            x = keras.layers.RNN(recurrent_cell, return_sequences=True, name=f"{cell}_lstm{layer + 1}")(x)
    outputs = keras.layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(inputs, outputs, name=name or f"{cell}_language_model")


def sequence_batches(stream, steps):
    """Cut a token stream into ``(inputs, targets)`` rows of ``steps`` tokens, targets shifted by one."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    rows = (len(stream) - 1) // steps
    if rows < 1:
        raise ValueError(f"a stream of {len(stream)} tokens is too short for one row of {steps} steps")
    inputs = np.asarray(stream[:rows * steps]).reshape(rows, steps)
    targets = np.asarray(stream[1:rows * steps + 1]).reshape(rows, steps)
    return inputs, targets


def perplexity(model, stream, steps=35, batch_size=64):
    """``exp`` of the mean next-token cross-entropy of ``model`` over ``stream`` (rows of ``steps`` tokens)."""
    inputs, targets = sequence_batches(stream, steps)

    @tf.function
    def summed_cross_entropy(tokens, next_tokens):
        logits = model(tokens, training=False)
        return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(next_tokens, logits))

    total = sum(float(summed_cross_entropy(inputs[start:start + batch_size], targets[start:start + batch_size]))
                for start in range(0, len(inputs), batch_size))
    return math.exp(total / targets.size)


@dataclasses.dataclass
class LanguageModelConfig:
    """How each language model of the comparison is built and trained (the same for every cell)."""

    units: int = 200
    num_layers: int = 2
    radius: int = 15
    sigma: float = 1.0
    train_tokens: int = 800_000
    steps: int = 35
    batch_size: int = 20
    epochs: int = 2
    lr: float = 1.0
    clipnorm: float = 5.0
    seed: int = 0


def train_language_model(corpus, cell, config, verbose=2):
    """Train the ``cell`` model (:func:`build_language_model`) on the first ``config.train_tokens`` training tokens of
    ``corpus`` (a :class:`zoo.data.wordnet_glosses.GlossCorpus`; 0 = all), SGD halving the rate every epoch after the
    first, gradient norm clipped; returns its parameters, tokens, seconds and validation and test perplexity."""
    keras.utils.set_random_seed(config.seed)
    train = corpus.train[:config.train_tokens] if config.train_tokens else corpus.train
    inputs, targets = sequence_batches(train, config.steps)
    model = build_language_model(len(corpus.vocabulary), cell, config.units, config.num_layers, config.radius,
                                 config.sigma)
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: config.lr * 0.5 ** epoch)
    model.compile(keras.optimizers.SGD(config.lr, clipnorm=config.clipnorm),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=cell != "lstm")
    started = time.time()
    model.fit(inputs, targets, batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=verbose,
              callbacks=[schedule])
    return {"cell": cell, "train_tokens": int(targets.size), "seconds": round(time.time() - started, 1),
            "parameters": model.count_params(),
            "valid_perplexity": perplexity(model, corpus.valid, config.steps),
            "test_perplexity": perplexity(model, corpus.test, config.steps)}


LABELS = {"lstm": "LSTM (Keras)", "ln": "LN-LSTM (σ = 1, all units)", "dn": "DN-LSTM (σ = 1, window radius R)"}
"""Row label of each cell in the comparison."""

PAPER_PTB = {"lstm": "115.72", "ln": "102.49 (LN-s)", "dn": "103.71 (DN)"}
"""The paper's PTB test perplexity of the matching model (Table 4)."""


def perplexity_table(results):
    """The comparison's :class:`zoo.reporting.Table` from ``{cell: train_language_model(...)}``."""
    header = ["Model", "Parameters", "Valid perplexity", "Test perplexity", "PTB test perplexity (paper)"]
    return reporting.Table(header, [[LABELS[cell], f"{r['parameters']:,}", f"{r['valid_perplexity']:.1f}",
                                     f"{r['test_perplexity']:.1f}", PAPER_PTB[cell]] for cell, r in results.items()])
