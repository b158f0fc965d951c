"""SBNet's three block ops — ``reduce_mask``, ``sparse_gather``, ``sparse_scatter`` — with their gradients.

``sparse_scatter_zeros`` is the scatter onto a zero image that a sparse convolution needs, without a base
tensor to copy. Each op has two implementations with identical semantics: the compiled kernels
(``impl="native"``, built from ``custom_ops/sbnet`` and loaded by :mod:`zoo.sbnet.native`) and pure TensorFlow
(``impl="tf"``), which needs no library and so gives SavedModels that load in stock TensorFlow. ``impl="auto"``
(the default) uses the native kernels when the library is loaded and pure TensorFlow otherwise. Importing this
module loads the library: a process serving a SavedModel exported with the native kernels runs
``import zoo.sbnet.ops`` before ``tf.saved_model.load``.

Geometry: block ``(n, i, j)`` covers rows ``boffset[0] + i·bstride[0] …`` (``bsize[0]`` of them) and the
matching columns of image ``n``. Gathering reads zeros outside the image; scattering skips pixels outside it.
Differences from the official ops (uber-research/sbnet): indices are int32 (not int16) and come out in
row-major order on every device; an all-zero mask yields no blocks (the official op returns one dummy block
``(0, 0, 0)``); scattering with ``add=True`` accepts overlapping blocks.
"""
import collections
import math
import numbers

import numpy as np
import tensorflow as tf

from zoo.sbnet import native

IMPLS = ("auto", "native", "tf")

MAX_ELEMENTS = 2**31 - 1
"""The most elements of any tensor the ops size from their arguments: ``reduce_mask``'s candidate blocks
(batch × bcount), ``sparse_gather``'s output, ``sparse_scatter_zeros``'s output and one block of a scatter. Larger
sizes raise ``tf.errors.InvalidArgumentError`` in both implementations, before anything is allocated. It mirrors
``kMaxElements`` in ``custom_ops/sbnet/sbnet_op_common.h`` (a test checks that they agree). Attribute values,
indices and output sizes must also fit in int32."""

_INT32_MIN, _INT32_MAX = -2**31, 2**31 - 1

ReducedMask = collections.namedtuple("ReducedMask", ["indices", "count"])
ReducedMask.__doc__ = "Active block indices ``[count, 3]`` (int32 rows ``(n, block row, block column)``), their number."


def reduce_mask(mask, block_params, tol=0.0, avgpool=False, impl="auto"):
    """Indices of the blocks of ``block_params`` (a :class:`~zoo.sbnet.geometry.BlockParams`) whose max-pooled
    (or, with ``avgpool``, average-pooled over the full block area) ``mask`` exceeds ``tol``.

    ``mask`` is ``[N, H, W]`` or ``[N, H, W, 1]``; returns a :class:`ReducedMask`. ``bcount`` must be positive and
    ``N × bcount[0] × bcount[1]`` at most :data:`MAX_ELEMENTS`.
    """
    mask = tf.convert_to_tensor(mask)
    if not mask.dtype.is_floating and not mask.dtype.is_integer and mask.dtype != tf.bool:
        raise ValueError(f"mask must be numeric or bool, got dtype {mask.dtype.name}")
    mask = tf.cast(mask, tf.float32)
    if mask.shape.rank == 4 and mask.shape[-1] not in (1, None) or mask.shape.rank not in (3, 4):
        raise ValueError(f"mask must be [N, H, W] or [N, H, W, 1], got shape {mask.shape}")
    if any(d == 0 for d in mask.shape):
        raise ValueError(f"mask must not be empty, got shape {mask.shape}")
    geometry = _check_geometry(block_params.bsize, block_params.bstrides, block_params.boffset)
    bcount = _check_pair("bcount", block_params.bcount, positive=True)
    tol = float(np.float32(tol))  # the native op's attribute is a float32; compare against the same number
    if _use_native(impl):
        indices, count = native.library.zoo_sbnet_reduce_mask(mask, bcount=bcount, tol=tol, avgpool=bool(avgpool),
                                                              **geometry)
        return ReducedMask(indices, count)
    return _reduce_mask_tf(mask, geometry, bcount, tol, bool(avgpool))


