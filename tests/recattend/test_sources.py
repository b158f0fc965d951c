"""MS-COCO instances of a category from tfds coco/2017_panoptic, through a mocked data set of known panoptic
images."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.recattend import sources

ZEBRA, PERSON = sources.COCO_THINGS.index("zebra"), sources.COCO_THINGS.index("person")


def _example(k, segments):
    """A 40×60 image whose panoptic image holds ``segments``: ``(id, label, crowd, rows, cols)``."""
    ids = np.zeros((40, 60), np.int64)
    for segment_id, _, _, rows, cols in segments:
        ids[rows, cols] = segment_id
    panoptic = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)
    image = np.full((40, 60, 3), 30 * k, np.uint8)
    return {"image": tf.io.encode_jpeg(image).numpy(), "panoptic_image": tf.io.encode_png(panoptic).numpy(),
            "panoptic_objects": {"id": np.array([s[0] for s in segments], np.int64),
                                 "label": np.array([s[1] for s in segments], np.int64),
                                 "is_crowd": np.array([s[2] for s in segments], bool)},
            "tfds_id": f"coco-train.tfrecord-00000-of-00001__{k}"}


EXAMPLES = [
    _example(0, [(1000, ZEBRA, False, slice(0, 20), slice(0, 30)), (2000, ZEBRA, False, slice(30, 40), slice(51, 60)),
                 (3000, ZEBRA, True, slice(20, 30), slice(0, 10)),
                 (4000, PERSON, False, slice(20, 40), slice(20, 40))]),
    _example(1, [(4000, PERSON, False, slice(0, 40), slice(0, 60))]),  # no zebra: skipped
    _example(2, [(i + 1, ZEBRA, False, slice(i, i + 1), slice(0, 60)) for i in range(5)]),  # 5 zebras
]


def _as_dataset(self, split, decoders=None, read_config=None, shuffle_files=False):
    objects = {"id": tf.TensorSpec((None,), tf.int64), "label": tf.TensorSpec((None,), tf.int64),
               "is_crowd": tf.TensorSpec((None,), tf.bool)}
    signature = {"image": tf.TensorSpec((), tf.string), "panoptic_image": tf.TensorSpec((), tf.string),
                 "panoptic_objects": objects, "tfds_id": tf.TensorSpec((), tf.string)}
    return tf.data.Dataset.from_generator(lambda: iter(EXAMPLES), output_signature=signature)


def _instances(**kwargs):
    with tfds.testing.mock_data(as_dataset_fn=_as_dataset):
        return [{k: v.numpy() for k, v in ex.items()} for ex in sources.coco_instances(size=20, **kwargs)]


def test_each_instance_of_the_category_is_a_mask_largest_first_without_crowds():
    first, many = _instances(max_instances=5)
    assert [first["index"], many["index"]] == [0, 2] and first["num_objects"] == 2 and many["num_objects"] == 5
    assert first["images"].shape == (20, 20, 3) and first["images"].dtype == np.uint8
    masks, boxes = first["masks"], first["boxes"]
    assert masks.shape == (5, 20, 20) and masks.dtype == bool and not masks[2:].any()
    # 40×60 → 20×20: rows halve, columns shrink by 3; the 20×30 zebra is larger than the 10×10 one
    np.testing.assert_array_equal(boxes[:2], [[0, 0, 10, 10], [15, 17, 20, 20]])
    for mask, (y0, x0, y1, x1) in zip(masks[:2], boxes[:2]):
        assert mask[y0:y1, x0:x1].all() and mask.sum() == (y1 - y0) * (x1 - x0)
    assert (boxes[2:] == 0).all()


def test_images_with_more_instances_than_the_model_takes_are_skipped():
    assert [ex["index"] for ex in _instances(max_instances=4)] == [0]


def test_categories_are_coco_thing_names():
    assert sources.category_label("zebra") == 22 and len(sources.COCO_THINGS) == 80
    with pytest.raises(ValueError, match="COCO thing"):
        sources.category_label("leaf")
