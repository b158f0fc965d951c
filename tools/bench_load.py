"""Time `import zoo` and `zoo.load(NAME)` in fresh processes (median of repeats) into docs/BENCHMARKS.md.

    python tools/bench_load.py --repeats=5
"""
import shlex
import sys

from absl import app, flags

from zoo import benchmark, registry

REPEATS = flags.DEFINE_integer("repeats", 5, "fresh processes per figure")
OUTPUT = flags.DEFINE_string("output", "docs/BENCHMARKS.md", "markdown file to update")

_IMPORT = "import time; t = time.perf_counter(); import zoo; print(time.perf_counter() - t)"
_LOAD = ("import time, zoo; t = time.perf_counter(); zoo.load({name!r}, pretrained={pretrained}); "
         "print(time.perf_counter() - t)")


def measure(repeats):
    """Rows of (what, median seconds): import time, then load time of every architecture."""
    rows = [("`import zoo`", benchmark.fresh_process_seconds(_IMPORT, repeats))]
    weights = set(registry.list_models(pretrained=True))
    for name in registry.list_models():
        tags = sorted(w for w in weights if w.startswith(name + "."))
        target, pretrained = (tags[0], True) if tags else (name, False)
        label = f"`zoo.load({target!r})`" + ("" if pretrained else " (random weights: no pretrained file)")
        rows.append((label, benchmark.fresh_process_seconds(_LOAD.format(name=target, pretrained=pretrained), repeats)))
    return rows


def main(argv):
    del argv
    rows = measure(REPEATS.value)
    table = benchmark.markdown_table(("what", f"median of {REPEATS.value} fresh processes (s)"),
                                     [(what, f"{seconds:.2f}") for what, seconds in rows])
    body = ("Load times exclude the interpreter start and `import zoo` (which imports TensorFlow and Keras); "
            "pretrained loads include the sha256 check of the weight file.\n\n" + table)
    benchmark.write_section(OUTPUT.value, "Import and load time", body, shlex.join(["python", *sys.argv]))
    print(table)


if __name__ == "__main__":
    app.run(main)
