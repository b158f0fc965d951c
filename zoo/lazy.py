"""Lazy re-exports for package ``__init__`` modules, so importing a package (which the registry does to find its
models) does not import TensorFlow."""
import importlib


def lazy_exports(package, exports):
    """A module ``__getattr__`` and ``__all__`` for ``package`` re-exporting ``exports`` (``{name: module}``) on
    first access: ``__getattr__, __all__ = lazy_exports(__name__, {"reduce_mask": "zoo.sbnet.ops"})``."""

    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return __getattr__, sorted(exports)
