"""The SBNet results' tables and the speed figure from recorded numbers."""
from zoo.sbnet import plots, results

STAGES = [dict(name="conv-2", size=[40, 70], conv_channels=24, res_channels=96, units=3, block_size=47),
          dict(name="tiny", size=[8, 8], conv_channels=4, res_channels=8, units=1, block_size=5)]
OPS = {"reduce_mask": 0.1, "gather": 0.2, "convolution": 1.0, "scatter": 0.5, "other": 0.2}


def cell(speedup, fallback, paper):
    return dict(speedup=speedup, dense_ms=[8.0, 2.0], sparse_ms=[2.0, 2.5], ops_ms=[OPS, OPS],
                block_fraction=[0.15, 1.0], fallback_speedup=fallback, paper_10_percent=paper)


SPEED = {"densities": [0.1, 1.0], "stages": STAGES, "fallback": 0.75,
         "conv": {"conv-2": cell([4.0, 0.7], 1.0, 3.39), "tiny": cell([2.0, 0.5], 0.9, None)},
         "res": {"conv-2": cell([7.0, 0.8], 1.0, 8.22), "tiny": cell([3.0, 0.6], 1.0, None)},
         "ops_ms": {"gather": {"native": 1.0, "tf": 2.5}, "scatter": {"native": 2.0, "tf": 3.0}}}


def test_speed_tables_from_the_recorded_numbers():
    conv = results.speedup_table(SPEED, "conv")
    assert conv.header == ["stage", "size", "channels", "block", "10%", "100%", "100%, dense fallback",
                           "paper 10% (1080Ti)"]
    assert conv.rows == [["conv-2", "40×70", "24", "47", "4.00×", "0.70×", "1.00×", "3.39×"],
                         ["tiny", "8×8", "4", "5", "2.00×", "0.50×", "0.90×", "–"]]
    assert results.speedup_table(SPEED, "res").rows[0][2] == "96 × 3 units"
    ops = results.ops_table(SPEED)
    assert ops.rows == [["gather", "1.00 ms", "2.50 ms", "2.50×"], ["scatter", "2.00 ms", "3.00 ms", "1.50×"]]
    assert "block 47" in ops.caption and "dense_fallback=0.75" in results.speed_notes(7, 0.75)[0]
    notes = results.speed_notes(7, 0.8, {"start": 3.21, "end": 4.0})
    assert len(notes) == 2 and "3.2 when the run started and 4.0" in notes[1]


def test_breakdown_table_gives_each_op_beside_the_speed_up():
    table = results.breakdown_table(SPEED, "res")
    assert table.header[:6] == ["stage", "density", "blocks active", "dense ms", "sparse ms", "speed-up"]
    assert table.header[6:] == ["reduce_mask ms", "gather ms", "convolution ms", "scatter ms", "other ms"]
    assert table.rows[0] == ["conv-2", "10%", "15%", "8.00", "2.00", "7.00×", "0.10 (5%)", "0.20 (10%)",
                             "1.00 (50%)", "0.50 (25%)", "0.20 (10%)"]
    assert [row[:2] for row in table.rows] == [["conv-2", "10%"], ["conv-2", "100%"], ["tiny", "10%"],
                                               ["tiny", "100%"]]


def test_sweep_and_crossover_tables_and_the_full_list():
    data = dict(SPEED, sweep={"densities": [0.1], **{kind: {s["name"]: {"blocks": [5, 47], "chosen": s["block_size"],
                                                                          "speedup": [[1.5, 2.5]]} for s in STAGES}
                                                   for kind in ("conv", "res")}},
                crossover={kind: {s["name"]: {"block_fraction": [0.5, 1.0], "sparse_over_fallback": [0.8, 1.2],
                                              "crossover": 0.75} for s in STAGES} for kind in ("conv", "res")})
    sweep = results.sweep_table(data, "conv")
    assert sweep.rows[0] == ["conv-2", "10%", "b5 1.50×, **b47 2.50×**"]
    assert sweep.rows[1] == ["tiny", "10%", "**b5 1.50×**, b47 2.50×"]
    crossover = results.crossover_table(data)
    assert crossover.rows[0] == ["conv-2", "conv", "50%: 0.80, 100%: 1.20", "75%"]
    assert len(results.speed_tables(data)) == 8 and len(results.speed_tables(SPEED)) == 5


def test_segmentation_table_and_notes():
    metrics = {"pixel_accuracy": 0.99, "mean_iou": 0.5, "foreground_iou": 0.9, "foreground_pixel_accuracy": 0.6}
    run = {"sparse": {**metrics, "mask_density": 0.05, "block_density": 0.14, "foreground_covered": 0.999},
           "dense": metrics, "speedup": 1.44, "steps": 10, "batch_size": 2, "lr": 1e-3, "train_minutes": 3.0,
           "test_scenes": 8, "timing_scenes": 2, "timing_repeats": 1, "impl": "auto"}
    table = results.segmentation_table(run)
    assert table.rows[0][1:] == ["99.00", "50.00", "90.00", "60.00", "5.0% / 14.0%", "1.44×"]
    assert table.rows[1][-2:] == ["100%", "1.00×"]
    notes = results.segmentation_notes(run)
    assert "all 8 test scenes" in notes[0] and "99.9000% of the foreground" in notes[0] and notes[1].startswith("Paper")


def test_speedup_plot_has_linear_density_axes_and_a_legend_naming_each_stage(tmp_path):
    figure = plots.speedup_vs_density(SPEED, tmp_path / "speed.png")
    assert len(figure.axes) == 2 and (tmp_path / "speed.png").stat().st_size > 0
    for axis in figure.axes:
        assert axis.get_xscale() == "linear" and axis.get_xlim() == (0, 100)
        legend = [t.get_text() for t in axis.get_legend().get_texts()]
        assert legend[0].startswith("conv-2: 40×70, ") and legend[0].endswith(", b47")
        assert legend[1].startswith("tiny: 8×8, ")
        assert "ideal: 1 / density" in legend and axis.get_legend().get_title().get_text().startswith("paper's")
