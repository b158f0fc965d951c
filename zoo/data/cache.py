"""Procedural data sets built once and kept under ``$ZOO_HOME/data`` (``ZOO_HOME`` defaults to ``~/.cache/zoo``).

Rendering the Glyphs test split or a thousand test scenes takes a minute; :func:`cached_arrays` builds them once,
with a progress bar, and later calls read the file. A cache that cannot be written is skipped with a warning (the
arrays are still returned); a damaged file is rebuilt.
"""
import hashlib
import logging
import os
import pathlib
import zipfile

import numpy as np

logger = logging.getLogger(__name__)


def data_cache_dir():
    """Where procedural data sets are kept: ``$ZOO_HOME/data``."""
    home = os.environ.get("ZOO_HOME") or pathlib.Path.home() / ".cache" / "zoo"
    return pathlib.Path(home).expanduser() / "data"


def cached_arrays(name, key, build):
    """The arrays ``build()`` returns (a dict of numpy arrays), kept in ``data_cache_dir()/NAME-HASH.npz``.

    Args:
        name: a file-name-safe label of the data set, e.g. ``"glyphs-test"``.
        key: everything the arrays depend on (seeds, sizes, generator configuration), as a value whose ``repr`` is
            stable; another key is another file.
        build: zero-argument function building the arrays (show progress inside it:
            :func:`zoo.progress.progress_bar`).
    """
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    path = data_cache_dir() / f"{name}-{digest}.npz"
    if path.is_file():
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            logger.warning("rebuilding %s: the cached file is damaged (%s)", path, error)
    arrays = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(temporary, **arrays)
        os.replace(temporary, path)  # atomic: a parallel reader never sees half a file
    except OSError as error:
        logger.warning("not caching %s (%s); set ZOO_HOME to a writable directory", path, error)
    return arrays
