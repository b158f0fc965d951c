"""Plot Glyphs classes (rows) and several renderings of each (columns).

    python tools/plot_glyphs.py --classes=8 --renderings=12 --split=train --output=docs/images/glyphs.png
"""
import pathlib

from absl import app, flags

from zoo import benchmark
from zoo.data import glyphs

FLAGS = flags.FLAGS
flags.DEFINE_integer("classes", 8, "classes (rows)")
flags.DEFINE_integer("renderings", 12, "renderings per class (columns)")
flags.DEFINE_enum("split", "train", sorted(glyphs.SPLITS), "class split")
flags.DEFINE_integer("seed", 0, "glyph seed")
flags.DEFINE_string("output", "docs/images/glyphs.png", "output PNG")


def main(argv):
    del argv
    images, labels = glyphs.make_glyphs(FLAGS.split, FLAGS.classes, FLAGS.renderings, FLAGS.seed)
    plt = benchmark.pyplot()
    figure, axes = plt.subplots(FLAGS.classes, FLAGS.renderings, squeeze=False,
                                figsize=(0.8 * FLAGS.renderings, 0.8 * FLAGS.classes))
    for ax, image in zip(axes.flat, images):
        ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.axis("off")
    for row in range(FLAGS.classes):
        axes[row, 0].set_title(f"class {labels[row * FLAGS.renderings]}", fontsize=7, loc="left")
    figure.tight_layout()
    pathlib.Path(FLAGS.output).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(FLAGS.output, dpi=100)


if __name__ == "__main__":
    app.run(main)