def sparse_gather(x, indices, bsize, bstride, boffset=(0, 0), transpose=False, impl="auto"):
    """Stacks the ``bsize`` windows of ``x`` (NHWC) at ``indices``: ``[K, bh, bw, C]``, or ``[K, C, bh, bw]``
    when ``transpose``. Pixels outside ``x`` read as zero. Differentiable in ``x``. The output may hold at most
    :data:`MAX_ELEMENTS` elements."""
    x, indices = _as_image(x, "x"), _as_indices(indices)
    geometry = _check_geometry(bsize, bstride, boffset)
    if _use_native(impl):
        return native.library.zoo_sbnet_sparse_gather(x, indices, transpose=bool(transpose), **geometry)
    checks = _check_elements("sparse_gather's output (blocks x bsize x channels)",
                             [_dim(indices, 0), *geometry["bsize"], _dim(x, 3)])
    checks.append(_assert_indices_in_range(indices, tf.shape(x, out_type=tf.int64), geometry))
    with tf.control_dependencies(checks):
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
        return native.library.zoo_sbnet_sparse_scatter(blocks, indices, base, add=bool(add),
                                                       transpose=bool(transpose), **geometry)
    return _scatter_tf(blocks, indices, base, dict(geometry, bsize=list(bsize)), bool(add), bool(transpose))


def sparse_scatter_zeros(blocks, indices, output_size, bstride, boffset=(0, 0), transpose=False, impl="auto"):
    """``sparse_scatter(blocks, indices, zeros)`` with ``zeros`` of ``output_size`` = ``(N, H, W)`` and the
    blocks' channels, without materialising and copying a zero base (the sparse convolution's output). The
    output must be non-empty and hold at most :data:`MAX_ELEMENTS` elements."""
    indices = _as_indices(indices)
    blocks = tf.convert_to_tensor(blocks)
    if not blocks.dtype.is_floating or blocks.shape.rank != 4:
        raise ValueError(f"blocks must be a rank-4 floating-point tensor, got {blocks.dtype.name} {blocks.shape}")
    output_size = tf.convert_to_tensor(output_size)
    if not output_size.dtype.is_integer:
        raise ValueError(f"output_size must be integer (batch, height, width), got dtype {output_size.dtype.name}")
    if output_size.shape.rank != 1 or output_size.shape[0] not in (3, None):
        raise ValueError(f"output_size must be (batch, height, width), got shape {output_size.shape}")
    output_size = _as_int32(output_size, "output_size")
    geometry = _check_geometry(1, bstride, boffset)
    del geometry["bsize"]
    if _use_native(impl):
        return native.library.zoo_sbnet_sparse_scatter_zeros(blocks, indices, output_size, transpose=bool(transpose),
                                                             **geometry)
    channels = _dim(blocks, 1 if transpose else 3)
    checks = [tf.debugging.assert_positive(output_size, message="output_size must be positive (the output must "
                                           "not be empty)")]
    checks += _check_elements("sparse_scatter_zeros's output (output_size x channels)",
                              [output_size[0], output_size[1], output_size[2], channels])
    with tf.control_dependencies(checks):
        base = tf.zeros(tf.concat([output_size, tf.reshape(tf.cast(channels, tf.int32), [1])], axis=0), blocks.dtype)
    return sparse_scatter(blocks, indices, base, bstride, boffset, add=False, transpose=transpose, impl="tf")


def native_available():
    """Whether the compiled SBNet kernels are loaded (:data:`zoo.sbnet.native.load_error` says why not)."""
    return native.library is not None


def _use_native(impl):
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if impl == "native" and native.library is None:
        raise RuntimeError(f"impl='native' but the SBNet library is not loaded: {native.load_error}")
    return impl != "tf" and native.library is not None


