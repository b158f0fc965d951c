"""SBNet's three block ops — ``reduce_mask``, ``sparse_gather``, ``sparse_scatter`` — with their gradients.

``sparse_scatter_zeros`` is the scatter onto a zero image that a sparse convolution needs, without a base
tensor to copy. Each op has two implementations with identical semantics: the compiled kernels
(``impl="native"``, from ``custom_ops/sbnet`` through :mod:`zoo.ops`) and pure TensorFlow (``impl="tf"``),
which needs no library and so gives SavedModels that load in stock TensorFlow. ``impl="auto"`` (the default)
uses the native kernels when the library is loaded and pure TensorFlow otherwise.

Geometry: block ``(n, i, j)`` covers rows ``boffset[0] + i·bstride[0] …`` (``bsize[0]`` of them) and the
matching columns of image ``n``. Gathering reads zeros outside the image; scattering skips pixels outside it.
Differences from the official ops (uber-research/sbnet): indices are int32 (not int16) and come out in
row-major order on every device; an all-zero mask yields no blocks (the official op returns one dummy block
``(0, 0, 0)``); scattering with ``add=True`` accepts overlapping blocks.
"""
import collections

import tensorflow as tf

from zoo import ops as compiled

IMPLS = ("auto", "native", "tf")

ReducedMask = collections.namedtuple("ReducedMask", ["indices", "count"])
ReducedMask.__doc__ = "Active block indices ``[count, 3]`` (int32 rows ``(n, block row, block column)``), their number."


def reduce_mask(mask, block_params, tol=0.0, avgpool=False, impl="auto"):
    """Indices of the blocks of ``block_params`` (a :class:`~zoo.sbnet.geometry.BlockParams`) whose max-pooled
    (or, with ``avgpool``, average-pooled over the full block area) ``mask`` exceeds ``tol``.

    ``mask`` is ``[N, H, W]`` or ``[N, H, W, 1]``; returns a :class:`ReducedMask`.
    """
    mask = tf.convert_to_tensor(mask)
    if not mask.dtype.is_floating and not mask.dtype.is_integer and mask.dtype != tf.bool:
        raise ValueError(f"mask must be numeric or bool, got dtype {mask.dtype.name}")
    mask = tf.cast(mask, tf.float32)
    if mask.shape.rank == 4 and mask.shape[-1] not in (1, None) or mask.shape.rank not in (3, 4):
        raise ValueError(f"mask must be [N, H, W] or [N, H, W, 1], got shape {mask.shape}")
    if any(d == 0 for d in mask.shape):
        raise ValueError(f"mask must not be empty, got shape {mask.shape}")
    geometry = dict(bsize=list(block_params.bsize), bstride=list(block_params.bstrides),
                    boffset=list(block_params.boffset))
    _check_geometry(**geometry)
    if _use_native(impl):
        indices, count = compiled.sbnet.zoo_sbnet_reduce_mask(mask, bcount=list(block_params.bcount),
                                                              tol=float(tol), avgpool=bool(avgpool), **geometry)
        return ReducedMask(indices, count)
    return _reduce_mask_tf(mask, block_params, float(tol), bool(avgpool))


def sparse_gather(x, indices, bsize, bstride, boffset=(0, 0), transpose=False, impl="auto"):
    """Stacks the ``bsize`` windows of ``x`` (NHWC) at ``indices``: ``[K, bh, bw, C]``, or ``[K, C, bh, bw]``
    when ``transpose``. Pixels outside ``x`` read as zero. Differentiable in ``x``."""
    x, indices = _as_image(x, "x"), _as_indices(indices)
    geometry = _check_geometry(bsize, bstride, boffset)
    if _use_native(impl):
        return compiled.sbnet.zoo_sbnet_sparse_gather(x, indices, transpose=bool(transpose), **geometry)
    _assert_indices_in_range(indices, tf.shape(x), geometry)
    return _gather_tf(x, indices, geometry, bool(transpose))


