"""Reversible residual layers (Gomez, Ren, Urtasun, Grosse 2017): residual functions F and G, one reversible
unit (:class:`RevBlock`) and a stack of reversible units trained without stored activations (:class:`RevStack`).

The channels of a RevNet activation are two halves ``[x1, x2]``; every layer here takes and returns the
concatenated tensor, so they drop into any Keras model.
"""
import numbers

import keras
from keras import layers, ops

from zoo.layers.blocks import batch_norm, check_unit_arguments, conv, residual_convs
from zoo.revnet import reversible


@keras.saving.register_keras_serializable(package="zoo")
class ResidualFunction(layers.Layer):
    """A RevNet residual function (F or G): pre-activation BN-ReLU-conv layers.

    Basic: BN-ReLU-conv3×3-BN-ReLU-conv3×3. Bottleneck: BN-ReLU-conv1×1-BN-ReLU-conv3×3-BN-ReLU-conv1×1 with
    inner width ``filters / 4``. The stride is in the first convolution. Convolutions have no bias.

    Args:
        filters: output channels.
        stride: spatial stride of the first convolution (1 or 2).
        bottleneck: bottleneck (1×1-3×3-1×1) instead of basic (3×3-3×3) layers.
        preactivate: start with BN-ReLU. False only for the network's first unit, whose input the stem has
            just activated.
        weight_decay: L2 coefficient on every kernel (gradient ``weight_decay · w``).

    Input shape: ``(batch, H, W, C_in)``. Output shape: ``(batch, ceil(H / stride), ceil(W / stride), filters)``.

    Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network: Backpropagation Without Storing
    Activations. NIPS 2017, arXiv:1707.04585 (§3, Fig. 2; residual functions as in He et al. 2016).
    """

    def __init__(self, filters, stride=1, bottleneck=False, preactivate=True, weight_decay=0.0, **kwargs):
        super().__init__(**kwargs)
        check_unit_arguments(filters, stride, weight_decay, multiple=4 if bottleneck else 1)
        self.filters = filters
        self.stride = stride
        self.bottleneck = bottleneck
        self.preactivate = preactivate
        self.weight_decay = weight_decay
        self.convs = residual_convs(filters, stride, bottleneck, weight_decay, self.dtype_policy)
        self.norms = [batch_norm(f"bn{i}", self.dtype_policy) for i in range(0 if preactivate else 1, len(self.convs))]

    def build(self, input_shape):
        shape = tuple(input_shape)
        norms = iter(self.norms)
        for i, convolution in enumerate(self.convs):
            if i or self.preactivate:
                next(norms).build(shape)
            convolution.build(shape)
            shape = convolution.compute_output_shape(shape)

    def call(self, inputs, training=None):
        x = inputs
        norms = iter(self.norms)
        for i, convolution in enumerate(self.convs):
            if i or self.preactivate:
                x = ops.relu(next(norms)(x, training=training))
            x = convolution(x)
        return x

    def compute_output_shape(self, input_shape):
        return _strided_shape(input_shape, self.stride, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride,
                "bottleneck": self.bottleneck, "preactivate": self.preactivate, "weight_decay": self.weight_decay}