def _check_pair(name, value, positive):
    """A (height, width) attribute as a list of two int32 values (an int means both); ValueError otherwise."""
    pair = [value, value] if isinstance(value, numbers.Integral) else list(value) \
        if isinstance(value, (list, tuple)) else None
    if pair is None or len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                                 for v in pair):
        raise ValueError(f"{name} must be an int or a (height, width) pair of ints, got {value!r}")
    low = 1 if positive else _INT32_MIN
    if not all(low <= v <= _INT32_MAX for v in pair):
        raise ValueError(f"{name} must be {'positive ' if positive else ''}(height, width) values in "
                         f"[{low}, {_INT32_MAX}] (int32), got {value!r}")
    return [int(v) for v in pair]


def _check_geometry(bsize, bstride, boffset):
    return {"bsize": _check_pair("bsize", bsize, True), "bstride": _check_pair("bstride", bstride, True),
            "boffset": _check_pair("boffset", boffset, False)}


def _dim(tensor, axis):
    """Size of ``tensor`` along ``axis``: a Python int when static, else an int64 scalar tensor."""
    static = tensor.shape[axis]
    return int(static) if static is not None else tf.shape(tensor, out_type=tf.int64)[axis]


def _check_elements(what, dims):
    """Checks that ``prod(dims)`` is at most MAX_ELEMENTS: raises InvalidArgumentError now when every size is
    static, else returns the assertion ops to run first (the product saturates, so int64 never overflows)."""
    static = [d if isinstance(d, int) else tf.get_static_value(d) for d in dims]
    if all(v is not None for v in static):
        static = [int(v) for v in static]
        if math.prod(static) > MAX_ELEMENTS:  # Python ints: exact
            raise tf.errors.InvalidArgumentError(None, None, f"{what} would have more than {MAX_ELEMENTS} elements "
                                                 f"(shape {static}); the SBNet ops' limit is MAX_ELEMENTS = "
                                                 f"{MAX_ELEMENTS}")
        return []
    product = tf.constant(1, tf.int64)
    for d in dims:
        d = tf.minimum(tf.cast(d, tf.int64), MAX_ELEMENTS + 1)
        product = tf.minimum(product * d, MAX_ELEMENTS + 1)
    return [tf.debugging.assert_less_equal(product, tf.constant(MAX_ELEMENTS, tf.int64), message=(
        f"{what} would have more than {MAX_ELEMENTS} elements; the SBNet ops' limit is MAX_ELEMENTS"))]


def _as_int32(tensor, name):
    """An integer tensor as int32, raising InvalidArgumentError (never wrapping) when a value does not fit."""
    if tensor.dtype in (tf.int32, tf.int8, tf.int16, tf.uint8, tf.uint16):
        return tf.cast(tensor, tf.int32)
    message = f"{name} must fit in int32 ([{_INT32_MIN}, {_INT32_MAX}])"
    value = tf.get_static_value(tensor)
    if value is not None:
        bad = (value > _INT32_MAX) | (value < _INT32_MIN) if not tensor.dtype.is_unsigned else value > _INT32_MAX
        if np.any(bad):
            raise tf.errors.InvalidArgumentError(None, None, f"{message}, got {value[bad].ravel()[0]}")
        return tf.cast(tensor, tf.int32)
    checks = [tf.debugging.assert_less_equal(tensor, tf.constant(_INT32_MAX, tensor.dtype), message=message)]
    if not tensor.dtype.is_unsigned:
        checks.append(tf.debugging.assert_greater_equal(tensor, tf.constant(_INT32_MIN, tensor.dtype),
                                                        message=message))
    with tf.control_dependencies(checks):
        return tf.cast(tensor, tf.int32)


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
    return _as_int32(indices, "indices")


def _block_origins(indices, geometry):
    """Batch index and top-left pixel (row, column) of each block, in int64 (block row × stride needs 62 bits)."""
    indices = tf.cast(indices, tf.int64)
    offset = tf.constant(geometry["boffset"], tf.int64)
    stride = tf.constant(geometry["bstride"], tf.int64)
    return indices[:, 0], offset + indices[:, 1:] * stride


