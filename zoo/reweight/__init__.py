"""Learning to reweight examples (Ren, Zeng, Yang, Urtasun; ICML 2018, arXiv:1803.09050)."""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "METHODS": "zoo.reweight.model",
    "ExampleReweighting": "zoo.reweight.model",
})
