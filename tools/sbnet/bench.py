"""Sparse-block speed-ups against dense convolution at the SBNet paper's stage sizes, with the time of each op;
records result ``sbnet_speed`` and draws docs/images/sbnet_speedup.png.

    python tools/sbnet/bench.py            # 4 stages × densities 5–100%, conv and residual units, with the block
                                           # sweep and the dense-fallback crossover behind the defaults (~40 min)
    python tools/sbnet/bench.py --quick --output= --plot=   # conv-2 at 10% and 100% only, printed
    python tools/sbnet/bench.py --quick --stages=conv-2,conv-3 --output= --plot=   # the same at two stages
    python tools/sbnet/bench.py --replot   # redraw the figure from the recorded numbers

Batch 1, inference, float32, synthetic top-left mask as in the official benchmark; reduce_mask is timed (the
paper excluded it); every sparse/dense pair is timed in interleaved rounds in one process (median), and each
round also traces one sparse call with TensorFlow's profiler to split the sparse time into its ops. Block sizes
are the layers' own choice (zoo.sbnet.geometry.default_block_size).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # the profiler's per-session INFO lines

from absl import app, flags

from zoo import benchmark, reporting
from zoo.sbnet import benchmark as sbnet_benchmark
from zoo.sbnet import plots, results

DENSITIES = flags.DEFINE_list("densities", ["0.05", "0.1", "0.25", "0.5", "1.0"], "mask densities")
REPEATS = flags.DEFINE_integer("repeats", 7, "interleaved timing rounds (median reported)")
SWEEP = flags.DEFINE_list("sweep_densities", ["0.1", "1.0"], "densities of the block-size sweep ('' for none)")
CROSSOVER = flags.DEFINE_bool("crossover", True, "time the always-sparse path against the dense fallback near "
                              "full density")
QUICK = flags.DEFINE_bool("quick", False, "densities 10% and 100%, 3 rounds, no sweep or crossover, and conv-2 only "
                          "unless --stages names others")
STAGES = flags.DEFINE_list("stages", [], "the paper's stages to time, by name (e.g. conv-2,conv-3; default: all, or "
                           "conv-2 with --quick)")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
PLOT = flags.DEFINE_string("plot", "docs/images/sbnet_speedup.png", "speed-up vs density plot ('' for none)")
REPLOT = flags.DEFINE_bool("replot", False, "only redraw --plot from the recorded result in --output")


def main(argv):
    del argv
    if REPLOT.value:
        plots.speedup_vs_density(reporting.read_result("sbnet_speed", OUTPUT.value)["data"], PLOT.value)
        return
    quick = QUICK.value
    stages = [stage for stage in sbnet_benchmark.PAPER_STAGES if stage.name in STAGES.value] if STAGES.value \
        else sbnet_benchmark.PAPER_STAGES[:1] if quick else sbnet_benchmark.PAPER_STAGES
    if STAGES.value and len(stages) != len(STAGES.value):
        raise app.UsageError(f"--stages must name stages of {[stage.name for stage in sbnet_benchmark.PAPER_STAGES]}")
    densities = [0.1, 1.0] if quick else [float(d) for d in DENSITIES.value]
    repeats = 3 if quick else REPEATS.value
    sweep = [] if quick else [float(d) for d in SWEEP.value if d]
    data = sbnet_benchmark.speed_benchmark(stages, densities, repeats, sweep_densities=sweep,
                                           crossover=CROSSOVER.value and not quick,
                                           log=lambda line: print(line, flush=True))
    figures = [PLOT.value] if PLOT.value and not quick else []
    for figure in figures:
        plots.speedup_vs_density(data, figure)
    benchmark.record("sbnet_speed", OUTPUT.value, figures=figures, data=data,
                     notes=results.speed_notes(repeats, data["fallback"], data["load_average"]),
                     tables=results.speed_tables(data))


if __name__ == "__main__":
    app.run(main)
