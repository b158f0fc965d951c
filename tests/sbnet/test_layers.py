"""SparseConv2D and SparseResBlock against dense convolutions: equal on the active region, 0 / shortcut
elsewhere, equal everywhere with an all-ones mask; gradients, serialization and argument errors."""
import numpy as np
import pytest
import keras
import tensorflow as tf

from zoo.layers import SparseConv2D, SparseResBlock
from zoo.sbnet import geometry, native, ops

IMPLS = ["native", "tf"] if native.library is not None else ["tf"]


def block_coverage(indices, params, out_hw, batch):
    """1 on every output pixel written by an active block."""
    cover = np.zeros((batch, *out_hw), bool)
    (oh, ow) = params.bsize_out
    for n, i, j in indices:
        cover[n, i * oh:(i + 1) * oh, j * ow:(j + 1) * ow] = True
    return cover


def dilated_mask(mask, kernel, stride):
    """1 on each SAME-conv output pixel whose receptive field holds an active mask pixel."""
    ones = np.ones((kernel, kernel, 1, 1))
    hits = tf.nn.conv2d(mask[..., None].astype(np.float64), ones, stride, "SAME").numpy()[..., 0]
    return hits > 0


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dense_fallback", [None, 0.5])
def test_sparse_conv_equals_dense_conv_on_the_active_region_and_zero_elsewhere(impl, seed, dense_fallback):
    rng = np.random.default_rng(seed)
    kernel, stride = [(3, 1), (3, 2), (5, 1), (1, 1)][seed % 4]
    h, w, c_in, filters = rng.integers(6, 26), rng.integers(6, 26), rng.integers(1, 5), rng.integers(1, 7)
    density = [0.0, 0.05, 0.25, 1.0][seed // 2 % 4]
    block = kernel + stride * int(rng.integers(1, 5))
    x = rng.standard_normal((2, h, w, c_in)).astype(np.float32)
    mask = (rng.random((2, h, w)) < density).astype(np.float32)
    layer = SparseConv2D(int(filters), kernel, block, strides=stride, impl=impl, dense_fallback=dense_fallback)
    out = layer((x, mask)).numpy()
    dense = (tf.nn.conv2d(x, layer.conv.kernel, stride, "SAME") + layer.conv.bias).numpy()
    params = layer.block_params((h, w))
    indices = ops.reduce_mask(mask, params, impl="tf").indices.numpy()
    cover = block_coverage(indices, params, out.shape[1:3], 2)
    assert (cover | ~dilated_mask(mask, kernel, stride)).all()
    np.testing.assert_allclose(out, np.where(cover[..., None], dense, 0.0), atol=1e-5)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("stride,filters,projection", [(1, 8, None), (2, 8, None), (1, 12, None), (1, 8, True)])
@pytest.mark.parametrize("dense_fallback", [None, 0.75])
def test_all_ones_mask_equals_the_dense_counterparts_everywhere(impl, stride, filters, projection, dense_fallback):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 15, 18, 8)).astype(np.float32)
    ones = np.ones((2, 15, 18), np.float32)
    conv = SparseConv2D(filters, 3, 7, strides=stride, impl=impl, dense_fallback=dense_fallback)
    np.testing.assert_allclose(conv((x, ones)), tf.nn.conv2d(x, conv.conv.kernel, stride, "SAME") + conv.conv.bias,
                               atol=1e-5)
    sparse = SparseResBlock(filters, 7, strides=stride, projection=projection, impl=impl,
                            dense_fallback=dense_fallback)
    dense = SparseResBlock(filters, 7, strides=stride, projection=projection, sparse=False)
    sparse((x, ones))
    dense(x)
    randomise_batch_norm(sparse, rng)
    dense.set_weights(sparse.get_weights())
    np.testing.assert_allclose(sparse((x, ones), training=False), dense(x, training=False), atol=1e-4)


