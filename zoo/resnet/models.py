"""The RevNet paper's ResNet baselines (Table 2) as data, and one registered builder per variant.

Builders import Keras only when called (:mod:`zoo.resnet.network`), so listing the registry stays instant.
"""
from zoo.registry import register_model

PAPER = "arXiv:1707.04585"

# units per stage, channels [stem, stage1, stage2, stage3] (bottleneck stages are 4x wider), bottleneck
CONFIGS = {
    "resnet-32": dict(units=(5, 5, 5), channels=(16, 16, 32, 64), bottleneck=False),
    "resnet-110": dict(units=(18, 18, 18), channels=(16, 16, 32, 64), bottleneck=False),
    "resnet-164": dict(units=(18, 18, 18), channels=(16, 16, 32, 64), bottleneck=True),
}


def _variant(name, **kwargs):
    from zoo.resnet.network import build_resnet

    config = {**CONFIGS[name], **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}}
    return build_resnet(name=name.replace("-", "_"), **config)


@register_model("resnet-32", family="resnet", paper=PAPER)
def resnet_32(**kwargs):
    """ResNet-32: 5-5-5 basic units, 16-16-32-64 channels (0.46M params on CIFAR-10)."""
    return _variant("resnet-32", **kwargs)


@register_model("resnet-110", family="resnet", paper=PAPER)
def resnet_110(**kwargs):
    """ResNet-110: 18-18-18 basic units, 16-16-32-64 channels (1.73M params on CIFAR-10)."""
    return _variant("resnet-110", **kwargs)


@register_model("resnet-164", family="resnet", paper=PAPER)
def resnet_164(**kwargs):
    """ResNet-164: 18-18-18 bottleneck units, 16-64-128-256 channels (1.70M params on CIFAR-10)."""
    return _variant("resnet-164", **kwargs)
