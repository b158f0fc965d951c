"""The results table of the recurrent attention segmenter: every tools/recattend/train.py run (the full model and
its ablations) on the held-out test scenes, with the paper's numbers beside them; records result
``recattend_scenes``.

    python tools/recattend/results.py --runs=full,no_box,glimpse1
"""
from absl import app, flags

from zoo import benchmark, reporting
from zoo.recattend import results

FLAGS = flags.FLAGS
flags.DEFINE_list("runs", ["full", "no_box", "glimpse1"], "runs under --output; the first is the full model")
flags.DEFINE_string("output", "runs/recattend", "directory of the runs")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
flags.DEFINE_string("figure", "docs/images/recattend_steps.png", "the figure of the steps (tools/recattend/viz.py)")


def main(argv):
    del argv
    found = results.summaries(FLAGS.output, FLAGS.runs)
    benchmark.record("recattend_scenes", FLAGS.results, tables=[results.runs_table(found)], figures=[FLAGS.figure],
                     notes=[results.note(found[FLAGS.runs[0]])], data={"runs": found})


if __name__ == "__main__":
    app.run(main)
