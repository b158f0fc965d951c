"""Train random unseen architectures of the GHN search space with SGD: the ground truth of the paper's Table 4.

    python tools/ghn/ground_truth.py --lane=0 --lanes=2 &  python tools/ghn/ground_truth.py --lane=1 --lanes=2

Architecture i is ``zoo.ghn.search.evaluation_architecture(i)`` (17-node cells, its own seed stream, so never one
the GHN trained on); ``--num_nodes=7`` trains cells of the GHN's training size instead, ``--cells_per_stage=2`` the
same cells in a deeper skeleton, ``--channels=32`` in a wider one, ``--seed=1`` from other initial weights and
minibatches. Each result is written to OUTPUT/arch_{i:03d}.json as soon as it is done; a rerun skips finished ones,
so the run resumes where it stopped. The default OUTPUT is tracked in git (``search.GROUND_TRUTH``);
``tools/ghn/levers.py`` and ``tools/ghn/search.py`` read it.
"""
import json
import pathlib
import sys
import time

from absl import app, flags

from zoo.ghn import graph as ghn_graph
from zoo.ghn import search, training

FLAGS = flags.FLAGS
flags.DEFINE_integer("architectures", 100, "random architectures to train (the paper: Random-100)")
flags.DEFINE_integer("lane", 0, "this process trains architectures i with i % lanes == lane")
flags.DEFINE_integer("lanes", 1, "parallel processes")
flags.DEFINE_integer("steps", 1500, "SGD steps per architecture (the ground truth)")
flags.DEFINE_integer("num_nodes", 17, "nodes per cell (the paper evaluates 17; the GHN trains on 7)")
flags.DEFINE_integer("cells_per_stage", 1, "cells in each of the skeleton's 3 stages (the same cell at any depth)")
flags.DEFINE_integer("channels", search.NETWORK["channels"], "channels of the skeleton's first stage (the paper: 32)")
flags.DEFINE_integer("seed", 0, "seed of the initial weights and the minibatch order (a second seed measures the "
                     "ground truth's own noise)")
flags.DEFINE_enum("cell_output_norm", "none", list(ghn_graph.CELL_OUTPUT_NORMS), "how each cell's output "
                  "combines its leaves: their sum (the paper), or the sum then batch norm (independent of the leaf "
                  "count)")
flags.DEFINE_string("output", search.GROUND_TRUTH, "directory of the per-architecture results")


def main(argv):
    del argv
    output = pathlib.Path(FLAGS.output)
    output.mkdir(parents=True, exist_ok=True)
    data = training.load_splits()
    config = training.SGDConfig(steps=FLAGS.steps, seed=FLAGS.seed)
    for i in range(FLAGS.lane, FLAGS.architectures, FLAGS.lanes):
        path = output / f"arch_{i:03d}.json"
        if path.exists():
            continue
        graph = search.evaluation_architecture(i, num_nodes=FLAGS.num_nodes, cells_per_stage=FLAGS.cells_per_stage,
                                               channels=FLAGS.channels, cell_output_norm=FLAGS.cell_output_norm)
        start = time.time()
        _, result = training.train_network(
            graph, data, config, progress=lambda step, loss, i=i: print(
                f"\r  arch {i}: step {step}/{config.steps} loss {loss:.3f}", end="", flush=True))
        record = {"index": i, "graph": graph.to_dict(), "config": vars(config), **result,
                  "wall_seconds": time.time() - start, "command": " ".join(["python"] + sys.argv)}
        path.write_text(json.dumps(record, indent=1))
        print(f"\rarch {i}: test {result['test_accuracy']:.4f} validation@k "
              f"{result['validation_accuracy_at']} ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    app.run(main)
