"""Building blocks shared by several families (ResNet, RevNet, SBNet, divisive normalization): the official
RevNet/ResNet code's convolution, batch-norm and classifier-head conventions and their argument checks."""
import numbers

import keras
from keras import layers


def conv_initializer():
    """Truncated normal with variance 2 / (k·k·C_out), the official RevNet/ResNet initialisation."""
    return keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def l2_regularizer(weight_decay):
    """An L2 penalty whose gradient is ``weight_decay · w`` (TF1's ``wd · l2_loss``: sum(w²)/2)."""
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None


def batch_norm(name, dtype=None):
    """Batch norm with the official code's settings (ε = 1e-3, moving-average decay 0.99).

    Under a distribution strategy the batch statistics are those of the global batch (``synchronized``), so
    training on N replicas computes what one device computes on the same batch; without a strategy this
    changes nothing. ``dtype``: the dtype policy (a layer passes its own, so mixed precision reaches it).
    """
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.99, synchronized=True, name=name, dtype=dtype)


def conv(filters, kernel_size, stride, weight_decay, name, dtype=None):
    """A bias-free "same" convolution with the official initialisation and L2 weight decay (``weight_decay · w``);
    ``dtype`` as in :func:`batch_norm`."""
    return layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=False, name=name,
                         kernel_initializer=conv_initializer(), kernel_regularizer=l2_regularizer(weight_decay),
                         dtype=dtype)


def residual_convs(filters, stride, bottleneck, weight_decay, dtype=None):
    """The convolutions of a pre-activation residual function: 3×3-3×3 (basic) or 1×1-3×3-1×1 with inner width
    ``filters / 4`` (bottleneck), the stride in the first; ``dtype`` as in :func:`batch_norm`."""
    if bottleneck:
        shapes = [(filters // 4, 1, stride), (filters // 4, 3, 1), (filters, 1, 1)]
    else:
        shapes = [(filters, 3, stride), (filters, 3, 1)]
    return [conv(width, kernel, s, weight_decay, f"conv{i}", dtype) for i, (width, kernel, s) in enumerate(shapes)]


def classifier_head(x, num_classes, weight_decay, norm=None):
    """The networks' end: BN-ReLU (``norm`` replaces the BN), global average pooling and a linear classifier
    (uniform-scaling init)."""
    x = layers.ReLU(name="final_relu")((norm or batch_norm("final_bn"))(x))
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return layers.Dense(num_classes, name="logits", kernel_regularizer=l2_regularizer(weight_decay),
                        kernel_initializer=keras.initializers.VarianceScaling(1.0, "fan_in", "uniform"))(x)


def check_unit_arguments(filters, stride, weight_decay, multiple):
    """Raise ``ValueError`` for a residual unit's bad ``filters`` (positive, divisible by ``multiple``),
    ``stride`` (1 or 2) or ``weight_decay`` (>= 0)."""
    if not isinstance(filters, numbers.Integral) or filters <= 0 or filters % multiple:
        divisible = f" divisible by {multiple}" if multiple > 1 else ""
        raise ValueError(f"filters must be a positive integer{divisible}, got {filters!r}")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
