"""Forward+backward time of divisive normalization against layer normalization, over DN window sizes."""
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import reporting
from zoo.divnorm.layers import DivisiveNormalization

BASELINE = "keras LayerNormalization (H, W, C)"
"""The label of the layer every time is compared with (the paper's LN: all units of an example)."""


def normalizers(windows):
    """The timed layers by label: Keras LayerNormalization over all units (the paper's LN), the zoo's LN preset,
    and DN (σ = 0.5, affine) with each window in ``windows``."""
    layers = {BASELINE: keras.layers.LayerNormalization(axis=(1, 2, 3)),
              "zoo ln": DivisiveNormalization.from_preset("ln")}
    for window in windows:
        layers[f"zoo dn {window}×{window}"] = DivisiveNormalization.from_preset("dn", window=window)
    return layers


def forward_backward_step(layer, x):
    """A compiled step computing the layer's output and the gradients of a weighted sum w.r.t. input and weights."""
    layer.build(x.shape)
    upstream = tf.constant(np.random.default_rng(1).standard_normal(x.shape), x.dtype)

    @tf.function(jit_compile=False)
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * upstream)
        return tape.gradient(loss, [x, *layer.trainable_weights])

    return step


def time_normalizers(shape=(128, 32, 32, 64), windows=(3, 5, 7, 9, 11, 15), rounds=15):
    """Median seconds of one forward+backward step of each normaliser on a random batch of ``shape``.

    Rounds interleave the layers (each timed once per round), so load on a shared machine affects all alike.
    """
    x = tf.constant(np.random.default_rng(0).standard_normal(shape).astype("float32"))
    steps = {label: forward_backward_step(layer, x) for label, layer in normalizers(windows).items()}
    times = {label: [] for label in steps}
    for step in steps.values():  # trace and warm up
        step()
    for _ in range(rounds):
        for label, step in steps.items():
            started = time.perf_counter()
            [t.numpy() for t in step()]
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) for label, values in times.items()}


def cost_table(seconds):
    """The :class:`zoo.reporting.Table` of :func:`time_normalizers`' medians: ms per step and the ratio to
    :data:`BASELINE`."""
    return reporting.Table(["Layer", "ms / step", "vs LayerNormalization"],
                           [[label, f"{1000 * s:.1f}", f"{s / seconds[BASELINE]:.2f}×"]
                            for label, s in seconds.items()])
