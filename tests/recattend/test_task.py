"""The recurrent attention task contract on the shipped weight: scene files in, instances out (the same computation
the export serves), SBD on the embedded sample, golden outputs, checked inputs, a TensorFlow-only export; and
inference on the model's outputs (instance_map) against hand-made cases."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import registry, tasks
from zoo.data import samples
from zoo.data import scenes as scenes_lib
from zoo.recattend import plots, training
from zoo.recattend.task import TASK, InstanceSegmentationTask, full_test_scenes, sample_scenes

NAME = "recattend.fmnist_scenes"


@pytest.fixture(scope="module")
def loaded():
    return registry.get_weight_spec(NAME), zoo.load(NAME)


@pytest.fixture(scope="module")
def serve(loaded):
    """The served function (traced once for the module)."""
    weight, model = loaded
    return TASK.serving(model, weight).function


@pytest.fixture(scope="module")
def scene_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scenes")
    images = sample_scenes(2)["images"]
    paths = []
    for i, image in enumerate(images):
        paths.append(directory / f"scene{i}.png")
        paths[-1].write_bytes(tf.io.encode_png(image).numpy())
    return paths, images


def _missing(split):
    raise FileNotFoundError(f"no Fashion-MNIST {split} split")


def test_the_family_finds_its_task():
    assert registry.get_task("recattend") is TASK and isinstance(TASK, InstanceSegmentationTask)


def test_instance_map_keeps_steps_until_the_first_low_score_and_gives_each_pixel_to_the_largest_mask():
    masks = np.zeros((3, 3, 1, 4), np.float32)
    masks[:, 0, 0] = [0.9, 0.9, 0.2, 0.0]
    masks[:, 1, 0] = [0.8, 0.95, 0.9, 0.0]
    masks[:, 2, 0] = [0.1, 0.2, 0.95, 0.6]
    scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.3, 0.9], [0.2, 0.9, 0.9]], np.float32)
    labels = training.instance_map(masks, scores).numpy()
    np.testing.assert_array_equal(labels[0, 0], [1, 2, 3, 3])  # every step kept: the largest mask above 0.5 wins
    np.testing.assert_array_equal(labels[1, 0], [1, 1, 0, 0])  # step 1 stops inference: step 2 is never kept
    np.testing.assert_array_equal(labels[2, 0], [0, 0, 0, 0])  # the first step stops it: nothing
    ties = training.instance_map(np.ones((1, 2, 1, 1), np.float32), np.ones((1, 2), np.float32)).numpy()
    assert ties[0, 0, 0] == 1  # ties go to the earliest step
    found, kept = training.instances_of(np.array([[1, 3, 0, 3]]), scores[0])
    assert kept.tolist() == pytest.approx([0.9, 0.7])  # step 1 owns no pixel: dropped
    np.testing.assert_array_equal(found, [[[True, False, False, False]], [[False, True, False, True]]])


def test_read_inputs_reads_scenes_and_reports_conversions(loaded, scene_files, tmp_path):
    weight, _ = loaded
    paths, images = scene_files
    notes = []
    np.testing.assert_array_equal(TASK.read_inputs(paths, weight, say=notes.append)["images"], images)
    assert notes == []
    big = tmp_path / "big.png"
    big.write_bytes(tf.io.encode_png(np.zeros((128, 96, 4), np.uint8)).numpy())
    assert TASK.read_inputs([big], weight, say=notes.append)["images"].shape == (1, 64, 64, 3)
    assert any("alpha" in n for n in notes) and any("resized 96×128 to 64×64 pixels (aspect ratio changed)" in n
                                                     for n in notes)
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(ValueError, match="bad.png is not a PNG"):
        TASK.read_inputs([tmp_path / "bad.png"], weight)
    with pytest.raises(ValueError, match="at least one"):
        TASK.read_inputs([], weight)


def test_predict_is_segment_on_what_the_export_serves(loaded, serve, scene_files, tmp_path):
    weight, model = loaded
    paths, images = scene_files
    prediction = TASK.predict(model, TASK.read_inputs(paths, weight), weight)
    served = serve(images=tf.constant(images))
    for found, label_map, scores, (masks, kept) in zip(prediction.instances, served["instances"].numpy(),
                                                       served["scores"].numpy(), training.segment(model, images)):
        assert [i.score for i in found] == pytest.approx(kept.tolist())
        assert len(found) == len(masks) > 0
        for instance, mask in zip(found, masks):
            np.testing.assert_array_equal(instance.mask, mask)
            rows, cols = np.nonzero(mask)
            assert instance.area == mask.sum()
            assert instance.box == (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
        assert set(np.unique(label_map)) - {0} == {k + 1 for k in range(len(scores)) if (label_map == k + 1).any()}
    text = "\n".join(prediction.lines())
    assert "scene1.png: " in text and "score" in text and "box (y0, x0, y1, x1)" in text
    written = prediction.save(tmp_path)
    assert [p.name for p in written] == ["scene0.instances.png", "scene1.instances.png"]
    assert tf.io.decode_png(written[1].read_bytes()).shape[:2] == (256, 256)


def test_evaluate_on_the_sample_is_near_the_recorded_test_value(loaded):
    weight, model = loaded
    measured = TASK.evaluate(model, weight)
    assert measured.examples == 64 and "embedded" in measured.data
    assert abs(measured.value - weight.metrics["sbd"]) < 0.05
    assert TASK.headline_spec(weight)["metric"] in weight.metrics


def test_full_evaluation_without_the_test_split_says_how_to_get_it(loaded, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    monkeypatch.setattr(scenes_lib, "load_source", _missing)
    weight, model = loaded
    with pytest.raises(tasks.MissingDataError, match="apt-get install dataset-fashion-mnist"):
        TASK.evaluate(model, weight, full=True)


def test_full_test_scenes_are_built_once_then_cached(monkeypatch, tmp_path):
    images, labels, _ = samples.load_sample()
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    monkeypatch.setattr(scenes_lib, "load_source", lambda split: (images, labels))
    built = full_test_scenes(3, seed=7)
    expected = scenes_lib.scenes_to_arrays(
        scenes_lib.make_scenes(3, seed=7, config=training.SCENES, source=(images, labels)), 4)
    assert set(built) == {"images", "masks", "num_objects"}
    for key in built:
        np.testing.assert_array_equal(built[key], expected[key])
    monkeypatch.setattr(scenes_lib, "load_source", _missing)
    np.testing.assert_array_equal(full_test_scenes(3, seed=7)["masks"], built["masks"])


def test_golden_outputs_are_raw_and_reproduced_by_a_second_load(loaded):
    weight, model = loaded
    inputs = TASK.golden_inputs(weight)
    first = TASK.golden_outputs(model, inputs, weight)
    assert first.shape == (2, 5 + 5 * 6 + 5 * 8) and np.all(np.isfinite(first))
    np.testing.assert_allclose(TASK.golden_outputs(zoo.load(NAME), inputs, weight), first, atol=1e-5)
    assert "embedded" in TASK.golden_description(weight)


def test_served_function_rejects_a_wrong_shape_naming_the_input(loaded, serve):
    weight, model = loaded
    for bad in (np.zeros((1, 32, 32, 3), np.uint8), np.zeros((1, 64, 64), np.uint8)):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be uint8 RGB scenes of shape "
                                                                 r"\(N, 64, 64, 3\)"):
            serve(images=tf.constant(bad))
    with pytest.raises(ValueError, match="export options"):
        TASK.serving(model, weight, architecture="x")


def test_instance_overlay_tints_masks_and_outlines_boxes():
    image = np.full((4, 4, 3), 90, np.uint8)
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 0, 0] = masks[1, 3, 3] = True
    overlay = plots.instance_overlay(image, masks, [(0, 0, 2, 2), (3, 3, 4, 4)], scale=2, alpha=1.0)
    assert overlay.shape == (8, 8, 3) and overlay.dtype == np.uint8
    np.testing.assert_array_equal(overlay[1, 1], plots.instance_colour(0)[1])  # inside the mask
    np.testing.assert_array_equal(overlay[3, 0], plots.instance_colour(0)[1])  # the box's left edge
    np.testing.assert_array_equal(overlay[2, 2], [90, 90, 90])  # inside the box, outside the mask
    np.testing.assert_array_equal(overlay[6, 6], plots.instance_colour(1)[1])
    with pytest.raises(ValueError, match="masks must be"):
        plots.instance_overlay(image, masks[:, :2])
    with pytest.raises(ValueError, match="boxes must be"):
        plots.instance_overlay(image, masks, [(0, 0, 1, 1)])
