"""SBNet's compiled ops: finds and loads the library ``zoo/sbnet/_sbnet_ops*.so``.

``pip install -e . --no-build-isolation`` (``make install``) builds it from ``custom_ops/sbnet`` against the installed
TensorFlow. Importing this module loads it, which registers the ``ZooSbnet*`` ops with TensorFlow; :mod:`zoo.sbnet.ops`
imports it. So a process that serves a SavedModel exported with the native ops runs ``import zoo.sbnet.ops`` before
``tf.saved_model.load`` (a process without zoo installed calls ``tf.load_op_library`` on the file that
:func:`library_path` names on the exporting machine, copied alongside). When the library is missing or was built
for another TensorFlow, :data:`library` is None, :data:`load_error` says why, and the ops run in pure TensorFlow.
"""
import pathlib

import tensorflow as tf

LIBRARY_STEM = "_sbnet_ops"
_HERE = pathlib.Path(__file__).resolve().parent


def library_path():
    """The path of the compiled library (``zoo/sbnet/_sbnet_ops*.so``), or None when it is not built."""
    candidates = sorted(_HERE.glob(LIBRARY_STEM + "*.so"))
    return str(candidates[0]) if candidates else None


def _load():
    """``(library, None)`` once loaded, or ``(None, why not)``."""
    path = library_path()
    if path is None:
        return None, (f"{LIBRARY_STEM}*.so not found in {_HERE}; build it with "
                      "`pip install -e . --no-build-isolation` (or `make install`)")
    try:
        return tf.load_op_library(path), None
    except (tf.errors.NotFoundError, OSError) as error:
        return None, f"{path} could not be loaded ({error}); rebuild it against this TensorFlow"


_loaded = _load()
library = _loaded[0]
"""The loaded op module (``zoo_sbnet_reduce_mask``, ``zoo_sbnet_sparse_gather``, ...), or None."""
load_error = _loaded[1]
"""Why :data:`library` is None (None when it is loaded)."""
