"""SBNet's segmentation metrics and scenes as library code: the confusion matrix and mean IoU against Keras and
numpy, the sample scenes from the embedded slice, the cached test scenes, and the class-map overlay."""
import keras
import numpy as np
import pytest

from zoo.data import samples
from zoo.data import scenes as scenes_lib
from zoo.sbnet import evaluation, plots, segmenter

TINY = dict(input_shape=(32, 32, 3), stem_width=8, mask_widths=(4, 4, 4),
            stages=(dict(width=8, units=1, block_size=5),
                    dict(width=16, units=2, block_size=5, stride=2, strided_block_size=7)))


@pytest.fixture
def embedded_source(monkeypatch):
    """Fashion-MNIST splits replaced by the embedded slice, so no data set is needed."""
    images, labels, _ = samples.load_sample()
    monkeypatch.setattr(scenes_lib, "load_source", lambda split: (images, labels))


def test_mean_iou_is_keras_mean_iou_and_the_other_metrics_follow_the_confusion_matrix():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, size=(3, 16, 16))
    predicted = np.where(rng.uniform(size=truth.shape) < 0.7, truth, rng.integers(0, 5, size=truth.shape))
    predicted[predicted == 3] = 4  # class 3 is never predicted; class 5 never occurs: it must not count
    confusion = np.bincount((truth * 6 + predicted).ravel(), minlength=36).reshape(6, 6)
    reference = keras.metrics.MeanIoU(6)
    reference.update_state(truth, predicted)
    result = evaluation.segmentation_metrics(confusion)
    assert result["mean_iou"] == pytest.approx(float(reference.result()), abs=1e-6)
    assert result["pixel_accuracy"] == pytest.approx(np.mean(truth == predicted))
    foreground = truth > 0
    assert result["foreground_pixel_accuracy"] == pytest.approx(np.mean(truth[foreground] == predicted[foreground]))
    both = np.sum(foreground & (predicted > 0))
    assert result["foreground_iou"] == pytest.approx(both / np.sum(foreground | (predicted > 0)))


@pytest.mark.parametrize("sparse", [True, False])
def test_evaluate_counts_every_pixel_and_the_mask_statistics(sparse):
    keras.utils.set_random_seed(0)
    model = segmenter.build_segnet(sparse=sparse, **TINY)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 11, size=(5, 32, 32)).astype(np.int32)
    confusion, stats = evaluation.evaluate(model, images, labels, batch_size=2)
    outputs = model(images, training=False)
    predicted = np.argmax(outputs["logits"], axis=-1)
    expected = np.bincount((labels * 11 + predicted).ravel(), minlength=121).reshape(11, 11)
    np.testing.assert_array_equal(confusion, expected)
    if not sparse:
        assert stats == {}
        return
    mask = np.asarray(outputs["mask"]) > 0
    assert stats["mask_density"] == pytest.approx(mask.mean())
    assert stats["foreground_covered"] == pytest.approx(np.sum(mask & (labels > 0)) / np.sum(labels > 0))
    active, per_image = evaluation.first_unit_blocks(model, outputs["mask"])
    assert stats["block_density"] == pytest.approx(active / (per_image * 5))


def test_sample_scenes_come_from_the_embedded_slice_without_any_data_set(monkeypatch):
    def missing(split):
        raise FileNotFoundError(split)

    monkeypatch.setattr(scenes_lib, "load_source", missing)
    images, labels = evaluation.sample_scenes(3)
    assert images.shape == (3, 256, 256, 3) and images.dtype == np.uint8
    assert labels.shape == (3, 256, 256) and 0 <= labels.min() and labels.max() <= 10
    assert (labels > 0).any(axis=(1, 2)).all()
    again, _ = evaluation.sample_scenes(2)
    np.testing.assert_array_equal(again, images[:2])  # a scene does not depend on how many were asked for
    assert ((labels > 0) <= (images.max(axis=-1) > 0)).all()  # labelled pixels are painted


def test_scene_batch_starts_anywhere_in_the_sequence(embedded_source):
    images, labels = evaluation.scene_batch("test", 4, 0, 3)
    later_images, later_labels = evaluation.scene_batch("test", 4, 1, 2)
    np.testing.assert_array_equal(later_images, images[1:])
    np.testing.assert_array_equal(later_labels, labels[1:])


def test_full_test_scenes_are_built_once_then_read_from_the_cache(embedded_source, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    images, labels = evaluation.full_test_scenes(3, seed=5)
    expected_images, expected_labels = evaluation.scene_batch("test", 5, 0, 3)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == np.uint8 and len(list((tmp_path / "data").glob("sbnet-test-scenes-*.npz"))) == 1

    def missing(split):
        raise FileNotFoundError(split)

    monkeypatch.setattr(scenes_lib, "load_source", missing)
    cached_images, _ = evaluation.full_test_scenes(3, seed=5)
    np.testing.assert_array_equal(cached_images, images)
    with pytest.raises(FileNotFoundError):
        evaluation.full_test_scenes(3, seed=6)


def test_class_overlay_tints_classes_and_outlines_the_mask():
    image = np.full((8, 8, 3), 100, np.uint8)
    classes = np.zeros((8, 8), np.int64)
    classes[2:4, 2:4] = 5
    mask = np.zeros((8, 8))
    mask[1:6, 1:6] = 1
    overlay = plots.class_overlay(image, classes, mask, alpha=1.0)
    assert overlay.shape == (8, 8, 3) and overlay.dtype == np.uint8
    np.testing.assert_array_equal(overlay[2, 2], plots.CLASS_COLOURS[5][1])
    np.testing.assert_array_equal(overlay[7, 7], [100, 100, 100])  # background: the image in grey
    edge = plots.outline(mask)
    assert edge[1, 1:6].all() and edge[5, 1:6].all() and not edge[2:5, 2:5].any() and edge.sum() == 16
    np.testing.assert_array_equal(overlay[1, 3], plots.MASK_OUTLINE)
    with pytest.raises(ValueError, match="same size"):
        plots.class_overlay(image, classes[:4])
    with pytest.raises(ValueError, match="classes must be in"):
        plots.class_overlay(image, classes + 20)
