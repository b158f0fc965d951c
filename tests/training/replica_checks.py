"""Each training tool's step replicated over 2 logical CPUs (``MirroredStrategy``) against the same step on one
device, in one process: ``python tests/training/replica_checks.py NAME...`` prints one JSON line
``{NAME: {"difference": max |replicated − single| over the weights after the steps,
"change": max |single − initial|} or {"error": traceback}}``. The CPU is split before TensorFlow runs anything,
which is why this is a script of its own (``tests/training/test_replicated_steps.py`` runs it once for every
check)."""
import json
import sys
import traceback
from unittest import mock

from zoo.training import strategies

strategies.split_cpu(2)

import keras  # noqa: E402  (after the CPU split)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo.training import distributed  # noqa: E402

CHECKS = {}
MIRRORED = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
"""One strategy for every check: the collective keys of several in one process would collide."""


def check(function):
    """Register ``function(strategy) -> model weights after training`` as a check named like it."""
    CHECKS[function.__name__] = function
    return function


def difference(function):
    """Run ``function`` on one device and on two replicas from the same initialisation; the two differences."""
    single, initial = function(tf.distribute.get_strategy())
    replicated, _ = function(MIRRORED)
    return {"difference": max(float(np.max(np.abs(a - b))) for a, b in zip(single, replicated)),
            "change": max(float(np.max(np.abs(a - b))) for a, b in zip(single, initial))}


def weights(model):
    return [np.array(w) for w in model.weights]


def sgd_for_adam(module):
    """Within it, ``module``'s ``keras.optimizers.Adam(schedule, ...)`` is plain SGD on the schedule: Adam turns the
    round-off in a zero gradient (a bias followed by batch norm, a network a phase leaves out) into a step of the
    learning rate's size, while SGD keeps the comparison one of the gradients."""
    return mock.patch.object(module.keras.optimizers, "Adam", lambda schedule, **_: keras.optimizers.SGD(schedule))


@check
def classifier(strategy):
    from zoo import registry
    from zoo.training import steps

    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = registry.build("resnet-32", input_shape=(16, 16, 3), units=[1, 1, 1], channels=[8, 8, 16, 16])
        optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    initial = weights(model)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (16, 16, 16, 3)).astype("float32"), rng.integers(0, 10, 16)
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables)
    loop.run(steps.classification_step(model, 16), lambda k: (x, y), 2, verbose=0)
    return weights(model), initial


@check
def reweight(strategy):
    from zoo.reweight import ExampleReweighting
    from zoo.reweight.experiments import fit
    from zoo.reweight.data import with_clean_batches

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 5)).astype("float32"), rng.integers(0, 3, 8)
    xc, yc = rng.standard_normal((4, 5)).astype("float32"), rng.integers(0, 3, 4)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, kernel_regularizer="l2"),
                                  keras.layers.BatchNormalization(synchronized=True), keras.layers.ReLU(),
                                  keras.layers.Dense(3)])
        trainer = ExampleReweighting(model)
    initial = weights(model)
    stream = with_clean_batches(tf.data.Dataset.from_tensors((x, y)).repeat(),
                                tf.data.Dataset.from_tensors((xc, yc)))
    fit(trainer, stream, 2, 0.5, 0.9, "constant", strategy)
    return weights(model), initial


@check
def sbnet(strategy):
    from tests.sbnet.test_evaluation import TINY
    from tests.sbnet.test_training import SCENES
    from zoo.data import samples
    from zoo.sbnet import segmenter, training

    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = segmenter.build_segnet(sparse=True, **TINY)
    initial = weights(model)
    training.train(model, training.TrainConfig(steps=2, batch_size=4, lr=1e-2), None,
                   source=samples.load_sample()[:2], scenes=SCENES, verbose=0, strategy=strategy)
    return weights(model), initial