@keras.saving.register_keras_serializable(package="zoo")
class RevBlock(layers.Layer):
    """One reversible residual unit on channel halves: ``y1 = h(x1) + F(x2)``, ``y2 = h(x2) + G(y1)``.

    With stride 1 and as many output as input channels, ``h`` is the identity and the unit is invertible:
    ``x2 = y2 - G(y1)``, ``x1 = y1 - F(x2)``. In training with ``reconstruct=True`` its gradient then comes from
    inputs reconstructed from its outputs (paper Algorithm 1), so the unit stores no activations. Otherwise
    (the first unit of a stage, which changes stride or width) it is not invertible, its input is stored and
    ``h`` is average pooling (kernel = stride) plus symmetric zero-padding of the channels (basic units) or a
    strided 1×1 projection of each half (bottleneck units). ``F`` carries the stride; ``G`` has stride 1.

    To train a sequence of invertible units in constant memory use one :class:`RevStack` rather than several
    ``RevBlock`` layers: a single unit's custom gradient keeps its own output alive.

    Args:
        filters: output channels (both halves together; even, and divisible by 8 for bottleneck units).
        stride: spatial stride (1 or 2).
        bottleneck: bottleneck residual functions with inner width ``filters / 8`` (a quarter of a half).
        preactivate: whether ``F`` starts with BN-ReLU (False for the network's first unit only).
        weight_decay: L2 coefficient on every kernel (gradient ``weight_decay · w``).
        reconstruct: in training, compute the gradient of an invertible unit from reconstructed inputs; False
            is plain autodiff through the same layers and weights (the reference).

    Input shape: ``(batch, H, W, C_in)`` with ``C_in`` even. Output shape:
    ``(batch, ceil(H / stride), ceil(W / stride), filters)``.

    Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network: Backpropagation Without Storing
    Activations. NIPS 2017, arXiv:1707.04585 (Eqs. 4-5, Algorithm 1, §5.1).
    """

    def __init__(self, filters, stride=1, bottleneck=False, preactivate=True, weight_decay=0.0, reconstruct=True,
                 **kwargs):
        super().__init__(**{"autocast": False, **kwargs})  # the channel halves stay in the variables' dtype
        check_unit_arguments(filters, stride, weight_decay, multiple=8 if bottleneck else 2)
        _check_bool("reconstruct", reconstruct)
        self.filters = filters
        self.stride = stride
        self.bottleneck = bottleneck
        self.preactivate = preactivate
        self.weight_decay = weight_decay
        self.reconstruct = reconstruct
        half = filters // 2
        self.f = ResidualFunction(half, stride, bottleneck, preactivate, weight_decay, name="f",
                                  dtype=self.dtype_policy)
        self.g = ResidualFunction(half, 1, bottleneck, True, weight_decay, name="g", dtype=self.dtype_policy)
        self.projections = []
        self._input_channels = None

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % 2:
            raise ValueError(f"RevBlock splits its input channels into two halves: input channels must be even, "
                             f"got {channels}")
        self._input_channels = channels
        in_half, half = channels // 2, self.filters // 2
        half_shape = (*input_shape[:-1], in_half)
        if not self.invertible:
            if self.bottleneck:
                self.projections = [conv(half, 1, self.stride, self.weight_decay, f"projection{i}", self.dtype_policy)
                                    for i in (1, 2)]
                for projection in self.projections:
                    projection.build(half_shape)
            elif half < in_half or (half - in_half) % 2:
                raise ValueError(f"basic RevBlocks zero-pad each half's channels equally on both sides: "
                                 f"{channels} -> {self.filters} channels needs an even, non-negative growth per half")
        self.f.build(half_shape)
        self.g.build(self.f.compute_output_shape(half_shape))

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, self.variable_dtype)
        return reversible.apply_blocks([self], inputs, training, reconstruct=self.reconstruct and self.invertible)

    @property
    def invertible(self):
        """True when the unit keeps stride 1 and its width, so its inputs can be reconstructed (after build)."""
        if self._input_channels is None:
            raise ValueError("RevBlock.invertible is known once the block is built")
        return self.stride == 1 and self._input_channels == self.filters

    def forward(self, x1, x2, training=None):
        """The coupling on channel halves: ``(x1, x2) -> (y1, y2)``.

        The halves and the additions stay in the variables' dtype (float32 under a mixed-precision policy) while
        ``F`` and ``G`` compute in the compute dtype: the inverse then subtracts exactly what was added, and the
        reconstruction keeps float32's precision (in float16 it would lose about 1% per stack).
        """
        y1 = self._shortcut(x1, 0) + ops.cast(self.f(x2, training=training), x1.dtype)
        y2 = self._shortcut(x2, 1) + ops.cast(self.g(y1, training=training), x2.dtype)
        return y1, y2

    def reverse(self, y1, y2, training=None):
        """The inverse coupling on channel halves, ``(y1, y2) -> (x1, x2)``, of an invertible unit.

        In training mode batch norm uses the batch statistics (as the forward pass did) and its moving averages
        are left untouched.
        """
        if not self.invertible:
            raise ValueError(f"RevBlock {self.name!r} changes stride or width and has no inverse")
        with keras.StatelessScope():
            x2 = y2 - ops.cast(self.g(y1, training=training), y2.dtype)
            x1 = y1 - ops.cast(self.f(x2, training=training), y1.dtype)
        return x1, x2

    def inverse(self, outputs, training=None):
        """Reconstruct the inputs ``[x1, x2]`` from the outputs ``[y1, y2]`` (see :meth:`reverse`)."""
        return reversible.invert_blocks([self], outputs, training)

    def _shortcut(self, x, half_index):
        if self.invertible:
            return x
        if self.projections:
            return ops.cast(self.projections[half_index](x), x.dtype)
        if self.stride != 1:
            x = ops.average_pool(x, self.stride, strides=self.stride, padding="same")
        pad = (self.filters - self._input_channels) // 4
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [pad, pad]]) if pad else x

    def compute_output_spec(self, inputs, training=None):
        """Outputs in the variables' dtype (float32 under mixed precision): the halves never leave it."""
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.variable_dtype)

    def compute_output_shape(self, input_shape):
        return _strided_shape(input_shape, self.stride, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride,
                "bottleneck": self.bottleneck, "preactivate": self.preactivate, "weight_decay": self.weight_decay,
                "reconstruct": self.reconstruct}


