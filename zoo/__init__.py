"""zoo: TensorFlow 2 / Keras 3 implementations of nine papers by Mengye Ren and co-authors.

Public API:
    zoo.load(name, pretrained=True, **overrides)   -> built keras.Model (weights verified by sha256)
    zoo.list_models(pattern="*", pretrained=False) -> registered names
    zoo.model_info(name)                           -> architecture + weight record
    zoo.export_saved_model(model, directory, ...)  -> SavedModel with a serving_default signature
    zoo.layers                                     -> drop-in Keras layers
"""
import os

# Keras reads its backend once, at first import: choose TensorFlow unless the user already chose.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"zoo needs Keras on the TensorFlow backend, but KERAS_BACKEND={keras.backend.backend()!r}. "
        "Set KERAS_BACKEND=tensorflow (or unset it) before importing keras or zoo."
    )

from zoo import ops  # noqa: E402,F401  (loads the compiled ops, so SavedModels using them reload)
from zoo import layers  # noqa: E402,F401  (registers every serializable layer)
from zoo import divnorm  # noqa: E402,F401  (registers model builders)
from zoo import fewshot  # noqa: E402,F401  (registers model builders)
from zoo import imageqa  # noqa: E402,F401  (registers model builders)
from zoo import ghn  # noqa: E402,F401  (registers model builders)
from zoo import metaopt  # noqa: E402,F401  (registers model builders)
from zoo import recattend  # noqa: E402,F401  (registers model builders)
from zoo import resnet  # noqa: E402,F401  (registers model builders)
from zoo import reweight  # noqa: E402,F401  (registers model builders)
from zoo import revnet  # noqa: E402,F401  (registers model builders)
from zoo import sbnet  # noqa: E402,F401  (registers model builders)
from zoo.export import export_saved_model  # noqa: E402
from zoo.registry import list_models, load, model_info, register_model  # noqa: E402

__version__ = "0.1.0"
__all__ = ["load", "list_models", "model_info", "register_model", "export_saved_model", "layers"]
