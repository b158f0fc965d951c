"""Time `import zoo` and `zoo.load(NAME)` in fresh processes (median of repeats); records result ``load_time``.

    python tools/zoo/bench_load.py --repeats=5
"""
from absl import app, flags

from zoo import benchmark, registry, reporting

REPEATS = flags.DEFINE_integer("repeats", 5, "fresh processes per figure")
OUTPUT = flags.DEFINE_string("output", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    rows = benchmark.load_times(registry.list_models(), set(registry.list_models(pretrained=True)), REPEATS.value)
    table = reporting.Table(["what", f"median of {REPEATS.value} fresh processes (s)"],
                            [[what, f"{seconds:.2f}"] for what, seconds in rows])
    benchmark.record("load_time", OUTPUT.value, tables=[table], notes=[
        "Load times exclude the interpreter start and `import zoo` (which imports TensorFlow and Keras); "
        "pretrained loads include the sha256 check of the weight file."])


if __name__ == "__main__":
    app.run(main)
