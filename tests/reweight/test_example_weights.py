"""Example weights against an explicit look-ahead and finite differences, and the normalisation rules."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.reweight import example_weights
from zoo.reweight.model import sparse_cross_entropy


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,), dtype="float64"), keras.layers.Dense(5, activation="tanh",
                                                                                     dtype="float64"),
                              keras.layers.Dense(3, dtype="float64")])
    return model


def batches(seed=0):
    rng = np.random.default_rng(seed)
    train = (rng.standard_normal((6, 4)), rng.integers(0, 3, 6))
    clean = (rng.standard_normal((4, 4)), rng.integers(0, 3, 4))
    return train, clean


def loss_at(model):
    frozen = [v.value for v in model.non_trainable_variables]

    def losses(values, batch):
        logits, _ = model.stateless_call(values, frozen, tf.constant(batch[0]), training=True)
        return sparse_cross_entropy(batch[1], logits)

    return losses


def shortcut_weights(model, train, clean):
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        clean_loss = tf.reduce_mean(sparse_cross_entropy(clean[1], model(clean[0], training=True)))
    clean_gradients = tape.gradient(clean_loss, variables)
    weights, _, _ = example_weights.meta_gradient_weights(
        lambda: sparse_cross_entropy(train[1], model(train[0], training=True)), variables, clean_gradients)
    return np.asarray(weights)


def finite_difference_scores(model, train, clean, step_size=1e-3, delta=1e-5):
    """−∂/∂ε_i of the clean loss after one SGD step of size α on Σ ε_i C_i, by central differences."""
    losses = loss_at(model)
    values = [v.value for v in model.trainable_variables]

    def clean_loss_after_step(epsilon):
        with tf.GradientTape() as tape:
            tape.watch(values)
            weighted = tf.reduce_sum(tf.constant(epsilon) * losses(values, train))
        gradients = tape.gradient(weighted, values)
        return float(tf.reduce_mean(losses([v - step_size * g for v, g in zip(values, gradients)], clean)))

    scores = []
    for i in range(len(train[1])):
        bump = np.zeros(len(train[1]))
        bump[i] = delta
        scores.append(-(clean_loss_after_step(bump) - clean_loss_after_step(-bump)) / (2 * delta))
    return np.array(scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortcut_equals_explicit_lookahead_and_finite_differences(seed):
    model = tiny_model(seed)
    train, clean = batches(seed)
    shortcut = shortcut_weights(model, train, clean)
    explicit = np.asarray(example_weights.lookahead_weights(loss_at(model), model.trainable_variables, train,
                                                            clean, step_size=1e-3))
    finite = np.asarray(example_weights.normalize_weights(tf.constant(finite_difference_scores(model, train, clean))))
    np.testing.assert_allclose(shortcut, explicit, atol=1e-6)
    np.testing.assert_allclose(shortcut, finite, atol=1e-6)
    assert shortcut.sum() == pytest.approx(1.0) or shortcut.sum() == 0.0


def test_weights_are_rectified_gradient_alignments():
    """Unnormalised score of example i is ∇C_i · ∇L_clean (paper Eq. 12), computed directly."""
    model = tiny_model(3)
    train, clean = batches(3)
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        clean_loss = tf.reduce_mean(sparse_cross_entropy(clean[1], model(clean[0])))
    clean_gradient = tape.gradient(clean_loss, variables)
    scores = []
    for i in range(6):
        with tf.GradientTape() as tape:
            loss_i = sparse_cross_entropy(train[1][i:i + 1], model(train[0][i:i + 1]))[0]
        scores.append(sum(float(tf.reduce_sum(g * c)) for g, c in zip(tape.gradient(loss_i, variables),
                                                                       clean_gradient)))
    expected = np.maximum(scores, 0) / np.maximum(scores, 0).sum()
    np.testing.assert_allclose(shortcut_weights(model, train, clean), expected, atol=1e-10)


def test_normalize_rectifies_normalises_and_guards_all_zero():
    np.testing.assert_allclose(example_weights.normalize_weights(tf.constant([2.0, -1.0, 6.0, 0.0])),
                               [0.25, 0.0, 0.75, 0.0])
    np.testing.assert_array_equal(example_weights.normalize_weights(tf.constant([-2.0, -1.0, 0.0])), [0, 0, 0])
    np.testing.assert_array_equal(example_weights.normalize_weights(tf.zeros(4)), np.zeros(4))


def test_hard_example_mask_keeps_the_highest_losses():
    mask = example_weights.hard_example_mask(tf.constant([0.1, 3.0, 0.5, 2.0, 0.2]), 0.4)
    np.testing.assert_array_equal(mask, [0, 1, 0, 1, 0])
