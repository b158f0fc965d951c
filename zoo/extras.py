"""Optional dependencies, grouped as the package's extras (``pip install "zoo[EXTRA]"``)."""
import importlib

EXTRAS = {
    "imageqa": ("textblob", "nltk"),
    "train": ("tensorboard",),
    "tfds": ("tensorflow_datasets",),
}
"""The modules each extra installs (see ``[project.optional-dependencies]`` in pyproject.toml)."""


class MissingExtraError(ImportError):
    """A feature needs an optional dependency that is not installed; the message says what to install."""


def require(module, extra, feature):
    """Import and return ``module``, which ``extra`` installs; raise :class:`MissingExtraError` naming the
    ``pip install`` command if it is missing.

    Args:
        module: the module's import name, e.g. ``"textblob.en"``.
        extra: the extra that provides it, a key of :data:`EXTRAS`.
        feature: what needs it, for the message (e.g. ``"image-QA question generation"``).
    """
    if extra not in EXTRAS:
        raise ValueError(f"extra must be one of {sorted(EXTRAS)}, got {extra!r}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] not in EXTRAS[extra]:
            raise
        raise MissingExtraError(f"{feature} needs {error.name}, which is not installed: "
                                f'pip install "zoo[{extra}]"') from error
