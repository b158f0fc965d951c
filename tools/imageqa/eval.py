"""Score every image-QA model trained by tools/imageqa/train.py on the generated test set (accuracy, WUPS@0.9,
WUPS@0.0, overall and per question type), with the paper's COCO-QA numbers beside them, the data set's
statistics table, and a per-type accuracy plot; records result ``imageqa_scenes``.

    python tools/imageqa/eval.py                     # reads runs/imageqa
    python tools/imageqa/eval.py --replot            # redraw the plot from the recorded numbers
"""
import json
import pathlib

from absl import app, flags

from zoo import benchmark, reporting
from zoo.imageqa import data, plots, results

FLAGS = flags.FLAGS
flags.DEFINE_string("output", "runs/imageqa", "directory written by tools/imageqa/train.py")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")
flags.DEFINE_string("plot", "docs/images/imageqa_accuracy.png", "per-type accuracy plot")
flags.DEFINE_bool("replot", False, "only redraw --plot from the recorded result in --results")


def main(argv):
    del argv
    if FLAGS.replot:
        plots.accuracy_per_type(reporting.read_result("imageqa_scenes", FLAGS.results)["data"]["accuracy"],
                                FLAGS.plot)
        return
    out = pathlib.Path(FLAGS.output)
    dataset, vocabulary = data.load(out, images=False)
    scores = results.evaluate_runs(out, dataset["test"], vocabulary)
    (out / "results.json").write_text(json.dumps(scores, indent=1))
    accuracy = results.accuracy_data(scores)
    plots.accuracy_per_type(accuracy, FLAGS.plot)
    texts = json.loads((out / "questions.json").read_text())["test"]
    benchmark.record("imageqa_scenes", FLAGS.results, tables=results.tables(scores, dataset, vocabulary, texts),
                     figures=[FLAGS.plot], notes=[results.scale_note(out, dataset)],
                     data={"accuracy": accuracy, "scores": scores})


if __name__ == "__main__":
    app.run(main)
