"""Pictures of the instance segmenter's predictions: each instance's mask tinted and its box outlined over the user's
image, enlarged so the small scenes are visible (numpy in, uint8 RGB / PNG out)."""
import pathlib

import numpy as np

INSTANCE_COLOURS = (
    ("red", (230, 25, 75)),
    ("green", (60, 180, 75)),
    ("yellow", (255, 225, 25)),
    ("blue", (0, 130, 200)),
    ("orange", (245, 130, 48)),
    ("purple", (145, 30, 180)),
    ("cyan", (70, 240, 240)),
)
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
