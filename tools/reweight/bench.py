"""Step time of example reweighting (Algorithm 1) relative to plain training for the same model and batch;
records result ``reweight_step_time``.

    python tools/reweight/bench.py                  # reweight-lenet and resnet-32, batch 100 + clean batch 100
    python tools/reweight/bench.py --rounds=3 --output=   # quick, printed only
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.reweight import benchmark as reweight_benchmark

ARCHITECTURES = flags.DEFINE_list("architectures", ["reweight-lenet", "resnet-32"], "registered models to time")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "training batch size (paper: 100)")
CLEAN_BATCH_SIZE = flags.DEFINE_integer("clean_batch_size", 100, "clean batch size (paper: 100)")
ROUNDS = flags.DEFINE_integer("rounds", 10, "timed rounds (median reported)")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    seconds = reweight_benchmark.time_steps(ARCHITECTURES.value, BATCH_SIZE.value, CLEAN_BATCH_SIZE.value,
                                            ROUNDS.value)
    benchmark.record("reweight_step_time", OUTPUT.value, tables=[reweight_benchmark.step_time_table(seconds)],
                     data={"seconds": seconds}, notes=[
        f"One compiled training step (SGD momentum 0.9) on 32×32×1 inputs, batch {BATCH_SIZE.value}; reweighting also "
        f"uses a clean batch of {CLEAN_BATCH_SIZE.value} (forward + backward at θ, the vector–Jacobian product for "
        f"the weights, the weighted update). Median of {ROUNDS.value} interleaved rounds in one process; the ratio is "
        "the figure to read (paper: about 3×; target ≤ 2.5×)."])


if __name__ == "__main__":
    app.run(main)
