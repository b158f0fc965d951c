"""The embedded slice of the Fashion-MNIST test split (made by ``tools/make_sample.py``)."""
import pathlib

import numpy as np

SAMPLE_PATH = pathlib.Path(__file__).with_name("fashion_mnist_test_slice.npz")


def load_sample():
    """The embedded test slice: ``(images uint8 (N, 28, 28), labels int64 (N,), indices int64 (N,))``.

    ``indices`` are the positions of the images in the full test split.
    """
    with np.load(SAMPLE_PATH) as data:
        return data["images"], data["labels"].astype(np.int64), data["indices"].astype(np.int64)
