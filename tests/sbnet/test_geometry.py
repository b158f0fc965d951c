"""Block geometry: convolving every block with VALID padding and tiling the outputs equals the dense conv."""
import numpy as np
import pytest
import tensorflow as tf

from zoo.sbnet import geometry
from zoo.sbnet.geometry import calc_block_params, calc_block_params_res_block


def blockwise_conv(x, kernel, params, stride):
    """Gather every block (zero outside the image), VALID-convolve it, and tile the outputs (numpy + tf)."""
    (bh, bw), (oh, ow) = params.bsize, params.bsize_out
    rows = []
    for i in range(params.bcount[0]):
        row = []
        for j in range(params.bcount[1]):
            top, left = params.boffset[0] + i * params.bstrides[0], params.boffset[1] + j * params.bstrides[1]
            block = np.zeros((x.shape[0], bh, bw, x.shape[3]), x.dtype)
            src = x[:, max(top, 0):max(top + bh, 0), max(left, 0):max(left + bw, 0)]
            block[:, max(-top, 0):max(-top, 0) + src.shape[1], max(-left, 0):max(-left, 0) + src.shape[2]] = src
            out = tf.nn.conv2d(block, kernel, stride, "VALID").numpy()
            assert out.shape[1:3] == (oh, ow)
            row.append(out)
        rows.append(np.concatenate(row, 2))
    return np.concatenate(rows, 1)


@pytest.mark.parametrize("in_size,bsize,ksize,stride,padding", [
    ((10, 10), 5, 3, 1, "SAME"), ((17, 13), (7, 9), 3, 1, "SAME"), ((16, 16), 7, 3, 2, "SAME"),
    ((15, 11), 9, (5, 3), 1, "SAME"), ((12, 12), 6, 2, 2, "SAME"), ((14, 10), 6, 3, 1, "VALID"),
    ((5, 5), 9, 3, 1, "SAME"), ((20, 20), 11, 1, 1, "SAME"),
])
def test_blocks_tile_the_dense_convolution_exactly(in_size, bsize, ksize, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *in_size, 3)).astype(np.float64)
    kh, kw = (ksize, ksize) if isinstance(ksize, int) else ksize
    kernel = rng.standard_normal((kh, kw, 3, 4))
    dense = tf.nn.conv2d(x, kernel, stride, padding).numpy()
    params = calc_block_params(in_size, bsize, ksize, stride, padding)
    tiled = blockwise_conv(x, kernel, params, stride)
    assert tiled.shape[1] >= dense.shape[1] and tiled.shape[2] >= dense.shape[2]
    assert tiled.shape[1] - dense.shape[1] < params.bsize_out[0]  # no block lies wholly outside the output
    np.testing.assert_allclose(tiled[:, :dense.shape[1], :dense.shape[2]], dense, rtol=1e-12, atol=1e-12)


def test_official_relations_and_residual_receptive_field():
    params = calc_block_params((64, 64), 11, 3, 1)
    assert params.bstrides == (9, 9) and params.bsize_out == (9, 9) and params.boffset == (-1, -1)
    assert params.bcount == (8, 8)  # ceil(64 / 9)
    assert calc_block_params_res_block((64, 64), 11, [1, 3, 1]) == params


@pytest.mark.parametrize("kwargs,message", [
    (dict(in_size=(8, 8), bsize=2, ksize=3), "must be at least the kernel"),
    (dict(in_size=(8, 8), bsize=6, ksize=3, strides=2), "multiple of the stride"),
    (dict(in_size=(8, 0), bsize=5, ksize=3), "in_size must be a positive int"),
    (dict(in_size=(8, 8), bsize=5, ksize=3, padding="same"), "padding must be"),
    (dict(in_size=(2, 8), bsize=5, ksize=3, padding="VALID"), "smaller than the kernel"),
])
def test_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        calc_block_params(**kwargs)


@pytest.mark.parametrize("in_size", [(400, 704), (200, 352), (100, 176), (50, 88), (31, 17), (8, 8), (3, 100), (1, 1)])
@pytest.mark.parametrize("ksize,stride", [(3, 1), (3, 2), (1, 1), (5, 1), ((5, 3), 1), (3, (2, 1))])
def test_default_block_size_is_a_valid_geometry_following_its_rule(in_size, ksize, stride):
    block = geometry.default_block_size(in_size, ksize, stride)
    params = calc_block_params(in_size, block, ksize, stride)  # raises on an invalid size
    kh, kw = (ksize, ksize) if isinstance(ksize, int) else ksize
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    shorter = min(-(-n // s) for n, s in zip(in_size, (sh, sw)))
    halo = max(max(kh - sh, 1) / sh, max(kw - sw, 1) / sw)
    expected = max(1, min(round((geometry.BLOCK_SCALE * halo * shorter) ** 0.5), shorter))
    assert params.bsize_out == (expected, expected)  # square output blocks of the rule's size


def test_default_block_sizes_of_the_paper_stages_grow_as_the_square_root():
    sizes = [geometry.default_block_size(size, 3) for size in [(50, 88), (100, 176), (200, 352), (400, 704)]]
    assert sizes == [14, 19, 26, 37]
    assert geometry.default_block_size((400, 704), 3, 2) == 2 * (round((1.5 * 0.5 * 200) ** 0.5) - 1) + 3
