"""The RevNet benchmark's tables and figure from measurements, and the reconstruction table of a tiny RevNet."""
import numpy as np

from zoo.revnet import benchmark, plots
from zoo.revnet.network import build_revnet

PAIRS = [("resnet-32", "revnet-38")]
UNITS = (1, 2)


def fake_results():
    """Measurements as benchmark.run returns them, for the pair and a two-point depth series."""
    results = {"resnet-32": {"peak_mb": 300.0, "step_seconds": 0.7, "params": 460_000},
               "revnet-38": {"peak_mb": 150.0, "step_seconds": 1.05, "params": 460_000},
               "revnet-38 (reconstruct=False)": {"peak_mb": 400.0, "step_seconds": 0.8, "params": 460_000}}
    for n, (rev, plain) in zip(UNITS, ((100.0, 200.0), (110.0, 400.0))):
        results[f"revnet-110 n={n} reconstruct=True"] = {"peak_mb": rev, "step_seconds": 1.2, "params": 1}
        results[f"revnet-110 n={n} reconstruct=False"] = {"peak_mb": plain, "step_seconds": 1.0, "params": 1}
    return results


def test_tables_and_series_from_measurements():
    results = fake_results()
    paper = benchmark.paper_table(results, PAIRS)
    assert [row[0] for row in paper.rows] == ["resnet-32", "revnet-38", "revnet-38 (reconstruct=False)"]
    assert paper.rows[1][3] == "2.00" and paper.rows[1][5] == "1.50"
    series = benchmark.series_table(results, UNITS)
    assert series.rows[1][:4] == [2, 2 * 3 * 4 + 2, "110", "1.10"] and series.rows[1][6] == "3.64"
    assert series.caption.startswith("Depth series (revnet-110 widths")
    summary = dict(benchmark.summary_table(results, PAIRS, UNITS).rows)
    assert summary["plain autodiff peak memory growth, 1 -> 2 units per stage"] == "2.00×"
    assert summary["resnet-32 / revnet-38 peak memory"] == "2.00×"
    assert benchmark.memory_series(results, UNITS) == {
        "units_per_stage": [1, 2], "peak_mb": {"RevNet (reconstruction)": [100.0, 110.0],
                                               "plain autodiff": [200.0, 400.0]}}


def test_memory_vs_depth_draws_one_curve_per_series(tmp_path):
    figure = plots.memory_vs_depth(benchmark.memory_series(fake_results(), UNITS), tmp_path / "memory.png")
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["RevNet (reconstruction)", "plain autodiff"]
    assert axes.get_ylim()[0] == 0 and (tmp_path / "memory.png").stat().st_size > 0


def test_reconstruction_table_has_each_stack_in_both_modes():
    model = build_revnet(units=(2, 2), channels=(8, 8, 16), bottleneck=False, input_shape=(16, 16, 3))
    images = np.random.default_rng(0).standard_normal((4, 16, 16, 3)).astype("float32")
    table = benchmark.reconstruction_table(model, images)
    assert [row[:2] for row in table.rows] == [
        ["stage1_reversible", "training (batch statistics)"], ["stage2_reversible", "training (batch statistics)"],
        ["stage1_reversible", "inference (moving averages)"], ["stage2_reversible", "inference (moving averages)"]]
    assert all(float(row[3]) < 1e-4 for row in table.rows)
