import numpy as np
import pytest

from zoo.layers import PreActResidualUnit
from zoo.testing import run_layer_test


@pytest.mark.parametrize("kwargs, in_channels, out_shape", [
    (dict(filters=8), 8, (2, 8, 8, 8)),
    (dict(filters=16, stride=2), 8, (2, 4, 4, 16)),
    (dict(filters=16, bottleneck=True), 8, (2, 8, 8, 16)),
    (dict(filters=16, stride=2, bottleneck=True, preactivate=False), 16, (2, 4, 4, 16)),
])
def test_layer_contract(kwargs, in_channels, out_shape):
    run_layer_test(lambda: PreActResidualUnit(weight_decay=2e-4, **kwargs), (2, 8, 8, in_channels), out_shape)


def _zero_residual(layer):
    for conv in layer.convs:
        conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))


def test_basic_shortcut_is_avgpool_then_symmetric_channel_padding():
    layer = PreActResidualUnit(12, stride=2)
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 4)).astype("float32")
    layer(x)
    _zero_residual(layer)
    pooled = x.reshape(2, 3, 2, 3, 2, 4).mean(axis=(2, 4))
    expected = np.pad(pooled, [(0, 0), (0, 0), (0, 0), (4, 4)])
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), expected, atol=1e-6)


def test_identity_shortcut_and_weight_decay_on_every_kernel():
    layer = PreActResidualUnit(4, weight_decay=1e-2)
    x = np.random.default_rng(1).standard_normal((1, 5, 5, 4)).astype("float32")
    layer(x)
    _zero_residual(layer)
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), x, atol=1e-6)
    for conv in layer.convs:
        conv.kernel.assign(np.ones(conv.kernel.shape, "float32"))
    # gradient of the penalty is weight_decay * w, i.e. penalty = weight_decay / 2 * sum(w^2) per kernel
    expected = sum(1e-2 / 2 * np.prod(conv.kernel.shape) for conv in layer.convs)
    np.testing.assert_allclose(float(sum(layer.losses)), expected, rtol=1e-5)


def test_bottleneck_projection_only_when_shape_changes():
    same = PreActResidualUnit(16, bottleneck=True)
    same.build((None, 8, 8, 16))
    assert same.projection is None
    wider = PreActResidualUnit(16, bottleneck=True)
    wider.build((None, 8, 8, 4))
    assert wider.projection is not None


@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0), "filters"), (dict(filters=6, bottleneck=True), "filters"), (dict(filters=8, stride=3), "stride"),
    (dict(filters=8, weight_decay=-1.0), "weight_decay"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PreActResidualUnit(**kwargs)


def test_odd_channel_growth_is_rejected():
    with pytest.raises(ValueError, match="odd"):
        PreActResidualUnit(7).build((None, 4, 4, 4))


def test_odd_spatial_size_with_stride_two():
    layer = PreActResidualUnit(8, stride=2)
    x = np.random.default_rng(2).standard_normal((1, 7, 7, 4)).astype("float32")
    assert layer(x).shape == (1, 4, 4, 8) == layer.compute_output_shape(x.shape)
