"""ExampleReweighting's train_step: the update it makes, batch-norm handling, baselines, distribution."""
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.reweight import ExampleReweighting, example_weights
from zoo.reweight.data import with_clean_batches
from zoo.reweight.model import sparse_cross_entropy

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((8, 5)).astype("float32"), RNG.integers(0, 3, 8)
XC, YC = RNG.standard_normal((4, 5)).astype("float32"), RNG.integers(0, 3, 4)


def classifier(batch_norm=False, seed=0):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((5,)), keras.layers.Dense(6)]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    layers += [keras.layers.ReLU(), keras.layers.Dense(3)]
    return keras.Sequential(layers)


def one_step(method, batch_norm=False, **kwargs):
    model = classifier(batch_norm)
    trainer = ExampleReweighting(model, method=method, **kwargs)
    trainer.compile(keras.optimizers.SGD(0.5), metrics=["accuracy"])
    train = tf.data.Dataset.from_tensors((X, Y))
    dataset = with_clean_batches(train, tf.data.Dataset.from_tensors((XC, YC))) if method == "reweight" else train
    history = trainer.fit(dataset, epochs=1, verbose=0)
    return model, history


def reference_update(method, **kwargs):
    """θ − lr · Σ w_i ∇C_i with w from an independent computation (the explicit look-ahead for "reweight")."""
    model = classifier()
    variables = model.trainable_variables
    if method == "reweight":
        frozen = [v.value for v in model.non_trainable_variables]

        def loss_at(values, batch):
            return sparse_cross_entropy(batch[1], model.stateless_call(values, frozen, batch[0], training=True)[0])

        weights = example_weights.lookahead_weights(loss_at, variables, (X, Y), (XC, YC), step_size=0.1)
    else:
        weights = kwargs["weights"]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.constant(weights, tf.float32) * sparse_cross_entropy(Y, model(X, training=True)))
    return [v.numpy() - 0.5 * g.numpy() for v, g in zip(variables, tape.gradient(loss, variables))]


def test_reweight_step_is_sgd_on_the_meta_weighted_loss():
    model, history = one_step("reweight")
    for got, expected in zip(model.trainable_variables, reference_update("reweight")):
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    assert {"loss", "zero_weights", "accuracy"} <= set(history.history)


def test_plain_and_proportion_steps_use_their_weights():
    model, _ = one_step("plain")
    for got, expected in zip(model.trainable_variables, reference_update("plain", weights=np.full(8, 1 / 8))):
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
    frequencies = [0.5, 0.3, 0.2]
    model, _ = one_step("proportion", class_frequencies=frequencies)
    inverse = 1 / np.array(frequencies)[Y]
    expected_update = reference_update("proportion", weights=inverse / inverse.sum())
    for got, expected in zip(model.trainable_variables, expected_update):
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)


def test_hard_mining_and_random_weights_are_normalised():
    losses = tf.constant([0.1, 3.0, 0.5, 2.0], tf.float32)
    context = tf.distribute.get_replica_context()
    hard = ExampleReweighting(classifier(), method="hard_mining", hard_fraction=0.5)
    np.testing.assert_allclose(hard._baseline_weights(losses, tf.constant([0, 1, 2, 0]), context), [0, .5, 0, .5])
    random = ExampleReweighting(classifier(), method="random", seed=3)
    random.compile(keras.optimizers.SGD(0.1))
    weights = random._baseline_weights(tf.ones(1000), tf.zeros(1000, tf.int32), context).numpy()
    assert weights.min() == 0 and weights.sum() == pytest.approx(1.0) and 0.4 < (weights > 0).mean() < 0.6


def test_clean_pass_leaves_batch_norm_moving_statistics_as_a_plain_step_does():
    reweighted, _ = one_step("reweight", batch_norm=True)
    plain, _ = one_step("plain", batch_norm=True)
    for a, b in zip(reweighted.non_trainable_variables, plain.non_trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    assert not np.allclose(reweighted.non_trainable_variables[0].numpy(), 0)  # the training pass did update them


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="method must be one of"):
        ExampleReweighting(classifier(), method="mentornet")
    with pytest.raises(ValueError, match="needs class_frequencies"):
        ExampleReweighting(classifier(), method="proportion")
    trainer = ExampleReweighting(classifier())
    trainer.compile(keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match=r"trains on \(x, y, \(x_clean, y_clean\)\) batches"):
        trainer.fit(tf.data.Dataset.from_tensors((X, Y)), verbose=0)


MIRRORED_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np, tensorflow as tf, keras
    from zoo.training.strategies import make_strategy
    from zoo.reweight import ExampleReweighting
    from zoo.reweight.data import with_clean_batches
    strategy = make_strategy(sys.argv[1], 2)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 5)).astype("float32"), rng.integers(0, 3, 16)
    xc, yc = rng.standard_normal((8, 5)).astype("float32"), rng.integers(0, 3, 8)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="relu",
                                  kernel_regularizer=keras.regularizers.L2(0.01)), keras.layers.Dense(3)])
        trainer = ExampleReweighting(model)
        trainer.compile(keras.optimizers.SGD(0.5))
    data = with_clean_batches(tf.data.Dataset.from_tensor_slices((x, y)).batch(8),
                              tf.data.Dataset.from_tensor_slices((xc, yc)).batch(4))
    trainer.fit(data, epochs=2, verbose=0)
    print(json.dumps([w.tolist() for w in model.get_weights()]))
""")


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    results = {}
    for strategy in ("mirrored", "default"):
        out = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, strategy], capture_output=True, text=True,
                             env=env, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        results[strategy] = [np.array(w) for w in __import__("json").loads(out.stdout.strip().splitlines()[-1])]
    for mirrored, single in zip(results["mirrored"], results["default"]):
        np.testing.assert_allclose(mirrored, single, atol=1e-5)
