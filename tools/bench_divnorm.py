"""Forward+backward time of DN relative to layer norm, and its dependence on the window size; writes a section
of docs/BENCHMARKS.md.

    python tools/bench_divnorm.py                       # batch 128 of 32x32x64, windows 3..15 (about a minute)
    python tools/bench_divnorm.py --batch_size=16 --output=   # quick, printed only
"""
import shlex
import sys

from absl import app, flags

from zoo import benchmark
from zoo.divnorm import benchmark as divnorm_benchmark

BATCH_SIZE = flags.DEFINE_integer("batch_size", 128, "batch size")
WINDOWS = flags.DEFINE_list("windows", ["3", "5", "7", "9", "11", "15"], "DN window sizes")
ROUNDS = flags.DEFINE_integer("rounds", 15, "timed rounds (median reported)")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update ('' to only print)")
BASELINE = "keras LayerNormalization (H, W, C)"


def main(argv):
    del argv
    shape = (BATCH_SIZE.value, 32, 32, 64)
    seconds = divnorm_benchmark.time_normalizers(shape, tuple(int(w) for w in WINDOWS.value), ROUNDS.value)
    rows = [(label, f"{1000 * s:.1f}", f"{s / seconds[BASELINE]:.2f}×") for label, s in seconds.items()]
    body = (f"One compiled forward+backward step (output and gradients w.r.t. input, γ, β) on a float32 batch of "
            f"shape {shape}, median of {ROUNDS.value} interleaved rounds, as a ratio to Keras' "
            f"`LayerNormalization(axis=(1, 2, 3))` (the paper's LN: all units of an example) in the same process. "
            f"DN's box filters are cumulative sums, so its cost should not grow with the window. Absolute times "
            f"are for orientation only (shared machine).\n\n"
            + benchmark.markdown_table(("Layer", "ms / step", "vs LayerNormalization"), rows))
    print(body)
    if OUTPUT.value:
        benchmark.write_section(OUTPUT.value, "Divisive normalization: cost vs layer norm and window size", body,
                                shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
