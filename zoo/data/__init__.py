"""Every data source and the input pipeline: Fashion-MNIST (real, offline), its embedded test slice, procedural
scenes and glyphs, any tfds image data set streamed (:mod:`zoo.data.sources`, :mod:`zoo.data.datasets`), the named
augmentations (:mod:`zoo.data.transforms`) and the ``tf.data`` pipeline over all of them (:mod:`zoo.data.pipeline`)."""
from zoo.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist
from zoo.data.samples import load_sample

__all__ = ["CLASS_NAMES", "load_fashion_mnist", "load_sample"]
