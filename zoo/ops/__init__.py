"""zoo's compiled TensorFlow ops, loaded at import.

The library ``_sbnet_ops*.so`` is built by ``pip install -e . --no-build-isolation`` (``make install``)
from ``custom_ops/``. Loading it registers the ``ZooSbnet*`` ops with TensorFlow, so a SavedModel that
uses them reloads in any process that has imported ``zoo``. When it is missing or was built for another
TensorFlow, :data:`sbnet` is None, :data:`load_error` says why, and the ops fall back to pure TensorFlow.
"""
import glob
import os

import tensorflow as tf

_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(stem):
    candidates = sorted(glob.glob(os.path.join(_HERE, stem + "*.so")))
    if not candidates:
        return None, (f"{stem}*.so not found in {_HERE}; build it with "
                      "`pip install -e . --no-build-isolation` (or `make install`)")
    try:
        return tf.load_op_library(candidates[0]), None
    except (tf.errors.NotFoundError, OSError) as error:
        return None, f"{candidates[0]} could not be loaded ({error}); rebuild it against this TensorFlow"


sbnet, load_error = _load("_sbnet_ops")

__all__ = ["sbnet", "load_error"]
