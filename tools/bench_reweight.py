"""Step time of example reweighting (Algorithm 1) relative to plain training for the same model and batch;
writes a section of docs/BENCHMARKS.md.

    python tools/bench_reweight.py                  # reweight-lenet and resnet-32, batch 100 + clean batch 100
    python tools/bench_reweight.py --rounds=3 --output=   # quick, printed only
"""
import shlex
import sys

from absl import app, flags

from zoo import benchmark
from zoo.reweight import benchmark as reweight_benchmark

ARCHITECTURES = flags.DEFINE_list("architectures", ["reweight-lenet", "resnet-32"], "registered models to time")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "training batch size (paper: 100)")
CLEAN_BATCH_SIZE = flags.DEFINE_integer("clean_batch_size", 100, "clean batch size (paper: 100)")
ROUNDS = flags.DEFINE_integer("rounds", 10, "timed rounds (median reported)")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update ('' to only print)")


def main(argv):
    del argv
    seconds = reweight_benchmark.time_steps(ARCHITECTURES.value, BATCH_SIZE.value, CLEAN_BATCH_SIZE.value,
                                            ROUNDS.value)
    rows = [(name, f"{1000 * t['plain']:.0f}", f"{1000 * t['reweight']:.0f}", f"{t['reweight'] / t['plain']:.2f}×")
            for name, t in seconds.items()]
    body = (f"One compiled training step (SGD momentum 0.9) on 32×32×1 inputs, batch {BATCH_SIZE.value}; reweighting "
            f"also uses a clean batch of {CLEAN_BATCH_SIZE.value} (forward + backward at θ, the vector–Jacobian "
            f"product for the weights, the weighted update). Median of {ROUNDS.value} interleaved rounds in one "
            f"process; the ratio is the figure to read (paper: about 3×; target ≤ 2.5×).\n\n"
            + benchmark.markdown_table(("Model", "plain ms/step", "reweight ms/step", "reweight / plain"), rows))
    print(body)
    if OUTPUT.value:
        benchmark.write_section(OUTPUT.value, "Learning to reweight: step time vs plain training", body,
                                shlex.join(["python", *sys.argv]))


if __name__ == "__main__":
    app.run(main)
