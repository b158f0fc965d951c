"""A RevNet built from its configuration: stem, stages of reversible units, classifier head."""
import keras
from keras import layers

from zoo.layers.blocks import batch_norm, classifier_head, conv
from zoo.revnet.layers import RevBlock, RevStack

STEMS = ("cifar", "imagenet")


def build_revnet(units, channels, bottleneck, stem="cifar", num_classes=10, input_shape=(32, 32, 3),
                 weight_decay=2e-4, reconstruct=True, name="revnet"):
    """A RevNet: stem, stages of reversible units, BN-ReLU, global average pooling, linear classifier.

    The first unit of each stage is a :class:`RevBlock` that changes stride (2, except in the first stage) or
    width and therefore stores its input, as in the paper (where it changes neither, as in the first stage of
    the basic CIFAR nets, it is invertible and reconstructs on its own). The other units of the stage form one
    :class:`RevStack`, trained from reconstructed activations.

    Args:
        units: reversible units per stage, e.g. ``(3, 3, 3)``.
        channels: ``(stem, stage1, stage2, ...)`` widths; bottleneck stages use 4× these.
        bottleneck: bottleneck (1×1-3×3-1×1) or basic (3×3-3×3) residual functions.
        stem: ``"cifar"`` (3×3 conv) or ``"imagenet"`` (7×7/2 conv and 3×3/2 max pooling), then BN-ReLU.
        num_classes: size of the classifier output (logits).
        input_shape: ``(H, W, C)`` of the (preprocessed) input.
        weight_decay: L2 coefficient on every kernel (paper: 2e-4 on CIFAR, 1e-4 on ImageNet).
        reconstruct: train from reconstructed activations (constant memory per stage); False is plain
            autodiff through the same layers and weights.
        name: Keras model name.

    Returns:
        A functional ``keras.Model`` mapping images to logits.

    Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network. NIPS 2017, arXiv:1707.04585.
    """
    if not units or any(not isinstance(n, int) or n < 1 for n in units):
        raise ValueError(f"units must be a non-empty sequence of positive integers, got {units}")
    if len(channels) != len(units) + 1:
        raise ValueError(f"channels must have one entry per stage plus the stem: units={units}, channels={channels}")
    if stem not in STEMS:
        raise ValueError(f"stem must be one of {', '.join(STEMS)}, got {stem!r}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    inputs = keras.Input(tuple(input_shape), name="images")
    if stem == "cifar":
        x = conv(channels[0], 3, 1, weight_decay, "stem_conv")(inputs)
    else:
        x = conv(channels[0], 7, 2, weight_decay, "stem_conv")(inputs)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    x = layers.ReLU(name="stem_relu")(batch_norm("stem_bn")(x))
    width_factor = 4 if bottleneck else 1
    for stage, (count, width) in enumerate(zip(units, channels[1:])):
        common = dict(bottleneck=bottleneck, weight_decay=weight_decay, reconstruct=reconstruct)
        x = RevBlock(width * width_factor, stride=2 if stage else 1, preactivate=stage > 0,
                     name=f"stage{stage + 1}_unit1", **common)(x)
        if count > 1:
            x = RevStack(count - 1, width * width_factor, name=f"stage{stage + 1}_reversible", **common)(x)
    return keras.Model(inputs, classifier_head(x, num_classes, weight_decay), name=name)
