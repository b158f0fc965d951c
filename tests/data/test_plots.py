import numpy as np
import pytest

from zoo import benchmark
from zoo.data import load_sample, plots, scenes


def test_scene_grid_draws_every_scene_with_its_caption_and_boxes(tmp_path):
    images, labels, _ = load_sample()
    made = scenes.make_scenes(3, seed=0, source=(images, labels))
    figure = plots.scene_grid(made, cols=2)
    shown = [ax for ax in figure.axes if ax.images]
    assert len(figure.axes) == 4 and len(shown) == 3
    assert [ax.get_title().replace("\n", " ") for ax in shown] == [s.captions[0] for s in made]
    assert [len(ax.patches) for ax in shown] == [len(s.boxes) for s in made]
    assert benchmark.save_figure(figure, tmp_path / "scenes.png").stat().st_size > 0


def test_glyph_grid_puts_each_class_on_a_row(tmp_path):
    images = np.zeros((6, 28, 28), np.uint8)
    figure = plots.glyph_grid(images, np.array([7, 7, 7, 9, 9, 9]), renderings=3)
    assert len(figure.axes) == 6
    assert [figure.axes[i].get_title(loc="left") for i in (0, 3)] == ["class 7", "class 9"]
    assert benchmark.save_figure(figure, tmp_path / "glyphs.png").stat().st_size > 0
    with pytest.raises(ValueError, match="multiple of renderings=4"):
        plots.glyph_grid(images, np.zeros(6), renderings=4)
