"""Tests for the Fashion-MNIST scenes generator (zoo.data.scenes)."""
import dataclasses

import numpy as np
import pytest

from zoo.data import scenes as S
from zoo.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist

CONFIG = S.SceneConfig()
SMALL = S.SceneConfig(height=64, width=80, min_objects=2, max_objects=3, min_scale=0.9, max_scale=1.1)


@pytest.fixture(scope="module")
def source():
    images, labels = S.load_source("test")
    return images[:500], labels[:500]


@pytest.fixture(scope="module")
def scenes(source):
    return S.make_scenes(40, seed=3, source=source)


def assert_same_scene(a, b):
    for field in dataclasses.fields(S.Scene):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        else:
            assert x == y, field.name


def test_same_seed_is_bit_identical(source, scenes):
    again = S.make_scenes(5, seed=3, source=source)
    for a, b in zip(scenes[:5], again):  # scene i does not depend on the number requested
        assert_same_scene(a, b)
    assert_same_scene(S.generate_scene(S.scene_rng(3, 2), source), scenes[2])
    assert_same_scene(S.generate_scene(7, source), S.generate_scene(7, source))


def test_different_seed_differs(source, scenes):
    other = S.make_scenes(5, seed=4, source=source)
    assert any(not np.array_equal(a.image, b.image) for a, b in zip(scenes, other))
    assert not np.array_equal(scenes[0].image, scenes[1].image)


def test_shapes_and_dtypes(scenes):
    for s in scenes:
        k = s.num_objects
        assert s.image.shape == (96, 96, 3) and s.image.dtype == np.uint8
        assert s.masks.shape == (k, 96, 96) and s.masks.dtype == bool
        assert s.classes.shape == (k,) and s.classes.dtype == np.int64
        assert s.boxes.shape == (k, 4) and s.boxes.dtype == np.int32
        assert s.source_indices.shape == (k,) and s.source_indices.dtype == np.int64
        assert s.foreground.shape == (96, 96) and s.foreground.dtype == bool
        assert len(s.class_names) == len(s.colors) == k
        assert len(s.captions) >= 2 and all(isinstance(c, str) and c for c in s.captions)


def test_object_count_covers_config_range(scenes):
    counts = {s.num_objects for s in scenes}
    assert counts <= set(range(CONFIG.min_objects, CONFIG.max_objects + 1))
    assert len(counts) >= 4  # 40 scenes cover most of 1..6


def test_custom_config_is_respected(source):
    for s in S.make_scenes(8, seed=0, config=SMALL, source=source):
        assert s.image.shape == (64, 80, 3) and s.masks.shape[1:] == (64, 80)
        assert SMALL.min_objects <= s.num_objects <= SMALL.max_objects
        sizes = s.boxes[:, 2:] - s.boxes[:, :2]
        assert sizes.max() <= round(28 * SMALL.max_scale)


def test_masks_disjoint_cover_foreground_and_respect_occlusion(scenes):
    for s in scenes:
        assert s.masks.sum(0).max() <= 1
        assert np.array_equal(s.masks.any(0), s.foreground)
        visible = s.masks.sum((1, 2))
        assert (visible >= CONFIG.min_visible_pixels).all()
        assert (visible <= s.footprint_areas).all()
        assert (visible / s.footprint_areas >= 1 - CONFIG.max_occlusion - 1e-9).all()
        assert visible[-1] == s.footprint_areas[-1]  # the last article is never occluded


def test_no_occlusion_allowed(source):
    config = S.SceneConfig(max_objects=3, max_scale=1.0, max_occlusion=0.0)
    for s in S.make_scenes(5, seed=1, config=config, source=source):
        assert np.array_equal(s.masks.sum((1, 2)), s.footprint_areas)


def test_boxes_are_tight(scenes):
    for s in scenes:
        for mask, (y0, x0, y1, x1) in zip(s.masks, s.boxes):
            assert mask[y0:y1, x0:x1].sum() == mask.sum()
            assert mask[y0].any() and mask[y1 - 1].any() and mask[:, x0].any() and mask[:, x1 - 1].any()


@pytest.mark.parametrize("background", ["black", "grey"])
def test_background_outside_foreground(source, scenes, background):
    if background != "black":
        scenes = S.make_scenes(4, seed=0, config=S.SceneConfig(background=background), source=source)
    for s in scenes:
        assert (s.image[~s.foreground] == S.BACKGROUNDS[background]).all()
        assert background in s.captions[-1]


def test_instance_pixels_are_tinted_palette_colour(scenes):
    palette = dict(S.PALETTE)
    for s in scenes[:10]:
        for mask, color in zip(s.masks, s.colors):
            rgb = np.array(palette[color], float)
            pixels = s.image[mask].astype(float)
            alpha = pixels.max(1) / rgb.max()
            assert np.abs(pixels - alpha[:, None] * rgb).max() <= 1.0
            assert alpha.min() >= CONFIG.foreground_threshold - 1 / 255


def test_palette_is_fixed_and_distinct():
    assert S.COLOR_NAMES == ("red", "green", "blue", "yellow", "white", "orange", "purple", "cyan")
    rgbs = np.array([rgb for _, rgb in S.PALETTE], float)
    distances = np.linalg.norm(rgbs[:, None] - rgbs[None], axis=-1)
    assert distances[~np.eye(len(rgbs), dtype=bool)].min() > 60


