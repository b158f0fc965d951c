"""The graph hypernetwork: block slicing/tiling against numpy, exact parameter shapes, propagation against a
plain-Python transcription of the forward–backward sweeps with module hand-off, gradients, GHN-2 options."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import registry
from zoo.ghn import graph as G
from zoo.ghn.hypernet import (CHANNEL_CLASSES, GraphHyperNetwork, block_to_parameter, channel_class, encode_graph,
                              fan_in, fit_block)
from zoo.ghn.network import network_forward

TINY = {"hidden": 8, "message_hidden": 8, "decoder_hidden": 8, "sweeps": 2, "max_shape": (5, 5, 3, 4)}


def numpy_fit(block, shape):
    kh, kw, c_in, c_out = shape
    s, _, a, b = block.shape
    top, left = (s - kh) // 2, (s - kw) // 2
    window = block[top:top + kh, left:left + kw]
    return np.tile(window, (1, 1, -(-c_in // a), -(-c_out // b)))[:, :, :c_in, :c_out]


@pytest.mark.parametrize("shape", [(1, 1, 2, 3), (3, 3, 3, 4), (5, 5, 7, 9), (3, 3, 8, 1), (1, 1, 1, 1),
                                   (5, 3, 6, 4)])
def test_fit_block_slices_and_tiles_like_numpy(shape):
    block = np.random.default_rng(0).normal(size=(5, 5, 3, 4)).astype(np.float32)
    fitted = fit_block(tf.constant(block), shape)
    assert tuple(fitted.shape) == shape
    np.testing.assert_array_equal(fitted, numpy_fit(block, shape))


def test_fit_block_rejects_kernels_larger_than_the_block():
    with pytest.raises(ValueError, match="7×7 kernel"):
        fit_block(tf.zeros((5, 5, 3, 4)), (7, 7, 1, 1))


def test_separable_kernels_use_disjoint_parts_of_the_block():
    block = np.arange(5 * 5 * 3 * 4, dtype=np.float32).reshape(5, 5, 3, 4)
    depthwise = block_to_parameter(tf.constant(block), "depthwise", (3, 3, 5, 1)).numpy()
    pointwise = block_to_parameter(tf.constant(block), "pointwise", (1, 1, 5, 6)).numpy()
    classifier = block_to_parameter(tf.constant(block), "kernel", (5, 6)).numpy()
    assert set(depthwise.ravel()) <= set(block[..., 0].ravel())
    assert set(pointwise.ravel()) <= set(block[2, 2, :, 1:].ravel())
    np.testing.assert_array_equal(classifier, pointwise[0, 0])


@pytest.mark.parametrize("channels", [2, 4, 7])
def test_predicted_parameters_have_exactly_the_shapes_the_network_needs(channels):
    ghn = GraphHyperNetwork(**TINY)
    for seed in range(3):
        graph = G.random_network(6, np.random.default_rng(seed), stages=(1, 2), channels=channels)
        params = ghn.predict_parameters(graph)
        assert {k: tuple(v.shape) for k, v in params.items()} == graph.parameter_shapes()


def numpy_mlp(sequential):
    (w1, b1), (w2, b2) = ([w.numpy() for w in layer.weights] for layer in sequential.layers)
    return lambda h: np.maximum(h @ w1 + b1, 0) @ w2 + b2


def numpy_propagation(ghn, encoded):
    """Eq. 15 and Eqs. 12–14 written out directly: per module, the schedule's node updates one by one."""
    embedding = ghn.type_embedding.embeddings.numpy()
    channel_tables = [e.embeddings.numpy() for e in ghn.channel_embeddings]
    mlp = numpy_mlp(ghn.message_mlp)
    virtual_mlp = numpy_mlp(ghn.virtual_mlp) if ghn.virtual_edges else None
    kernel, recurrent, bias = (w.numpy() for w in ghn.gru.weights)
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731

    def gru(x, h):
        xz, xr, xh = np.split(x @ kernel + bias[0], 3)
        hz, hr, hh = np.split(h @ recurrent + bias[1], 3)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        return z * h + (1 - z) * np.tanh(xh + r * hh)

    handoff = np.zeros(ghn.hidden)
    out = []
    for m in range(len(encoded["types"])):
        n = int(encoded["mask"][m].sum())
        adjacency = encoded["adjacency"][m]
        h = [embedding[t].astype(np.float64) for t in encoded["types"][m][:n]]
        for table, key in zip(channel_tables, ("in_channels", "out_channels")):
            h = [h_v + table[c] for h_v, c in zip(h, encoded[key][m][:n])]
        for v, direction in zip(encoded["schedule_nodes"][m], encoded["schedule_directions"][m]):
            if direction == 0:
                continue
            neighbours = [u for u in range(n) if (adjacency[u, v] if direction == 1 else adjacency[v, u])]
            message = sum((mlp(h[u]) for u in neighbours), np.zeros(ghn.hidden))
            for u in range(n):
                hops = encoded["distance"][m][u, v] if direction == 1 else encoded["distance"][m][v, u]
                if virtual_mlp and 2 <= hops <= ghn.virtual_edges:
                    message = message + virtual_mlp(h[u]) / hops
            if direction == 1 and v == 0 and ghn.module_handoff:
                message = message + handoff
            h[v] = gru(message, h[v])
        h = np.array(h)
        handoff = h.mean(axis=0)
        out.append(np.pad(h, [(0, len(encoded["types"][m]) - n), (0, 0)]))
    return np.array(out)


