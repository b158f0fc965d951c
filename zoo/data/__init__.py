"""Datasets available offline: Fashion-MNIST (real), its embedded test slice, procedural scenes and glyphs."""
from zoo.data.fashion_mnist import CLASS_NAMES, load_fashion_mnist
from zoo.data.samples import load_sample

__all__ = ["CLASS_NAMES", "load_fashion_mnist", "load_sample"]
