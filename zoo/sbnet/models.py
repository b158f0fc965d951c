"""SBNet's registered architectures: the scene segmenter on a predicted mask and its dense twin (one
:class:`~zoo.sbnet.segmenter.SceneSegmenter`, imported only when a builder is called)."""
from zoo.registry import register_model

PAPER = "arXiv:1801.02108"


@register_model("sbnet-segnet", family="sbnet", paper=PAPER)
def sbnet_segnet(**kwargs):
    """SBNet scene segmenter: sparse residual units on the mask a 1/8-resolution network predicts (11 classes).

    Defaults: 256×256 scenes, stem 96, stages (width × units, block size) 96×2 (15) at 1/2, 192×2 (17 strided,
    11) at 1/4 and 256×2 (11 strided, 7) at 1/8 resolution, mask network 16-32-32 at 1/8, mask threshold 0.5,
    dilation 2 pixels. See :class:`~zoo.sbnet.segmenter.SceneSegmenter` for the outputs and the other arguments.
    """
    from zoo.sbnet.segmenter import build_segnet

    return build_segnet(sparse=True, **kwargs)


@register_model("sbnet-segnet-dense", family="sbnet", paper=PAPER)
def sbnet_segnet_dense(**kwargs):
    """Dense twin of ``sbnet-segnet``: the same layers and weights, the main network run on every pixel."""
    from zoo.sbnet.segmenter import build_segnet

    return build_segnet(sparse=False, name="sbnet_segnet_dense", **kwargs)
