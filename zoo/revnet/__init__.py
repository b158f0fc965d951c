"""Reversible residual networks (Gomez, Ren, Urtasun, Grosse; NIPS 2017, arXiv:1707.04585)."""
