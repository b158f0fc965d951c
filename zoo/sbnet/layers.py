"""SBNet's sparse layers: a convolution and a bottleneck residual unit computed only on active blocks.

Both take ``(x, mask)`` — ``mask`` ``[N, H, W]`` or ``[N, H, W, 1]`` at the input resolution, reduced to
blocks with ``reduce_mask`` — or ``(x, indices)`` with indices already computed for
``layer.block_params(input_hw)`` (share them between layers with the same geometry). On the blocks the layers
run ordinary dense VALID convolutions; the result equals the dense SAME computation wherever the mask, dilated
by the receptive field, is active.
"""
import keras
import tensorflow as tf
from keras import layers

from zoo.layers.blocks import batch_norm, conv_initializer
from zoo.sbnet import geometry, ops

DENSE_FALLBACK = 0.8
"""The layers' default ``dense_fallback``: the fraction of active blocks from which the dense computation (masked to
the active blocks) is about as fast as the sparse one. Measured (``tools/sbnet/bench.py``, the paper's four stage
sizes, one 3×3 convolution and residual units, the layers' own block sizes): the two take equal time at 70–92% of
the blocks active, 82% in the median."""


def _split_inputs(inputs, layer):
    """``(x, mask)`` or ``(x, indices)`` → (x, mask or None, indices or None); indices are rank 2 integers."""
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(f"{layer} takes (x, mask) or (x, indices), got {type(inputs).__name__}")
    x, second = inputs
    second = tf.convert_to_tensor(second)
    if second.shape.rank == 2 and second.dtype.is_integer:
        return x, None, second
    if second.shape.rank not in (3, 4):
        raise ValueError(f"{layer}: the second input must be a mask [N, H, W(, 1)] or indices [K, 3], "
                         f"got shape {second.shape}")
    return x, second, None


def _x_shape(input_shape, layer):
    """The image's shape out of the build shapes of ``(x, mask)`` / ``(x, indices)``."""
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
            not isinstance(input_shape[0], (list, tuple)):
        raise ValueError(f"{layer} takes (x, mask) or (x, indices), got inputs of shape {input_shape}")
    return tuple(input_shape[0])


def _static_hw(shape, layer):
    if len(shape) != 4 or shape[1] is None or shape[2] is None:
        raise ValueError(f"{layer} needs NHWC inputs with a static height and width, got shape {shape}")
    return int(shape[1]), int(shape[2])


def _at_least_one_block(indices):
    """The indices, or block (0, 0, 0) when there are none: SparseConv2D always convolves a non-empty stack and
    then scatters only the real blocks (it has no state a dummy block could change)."""
    return tf.concat([indices, tf.zeros([1, 3], tf.int32)], axis=0)[:tf.maximum(tf.shape(indices)[0], 1)]


def _inside_image(indices, params, image_hw):
    """[K, bh, bw, 1] 1.0 where a gathered pixel lies inside the image, 0.0 in the zero padding."""
    origins = tf.constant(params.boffset, tf.int32) + indices[:, 1:] * tf.constant(params.bstrides, tf.int32)
    rows = origins[:, 0, None] + tf.range(params.bsize[0])
    cols = origins[:, 1, None] + tf.range(params.bsize[1])
    rows_ok = (rows >= 0) & (rows < image_hw[0])
    cols_ok = (cols >= 0) & (cols < image_hw[1])
    return tf.cast(rows_ok[:, :, None, None] & cols_ok[:, None, :, None], tf.float32)


def _coverage(indices, params, batch, out_hw):
    """[N, out_h, out_w, 1] True on the output pixels that the active blocks write."""
    grid = tf.scatter_nd(indices, tf.ones(tf.shape(indices)[:1]), tf.stack([batch, *params.bcount]))
    grid = tf.repeat(tf.repeat(grid, params.bsize_out[0], axis=1), params.bsize_out[1], axis=2)
    return grid[:, :out_hw[0], :out_hw[1], None] > 0


