"""Peak memory and step time of a training step, RevNet vs ResNet and vs plain autodiff over growing depth;
records result ``revnet_memory`` and draws docs/images/revnet_memory.png.

    python tools/revnet/bench.py                 # full set: ResNet-32/110/164 vs RevNet-38/110/164, 9..72 units
    python tools/revnet/bench.py --quick --output= --plot=   # a reduced set in a few minutes, printed only
    python tools/revnet/bench.py --replot        # redraw the figure from the recorded numbers
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.revnet import benchmark as revnet_benchmark
from zoo.revnet import plots

PAIRS = flags.DEFINE_list("pairs", ["resnet-32:revnet-38", "resnet-110:revnet-110", "resnet-164:revnet-164"],
                          "RESNET:REVNET architecture pairs to compare")
UNITS = flags.DEFINE_list("units_per_stage", ["9", "18", "36", "72"], "depth series: units per stage of revnet-110")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 128, "images per training step")
IMAGE_SIZE = flags.DEFINE_integer("image_size", 32, "input height and width (3 channels)")
REPEATS = flags.DEFINE_integer("repeats", 3, "timed steps after the warm-up step (median reported)")
MODE = flags.DEFINE_enum("mode", "graph", revnet_benchmark.MODES, "tf.function (graph) or eager steps")
QUICK = flags.DEFINE_bool("quick", False, "reduced set: resnet-32 vs revnet-38, 1-2-4 units per stage, batch 32")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
PLOT = flags.DEFINE_string("plot", "docs/images/revnet_memory.png", "memory-vs-depth plot ('' for none)")
REPLOT = flags.DEFINE_bool("replot", False, "only redraw --plot from the recorded result in --output")


def main(argv):
    del argv
    if REPLOT.value:
        plots.memory_vs_depth(reporting.read_result("revnet_memory", OUTPUT.value)["data"], PLOT.value)
        return
    if QUICK.value:
        pairs, units, batch_size = [("resnet-32", "revnet-38")], (1, 2, 4), 32
    else:
        pairs = [tuple(pair.split(":")) for pair in PAIRS.value]
        units, batch_size = tuple(int(n) for n in UNITS.value), BATCH_SIZE.value
    configs = revnet_benchmark.paper_configs(pairs) + revnet_benchmark.depth_series(units)
    results = revnet_benchmark.run(configs, batch_size=batch_size, image_size=IMAGE_SIZE.value,
                                   repeats=REPEATS.value, mode=MODE.value)
    series = revnet_benchmark.memory_series(results, units)
    if PLOT.value:
        plots.memory_vs_depth(series, PLOT.value)
    tables = [revnet_benchmark.paper_table(results, pairs), revnet_benchmark.series_table(results, units),
              revnet_benchmark.summary_table(results, pairs, units)]
    benchmark.record("revnet_memory", OUTPUT.value, tables=tables, figures=[PLOT.value] if PLOT.value else [],
                     data={**series, "measurements": results}, notes=[
        f"One SGD-with-momentum training step (loss, weight decay, gradients, update) at batch {batch_size} on "
        f"{IMAGE_SIZE.value}×{IMAGE_SIZE.value}×3 inputs, {MODE.value} mode, each configuration in a fresh process. "
        "Peak memory is `tf.config.experimental.get_memory_info('CPU:0')` peak above the level before the step, after "
        "a warm-up step (exact and repeatable). Step time is the median of "
        f"{REPEATS.value} steps; other jobs shared the machine, so times are noisy, memory is not."])


if __name__ == "__main__":
    app.run(main)
