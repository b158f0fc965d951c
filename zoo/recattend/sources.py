"""Real instance-segmentation data for the recurrent attention model: MS-COCO's instances of one category, streamed
from tfds ``coco/2017_panoptic``.

The paper's own sets are not in tfds: CVPPP's leaves are not there at all, tfds's KITTI has boxes only, and tfds's
Cityscapes has semantic labels only (no instance ids). Its supplement also reports MS-COCO **zebras** (Table 1), and
COCO's panoptic annotations carry one mask per instance — the nearest tfds set, and the paper's own fourth setting.
Each example becomes the arrays the model trains on (those of :func:`zoo.data.scenes.scenes_to_arrays`): the image
resized to ``size`` × ``size``, one mask per instance of the category (crowd regions left out), largest first,
padded to ``max_instances``, their tight boxes and the instance count; images without an instance of the category,
or with more than ``max_instances``, are skipped.
"""
import tensorflow as tf

from zoo import extras
from zoo.data.sources import TfdsSource

DATASET = "coco/2017_panoptic"

COCO_THINGS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant",
    "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
    "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli",
    "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "dining table", "toilet",
    "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)
"""COCO's 80 thing categories in the order of their ids: the first 80 of the panoptic set's 133 labels."""


def category_label(category, source=None):
    """The panoptic label of ``category`` (a COCO thing name): its place in the data set's label names when tfds
    knows them, else in :data:`COCO_THINGS`."""
    names = []
    if source is not None:
        names = list(source.builder.info.features["panoptic_objects"]["label"].names)
    if category in names:
        return names.index(category)
    if category not in COCO_THINGS:
        raise ValueError(f"category must be a COCO thing category ({', '.join(COCO_THINGS[:5])}, ...), "
                         f"got {category!r}")
    return COCO_THINGS.index(category)


def coco_instances(split="train", category="zebra", size=224, max_instances=10, shuffle_seed=None,
                   input_context=None, data_dir=None, download=False):
    """A ``tf.data.Dataset`` of the images of ``split`` holding instances of ``category``: dicts of ``images``
    uint8 ``(size, size, 3)``, ``masks`` bool ``(max_instances, size, size)``, ``boxes`` int32
    ``(max_instances, 4)`` (``y0, x0, y1, x1``, ends exclusive), ``num_objects`` int32 and ``index`` (the
    image's position in the split). ``shuffle_seed`` and ``input_context`` as in
    :meth:`zoo.data.sources.Source.examples`; batch, repeat and prefetch it as a training loop needs."""
    tfds = extras.require("tensorflow_datasets", "tfds", "MS-COCO instances from tfds")

    source = TfdsSource(DATASET, split, data_dir=data_dir, download=download)
    label = category_label(category, source)
    decoders = {"image": tfds.decode.SkipDecoding(), "panoptic_image": tfds.decode.SkipDecoding()}
    ds = source.read(shuffle_seed, input_context, decoders)

    def wanted(example):
        objects = example["panoptic_objects"]
        count = tf.reduce_sum(tf.cast((objects["label"] == label) & ~objects["is_crowd"], tf.int32))
        return (count > 0) & (count <= max_instances)

    def arrays(example):
        return {**instance_arrays(example, label, size, max_instances),
                "index": source.example_index(example["tfds_id"])}

    return ds.filter(wanted).map(arrays, num_parallel_calls=tf.data.AUTOTUNE)


def instance_arrays(example, label, size, max_instances):
    """The arrays of :func:`coco_instances` from one tfds ``coco/2017_panoptic`` example whose ``image`` and
    ``panoptic_image`` are still encoded: an instance's mask is where the panoptic image's id
    (R + 256·G + 256²·B) is its segment id."""
    image = tf.image.decode_jpeg(example["image"], channels=3)
    panoptic = tf.cast(tf.io.decode_png(example["panoptic_image"], channels=3), tf.int64)
    ids = panoptic[..., 0] + 256 * panoptic[..., 1] + 65536 * panoptic[..., 2]
    objects = example["panoptic_objects"]
    segments = tf.boolean_mask(objects["id"], (objects["label"] == label) & ~objects["is_crowd"])
    masks = tf.equal(ids[tf.newaxis], tf.cast(segments, tf.int64)[:, tf.newaxis, tf.newaxis])
    masks = tf.image.resize(tf.cast(masks, tf.float32)[..., tf.newaxis], (size, size), method="nearest")[..., 0] > 0.5
    areas = tf.reduce_sum(tf.cast(masks, tf.int32), axis=[1, 2])
    order = tf.argsort(areas, direction="DESCENDING", stable=True)
    masks = tf.gather(masks, order)[:max_instances]
    count = tf.shape(masks)[0]
    padded = tf.pad(masks, [[0, max_instances - count], [0, 0], [0, 0]])
    resized = tf.image.resize(image, (size, size), antialias=True)
    return {"images": tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8),
            "masks": tf.ensure_shape(padded, (max_instances, size, size)),
            "boxes": tf.ensure_shape(_boxes(padded), (max_instances, 4)),
            "num_objects": tf.cast(count, tf.int32)}


def _boxes(masks):
    """Tight ``(y0, x0, y1, x1)`` boxes (ends exclusive; zeros for an empty mask) of masks ``(M, H, W)``."""
    def extent(occupied):  # (M, L) bool -> first and one-past-last occupied position
        positions = tf.range(tf.shape(occupied)[1])
        first = tf.reduce_min(tf.where(occupied, positions, tf.shape(occupied)[1]), axis=1)
        last = tf.reduce_max(tf.where(occupied, positions + 1, 0), axis=1)
        return tf.where(last > 0, first, 0), last

    y0, y1 = extent(tf.reduce_any(masks, axis=2))
    x0, x1 = extent(tf.reduce_any(masks, axis=1))
    return tf.cast(tf.stack([y0, x0, y1, x1], axis=1), tf.int32)
