"""Plot a grid of Fashion-MNIST scenes with instance outlines, boxes and their first caption.

    python tools/plot_scenes.py --num=8 --split=train --seed=0 --output=docs/images/scenes.png
"""
import pathlib
import textwrap

from absl import app, flags
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patches  # noqa: E402

from zoo.data import scenes as scene_lib  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("num", 8, "number of scenes")
flags.DEFINE_integer("cols", 4, "scenes per row")
flags.DEFINE_enum("split", "train", ["train", "test"], "Fashion-MNIST split the articles come from")
flags.DEFINE_integer("seed", 0, "scene seed")
flags.DEFINE_string("output", "docs/images/scenes.png", "output PNG")


def plot_scenes(scenes, cols=4):
    """A matplotlib figure showing each scene, its instance outlines and boxes, and its first caption."""
    rows = -(-len(scenes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 4.0 * rows), squeeze=False)
    outline_colors = plt.get_cmap("tab10").colors
    for ax in axes.flat:
        ax.axis("off")
    for ax, scene in zip(axes.flat, scenes):
        ax.imshow(scene.image, interpolation="nearest")
        for k, (mask, (y0, x0, y1, x1)) in enumerate(zip(scene.masks, scene.boxes)):
            color = outline_colors[k % len(outline_colors)]
            ax.contour(mask, levels=[0.5], colors=[color], linewidths=0.8)
            ax.add_patch(patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                           edgecolor=color, linewidth=1.0, linestyle="--"))
        ax.set_title("\n".join(textwrap.wrap(scene.captions[0], 42)), fontsize=7.5)
    fig.tight_layout()
    return fig


def main(_):
    scenes = scene_lib.make_scenes(FLAGS.num, split=FLAGS.split, seed=FLAGS.seed)
    output = pathlib.Path(FLAGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig = plot_scenes(scenes, FLAGS.cols)
    fig.savefig(output, dpi=100)
    print(f"wrote {len(scenes)} scenes to {output}")


if __name__ == "__main__":
    app.run(main)