def randomise_batch_norm(layer, rng):
    """Give the BN layers non-trivial statistics, so zero padding versus BN-ReLU(0) would show."""
    for norm in layer.norms:
        norm.set_weights([rng.uniform(0.5, 2, w.shape).astype(np.float32) if i in (0, 3)
                          else rng.standard_normal(w.shape).astype(np.float32)
                          for i, w in enumerate(norm.get_weights())])


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("density", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("dense_fallback", [None, 0.3])
def test_sparse_res_block_is_the_dense_unit_on_active_blocks_and_the_shortcut_elsewhere(impl, density,
                                                                                         dense_fallback):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 17, 13, 16)).astype(np.float32)
    mask = (rng.random((2, 17, 13)) < density).astype(np.float32)
    sparse = SparseResBlock(16, 9, impl=impl, dense_fallback=dense_fallback)
    dense = SparseResBlock(16, 9, sparse=False)
    sparse((x, mask))
    dense(x)
    randomise_batch_norm(sparse, rng)
    dense.set_weights(sparse.get_weights())
    params = sparse.block_params((17, 13))
    indices = ops.reduce_mask(mask, params, impl="tf").indices.numpy()
    cover = block_coverage(indices, params, (17, 13), 2)[..., None]
    expected = np.where(cover, dense(x, training=False), x)
    np.testing.assert_allclose(sparse((x, mask), training=False), expected, atol=1e-4)
    np.testing.assert_allclose(sparse((x, indices), training=False), expected, atol=1e-4)


@pytest.mark.parametrize("impl", IMPLS)
def test_layers_without_a_block_size_take_the_heuristics_and_still_equal_dense(impl):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 30, 41, 8)).astype(np.float32)
    mask = (rng.random((2, 30, 41)) < 0.05).astype(np.float32)
    conv = SparseConv2D(4, 3, impl=impl, dense_fallback=None)
    unit = SparseResBlock(8, impl=impl, dense_fallback=None)
    assert conv.block_params((30, 41)).bsize[0] == geometry.default_block_size((30, 41), 3)
    assert unit.block_params((30, 41)) == geometry.calc_block_params((30, 41), geometry.default_block_size((30, 41), 3),
                                                                       3)
    strided = SparseResBlock(8, strides=2)
    assert strided.block_params((30, 41)).bsize[0] == geometry.default_block_size((30, 41), 3, 2)
    out = conv((x, mask)).numpy()
    params = conv.block_params((30, 41))
    cover = block_coverage(ops.reduce_mask(mask, params, impl="tf").indices.numpy(), params, (30, 41), 2)
    dense = (tf.nn.conv2d(x, conv.conv.kernel, 1, "SAME") + conv.conv.bias).numpy()
    np.testing.assert_allclose(out, np.where(cover[..., None], dense, 0.0), atol=1e-5)
    unit((x, mask))
    twin = SparseResBlock(8, sparse=False)
    twin(x)
    twin.set_weights(unit.get_weights())
    np.testing.assert_allclose(unit((x, np.ones((2, 30, 41), np.float32))), twin(x), atol=1e-4)
    assert conv.get_config()["block_size"] is None and SparseConv2D.from_config(conv.get_config()).block_size is None


