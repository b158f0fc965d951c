"""Hypergradients through unrolled training against finite differences (float64, tiny model)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.metaopt import hypergrad

STEPS, BATCH = 6, 8


def tiny_trainer(schedule):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), dtype="float64"),
                              keras.layers.Dense(5, activation="tanh", dtype="float64"),
                              keras.layers.Dense(3, dtype="float64")])
    return hypergrad.UnrolledTraining(model, schedule)


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((STEPS, BATCH, 4))
    ys = rng.integers(0, 3, (STEPS, BATCH))
    return (xs, ys), (rng.standard_normal((16, 4)), rng.integers(0, 3, 16))


def meta_loss(trainer, hyper, batches, meta_batch, start_step):
    parameters = trainer.initial_parameters()
    parameters, _, _ = trainer.train(parameters, hypergrad.zero_accumulators(parameters), tf.constant(hyper),
                                     batches, start_step=start_step)
    return float(trainer.loss(parameters, *meta_batch))


def finite_differences(trainer, hyper, batches, meta_batch, start_step, epsilon=1e-6):
    gradient = []
    for j in range(len(hyper)):
        step = np.eye(len(hyper))[j] * epsilon
        gradient.append((meta_loss(trainer, hyper + step, batches, meta_batch, start_step)
                         - meta_loss(trainer, hyper - step, batches, meta_batch, start_step)) / (2 * epsilon))
    return np.array(gradient)


@pytest.mark.parametrize("schedule,hyper,start_step", [
    (hypergrad.InverseTimeDecay(decay_steps=3.0), hypergrad.InverseTimeDecay.hyper(0.3, 0.7), 2),
    (hypergrad.EffectiveLearningRate(), hypergrad.EffectiveLearningRate.hyper(0.2, 0.8), 0),
])
def test_forward_and_reverse_hypergradients_equal_finite_differences(schedule, hyper, start_step):
    trainer = tiny_trainer(schedule)
    batches, meta_batch = tiny_data()
    expected = finite_differences(trainer, hyper.numpy(), batches, meta_batch, start_step)
    parameters = trainer.initial_parameters()
    accumulators = hypergrad.zero_accumulators(parameters)
    loss_r, reverse = hypergrad.reverse_hypergradient(trainer, hyper, parameters, accumulators, batches, meta_batch,
                                                      start_step=start_step)
    loss_f, forward, _, _ = hypergrad.forward_hypergradient(trainer, hyper, parameters, accumulators, batches,
                                                            meta_batch, start_step=start_step)
    assert float(loss_r) == pytest.approx(meta_loss(trainer, hyper.numpy(), batches, meta_batch, start_step), rel=1e-12)
    assert float(loss_f) == pytest.approx(float(loss_r), rel=1e-12)
    np.testing.assert_allclose(reverse.numpy(), expected, rtol=1e-4)
    np.testing.assert_allclose(forward.numpy(), expected, rtol=1e-4)


def test_schedules_map_hyper_parameters_back():
    lr, momentum = hypergrad.EffectiveLearningRate()(0, hypergrad.EffectiveLearningRate.hyper(0.05, 0.9))
    assert float(lr) == pytest.approx(0.05) and float(momentum) == pytest.approx(0.9)
    decay = hypergrad.InverseTimeDecay(decay_steps=100.0)
    lr, momentum = decay(300, hypergrad.InverseTimeDecay.hyper(0.1, 2.0))
    assert float(lr) == pytest.approx(0.1 * 4.0 ** -2) and float(momentum) == pytest.approx(0.9)


def test_clear_errors():
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="non-trainable state"):
        hypergrad.UnrolledTraining(model, hypergrad.InverseTimeDecay())
    trainer = tiny_trainer(hypergrad.InverseTimeDecay())
    with pytest.raises(ValueError, match="same positive number of steps"):
        trainer.train(trainer.initial_parameters(), [], tf.constant([0.0, 0.0]),
                      (np.zeros((2, 8, 4)), np.zeros((3, 8))))
