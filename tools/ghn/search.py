"""GHN-guided random search ("Top-Best"): rank K random architectures by the validation accuracy (or loss) of
their GHN-predicted weights, briefly train the top 10, fully train the best, and compare it with the random
architectures of tools/ghn/ground_truth.py trained with the same budget.

    python tools/ghn/search.py --run=ghn --architectures=200 [--rank_by=loss] [--report_only]

Writes runs/ghn/search.json (search_loss.json when ranked by loss) and records result ghn_search (ghn_search_loss).
"""
import json
import pathlib

import numpy as np
from absl import app, flags

from zoo import benchmark, reporting
from zoo.ghn import models, search, training

FLAGS = flags.FLAGS
flags.DEFINE_string("run", "ghn", "GHN run (directory under --output with ghn.weights.h5 and summary.json)")
flags.DEFINE_integer("architectures", 200, "random architectures to rank (paper: 1,000)")
flags.DEFINE_enum("rank_by", "accuracy", list(search.RANK_BY), "GHN-weight validation accuracy (the paper) or loss")
flags.DEFINE_integer("top", 10, "architectures briefly trained")
flags.DEFINE_integer("brief_steps", 200, "SGD steps of the brief training")
flags.DEFINE_integer("full_steps", 1500, "SGD steps of the full training (the ground truth's budget)")
flags.DEFINE_bool("report_only", False, "rewrite the results section from the saved search (e.g. after more ground "
                  "truth was trained) instead of searching again")
flags.DEFINE_string("output", "runs/ghn", "directory of the runs")
flags.DEFINE_string("ground_truth", search.GROUND_TRUTH, "tools/ghn/ground_truth.py results")
flags.DEFINE_string("results", str(reporting.RESULTS_DIR), "directory of recorded results ('' to only print)")


def main(argv):
    del argv
    by_loss = FLAGS.rank_by == "loss"
    output = pathlib.Path(FLAGS.output) / ("search_loss.json" if by_loss else "search.json")
    result = saved_search(output) if FLAGS.report_only else run_search()
    output.write_text(json.dumps(result, indent=1))
    random = [json.loads(p.read_text()) for p in sorted(pathlib.Path(FLAGS.ground_truth).glob("arch_*.json"))]
    random = [r for r in random if r["config"]["steps"] == FLAGS.full_steps]
    accuracies = np.array([r["test_accuracy"] for r in random])
    best = result["best"]
    top = reporting.Table(["architecture", "GHN-weight val. accuracy %", "GHN-weight val. loss",
                           f"after {FLAGS.brief_steps} steps, val. %", ""],
                          [[t["index"], f"{100 * t['ghn_accuracy']:.1f}", f"{result['ghn_loss'][t['index']]:.3f}",
                            f"{100 * t['brief_accuracy']:.1f}", "**best**" if t["index"] == best["index"] else ""]
                           for t in result["top"]])
    cell_ops = ", ".join(best["graph"]["cell"]["ops"][1:-1])
    summary = reporting.Table(["", f"test accuracy % ({FLAGS.full_steps} SGD steps)"], [
        [f"GHN Top-Best (architecture {best['index']}: {cell_ops})", f"**{100 * best['test_accuracy']:.2f}**"],
        [f"{len(random)} random architectures: median", f"{100 * np.median(accuracies):.2f}"],
        ["random: mean ± std", f"{100 * accuracies.mean():.2f} ± {100 * accuracies.std():.2f}"],
        ["random: best", f"{100 * accuracies.max():.2f}"],
        ["GHN Top-Best beats", f"{100 * np.mean(accuracies < best['test_accuracy']):.0f}% of the random ones"]])
    notes = [f"`{FLAGS.run}` ranks {FLAGS.architectures} random 17-node architectures "
             f"(`zoo.ghn.search.search_architecture(i)`) by validation {FLAGS.rank_by} with its predicted weights "
             f"({result['ranking_seconds']:.0f} s in all); the top {FLAGS.top} get {FLAGS.brief_steps} SGD steps "
             f"({sum(t['brief_seconds'] for t in result['top']):.0f} s), the best of those the full "
             f"{FLAGS.full_steps} steps of the ground-truth recipe.",
             "Paper (CIFAR-10, Table 1/2): GHN Top 95.7 ± 0.1 vs random 94.6 ± 0.3; Top-Best 1K 97.16 ± 0.07 with "
             "Cutout."]
    benchmark.record("ghn_search_loss" if by_loss else "ghn_search", FLAGS.results, [top, summary], notes=notes)


def run_search():
    """Rank, briefly train the top and fully train the best (:func:`zoo.ghn.search.ghn_search`)."""
    ghn, _ = models.load_run(pathlib.Path(FLAGS.output) / FLAGS.run)
    data = training.load_splits()
    graphs = [search.search_architecture(i) for i in range(FLAGS.architectures)]
    result = search.ghn_search(ghn, data, graphs, FLAGS.top, FLAGS.brief_steps, FLAGS.full_steps,
                               rank_by=FLAGS.rank_by,
                               progress=lambda message: print(f"\r{message:60s}", end="", flush=True))
    print()
    return {"run": FLAGS.run, "architectures": FLAGS.architectures, "brief_steps": FLAGS.brief_steps,
            "full_steps": FLAGS.full_steps, **result}


def saved_search(path):
    """The search saved at ``path``, checked against the flags it must have been run with."""
    if not path.exists():
        raise FileNotFoundError(f"--report_only needs a saved search at {path}; run without it first")
    result = json.loads(path.read_text())
    expected = {"run": FLAGS.run, "architectures": FLAGS.architectures, "rank_by": FLAGS.rank_by, "top": FLAGS.top,
                "brief_steps": FLAGS.brief_steps, "full_steps": FLAGS.full_steps}
    saved = {**result, "architectures": len(result["ghn_accuracy"]), "top": len(result["top"])}
    wrong = {k: saved[k] for k in expected if k in saved and saved[k] != expected[k]}
    if wrong:
        raise ValueError(f"{path} was searched with {wrong}, not with these flags")
    return result


if __name__ == "__main__":
    app.run(main)
