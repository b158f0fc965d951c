import keras
import numpy as np
import pytest

from zoo.layers import RevBlock, RevStack
from zoo.revnet.layers import ResidualFunction
from zoo.testing import run_layer_test


def _images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("factory, input_shape, out_shape", [
    (lambda: ResidualFunction(4, stride=2, preactivate=False, weight_decay=2e-4), (2, 6, 6, 2), (2, 3, 3, 4)),
    (lambda: ResidualFunction(8, bottleneck=True), (2, 4, 4, 8), (2, 4, 4, 8)),
    (lambda: RevBlock(8, weight_decay=2e-4), (2, 4, 4, 8), (2, 4, 4, 8)),
    (lambda: RevBlock(16, stride=2, preactivate=False), (2, 6, 6, 8), (2, 3, 3, 16)),
    (lambda: RevBlock(16, stride=2, bottleneck=True), (2, 4, 4, 8), (2, 2, 2, 16)),
    (lambda: RevStack(2, 8, weight_decay=2e-4), (2, 4, 4, 8), (2, 4, 4, 8)),
    (lambda: RevStack(1, 16, bottleneck=True, reconstruct=False), (2, 4, 4, 16), (2, 4, 4, 16)),
])
def test_layer_contract(factory, input_shape, out_shape):
    # build, .keras round trip, SavedModel export, and a model.fit step (the reconstructing gradient when invertible)
    run_layer_test(factory, input_shape, out_shape)


def test_coupling_equations_and_inverse():
    block = RevBlock(8)
    x = _images((3, 5, 5, 8))
    y = np.asarray(block(x, training=False))
    x1, x2 = x[..., :4], x[..., 4:]
    y1 = x1 + np.asarray(block.f(x2, training=False))
    y2 = x2 + np.asarray(block.g(y1, training=False))
    np.testing.assert_allclose(y, np.concatenate([y1, y2], -1), atol=1e-5)
    np.testing.assert_allclose(np.asarray(block.inverse(y, training=False)), x, atol=1e-5)
    assert block.invertible


def test_basic_shortcut_is_avgpool_then_symmetric_padding_of_each_half():
    block = RevBlock(12, stride=2)
    x = _images((2, 6, 6, 4))
    block(x)
    for residual in (block.f, block.g):
        for convolution in residual.convs:
            convolution.kernel.assign(np.zeros(convolution.kernel.shape, "float32"))
    pooled = x.reshape(2, 3, 2, 3, 2, 4).mean(axis=(2, 4))
    pad = [(0, 0), (0, 0), (0, 0), (2, 2)]  # halves 2 -> 6 channels: 2 zeros on each side of each half
    expected = np.concatenate([np.pad(pooled[..., :2], pad), np.pad(pooled[..., 2:], pad)], -1)
    np.testing.assert_allclose(np.asarray(block(x, training=False)), expected, atol=1e-6)
    assert not block.invertible
    with pytest.raises(ValueError, match="no inverse"):
        block.inverse(expected)


def test_odd_sizes_downsample_like_the_strided_convolution():
    x = _images((2, 7, 7, 8))
    assert RevBlock(16, stride=2)(x).shape == (2, 4, 4, 16) == RevBlock(16, stride=2, bottleneck=True)(x).shape


def test_bottleneck_projects_each_half_only_when_the_shape_changes():
    wider = RevBlock(16, bottleneck=True)
    wider.build((None, 4, 4, 8))
    assert [p.kernel.shape for p in wider.projections] == [(1, 1, 4, 8), (1, 1, 4, 8)]
    assert wider.f.convs[0].kernel.shape == (1, 1, 4, 2)  # inner width = a quarter of the half width
    same = RevBlock(16, bottleneck=True)
    same.build((None, 4, 4, 16))
    assert same.projections == [] and same.invertible


def test_stride_is_in_f_only_and_first_unit_has_no_leading_activation():
    block = RevBlock(16, stride=2, preactivate=False)
    block.build((None, 8, 8, 8))
    assert block.f.convs[0].strides == (2, 2) and all(c.strides == (1, 1) for c in block.g.convs)
    assert len(block.f.norms) == len(block.f.convs) - 1 and len(block.g.norms) == len(block.g.convs)


def test_weight_decay_reaches_every_kernel():
    stack = RevStack(2, 8, weight_decay=1e-2)
    stack.build((None, 4, 4, 8))
    kernels = [c.kernel for block in stack.blocks for r in (block.f, block.g) for c in r.convs]
    for kernel in kernels:
        kernel.assign(np.ones(kernel.shape, "float32"))
    assert len(stack.losses) == len(kernels) == 8
    expected = sum(1e-2 / 2 * np.prod(k.shape) for k in kernels)  # gradient weight_decay * w
    np.testing.assert_allclose(float(sum(stack.losses)), expected, rtol=1e-5)


def test_inference_with_reconstruction_equals_plain():
    x = _images((2, 4, 4, 8))
    stack = RevStack(2, 8)
    inputs = keras.Input((4, 4, 8))
    plain = keras.Model(inputs, RevStack.from_config({**stack.get_config(), "reconstruct": False})(inputs))
    model = keras.Model(inputs, stack(inputs))
    plain.set_weights(model.get_weights())
    for training in (False, True):
        np.testing.assert_allclose(np.asarray(model(x, training=training)), np.asarray(plain(x, training=training)),
                                   atol=1e-6)


@pytest.mark.parametrize("factory, match", [
    (lambda: RevBlock(7), "filters"),
    (lambda: RevBlock(12, bottleneck=True), "filters"),
    (lambda: RevBlock(8, stride=3), "stride"),
    (lambda: RevBlock(8, reconstruct="yes"), "reconstruct"),
    (lambda: RevBlock(8, weight_decay=-1.0), "weight_decay"),
    (lambda: RevStack(0, 8), "num_blocks"),
    (lambda: RevStack(2, 8, reconstruct=1), "reconstruct"),
    (lambda: ResidualFunction(6, bottleneck=True), "filters"),
    (lambda: RevBlock(8).build((None, 4, 4, 7)), "even"),
    (lambda: RevBlock(8).build((None, 4, 4, 16)), "growth"),
    (lambda: RevBlock(14).build((None, 4, 4, 8)), "growth"),
    (lambda: RevStack(2, 8).build((None, 4, 4, 16)), "filters"),
])
def test_bad_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()
