"""Accelerator hours of a recipe: FLOPs counted by TensorFlow's profiler, the arithmetic shown in the table."""
import keras
import pytest

from zoo.training import paper_scale
from zoo.training.recipes import Cost, Recipe


def test_forward_flops_count_a_multiply_add_as_two():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, use_bias=False)])
    assert paper_scale.forward_flops(model, (8,)) == 2 * 8 * 4


def test_table_shows_flops_per_step_times_steps_over_the_rate():
    cost = Cost("resnet-32", (16, 16, 3), examples=10, passes=3.0,
                kwargs={"units": [1, 1, 1], "channels": [4, 4, 8, 8]})
    recipe = Recipe("tiny", "revnet", "tools/zoo/train.py", {}, "accuracy (%)", 90.0, "a table", steps=1000, cost=cost)
    numbers = paper_scale.estimate(recipe, rate=1e9)
    assert numbers["total_flops"] == pytest.approx(1000 * numbers["step_flops"])
    assert numbers["hours"] == pytest.approx(numbers["total_flops"] / 1e9 / 3600)
    (row,) = paper_scale.table([recipe, Recipe("free", "revnet", "t", {}, "m", 1.0, "s", 1)], rate=1e9).rows
    assert row[0] == "`python tools/zoo/train.py --recipe=tiny`" and row[2] == "1,000"
    assert row[1].startswith("3 × 10 × ") and row[4] == f"{numbers['hours']:.2g}"
    assert row[5] == "90 (accuracy (%); a table)"
