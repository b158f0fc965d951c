"""Every drop-in Keras layer of the zoo, importable as ``zoo.layers.NAME``."""
from zoo.resnet.layers import PreActResidualUnit

__all__ = ["PreActResidualUnit"]