class _SparseBlockLayer(layers.Layer):
    """Shared plumbing: block geometry from the input size, mask → indices, gather and scatter, and the
    switch to dense computation when almost every block is active."""

    def __init__(self, block_size=None, tol=0.0, avgpool=False, impl="auto", dense_fallback=DENSE_FALLBACK,
                 **kwargs):
        super().__init__(**kwargs)
        if impl not in ops.IMPLS:
            raise ValueError(f"impl must be one of {ops.IMPLS}, got {impl!r}")
        if dense_fallback is not None and not 0 <= dense_fallback <= 1:
            raise ValueError(f"dense_fallback must be None or a fraction in [0, 1], got {dense_fallback!r}")
        self.block_size = block_size
        self.tol = tol
        self.avgpool = avgpool
        self.impl = impl
        self.dense_fallback = dense_fallback

    def _sparse_or_dense(self, indices, params, batch, sparse_fn, dense_fn, keep_fn, allowed=True):
        """``sparse_fn()``, or — when at least ``dense_fallback`` of the blocks are active, so that a dense pass
        over the whole image costs less than gathering nearly all of it with halos — ``dense_fn()``, restricted
        to the active blocks by ``keep_fn(dense_output)`` unless every block is active."""
        if self.dense_fallback is None or not allowed:
            return sparse_fn()
        total = batch * params.bcount[0] * params.bcount[1]
        active = tf.shape(indices)[0]

        def dense():
            y = dense_fn()
            return tf.cond(active == total, lambda: y, lambda: keep_fn(y))

        fraction = tf.cast(active, tf.float32) / tf.cast(total, tf.float32)
        return tf.cond(fraction >= self.dense_fallback, dense, sparse_fn)

    def block_params(self, input_hw):
        """The :class:`~zoo.sbnet.geometry.BlockParams` this layer uses on ``input_hw`` inputs."""
        raise NotImplementedError

    def _block_size_for(self, input_hw, field, strides):
        """``block_size``, or when it is None the heuristic's choice for ``input_hw`` inputs
        (:func:`zoo.sbnet.geometry.default_block_size`)."""
        if self.block_size is not None:
            return self.block_size
        return geometry.default_block_size(input_hw, field, strides)

    def _indices(self, mask, indices, params):
        if indices is None:
            indices = ops.reduce_mask(mask, params, tol=self.tol, avgpool=self.avgpool, impl=self.impl).indices
        return tf.cast(indices, tf.int32)

    def _gather(self, x, indices, params):
        return ops.sparse_gather(x, indices, params.bsize, params.bstrides, params.boffset, impl=self.impl)

    def _scatter(self, blocks, indices, base, params, add):
        return ops.sparse_scatter(blocks, indices, base, params.bsize_out, add=add, impl=self.impl)

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size, "tol": self.tol, "avgpool": self.avgpool,
                "impl": self.impl, "dense_fallback": self.dense_fallback}


