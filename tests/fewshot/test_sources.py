"""Episode sources: glyphs (cached under $ZOO_HOME) and Fashion-MNIST shapes, tfds omniglot through mock data, the
paper's samplers."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.data import glyphs
from zoo.fewshot import sources
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler


def test_glyphs_source_feeds_the_sampler():
    images, labels = sources.load_source("glyphs", "val", examples_per_class=10)
    assert images.shape == (200 * 10, 28, 28, 1) and images.dtype == np.uint8
    episode = EpisodeSampler(images, labels, EpisodeConfig(k_shot=1, n_query=2, n_unlabeled=5),
                             label_ratio=0.3).episode(0)
    assert episode["unlabeled"].shape == (50, 28, 28, 1)


def test_glyphs_are_rendered_once_then_read_from_zoo_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    first = sources.load_source("glyphs", "val", examples_per_class=2, num_classes=5)
    assert first[0].shape == (10, 28, 28, 1) and len(list((tmp_path / "data").glob("glyphs-val-*.npz"))) == 1
    monkeypatch.setattr(glyphs, "render_glyph", None)  # a second call must not render
    again = sources.load_source("glyphs", "val", examples_per_class=2, num_classes=5)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_paper_sampler_episodes_of_a_class_subset():
    sampler = sources.paper_sampler("glyphs", "test", 1, True, examples_per_class=40, num_classes=30)
    episode = sampler.episode(0)
    assert len(sampler.classes) == 30 and episode["support"].shape == (5, 28, 28, 1)
    assert episode["query"].shape == (25, 28, 28, 1) and episode["unlabeled"].shape == (10 * 20, 28, 28, 1)
    with pytest.raises(ValueError, match="split"):
        sources.paper_sampler("glyphs", "val", 1, True)


def test_omniglot_through_tfds_mock_data():
    with tfds.testing.mock_data(num_examples=40):
        images, labels = sources.load_source("omniglot", "train")
        _, some = sources.load_source("omniglot", "train", num_classes=2)
    assert images.shape == (40, 28, 28, 1) and images.dtype == np.uint8 and labels.shape == (40,)
    np.testing.assert_array_equal(np.unique(some), np.unique(labels)[:2])


def test_unknown_source_or_split_is_a_value_error():
    with pytest.raises(ValueError, match="source"):
        sources.load_source("mnist", "train")
    with pytest.raises(ValueError, match="splits"):
        sources.load_source("fashion_mnist", "val")
