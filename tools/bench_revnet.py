"""Peak memory and step time of a training step, RevNet vs ResNet and vs plain autodiff over growing depth;
writes a section of docs/BENCHMARKS.md and docs/images/revnet_memory.png.

    python tools/bench_revnet.py                 # full set: ResNet-32/110/164 vs RevNet-38/110/164, 9..72 units
    python tools/bench_revnet.py --quick --output= --plot=   # a reduced set in a few minutes, printed only
"""
import os
import shlex
import sys

from absl import app, flags

from zoo import benchmark
from zoo.revnet import benchmark as revnet_benchmark

PAIRS = flags.DEFINE_list("pairs", ["resnet-32:revnet-38", "resnet-110:revnet-110", "resnet-164:revnet-164"],
                          "RESNET:REVNET architecture pairs to compare")
UNITS = flags.DEFINE_list("units_per_stage", ["9", "18", "36", "72"], "depth series: units per stage of revnet-110")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 128, "images per training step")
IMAGE_SIZE = flags.DEFINE_integer("image_size", 32, "input height and width (3 channels)")
REPEATS = flags.DEFINE_integer("repeats", 3, "timed steps after the warm-up step (median reported)")
MODE = flags.DEFINE_enum("mode", "graph", revnet_benchmark.MODES, "tf.function (graph) or eager steps")
QUICK = flags.DEFINE_bool("quick", False, "reduced set: resnet-32 vs revnet-38, 1-2-4 units per stage, batch 32")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update ('' to only print)")
PLOT = flags.DEFINE_string("plot", "docs/images/revnet_memory.png", "memory-vs-depth plot ('' for none)")


def main(argv):
    del argv
    if QUICK.value:
        pairs, units, batch_size = [("resnet-32", "revnet-38")], (1, 2, 4), 32
    else:
        pairs = [tuple(pair.split(":")) for pair in PAIRS.value]
        units, batch_size = tuple(int(n) for n in UNITS.value), BATCH_SIZE.value
    configs = revnet_benchmark.paper_configs(pairs) + revnet_benchmark.depth_series(units)
    results = revnet_benchmark.run(configs, batch_size=batch_size, image_size=IMAGE_SIZE.value,
                                   repeats=REPEATS.value, mode=MODE.value)
    ratios = revnet_benchmark.summary(results, pairs, units)
    body = "\n\n".join([
        f"One SGD-with-momentum training step (loss, weight decay, gradients, update) at batch {batch_size} on "
        f"{IMAGE_SIZE.value}×{IMAGE_SIZE.value}×3 inputs, {MODE.value} mode, each configuration in a fresh process. "
        "Peak memory is `tf.config.experimental.get_memory_info('CPU:0')` peak above the level before the step, after "
        "a warm-up step (exact and repeatable). Step time is the median of "
        f"{REPEATS.value} steps; other jobs shared the machine, so times are noisy, memory is not.",
        revnet_benchmark.paper_table(results, pairs),
        "Depth series (revnet-110 widths, n units in each of 3 stages; plain = the same network with "
        "`reconstruct=False`):",
        revnet_benchmark.series_table(results, units),
        "\n".join(f"- {name}: {ratio:.2f}×" for name, ratio in ratios.items()),
    ])
    print(body)
    if PLOT.value:
        revnet_benchmark.plot_series(results, units, PLOT.value)
        body += f"\n\n![peak memory vs depth]({os.path.relpath(PLOT.value, os.path.dirname(OUTPUT.value) or '.')})"
    if OUTPUT.value:
        benchmark.write_section(OUTPUT.value, "RevNet training-step memory and time", body,
                                shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
