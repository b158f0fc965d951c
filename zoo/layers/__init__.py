"""Every drop-in Keras layer of the zoo, as ``zoo.layers.NAME`` (each imported on first use), and the building
blocks several families share (:mod:`zoo.layers.blocks`).

Keras finds a class of a ``.keras`` file once its module is imported: before ``keras.saving.load_model`` on a file
the zoo wrote, call :func:`register_all`.
"""
import importlib

from zoo.lazy import lazy_exports

_LAYERS = {
    "ActivationL1": "zoo.divnorm.layers", "DivisiveNormalization": "zoo.divnorm.layers",
    "DNLSTMCell": "zoo.divnorm.rnn", "DNSimpleRNNCell": "zoo.divnorm.rnn",
    "GaussianAttention": "zoo.recattend.layers",
    "PreActResidualUnit": "zoo.resnet.layers",
    "RawImagePreprocessing": "zoo.data.preprocessing",
    "RevBlock": "zoo.revnet.layers", "RevStack": "zoo.revnet.layers",
    "SparseConv2D": "zoo.sbnet.layers", "SparseResBlock": "zoo.sbnet.layers",
}
# Lazy: the families' layer modules import zoo.layers.blocks, which imports this package first.
__getattr__, _exported = lazy_exports(__name__, _LAYERS)
__all__ = [*_exported, "register_all"]

_SERIALIZABLE_MODULES = (*sorted(set(_LAYERS.values())), "zoo.fewshot.classifier", "zoo.ghn.hypernet",
                         "zoo.ghn.network", "zoo.imageqa.encoder", "zoo.imageqa.networks", "zoo.recattend.model",
                         "zoo.reweight.model", "zoo.revnet.layers", "zoo.sbnet.segmenter")


def register_all():
    """Import every module that defines a serializable zoo class (layers and the families' model classes), so
    ``keras.saving.load_model`` reads any ``.keras`` file the zoo wrote."""
    for module in _SERIALIZABLE_MODULES:
        importlib.import_module(module)
