"""Training for the GHN experiments: Fashion-MNIST splits, SGD training of one architecture (ground truth and the
k-step baselines), accuracy with given parameters, and GHN training on freshly sampled architectures."""
import dataclasses
import json
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from zoo.data.fashion_mnist import load_fashion_mnist
from zoo.ghn.graph import random_network
from zoo.ghn.network import GraphNetwork, network_forward
from zoo.training import distributed, records


def load_splits(validation=10_000, seed=0):
    """Fashion-MNIST as ``{"train", "validation", "test"}`` → ``(uint8 images (N, 28, 28, 1), int32 labels)``;
    ``validation`` training images (a seeded random choice) are held out, as the paper holds out 5,000 of CIFAR-10's."""
    images, labels = load_fashion_mnist("train")
    order = np.random.default_rng(seed).permutation(len(images))
    held, kept = order[:validation], order[validation:]
    test_images, test_labels = load_fashion_mnist("test")

    def prepare(x, y):
        return x[..., None], y.astype(np.int32)

    return {"train": prepare(images[kept], labels[kept]), "validation": prepare(images[held], labels[held]),
            "test": prepare(test_images, test_labels)}


def load_data(dataset="fashion_mnist", validation=0, data_dir=None, download=False):
    """``{"train", "validation", "test"}`` → ``(uint8 images (N, H, W, C), int32 labels)``: Fashion-MNIST
    (:func:`load_splits`), or the paper's ``cifar10`` (:func:`zoo.ghn.data.paper_splits`, read from tfds into
    memory), with ``validation`` training images held out (0: 10,000 of Fashion-MNIST, the paper's 5,000 of
    CIFAR-10)."""
    if dataset == "fashion_mnist":
        return load_splits(validation or 10_000)
    from zoo.ghn import data

    splits = {name: source.arrays() for name, source in data.paper_splits(
        dataset, validation or data.VALIDATION, data_dir=data_dir, download=download).items()}
    return {name: (images, labels.astype(np.int32)) for name, (images, labels) in splits.items()}


def accuracy(graph, params, images, labels, batch_size=250, bn_state=None):
    """Top-1 accuracy of ``graph`` with ``params``; batch normalization uses each batch's statistics unless
    ``bn_state`` (moving statistics) is given, so the batch size matters without it (ppuda evaluates GHN weights
    with batch statistics too)."""
    return evaluate(graph, params, images, labels, batch_size, bn_state)["accuracy"]


