"""Per-architecture cost of scoring an architecture with GHN weights vs k SGD steps, measured in one process on
the same architectures (the cost column of the paper's Table 4), written to docs/BENCHMARKS.md.

    python tools/bench_ghn.py --run=ghn --architectures=5
"""
import pathlib
import statistics
import sys

from absl import app, flags

from zoo import benchmark
from zoo.ghn import models, search, training

FLAGS = flags.FLAGS
flags.DEFINE_string("run", "ghn", "GHN run under --output")
flags.DEFINE_string("output", "runs/ghn", "directory of the runs")
flags.DEFINE_integer("architectures", 5, "evaluation architectures timed")
flags.DEFINE_string("benchmarks", "docs/BENCHMARKS.md", "markdown file to update")


def main(argv):
    del argv
    ghn, _ = models.load_run(pathlib.Path(FLAGS.output) / FLAGS.run)
    data = training.load_splits()
    graphs = [search.evaluation_architecture(i) for i in range(FLAGS.architectures)]
    search.score_architectures(ghn, graphs[:1], data, with_test=False)  # traces the 17-node propagation once
    ghn_seconds = {size: [] for size in (2000, 500)}
    sgd_seconds = {}
    # GHN scoring first, then SGD: interleaved with SGD training, the first eager pass after each run was ~10×
    # slower (kernel caches rebuilt), which a search scoring architecture after architecture never pays
    for graph in graphs:
        for size in ghn_seconds:
            scores = search.score_architectures(ghn, [graph], data, validation_examples=size, with_test=False)
            ghn_seconds[size].append(scores["seconds"][0])
    for i, graph in enumerate(graphs):
        _, result = training.train_network(graph, data, training.SGDConfig(steps=1000, checkpoints=(10, 100, 200,
                                                                                                      1000)))
        for k, seconds in result["seconds_at"].items():
            sgd_seconds.setdefault(k, []).append(seconds)
        print(f"architecture {i + 1}/{len(graphs)} timed", flush=True)
    sgd_1000 = statistics.median(sgd_seconds[1000])
    rows = [(f"SGD {k} steps", f"{statistics.median(v):.3f}", f"{sgd_1000 / statistics.median(v):.0f}×")
            for k, v in sorted(sgd_seconds.items())]
    rows += [(f"GHN weights + {size} validation images", f"{statistics.median(v):.3f}",
              f"{sgd_1000 / statistics.median(v):.0f}×") for size, v in ghn_seconds.items()]
    body = (f"Median wall seconds per architecture over {len(graphs)} unseen 17-node evaluation architectures, "
            f"every method timed on the same architectures in one process with nothing else running (GHN "
            f"`{FLAGS.run}`: predicting all weights + the validation pass with batch statistics, which gives accuracy "
            "and loss; SGD: k compiled "
            "steps of batch 64, tracing excluded). The paper (GPU): GHN 0.08 s, SGD 1000 steps 90 s.\n\n"
            + benchmark.markdown_table(("method", "seconds per architecture", "SGD-1000 cost / cost"), rows))
    benchmark.write_section(FLAGS.benchmarks, "GHN: per-architecture cost of ranking (Table 4)", body,
                            " ".join(["python"] + sys.argv))
    print(body)


if __name__ == "__main__":
    app.run(main)
