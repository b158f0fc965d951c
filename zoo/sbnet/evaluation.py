"""Scenes and segmentation metrics of the SBNet scene segmenter (:class:`~zoo.sbnet.segmenter.SceneSegmenter`).

The weights are judged on 256×256 Fashion-MNIST scenes (:data:`zoo.sbnet.segmenter.SCENES`) segmented into
background + 10 classes:

- the test scenes: scenes ``0 … TEST_SCENES − 1`` of seed :data:`TEST_SEED` with articles of the full Fashion-MNIST
  test split (:func:`full_test_scenes`, built once and cached);
- the sample: :data:`SAMPLE_SCENES` scenes of seed :data:`SAMPLE_SEED` with articles of the test images embedded in
  the package (:func:`sample_scenes`), which need no data set installed.

:func:`evaluate` accumulates the pixel confusion matrix (``keras.metrics.MeanIoU``) and the computation-mask
statistics; :func:`segmentation_metrics` turns the matrix into pixel accuracy, mean IoU, foreground IoU and
foreground pixel accuracy.
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from zoo.data import cache, samples
from zoo.data import scenes as scenes_lib
from zoo.progress import progress_bar
from zoo.sbnet import ops, segmenter

EVAL_BATCH = 20
"""Scenes per forward pass when evaluating."""

TEST_SEED = 1
"""Seed of the test scenes (train scenes use seed 0 of the train split)."""

TEST_SCENES = 1000
"""Test scenes the recorded metrics were measured on."""

SAMPLE_SEED = 1
"""Seed of the sample scenes built from the embedded test images."""

SAMPLE_SCENES = 32
"""Scenes in the embedded sample."""


def scene_batch(source, seed, start, count, config=segmenter.SCENES):
    """Images uint8 ``(count, H, W, 3)`` and per-pixel labels int32 ``(count, H, W)`` (0 background, class + 1) of
    scenes ``start … start + count − 1`` of ``seed``.

    Args:
        source: ``"train"`` / ``"test"`` (that Fashion-MNIST split; ``FileNotFoundError`` when it is not on this
            machine) or ``(images, labels)`` to draw the articles from.
        seed, start, count: scene ``i`` is ``generate_scene(scene_rng(seed, i), source, config)``.
        config: the :class:`zoo.data.scenes.SceneConfig` (default: the pretrained weights' scenes).
    """
    source = scenes_lib.load_source(source) if isinstance(source, str) else source
    scenes = [scenes_lib.generate_scene(scenes_lib.scene_rng(seed, i), source, config)
              for i in range(start, start + count)]
    arrays = scenes_lib.scenes_to_arrays(scenes)
    return arrays["images"], segmenter.scene_labels(arrays)


def sample_scenes(count=SAMPLE_SCENES, seed=SAMPLE_SEED):
    """The embedded sample: ``(images, labels)`` of :func:`scene_batch` on articles of the Fashion-MNIST test images
    embedded in the package (zoo/data/samples)."""
    images, labels, _ = samples.load_sample()
    return scene_batch((images, labels), seed, 0, count)


def full_test_scenes(count=TEST_SCENES, seed=TEST_SEED, progress=None):
    """``(images uint8, labels uint8)`` of test scenes ``0 … count − 1`` of ``seed`` (full Fashion-MNIST test split),
    built once with a progress bar and cached (:func:`zoo.data.cache.cached_arrays`).

    Raises ``FileNotFoundError`` when they are not cached and the test split is not on this machine.
    """
    def build():
        source = scenes_lib.load_source("test")
        images, labels = [], []
        with progress_bar(count, "generating the SBNet test scenes", unit="scene", show=progress) as bar:
            for start in range(0, count, EVAL_BATCH):
                batch = scene_batch(source, seed, start, min(EVAL_BATCH, count - start))
                images.append(batch[0])
                labels.append(batch[1].astype(np.uint8))
                bar.update(len(batch[0]))
        return {"images": np.concatenate(images), "labels": np.concatenate(labels)}

    key = ("sbnet test scenes", count, seed, dataclasses.asdict(segmenter.SCENES))
    arrays = cache.cached_arrays("sbnet-test-scenes", key, build)
    return arrays["images"], arrays["labels"]


def evaluate(model, images, labels, batch_size=EVAL_BATCH, progress=False):
    """Run ``model`` over ``images`` against per-pixel ``labels``.

    Returns:
        ``(confusion, mask_stats)``: the confusion matrix int64 ``[true, predicted]`` over all pixels, and in sparse
        mode the computation-mask statistics (else ``{}``): ``mask_density`` (fraction of pixels),
        ``foreground_covered`` (fraction of foreground pixels inside the mask) and ``block_density`` (fraction of
        the first unit's blocks that are active). ``progress`` shows a bar over the scenes (see
        :func:`zoo.progress.progress_bar`).
    """
    forward = tf.function(lambda x: model(x, training=False), autograph=False)
    confusion = keras.metrics.MeanIoU(model.num_classes, dtype="int64")
    mask_pixels = covered = active_blocks = all_blocks = 0
    with progress_bar(len(images), "segmenting scenes", unit="scene", show=progress) as bar:
        for start in range(0, len(images), batch_size):
            outputs = forward(tf.constant(images[start:start + batch_size]))
            truth = np.asarray(labels[start:start + batch_size])
            confusion.update_state(truth, tf.argmax(outputs["logits"], axis=-1))
            if model.sparse:
                mask = np.asarray(outputs["mask"]) > 0
                mask_pixels += int(mask.sum())
                covered += int((mask & (truth > 0)).sum())
                active, blocks_per_image = first_unit_blocks(model, outputs["mask"])
                active_blocks += active
                all_blocks += blocks_per_image * len(truth)
            bar.update(len(truth))
    confusion = confusion.total_cm.numpy().astype(np.int64)
    if not model.sparse:
        return confusion, {}
    return confusion, {"mask_density": mask_pixels / labels.size,
                       "foreground_covered": covered / max(int((np.asarray(labels) > 0).sum()), 1),
                       "block_density": active_blocks / all_blocks}


def first_unit_blocks(model, mask):
    """Active blocks of the model's first sparse unit (after the stride-2 stem) under the computation ``mask``
    ``(N, H, W)``, and the number of blocks per image."""
    level = tf.nn.max_pool2d(tf.convert_to_tensor(mask, tf.float32)[..., None], 2, 2, "VALID")
    params = model.units[0].block_params(tuple(level.shape[1:3]))
    return int(ops.reduce_mask(level, params, impl=model.impl).count), params.bcount[0] * params.bcount[1]


def segmentation_metrics(confusion):
    """Pixel accuracy, mean IoU over the classes that occur (as predictions or labels; ``keras.metrics.MeanIoU``'s
    definition), foreground IoU (background against the rest) and accuracy on foreground pixels, from a confusion
    matrix ``[true, predicted]``."""
    confusion = np.asarray(confusion, np.int64)
    true_positive = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - true_positive
    foreground_hits = confusion[1:, 1:].sum()
    return {"pixel_accuracy": float(true_positive.sum() / confusion.sum()),
            "mean_iou": float(np.mean(true_positive[union > 0] / union[union > 0])),
            "foreground_iou": float(foreground_hits / (confusion[1:, :].sum() + confusion[:, 1:].sum()
                                                       - foreground_hits)),
            "foreground_pixel_accuracy": float(true_positive[1:].sum() / confusion[1:, :].sum())}
