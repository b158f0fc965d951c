"""The RevNet paper's ResNet baselines (Table 2) as data, and one registered builder per variant."""

import keras
from keras import layers

from zoo.registry import register_model
from zoo.resnet.layers import PreActResidualUnit, batch_norm, classifier_head, conv

PAPER = "arXiv:1707.04585"

# units per stage, channels [stem, stage1, stage2, stage3] (bottleneck stages are 4x wider), bottleneck
CONFIGS = {
    "resnet-32": dict(units=(5, 5, 5), channels=(16, 16, 32, 64), bottleneck=False),
    "resnet-110": dict(units=(18, 18, 18), channels=(16, 16, 32, 64), bottleneck=False),
    "resnet-164": dict(units=(18, 18, 18), channels=(16, 16, 32, 64), bottleneck=True),
}


def build_resnet(units, channels, bottleneck, num_classes=10, input_shape=(32, 32, 3), weight_decay=2e-4,
                 normalization=None, name="resnet"):
    """A CIFAR-style pre-activation ResNet.

    Args:
        units: residual units per stage, e.g. ``(5, 5, 5)``.
        channels: ``(stem, stage1, stage2, ...)`` widths; bottleneck stages use 4× these.
        bottleneck: bottleneck (1×1-3×3-1×1) or basic (3×3-3×3) units.
        num_classes: size of the classifier output (logits).
        input_shape: ``(H, W, C)`` of the (preprocessed) input.
        weight_decay: L2 coefficient on every kernel (paper: 2e-4 on CIFAR).
        normalization: None for batch norm everywhere, or ``normalization(name, stage) -> keras Layer`` giving
            the normaliser at each position (``stage`` 0 is the stem, ``1..len(units)`` the stages).
        name: Keras model name.

    Returns:
        A functional ``keras.Model`` mapping images to logits.
    """
    if len(channels) != len(units) + 1:
        raise ValueError(f"channels must have one entry per stage plus the stem: units={units}, channels={channels}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    inputs = keras.Input(tuple(input_shape), name="images")
    x = conv(channels[0], 3, 1, weight_decay, "stem_conv")(inputs)
    stem_norm = normalization("stem_bn", 0) if normalization else batch_norm("stem_bn")
    x = layers.ReLU(name="stem_relu")(stem_norm(x))
    width_factor = 4 if bottleneck else 1
    for stage, (count, width) in enumerate(zip(units, channels[1:])):
        unit_norm = keras.saving.serialize_keras_object(normalization("bn", stage + 1)) if normalization else None
        for unit in range(count):
            stride = 2 if stage > 0 and unit == 0 else 1
            x = PreActResidualUnit(width * width_factor, stride=stride, bottleneck=bottleneck,
                                   preactivate=(stage, unit) != (0, 0), weight_decay=weight_decay,
                                   normalization=unit_norm, name=f"stage{stage + 1}_unit{unit + 1}")(x)
    final_norm = normalization("final_bn", len(units)) if normalization else None
    return keras.Model(inputs, classifier_head(x, num_classes, weight_decay, final_norm), name=name)


def _variant(name, **kwargs):
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
