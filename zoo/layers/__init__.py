"""Every drop-in Keras layer of the zoo, importable as ``zoo.layers.NAME``.

Importing this module also registers every serializable class of the zoo (layers and the families' model classes)
with Keras, so ``keras.saving.load_model`` reads any ``.keras`` file the zoo wrote: ``import zoo.layers`` first.
"""
import importlib

from zoo.data.preprocessing import RawImagePreprocessing
from zoo.divnorm.layers import ActivationL1, DivisiveNormalization
from zoo.divnorm.rnn import DNLSTMCell, DNSimpleRNNCell
from zoo.recattend.layers import GaussianAttention
from zoo.resnet.layers import PreActResidualUnit
from zoo.revnet.layers import RevBlock, RevStack
from zoo.sbnet.layers import SparseConv2D, SparseResBlock

__all__ = ["ActivationL1", "DivisiveNormalization", "DNLSTMCell", "DNSimpleRNNCell", "GaussianAttention",
           "PreActResidualUnit", "RawImagePreprocessing", "RevBlock", "RevStack", "SparseConv2D", "SparseResBlock"]

# The model classes register themselves when their modules load.
for _module in ("zoo.fewshot.classifier", "zoo.ghn.hypernet", "zoo.ghn.network", "zoo.imageqa.encoder",
                "zoo.imageqa.networks", "zoo.recattend.model", "zoo.reweight.model", "zoo.sbnet.segmenter"):
    importlib.import_module(_module)
