"""Forward+backward time of DN relative to layer norm, and its dependence on the window size; records result
``divnorm_cost``.

    python tools/divnorm/bench.py                       # batch 128 of 32x32x64, windows 3..15 (about a minute)
    python tools/divnorm/bench.py --batch_size=16 --output=   # quick, printed only
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.divnorm import benchmark as divnorm_benchmark

BATCH_SIZE = flags.DEFINE_integer("batch_size", 128, "batch size")
WINDOWS = flags.DEFINE_list("windows", ["3", "5", "7", "9", "11", "15"], "DN window sizes")
ROUNDS = flags.DEFINE_integer("rounds", 15, "timed rounds (median reported)")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    shape = (BATCH_SIZE.value, 32, 32, 64)
    seconds = divnorm_benchmark.time_normalizers(shape, tuple(int(w) for w in WINDOWS.value), ROUNDS.value)
    benchmark.record("divnorm_cost", OUTPUT.value, tables=[divnorm_benchmark.cost_table(seconds)],
                     data={"seconds": seconds}, notes=[
        f"One compiled forward+backward step (output and gradients w.r.t. input, γ, β) on a float32 batch of shape "
        f"{shape}, median of {ROUNDS.value} interleaved rounds, as a ratio to Keras' "
        "`LayerNormalization(axis=(1, 2, 3))` (the paper's LN: all units of an example) in the same process. DN's box "
        "filters are cumulative sums, so its cost should not grow with the window. Absolute times are for "
        "orientation only (shared machine)."])


if __name__ == "__main__":
    app.run(main)
