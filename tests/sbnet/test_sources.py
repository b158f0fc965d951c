"""Cityscapes street scenes from tfds through mock data: sizes, training ids and the road and foreground masks."""
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.sbnet import sources


def test_label_ids_map_to_the_19_training_ids():
    assert sources.TRAIN_IDS[7] == 0 and sources.TRAIN_IDS[26] == 13 and sources.TRAIN_IDS[33] == 18
    assert sources.TRAIN_IDS[0] == sources.TRAIN_IDS[9] == 255 and (sources.TRAIN_IDS < 255).sum() == 19
    assert sources.CLASS_NAMES[sources.ROAD] == "road"
    assert [sources.CLASS_NAMES[i] for i in sources.FOREGROUND][::7] == ["person", "bicycle"]


def test_segmentation_arrays_resize_and_mask():
    ids = np.full((8, 16, 1), 7, np.uint8)  # road
    ids[:, 8:] = 26  # car
    ids[:2] = 0  # unlabeled
    image = np.zeros((8, 16, 3), np.uint8)
    out = sources.segmentation_arrays(tf.io.encode_png(image), tf.io.encode_png(ids), (4, 8))
    labels = out["labels"].numpy()
    assert out["images"].shape == (4, 8, 3) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels[1:], np.repeat([[0] * 4 + [13] * 4], 3, axis=0))
    assert (labels[0] == 255).all()
    np.testing.assert_array_equal(out["road"].numpy(), labels == 0)
    np.testing.assert_array_equal(out["foreground"].numpy(), labels == 13)


def test_cityscapes_streams_through_tfds():
    with tfds.testing.mock_data(num_examples=3):
        examples = list(sources.cityscapes("validation", size=(16, 32)))
    assert len(examples) == 3 and examples[0]["images"].shape == (16, 32, 3)
    assert examples[0]["labels"].shape == (16, 32) and sorted(int(e["index"]) for e in examples) == [0, 1, 2]