def sparse_scatter(blocks, indices, base, bstride, boffset=(0, 0), add=False, transpose=False, impl="auto"):
    """A copy of ``base`` (NHWC) with ``blocks`` (``[K, bh, bw, C]``, or ``[K, C, bh, bw]`` when
    ``transpose``) written — or added, when ``add`` — at ``indices``; pixels outside ``base`` are skipped.
    Writing needs non-overlapping (``bstride ≥ block size``), distinct blocks. Differentiable in ``blocks``
    and ``base``."""
    base, indices = _as_image(base, "base"), _as_indices(indices)
    blocks = tf.convert_to_tensor(blocks, dtype=base.dtype)
    if blocks.shape.rank != 4:
        raise ValueError(f"blocks must be rank 4, got shape {blocks.shape}")
    bsize = tuple(blocks.shape[2:4] if transpose else blocks.shape[1:3])
    if None in bsize:
        raise ValueError(f"blocks must have a static block size, got shape {blocks.shape}")
    geometry = _check_geometry(bsize, bstride, boffset)
    overlapping = any(s < b for s, b in zip(geometry["bstride"], bsize))
    if overlapping and not add:
        raise ValueError(f"writing blocks (add=False) needs bstride >= block size, got bstride {bstride} for "
                         f"blocks of {bsize}")
    del geometry["bsize"]
    if _use_native(impl):
        return compiled.sbnet.zoo_sbnet_sparse_scatter(blocks, indices, base, add=bool(add),
                                                       transpose=bool(transpose), **geometry)
    return _scatter_tf(blocks, indices, base, dict(geometry, bsize=list(bsize)), bool(add), bool(transpose))


def sparse_scatter_zeros(blocks, indices, output_size, bstride, boffset=(0, 0), transpose=False, impl="auto"):
    """``sparse_scatter(blocks, indices, zeros)`` with ``zeros`` of ``output_size`` = ``(N, H, W)`` and the
    blocks' channels, without materialising and copying a zero base (the sparse convolution's output)."""
    indices = _as_indices(indices)
    blocks = tf.convert_to_tensor(blocks)
    if not blocks.dtype.is_floating or blocks.shape.rank != 4:
        raise ValueError(f"blocks must be a rank-4 floating-point tensor, got {blocks.dtype.name} {blocks.shape}")
    output_size = tf.cast(tf.convert_to_tensor(output_size), tf.int32)
    if output_size.shape.rank != 1 or output_size.shape[0] not in (3, None):
        raise ValueError(f"output_size must be (batch, height, width), got shape {output_size.shape}")
    if _use_native(impl):
        geometry = _check_geometry(1, bstride, boffset)
        del geometry["bsize"]
        return compiled.sbnet.zoo_sbnet_sparse_scatter_zeros(blocks, indices, output_size, transpose=bool(transpose),
                                                             **geometry)
    channels = tf.shape(blocks)[1 if transpose else 3]
    base = tf.zeros(tf.concat([output_size, channels[None]], axis=0), blocks.dtype)
    return sparse_scatter(blocks, indices, base, bstride, boffset, add=False, transpose=transpose, impl="tf")


def native_available():
    """Whether the compiled SBNet kernels are loaded (see :mod:`zoo.ops` for why they might not be)."""
    return compiled.sbnet is not None


def _use_native(impl):
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if impl == "native" and compiled.sbnet is None:
        raise RuntimeError(f"impl='native' but the SBNet library is not loaded: {compiled.load_error}")
    return impl != "tf" and compiled.sbnet is not None


def _check_geometry(bsize, bstride, boffset):
    geometry = {}
    for name, value, positive in (("bsize", bsize, True), ("bstride", bstride, True), ("boffset", boffset, False)):
        pair = [int(v) for v in value] if not isinstance(value, int) else [value, value]
        if len(pair) != 2 or (positive and min(pair) <= 0):
            raise ValueError(f"{name} must be {'a positive' if positive else 'an'} (height, width) pair, "
                             f"got {value!r}")
        geometry[name] = pair
    return geometry


