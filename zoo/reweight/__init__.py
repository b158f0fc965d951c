"""Learning to reweight examples (Ren, Zeng, Yang, Urtasun; ICML 2018, arXiv:1803.09050)."""
from zoo.reweight import models  # noqa: F401  (registers reweight-lenet)
from zoo.reweight.model import METHODS, ExampleReweighting

__all__ = ["METHODS", "ExampleReweighting"]
