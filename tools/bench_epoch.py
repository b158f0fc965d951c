"""Time one Fashion-MNIST training epoch per registered ResNet: median step time of `model.fit` steps at the
training batch size, times the steps in an epoch; writes docs/BENCHMARKS.md.

    python tools/bench_epoch.py --batch_size=100 --steps=5 --repeats=3
"""
import shlex
import sys

from absl import app, flags
import keras
import numpy as np

from zoo import benchmark, registry

MODELS = flags.DEFINE_list("models", ["resnet-32", "resnet-110", "resnet-164"], "architectures to time")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "training batch size")
STEPS = flags.DEFINE_integer("steps", 5, "optimiser steps per timed repeat")
REPEATS = flags.DEFINE_integer("repeats", 3, "timed repeats (the median is reported)")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update")
TRAIN_EXAMPLES = 60000


def step_seconds(name, batch_size, steps, repeats):
    """Median seconds per training step of ``name`` on 32×32×1 inputs (Fashion-MNIST after padding)."""
    model = registry.build(name, input_shape=(32, 32, 1))
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size * steps, 32, 32, 1)).astype("float32")
    y = rng.integers(0, 10, batch_size * steps)
    run = lambda: model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)  # noqa: E731
    return benchmark.median_seconds(run, repeats=repeats, warmup=1) / steps


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
    body = (f"Batch {BATCH_SIZE.value}, SGD with momentum, 32×32×1 inputs; the epoch time is the median step time "
            f"(median of {REPEATS.value} repeats of {STEPS.value} steps, after one warm-up) × steps per epoch, "
            "excluding the input pipeline.\n\n" + table)
    benchmark.write_section(OUTPUT.value, "Training epoch time (Fashion-MNIST)", body, shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
