"""Picture the segmenter at work: for a few test scenes, the input, the ground truth, and every step's segment
with the window it attended to and its score (steps after the stop score are greyed out).

    python tools/recattend/viz.py --weights=recattend.fmnist_scenes      # or --run=runs/recattend/full
"""
import json
import pathlib

from absl import app, flags

from zoo import benchmark, registry
from zoo.recattend import plots, training

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", "", "registered weight name")
flags.DEFINE_string("run", "runs/recattend/full", "a tools/recattend/train.py run (when --weights is empty)")
flags.DEFINE_integer("scenes", 4, "test scenes to show")
flags.DEFINE_integer("seed", 1, "test scene seed (tools/recattend/train.py tests on seed + 1 = 1)")
flags.DEFINE_string("output", "docs/images/recattend_steps.png", "PNG to write")


def main(argv):
    del argv
    if FLAGS.weights:
        model = registry.load(FLAGS.weights)
    else:
        run = pathlib.Path(FLAGS.run)
        model = registry.build("recattend", **json.loads((run / "summary.json").read_text())["builder_kwargs"])
        model.load_weights(run / "recattend.weights.h5")
    arrays = training.scene_arrays(FLAGS.scenes, "test", FLAGS.seed)
    benchmark.save_figure(plots.steps_figure(arrays, model(arrays["images"])), FLAGS.output, dpi=110)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
