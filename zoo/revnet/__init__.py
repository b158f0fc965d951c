"""Reversible residual networks (Gomez, Ren, Urtasun, Grosse; NIPS 2017, arXiv:1707.04585)."""
from zoo.revnet import models  # noqa: F401  (registers revnet-38/110/164/104)