@pytest.mark.parametrize("impl", IMPLS)
def test_gradients_reach_weights_and_inputs(impl):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((2, 12, 12, 4)).astype(np.float32))
    mask = tf.constant((rng.random((2, 12, 12)) < 0.2).astype(np.float32))
    conv = SparseConv2D(8, 3, 5, impl=impl)
    unit = SparseResBlock(8, 7, strides=1, impl=impl)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(unit((conv((x, mask)), mask), training=True) ** 2)
    variables = conv.trainable_variables + unit.trainable_variables
    grads = tape.gradient(loss, [x] + variables)
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_native_and_tf_layers_give_the_same_training_gradients():
    if native.library is None:
        pytest.skip(native.load_error)
    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((2, 14, 11, 8)).astype(np.float32))
    mask = (rng.random((2, 14, 11)) < 0.3).astype(np.float32)
    units = {impl: SparseResBlock(8, 7, strides=2, impl=impl) for impl in ("native", "tf")}
    units["native"]((x, mask))
    units["tf"]((x, mask))
    units["tf"].set_weights(units["native"].get_weights())
    grads = {}
    for impl, unit in units.items():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.sin(unit((x, mask), training=True)))
        grads[impl] = tape.gradient(loss, [x] + unit.trainable_variables)
    for a, b in zip(grads["native"], grads["tf"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_layers_serialize_and_reload_in_a_model(tmp_path):
    image = keras.Input((16, 16, 3))
    mask = keras.Input((16, 16))
    y = SparseConv2D(8, 3, 6, name="sconv")((image, mask))
    y = SparseResBlock(16, 9, strides=2, name="sres")((y, mask))
    model = keras.Model([image, mask], y)
    rng = np.random.default_rng(4)
    inputs = [rng.standard_normal((2, 16, 16, 3)).astype(np.float32), (rng.random((2, 16, 16)) < 0.3).astype("f4")]
    model.save(tmp_path / "sparse.keras")
    reloaded = keras.models.load_model(tmp_path / "sparse.keras")
    np.testing.assert_allclose(reloaded(inputs), model(inputs), atol=1e-6)
    assert reloaded.get_layer("sres").get_config() == model.get_layer("sres").get_config()


@pytest.mark.parametrize("make", [
    lambda: SparseConv2D(0, 3, 5), lambda: SparseConv2D(4, 3, 2), lambda: SparseConv2D(4, 3, 6, strides=2),
    lambda: SparseConv2D(4, 3, 5, impl="gpu"), lambda: SparseResBlock(8, 6, strides=2),
    lambda: SparseResBlock(-1, 5), lambda: SparseConv2D(4, 3, 5, dense_fallback=1.5),
])
def test_bad_layer_arguments_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_bad_layer_inputs_raise_value_error():
    x = np.zeros((1, 8, 8, 4), np.float32)
    with pytest.raises(ValueError, match="takes \\(x, mask\\)"):
        SparseConv2D(4, 3, 5)(x)
    with pytest.raises(ValueError, match="mask"):
        SparseConv2D(4, 3, 5)((x, np.zeros((8, 8))))
    with pytest.raises(ValueError, match="projection=False"):
        SparseResBlock(8, 5, projection=False)((x, np.ones((1, 8, 8))))


@pytest.mark.parametrize("impl", IMPLS)
def test_no_active_block_in_training_leaves_the_moving_statistics_alone(impl):
    """An all-zero mask used to run batch norm on a dummy block and move the moving statistics although nothing
    was written back (issue 33)."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 12, 12, 8)).astype(np.float32)
    zeros = np.zeros((2, 12, 12), np.float32)
    unit = SparseResBlock(8, 7, impl=impl)
    unit((x, zeros))
    randomise_batch_norm(unit, rng)
    before = [np.array(w) for w in unit.non_trainable_weights]
    step = tf.function(lambda x, second: unit((x, second), training=True), reduce_retracing=True)
    no_indices = np.zeros((0, 3), np.int32)
    for call in (lambda: unit((x, zeros), training=True), lambda: unit((x, no_indices), training=True),
                 lambda: step(x, zeros), lambda: step(x, no_indices)):
        np.testing.assert_array_equal(call(), x)  # nothing active: the output is the shortcut
        for w, b in zip(unit.non_trainable_weights, before):
            np.testing.assert_array_equal(w, b, err_msg=w.path)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(unit((xt, zeros), training=True) ** 2)
    grads = tape.gradient(loss, [xt] + unit.trainable_variables)
    np.testing.assert_allclose(grads[0], 2 * x, rtol=1e-6)
    assert all(g is None or not np.any(g) for g in grads[1:])
    one = zeros.copy()
    one[1, 5, 5] = 1.0
    unit((x, one), training=True)  # an active block does move them
    assert any(np.any(np.array(w) != b) for w, b in zip(unit.non_trainable_weights, before))
