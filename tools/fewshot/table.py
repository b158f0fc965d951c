"""Evaluate few-shot models over test episodes; record the paper-layout table (result ``fewshot_glyphs``).

    python tools/fewshot/table.py --weights=masked-soft-kmeans-conv4.glyphs --shots=1 --distractors
    python tools/fewshot/table.py --table      # from runs/fewshot/*/result.json (tools/fewshot/train.py)

The table also scores "ProtoNet + semi-supervised inference": each ProtoNet run's weights used by the soft
k-means model at test time only.
"""
from absl import app, flags

import zoo
from zoo import benchmark, reporting
from zoo.fewshot import results, training

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", "", "pretrained weight (ARCH.TAG) to evaluate")
flags.DEFINE_integer("shots", 1, "K labeled images per class")
flags.DEFINE_bool("distractors", False, "5 distractor classes per episode")
flags.DEFINE_integer("test_episodes", 600, "test episodes")
flags.DEFINE_bool("table", False, "record the results table from the finished runs")
flags.DEFINE_string("output", "runs/fewshot", "directory of the runs")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    if FLAGS.table:
        found = results.collect(FLAGS.output, FLAGS.test_episodes)
        benchmark.record("fewshot_glyphs", FLAGS.results, tables=[results.table(found)], notes=results.notes(found))
        return
    if not FLAGS.weights:
        raise app.UsageError("pass --weights=ARCH.TAG or --table")
    sampler = results.glyphs_test_sampler(FLAGS.shots, FLAGS.distractors)
    accuracy, interval = training.evaluate(zoo.load(FLAGS.weights), sampler, FLAGS.test_episodes)
    print(f"{FLAGS.weights} {results.setting_name(FLAGS.shots, FLAGS.distractors)}: {100 * accuracy:.2f} ± "
          f"{100 * interval:.2f}% over {FLAGS.test_episodes} episodes")


if __name__ == "__main__":
    app.run(main)
