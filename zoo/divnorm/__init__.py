"""Divisive normalization (Ren, Liao, Urtasun, Sinz, Zemel; ICLR 2017, arXiv:1611.04520)."""
from zoo.divnorm import models  # noqa: F401  (registers cifar-quick-* and resnet-32-dn)
