"""Pictures of the instance segmenter's predictions: each instance's mask tinted and its box outlined over the user's
image, or each step's attention window (numpy in, uint8 RGB / PNG out), enlarged so the small scenes are visible;
and the figure of the segmenter at work, step by step (``tools/recattend/viz.py``)."""
import pathlib

import numpy as np

from zoo import benchmark
from zoo.data.plots import DISTINCT_COLOURS

INSTANCE_COLOURS = DISTINCT_COLOURS[:7]
"""``(name, (r, g, b))``: instance ``k`` is drawn in colour ``k mod 7``."""


def instance_colour(k):
    """The ``(name, (r, g, b))`` of instance ``k``."""
    return INSTANCE_COLOURS[k % len(INSTANCE_COLOURS)]


def instance_overlay(image, masks, boxes=None, scale=4, alpha=0.6):
    """``image`` in grey, enlarged ``scale`` times, with instance ``k``'s mask tinted and its box outlined in
    :func:`instance_colour` ``(k)``.

    Args:
        image: uint8 ``(H, W, 3)`` (or ``(H, W)`` grey).
        masks: boolean ``(K, H, W)``.
        boxes: optional ``(K, 4)`` boxes ``(y0, x0, y1, x1)`` in pixels, ends exclusive.
        scale: integer enlargement (nearest neighbour).
        alpha: opacity of the mask colours.

    Returns:
        uint8 ``(scale·H, scale·W, 3)``.
    """
    image, masks = np.asarray(image), np.asarray(masks, bool)
    if image.ndim == 3:
        image = image.mean(axis=-1)
    if masks.ndim != 3 or masks.shape[1:] != image.shape:
        raise ValueError(f"masks must be (K, H, W) with (H, W) = {image.shape}, got shape {masks.shape}")
    if boxes is not None and np.shape(boxes) != (len(masks), 4):
        raise ValueError(f"boxes must be (K, 4) with K = {len(masks)}, got shape {np.shape(boxes)}")
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    canvas = np.repeat(image[..., None].astype(np.float64), 3, axis=-1)
    for k, mask in enumerate(masks):
        canvas[mask] = (1 - alpha) * canvas[mask] + alpha * np.array(instance_colour(k)[1], np.float64)
    canvas = np.repeat(np.repeat(canvas, scale, axis=0), scale, axis=1)
    for k, box in enumerate([] if boxes is None else np.asarray(boxes)):
        height, width = canvas.shape[:2]
        y0, y1 = (int(np.clip(round(v * scale), 0, height)) for v in (box[0], box[2]))
        x0, x1 = (int(np.clip(round(v * scale), 0, width)) for v in (box[1], box[3]))
        y0, x0 = min(y0, height - 1), min(x0, width - 1)
        y1, x1 = max(y1 - 1, y0), max(x1 - 1, x0)
        colour = instance_colour(k)[1]
        canvas[y0:y1 + 1, [x0, x1]] = colour
        canvas[[y0, y1], x0:x1 + 1] = colour
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def save_overlay(path, image, masks, boxes=None, scale=4):
    """Write :func:`instance_overlay` as a PNG at ``path``; returns the path."""
    import matplotlib.image

    path = pathlib.Path(path)
    matplotlib.image.imsave(path, instance_overlay(image, masks, boxes, scale), format="png")
    return path


def attention_boxes(attention):
    """The windows ``(K, 4)`` ``(y0, x0, y1, x1)`` in pixels (ends exclusive) that attention vectors ``(K, 6)`` read
    (:func:`zoo.recattend.model.attention_box`: centre ± half the size)."""
    from zoo.recattend.model import attention_box

    attention = np.asarray(attention, np.float32)
    if attention.ndim != 2 or attention.shape[1] < 4:
        raise ValueError(f"attention must be (K, 6) vectors (centre y, x, size h, w, ...), got shape {attention.shape}")
    return np.asarray(attention_box(attention))


def attention_overlay(image, attention, masks=None, scale=4, alpha=0.6):
    """``image`` in grey, enlarged ``scale`` times, with step ``k``'s attention window outlined (and its mask tinted,
    if ``masks`` ``(K, H, W)`` are given) in :func:`instance_colour` ``(k)``.

    Args:
        image: uint8 ``(H, W, 3)`` (or ``(H, W)`` grey).
        attention: ``(K, 6)`` attention vectors, e.g. the model's ``outputs["attention"][i]``.
        masks: optional boolean ``(K, H, W)`` (e.g. each step's mask above 0.5).

    Returns:
        uint8 ``(scale·H, scale·W, 3)``.
    """
    boxes = attention_boxes(attention)
    if masks is None:
        masks = np.zeros((len(boxes), *np.asarray(image).shape[:2]), bool)
    return instance_overlay(image, masks, boxes, scale, alpha)


def steps_figure(arrays, outputs, score_threshold=0.5):
    """For each scene of ``arrays`` (:func:`zoo.recattend.training.scene_arrays`): the input, the ground truth, and
    every step's segment with the window it attended to and its score, steps after the first score below
    ``score_threshold`` greyed out. ``outputs``: the model's outputs on ``arrays["images"]``. Returns the figure."""
    plt = benchmark.pyplot()
    scenes, steps = np.asarray(outputs["scores"]).shape
    figure, axes = plt.subplots(scenes, steps + 2, figsize=(1.7 * (steps + 2), 1.8 * scenes), squeeze=False)
    palette = np.array([rgb for _, rgb in INSTANCE_COLOURS]) / 255.0
    for row in range(scenes):
        image = arrays["images"][row] / 255.0
        truth = np.zeros_like(image)
        for k in range(arrays["num_objects"][row]):
            truth[arrays["masks"][row, k]] = palette[k % len(palette)]
        axes[row, 0].imshow(image)
        axes[row, 1].imshow(truth)
        scores = np.asarray(outputs["scores"][row])
        below = np.flatnonzero(scores < score_threshold)
        stop = int(below[0]) if len(below) else steps
        boxes = attention_boxes(outputs["attention"][row])
        for t, (y0, x0, y1, x1) in enumerate(boxes):
            ax = axes[row, t + 2]
            mask = np.asarray(outputs["masks"][row, t])
            ax.imshow(0.35 * image + 0.65 * mask[..., None] * palette[t % len(palette)], alpha=1 if t < stop else 0.35)
            ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color="white", lw=0.8))
            ax.set_title(f"t={t + 1} s={scores[t]:.2f}", fontsize=7, color="black" if t < stop else "grey")
    axes[0, 0].set_title("input", fontsize=7)
    axes[0, 1].set_title("ground truth", fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    figure.tight_layout()
    return figure
