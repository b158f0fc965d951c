"""Episode sources: glyphs (cached under $ZOO_HOME) and Fashion-MNIST shapes, tfds omniglot with the paper's split and
a few-shot split of any tfds set through mock data, the mini-ImageNet class split, the paper's samplers."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.data import glyphs
from zoo.data.sources import TfdsSource
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


def test_omniglot_has_the_papers_character_split_and_rotations():
    with tfds.testing.mock_data(num_examples=40):
        stored = TfdsSource("omniglot", "train+test").labels()
        train, train_labels = sources.load_source("omniglot", "train")
        test, test_labels = sources.omniglot("test")
        plain, plain_labels = sources.omniglot("train", rotations=False)
        _, some = sources.load_source("omniglot", "train", num_classes=2)
    in_train = stored < sources.OMNIGLOT_TRAIN_CHARACTERS
    assert train.shape == (4 * in_train.sum(), 28, 28, 1) and train.dtype == np.uint8
    assert len(test) == 4 * (~in_train).sum() and len(np.unique(test_labels)) == 4 * len(np.unique(stored[~in_train]))
    assert len(np.unique(train_labels)) == 4 * len(np.unique(stored[in_train])) == 4 * len(np.unique(plain_labels))
    quarter = len(plain)
    np.testing.assert_array_equal(train[:quarter], plain)
    np.testing.assert_array_equal(train[quarter:2 * quarter], np.rot90(plain, 1, axes=(1, 2)))
    np.testing.assert_array_equal(train_labels[quarter:2 * quarter], 4 * plain_labels + 1)
    np.testing.assert_array_equal(np.unique(some), np.unique(train_labels)[:2])


def test_a_few_shot_split_from_any_tfds_classification_set():
    with tfds.testing.mock_data(num_examples=80):
        stored = TfdsSource("cifar10", "train").labels()
        images, labels = sources.tfds_classes("cifar10", "train", [7, 2], per_class=3, image_size=12)
    assert images.shape == (6, 12, 12, 3) and sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert (stored == 7).sum() >= 3 and (stored == 2).sum() >= 3
    with tfds.testing.mock_data(num_examples=10), pytest.raises(ValueError, match="fewer than per_class"):
        sources.tfds_classes("cifar10", "train", [1], per_class=50, image_size=12)


def test_mini_imagenet_classes_are_a_disjoint_64_16_20_split():
    split = sources.mini_imagenet_classes(seed=0)
    assert {k: len(v) for k, v in split.items()} == {"train": 64, "val": 16, "test": 20}
    assert len(np.unique(np.concatenate(list(split.values())))) == 100
    assert all(np.array_equal(split[k], sources.mini_imagenet_classes(seed=0)[k]) for k in split)


def test_unknown_source_or_split_is_a_value_error():
    with pytest.raises(ValueError, match="source"):
        sources.load_source("mnist", "train")
    with pytest.raises(ValueError, match="splits"):
        sources.load_source("fashion_mnist", "val")
