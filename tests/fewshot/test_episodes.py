"""Episode sampler invariants: class counts, per-image label split, distractors outside the episode."""
import numpy as np
import pytest

from zoo.fewshot.episodes import EpisodeConfig, EpisodeSampler


def source(num_classes=20, per_class=30):
    labels = np.repeat(np.arange(num_classes) * 3 + 1, per_class)  # non-contiguous source labels
    images = np.arange(len(labels))[:, None, None] * np.ones((1, 4, 4))  # image i is filled with i
    return images, labels


@pytest.mark.parametrize("config", [EpisodeConfig(), EpisodeConfig(n_way=3, k_shot=5, n_query=2, n_unlabeled=15,
                                                                   n_distractor=2)])
def test_episode_contents(config):
    images, labels = source()
    sampler = EpisodeSampler(images, labels, config, label_ratio=0.4, seed=3)
    labeled = {i for part in sampler.labeled.values() for i in part}
    unlabeled = {i for part in sampler.unlabeled.values() for i in part}
    assert not labeled & unlabeled and len(labeled | unlabeled) == len(labels)
    for c in sampler.classes:  # the split is per image: every class has both parts
        assert len(sampler.labeled[c]) == 12 and len(sampler.unlabeled[c]) == 18
    for index in range(20):
        e = sampler.episode(index)
        n, k, q, m, h = config.n_way, config.k_shot, config.n_query, config.n_unlabeled, config.n_distractor
        assert e["support"].shape == (n * k, 4, 4, 1) and e["query"].shape[0] == n * q
        assert e["unlabeled"].shape[0] == (n + h) * m
        np.testing.assert_array_equal(np.bincount(e["support_labels"]), [k] * n)
        np.testing.assert_array_equal(np.bincount(e["query_labels"]), [q] * n)
        assert set(e["support_indices"]) | set(e["query_indices"]) <= labeled
        assert set(e["unlabeled_indices"]) <= unlabeled
        assert not set(e["support_indices"]) & set(e["query_indices"])
        assert not set(e["classes"]) & set(e["distractor_classes"]) and len(e["distractor_classes"]) == h
        for key in ("support", "query", "unlabeled"):  # labels agree with the source
            src = labels[e[f"{key}_indices"]]
            episode_labels = e[f"{key}_labels"]
            real = episode_labels >= 0
            np.testing.assert_array_equal(src[real], e["classes"][episode_labels[real]])
            assert set(src[~real]) <= set(e["distractor_classes"])
            np.testing.assert_array_equal(e[key][:, 0, 0, 0], e[f"{key}_indices"])


def test_episodes_are_a_pure_function_of_seed_and_index():
    images, labels = source()
    a, b = (EpisodeSampler(images, labels, label_ratio=0.4, seed=1) for _ in range(2))
    np.testing.assert_array_equal(a.episode(5)["support_indices"], b.episode(5)["support_indices"])
    assert not np.array_equal(a.episode(5)["unlabeled_indices"], a.episode(6)["unlabeled_indices"])


def test_too_small_sources_and_bad_arguments_raise_value_error():
    images, labels = source(num_classes=8, per_class=10)
    with pytest.raises(ValueError, match="distractor classes"):
        EpisodeSampler(images, labels, EpisodeConfig(n_way=5, n_distractor=5), label_ratio=0.5)
    with pytest.raises(ValueError, match="labeled images"):
        EpisodeSampler(images, labels, EpisodeConfig(n_way=3, k_shot=5, n_query=5, n_distractor=0), label_ratio=0.5)
    with pytest.raises(ValueError, match="label_ratio"):
        EpisodeSampler(images, labels, label_ratio=0.0)
    with pytest.raises(ValueError, match="n_way"):
        EpisodeConfig(n_way=0)