def _as_image(x, name):
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype.name}")
    if x.shape.rank != 4:
        raise ValueError(f"{name} must be rank 4 (NHWC), got shape {x.shape}")
    if any(d == 0 for d in x.shape):
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def _as_indices(indices):
    indices = tf.convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        raise ValueError(f"indices must be integer (n, block row, block column) triples, got {indices.dtype.name}")
    if indices.shape.rank != 2 or indices.shape[1] not in (3, None):
        raise ValueError(f"indices must have shape [num_blocks, 3], got {indices.shape}")
    return tf.cast(indices, tf.int32)


def _block_origins(indices, geometry):
    """Top-left pixel (row, column) of each block and its batch index."""
    offset = tf.constant(geometry["boffset"], tf.int32)
    stride = tf.constant(geometry["bstride"], tf.int32)
    return indices[:, 0], offset + indices[:, 1:] * stride


def _assert_indices_in_range(indices, image_shape, geometry):
    batch, origins = _block_origins(indices, geometry)
    size = tf.constant(geometry["bsize"], tf.int32)
    ok = tf.reduce_all((batch >= 0) & (batch < image_shape[0]) & tf.reduce_all(indices[:, 1:] >= 0, axis=1)
                       & tf.reduce_all(origins < image_shape[1:3], axis=1)
                       & tf.reduce_all(origins + size > 0, axis=1))
    tf.debugging.assert_equal(ok, True, message="indices out of range: each block's batch index must be within "
                              "the batch and its window must overlap the image")


def _block_pixels(indices, geometry, image_shape):
    """[K, bh, bw, 3] (n, row, column) of every block pixel, and whether it lies inside the image."""
    batch, origins = _block_origins(indices, geometry)
    rows = origins[:, 0, None] + tf.range(geometry["bsize"][0])
    cols = origins[:, 1, None] + tf.range(geometry["bsize"][1])
    shape = tf.stack([tf.shape(indices)[0], geometry["bsize"][0], geometry["bsize"][1]])
    rows = tf.broadcast_to(rows[:, :, None], shape)
    cols = tf.broadcast_to(cols[:, None, :], shape)
    inside = (rows >= 0) & (rows < image_shape[1]) & (cols >= 0) & (cols < image_shape[2])
    return tf.stack([tf.broadcast_to(batch[:, None, None], shape), rows, cols], axis=-1), inside


def _gather_tf(x, indices, geometry, transpose):
    pixels, inside = _block_pixels(indices, geometry, tf.shape(x))
    clamped = tf.maximum(tf.minimum(pixels, tf.shape(x)[:3] - 1), 0)
    blocks = tf.where(inside[..., None], tf.gather_nd(x, clamped), tf.zeros([], x.dtype))
    return tf.transpose(blocks, [0, 3, 1, 2]) if transpose else blocks


def _scatter_tf(blocks, indices, base, geometry, add, transpose):
    if transpose:
        blocks = tf.transpose(blocks, [0, 2, 3, 1])
    tf.debugging.assert_equal(tf.shape(blocks)[0], tf.shape(indices)[0],
                              message="blocks and indices must hold the same number of blocks")
    tf.debugging.assert_equal(tf.shape(blocks)[3], tf.shape(base)[3],
                              message="blocks must have as many channels as base")
    _assert_indices_in_range(indices, tf.shape(base), geometry)
    if not add:
        wide = tf.cast(indices, tf.int64)  # block rows and columns are < 2**21 for any image TF can hold
        keys = (wide[:, 0] * 2**21 + wide[:, 1]) * 2**21 + wide[:, 2]
        tf.debugging.assert_equal(tf.size(tf.unique(keys).y), tf.size(keys),
                                  message="writing blocks (add=False) needs distinct indices")
    pixels, inside = _block_pixels(indices, geometry, tf.shape(base))
    pixels, updates = tf.boolean_mask(pixels, inside), tf.boolean_mask(blocks, inside)
    if add:
        return tf.tensor_scatter_nd_add(base, pixels, updates)
    return tf.tensor_scatter_nd_update(base, pixels, updates)


