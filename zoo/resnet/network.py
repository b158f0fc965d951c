"""The CIFAR-style pre-activation ResNet the RevNet paper compares against, built from its configuration."""
import keras
from keras import layers

from zoo.layers.blocks import batch_norm, classifier_head, conv
from zoo.resnet.layers import PreActResidualUnit


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