@pytest.mark.parametrize("module_handoff,virtual_edges,shape_encoding",
                         [(True, 0, False), (False, 0, False), (True, 3, False), (True, 50, False), (True, 0, True)])
def test_propagation_matches_a_direct_transcription(module_handoff, virtual_edges, shape_encoding):
    ghn = GraphHyperNetwork(**TINY, module_handoff=module_handoff, virtual_edges=virtual_edges,
                            shape_encoding=shape_encoding)
    graph = G.random_network(6, np.random.default_rng(1), stages=(1, 1), channels=3)
    encoded = encode_graph(graph, ghn.sweeps)
    np.testing.assert_allclose(ghn.embed(encoded), numpy_propagation(ghn, encoded), rtol=1e-4, atol=1e-5)


def test_module_handoff_carries_earlier_cells_into_later_embeddings():
    rng = np.random.default_rng(2)
    first = G.NetworkGraph(G.sample_cell(6, rng), stages=(1, 1), channels=3)
    # same cell, one more stage: the modules up to the last cell are the same, only the hand-off chain is longer
    second = G.NetworkGraph(first.cell, stages=(2, 1), channels=3)
    for handoff in (True, False):
        ghn = GraphHyperNetwork(**TINY, module_handoff=handoff)
        a = ghn.embed(encode_graph(first, ghn.sweeps)).numpy()
        b = ghn.embed(encode_graph(second, ghn.sweeps)).numpy()
        np.testing.assert_allclose(a[1], b[1], atol=1e-6)  # the first cell sees the same stem either way
        same_last_cell = np.allclose(a[2], b[3], atol=1e-6)  # both reduce; different predecessors
        assert same_last_cell != handoff


@pytest.mark.parametrize("options", [{}, {"virtual_edges": 50}, {"shape_encoding": True}])
def test_gradients_reach_every_ghn_parameter(options):
    # seeded: about one initialisation in 30 of this 8-unit decoder has every ReLU dead, so nothing gets a gradient
    keras.utils.set_random_seed(0)
    ghn = GraphHyperNetwork(**TINY, **options)
    graph = G.NetworkGraph(G.Cell(["cell_input", "sep_conv_3x3", "dil_conv_5x5", "avg_pool_3x3", "cell_output"],
                                  [[], [0], [0, 1], [1, 2], [3]]), stages=(1, 1), channels=4)
    images = np.random.default_rng(0).uniform(0, 255, (8, 12, 12, 1)).astype(np.float32)
    with tf.GradientTape() as tape:
        logits = network_forward(graph, ghn.predict_parameters(graph), images)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(np.arange(8) % 10, logits))
    gradients = tape.gradient(loss, ghn.trainable_variables)
    assert len(gradients) == len(ghn.trainable_variables) > 0
    for variable, gradient in zip(ghn.trainable_variables, gradients):
        assert gradient is not None, variable.path
        assert float(tf.reduce_sum(tf.abs(tf.convert_to_tensor(gradient)))) > 0, variable.path


def test_node_channels_agree_with_the_parameter_shapes():
    graph = G.random_network(7, np.random.default_rng(8), stages=(1, 2, 1), channels=5, num_classes=7)
    channels = graph.node_channels()
    assert [len(nodes) for nodes in channels] == [m.num_nodes for m in graph.modules()]
    for name, shape in graph.parameter_shapes().items():
        node, kind = name.rsplit("/", 1)
        m, v = (int(part[1:]) for part in node.split("/"))
        if kind != "depthwise":
            assert channels[m][v] == tuple(shape[-2:]), name


