"""Plot a grid of Fashion-MNIST scenes with instance outlines, boxes and their first caption.

    python tools/zoo/plot_scenes.py --num=8 --split=train --seed=0 --output=docs/images/scenes.png
"""
from absl import app, flags

from zoo import benchmark
from zoo.data import plots, scenes

FLAGS = flags.FLAGS
flags.DEFINE_integer("num", 8, "number of scenes")
flags.DEFINE_integer("cols", 4, "scenes per row")
flags.DEFINE_enum("split", "train", ["train", "test"], "Fashion-MNIST split the articles come from")
flags.DEFINE_integer("seed", 0, "scene seed")
flags.DEFINE_string("output", "docs/images/scenes.png", "output PNG")


def main(_):
    made = scenes.make_scenes(FLAGS.num, split=FLAGS.split, seed=FLAGS.seed)
    benchmark.save_figure(plots.scene_grid(made, FLAGS.cols), FLAGS.output, dpi=100)
    print(f"wrote {len(made)} scenes to {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
