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
    """40 examples; each step draws its batch of 8 at random, the meta loss is on 16 of them."""
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal((40, 4)), rng.integers(0, 3, 40))
    return data, rng.integers(0, 40, (STEPS, BATCH)), rng.choice(40, 16, replace=False)


def meta_loss(trainer, hyper, data, indices, meta_indices, start_step):
    parameters = trainer.initial_parameters()
    parameters, _, _ = trainer.train(parameters, hypergrad.zero_accumulators(parameters), tf.constant(hyper), data,
                                     indices, start_step=start_step)
    return float(trainer.loss(parameters, data[0][meta_indices], data[1][meta_indices]))


def finite_differences(trainer, hyper, data, indices, meta_indices, start_step, epsilon=1e-6):
    gradient = []
    for j in range(len(hyper)):
        step = np.eye(len(hyper))[j] * epsilon
        gradient.append((meta_loss(trainer, hyper + step, data, indices, meta_indices, start_step)
                         - meta_loss(trainer, hyper - step, data, indices, meta_indices, start_step)) / (2 * epsilon))
    return np.array(gradient)


@pytest.mark.parametrize("schedule,hyper,start_step", [
    (hypergrad.InverseTimeDecay(decay_steps=3.0), hypergrad.InverseTimeDecay.hyper(0.3, 0.7), 2),
    (hypergrad.EffectiveLearningRate(), hypergrad.EffectiveLearningRate.hyper(0.2, 0.8), 0),
])
def test_forward_and_reverse_hypergradients_equal_finite_differences(schedule, hyper, start_step):
    trainer = tiny_trainer(schedule)
    data, indices, meta_indices = tiny_data()
    expected = finite_differences(trainer, hyper.numpy(), data, indices, meta_indices, start_step)
    parameters = trainer.initial_parameters()
    accumulators = hypergrad.zero_accumulators(parameters)
    loss_r, reverse = hypergrad.reverse_hypergradient(trainer, hyper, parameters, accumulators, data, indices,
                                                      meta_indices, start_step=start_step)
    loss_f, forward, _, _ = hypergrad.forward_hypergradient(trainer, hyper, parameters, accumulators, data, indices,
                                                            meta_indices, start_step=start_step)
    assert float(loss_r) == pytest.approx(meta_loss(trainer, hyper.numpy(), data, indices, meta_indices, start_step),
                                          rel=1e-12)
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
    data = (np.zeros((10, 4)), np.zeros(10))
    for indices, message in ((np.zeros((0, 8), int), "at least one step"), (np.zeros(8, int), r"\(steps, batch\)"),
                             (np.full((2, 8), 10), r"must lie in \[0, 10\)")):
        with pytest.raises(ValueError, match=message):
            trainer.train(trainer.initial_parameters(), [], tf.constant([0.0, 0.0]), data, indices)
    with pytest.raises(ValueError, match="as many labels as examples"):
        trainer.train(trainer.initial_parameters(), [], tf.constant([0.0, 0.0]), (np.zeros((10, 4)), np.zeros(9)),
                      np.zeros((2, 8), int))


def separable_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((200, 4))
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)


def test_offline_meta_optimisation_raises_a_too_small_learning_rate():
    trainer = tiny_trainer(hypergrad.InverseTimeDecay(decay_steps=10.0))
    start = hypergrad.InverseTimeDecay.hyper(1e-3, 1.0)
    for mode in ("reverse", "forward"):
        trace = hypergrad.meta_optimize_offline(trainer, start, separable_data(), horizon=5, meta_steps=8,
                                                batch_size=16, meta_batch_size=50, meta_lr=0.1, mode=mode)
        assert len(trace.hyper) == 9 and len(trace.meta_losses) == 8
        assert trace.hyper[-1][0] > trace.hyper[0][0] + 0.5  # log α₀ went up


def test_online_meta_optimisation_respects_the_bounds_and_trains():
    trainer = tiny_trainer(hypergrad.EffectiveLearningRate())
    indices = np.random.default_rng(1).integers(0, 200, (40, 16))
    start = hypergrad.EffectiveLearningRate.hyper(1e-3, 0.5)
    _, trace = hypergrad.meta_optimize_online(trainer, start, separable_data(), indices, update_every=10,
                                              look_ahead=3, meta_updates=4, meta_lr=0.3, lr_bounds=(1e-4, 0.05))
    assert len(trace.training_losses) == 40 and len(trace.meta_losses) == 2 * 4  # meta-updates in the first half
    for hyper in trace.hyper:
        lr, momentum = trainer.schedule(0, tf.constant(hyper))
        assert 1e-4 * (1 - 1e-9) <= float(lr) <= 0.05 * (1 + 1e-9) and 0.0 <= float(momentum) < 1.0
    assert float(trainer.schedule(0, tf.constant(trace.hyper[-1]))[0]) > 1e-3
