"""Images per second of the input pipeline on CIFAR-sized and ImageNet-sized synthetic tfds data sets, against
tf.data's upper bound for the same decode and augmentation reading the encoded images from memory
(zoo.data.throughput). Records result ``input_pipeline``.

    python tools/zoo/bench_pipeline.py --batches=40 --repeats=3
"""
import os
import tempfile

from absl import app, flags

from zoo import benchmark, reporting
from zoo.data import throughput

SETTINGS = flags.DEFINE_list("settings", list(throughput.SETTINGS), "benchmark data sets (zoo.data.throughput)")
BATCHES = flags.DEFINE_integer("batches", 40, "timed batches per measurement")
REPEATS = flags.DEFINE_integer("repeats", 3, "alternating measurements of each pipeline (the median is reported)")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for name in SETTINGS.value:
            setting = throughput.SETTINGS[name]
            rates = throughput.run(setting, directory, BATCHES.value, REPEATS.value, name=f"zoo_bench_{name}")
            size = "×".join(f"{lo}–{hi}" for lo, hi in setting.image_size) if isinstance(
                setting.image_size[0], tuple) else "×".join(map(str, setting.image_size))
            rows.append([name, f"{setting.num_examples:,} {setting.encoding.upper()} {size}", setting.transform,
                         str(setting.batch_size), f"{rates['files']:.0f}", f"{rates['memory']:.0f}",
                         f"{rates['fraction']:.2f}"])
            print(rows[-1], flush=True)
    table = reporting.Table(["data", "images", "transform", "batch", "pipeline (images/s)",
                             "upper bound from memory (images/s)", "fraction"], rows)
    benchmark.record("input_pipeline", OUTPUT.value, tables=[table], notes=[
        f"The training pipeline (`zoo.data.pipeline.make_dataset`) reading a synthetic tfds data set from its "
        f"files (8 shards, shuffled and interleaved, a 10,000-example shuffle buffer) against tf.data's upper bound "
        f"for the same per-example work: the same pipeline over the same encoded images held in memory. Median of "
        f"{REPEATS.value} alternating measurements of {BATCHES.value} batches after a warm-up, on {os.cpu_count()} "
        f"CPU cores shared with other jobs (`AUTOTUNE` parallelism). The ImageNet-sized pipeline decodes only each "
        f"JPEG's crop window."])


if __name__ == "__main__":
    app.run(main)
