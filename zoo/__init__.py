"""zoo: TensorFlow 2 / Keras 3 implementations of nine papers by Mengye Ren and co-authors.

Public API:
    zoo.load(name, pretrained=True, num_classes=None, include_top=True, include_preprocessing=False, **overrides)
                                                   -> built keras.Model (weights verified by sha256)
    zoo.list_models(pattern="*", pretrained=False) -> registered names
    zoo.model_info(name)                           -> architecture + weight record
    zoo.export_saved_model(model, directory, ...)  -> SavedModel with a serving_default signature
    zoo.layers                                     -> drop-in Keras layers

``import zoo`` does not import TensorFlow or Keras: they load when a model is built or a layer is used, so the
``zoo`` command lists and describes models instantly.
"""
import importlib
import os

# Keras reads its backend once, at first import: choose TensorFlow unless the user already chose.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from zoo.registry import list_models, load, model_info, register_model  # noqa: E402

__version__ = "0.1.0"
__all__ = ["load", "list_models", "model_info", "register_model", "export_saved_model", "layers"]


def __getattr__(name):
    """Import the Keras-dependent parts of the public API on first use."""
    if name == "layers":
        return importlib.import_module("zoo.layers")
    if name == "export_saved_model":
        return importlib.import_module("zoo.export").export_saved_model
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")
