"""Pre-activation residual units (He et al. 2016) as the RevNet paper's baselines use them, and the
convolution, batch norm and classifier-head conventions of the official RevNet/ResNet code."""
import copy
import numbers

import keras
from keras import layers, ops



def conv_initializer():
    """Truncated normal with variance 2 / (k·k·C_out), the official RevNet/ResNet initialisation."""
    return keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def l2_regularizer(weight_decay):
    """An L2 penalty whose gradient is ``weight_decay · w`` (TF1's ``wd · l2_loss``: sum(w²)/2)."""
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None


def batch_norm(name):
    """Batch norm with the official code's settings (ε = 1e-3, moving-average decay 0.99).

    Under a distribution strategy the batch statistics are those of the global batch (``synchronized``), so
    training on N replicas computes what one device computes on the same batch; without a strategy this
    changes nothing.
    """
    return layers.BatchNormalization(epsilon=1e-3, momentum=0.99, synchronized=True, name=name)


def conv(filters, kernel_size, stride, weight_decay, name):
    """A bias-free "same" convolution with the official initialisation and L2 weight decay (``weight_decay · w``)."""
    return layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=False, name=name,
                         kernel_initializer=conv_initializer(), kernel_regularizer=l2_regularizer(weight_decay))


def residual_convs(filters, stride, bottleneck, weight_decay):
    """The convolutions of a pre-activation residual function: 3×3-3×3 (basic) or 1×1-3×3-1×1 with inner width
    ``filters / 4`` (bottleneck), the stride in the first."""
    if bottleneck:
        shapes = [(filters // 4, 1, stride), (filters // 4, 3, 1), (filters, 1, 1)]
    else:
        shapes = [(filters, 3, stride), (filters, 3, 1)]
    return [conv(width, kernel, s, weight_decay, f"conv{i}") for i, (width, kernel, s) in enumerate(shapes)]


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


@keras.saving.register_keras_serializable(package="zoo")
class PreActResidualUnit(layers.Layer):
    """One pre-activation residual unit: ``y = h(x) + F(x)``.

    ``F`` is BN-ReLU-conv3×3-BN-ReLU-conv3×3 (basic) or BN-ReLU-conv1×1-BN-ReLU-conv3×3-BN-ReLU-conv1×1 with
    inner width ``filters / 4`` (bottleneck); the stride is in the first convolution. The shortcut ``h`` is
    the identity unless the stride or width changes; then it is average pooling (kernel = stride) followed
    by zero-padding of the channels on both sides (basic), or a strided 1×1 projection (bottleneck).

    Args:
        filters: output channels.
        stride: spatial stride of the unit (1 or 2).
        bottleneck: use the bottleneck residual function.
        preactivate: apply BN-ReLU to the input first. False for the network's first unit, whose
            input has just been activated by the stem.
        weight_decay: L2 coefficient on every kernel (gradient ``weight_decay · w``).
        normalization: None for batch norm, or the serialized config of the normalisation layer to use in its
            place (``keras.saving.serialize_keras_object(layer)``), copied for each position.

    Input shape: ``(batch, H, W, C_in)``. Output shape: ``(batch, H / stride, W / stride, filters)``.

    Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network. NIPS 2017, arXiv:1707.04585
    (baselines); He, Zhang, Ren, Sun. Identity Mappings in Deep Residual Networks. ECCV 2016.
    """

    def __init__(self, filters, stride=1, bottleneck=False, preactivate=True, weight_decay=0.0, normalization=None,
                 **kwargs):
        super().__init__(**kwargs)
        check_unit_arguments(filters, stride, weight_decay, multiple=4 if bottleneck else 1)
        self.filters = filters
        self.stride = stride
        self.bottleneck = bottleneck
        self.preactivate = preactivate
        self.weight_decay = weight_decay
        self.normalization = normalization
        self.convs = residual_convs(filters, stride, bottleneck, weight_decay)
        self.norms = [self._norm(f"bn{i}") for i in range(len(self.convs))]
        self.projection = None

    def _norm(self, name):
        if self.normalization is None:
            return batch_norm(name)
        config = copy.deepcopy(self.normalization)
        config["config"]["name"] = name
        return keras.saving.deserialize_keras_object(config)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if self.bottleneck and (self.stride != 1 or in_channels != self.filters):
            self.projection = conv(self.filters, 1, self.stride, self.weight_decay, "projection")
            self.projection.build(input_shape)
        if not self.bottleneck and (self.filters - in_channels) % 2:
            raise ValueError(f"basic units pad channels equally on both sides: {in_channels}->{self.filters} is odd")
        shape = tuple(input_shape)
        for i, (norm, convolution) in enumerate(zip(self.norms, self.convs)):
            if i > 0 or self.preactivate:
                norm.build(shape)
            convolution.build(shape)
            shape = convolution.compute_output_shape(shape)

    def call(self, inputs, training=None):
        x = inputs
        for i, (norm, convolution) in enumerate(zip(self.norms, self.convs)):
            if i > 0 or self.preactivate:
                x = ops.relu(norm(x, training=training))
            x = convolution(x)
        return x + self._shortcut(inputs)

    def _shortcut(self, inputs):
        if self.projection is not None:
            return self.projection(inputs)
        shortcut = inputs
        if self.stride != 1:
            shortcut = ops.average_pool(shortcut, self.stride, strides=self.stride, padding="same")
        extra = self.filters - inputs.shape[-1]
        if extra:
            shortcut = ops.pad(shortcut, [[0, 0], [0, 0], [0, 0], [extra // 2, extra // 2]])
        return shortcut

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        shrink = lambda n: None if n is None else -(-n // self.stride)  # noqa: E731
        return (batch, shrink(height), shrink(width), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride,
                "bottleneck": self.bottleneck, "preactivate": self.preactivate, "weight_decay": self.weight_decay,
                "normalization": self.normalization}
