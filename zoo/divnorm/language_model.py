"""Word-level LSTM language models with and without divisive normalization (the paper's PTB setup, §5.2)."""
import math

import keras
import numpy as np
import tensorflow as tf

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
