"""The results table of the recurrent attention segmenter: every tools/recattend_train.py run (the full model and
its ablations) on the held-out test scenes, with the paper's numbers beside them.

    python tools/recattend_results.py --runs=full,no_box,glimpse1
"""
import json
import pathlib
import sys

from absl import app, flags

from zoo import benchmark

FLAGS = flags.FLAGS
flags.DEFINE_list("runs", ["full", "no_box", "glimpse1"], "runs under --output; the first is the full model")
flags.DEFINE_string("output", "runs/recattend", "directory of the runs")
flags.DEFINE_string("results", "docs/RESULTS.md", "markdown file to update")


def main(argv):
    del argv
    rows = []
    for name in FLAGS.runs:
        summary = json.loads((pathlib.Path(FLAGS.output) / name / "summary.json").read_text())
        kwargs, config, test = summary["builder_kwargs"], summary["config"], summary["test"]
        minutes = f"{summary['seconds'] / 60:.0f}" if summary.get("seconds") else "not kept"
        rows.append((name, "yes" if kwargs["box_network"] else "**no**", kwargs["glimpses"], kwargs["memory"],
                     f"{config['box_steps']} + {config['full_steps']}", minutes,
                     f"{100 * test['sbd']:.1f}", f"{test['abs_dic']:.2f}", f"{100 * test['mwcov']:.1f}",
                     f"{100 * test['mucov']:.1f}", f"{100 * test['ap50']:.1f}"))
    rows.append(("paper, CVPPP leaves (A1 test)", "yes", 5, "canvas", "", "", "84.9", "0.80", "", "", ""))
    rows.append(("paper, KITTI val: no box network", "no", "", "", "", "", "", "", "57.0", "49.1", ""))
    scenes = json.loads((pathlib.Path(FLAGS.output) / FLAGS.runs[0] / "summary.json").read_text())
    body = (f"{scenes['test']['scenes']} held-out 64×64 Fashion-MNIST scenes (one to four articles of the test split; "
            f"`zoo.recattend.training.SCENES`), after training on {scenes['train_scenes']} scenes of train-split "
            "articles: box-network pre-training steps + full-model steps with scheduled sampling, batch 8. "
            "Inference keeps the steps before the first score below 0.5, gives each pixel to the kept step with the "
            "largest mask value if above 0.5. SBD, MWCov and MUCov are means over scenes (%), |DiC| the mean "
            "absolute count error, AP at IoU 0.5 over the whole set with the step scores as confidences. The paper's "
            "numbers are on other data, for orientation only.\n\n"
            + benchmark.markdown_table(("run", "box network", "glimpses", "memory", "steps", "min", "SBD", "\\|DiC\\|",
                                        "MWCov", "MUCov", "AP50"), rows)
            + "\n\n![steps](images/recattend_steps.png)\n")
    benchmark.write_section(FLAGS.results, "Recurrent attention instance segmentation on Fashion-MNIST scenes", body,
                            " ".join(["python"] + sys.argv))


if __name__ == "__main__":
    app.run(main)
