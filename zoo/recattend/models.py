"""Registered recurrent attention segmenters, configured for the 64×64 Fashion-MNIST scenes of
:data:`zoo.recattend.training.SCENES` (one to four objects, so T = 5 steps)."""
from zoo.registry import register_model

PAPER = "arXiv:1605.09410"


@register_model("recattend", family="recattend", paper=PAPER)
def recattend(image_size=(64, 64), max_steps=5, **kwargs):
    """Canvas memory, box CNN 8-8-16-16-32-32 + LSTM 64 with 5 glimpses, 24×24 patches, segmentation
    encoder–decoder 16-32-64 with skips, score MLP 32 (the paper's CVPPP model at about a quarter of the width)."""
    from zoo.recattend.model import RecurrentAttentionSegmenter

    return RecurrentAttentionSegmenter(image_size=image_size, max_steps=max_steps, **kwargs)
