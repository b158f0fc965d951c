"""Pictures of the procedural data sets: a grid of Fashion-MNIST scenes with their instances and first caption, and
a grid of Glyphs classes and renderings (matplotlib figures; :func:`zoo.benchmark.save_figure` writes them)."""
import textwrap

from zoo import benchmark

DISTINCT_COLOURS = (
    ("red", (230, 25, 75)),
    ("green", (60, 180, 75)),
    ("yellow", (255, 225, 25)),
    ("blue", (0, 130, 200)),
    ("orange", (245, 130, 48)),
    ("purple", (145, 30, 180)),
    ("cyan", (70, 240, 240)),
    ("magenta", (240, 50, 230)),
    ("lime", (210, 245, 60)),
    ("pink", (250, 190, 212)),
)
"""``(name, (r, g, b))`` colours that stay apart on a grey image, most distinct first: the instances of the
segmentation overlays and the classes of the SBNet segmenter take them in this order."""


def scene_grid(scenes, cols=4):
    """A figure showing each :class:`~zoo.data.scenes.Scene`, its instance outlines and boxes (one colour per
    instance, dashed boxes), and its first caption as the title."""
    plt = benchmark.pyplot()
    from matplotlib import patches

    rows = -(-len(scenes) // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 4.0 * rows), squeeze=False)
    colours = plt.get_cmap("tab10").colors
    for ax in axes.flat:
        ax.axis("off")
    for ax, scene in zip(axes.flat, scenes):
        ax.imshow(scene.image, interpolation="nearest")
        for k, (mask, (y0, x0, y1, x1)) in enumerate(zip(scene.masks, scene.boxes)):
            colour = colours[k % len(colours)]
            ax.contour(mask, levels=[0.5], colors=[colour], linewidths=0.8)
            ax.add_patch(patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour,
                                           linewidth=1.0, linestyle="--"))
        ax.set_title("\n".join(textwrap.wrap(scene.captions[0], 42)), fontsize=7.5)
    figure.tight_layout()
    return figure


def glyph_grid(images, labels, renderings):
    """A figure of Glyphs ``images`` ``(classes · renderings, H, W)`` grouped by class (as
    :func:`zoo.data.glyphs.make_glyphs` returns them): one row per class, titled with its label ``labels``."""
    plt = benchmark.pyplot()
    classes = len(images) // renderings
    if classes * renderings != len(images) or classes == 0:
        raise ValueError(f"images must hold a positive multiple of renderings={renderings} images, got {len(images)}")
    figure, axes = plt.subplots(classes, renderings, squeeze=False, figsize=(0.8 * renderings, 0.8 * classes))
    for ax, image in zip(axes.flat, images):
        ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.axis("off")
    for row in range(classes):
        axes[row, 0].set_title(f"class {labels[row * renderings]}", fontsize=7, loc="left")
    figure.tight_layout()
    return figure