def test_channel_classes_are_floor_log2_capped():
    counts = np.array([1, 2, 3, 8, 10, 16, 31, 32, 1000, 2048, 10 ** 6])
    expected = np.minimum(np.floor(np.log2(counts)), CHANNEL_CLASSES - 1)
    assert [channel_class(c) for c in counts] == expected.astype(int).tolist()
    with pytest.raises(ValueError, match="channels"):
        channel_class(0)


def test_shape_encoding_tells_stages_of_one_cell_apart():
    graph = G.random_network(6, np.random.default_rng(9), stages=(1, 1, 1), channels=4)
    encoded = encode_graph(graph, 1)
    plain = GraphHyperNetwork(**TINY, module_handoff=False)
    shaped = GraphHyperNetwork(**TINY, module_handoff=False, shape_encoding=True)
    # without the hand-off the two reducing cells (modules 2 and 3) differ only in their channels
    np.testing.assert_allclose(plain.embed(encoded)[2], plain.embed(encoded)[3], atol=1e-6)
    assert not np.allclose(shaped.embed(encoded)[2], shaped.embed(encoded)[3], atol=1e-4)


def test_fan_in_normalization_scales_each_kernel():
    graph = G.random_network(6, np.random.default_rng(3), stages=(1, 1), channels=5)
    plain, normalized = GraphHyperNetwork(**TINY), GraphHyperNetwork(**TINY, normalize=True)
    normalized.set_weights(plain.get_weights())
    a, b = plain.predict_parameters(graph), normalized.predict_parameters(graph)
    for name, shape in graph.parameter_shapes().items():
        kind = name.rsplit("/", 1)[1]
        np.testing.assert_allclose(b[name], a[name] / np.sqrt(fan_in(kind, shape)), rtol=1e-5, atol=1e-7)
    assert fan_in("depthwise", (5, 5, 8, 1)) == 25 and fan_in("kernel", (3, 3, 4, 8)) == 36
    assert fan_in("kernel", (32, 10)) == 32


def test_layer_norm_normalizes_each_node_embedding():
    plain, normed = GraphHyperNetwork(**TINY), GraphHyperNetwork(**TINY, layer_norm=True)
    targets = [w for w in normed.weights if not w.path.startswith("embedding_norm")]
    for source, target in zip(plain.weights, targets, strict=True):
        target.assign(source)
    graph = G.random_network(6, np.random.default_rng(4), stages=(1,), channels=3)
    encoded = encode_graph(graph, plain.sweeps)
    # the stem is propagated before any hand-off, so only the normalization tells the two apart there
    h = plain.embed(encoded).numpy()[0][encoded["mask"][0] > 0]
    expected = (h - h.mean(axis=1, keepdims=True)) / np.sqrt(h.var(axis=1, keepdims=True) +
                                                            normed.embedding_norm.epsilon)
    np.testing.assert_allclose(normed.embed(encoded).numpy()[0][encoded["mask"][0] > 0], expected, atol=1e-5)


def test_build_network_holds_the_predicted_parameters(tmp_path):
    ghn = registry.build("ghn", **TINY)
    graph = G.random_network(5, np.random.default_rng(5), stages=(1,), channels=3)
    network = ghn.build_network(graph)
    images = np.random.default_rng(6).uniform(0, 255, (4, 10, 10, 1)).astype(np.float32)
    np.testing.assert_allclose(network(images, training=True),
                               network_forward(graph, ghn.predict_parameters(graph), images), atol=1e-5)
    ghn.save_weights(tmp_path / "ghn.weights.h5")
    other = registry.build("ghn", **TINY)
    other.load_weights(tmp_path / "ghn.weights.h5")
    for name, value in ghn.predict_parameters(graph).items():
        np.testing.assert_array_equal(other.predict_parameters(graph)[name], value)


def test_bad_configuration_is_rejected():
    with pytest.raises(ValueError, match="sweeps"):
        GraphHyperNetwork(sweeps=0)
    with pytest.raises(ValueError, match="virtual_edges"):
        GraphHyperNetwork(virtual_edges=1)
    with pytest.raises(ValueError, match="max_shape"):
        GraphHyperNetwork(max_shape=(5, 3, 4, 4))
    with pytest.raises(ValueError, match="NetworkGraph"):
        GraphHyperNetwork(**TINY).predict_parameters({"cell": {}})
