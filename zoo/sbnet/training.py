"""Training the SBNet scene segmenter end-to-end in sparse mode (``tools/sbnet/train.py``): the resumable training
loop over new generated scenes, and the manifest-ready weight records of the trained model and its dense twin."""
import dataclasses
import json
import time

import keras
import tensorflow as tf

from zoo.sbnet import evaluation, segmenter
from zoo.training import records

TAG = "fashion_mnist_scenes"
"""Weight tag of the shipped weights: ``sbnet-segnet.TAG`` and ``sbnet-segnet-dense.TAG``."""

PREPROCESSING = {"input_shape": [segmenter.SCENES.height, segmenter.SCENES.width, 3], "input_dtype": "uint8",
                 "scale": 1.0, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
"""How the weights' inputs are prepared: raw uint8 scene images."""

LICENSE = "MIT (weights trained on scenes of Fashion-MNIST articles, MIT)"


@dataclasses.dataclass
class TrainConfig:
    """The training recipe: ``steps`` Adam steps (cosine decay of ``lr`` to 0), each on ``batch_size`` new scenes
    (step ``k`` takes scenes ``k · batch_size …`` of ``seed``), a checkpoint every ``checkpoint_every`` steps."""

    steps: int = 1500
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 100


def train(model, config, checkpoint_dir, source="train", scenes=segmenter.SCENES, verbose=1):
    """Train ``model`` (sparse) on the pixel and mask losses (:func:`zoo.sbnet.segmenter.segmentation_losses`),
    resuming from the latest checkpoint in ``checkpoint_dir``; a finished run is not trained again.

    Args:
        model: a :class:`~zoo.sbnet.segmenter.SceneSegmenter`.
        config: the :class:`TrainConfig`.
        checkpoint_dir: where checkpoints are kept (the model's weights, the optimizer, the step and the seconds).
        source: ``"train"`` (the Fashion-MNIST training split) or ``(images, labels)`` the scenes' articles come from.
        scenes: the :class:`zoo.data.scenes.SceneConfig` of the training scenes.
        verbose: 1 shows a progress bar with the losses and the mask density, 0 nothing.

    Returns:
        The training seconds over all sessions of the run.
    """
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(config.lr, config.steps))
    optimizer.build(model.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    seconds = tf.Variable(0.0, dtype=tf.float64)
    # The variables by list: tf.train.Checkpoint does not follow the layer lists of a Keras 3 model, so
    # checkpoint=model would silently drop e.g. the batch norm statistics of the residual units.
    checkpoint = tf.train.Checkpoint(weights=model.weights, optimizer=optimizer, step=step, seconds=seconds)
    manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=1)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        print(f"resumed from {manager.latest_checkpoint} at step {int(step)}", flush=True)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            outputs = model(images, training=True)
            losses = segmenter.segmentation_losses(outputs, labels)
            loss = tf.add_n(list(losses.values()))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return losses["pixel"], losses["mask"], tf.reduce_mean(outputs["mask"])

    bar = keras.utils.Progbar(config.steps, stateful_metrics=["pixel", "mask", "density"], interval=20,
                              verbose=verbose)
    bar.update(int(step))
    while int(step) < config.steps:
        started = time.perf_counter()
        images, labels = evaluation.scene_batch(source, config.seed, int(step) * config.batch_size, config.batch_size,
                                                scenes)
        pixel, mask, density = train_step(tf.constant(images), tf.constant(labels))
        step.assign_add(1)
        seconds.assign_add(time.perf_counter() - started)
        bar.update(int(step), [("pixel", float(pixel)), ("mask", float(mask)), ("density", float(density))])
        if int(step) % config.checkpoint_every == 0 or int(step) == config.steps:
            manager.save()
    return float(seconds)


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
