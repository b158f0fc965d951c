"""Glyphs: determinism, disjoint class splits, geometry helpers against direct formulas, class structure."""
import numpy as np
import pytest

from zoo.data import glyphs


def test_same_seed_same_images_and_subsets_reproduce_on_their_own():
    a_images, a_labels = glyphs.make_glyphs("val", num_classes=6, examples_per_class=3, seed=7)
    b_images, b_labels = glyphs.make_glyphs("val", num_classes=3, examples_per_class=3, seed=7)
    np.testing.assert_array_equal(a_images[:9], b_images)
    np.testing.assert_array_equal(a_labels[:9], b_labels)
    c_images, _ = glyphs.make_glyphs("val", num_classes=3, examples_per_class=3, seed=8)
    assert not np.array_equal(b_images, c_images)
    assert a_images.dtype == np.uint8 and a_images.shape == (18, 28, 28)


def test_splits_are_disjoint_class_ranges_with_over_a_thousand_classes():
    ranges = sorted(glyphs.SPLITS.values())
    assert sum(end - start for start, end in ranges) >= 1000
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ranges, ranges[1:]))
    _, labels = glyphs.make_glyphs("test", num_classes=2, examples_per_class=2)
    assert set(labels) == {glyphs.SPLITS["test"][0], glyphs.SPLITS["test"][0] + 1}


def test_bezier_interpolates_its_end_points_and_matches_the_bernstein_form():
    points = np.array([[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.9, 0.9]])
    curve = glyphs._bezier(points, samples=11)
    t = np.linspace(0, 1, 11)[:, None]
    bernstein = ((1 - t) ** 3 * points[0] + 3 * (1 - t) ** 2 * t * points[1] + 3 * (1 - t) * t ** 2 * points[2]
                 + t ** 3 * points[3])
    np.testing.assert_allclose(curve, bernstein, atol=1e-12)


def test_distance_to_segments_matches_dense_sampling_of_the_segments():
    rng = np.random.default_rng(0)
    points, starts, ends = rng.uniform(0, 10, (50, 2)), rng.uniform(0, 10, (4, 2)), rng.uniform(0, 10, (4, 2))
    samples = starts[:, None] + np.linspace(0, 1, 20001)[None, :, None] * (ends - starts)[:, None]
    brute = np.sqrt(((points[:, None, None] - samples[None]) ** 2).sum(-1)).min(axis=(1, 2))
    np.testing.assert_allclose(glyphs._distance_to_segments(points, starts, ends), brute, atol=1e-3)


def test_renderings_of_a_class_resemble_each_other_more_than_other_classes():
    images, labels = glyphs.make_glyphs("train", num_classes=30, examples_per_class=6, seed=3)
    x = images.reshape(len(images), -1).astype(np.float64)
    assert 5 < x.mean() < 80  # ink on a dark background, neither empty nor filled
    rng = np.random.default_rng(0)
    correct = []
    for _ in range(100):  # 5-way 1-shot nearest neighbour on raw pixels
        classes = rng.choice(30, 5, replace=False)
        picks = [rng.permutation(6)[:2] + 6 * c for c in classes]
        support = x[[p[0] for p in picks]]
        for label, p in enumerate(picks):
            correct.append(np.argmin(((support - x[p[1]]) ** 2).sum(1)) == label)
    assert np.mean(correct) > 0.4  # chance is 0.2


@pytest.mark.parametrize("kwargs", [dict(split="dev"), dict(split="train", num_classes=0),
                                    dict(split="val", num_classes=201), dict(split="test", examples_per_class=0)])
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        glyphs.make_glyphs(**kwargs)


def test_bad_config_raises_value_error():
    with pytest.raises(ValueError, match="min_strokes"):
        glyphs.GlyphConfig(min_strokes=0)