def evaluate(graph, params, images, labels, batch_size=250, bn_state=None, pass_size=2000):
    """``{"accuracy", "loss"}`` of ``graph`` with ``params`` on ``images``: top-1 accuracy and mean cross-entropy
    (batch statistics in batch normalization unless ``bn_state`` is given, as in :func:`accuracy`).

    Up to ``pass_size`` images go through the network at once; with batch statistics each ``batch_size`` of them
    is still normalised by its own statistics (ghost batch normalization), so the numbers are those of one pass
    per batch at about half the time.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    images_per_pass = max(batch_size, pass_size // batch_size * batch_size)
    correct, loss = 0, 0.0
    for start in range(0, len(images), images_per_pass):
        chunk, chunk_labels = images[start:start + images_per_pass], labels[start:start + images_per_pass]
        if bn_state is not None:
            logits = network_forward(graph, params, chunk, training=False, bn_state=bn_state)
        else:
            logits = _batch_statistics_logits(graph, params, chunk, batch_size)
        correct += int(np.sum(np.argmax(logits, axis=1) == chunk_labels))
        loss += float(tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(chunk_labels, logits,
                                                                                 from_logits=True)))
    return {"accuracy": correct / len(images), "loss": loss / len(images)}


def _batch_statistics_logits(graph, params, images, batch_size):
    """Logits with each consecutive ``batch_size`` images normalised by their own statistics (a shorter last batch
    by its own)."""
    whole = len(images) // batch_size * batch_size
    parts = []
    if whole:
        parts.append(network_forward(graph, params, images[:whole], bn_group_size=batch_size))
    if whole < len(images):
        parts.append(network_forward(graph, params, images[whole:]))
    return tf.concat(parts, axis=0)


@dataclasses.dataclass
class SGDConfig:
    """SGD training of one architecture (the ground truth and the k-step baselines).

    ``checkpoints`` are the steps after which validation accuracy is recorded (the paper's 10 / 100 / 200 / 1000
    SGD-step baselines, read off the same run: k steps of this recipe whose cosine schedule is cut at k).
    """

    steps: int = 1500
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 3e-4
    checkpoints: tuple = (10, 100, 200, 1000)
    validation_examples: int = 2000
    seed: int = 0


def train_network(graph, data, config, progress=None):
    """Train ``graph`` from scratch with SGD; returns the trained :class:`GraphNetwork` and a result dict.

    The result holds ``validation_accuracy_at`` ``{k: accuracy}`` for every checkpoint (batch statistics, as GHN
    weights are scored), ``test_accuracy`` on the whole test split (moving statistics), and
    ``seconds_at`` ``{k: wall seconds of k steps}`` (the first step's graph tracing excluded; it is
    ``tracing_seconds``: the first step's wall time less the mean of the others).
    """
    keras.utils.set_random_seed(config.seed)
    network = GraphNetwork(graph)
    schedule = keras.optimizers.schedules.CosineDecay(config.lr, config.steps)
    optimizer = keras.optimizers.SGD(schedule, momentum=config.momentum, nesterov=True)
    variables = network.trainable_variables

    @tf.function  # not jit_compile: XLA's CPU depthwise convolutions were 10× slower here
    def step(images, labels):
        with tf.GradientTape() as tape:
            logits = network(images, training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
            loss += config.weight_decay * 0.5 * tf.add_n([tf.reduce_sum(v ** 2) for v in variables])
        gradients = tape.gradient(loss, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    train_images, train_labels = data["train"]
    val_images, val_labels = (a[:config.validation_examples] for a in data["validation"])
    rng = np.random.default_rng(config.seed)
    result = {"validation_accuracy_at": {}, "seconds_at": {}}
    seconds = 0.0
    for i in range(1, config.steps + 1):
        batch = rng.integers(len(train_images), size=config.batch_size)
        start = time.perf_counter()
        loss = step(train_images[batch], train_labels[batch])
        if i > 1:
            seconds += time.perf_counter() - start
        else:
            first_step_seconds = time.perf_counter() - start
        if i in config.checkpoints:
            result["seconds_at"][i] = seconds * i / max(i - 1, 1)  # the traced first step counted at the mean
            result["validation_accuracy_at"][i] = accuracy(graph, network.parameters, val_images, val_labels)
        if progress and (i % 100 == 0 or i == config.steps):
            progress(i, float(loss))
    result["test_accuracy"] = accuracy(graph, network.parameters, *data["test"], bn_state=network.bn_state)
    result["train_seconds"] = seconds * config.steps / max(config.steps - 1, 1)
    result["tracing_seconds"] = max(first_step_seconds - seconds / max(config.steps - 1, 1), 0.0)
    return network, result


@dataclasses.dataclass
class GHNConfig:
    """GHN training: every step samples ``meta_batch`` fresh architectures with ``num_nodes``-node cells (or, with
    ``max_num_nodes``, each with a size drawn uniformly from ``num_nodes … max_num_nodes``) and minimises their mean
    cross-entropy with the predicted weights on one image batch (Adam; GHN-2's gradient clipping and weight
    decay). With ``ema_decay`` > 0 the GHN's weights are also averaged exponentially over the steps (Polyak
    averaging), and the trained GHN holds the average."""

    steps: int = 1000
    num_nodes: int = 7
    max_num_nodes: int = 0
    meta_batch: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-5
    clip_norm: float = 5.0
    ema_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (0 = no averaging), got {self.ema_decay}")
        if self.max_num_nodes and self.max_num_nodes < self.num_nodes:
            raise ValueError(f"max_num_nodes must be 0 (every cell has num_nodes) or >= num_nodes = {self.num_nodes}, "
                             f"got {self.max_num_nodes}")


def train_ghn(ghn, data, config, network_kwargs, checkpoint_dir=None, progress=None, strategy=None):
    """Train ``ghn`` in place through the shared loop (:class:`zoo.training.distributed.Loop`); resumes from
    ``checkpoint_dir`` (written every 50 steps) when one is there.

    A step's meta-batch is split under a ``strategy`` of N replicas: each replica takes ``meta_batch / N`` of the
    step's architectures and the whole image batch, adds its architectures' losses divided by ``meta_batch``, and
    the summed gradients are clipped to the global norm ``clip_norm`` before AdamW applies them — the
    single-device step.

    Returns the history: ``{"step", "loss", "accuracy"}`` lists (training batch, mean over the meta-batch) and
    ``seconds``. With ``config.ema_decay`` the GHN ends up holding its exponential moving average; the last
    iterate is then ``history["last_iterate"]`` (a list of arrays in ``ghn.trainable_variables`` order).
    """
    strategy = strategy or tf.distribute.get_strategy()
    distributed.split_count(config.meta_batch, strategy.num_replicas_in_sync, "meta_batch")
    with strategy.scope():
        optimizer = keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(config.lr, config.steps),
                                           weight_decay=config.weight_decay)
        average = [tf.Variable(v, trainable=False) for v in ghn.trainable_variables] if config.ema_decay else []
    loop = distributed.Loop(strategy, optimizer, ghn.trainable_variables,
                            saved={"weights": list(ghn.weights), **({"average": average} if average else {})},
                            clip=lambda gradients: tf.clip_by_global_norm(gradients, config.clip_norm)[0],
                            checkpoint_dir=checkpoint_dir, checkpoint_every=50)
    restored = loop.restore()
    history = {"step": [], "loss": [], "accuracy": [], "seconds": 0.0}
    if restored and checkpoint_dir:
        history = _read_history(checkpoint_dir) or history
        history = {**{key: history[key][:restored] for key in ("step", "loss", "accuracy")},
                   "seconds": history["seconds"]}
    train_images, train_labels = data["train"]

    def batches(k):
        rng = np.random.default_rng([config.seed, k + 1])  # the stream is a pure function of the step: resumable
        graphs = training_architectures(config, rng, network_kwargs)
        batch = rng.integers(len(train_images), size=config.batch_size)
        return {"graphs": graphs, "images": distributed.Replicated(train_images[batch]),
                "labels": distributed.Replicated(train_labels[batch])}

    def after_step(step, metrics):
        for averaged, variable in zip(average, ghn.trainable_variables):
            averaged.assign(config.ema_decay * averaged + (1.0 - config.ema_decay) * variable)
        history["step"].append(step)
        history["loss"].append(metrics["loss"])
        history["accuracy"].append(metrics["accuracy"])
        history["seconds"] = float(loop.seconds.numpy())
        if checkpoint_dir and (step % 50 == 0 or step == config.steps):
            _write_history(checkpoint_dir, history)
        if progress:
            progress(step, history)

    loop.run(replica_step(ghn, config.meta_batch), batches, config.steps, compiled=False, callback=after_step,
             verbose=0)
    if average:
        history["last_iterate"] = [v.numpy() for v in ghn.trainable_variables]
        for averaged, variable in zip(average, ghn.trainable_variables):
            variable.assign(averaged)
    return history


def write_weight_record(ghn, run, name, *, summary, config):
    """Save the trained ``ghn`` as a manifest-ready weight record ``RUN/NAME`` (``tools/zoo/publish.py`` then adds
    the golden outputs and the headline): Fashion-MNIST training, and ``summary`` (``tools/ghn/train.py``'s
    ``RUN/summary.json``: the model, its builder options, the network skeleton, the scores of the unseen
    architectures, the seconds and the command) with the :class:`GHNConfig` ``config`` it was trained with."""
    network = summary["network"]
    seconds = round(summary["train_seconds"])
    return records.write_weight_record(
        ghn, pathlib.Path(run), name, architecture=summary["model"], builder_kwargs=summary["builder_kwargs"],
        dataset="fashion_mnist",
        split={"train": "Fashion-MNIST train split less 10,000 held-out validation images (seed 0)",
               "test": f"Fashion-MNIST test split (10,000), GHN-predicted weights of {summary['eval_architectures']} "
                       "unseen 17-node architectures"},
        preprocessing={"input_dtype": "uint8", "input_shape": [28, 28, 1], "scale": 1 / 255,
                       "inputs": "a zoo.ghn.NetworkGraph (ghn.predict_parameters / ghn.build_network)",
                       "network": {k: list(v) if isinstance(v, tuple) else v for k, v in network.items()}},
        metrics={"mean_test_accuracy": round(summary["mean_test_accuracy"], 4),
                 "mean_validation_accuracy": round(summary["mean_validation_accuracy"], 4),
                 "architectures": summary["eval_architectures"], "test_examples": 10_000},
        command=summary["command"],
        training={"steps": config.steps, "meta_batch": config.meta_batch, "num_nodes": config.num_nodes,
                  "lr": config.lr, "optimizer": "adamw", "weight_decay": config.weight_decay, "seed": config.seed,
                  "init_from": summary["init_from"], "seconds": seconds})


def replica_step(ghn, meta_batch):
    """The replica step of :func:`train_ghn` (eager: a batch holds architectures): ``{"graphs", "images",
    "labels"}`` → gradients of this replica's architectures' summed cross-entropy divided by ``meta_batch``, and
    their mean loss and accuracy."""
    def step(batch):
        images, labels = batch["images"], batch["labels"]
        with tf.GradientTape() as tape:
            losses, correct = [], []
            for graph in batch["graphs"]:
                logits = network_forward(graph, ghn.predict_parameters(graph), images)
                losses.append(tf.reduce_mean(
                    keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)))
                correct.append(np.mean(np.argmax(logits, axis=1) == labels))
            loss = tf.add_n(losses) / meta_batch
        gradients = tape.gradient(loss, ghn.trainable_variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return gradients, {"loss": tf.add_n(losses) / len(losses), "accuracy": tf.constant(np.mean(correct))}

    return step


def sample_network(num_nodes, seed=0, **network_kwargs):
    """A :class:`GraphNetwork` over a random ``num_nodes``-node cell of the skeleton ``network_kwargs``: what one
    GHN step trains, for counting its work (:mod:`zoo.training.paper_scale`)."""
    return GraphNetwork(random_network(num_nodes, np.random.default_rng(seed), **network_kwargs))


def training_architectures(config, rng, network_kwargs):
    """The ``config.meta_batch`` random architectures of one GHN training step, drawn from ``rng``."""
    sizes = (rng.integers(config.num_nodes, config.max_num_nodes + 1, size=config.meta_batch)
             if config.max_num_nodes else [config.num_nodes] * config.meta_batch)
    return [random_network(int(n), rng, **network_kwargs) for n in sizes]


def _write_history(directory, history):
    pathlib.Path(directory).mkdir(parents=True, exist_ok=True)
    (pathlib.Path(directory) / "history.json").write_text(json.dumps(history))


def _read_history(directory):
    path = pathlib.Path(directory) / "history.json"
    return json.loads(path.read_text()) if path.exists() else None
