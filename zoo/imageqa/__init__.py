"""Exploring Models and Data for Image Question Answering (Ren, Kiros, Zemel, NIPS 2015, arXiv:1505.02074)."""
from zoo.imageqa import models  # noqa: F401  (registers the model builders)
