"""End-to-end instance segmentation with recurrent attention (Ren & Zemel, CVPR 2017, arXiv:1605.09410): the
Gaussian attention layer, the segmenter, its losses and curriculum, and the instance segmentation metrics."""
from zoo.recattend import models  # noqa: F401  (registers the model builders)
from zoo.recattend.layers import GaussianAttention
from zoo.recattend.model import RecurrentAttentionSegmenter

__all__ = ["GaussianAttention", "RecurrentAttentionSegmenter"]
