"""SBNet pictures: the scene segmenter's predictions (a class map drawn over the user's image, with the outline of
the sparse model's computation mask; numpy in, uint8 RGB / PNG out), and the speed benchmark's figure drawn from
its recorded numbers (``tools/sbnet/bench.py``, result ``sbnet_speed``)."""
import pathlib

import numpy as np

from zoo import benchmark
from zoo.data.plots import DISTINCT_COLOURS

CLASS_COLOURS = (("none", (0, 0, 0)),) + DISTINCT_COLOURS
"""``(name, (r, g, b))`` of each class of :data:`zoo.sbnet.segmenter.NUM_CLASSES`: class 0 (background) is not
tinted; class ``c + 1`` (Fashion-MNIST class ``c``) gets colour ``c + 1``."""

MASK_OUTLINE = (255, 255, 255)
"""Colour of the computation mask's outline."""


def class_overlay(image, classes, mask=None, alpha=0.6):
    """``image`` in grey with each pixel of class ``k > 0`` tinted in ``CLASS_COLOURS[k]``, and the outline of
    ``mask`` (if given) in :data:`MASK_OUTLINE`.

    Args:
        image: uint8 ``(H, W, 3)`` (or ``(H, W)`` grey).
        classes: integer class map ``(H, W)`` with values below ``len(CLASS_COLOURS)``.
        mask: optional ``(H, W)`` computation mask (nonzero inside).
        alpha: opacity of the class colours.

    Returns:
        uint8 ``(H, W, 3)``.
    """
    image = np.asarray(image)
    classes = np.asarray(classes)
    if image.ndim == 3:
        image = image.mean(axis=-1)
    if image.shape != classes.shape:
        raise ValueError(f"image (H, W[, 3]) and classes (H, W) must have the same size, got {image.shape} and "
                         f"{classes.shape}")
    if classes.min(initial=0) < 0 or classes.max(initial=0) >= len(CLASS_COLOURS):
        raise ValueError(f"classes must be in [0, {len(CLASS_COLOURS)}), got values {classes.min()} … {classes.max()}")
    grey = np.repeat(image[..., None].astype(np.float64), 3, axis=-1)
    palette = np.array([rgb for _, rgb in CLASS_COLOURS], np.float64)
    tinted = np.where((classes > 0)[..., None], (1 - alpha) * grey + alpha * palette[classes], grey)
    if mask is not None:
        tinted[outline(mask)] = MASK_OUTLINE
    return np.clip(np.round(tinted), 0, 255).astype(np.uint8)


def outline(mask):
    """Boolean ``(H, W)``: the pixels of ``mask`` with a 4-neighbour outside it (or on the image border)."""
    inside = np.pad(np.asarray(mask) > 0, 1)
    interior = inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]
    return inside[1:-1, 1:-1] & ~interior


def save_overlay(path, image, classes, mask=None):
    """Write :func:`class_overlay` as a PNG at ``path``; returns the path."""
    import matplotlib.image

    path = pathlib.Path(path)
    matplotlib.image.imsave(path, class_overlay(image, classes, mask), format="png")
    return path


SPEED_PANELS = (("conv", "one 3×3 convolution"), ("res", "stack of bottleneck residual units"))


def speedup_vs_density(data, path):
    """Speed-up over dense against mask density (linear axes), one panel per kind of computation and one curve per
    stage, each stage named in the legend with its input size, channels and block size, beside the break-even line
    and the ideal ``1 / density``.

    Args:
        data: the ``data`` of the recorded result ``sbnet_speed`` (:func:`zoo.sbnet.benchmark.speed_benchmark`).
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    densities = 100 * np.asarray(data["densities"])
    top = 1.15 * max(max(data[kind][stage["name"]]["speedup"]) for kind, _ in SPEED_PANELS for stage in data["stages"])
    ideal = np.linspace(100 / top, 100, 200)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for axis, (kind, title) in zip(axes, SPEED_PANELS):
        for stage in data["stages"]:
            channels = (f"{stage['conv_channels']} ch" if kind == "conv" else
                        f"{stage['res_channels']} ch × {stage['units']} units")
            block = f", b{stage['block_size']}" if "block_size" in stage else ""
            axis.plot(densities, data[kind][stage["name"]]["speedup"], "o-",
                      label=f"{stage['name']}: {'×'.join(map(str, stage['size']))}, {channels}{block}")
        axis.plot(ideal, 100 / ideal, ":", color="black", lw=0.9, label="ideal: 1 / density")
        axis.axhline(1.0, color="gray", lw=0.9, label="break-even with dense")
        axis.set(xlim=(0, 100), ylim=(0, top), xlabel="mask density (% of the image computed)", title=title)
        axis.grid(alpha=0.3)
        axis.legend(title="paper's ResNet stage: input, channels", fontsize=7.5, title_fontsize=7.5)
    axes[0].set_ylabel("speed-up over dense (reduce_mask included)")
    figure.suptitle("SBNet sparse blocks vs dense convolution, batch 1 on CPU")
    figure.tight_layout()
    benchmark.save_figure(figure, path, dpi=110)
    return figure
