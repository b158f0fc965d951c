"""Pre-activation residual units (He et al. 2016) as the RevNet paper's baselines use them."""
import copy

import keras
from keras import layers, ops

from zoo.layers.blocks import batch_norm, check_unit_arguments, conv, residual_convs


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
        self.convs = residual_convs(filters, stride, bottleneck, weight_decay, self.dtype_policy)
        self.norms = [self._norm(f"bn{i}") for i in range(len(self.convs))]
        self.projection = None

    def _norm(self, name):
        if self.normalization is None:
            return batch_norm(name, self.dtype_policy)
        config = copy.deepcopy(self.normalization)
        config["config"]["name"] = name
        config["config"]["dtype"] = keras.saving.serialize_keras_object(self.dtype_policy)
        return keras.saving.deserialize_keras_object(config)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if self.bottleneck and (self.stride != 1 or in_channels != self.filters):
            self.projection = conv(self.filters, 1, self.stride, self.weight_decay, "projection", self.dtype_policy)
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
