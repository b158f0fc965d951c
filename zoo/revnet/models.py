"""The RevNet paper's architectures (Table 2) as data, and one registered builder per variant.

Builders import Keras only when called (:mod:`zoo.revnet.network`), so listing the registry stays instant.
"""
from zoo.registry import register_model

PAPER = "arXiv:1707.04585"

# units per stage, channels [stem, stage1, stage2, ...] (bottleneck stages are 4x wider), bottleneck, stem, and
# the defaults that differ from CIFAR's (ImageNet: 1000 classes, 224x224 inputs, weight decay 1e-4).
CONFIGS = {
    "revnet-38": dict(units=(3, 3, 3), channels=(32, 32, 64, 112), bottleneck=False),
    "revnet-110": dict(units=(9, 9, 9), channels=(32, 32, 64, 128), bottleneck=False),
    "revnet-164": dict(units=(9, 9, 9), channels=(32, 32, 64, 128), bottleneck=True),
    "revnet-104": dict(units=(2, 2, 11, 2), channels=(128, 128, 256, 512, 832), bottleneck=True, stem="imagenet",
                       num_classes=1000, input_shape=(224, 224, 3), weight_decay=1e-4),
}


def _variant(name, **kwargs):
    from zoo.revnet.network import build_revnet

    config = {**CONFIGS[name], **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}}
    return build_revnet(name=name.replace("-", "_"), **config)


@register_model("revnet-38", family="revnet", paper=PAPER)
def revnet_38(**kwargs):
    """RevNet-38: 3-3-3 basic units, 32-32-64-112 channels (0.46M params on CIFAR-10)."""
    return _variant("revnet-38", **kwargs)


@register_model("revnet-110", family="revnet", paper=PAPER)
def revnet_110(**kwargs):
    """RevNet-110: 9-9-9 basic units, 32-32-64-128 channels (1.73M params on CIFAR-10)."""
    return _variant("revnet-110", **kwargs)


@register_model("revnet-164", family="revnet", paper=PAPER)
def revnet_164(**kwargs):
    """RevNet-164: 9-9-9 bottleneck units, 32-128-256-512 channels (1.75M params on CIFAR-10)."""
    return _variant("revnet-164", **kwargs)


@register_model("revnet-104", family="revnet", paper=PAPER)
def revnet_104(**kwargs):
    """RevNet-104 (ImageNet): 2-2-11-2 bottleneck units, 128-512-1024-2048-3328 channels (45.43M params).

    The paper's Table 2 gives 45.2M. This builder is the official code's ``revnet-104`` configuration layer by layer
    (revnet-public ``resnet/configs/imagenet_configs.py``: units 2-2-11-2, filters 128-128-256-512-832, bottleneck
    stages 4× wider, a 1×1 projection shortcut on each half in the first unit of every stage). Its 45,428,072
    trainable parameters: the reversible units' convolutions 37.23M, the projection shortcuts 4.75M, the classifier
    3.33M, batch norm's scales and offsets 0.10M, the stem 0.02M (batch norm's moving statistics add 0.10M that are
    not trained). Counted the same way, every CIFAR network of that table gives the paper's figure (RevNet-38 0.46M,
    RevNet-110 1.73M, RevNet-164 1.75M, and their ResNets), and no counting convention (without batch norm, with
    its moving statistics, without the stem or biases) gives 45.2M: the paper's figure does not follow from its own
    configuration, which this builder keeps.
    """
    return _variant("revnet-104", **kwargs)
