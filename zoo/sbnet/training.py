"""Training the SBNet scene segmenter end-to-end in sparse mode (``tools/sbnet/train.py``): the resumable training
loop over new generated scenes, and the manifest-ready weight records of the trained model and its dense twin."""
import dataclasses
import json

import keras
import numpy as np
import tensorflow as tf

from zoo.data import scenes as scenes_lib
from zoo.sbnet import evaluation, segmenter
from zoo.training import distributed, records

TAG = "fashion_mnist_scenes"
"""Weight tag of the shipped weights: ``sbnet-segnet.TAG`` and ``sbnet-segnet-dense.TAG``."""

PREPROCESSING = {"input_shape": [segmenter.SCENES.height, segmenter.SCENES.width, 3], "input_dtype": "uint8",
                 "scale": 1.0, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
"""How the weights' inputs are prepared: raw uint8 scene images."""

LICENSE = "MIT (weights trained on scenes of Fashion-MNIST articles, MIT)"

CITYSCAPES_SIZE = (256, 512)
"""Cityscapes images are resized to this (height, width) (a quarter of their 1024×2048 pixels)."""

CITYSCAPES_CLASSES = 19
"""Cityscapes' training ids 0 … 18."""

IGNORE = 255
"""Cityscapes' training id of unlabelled pixels."""


@dataclasses.dataclass
class TrainConfig:
    """The training recipe: ``steps`` Adam steps (cosine decay of ``lr`` to 0), each on ``batch_size`` new scenes
    (step ``k`` takes scenes ``k · batch_size …`` of ``seed``), a checkpoint every ``checkpoint_every`` steps."""

    steps: int = 1500
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 100


def train(model, config, checkpoint_dir, source="train", scenes=segmenter.SCENES, verbose=1, strategy=None):
    """Train ``model`` (sparse) on the pixel and mask losses (:func:`zoo.sbnet.segmenter.segmentation_losses`)
    through the shared loop (:class:`zoo.training.distributed.Loop`), resuming from the latest checkpoint in
    ``checkpoint_dir``; a finished run is not trained again.

    Under a ``strategy`` of N replicas each takes ``batch_size / N`` of the step's scenes; batch normalisation is
    synchronised (also over the gathered blocks of the sparse units), so the step equals the single-device step.
    There the step runs eagerly: a sparse unit skips its blocks in a ``tf.cond`` when none is active, and
    TensorFlow cannot trace the synchronised batch norm's all-reduce (a ``merge_call``) inside a cond of a compiled
    replica step.

    Args:
        model: a :class:`~zoo.sbnet.segmenter.SceneSegmenter`, built under ``strategy``'s scope.
        config: the :class:`TrainConfig`.
        checkpoint_dir: where checkpoints are kept (the weights, the optimizer, the step and the seconds).
        source: ``"train"`` (the Fashion-MNIST training split) or ``(images, labels)`` the scenes' articles come from.
        scenes: the :class:`zoo.data.scenes.SceneConfig` of the training scenes.
        verbose: 1 shows a progress bar with the losses and the mask density, 0 nothing.
        strategy: the ``tf.distribute`` strategy (default: one device).

    Returns:
        The training seconds over all sessions of the run.
    """
    loop = _loop(model, config, checkpoint_dir, strategy)
    source = scenes_lib.load_source(source) if isinstance(source, str) else source

    def batches(k):
        return evaluation.scene_batch(source, config.seed, k * config.batch_size, config.batch_size, scenes)

    loop.run(replica_step(model), batches, config.steps, compiled=loop.replicas == 1, verbose=verbose)
    return float(loop.seconds.numpy())


def train_cityscapes(model, config, checkpoint_dir, size=CITYSCAPES_SIZE, data_dir=None, verbose=1, strategy=None):
    """Train ``model`` (sparse, ``num_classes`` 19) on Cityscapes' training images (:func:`zoo.sbnet.sources.
    cityscapes` at ``size``, shuffled with ``config.seed``, each worker reading its own share): the per-pixel
    cross-entropy over the labelled pixels and the mask network's loss against the foreground (the road and
    everything on it that moves), as :func:`train` does otherwise (also under a strategy). Returns the training
    seconds over all sessions."""
    from zoo.sbnet import sources

    loop = _loop(model, config, checkpoint_dir, strategy)
    stream = (sources.cityscapes("train", size, config.seed, loop.input_context(), data_dir).repeat()
              .batch(loop.input_context().get_per_replica_batch_size(config.batch_size), drop_remainder=True)
              .map(lambda batch: (batch["images"], batch["labels"], batch["foreground"])))
    loop.run(replica_step(model, cityscapes_losses), stream, config.steps, compiled=loop.replicas == 1,
             verbose=verbose)
    return float(loop.seconds.numpy())


def cityscapes_losses(outputs, labels, foreground):
    """``pixel``: the cross-entropy over the labelled pixels (training id 255 is "ignore") averaged over the global
    batch's labelled pixels; ``mask``: the sigmoid cross-entropy of ``mask_logits`` against "the cell holds a
    foreground pixel". Both are this replica's shares (they sum over replicas to the global batch's losses)."""
    labels = tf.convert_to_tensor(labels)
    valid = tf.cast(labels != IGNORE, tf.float32)
    per_pixel = keras.losses.sparse_categorical_crossentropy(
        tf.where(labels == IGNORE, 0, labels), tf.cast(outputs["logits"], tf.float32), from_logits=True)
    labelled = tf.distribute.get_replica_context().all_reduce("sum", tf.reduce_sum(valid))
    stride = labels.shape[1] // outputs["mask_logits"].shape[1]
    target = tf.nn.max_pool2d(tf.cast(foreground, tf.float32)[..., None], stride, stride, "VALID")
    mask = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(target, tf.cast(outputs["mask_logits"],
                                                                                   tf.float32)))
    return {"pixel": tf.reduce_sum(per_pixel * valid) / tf.maximum(labelled, 1.0),
            "mask": distributed.replica_share(mask)}


