"""The Table 3 sweep's bookkeeping on fake finished runs, and its figure."""
import json

from zoo.divnorm import plots, table3


def finish(output, variant, seed, accuracy):
    path = table3.record_path(output, variant, seed)
    path.parent.mkdir(parents=True)
    record = {"metrics": {"top1_accuracy": accuracy}}
    path.write_text(json.dumps({f"{table3.model_name(variant)}.fashion_mnist": record}))


def test_summary_table_and_claims_from_finished_runs(tmp_path):
    for variant, seed, accuracy in (("", 0, 0.80), ("", 1, 0.82), ("bn", 0, 0.85), ("ln", 0, 0.83), ("dn", 0, 0.84)):
        finish(tmp_path, variant, seed, accuracy)
    summary = table3.summarize(tmp_path, ["", "bn", "bn-s", "ln", "dn"], ["0", "1"])
    assert list(summary) == ["", "bn", "ln", "dn"]  # bn-s has no finished run
    assert summary[""]["seeds"] == 2
    assert abs(summary[""]["mean"] - 0.81) < 1e-9 and abs(summary[""]["std"] - 0.01) < 1e-9
    assert table3.table(summary).rows[0] == ["Baseline", "`cifar-quick`", "81.00 ± 1.00", "2", "75.65"]
    sentence = table3.claims(summary)
    assert "BN > Baseline" in sentence and "DN > LN" in sentence and "that do not: none" in sentence
    assert table3.train_command(tmp_path, "bn", 0, 3, 100, 0.01, "piecewise").startswith(
        "python tools/zoo/train.py --model=cifar-quick-bn --dataset=fashion_mnist --epochs=3")


def test_table3_plot_has_one_axis_per_panel_with_bars_from_zero(tmp_path):
    summary = {"": {"label": "Baseline", "mean": 0.84, "std": 0.005, "paper_cifar10": 0.7565},
               "bn": {"label": "BN", "mean": 0.87, "std": 0.001, "paper_cifar10": 0.7807}}
    figure = plots.table3(summary, tmp_path / "table3.png")
    assert len(figure.axes) == 2  # no twin axes
    for axis in figure.axes:
        assert axis.get_xlim()[0] == 0 and all(bar.get_x() == 0 for bar in axis.patches)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["Baseline", "BN"]
    assert [axis.get_title() for axis in figure.axes] == ["Fashion-MNIST (ours, mean ± std over seeds)",
                                                          "CIFAR-10 (paper)"]
    assert (tmp_path / "table3.png").stat().st_size > 0
