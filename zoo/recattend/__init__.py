"""End-to-end instance segmentation with recurrent attention (Ren & Zemel, CVPR 2017, arXiv:1605.09410): the
Gaussian attention layer, the segmenter, its losses and curriculum, and the instance segmentation metrics."""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "GaussianAttention": "zoo.recattend.layers",
    "RecurrentAttentionSegmenter": "zoo.recattend.model",
})
