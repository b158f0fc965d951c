"""Every family's model takes a training step under Keras' mixed_float16 and mixed_bfloat16 policies: a finite loss,
float32 weights that move (float16 with loss scaling, as GPU users train)."""
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.fewshot import sources
from zoo.ghn import graph as ghn_graph
from zoo.ghn.network import network_forward
from zoo.recattend import training as recattend_training
from zoo.sbnet import segmenter

POLICIES = ("mixed_float16", "mixed_bfloat16")
RNG = np.random.default_rng(0)
SPARSE_CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture(params=POLICIES)
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


def train_step(model, compute_loss, policy, attempts=8):
    """Optimiser steps on ``compute_loss()`` until a weight changes (under float16 the loss scale starts high, and a
    step whose scaled gradients overflow is skipped while the scale halves); returns the loss and whether any
    trainable weight changed."""
    optimizer = keras.optimizers.SGD(0.05)
    if policy == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    before = [np.array(v) for v in model.trainable_variables]
    for _ in range(attempts):
        with tf.GradientTape() as tape:
            loss = tf.cast(compute_loss(), tf.float32)
            scaled = optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        moved = any(not np.array_equal(b, np.array(v)) for b, v in zip(before, model.trainable_variables))
        if moved:
            break
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    return float(loss), moved


CLASSIFIERS = {
    "resnet-32": dict(units=(1, 1, 1), channels=(4, 4, 8, 8)),
    "revnet-38": dict(units=(2, 2, 2), channels=(8, 8, 16, 16)),
    "cifar-quick-dn": {},
    "resnet-32-dn": dict(units=(1, 1, 1), channels=(4, 4, 8, 8)),
    "reweight-lenet": {},
    "mlp-100-100": {},
}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifiers_train(name, policy):
    model = zoo.load(name, pretrained=False, input_shape=(16, 16, 1), num_classes=3, **CLASSIFIERS[name])
    labels = RNG.integers(0, 3, 4)
    images = RNG.normal(size=(4, 16, 16, 1))
    loss, moved = train_step(model, lambda: SPARSE_CE(labels, model(images, training=True)), policy)
    assert np.isfinite(loss) and moved


def test_sbnet_segmenter_trains(policy):
    model = zoo.load("sbnet-segnet", pretrained=False, stem_width=8, input_shape=(32, 32, 3),
                     stages=[dict(width=8, units=1, block_size=7), dict(width=16, units=1, block_size=5, stride=2,
                                                                          strided_block_size=7)], mask_widths=(4, 4, 4),
                     impl="tf")
    images = RNG.integers(0, 255, (2, 32, 32, 3)).astype("uint8")
    labels = RNG.integers(0, segmenter.NUM_CLASSES, (2, 32, 32))
    loss, moved = train_step(model, lambda: tf.add_n(list(segmenter.segmentation_losses(
        model(images, training=True), labels).values())), policy)
    assert np.isfinite(loss) and moved


@pytest.mark.parametrize("name", ["protonet-conv4", "masked-soft-kmeans-conv4", "soft-kmeans-cluster-conv4"])
def test_few_shot_models_train(name, policy):
    model = zoo.load(name, pretrained=False, filters=4)
    episode = sources.golden_episode()
    loss, moved = train_step(model, lambda: SPARSE_CE(episode["query_labels"], model(episode, training=True)[:, :5]),
                             policy)
    assert np.isfinite(loss) and moved


def test_recurrent_attention_segmenter_trains(policy):
    model = zoo.load("recattend", pretrained=False, image_size=(32, 32), max_steps=2, patch_size=(8, 8))
    batch = recattend_training.scene_arrays(2, "test", 0, dataclasses.replace(
        recattend_training.SCENES, height=32, width=32, max_objects=2, min_scale=0.5, max_scale=1.0))
    loss, moved = train_step(model, lambda: recattend_training.model_loss(model(batch["images"], training=True),
                                                                          batch)["total"], policy)
    assert np.isfinite(loss) and moved


@pytest.mark.parametrize("name", ["imageqa-vis-lstm", "imageqa-2vis-blstm", "imageqa-img-bow", "imageqa-full"])
def test_image_qa_models_train(name, policy):
    model = zoo.load(name, pretrained=False, vocab_size=12, num_answers=5, image_dim=8, max_len=4, embedding_dim=6,
                     **({} if "bow" in name else {"hidden": 6}))
    inputs = {"image": RNG.normal(size=(3, 8)).astype("float32"), "question": RNG.integers(1, 12, (3, 4))}
    answers = RNG.integers(0, 5, 3)
    loss, moved = train_step(model, lambda: tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
        answers, model(inputs, training=True))), policy)
    assert np.isfinite(loss) and moved


def test_image_qa_encoder_trains(policy):
    model = zoo.load("imageqa-encoder", pretrained=False, filters=(4, 4, 4))
    images = RNG.integers(0, 255, (2, 16, 16, 3)).astype("uint8")
    labels = RNG.integers(0, 10, 2)
    loss, moved = train_step(model, lambda: SPARSE_CE(labels, model(images, training=True)["logits"]), policy)
    assert np.isfinite(loss) and moved


def test_ghn_trains(policy):
    ghn = zoo.load("ghn", pretrained=False, hidden=8, message_hidden=8, decoder_hidden=8, sweeps=1,
                   max_shape=(5, 5, 4, 4))
    graph = ghn_graph.random_network(5, np.random.default_rng(1), stages=(1,), channels=4)
    images = RNG.integers(0, 255, (4, 12, 12, 1)).astype("uint8")
    labels = RNG.integers(0, 10, 4)

    loss, moved = train_step(ghn, lambda: SPARSE_CE(labels, network_forward(graph, ghn.predict_parameters(graph),
                                                                           images)), policy)
    assert np.isfinite(loss) and moved
