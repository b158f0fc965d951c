"""Image preprocessing shared by training pipelines, evaluation, the CLI and SavedModel export.

A preprocessing *record* (stored with every pretrained weight) says how raw stored images become
model inputs, so that whoever serves a model applies exactly what training applied::

    {"input_shape": [28, 28, 1], "input_dtype": "uint8", "pad_to": 32, "scale": 1/255,
     "mean": [0.2860], "std": [0.3530]}
"""
import keras
import tensorflow as tf

# Per-channel statistics of the Fashion-MNIST training split in [0, 1] (measured on all 60,000 images).
FASHION_MNIST = {
    "input_shape": [28, 28, 1],
    "input_dtype": "uint8",
    "pad_to": 32,
    "scale": 1.0 / 255.0,
    "mean": [0.2860],
    "std": [0.3530],
}


def _pad_amounts(size, pad_to):
    total = pad_to - size
    return total // 2, total - total // 2


def pad_raw(images, pad_to):
    """Zero-pad raw images ``(N, H, W, C)`` symmetrically to ``pad_to`` × ``pad_to`` (zero = background)."""
    height, width = images.shape[1], images.shape[2]
    if pad_to is None or (height == pad_to and width == pad_to):
        return images
    if pad_to < height or pad_to < width:
        raise ValueError(f"pad_to={pad_to} is smaller than the image size {height}x{width}")
    top, bottom = _pad_amounts(height, pad_to)
    left, right = _pad_amounts(width, pad_to)
    return tf.pad(images, [[0, 0], [top, bottom], [left, right], [0, 0]])


def with_channel_axis(images, record):
    """Add the channel axis to ``(N, H, W)`` images when the record's input has one channel."""
    images = tf.convert_to_tensor(images)
    expected = list(record["input_shape"])
    if images.shape.rank == 3 and len(expected) == 3:
        images = images[..., tf.newaxis]
    if images.shape.rank != 4 or list(images.shape[1:]) != expected:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}), got {tuple(images.shape)}")
    return images


def normalise(images, record):
    """Scale and standardise already padded raw images to float32 model inputs."""
    x = tf.cast(images, tf.float32) * record["scale"]
    return (x - tf.constant(record["mean"], tf.float32)) / tf.constant(record["std"], tf.float32)


def preprocess(images, record=FASHION_MNIST):
    """Raw stored images ``(N, H, W[, C])`` → float32 model inputs (padded, scaled, standardised)."""
    images = with_channel_axis(images, record)
    return normalise(pad_raw(images, record.get("pad_to")), record)


def model_input_shape(record=FASHION_MNIST):
    """The (H, W, C) shape that :func:`preprocess` produces for ``record``."""
    height, width, channels = record["input_shape"]
    pad_to = record.get("pad_to")
    return (pad_to or height, pad_to or width, channels)


@keras.saving.register_keras_serializable(package="zoo")
class RawImagePreprocessing(keras.layers.Layer):
    """A weight's preprocessing as a layer: raw stored images in, model inputs out.

    Put in front of a model (``zoo.load(name, include_preprocessing=True)`` does), it lets a ``.keras`` file or
    a SavedModel carry its own preprocessing, so whoever uses it feeds images as the data set stores them.

    Args:
        record: a preprocessing record (see the module docstring): ``input_shape``, ``input_dtype``, ``scale``,
            ``mean``, ``std`` and optionally ``pad_to``.

    Input shape: ``(N, *record["input_shape"])`` (or ``(N, H, W)`` for one channel), any numeric dtype.
    Output shape: ``(N, *model_input_shape(record))``, float32.
    """

    def __init__(self, record, **kwargs):
        super().__init__(**kwargs)
        missing = {"input_shape", "scale", "mean", "std"} - set(record)
        if missing:
            raise ValueError(f"record lacks {sorted(missing)}: it must be a preprocessing record such as "
                             f"zoo.data.preprocessing.FASHION_MNIST")
        self.record = dict(record)

    def call(self, images):
        return tf.cast(preprocess(images, self.record), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *model_input_shape(self.record))

    def get_config(self):
        return {**super().get_config(), "record": self.record}
