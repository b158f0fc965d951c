"""RevNet under mixed precision: how exactly a reversible stack reconstructs its inputs, and how far the gradients it
computes from reconstructed activations are from plain autodiff, under a Keras dtype policy (reconstruction in low
precision is the known risk of reversible networks: every unit's rounding error is inverted by the units below)."""
import keras
import numpy as np
import tensorflow as tf

from zoo.revnet.layers import RevStack

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def precision_errors(policy, num_blocks=8, filters=16, batch=8, size=16, seed=0):
    """Errors of a :class:`~zoo.revnet.layers.RevStack` of ``num_blocks`` units under ``policy``.

    Returns a dict: ``reconstruction``, the largest error of the inputs rebuilt from the outputs relative to the
    inputs' largest magnitude; ``gradient``, the largest error of any weight's gradient computed from reconstructed
    activations relative to that weight's largest autodiff gradient, both under ``policy``; and
    ``gradient_vs_float32``, the same against float32 autodiff (what low precision costs in all), and
    ``autodiff_vs_float32``, plain autodiff under ``policy`` against float32 autodiff (what it costs without
    reconstruction).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((batch, size, size, filters)), tf.float32)
    projection = tf.constant(rng.standard_normal((batch, size, size, filters)), tf.float32)
    reference = _gradients("float32", False, x, projection, num_blocks, filters, seed)[1]
    outputs, autodiff, stack = _gradients(policy, False, x, projection, num_blocks, filters, seed)
    _, reconstructed, _ = _gradients(policy, True, x, projection, num_blocks, filters, seed)
    rebuilt = stack.inverse(outputs, training=True)
    return {"reconstruction": float(tf.reduce_max(tf.abs(tf.cast(rebuilt, tf.float32) - x)) / tf.reduce_max(tf.abs(x))),
            "gradient": _relative(reconstructed, autodiff), "gradient_vs_float32": _relative(reconstructed, reference),
            "autodiff_vs_float32": _relative(autodiff, reference)}


def _gradients(policy, reconstruct, x, projection, num_blocks, filters, seed):
    """Outputs, weight gradients of ``sum(outputs · projection)`` and the stack, built under ``policy`` with seeded
    initial weights (so every call builds the same stack)."""
    keras.utils.set_random_seed(seed)
    stack = RevStack(num_blocks, filters, reconstruct=reconstruct, dtype=policy)
    stack.build(x.shape)
    with tf.GradientTape() as tape:
        outputs = stack(x, training=True)
        loss = tf.reduce_sum(tf.cast(outputs, tf.float32) * projection)
    return outputs, tape.gradient(loss, stack.trainable_variables), stack


def _relative(gradients, reference):
    return max(float(tf.reduce_max(tf.abs(tf.cast(g, tf.float32) - r)) / (tf.reduce_max(tf.abs(r)) + 1e-30))
               for g, r in zip(gradients, reference))


def precision_table(seeds=(0, 1, 2, 3), **kwargs):
    """A :class:`zoo.reporting.Table` of the largest of each error of :func:`precision_errors` over ``seeds``, one
    row per policy, and the raw errors (``{policy: [errors per seed]}``)."""
    from zoo import reporting

    raw = {policy: [precision_errors(policy, seed=seed, **kwargs) for seed in seeds] for policy in POLICIES}
    keys = ("reconstruction", "gradient", "autodiff_vs_float32", "gradient_vs_float32")
    rows = [[policy, *(f"{max(e[key] for e in errors):.1e}" for key in keys)] for policy, errors in raw.items()]
    header = ["policy", "reconstruction error", "gradient: reconstructed vs autodiff", "autodiff vs float32 autodiff",
              "reconstructed vs float32 autodiff"]
    return reporting.Table(header, rows), raw
