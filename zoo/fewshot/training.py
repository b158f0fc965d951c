"""Episodic training and evaluation of :class:`~zoo.fewshot.classifier.FewShotClassifier` (paper §4: Adam,
lr 1e-3 halved on a step grid, weight decay 5e-5; accuracy over many test episodes with a 95% interval)."""
import json
import math
import time

import keras
import numpy as np
import tensorflow as tf

EPISODE_KEYS = ("support", "support_labels", "query", "query_labels", "unlabeled")


def halving_schedule(lr, steps, halvings):
    """lr halved ``halvings`` times at equal intervals over ``steps`` (the official Omniglot / mini schedules
    halve on a fixed step grid)."""
    interval = max(steps // (halvings + 1), 1)
    boundaries = [interval * (i + 1) for i in range(halvings)]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, [lr * 0.5 ** i for i in range(halvings + 1)])


def episode_loss(model, episode, weight_decay, training=True):
    """Mean query cross-entropy plus ``weight_decay`` · Σ‖w‖²/2 over the convolution kernels."""
    logits = model(episode, training=training)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(episode["query_labels"], logits))
    if weight_decay:
        loss += weight_decay * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables if "kernel" in v.path])
    return loss, logits


def train_episodic(model, sampler, steps, lr=1e-3, halvings=4, weight_decay=5e-5, first_episode=0,
                   checkpoint=None, checkpoint_every=500, verbose=1):
    """Train ``model`` on episodes ``first_episode, first_episode + 1, …`` of ``sampler`` for ``steps`` steps.

    ``checkpoint`` (a ``.weights.h5`` path): resume from it when it exists (its step count and the training
    seconds so far in a ``.json`` file beside it, see :func:`checkpoint_seconds`) and save it every
    ``checkpoint_every`` steps. Returns the per-step losses of this call.
    """
    optimizer = keras.optimizers.Adam(halving_schedule(lr, steps, halvings))
    start, seconds = _resume(model, optimizer, checkpoint)
    started = time.time()

    @tf.function(reduce_retracing=True)
    def step(episode):
        with tf.GradientTape() as tape:
            loss, logits = episode_loss(model, episode, weight_decay)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32),
                                                   episode["query_labels"]), tf.float32))
        return loss, accuracy

    progress = keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=["loss", "accuracy"])
    losses = []
    for i in range(start, steps):
        loss, accuracy = step(_tensors(sampler.episode(first_episode + i)))
        losses.append(float(loss))
        progress.update(i + 1, [("loss", float(loss)), ("accuracy", float(accuracy))])
        if checkpoint and ((i + 1) % checkpoint_every == 0 or i + 1 == steps):
            _save(model, checkpoint, i + 1, seconds + time.time() - started)
    return losses


def checkpoint_seconds(checkpoint):
    """Training seconds accumulated over every call that trained ``checkpoint``."""
    with open(f"{checkpoint}.json") as f:
        return json.load(f)["seconds"]


def evaluate(model, sampler, episodes=600, first_episode=0):
    """Mean query accuracy over ``episodes`` episodes and its 95% half-interval ``1.96·std/√episodes``.

    For the distractor-cluster model a query predicted as the distractor cluster counts as wrong.
    """
    predict = tf.function(lambda episode: tf.argmax(model(episode, training=False), -1, output_type=tf.int32),
                          reduce_retracing=True)
    accuracies = []
    for i in range(episodes):
        episode = sampler.episode(first_episode + i)
        accuracies.append(float(np.mean(predict(_tensors(episode)).numpy() == episode["query_labels"])))
    accuracies = np.array(accuracies)
    return float(accuracies.mean()), float(1.96 * accuracies.std() / math.sqrt(episodes))


def _tensors(episode):
    return {key: tf.constant(episode[key]) for key in EPISODE_KEYS}


def _resume(model, optimizer, checkpoint):
    """(step, seconds) of an existing checkpoint, loaded into ``model``; (0, 0) without one."""
    if not checkpoint or not tf.io.gfile.exists(checkpoint):
        return 0, 0.0
    model.load_weights(checkpoint)
    with open(f"{checkpoint}.json") as f:
        state = json.load(f)
    optimizer.iterations.assign(state["step"])  # the schedule continues; Adam's moments restart
    return state["step"], state["seconds"]


def _save(model, checkpoint, step, seconds):
    model.save_weights(checkpoint)
    with open(f"{checkpoint}.json", "w") as f:
        json.dump({"step": step, "seconds": round(seconds, 1)}, f)


def run_name(model, shots, distractors):
    """Directory name of one training run (``tools/fewshot/train.py``): ``MODEL_Kshot[_distractors]``."""
    return f"{model}_{shots}shot{'_distractors' if distractors else ''}"


def write_weight_record(model, run, name, *, source, shots, distractors, examples_per_class, label_ratio,
                        test_episodes, accuracy, interval, command, training):
    """``MODEL.TAG`` (``name``) weights and a manifest-ready record in the run directory ``run``
    (``tools/zoo/publish.py`` adds the golden outputs); the architecture is ``name``'s part before the tag.

    Args:
        source, examples_per_class, label_ratio: the episode source it was trained on.
        shots, distractors, test_episodes, accuracy, interval: the test setting and its result.
        command: the command line of the run; training: its recipe (steps, lr, seed, seconds, ...).
    """
    from zoo.training import records

    records.write_weight_record(
        model, run, name, architecture=name.split(".")[0], builder_kwargs={}, dataset=source,
        split={"train": f"{source} train classes, {examples_per_class} renderings each, {label_ratio:.0%} labeled",
               "test": f"{test_episodes} episodes of the test classes, M = 20 unlabeled per class"},
        preprocessing={"input_dtype": "uint8", "input_shape": [28, 28, 1], "scale": 1 / 255,
                       "inputs": "episode dict: support, support_labels, query, unlabeled"},
        metrics={f"5way_{shots}shot{'_distractors' if distractors else ''}_accuracy": round(accuracy, 4),
                 "interval_95": round(interval, 4), "test_episodes": test_episodes},
        command=command, training=training)
