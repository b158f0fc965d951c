"""Real segmentation data for SBNet: Cityscapes street scenes with per-pixel labels, streamed from tfds
``cityscapes/semantic_segmentation`` (a manual download: ``leftImg8bit_trainvaltest.zip`` and
``gtFine_trainvaltest.zip`` in tfds's manual directory).

The paper's masks come from driving data: a road map (75% sparse) and a PSPNet foreground prediction (90% sparse)
over LiDAR bird's-eye views. No LiDAR set with road maps is in tfds; Cityscapes is the nearest — street scenes whose
fine labels give both of the paper's masks on camera images: ``road`` (the road class, as the road prior) and
``foreground`` (the eight object classes person … bicycle, which a PSPNet-style mask network learns to predict).
Labels are Cityscapes' 19 training ids (255 where a pixel is ignored in evaluation).
"""
import numpy as np
import tensorflow as tf

from zoo import extras
from zoo.data.sources import TfdsSource

DATASET = "cityscapes/semantic_segmentation"

TRAIN_IDS = np.full(256, 255, np.uint8)
TRAIN_IDS[[7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]] = np.arange(19)
"""Cityscapes label id → training id (0 road … 18 bicycle; 255: void classes, ignored)."""

CLASS_NAMES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
               "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle",
               "bicycle")
"""The 19 training classes, by training id."""

ROAD = 0
FOREGROUND = tuple(range(11, 19))
"""Training ids of the road mask and of the foreground mask (person, rider, car, truck, bus, train, motorcycle,
bicycle)."""


def cityscapes(split="train", size=(256, 512), shuffle_seed=None, input_context=None, data_dir=None):
    """A ``tf.data.Dataset`` of split ``split`` (``train``, ``validation`` or ``test``) resized to ``size``: dicts of
    ``images`` uint8 ``(H, W, 3)`` (bilinear, antialiased), ``labels`` int32 ``(H, W)`` training ids (nearest),
    ``road`` and ``foreground`` bool ``(H, W)`` and ``index``. ``shuffle_seed`` and ``input_context`` as in
    :meth:`zoo.data.sources.Source.examples`."""
    tfds = extras.require("tensorflow_datasets", "tfds", "Cityscapes street scenes from tfds")

    source = TfdsSource(DATASET, split, data_dir=data_dir, image_key="image_left")
    decoders = {"image_left": tfds.decode.SkipDecoding(), "segmentation_label": tfds.decode.SkipDecoding()}
    ds = source.read(shuffle_seed, input_context, decoders)
    return ds.map(lambda ex: {**segmentation_arrays(ex["image_left"], ex["segmentation_label"], size),
                              "index": source.example_index(ex["tfds_id"])},
                  num_parallel_calls=tf.data.AUTOTUNE)


def segmentation_arrays(image, label_ids, size):
    """The arrays of :func:`cityscapes` from an encoded image and its encoded label-id image (PNG)."""
    image = tf.image.resize(tf.io.decode_png(image, channels=3), size, antialias=True)
    ids = tf.image.resize(tf.io.decode_png(label_ids, channels=1), size, method="nearest")[..., 0]
    labels = tf.cast(tf.gather(tf.constant(TRAIN_IDS), tf.cast(ids, tf.int32)), tf.int32)
    foreground = (labels >= FOREGROUND[0]) & (labels <= FOREGROUND[-1])
    return {"images": tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), "labels": labels,
            "road": labels == ROAD, "foreground": foreground}