def cityscapes_validation(count, size=CITYSCAPES_SIZE, data_dir=None):
    """``(images uint8, labels int32)`` of the first ``count`` images of Cityscapes' validation split."""
    from zoo.sbnet import sources

    batch = next(sources.cityscapes("validation", size, data_dir=data_dir).batch(count).as_numpy_iterator())
    return batch["images"], batch["labels"]


def evaluate_cityscapes(model, images, labels, batch_size=8):
    """``{"pixel_accuracy", "mean_iou", "mask_density"}`` of ``model`` over the labelled pixels of ``images``
    (mean IoU over the classes that occur, :func:`zoo.sbnet.evaluation.segmentation_metrics`)."""
    confusion = np.zeros((CITYSCAPES_CLASSES, CITYSCAPES_CLASSES), np.int64)
    densities = []
    for start in range(0, len(images), batch_size):
        outputs = model(images[start:start + batch_size], training=False)
        predicted = np.argmax(np.asarray(outputs["logits"]), axis=-1)
        truth = labels[start:start + batch_size]
        valid = truth != IGNORE
        confusion += np.bincount(truth[valid] * CITYSCAPES_CLASSES + predicted[valid],
                                 minlength=CITYSCAPES_CLASSES ** 2).reshape(confusion.shape)
        if "mask" in outputs:
            densities.append(float(np.mean(outputs["mask"])))
    metrics = evaluation.segmentation_metrics(confusion)
    return {"pixel_accuracy": metrics["pixel_accuracy"], "mean_iou": metrics["mean_iou"],
            **({"mask_density": float(np.mean(densities))} if densities else {})}


def _loop(model, config, checkpoint_dir, strategy):
    """The shared loop of a run: Adam with cosine decay of ``config.lr`` over ``config.steps``."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(config.lr, config.steps))
    return distributed.Loop(strategy, optimizer, model.trainable_variables, saved={"weights": model.weights},
                            checkpoint_dir=checkpoint_dir, checkpoint_every=config.checkpoint_every)


def replica_step(model, losses_of=None):
    """The replica step of :func:`train` (:class:`zoo.training.distributed.Loop`): ``(images, labels)`` →
    gradients of this replica's share of the summed pixel and mask losses, and its losses and mask density; with
    ``losses_of`` (e.g. :func:`cityscapes_losses`), ``(images, labels, *more)`` and the losses it gives (already
    shares)."""
    def step(batch):
        images, labels, *more = batch
        with tf.GradientTape() as tape:
            outputs = model(images, training=True)
            if losses_of is None:
                losses = segmenter.segmentation_losses(outputs, labels)
                loss = distributed.replica_share(tf.add_n(list(losses.values())))
            else:
                losses = losses_of(outputs, labels, *more)
                loss = tf.add_n(list(losses.values()))
                replicas = tf.distribute.get_replica_context().num_replicas_in_sync
                losses = {name: value * replicas for name, value in losses.items()}  # reported as replica means
        metrics = {"pixel": losses["pixel"], "mask": losses["mask"], "density": tf.reduce_mean(outputs["mask"])}
        return tape.gradient(loss, model.trainable_variables), metrics

    return step


def write_record(model, output, architecture, config, *, impl, test_scenes, test_seed, metrics, seconds, mode,
                 command):
    """Save ``ARCH.TAG`` weights and their manifest-ready record (with its licence) in ``output``; returns the
    record's path. Publishing derives the golden outputs and the headline from the weights (:mod:`zoo.publish`).

    Args:
        model: the trained sparse model or its dense twin; ``architecture`` its registered name.
        config: the :class:`TrainConfig` it was trained with.
        impl: the SBNet op implementation (a builder argument).
        test_scenes, test_seed: the test scenes the ``metrics`` were measured on.
        seconds: training seconds; ``mode``: how the model was trained and is run (a sentence).
        command: the command line of the run.
    """
    name = f"{architecture}.{TAG}"
    records.write_weight_record(
        model, output, name, architecture=architecture, builder_kwargs={"impl": impl}, dataset=TAG,
        split={"train": f"{config.steps * config.batch_size} generated scenes (seed {config.seed}) of train-split "
                        "articles",
               "test": f"scenes 0..{test_scenes - 1} of seed {test_seed}, test-split articles"},
        preprocessing=PREPROCESSING,
        metrics={**metrics, "top1_accuracy": metrics["pixel_accuracy"], "test_examples": test_scenes},
        command=command,
        training={"mode": mode, "epochs": 1, "steps": config.steps, "batch_size": config.batch_size,
                  "optimizer": "adam", "lr": config.lr, "lr_schedule": "cosine", "seed": config.seed,
                  "scene_config": dataclasses.asdict(segmenter.SCENES), "seconds": round(seconds, 1)})
    path = output / f"{name}.json"
    record = json.loads(path.read_text())
    record[name].update(license=LICENSE)
    path.write_text(json.dumps(record, indent=2))
    return path
