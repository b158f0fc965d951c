"""Divisive normalization (Ren, Liao, Urtasun, Sinz, Zemel; ICLR 2017, arXiv:1611.04520)."""
