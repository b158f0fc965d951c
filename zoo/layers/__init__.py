"""Every drop-in Keras layer of the zoo, importable as ``zoo.layers.NAME``."""
from zoo.resnet.layers import PreActResidualUnit
from zoo.revnet.layers import RevBlock, RevStack

__all__ = ["PreActResidualUnit", "RevBlock", "RevStack"]
