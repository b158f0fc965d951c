"""Every drop-in Keras layer of the zoo, importable as ``zoo.layers.NAME``."""
from zoo.divnorm.layers import ActivationL1, DivisiveNormalization
from zoo.divnorm.rnn import DNLSTMCell, DNSimpleRNNCell
from zoo.recattend.layers import GaussianAttention
from zoo.resnet.layers import PreActResidualUnit
from zoo.revnet.layers import RevBlock, RevStack
from zoo.sbnet.layers import SparseConv2D, SparseResBlock

__all__ = ["ActivationL1", "DivisiveNormalization", "DNLSTMCell", "DNSimpleRNNCell", "GaussianAttention",
           "PreActResidualUnit", "RevBlock", "RevStack", "SparseConv2D", "SparseResBlock"]
