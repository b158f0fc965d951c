"""The embedded slice of the Fashion-MNIST test split (written by :func:`write_sample`, through
``tools/zoo/make_sample.py``)."""
import pathlib

import numpy as np

SAMPLE_PATH = pathlib.Path(__file__).with_name("fashion_mnist_test_slice.npz")


def load_sample():
    """The embedded test slice: ``(images uint8 (N, 28, 28), labels int64 (N,), indices int64 (N,))``.

    ``indices`` are the positions of the images in the full test split.
    """
    with np.load(SAMPLE_PATH) as data:
        return data["images"], data["labels"].astype(np.int64), data["indices"].astype(np.int64)


def write_sample(images, labels, per_class, path=SAMPLE_PATH):
    """Write the first ``per_class`` images of each of the 10 classes of a test split ``(images, labels)`` to
    ``path`` (the package's sample, read by :func:`load_sample`); returns their indices in the split."""
    labels = np.asarray(labels)
    indices = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]))
    np.savez_compressed(path, images=np.asarray(images)[indices], labels=labels[indices].astype(np.uint8),
                        indices=indices.astype(np.int32))
    return indices