def _reduce_mask_tf(mask, block_params, tol, avgpool):
    if mask.shape.rank == 3:
        mask = mask[..., None]
    (bh, bw), (sh, sw) = block_params.bsize, block_params.bstrides
    (oh, ow), (ch, cw) = block_params.boffset, block_params.bcount
    # Pad (or crop) so that block (0, 0) starts at pixel (0, 0) and the last block ends inside the tensor;
    # VALID pooling then divides by the full block area, counting outside pixels as zeros.
    mask = mask[:, max(oh, 0):, max(ow, 0):]
    extent_h, extent_w = (ch - 1) * sh + bh, (cw - 1) * sw + bw
    pad_h = tf.maximum(extent_h - max(-oh, 0) - tf.shape(mask)[1], 0)
    pad_w = tf.maximum(extent_w - max(-ow, 0) - tf.shape(mask)[2], 0)
    mask = tf.pad(mask, [[0, 0], [max(-oh, 0), pad_h], [max(-ow, 0), pad_w], [0, 0]])
    pool = tf.nn.avg_pool2d if avgpool else tf.nn.max_pool2d
    pooled = pool(mask, [bh, bw], [sh, sw], "VALID")[:, :ch, :cw, 0]
    indices = tf.cast(tf.where(pooled > tol), tf.int32)
    return ReducedMask(indices, tf.shape(indices)[0])


def _static_pair(op, name):
    return [int(v) for v in op.get_attr(name)]


@tf.RegisterGradient("ZooSbnetSparseGather")
def _sparse_gather_grad(op, grad):
    """Scatter-add of the incoming block gradients over the (possibly overlapping) windows."""
    x, indices = op.inputs
    dx = compiled.sbnet.zoo_sbnet_sparse_scatter(grad, indices, tf.zeros_like(x), bstride=_static_pair(op, "bstride"),
                                                 boffset=_static_pair(op, "boffset"), add=True,
                                                 transpose=op.get_attr("transpose"))
    return dx, None


@tf.RegisterGradient("ZooSbnetSparseScatter")
def _sparse_scatter_grad(op, grad):
    """Blocks: the gather of the incoming gradient; base: passed through where nothing was overwritten."""
    blocks, indices, _ = op.inputs
    transpose, add = op.get_attr("transpose"), op.get_attr("add")
    geometry = dict(bstride=_static_pair(op, "bstride"), boffset=_static_pair(op, "boffset"))
    bsize = [int(d) for d in (blocks.shape[2:4] if transpose else blocks.shape[1:3])]
    dblocks = compiled.sbnet.zoo_sbnet_sparse_gather(grad, indices, bsize=bsize, transpose=transpose, **geometry)
    dbase = grad if add else compiled.sbnet.zoo_sbnet_sparse_scatter(tf.zeros_like(blocks), indices, grad,
                                                                     add=False, transpose=transpose, **geometry)
    return dblocks, None, dbase


@tf.RegisterGradient("ZooSbnetSparseScatterZeros")
def _sparse_scatter_zeros_grad(op, grad):
    """Blocks: the gather of the incoming gradient."""
    blocks, indices, _ = op.inputs
    transpose = op.get_attr("transpose")
    bsize = [int(d) for d in (blocks.shape[2:4] if transpose else blocks.shape[1:3])]
    dblocks = compiled.sbnet.zoo_sbnet_sparse_gather(grad, indices, bsize=bsize, transpose=transpose,
                                                     bstride=_static_pair(op, "bstride"),
                                                     boffset=_static_pair(op, "boffset"))
    return dblocks, None, None


tf.no_gradient("ZooSbnetReduceMask")
