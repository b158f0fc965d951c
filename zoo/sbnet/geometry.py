"""Block geometry of SBNet's overlapping tiles (the official ``calc_block_params``), with SAME or VALID padding.

A convolution (or a residual unit, through its receptive field) over only the active tiles of an image reads
input blocks of ``bsize`` that overlap by ``ksize − stride`` and writes output blocks of ``bsize_out`` that tile
the output exactly. Block ``(i, j)`` reads from input origin ``boffset + (i, j) · bstrides`` (negative offsets and
reads past the border are the zero padding) and writes to output origin ``(i, j) · bsize_out``. The grid of
``bcount`` blocks covers the whole output, so the bottom/right padding is enlarged until the last block fits.
"""
import dataclasses
import math
import numbers


@dataclasses.dataclass(frozen=True)
class BlockParams:
    """Per spatial axis (height, width): input block size, output block size, input offset of block 0,
    number of blocks, and input stride between blocks."""

    bsize: tuple
    bsize_out: tuple
    boffset: tuple
    bcount: tuple
    bstrides: tuple


def calc_block_params(in_size, bsize, ksize, strides=1, padding="SAME"):
    """Block geometry for a ``ksize`` convolution with ``strides`` on ``in_size`` inputs read in ``bsize`` blocks.

    Args:
        in_size: input ``(height, width)``.
        bsize: input block ``(height, width)`` (an int for square blocks).
        ksize: kernel ``(height, width)`` (an int for square kernels); for a residual unit pass its receptive
            field (see :func:`calc_block_params_res_block`).
        strides: convolution stride, an int or a pair.
        padding: ``"SAME"`` or ``"VALID"``, as in ``tf.nn.conv2d``.
    """
    in_size, bsize, ksize, strides = (_pair(name, value) for name, value in
                                      (("in_size", in_size), ("bsize", bsize), ("ksize", ksize),
                                       ("strides", strides)))
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    axes = [_axis(n, b, k, s, padding, axis) for axis, (n, b, k, s) in
            enumerate(zip(in_size, bsize, ksize, strides))]
    return BlockParams(*(tuple(axis[i] for axis in axes) for i in range(5)))


def calc_block_params_res_block(in_size, bsize, ksize_list, strides=1, padding="SAME"):
    """Block geometry for a residual unit whose convolutions have kernels ``ksize_list`` (e.g. ``[1, 3, 1]``):
    its receptive field ``1 + Σ (k − 1)`` acts as one kernel."""
    if not ksize_list:
        raise ValueError("ksize_list must name at least one kernel size")
    kernels = [_pair("ksize_list entry", k) for k in ksize_list]
    field = tuple(1 + sum(k[axis] - 1 for k in kernels) for axis in (0, 1))
    return calc_block_params(in_size, bsize, field, strides, padding)


def _axis(size, block, kernel, stride, padding, axis):
    name = ("height", "width")[axis]
    if block < kernel:
        raise ValueError(f"bsize {name} {block} must be at least the kernel {name} {kernel}")
    if (block - kernel) % stride:
        raise ValueError(f"bsize {name} {block} minus kernel {kernel} must be a multiple of the stride {stride}")
    if padding == "SAME":
        out = math.ceil(size / stride)
        pad_before = max((out - 1) * stride + kernel - size, 0) // 2
    else:
        if size < kernel:
            raise ValueError(f"in_size {name} {size} is smaller than the kernel {kernel} with VALID padding")
        out = (size - kernel) // stride + 1
        pad_before = 0
    block_out = (block - kernel) // stride + 1
    return block, block_out, -pad_before, math.ceil(out / block_out), block - kernel + stride


def _pair(name, value):
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                                 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
    return tuple(int(v) for v in pair)


BLOCK_SCALE = 1.5
"""The constant of :func:`default_block_size`'s rule. Measured (``tools/sbnet/bench.py``, the paper's four stage
sizes at mask densities 5–50%, one 3×3 convolution and residual units): output blocks of ``sqrt(c × S)`` for
``c`` = 2, 3, 4, 5, 6, 8 (``c = BLOCK_SCALE × 2`` for a 3×3 kernel) gave geometric-mean speed-ups within 10% of
each other, the best at ``c = 3``."""


def default_block_size(in_size, ksize=3, strides=1):
    """The block size the layers use when they are given none: for a ``ksize`` convolution (or a residual unit's
    receptive field) with ``strides`` on ``in_size`` inputs.

    Output blocks of ``round(sqrt(BLOCK_SCALE × h × S))`` pixels, where ``S`` is the shorter side of the output and
    ``h = max(ksize − stride, 1) / stride`` the halo a block gathers beyond its output, in output pixels. A block of
    side ``b`` spends a fraction ``~2h / b`` of its work on its halo, and, on a mask whose features span a fraction
    of the image, a fraction ``~b / S`` on the parts of its blocks that overhang them; the square root balances the
    two, and :data:`BLOCK_SCALE` (measured) accounts for the fixed cost of each block. For a 3×3 convolution, input
    blocks of 37, 26, 19 and 14 pixels on the 400×704, 200×352, 100×176 and 50×88 inputs of the paper's stages.
    (How the blocks tile the whole output only matters when nearly every block is active, where the layers' dense
    fallback computes densely instead.)

    Returns an int for square blocks, else a ``(height, width)`` pair; ``block − ksize`` is a multiple of the
    stride, as :func:`calc_block_params` requires.
    """
    in_size, ksize, strides = (_pair(name, value) for name, value in
                               (("in_size", in_size), ("ksize", ksize), ("strides", strides)))
    shorter = min(math.ceil(n / s) for n, s in zip(in_size, strides))
    halo = max(max(k - s, 1) / s for k, s in zip(ksize, strides))
    block_out = max(1, min(round(math.sqrt(BLOCK_SCALE * halo * shorter)), shorter))
    sizes = tuple((block_out - 1) * s + k for s, k in zip(strides, ksize))
    return sizes[0] if sizes[0] == sizes[1] else sizes
