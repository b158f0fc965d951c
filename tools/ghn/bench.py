"""Per-architecture cost of scoring an architecture with GHN weights vs k SGD steps, measured in one process on
the same architectures (the cost column of the paper's Table 4), recorded as result ghn_cost.

Each method's cost is all it spends to score a new architecture: the GHN predicts the weights and runs the
validation pass; SGD traces its training step for the new architecture, takes k steps and runs the same
validation pass on the 2,000 images its ranking is read from.

    python tools/ghn/bench.py --run=ln_mb4 --architectures=5
"""
import pathlib
import statistics
import time

from absl import app, flags

from zoo import benchmark, reporting
from zoo.ghn import models, search, training

FLAGS = flags.FLAGS
flags.DEFINE_string("run", "ghn", "GHN run under --output")
flags.DEFINE_string("output", "runs/ghn", "directory of the runs")
flags.DEFINE_integer("architectures", 5, "evaluation architectures timed")
flags.DEFINE_integer("repeats", 5, "GHN scoring passes timed per architecture (SGD is trained once per architecture)")
flags.DEFINE_string("benchmarks", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")

SGD_STEPS = (10, 100, 200, 1000)
SGD_VALIDATION_EXAMPLES = training.SGDConfig().validation_examples
PER_BATCH = "GHN weights + 2000 validation images, a pass per batch of 250"


def timed(function, *args, **kwargs):
    """``(result, wall seconds)`` of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main(argv):
    del argv
    ghn, _ = models.load_run(pathlib.Path(FLAGS.output) / FLAGS.run)
    data = training.load_splits()
    graphs = [search.evaluation_architecture(i) for i in range(FLAGS.architectures)]
    _, first_prediction_seconds = timed(ghn.predict_parameters, graphs[0])  # traces the 17-node propagation
    search.score_architectures(ghn, graphs[:1], data, with_test=False)  # warms the eager validation pass
    # {method: {"work": [...], "tracing": [...], "validation": [...]}}, seconds per architecture
    costs = {}

    def record(method, work, tracing, validation):
        for part, seconds in (("work", work), ("tracing", tracing), ("validation", validation)):
            costs.setdefault(method, {}).setdefault(part, []).append(seconds)

    # architecture by architecture, SGD then the GHN, so that a machine whose load drifts weighs on both alike.
    # train_network seeds Keras, which clears TensorFlow's kernel caches: the GHN's next prediction optimises its
    # graph again, which a search scoring architecture after architecture never pays; it is timed on its own
    reoptimising_seconds = []
    for i, graph in enumerate(graphs):
        network, result = training.train_network(graph, data, training.SGDConfig(steps=max(SGD_STEPS),
                                                                                 checkpoints=SGD_STEPS))
        images, labels = (a[:SGD_VALIDATION_EXAMPLES] for a in data["validation"])
        _, validation_seconds = timed(training.evaluate, graph, network.parameters, images, labels)
        for k in SGD_STEPS:
            record(f"SGD {k} steps", result["seconds_at"][k], result["tracing_seconds"], validation_seconds)
        reoptimising_seconds.append(timed(ghn.predict_parameters, graph)[1])
        for _ in range(FLAGS.repeats):
            params, predict_seconds = timed(ghn.predict_parameters, graph)
            for size in (2000, 500):
                images, labels = (a[:size] for a in data["validation"])
                _, validation_seconds = timed(training.evaluate, graph, params, images, labels)
                record(f"GHN weights + {size} validation images", predict_seconds, 0.0, validation_seconds)
            # the same 2,000-image scores with a pass per batch instead of one ghost-batch-normalised pass
            images, labels = (a[:2000] for a in data["validation"])
            _, per_batch_seconds = timed(training.evaluate, graph, params, images, labels, pass_size=250)
            record(PER_BATCH, predict_seconds, 0.0, per_batch_seconds)
        print(f"architecture {i + 1}/{len(graphs)} timed", flush=True)

    medians = {method: {part: statistics.median(v) for part, v in parts.items()} for method, parts in costs.items()}
    totals = {method: sum(parts.values()) for method, parts in medians.items()}
    sgd_1000 = totals[f"SGD {max(SGD_STEPS)} steps"]
    order = [f"SGD {k} steps" for k in SGD_STEPS] + [m for m in costs if m.startswith("GHN")]
    rows = [(method, f"{medians[method]['work']:.3f}", f"{medians[method]['tracing']:.3f}",
             f"{medians[method]['validation']:.3f}", f"{totals[method]:.3f}", f"{sgd_1000 / totals[method]:.0f}×")
            for method in order]
    note = (f"Median wall seconds per architecture over {len(graphs)} unseen 17-node evaluation architectures "
            f"({FLAGS.repeats} GHN passes each), every method timed on the same architectures in one process with "
            "nothing else running. A method's cost is all it spends to score a new architecture. The GHN "
            f"(`{FLAGS.run}`) predicts all weights (its propagation is traced once per network skeleton, not per "
            "architecture) and runs the validation pass with batch statistics, which gives accuracy and loss. SGD "
            "traces its training step for the new graph, takes k compiled steps of batch 64 and runs the same "
            f"validation pass on the {SGD_VALIDATION_EXAMPLES} images its ranking is read from. The total of each "
            "is the sum of the part medians. A validation pass puts up to 2000 images through the network at once, "
            "each batch of 250 normalised by its own statistics (ghost batch normalization); the last row gives the "
            "same scores with a pass per batch of 250. Once per process the GHN traces and optimises its graph for "
            f"the skeleton ({first_prediction_seconds:.1f} s, left out); seeding TensorFlow clears its kernel caches "
            f"and the next prediction optimises the graph again ({statistics.median(reoptimising_seconds):.1f} s "
            "median after each SGD run, left out). The paper (GPU): GHN 0.08 s, SGD 1000 steps 90 s.")
    table = reporting.Table(["method", "steps / prediction", "tracing", "validation pass", "total",
                             f"SGD-{max(SGD_STEPS)} total / total"], [list(row) for row in rows])
    benchmark.record("ghn_cost", FLAGS.benchmarks, [table], notes=[note])


if __name__ == "__main__":
    app.run(main)
