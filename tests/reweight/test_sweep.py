"""The resumable sweep on a tiny noisy-label task, and the recorded results' tables and figure."""
import json

import numpy as np

from zoo.reweight import experiments, plots, sweep

RNG = np.random.default_rng(0)
TRAIN = (RNG.integers(0, 255, (3000, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 300))
TEST = (RNG.integers(0, 255, (50, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 5))
RECIPE = experiments.Recipe(steps=2, batch_size=10, clean_batch_size=10, fine_tune_steps=1, augment=False)


def test_run_trains_what_is_missing_records_the_shipped_weights_and_resumes(tmp_path):
    finished = []
    run = dict(recipe=RECIPE, seeds=["0"], params=["0.4"], methods=["plain", "plain+ft"], train_size=500,
               weights_for=["plain"], after_each=lambda: finished.append(1))
    sweep.run(tmp_path, "uniform", TRAIN, TEST, **run)
    assert len(finished) == 2 and len(sweep.finished(tmp_path, "uniform", "0.4", "plain+ft", ["0", "1"])) == 1
    (name, record), = json.loads((tmp_path / "uniform/0.4/plain/reweight-lenet.fashion_mnist_uniform40_plain.json")
                                 .read_text()).items()
    assert "--methods=plain" in record["command"] and "--noisy_train_size=500" in record["command"]
    sweep.run(tmp_path, "uniform", TRAIN, TEST, **run)
    assert len(finished) == 2  # nothing left to train
    table = sweep.noisy_table(tmp_path, "uniform", "0.4", ["plain", "plain+ft", "reweight"], ["0"])
    assert [row[0] for row in table.rows] == ["Baseline", "Baseline + FT", "**Ours (reweight)**"]
    assert table.rows[2][1:] == ["–", "0", "86.92 ± 0.19"] and table.rows[0][2] == "1"
    assert sweep.task_descriptions(tmp_path, "uniform", "0.4").startswith("40% uniform flip, 500 training images")
    note = sweep.recipe_note("uniform", RECIPE, ["0"], 500)
    assert "2 steps of batch 10" in note and "0.04 epochs over a fixed subset" in note


def fake_imbalance_runs(output):
    for ratio, method, seed, accuracy in (("0.9", "plain", 0, 0.8), ("0.9", "plain", 1, 0.9),
                                          ("0.99", "plain", 0, 0.5), ("0.9", "reweight", 0, 0.85)):
        path = sweep.result_path(output, "imbalance", ratio, method, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"test_accuracy": accuracy}))


def test_imbalance_errors_table_and_figure(tmp_path):
    fake_imbalance_runs(tmp_path)
    errors = sweep.imbalance_errors(tmp_path, ["0.9", "0.99"], ["plain", "reweight"], ["0", "1"])
    assert errors["ratios"] == [0.9, 0.99]
    np.testing.assert_allclose(errors["error"]["plain"]["mean"], [0.15, 0.5])
    assert errors["error"]["reweight"]["mean"][1] is None
    assert sweep.imbalance_table(errors).rows == [["Baseline", "15.00 ± 5.00", "50.00 ± 0.00"],
                                                  ["**Ours (reweight)**", "15.00 ± 0.00", "–"]]
    figure = plots.imbalance(errors, tmp_path / "imbalance.png")
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["Baseline"]  # reweight is incomplete
    assert (tmp_path / "imbalance.png").stat().st_size > 0