@keras.saving.register_keras_serializable(package="zoo")
class SparseConv2D(_SparseBlockLayer):
    """A SAME convolution computed only on the active blocks of a mask; ``0`` outside them.

    Args:
        filters: output channels (any number: the output is scattered onto zeros, not onto the input, so the
            official wrapper's channel restriction — uber-research/sbnet#23 — does not apply).
        kernel_size, strides: as in ``keras.layers.Conv2D`` (padding is always SAME).
        block_size: input block size (int or pair); ``block_size − kernel_size`` must be a multiple of the
            stride. Larger blocks waste less on halos, smaller ones less around the mask's edges. None (the
            default): chosen from the input size by :func:`zoo.sbnet.geometry.default_block_size`.
        use_bias, kernel_initializer: as in ``Conv2D``.
        tol, avgpool: a block is active when the max (or the average over the whole block) of the mask over
            its input window exceeds ``tol``.
        impl: ``"auto"``, ``"native"`` (compiled kernels) or ``"tf"`` (pure TensorFlow ops).
        dense_fallback: when at least this fraction of the blocks is active, convolve the whole image densely
            and keep the active blocks' outputs — the same result, faster near full density. None: always
            sparse.

    Call: ``layer((x, mask))`` or ``layer((x, indices))``. Output: ``(N, ceil(H / s), ceil(W / s), filters)``.

    Reference: Ren, Pokrovsky, Yang, Urtasun. SBNet: Sparse Blocks Network for Fast Inference. CVPR 2018.
    """

    def __init__(self, filters, kernel_size, block_size=None, strides=1, use_bias=True,
                 kernel_initializer="glorot_uniform", tol=0.0, avgpool=False, impl="auto",
                 dense_fallback=DENSE_FALLBACK, **kwargs):
        super().__init__(block_size, tol, avgpool, impl, dense_fallback, **kwargs)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.conv = layers.Conv2D(filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias,
                                  kernel_initializer=self.kernel_initializer, name="conv", dtype=self.dtype_policy)
        if block_size is not None:  # validate
            geometry.calc_block_params((max(_pair(block_size)), ) * 2, block_size, kernel_size, strides)

    def block_params(self, input_hw):
        """Block geometry of this convolution on ``input_hw`` inputs."""
        block_size = self._block_size_for(input_hw, self.kernel_size, self.strides)
        return geometry.calc_block_params(input_hw, block_size, self.kernel_size, self.strides, "SAME")

    def build(self, input_shape):
        x_shape = _x_shape(input_shape, self.name)
        params = self.block_params(_static_hw(x_shape, self.name))
        self.conv.build((None, *params.bsize, x_shape[3]))

    def call(self, inputs):
        x, mask, indices = _split_inputs(inputs, self.name)
        params = self.block_params(_static_hw(x.shape, self.name))
        indices = self._indices(mask, indices, params)
        out_hw = [-(-n // s) for n, s in zip(x.shape[1:3], _pair(self.strides))]
        batch = tf.shape(x)[0]

        def sparse():
            blocks = self.conv(self._gather(x, _at_least_one_block(indices), params))[:tf.shape(indices)[0]]
            return ops.sparse_scatter_zeros(blocks, indices, tf.stack([batch, *out_hw]), params.bsize_out,
                                            impl=self.impl)

        def dense():
            y = tf.nn.conv2d(x, tf.cast(self.conv.kernel, x.dtype), _pair(self.strides), "SAME")
            return y + tf.cast(self.conv.bias, x.dtype) if self.use_bias else y

        def keep_active(y):
            return tf.where(_coverage(indices, params, batch, out_hw), y, tf.zeros([], y.dtype))

        return self._sparse_or_dense(indices, params, batch, sparse, dense, keep_active)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape[0]
        sh, sw = _pair(self.strides)
        return batch, -(-height // sh), -(-width // sw), self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="zoo")
class SparseResBlock(_SparseBlockLayer):
    """SBNet's sparse bottleneck residual unit (paper Fig. 4): gather, BN-ReLU-1×1 → BN-ReLU-3×3 (stride) →
    BN-ReLU-1×1 on the blocks, then scatter-add onto the shortcut.

    The shortcut is the input, or a strided 1×1 projection of it when the stride or width changes (or
    ``projection=True``); outside the active blocks the output *is* the shortcut. Gathered pixels that fall
    in the image's zero padding are zeroed again before the 3×3 convolution, so the unit equals its dense
    SAME counterpart (``sparse=False``, same weights) on active blocks. Batch norm statistics in training are
    those of the gathered blocks, as in the paper: train in the mode you will run. With no active block the unit
    is its shortcut and its moving statistics do not move.

    Args:
        filters: output channels.
        block_size: input block size; ``block_size − 3`` must be a multiple of ``strides``. None (the default):
            chosen from the input size by :func:`zoo.sbnet.geometry.default_block_size`.
        bottleneck_filters: inner width (default ``filters // 4``).
        strides: stride of the 3×3 convolution (and the projection).
        projection: force (True) or forbid (False) the 1×1 projection shortcut; None decides by shape.
        tol, avgpool, impl: as in :class:`SparseConv2D`.
        dense_fallback: as in :class:`SparseConv2D`, at inference only (training keeps the gathered blocks'
            batch statistics).
        sparse: False runs the same weights densely with SAME padding (the dense twin); the input is then
            ``x`` alone.

    Call: ``layer((x, mask))``, ``layer((x, indices))`` or, dense, ``layer(x)``.
    """

    KERNELS = (1, 3, 1)

    def __init__(self, filters, block_size=None, bottleneck_filters=None, strides=1, projection=None, tol=0.0,
                 avgpool=False, impl="auto", dense_fallback=DENSE_FALLBACK, sparse=True, **kwargs):
        super().__init__(block_size, tol, avgpool, impl, dense_fallback, **kwargs)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        bottleneck_filters = bottleneck_filters or max(filters // 4, 1)
        self.filters = filters
        self.bottleneck_filters = bottleneck_filters
        self.strides = strides
        self.projection = projection
        self.sparse = sparse
        widths = (bottleneck_filters, bottleneck_filters, filters)
        self.norms = [batch_norm(f"bn{i}", self.dtype_policy) for i in range(3)]
        self.convs = [layers.Conv2D(w, k, strides=strides if k == 3 else 1, use_bias=False, name=f"conv{i}",
                                    padding="valid", kernel_initializer=conv_initializer(), dtype=self.dtype_policy)
                      for i, (w, k) in enumerate(zip(widths, self.KERNELS))]
        self.shortcut_conv = None
        if block_size is not None:  # validate
            geometry.calc_block_params_res_block((max(_pair(block_size)), ) * 2, block_size, self.KERNELS, strides)

    def block_params(self, input_hw):
        """Block geometry of this unit (receptive field 3, stride ``strides``) on ``input_hw`` inputs."""
        field = 1 + sum(k - 1 for k in self.KERNELS)
        block_size = self._block_size_for(input_hw, field, self.strides)
        return geometry.calc_block_params_res_block(input_hw, block_size, self.KERNELS, self.strides, "SAME")

    def build(self, input_shape):
        x_shape = _x_shape(input_shape, self.name) if self.sparse else tuple(input_shape)
        needs_projection = _pair(self.strides) != (1, 1) or x_shape[3] != self.filters
        if self.projection is False and needs_projection:
            raise ValueError(f"projection=False needs strides 1 and {self.filters} input channels, got strides "
                             f"{self.strides} and {x_shape[3]} channels")
        if self.projection or needs_projection:
            self.shortcut_conv = layers.Conv2D(self.filters, 1, strides=self.strides, use_bias=False,
                                               name="projection", kernel_initializer=conv_initializer(),
                                               dtype=self.dtype_policy)
            self.shortcut_conv.build(x_shape)
        shape = (None, None, None, x_shape[3])
        for norm, convolution in zip(self.norms, self.convs):
            norm.build(shape)
            convolution.build(shape)
            shape = convolution.compute_output_shape(shape)

    def call(self, inputs, training=None):
        if not self.sparse:
            return self._residual(inputs, training, "SAME") + self._shortcut(inputs)
        x, mask, indices = _split_inputs(inputs, self.name)
        hw = _static_hw(x.shape, self.name)
        params = self.block_params(hw)
        indices = self._indices(mask, indices, params)
        shortcut = self._shortcut(x)

        def active_blocks():
            blocks = self.residual_on_blocks(self._gather(x, indices, params), indices, hw, training)
            return self._scatter(blocks, indices, shortcut, params, add=True)

        def sparse():
            # No active block: the output is the shortcut, and batch norm must not run (in training it would move
            # the moving statistics with a block that is never written back).
            return tf.cond(tf.shape(indices)[0] > 0, active_blocks, lambda: shortcut)

        def dense():
            return shortcut + self._residual(x, training, "SAME")

        def keep_active(y):
            return tf.where(_coverage(indices, params, tf.shape(x)[0], shortcut.shape[1:3]), y, shortcut)

        return self._sparse_or_dense(indices, params, tf.shape(x)[0], sparse, dense, keep_active,
                                     allowed=not training)

    def residual_on_blocks(self, blocks, indices, input_hw, training=None):
        """The residual branch on ``blocks`` gathered at ``indices`` from an ``input_hw`` input (VALID, with the
        pixels outside the image zeroed before the 3×3): what the unit adds onto its shortcut at those blocks."""
        inside = _inside_image(indices, self.block_params(input_hw), input_hw)
        return self._residual(blocks, training, "VALID", inside)

    def _residual(self, x, training, padding, inside=None):
        """BN-ReLU-conv ×3; VALID on gathered blocks (``inside`` marks their in-image pixels), SAME densely."""
        for i, (norm, convolution) in enumerate(zip(self.norms, self.convs)):
            x = tf.nn.relu(norm(x, training=training))
            if inside is not None and i == 1:  # the 3×3 must see SAME's zero padding, not BN-ReLU(0)
                x = x * tf.cast(inside, x.dtype)
            x = tf.nn.conv2d(x, tf.cast(convolution.kernel, x.dtype), convolution.strides, padding)
        return x

    def _shortcut(self, x):
        return x if self.shortcut_conv is None else self.shortcut_conv(x)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape[0] if self.sparse else input_shape
        sh, sw = _pair(self.strides)
        return batch, -(-height // sh), -(-width // sw), self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "bottleneck_filters": self.bottleneck_filters,
                "strides": self.strides, "projection": self.projection, "sparse": self.sparse}


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)
