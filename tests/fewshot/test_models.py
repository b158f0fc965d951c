"""Few-shot classifiers: every registered refinement runs an episode, trains (gradients reach every weight),
round-trips its weights, and ProtoNet weights serve soft k-means inference."""
import numpy as np
import pytest
import keras
import tensorflow as tf

import zoo
from zoo.fewshot import refinement
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler

NAMES = ["protonet-conv4", "soft-kmeans-conv4", "soft-kmeans-cluster-conv4", "masked-soft-kmeans-conv4"]


@pytest.fixture(scope="module")
def episode():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12 * 10, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(12), 10)
    config = EpisodeConfig(n_way=3, k_shot=2, n_query=2, n_unlabeled=3, n_distractor=2)
    return EpisodeSampler(images, labels, config, label_ratio=0.5).episode(0)


@pytest.mark.parametrize("name", NAMES)
def test_every_model_classifies_an_episode_and_trains(name, episode, tmp_path):
    model = zoo.load(name, pretrained=False, filters=8)
    logits = model(episode, training=False)
    assert logits.shape == (6, 4 if name == "soft-kmeans-cluster-conv4" else 3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            episode["query_labels"], model(episode, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads) if g is None]
    assert not missing
    logits = model(episode, training=False)  # after the training pass moved the BN statistics
    model.save_weights(tmp_path / "w.weights.h5")
    again = zoo.load(name, pretrained=False, filters=8)
    again.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(again(episode, training=False), logits, atol=1e-5)


def test_protonet_weights_serve_semi_supervised_inference(episode, tmp_path):
    protonet = zoo.load("protonet-conv4", pretrained=False, filters=8)
    protonet.save_weights(tmp_path / "p.weights.h5")
    soft = zoo.load("soft-kmeans-conv4", pretrained=False, filters=8)
    soft.load_weights(tmp_path / "p.weights.h5")
    support = protonet.embed(episode["support"], training=False)
    unlabeled = protonet.embed(episode["unlabeled"], training=False)
    query = protonet.embed(episode["query"], training=False)
    centres, _ = refinement.soft_kmeans(support, tf.one_hot(episode["support_labels"], 3), unlabeled)
    np.testing.assert_allclose(soft(episode, training=False), -refinement.squared_distances(query, centres),
                               rtol=1e-5, atol=1e-3)


def test_bad_refinement_is_a_value_error():
    with pytest.raises(ValueError, match="refinement"):
        zoo.fewshot.FewShotClassifier("kmeans")


def test_episodic_training_lowers_the_loss_and_resumes(tmp_path):
    from zoo.fewshot import training

    rng = np.random.default_rng(1)
    means = rng.integers(40, 215, (8, 1, 1))  # classes that differ in brightness: learnable in a few steps
    images = np.clip(means[np.repeat(np.arange(8), 12)] + rng.normal(0, 20, (96, 28, 28)), 0, 255).astype(np.uint8)
    sampler = EpisodeSampler(images, np.repeat(np.arange(8), 12),
                             EpisodeConfig(n_way=3, k_shot=1, n_query=3, n_unlabeled=2, n_distractor=1),
                             label_ratio=0.5)
    keras.utils.set_random_seed(0)
    model = zoo.load("soft-kmeans-conv4", pretrained=False, filters=8)
    checkpoint = tmp_path / "checkpoints"

    def held_out_loss():
        """The training objective (batch statistics) on 20 fixed unseen episodes: one episode has 9 queries, so
        per-step losses are too noisy to compare, and 30 steps barely move the batch-norm moving averages."""
        episodes = [sampler.episode(10_000 + i) for i in range(20)]
        return np.mean([float(training.episode_loss(model, {k: e[k] for k in training.EPISODE_KEYS}, 0.0,
                                                    training=True)[0]) for e in episodes])

    before = held_out_loss()
    losses = training.train_episodic(model, sampler, steps=30, lr=3e-3, checkpoint_dir=checkpoint, checkpoint_every=10,
                                     verbose=0)
    assert len(losses) == 30 and held_out_loss() < before
    accuracy, half_interval = training.evaluate(model, sampler, episodes=20, first_episode=10_000)
    assert accuracy > 0.5 and 0 <= half_interval < 0.25
    resumed = zoo.load("soft-kmeans-conv4", pretrained=False, filters=8)
    assert training.train_episodic(resumed, sampler, steps=30, checkpoint_dir=checkpoint, verbose=0) == []
    assert training.checkpoint_seconds(checkpoint) > 0
