"""The recorded result of the recurrent attention segmenter (``recattend_scenes``, ``tools/recattend/results.py``):
every training run (the full model and its ablations) on the held-out test scenes, with the paper's numbers."""
import json
import pathlib

from zoo import reporting

PAPER_ROWS = (["paper, CVPPP leaves (A1 test)", "yes", 5, "canvas", "", "", "84.9", "0.80", "", "", ""],
              ["paper, KITTI val: no box network", "no", "", "", "", "", "", "", "57.0", "49.1", ""])
"""The paper's numbers (on other data, for orientation)."""


def summaries(output, runs):
    """``{run: summary}`` of the ``summary.json`` that ``tools/recattend/train.py`` leaves in ``output/RUN``."""
    return {name: json.loads((pathlib.Path(output) / name / "summary.json").read_text()) for name in runs}


def runs_table(found):
    """The :class:`zoo.reporting.Table` of :func:`summaries`: each run's model options, steps, minutes and test
    metrics (%), then the paper's rows."""
    rows = []
    for name, summary in found.items():
        kwargs, config, test = summary["builder_kwargs"], summary["config"], summary["test"]
        minutes = f"{summary['seconds'] / 60:.0f}" if summary.get("seconds") else "not kept"
        rows.append([name, "yes" if kwargs["box_network"] else "**no**", kwargs["glimpses"], kwargs["memory"],
                     f"{config['box_steps']} + {config['full_steps']}", minutes, f"{100 * test['sbd']:.1f}",
                     f"{test['abs_dic']:.2f}", f"{100 * test['mwcov']:.1f}", f"{100 * test['mucov']:.1f}",
                     f"{100 * test['ap50']:.1f}"])
    return reporting.Table(["run", "box network", "glimpses", "memory", "steps", "min", "SBD", "\\|DiC\\|", "MWCov",
                            "MUCov", "AP50"], rows + [list(row) for row in PAPER_ROWS])


def note(summary):
    """The setting, from the first run's ``summary``."""
    return (f"{summary['test']['scenes']} held-out 64×64 Fashion-MNIST scenes (one to four articles of the test split; "
            f"`zoo.recattend.training.SCENES`), after training on {summary['train_scenes']} scenes of train-split "
            "articles: box-network pre-training steps + full-model steps with scheduled sampling, batch 8. "
            "Inference keeps the steps before the first score below 0.5, gives each pixel to the kept step with the "
            "largest mask value if above 0.5. SBD, MWCov and MUCov are means over scenes (%), |DiC| the mean "
            "absolute count error, AP at IoU 0.5 over the whole set with the step scores as confidences. The "
            "paper's numbers are on other data, for orientation only.")
