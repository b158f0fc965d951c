"""Training data by name: Fashion-MNIST from local IDX files, or any image-classification tfds data set."""
import numpy as np

from zoo.data import fashion_mnist, preprocessing


def load_classification_data(name, split, download=False):
    """``(images uint8 (N, H, W, C), labels int64 (N,))`` of data set ``name``.

    ``fashion_mnist`` is read from local IDX files (:mod:`zoo.data.fashion_mnist`); any other name goes to
    ``tfds.load(name, split=split, as_supervised=True, download=download)``.
    """
    if name == "fashion_mnist":
        images, labels = fashion_mnist.load_fashion_mnist(split, download=download)
        return images[..., None], labels
    import tensorflow_datasets as tfds

    batches = list(tfds.as_numpy(tfds.load(name, split=split, as_supervised=True, download=download).batch(4096)))
    if not batches:
        raise ValueError(f"tfds data set {name!r} split {split!r} is empty")
    images, labels = (np.concatenate(parts) for parts in zip(*batches))
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"tfds data set {name!r} must give uint8 images (N, H, W, C), got {images.dtype} {images.shape}")
    return images, labels.astype(np.int64)


def preprocessing_record(name, train_images):
    """The preprocessing record for data set ``name``: the fixed Fashion-MNIST one, else per-channel
    statistics of ``train_images`` and padding of 28×28 inputs to 32×32."""
    if name == "fashion_mnist":
        return dict(preprocessing.FASHION_MNIST)
    scaled = train_images.astype(np.float64) / 255.0
    height, width, channels = train_images.shape[1:]
    return {
        "input_shape": [int(height), int(width), int(channels)],
        "input_dtype": "uint8",
        "pad_to": 32 if (height, width) == (28, 28) else None,
        "scale": 1.0 / 255.0,
        "mean": [round(float(m), 4) for m in scaled.mean(axis=(0, 1, 2))],
        "std": [round(float(s), 4) for s in scaled.std(axis=(0, 1, 2))],
    }
