"""Time one Fashion-MNIST training epoch per model: the median time of a compiled training step at the training
batch size, times the steps in an epoch, as a ratio to the first model in the same process; plus the epoch time
measured by the training runs behind the shipped weights. Writes docs/BENCHMARKS.md.

    python tools/bench_epoch.py --batch_size=100 --steps=5 --repeats=3
"""
import shlex
import sys

from absl import app, flags
import keras
import numpy as np

from zoo import benchmark, registry, weights

MODELS = flags.DEFINE_list("models", ["resnet-32", "resnet-110", "resnet-164", "revnet-38", "revnet-110", "revnet-164"],
                           "architectures to time (the first is the baseline of the ratios)")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "training batch size")
STEPS = flags.DEFINE_integer("steps", 5, "training steps per timed repeat")
REPEATS = flags.DEFINE_integer("repeats", 3, "timed repeats (the median is reported)")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update")
TRAIN_EXAMPLES = 60000


def step_seconds(name, batch_size, steps, repeats):
    """Median seconds per compiled training step of ``name`` on 32×32×1 inputs (Fashion-MNIST after padding)."""
    model = registry.build(name, input_shape=(32, 32, 1))
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, 32, 32, 1)).astype("float32")
    y = rng.integers(0, 10, batch_size)

    def run():
        for _ in range(steps):
            model.train_on_batch(x, y)

    return benchmark.median_seconds(run, repeats=repeats, warmup=1) / steps


def measured_runs():
    """Rows (weight, minutes per epoch, machine) from the training records of the shipped weights."""
    rows = []
    for name, spec in sorted(weights.load_manifest().items()):
        training = spec.training
        if training.get("seconds") and training.get("epochs"):
            rows.append((f"`{name}`", f"{training['seconds'] / training['epochs'] / 60:.1f}",
                         f"{training['epochs']} epochs of {training['steps'] // training['epochs']} steps, batch "
                         f"{training['batch_size']}, {training.get('machine', '?')}"))
    return rows


def main(argv):
    del argv
    steps_per_epoch = -(-TRAIN_EXAMPLES // BATCH_SIZE.value)
    rows, baseline = [], None
    for name in MODELS.value:
        seconds = step_seconds(name, BATCH_SIZE.value, STEPS.value, REPEATS.value)
        baseline = baseline or seconds
        rows.append((name, f"{1000 * seconds:.0f}", f"{seconds * steps_per_epoch / 60:.1f}", f"{seconds / baseline:.2f}"))
        print(rows[-1], flush=True)
    table = benchmark.markdown_table(
        ("model", "ms / step", f"epoch minutes ({steps_per_epoch} steps)", f"ratio to {MODELS.value[0]}"), rows)
    runs = benchmark.markdown_table(("weight", "minutes / epoch", "run"), measured_runs())
    body = (f"Batch {BATCH_SIZE.value}, SGD with momentum, 32×32×1 inputs, `train_on_batch` on one fixed batch; the "
            f"epoch time is the median step time (median of {REPEATS.value} repeats of {STEPS.value} steps, after a "
            "warm-up) × steps per epoch, without the input pipeline.\n\n" + table
            + "\n\nWhole epochs measured by the training runs behind the shipped weights (input pipeline, "
            "augmentation and progress output included; from `training.seconds` in the manifest; other jobs shared the machine during parts of these runs):\n\n" + runs)
    benchmark.write_section(OUTPUT.value, "Training epoch time (Fashion-MNIST)", body, shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
