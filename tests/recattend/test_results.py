"""The recattend results table from run summaries, the weight record of a run, and the pictures: attention windows
drawn on a user's image and the step-by-step figure."""
import json

import numpy as np
import pytest

from zoo import registry
from zoo.recattend import plots, results, training

RESULT = {"sbd": 0.7346, "abs_dic": 0.453, "mwcov": 0.6836, "mucov": 0.6644, "ap50": 0.6264, "scenes": 8}


def test_runs_table_and_note_from_summaries(tmp_path):
    for name, box_network, seconds in (("full", True, None), ("no_box", False, 1980.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps({
            "builder_kwargs": {"box_network": box_network, "glimpses": 5, "memory": "canvas"},
            "config": {"box_steps": 2, "full_steps": 18}, "test": RESULT, "seconds": seconds, "train_scenes": 80}))
    found = results.summaries(tmp_path, ["full", "no_box"])
    rows = results.runs_table(found).rows
    assert rows[0] == ["full", "yes", 5, "canvas", "2 + 18", "not kept", "73.5", "0.45", "68.4", "66.4", "62.6"]
    assert rows[1][1] == "**no**" and rows[1][5] == "33" and rows[2][0].startswith("paper")
    assert results.note(found["full"]).startswith("8 held-out 64×64 Fashion-MNIST scenes")


def test_write_weight_record(tmp_path):
    model = registry.build("recattend", max_steps=2)
    config = training.TrainConfig(box_steps=2, full_steps=3, batch_size=2, seed=0)
    training.write_weight_record(model, tmp_path, "recattend.tiny", builder_kwargs={"max_steps": 2}, config=config,
                                 train_scenes=16, test_scenes=8, result=RESULT, seconds=None, command="python x")
    (name, record), = json.loads((tmp_path / "recattend.tiny.json").read_text()).items()
    assert record["metrics"] == {**{k: v for k, v in RESULT.items() if k != "scenes"}, "test_scenes": 8}
    assert record["training"]["steps"] == 5 and "seconds" not in record["training"]
    assert record["split"]["test"] == "8 scenes of test-split articles (seed 1)"


def test_attention_overlay_outlines_each_window_in_its_step_colour():
    image = np.zeros((8, 8, 3), np.uint8)
    attention = np.array([[1.5, 1.5, 4.0, 4.0, 0.0, 0.0],   # centre (2, 2) in pixel edges: window rows/cols 0..3
                          [5.5, 5.5, 2.0, 2.0, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(plots.attention_boxes(attention), [[0, 0, 4, 4], [5, 5, 7, 7]])
    overlay = plots.attention_overlay(image, attention, scale=1)
    assert overlay.shape == (8, 8, 3)
    np.testing.assert_array_equal(overlay[0, 2], plots.instance_colour(0)[1])  # top edge of the first window
    np.testing.assert_array_equal(overlay[6, 5], plots.instance_colour(1)[1])  # left edge of the second
    np.testing.assert_array_equal(overlay[2, 2], [0, 0, 0])  # inside, untinted without masks
    masks = np.zeros((2, 8, 8), bool)
    masks[0, 1:3, 1:3] = True
    assert (plots.attention_overlay(image, attention, masks, scale=2, alpha=1.0)[3, 3]
            == plots.instance_colour(0)[1]).all()
    with pytest.raises(ValueError, match="attention must be"):
        plots.attention_boxes(np.zeros(6))


def test_steps_figure_shows_input_truth_and_every_step():
    rng = np.random.default_rng(0)
    arrays = {"images": rng.integers(0, 255, (2, 8, 8, 3)).astype(np.uint8), "num_objects": np.array([1, 2]),
              "masks": rng.uniform(size=(2, 2, 8, 8)) > 0.5}
    outputs = {"scores": np.array([[0.9, 0.2, 0.1], [0.8, 0.7, 0.6]]), "masks": rng.uniform(size=(2, 3, 8, 8)),
               "attention": np.tile(np.array([3.5, 3.5, 4.0, 4.0, 0.0, 0.0]), (2, 3, 1))}
    figure = plots.steps_figure(arrays, outputs)
    assert len(figure.axes) == 2 * 5 and figure.axes[0].get_title() == "input"
    assert figure.axes[3].get_title() == "t=2 s=0.20" and figure.axes[3].title.get_color() == "grey"
    assert figure.axes[9].title.get_color() == "black" and len(figure.axes[2].patches) == 1
