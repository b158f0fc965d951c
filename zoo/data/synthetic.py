"""Synthetic image-classification data sets written as real tfds data sets (sharded TFRecord files and metadata),
for the input-pipeline benchmark and the tests that read files: the same reading path as a downloaded data set,
with no download."""
import numpy as np

from zoo import extras


def write_images(data_dir, name, num_examples, image_size, num_classes=10, channels=3, encoding="jpeg",
                 num_shards=4, seed=0):
    """Write ``num_examples`` random images to a tfds data set ``name`` (version 1.0.0, split ``train``) under
    ``data_dir`` and return its :class:`~zoo.data.sources.TfdsSource`.

    Args:
        image_size: ``(H, W)`` of every image, or ``((H_min, H_max), (W_min, W_max))`` for sizes drawn per image
            (the tfds image feature then has a variable size).
        num_classes: labels are drawn uniformly from ``0 … num_classes − 1``.
        channels: 1 or 3.
        encoding: ``"jpeg"`` or ``"png"`` (how tfds stores the images).
        num_shards: TFRecord files.
        seed: seed of the pixels, sizes and labels.

    The pixels are smooth colour gradients with noise, so the files compress about as photographs do.
    """
    tfds = extras.require("tensorflow_datasets", "tfds", "synthetic tfds data sets")

    variable = isinstance(image_size[0], (tuple, list))
    shape = (None, None, channels) if variable else (*image_size, channels)
    features = tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=shape, encoding_format=encoding),
        "label": tfds.features.ClassLabel(num_classes=num_classes),
    })
    rng = np.random.default_rng(seed)

    def examples():
        for i in range(num_examples):
            size = [int(rng.integers(lo, hi + 1)) for lo, hi in image_size] if variable else image_size
            yield i, {"image": _picture(rng, size, channels), "label": int(rng.integers(num_classes))}

    tfds.dataset_builders.store_as_tfds_dataset(
        name, "1.0.0", features, {"train": examples()}, data_dir=str(data_dir),
        download_config=tfds.download.DownloadConfig(num_shards=num_shards))
    from zoo.data.sources import TfdsSource

    return TfdsSource(name, "train", data_dir=str(data_dir))


def _picture(rng, size, channels):
    height, width = size
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    cols = np.linspace(0.0, 1.0, width)[None, :, None]
    colour = rng.uniform(0, 255, (2, 2, channels))
    image = (colour[0, 0] * (1 - rows) * (1 - cols) + colour[0, 1] * (1 - rows) * cols
             + colour[1, 0] * rows * (1 - cols) + colour[1, 1] * rows * cols)
    image += rng.normal(0, 12, (height, width, channels))
    return np.clip(image, 0, 255).astype(np.uint8)
