"""Episode sources: glyphs and Fashion-MNIST shapes, tfds omniglot through mock data."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.fewshot import sources
from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler


def test_glyphs_source_feeds_the_sampler():
    images, labels = sources.load_source("glyphs", "val", examples_per_class=10)
    assert images.shape == (200 * 10, 28, 28, 1) and images.dtype == np.uint8
    episode = EpisodeSampler(images, labels, EpisodeConfig(k_shot=1, n_query=2, n_unlabeled=5),
                             label_ratio=0.3).episode(0)
    assert episode["unlabeled"].shape == (50, 28, 28, 1)


def test_glyph_cache_returns_the_rendered_arrays(tmp_path):
    first = sources.load_source("glyphs", "val", examples_per_class=2, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("glyphs_val_*.npz"))) == 1
    again = sources.load_source("glyphs", "val", examples_per_class=2, cache_dir=tmp_path)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_omniglot_through_tfds_mock_data():
    with tfds.testing.mock_data(num_examples=40):
        images, labels = sources.load_source("omniglot", "train")
    assert images.shape == (40, 28, 28, 1) and images.dtype == np.uint8 and labels.shape == (40,)


def test_unknown_source_or_split_is_a_value_error():
    with pytest.raises(ValueError, match="source"):
        sources.load_source("mnist", "train")
    with pytest.raises(ValueError, match="splits"):
        sources.load_source("fashion_mnist", "val")