def _assert_indices_in_range(indices, image_shape, geometry):
    """An assertion that each block's batch index is in the batch and its window overlaps the image (int64)."""
    batch, origins = _block_origins(indices, geometry)
    size = tf.constant(geometry["bsize"], tf.int64)
    ok = tf.reduce_all((batch >= 0) & (batch < image_shape[0]) & tf.reduce_all(indices[:, 1:] >= 0, axis=1)
                       & tf.reduce_all(origins < image_shape[1:3], axis=1)
                       & tf.reduce_all(origins + size > 0, axis=1))
    return tf.debugging.assert_equal(ok, True, message="indices out of range: each block's batch index must be "
                                     "within the batch and its window must overlap the image")


def _block_pixels(indices, geometry, image_shape):
    """[K, bh, bw, 3] int64 (n, row, column) of every block pixel, and whether it lies inside the image."""
    batch, origins = _block_origins(indices, geometry)
    rows = origins[:, 0, None] + tf.range(geometry["bsize"][0], dtype=tf.int64)
    cols = origins[:, 1, None] + tf.range(geometry["bsize"][1], dtype=tf.int64)
    shape = tf.stack([tf.shape(indices, out_type=tf.int64)[0], geometry["bsize"][0], geometry["bsize"][1]])
    rows = tf.broadcast_to(rows[:, :, None], shape)
    cols = tf.broadcast_to(cols[:, None, :], shape)
    inside = (rows >= 0) & (rows < image_shape[1]) & (cols >= 0) & (cols < image_shape[2])
    return tf.stack([tf.broadcast_to(batch[:, None, None], shape), rows, cols], axis=-1), inside


def _gather_tf(x, indices, geometry, transpose):
    image_shape = tf.shape(x, out_type=tf.int64)
    pixels, inside = _block_pixels(indices, geometry, image_shape)
    clamped = tf.maximum(tf.minimum(pixels, image_shape[:3] - 1), 0)
    blocks = tf.where(inside[..., None], tf.gather_nd(x, clamped), tf.zeros([], x.dtype))
    return tf.transpose(blocks, [0, 3, 1, 2]) if transpose else blocks


def _scatter_tf(blocks, indices, base, geometry, add, transpose):
    if transpose:
        blocks = tf.transpose(blocks, [0, 2, 3, 1])
    image_shape = tf.shape(base, out_type=tf.int64)
    checks = _check_elements("one block of sparse_scatter (block height x width x channels)",
                             [_dim(blocks, 1), _dim(blocks, 2), _dim(blocks, 3)])
    checks += [tf.debugging.assert_equal(tf.shape(blocks)[0], tf.shape(indices)[0],
                                         message="blocks and indices must hold the same number of blocks"),
               tf.debugging.assert_equal(tf.shape(blocks)[3], tf.shape(base)[3],
                                         message="blocks must have as many channels as base"),
               _assert_indices_in_range(indices, image_shape, geometry)]
    if not add:
        distinct = tf.shape(tf.raw_ops.UniqueV2(x=indices, axis=[0]).y)[0]
        checks.append(tf.debugging.assert_equal(distinct, tf.shape(indices)[0],
                                                message="writing blocks (add=False) needs distinct indices"))
    with tf.control_dependencies(checks):
        pixels, inside = _block_pixels(indices, geometry, image_shape)
    pixels, updates = tf.boolean_mask(pixels, inside), tf.boolean_mask(blocks, inside)
    if add:
        return tf.tensor_scatter_nd_add(base, pixels, updates)
    return tf.tensor_scatter_nd_update(base, pixels, updates)


