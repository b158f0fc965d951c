"""Episodic training and evaluation of :class:`~zoo.fewshot.classifier.FewShotClassifier` (paper §4: Adam,
lr 1e-3 halved on a step grid, weight decay 5e-5; accuracy over many test episodes with a 95% interval)."""
import math

import keras
import numpy as np
import tensorflow as tf

from zoo.training import distributed

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
        loss += weight_decay * _kernel_penalty(model)
    return loss, logits


def _kernel_penalty(model):
    """Σ‖w‖²/2 over the model's convolution kernels."""
    return tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables if "kernel" in v.path])


def train_episodic(model, sampler, steps, lr=1e-3, halvings=4, weight_decay=5e-5, first_episode=0,
                   checkpoint_dir=None, checkpoint_every=500, episodes_per_step=1, strategy=None, verbose=1):
    """Train ``model`` for ``steps`` steps of ``episodes_per_step`` episodes each through the shared loop
    (:class:`zoo.training.distributed.Loop`): step ``k`` takes episodes ``first_episode + k·E … + k·E + E − 1`` of
    ``sampler`` (a pure function of the step, so a resumed run sees the same episodes) and minimises their mean
    :func:`episode_loss`.

    Under a ``strategy`` of N replicas the episodes of a step are split: each replica takes ``E / N`` whole
    episodes (batch normalisation sees one whole episode, as on one device) and adds their losses divided by E;
    the weight decay is counted once. The summed gradient is the single-device one; the moving statistics of
    batch normalisation are averaged over the replicas' episodes instead of updated episode after episode.

    Args:
        checkpoint_dir: resume from its latest checkpoint (the weights, Adam's state, the step and the training
            seconds, see :func:`checkpoint_seconds`) and write one every ``checkpoint_every`` steps.
        episodes_per_step: E, a multiple of the number of replicas (the paper: 1).

    Returns the per-step losses of this call.
    """
    strategy = strategy or tf.distribute.get_strategy()
    distributed.split_count(episodes_per_step, strategy.num_replicas_in_sync, "episodes_per_step")
    with strategy.scope():
        optimizer = keras.optimizers.Adam(halving_schedule(lr, steps, halvings))
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables, saved={"weights": model.weights},
                            checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every)

    def batches(k):
        episodes = [sampler.episode(first_episode + k * episodes_per_step + e) for e in range(episodes_per_step)]
        return {key: np.stack([episode[key] for episode in episodes]) for key in EPISODE_KEYS}

    history = loop.run(replica_step(model, episodes_per_step, weight_decay), batches, steps, verbose=verbose)
    return [entry["loss"] for entry in history]


def replica_step(model, episodes_per_step, weight_decay):
    """The replica step of :func:`train_episodic`: episodes stacked on a leading axis → gradients of this replica's
    share of the mean episode loss (plus the weight decay once), and its mean loss and query accuracy."""
    def step(episodes):
        count = episodes["query_labels"].shape[0]
        with tf.GradientTape() as tape:
            losses, accuracies = [], []
            for e in range(count):
                loss, logits = episode_loss(model, {key: value[e] for key, value in episodes.items()}, 0.0)
                losses.append(loss)
                accuracies.append(tf.reduce_mean(tf.cast(tf.equal(
                    tf.argmax(logits, -1, output_type=tf.int32), episodes["query_labels"][e]), tf.float32)))
            penalty = weight_decay * _kernel_penalty(model) if weight_decay else 0.0
            total = tf.add_n(losses) / episodes_per_step + distributed.replica_share(penalty)
        metrics = {"loss": tf.add_n(losses) / count + penalty, "accuracy": tf.add_n(accuracies) / count}
        return tape.gradient(total, model.trainable_variables), metrics

    return step


def checkpoint_seconds(checkpoint_dir):
    """Training seconds accumulated over every session that trained the run of ``checkpoint_dir``."""
    return float(tf.train.load_variable(tf.train.latest_checkpoint(str(checkpoint_dir)),
                                        "seconds/.ATTRIBUTES/VARIABLE_VALUE"))


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
