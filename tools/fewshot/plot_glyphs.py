"""Plot Glyphs classes (rows) and several renderings of each (columns).

    python tools/fewshot/plot_glyphs.py --classes=8 --renderings=12 --split=train --output=docs/images/glyphs.png
"""
from absl import app, flags

from zoo import benchmark
from zoo.data import glyphs, plots

FLAGS = flags.FLAGS
flags.DEFINE_integer("classes", 8, "classes (rows)")
flags.DEFINE_integer("renderings", 12, "renderings per class (columns)")
flags.DEFINE_enum("split", "train", sorted(glyphs.SPLITS), "class split")
flags.DEFINE_integer("seed", 0, "glyph seed")
flags.DEFINE_string("output", "docs/images/glyphs.png", "output PNG")


def main(argv):
    del argv
    images, labels = glyphs.make_glyphs(FLAGS.split, FLAGS.classes, FLAGS.renderings, FLAGS.seed)
    benchmark.save_figure(plots.glyph_grid(images, labels, FLAGS.renderings), FLAGS.output, dpi=100)


if __name__ == "__main__":
    app.run(main)