def _reduce_mask_tf(mask, geometry, bcount, tol, avgpool):
    """Pure-TF reduce_mask with the native op's semantics, from summed-area tables over each block window clipped
    to the image: max pooling is "some pixel > tol" (a count of such pixels), average pooling the sum over the
    window divided by the full block area (NaN and ±inf as in a plain sum). Nothing is padded, so any geometry
    costs O(N·H·W + N·bcount_h·W + N·bcount_h·bcount_w)."""
    if mask.shape.rank == 4:
        mask = mask[..., 0]
    shape = tf.shape(mask, out_type=tf.int64)
    checks = _check_elements("reduce_mask's candidate blocks (batch x bcount)", [_dim(mask, 0), *bcount])
    with tf.control_dependencies(checks):
        rows = _window_spans(geometry, bcount, 0, shape[1])
        cols = _window_spans(geometry, bcount, 1, shape[2])
        if avgpool:
            # the finite part's sum in float64 (the native op sums in double), and counts of NaN, +inf and -inf
            parts = [tf.where(tf.math.is_finite(mask), mask, 0.0), tf.math.is_nan(mask), tf.equal(mask, np.inf),
                     tf.equal(mask, -np.inf)]
            features = tf.stack([tf.cast(part, tf.float64) for part in parts], axis=-1)
        else:
            features = tf.cast(mask > tol, tf.float64)[..., None]  # NaN is never > tol
        sums = _window_sums(_window_sums(features, *rows[:2], axis=1), *cols[:2], axis=2)  # [N, bch, bcw, F]
        if avgpool:
            nan = (sums[..., 1] > 0) | (sums[..., 2] > 0) & (sums[..., 3] > 0)
            total = tf.where(nan, np.nan, tf.where(sums[..., 2] > 0, np.inf,
                                                   tf.where(sums[..., 3] > 0, -np.inf, sums[..., 0])))
            area = float(geometry["bsize"][0]) * float(geometry["bsize"][1])
            active = total / area > tol
        else:
            clipped = rows[2][:, None] | cols[2][None, :]  # the window reaches outside the image: zeros count too
            active = (sums[..., 0] > 0) | (clipped[None] & (0.0 > tol))
        indices = tf.cast(tf.where(active), tf.int32)
    return ReducedMask(indices, tf.shape(indices)[0])


def _window_spans(geometry, bcount, axis, length):
    """Per block row (axis 0) or column (axis 1): the window's [start, stop) clipped to [0, length), and whether
    clipping removed anything."""
    starts = geometry["boffset"][axis] + geometry["bstride"][axis] * tf.range(bcount[axis], dtype=tf.int64)
    stops = starts + geometry["bsize"][axis]
    clipped = (starts < 0) | (stops > length)
    return tf.clip_by_value(starts, 0, length), tf.clip_by_value(stops, 0, length), clipped


def _window_sums(x, starts, stops, axis):
    """Sums of ``x`` over ``[starts[k], stops[k])`` along ``axis`` (a summed-area table: prefix-sum differences)."""
    paddings = [[0, 0]] * len(x.shape)
    paddings[axis] = [1, 0]
    prefix = tf.pad(tf.cumsum(x, axis=axis), paddings)
    return tf.gather(prefix, stops, axis=axis) - tf.gather(prefix, starts, axis=axis)


def _static_pair(op, name):
    return [int(v) for v in op.get_attr(name)]


@tf.RegisterGradient("ZooSbnetSparseGather")
def _sparse_gather_grad(op, grad):
    """Scatter-add of the incoming block gradients over the (possibly overlapping) windows."""
    x, indices = op.inputs
    dx = native.library.zoo_sbnet_sparse_scatter(grad, indices, tf.zeros_like(x), bstride=_static_pair(op, "bstride"),
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
    dblocks = native.library.zoo_sbnet_sparse_gather(grad, indices, bsize=bsize, transpose=transpose, **geometry)
    dbase = grad if add else native.library.zoo_sbnet_sparse_scatter(tf.zeros_like(blocks), indices, grad,
                                                                     add=False, transpose=transpose, **geometry)
    return dblocks, None, dbase


@tf.RegisterGradient("ZooSbnetSparseScatterZeros")
def _sparse_scatter_zeros_grad(op, grad):
    """Blocks: the gather of the incoming gradient."""
    blocks, indices, _ = op.inputs
    transpose = op.get_attr("transpose")
    bsize = [int(d) for d in (blocks.shape[2:4] if transpose else blocks.shape[1:3])]
    dblocks = native.library.zoo_sbnet_sparse_gather(grad, indices, bsize=bsize, transpose=transpose,
                                                     bstride=_static_pair(op, "bstride"),
                                                     boffset=_static_pair(op, "boffset"))
    return dblocks, None, None


tf.no_gradient("ZooSbnetReduceMask")
