"""Time one Fashion-MNIST training epoch per model: the median time of a compiled training step at the training
batch size, times the steps in an epoch, as a ratio to the first model in the same process; plus the epoch time
measured by the training runs behind the shipped weights. Records result ``epoch_time``.

    python tools/zoo/bench_epoch.py --batch_size=100 --steps=5 --repeats=3
"""
from absl import app, flags

from zoo import benchmark, reporting, weights
from zoo.training import benchmark as training_benchmark

MODELS = flags.DEFINE_list("models", ["resnet-32", "resnet-110", "resnet-164", "revnet-38", "revnet-110", "revnet-164"],
                           "architectures to time (the first is the baseline of the ratios)")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "training batch size")
STEPS = flags.DEFINE_integer("steps", 5, "training steps per timed repeat")
REPEATS = flags.DEFINE_integer("repeats", 3, "timed repeats (the median is reported)")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
TRAIN_EXAMPLES = 60000


def main(argv):
    del argv
    steps_per_epoch = -(-TRAIN_EXAMPLES // BATCH_SIZE.value)
    rows, baseline = [], None
    for name in MODELS.value:
        seconds = training_benchmark.step_seconds(name, BATCH_SIZE.value, STEPS.value, REPEATS.value)
        baseline = baseline or seconds
        rows.append([name, f"{1000 * seconds:.0f}", f"{seconds * steps_per_epoch / 60:.1f}",
                     f"{seconds / baseline:.2f}"])
        print(rows[-1], flush=True)
    table = reporting.Table(
        ["model", "ms / step", f"epoch minutes ({steps_per_epoch} steps)", f"ratio to {MODELS.value[0]}"], rows)
    runs = reporting.Table(["weight", "minutes / epoch", "run"],
                           training_benchmark.measured_epochs(weights.load_manifest()),
                           "Whole epochs measured by the training runs behind the shipped weights (input pipeline, "
                           "augmentation and progress output included; from `training.seconds` in the manifest; "
                           "other jobs shared the machine during parts of these runs):")
    benchmark.record("epoch_time", OUTPUT.value, tables=[table, runs], notes=[
        f"Batch {BATCH_SIZE.value}, SGD with momentum, 32×32×1 inputs, `train_on_batch` on one fixed batch; the epoch "
        f"time is the median step time (median of {REPEATS.value} repeats of {STEPS.value} steps, after a warm-up) × "
        "steps per epoch, without the input pipeline."])


if __name__ == "__main__":
    app.run(main)
