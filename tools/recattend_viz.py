"""Picture the segmenter at work: for a few test scenes, the input, the ground truth, and every step's segment
with the box it attended to and its score (steps after the stop score are greyed out).

    python tools/recattend_viz.py --weights=recattend.fmnist_scenes      # or --run=runs/recattend/full
"""
import json
import pathlib

import numpy as np
from absl import app, flags

from zoo import benchmark, registry
from zoo.recattend import training
from zoo.recattend.model import attention_box

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", "", "registered weight name")
flags.DEFINE_string("run", "runs/recattend/full", "a tools/recattend_train.py run (when --weights is empty)")
flags.DEFINE_integer("scenes", 4, "test scenes to show")
flags.DEFINE_integer("seed", 1, "test scene seed (tools/recattend_train.py tests on seed + 1 = 1)")
flags.DEFINE_string("output", "docs/images/recattend_steps.png", "PNG to write")


def instance_colours(count):
    return (np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                      [145, 30, 180], [70, 240, 240]]) / 255.0)[np.arange(count) % 7]


def main(argv):
    del argv
    if FLAGS.weights:
        model = registry.load(FLAGS.weights)
    else:
        run = pathlib.Path(FLAGS.run)
        model = registry.build("recattend", **json.loads((run / "summary.json").read_text())["builder_kwargs"])
        model.load_weights(run / "recattend.weights.h5")
    arrays = training.scene_arrays(FLAGS.scenes, "test", FLAGS.seed)
    outputs = model(arrays["images"])
    steps = model.max_steps
    plt = benchmark.pyplot()
    fig, axes = plt.subplots(FLAGS.scenes, steps + 2, figsize=(1.7 * (steps + 2), 1.8 * FLAGS.scenes))
    for row in range(FLAGS.scenes):
        image = arrays["images"][row] / 255.0
        truth = np.zeros_like(image)
        for k, colour in enumerate(instance_colours(arrays["num_objects"][row])):
            truth[arrays["masks"][row, k]] = colour
        axes[row, 0].imshow(image)
        axes[row, 1].imshow(truth)
        scores = outputs["scores"][row].numpy()
        below = np.flatnonzero(scores < 0.5)
        stop = int(below[0]) if len(below) else steps
        for t in range(steps):
            ax = axes[row, t + 2]
            mask = outputs["masks"][row, t].numpy()
            ax.imshow(0.35 * image + 0.65 * mask[..., None] * instance_colours(t + 1)[t], alpha=1 if t < stop else 0.35)
            y0, x0, y1, x1 = attention_box(outputs["attention"][row, t][None]).numpy()[0]
            ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color="white", lw=0.8))
            ax.set_title(f"t={t + 1} s={scores[t]:.2f}", fontsize=7, color="black" if t < stop else "grey")
    axes[0, 0].set_title("input", fontsize=7)
    axes[0, 1].set_title("ground truth", fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    pathlib.Path(FLAGS.output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FLAGS.output, dpi=110)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