@keras.saving.register_keras_serializable(package="zoo")
class RevStack(layers.Layer):
    """``num_blocks`` invertible :class:`RevBlock` units (stride 1, constant width) trained in constant memory.

    In training with ``reconstruct=True`` the whole stack is one ``tf.custom_gradient``: the forward pass keeps
    no intermediate activations, and the backward pass reconstructs each unit's inputs from its outputs and
    backpropagates through it, unit by unit from the top (paper Algorithm 1). Activation memory is that of
    one unit whatever ``num_blocks`` is. Batch norm recomputes the batch statistics of the forward pass and
    updates its moving averages once per step (in the forward pass). Put a non-invertible :class:`RevBlock`
    in front to change stride or width.

    Args:
        num_blocks: number of reversible units (at least 1).
        filters: input and output channels (even; divisible by 8 for bottleneck units).
        bottleneck: bottleneck residual functions.
        weight_decay: L2 coefficient on every kernel (gradient ``weight_decay · w``).
        reconstruct: in training, backpropagate from reconstructed activations; False is plain autodiff
            through the same layers and weights (stores every activation; the reference).

    Input shape: ``(batch, H, W, filters)``. Output shape: the same.

    Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network: Backpropagation Without Storing
    Activations. NIPS 2017, arXiv:1707.04585 (Algorithm 1, Table 1).
    """

    def __init__(self, num_blocks, filters, bottleneck=False, weight_decay=0.0, reconstruct=True, **kwargs):
        super().__init__(**{"autocast": False, **kwargs})  # the channel halves stay in the variables' dtype
        if not isinstance(num_blocks, numbers.Integral) or num_blocks < 1:
            raise ValueError(f"num_blocks must be a positive integer, got {num_blocks!r}")
        _check_bool("reconstruct", reconstruct)
        self.num_blocks = num_blocks
        self.filters = filters
        self.bottleneck = bottleneck
        self.weight_decay = weight_decay
        self.reconstruct = reconstruct
        self.blocks = [RevBlock(filters, bottleneck=bottleneck, weight_decay=weight_decay, reconstruct=reconstruct,
                                name=f"block{i + 1}", dtype=self.dtype_policy) for i in range(num_blocks)]

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"RevStack units are invertible, so input channels must equal filters={self.filters}, "
                             f"got {input_shape[-1]}; change the width with a RevBlock in front")
        for block in self.blocks:
            block.build(input_shape)

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, self.variable_dtype)
        return reversible.apply_blocks(self.blocks, inputs, training, reconstruct=self.reconstruct)

    def inverse(self, outputs, training=None):
        """Reconstruct the stack's inputs from its outputs, unit by unit from the top (moving averages untouched).

        Args:
            outputs: ``(batch, H, W, filters)``, what the stack returned.
            training: the mode of the forward pass (batch statistics in training, moving averages otherwise).
        """
        return reversible.invert_blocks(self.blocks, outputs, training)

    def compute_output_spec(self, inputs, training=None):
        """Outputs in the variables' dtype (float32 under mixed precision): the halves never leave it."""
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.variable_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "num_blocks": self.num_blocks, "filters": self.filters,
                "bottleneck": self.bottleneck, "weight_decay": self.weight_decay, "reconstruct": self.reconstruct}


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _strided_shape(input_shape, stride, channels):
    batch, height, width, _ = input_shape
    shrink = lambda n: None if n is None else -(-n // stride)  # noqa: E731
    return (batch, shrink(height), shrink(width), channels)
