"""Training the SBNet scene segmenter end-to-end in sparse mode (``tools/sbnet/train.py``): the resumable training
loop over new generated scenes, and the manifest-ready weight records of the trained model and its dense twin."""
import dataclasses
import json

import keras
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
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(config.lr, config.steps))
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables, saved={"weights": model.weights},
                            checkpoint_dir=checkpoint_dir, checkpoint_every=config.checkpoint_every)
    source = scenes_lib.load_source(source) if isinstance(source, str) else source

    def batches(k):
        return evaluation.scene_batch(source, config.seed, k * config.batch_size, config.batch_size, scenes)

    loop.run(replica_step(model), batches, config.steps, compiled=strategy.num_replicas_in_sync == 1,
             verbose=verbose)
    return float(loop.seconds.numpy())


def replica_step(model):
    """The replica step of :func:`train` (:class:`zoo.training.distributed.Loop`): ``(images, labels)`` →
    gradients of this replica's share of the summed pixel and mask losses, and its losses and mask density."""
    def step(batch):
        images, labels = batch
        with tf.GradientTape() as tape:
            outputs = model(images, training=True)
            losses = segmenter.segmentation_losses(outputs, labels)
            loss = distributed.replica_share(tf.add_n(list(losses.values())))
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