@check
def ghn(strategy):
    from tests.ghn.test_training import NETWORK, TINY_GHN
    from zoo.ghn import training
    from zoo.ghn.hypernet import GraphHyperNetwork

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 64).astype(np.int32)
    images = (rng.uniform(0, 60, (64, 12, 12, 1)) + 18 * labels[:, None, None, None]).astype(np.uint8)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = GraphHyperNetwork(**TINY_GHN)
    initial = weights(model)
    config = training.GHNConfig(steps=2, num_nodes=4, meta_batch=2, batch_size=16, lr=1e-2, clip_norm=0.5)
    training.train_ghn(model, {"train": (images, labels)}, config, NETWORK, strategy=strategy)
    return weights(model), initial


@check
def fewshot(strategy):
    import zoo
    from zoo.fewshot import training
    from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler

    rng = np.random.default_rng(1)
    means = rng.integers(40, 215, (8, 1, 1))
    images = np.clip(means[np.repeat(np.arange(8), 12)] + rng.normal(0, 20, (96, 28, 28)), 0, 255).astype(np.uint8)
    sampler = EpisodeSampler(images, np.repeat(np.arange(8), 12),
                             EpisodeConfig(n_way=3, k_shot=1, n_query=3, n_unlabeled=2, n_distractor=1),
                             label_ratio=0.5)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = zoo.load("soft-kmeans-conv4", pretrained=False, filters=8)
    # the trainable weights: batch norm's moving statistics average the replicas' episodes (see train_episodic)
    initial = [np.array(w) for w in model.trainable_weights]
    with sgd_for_adam(training):
        training.train_episodic(model, sampler, 2, lr=0.1, episodes_per_step=2, strategy=strategy, verbose=0)
    return [np.array(w) for w in model.trainable_weights], initial


@check
def recattend(strategy):
    from tests.recattend.test_model import SCENES, TINY
    from zoo.recattend import training
    from zoo.recattend.model import RecurrentAttentionSegmenter

    arrays = training.scene_arrays(12, "train", 0, config=SCENES)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = RecurrentAttentionSegmenter(**TINY)
    initial = weights(model)
    with sgd_for_adam(training):
        training.train(model, arrays, training.TrainConfig(box_steps=1, full_steps=1, batch_size=4, lr=0.1),
                       strategy=strategy)
    return weights(model), initial


@check
def imageqa(strategy):
    from zoo import registry
    from zoo.imageqa import training

    rng = np.random.default_rng(0)
    inputs = {"image": rng.standard_normal((40, 12)).astype("float32"), "question": rng.integers(1, 20, (40, 6))}
    answers = rng.integers(0, 5, 40)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        # IMG+BOW: the recurrent models' dropout draws other masks on other devices
        model = registry.build("imageqa-img-bow", vocab_size=20, num_answers=5, image_dim=12, max_len=6,
                               embedding_dim=8)
    initial = weights(model)
    config = training.TrainConfig(epochs=1, patience=1, batch_size=16, lr=0.5, seed=0)
    with sgd_for_adam(training):
        training.fit_with_early_stopping(model, (inputs, answers), (inputs, answers), config, strategy, verbose=0)
    return weights(model), initial


@check
def metaopt(strategy):
    from zoo.metaopt import data_parallel, experiments, hypergrad

    rng = np.random.default_rng(0)
    data = (rng.standard_normal((64, 28, 28)).astype("float32"), rng.integers(0, 10, 64))
    trainer = experiments.mlp_trainer(hypergrad.InverseTimeDecay(5000.0, 0.9), 0)
    initial = trainer.initial_parameters()
    parameters, _, _ = data_parallel.train(trainer, initial, hypergrad.zero_accumulators(initial),
                                           hypergrad.InverseTimeDecay.hyper(0.1, 1.0), data,
                                           experiments.batch_indices(3, 64, 16, 0), strategy=strategy)
    return [np.array(p) for p in parameters], [np.array(p) for p in initial]


def main(names):
    results = {}
    for name in names:
        try:
            results[name] = difference(CHECKS[name])
        except Exception:  # reported to the test, which fails with the traceback
            results[name] = {"error": traceback.format_exc()}
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:] or list(CHECKS))