def test_classes_match_source(source, scenes):
    images, labels = source
    for s in scenes:
        assert (s.source_indices >= 0).all() and (s.source_indices < len(images)).all()
        assert np.array_equal(s.classes, labels[s.source_indices])
        assert s.class_names == tuple(CLASS_NAMES[c] for c in s.classes)


@pytest.mark.parametrize("split,size", [("train", 60000), ("test", 10000)])
def test_splits_draw_from_their_own_fashion_mnist_split(split, size):
    images, labels = load_fashion_mnist(split)
    loaded = S.make_scenes(2, split=split, seed=11)
    explicit = S.make_scenes(2, seed=11, source=(images, labels))
    for a, b in zip(loaded, explicit):
        assert_same_scene(a, b)
        assert (a.source_indices < size).all()
        assert np.array_equal(a.classes, labels[a.source_indices])


def test_counting_caption_matches_scene(scenes):
    for s in scenes:
        expected = {}
        for color, label in zip(s.colors, s.classes):
            expected[(color, int(label))] = expected.get((color, int(label)), 0) + 1
        assert S.parse_counting_caption(s.captions[0]) == expected


def test_spatial_caption_matches_box_centres(scenes):
    checked = 0
    for s in scenes:
        keys = [(c, int(label)) for c, label in zip(s.colors, s.classes)]
        for caption in s.captions:
            if not any(f" {r} " in caption for r in S.RELATIONS):
                continue
            key_a, relation, key_b = S.parse_spatial_caption(caption)
            assert keys.count(key_a) == 1 and keys.count(key_b) == 1 and key_a != key_b
            (ya, xa), (yb, xb) = (S.box_center(s.boxes[keys.index(k)]) for k in (key_a, key_b))
            dy, dx = ya - yb, xa - xb
            assert {"to the left of": dx < 0 and abs(dx) > abs(dy),
                    "to the right of": dx > 0 and abs(dx) > abs(dy),
                    "above": dy < 0 and abs(dy) > abs(dx),
                    "below": dy > 0 and abs(dy) > abs(dx)}[relation], (caption, s.boxes)
            checked += 1
    assert checked >= 20


def test_background_caption(scenes):
    for s in scenes:
        if s.num_objects == 1:
            assert s.captions[-1] == f"{S.noun_phrase(s.colors[0], s.classes[0])} on a black background"
        else:
            assert s.captions[-1] == f"{S.number_word(s.num_objects)} objects on a black background"


def test_caption_grammar():
    assert S.noun_phrase("orange", 8) == "an orange bag"
    assert S.noun_phrase("red", 7, 2) == "two red sneakers"
    assert S.noun_phrase("white", 1, 3) == "three white pairs of trousers"
    assert S.noun_phrase("blue", 0) == "a blue t-shirt"
    assert S.counting_caption(["red", "blue", "red"], [7, 8, 7]) == "two red sneakers and a blue bag"
    assert S.counting_caption(["cyan", "red", "cyan", "green"], [3, 9, 3, 1]) == (
        "two cyan dresses, a red ankle boot and a green pair of trousers")
    assert S.spatial_relation((0, 0, 10, 10), (0, 20, 10, 30)) == "to the left of"
    assert S.spatial_relation((40, 0, 50, 10), (0, 0, 10, 10)) == "below"
    assert S.spatial_relation((0, 0, 10, 10), (10, 10, 20, 20)) is None


def test_scenes_to_arrays(scenes):
    batch = S.scenes_to_arrays(scenes[:6], max_objects=6)
    assert batch["images"].shape == (6, 96, 96, 3) and batch["masks"].shape == (6, 6, 96, 96)
    assert batch["classes"].dtype == np.int64 and batch["boxes"].shape == (6, 6, 4)
    for i, s in enumerate(scenes[:6]):
        k = s.num_objects
        assert batch["num_objects"][i] == k
        assert np.array_equal(batch["masks"][i, :k], s.masks) and not batch["masks"][i, k:].any()
        assert np.array_equal(batch["classes"][i, :k], s.classes) and (batch["classes"][i, k:] == -1).all()
        assert [S.COLOR_NAMES[c] for c in batch["colors"][i, :k]] == list(s.colors)
        assert np.array_equal(batch["boxes"][i, :k], s.boxes)
    big = max(scenes, key=lambda s: s.num_objects)
    with pytest.raises(ValueError, match="max_objects"):
        S.scenes_to_arrays([big], max_objects=big.num_objects - 1)


@pytest.mark.parametrize("field,value", [
    ("height", 0), ("width", -1), ("min_objects", 0), ("max_objects", 0), ("min_scale", 0.0), ("max_scale", 0.5),
    ("max_scale", 4.0), ("max_occlusion", 1.0), ("max_occlusion", -0.1), ("min_visible_pixels", 0),
    ("foreground_threshold", 1.0), ("background", "pink"), ("colors", ("red", "mauve")), ("colors", ()),
    ("max_attempts", 0), ("max_restarts", 0),
])
def test_bad_config_raises_naming_field(field, value):
    with pytest.raises(ValueError, match=field):
        S.SceneConfig(**{field: value})


def test_bad_split_and_source_raise(source):
    with pytest.raises(ValueError, match="split"):
        S.make_scenes(1, split="valid")
    with pytest.raises(ValueError, match="source"):
        S.generate_scene(0, (source[0][:3], source[1][:2]))
