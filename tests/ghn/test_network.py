"""Networks built from graphs: the stateless forward pass against the same network assembled from Keras layers,
GraphNetwork (moving statistics, parameter loading, .keras round trip back to the same graph)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.ghn import graph as G
from zoo.ghn.network import GraphNetwork, network_forward, normalized_nodes

CELLS = {
    "sep3_maxpool_identity": G.Cell(["cell_input", "sep_conv_3x3", "max_pool_3x3", "identity", "cell_output"],
                                    [[], [0], [0], [1, 2], [3]]),
    "dil5_avgpool_zero_sep5_dil3": G.Cell(
        ["cell_input", "dil_conv_5x5", "avg_pool_3x3", "zero", "sep_conv_5x5", "dil_conv_3x3", "cell_output"],
        [[], [0], [0, 1], [2], [1, 3], [0, 2], [4, 5]]),
}


def keras_reference(graph, params, images):
    """The network assembled from stock Keras layers, batch normalization in training mode (batch statistics)."""
    def bn(x):
        return keras.layers.BatchNormalization(center=False, scale=False, epsilon=1e-5)(x, training=True)

    def conv(x, name, stride=1):
        kernel = params[name]
        layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[0], stride, padding="same", use_bias=False)
        layer.build(x.shape)
        layer.set_weights([kernel])
        return layer(x)

    def op(node_type, x, name):
        if node_type in ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"):
            depthwise = params[f"{name}/depthwise"]
            layer = keras.layers.DepthwiseConv2D(depthwise.shape[0], padding="same", use_bias=False,
                                                 dilation_rate=2 if node_type.startswith("dil") else 1)
            layer.build(x.shape)
            layer.set_weights([depthwise])
            return conv(layer(keras.activations.relu(x)), f"{name}/pointwise")
        return {"max_pool_3x3": keras.layers.MaxPooling2D(3, 1, "same"),
                "avg_pool_3x3": keras.layers.AveragePooling2D(3, 1, "same"),
                "identity": lambda t: t, "zero": lambda t: 0 * t}[node_type](x)

    x = bn(conv(images / 255.0, "m0/n1/kernel", stride=2))
    for m, module in enumerate(graph.modules()[1:-1], start=1):
        outputs = []
        for v, node_type in enumerate(module.types):
            name = f"m{m}/n{v}"
            if v == 0:
                stride = 2 if node_type == "cell_input_reduce" else 1
                outputs.append(bn(conv(keras.activations.relu(x), f"{name}/kernel", stride)))
            elif node_type == "cell_output":
                total = sum(outputs[u] for u in graph.cell.inputs[v])
                outputs.append(bn(total) if graph.cell_output_norm == "batch_norm" else total)
            else:
                y = sum(op(node_type, outputs[u], name) for u in graph.cell.inputs[v])
                outputs.append(bn(y) if "conv" in node_type else y)
        x = outputs[-1]
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    return pooled @ params[f"m{len(graph.modules()) - 1}/n1/kernel"]


def random_params(graph, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(0, 0.5, shape).astype(np.float32) for name, shape in graph.parameter_shapes().items()}


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("cell_output_norm", G.CELL_OUTPUT_NORMS)
def test_forward_matches_keras_layers(cell, cell_output_norm):
    graph = G.NetworkGraph(CELLS[cell], stages=(1, 2), channels=4, cell_output_norm=cell_output_norm)
    params = random_params(graph)
    images = np.random.default_rng(1).uniform(0, 255, (6, 16, 16, 1)).astype(np.float32)
    np.testing.assert_allclose(network_forward(graph, params, images), keras_reference(graph, params, images),
                               rtol=1e-4, atol=1e-4)


def test_ghost_batch_norm_equals_one_pass_per_group():
    graph = G.NetworkGraph(CELLS["dil5_avgpool_zero_sep5_dil3"], stages=(1, 1), channels=4)
    params = random_params(graph)
    images = np.random.default_rng(3).uniform(0, 255, (12, 16, 16, 1)).astype(np.float32)
    separate = np.concatenate([network_forward(graph, params, images[i:i + 4]) for i in range(0, 12, 4)])
    np.testing.assert_allclose(network_forward(graph, params, images, bn_group_size=4), separate,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(network_forward(graph, params, images, bn_group_size=12),
                               network_forward(graph, params, images), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [({"bn_group_size": 5}, "dividing the batch"),
                                             ({"bn_group_size": 0}, "positive integer"),
                                             ({"bn_group_size": 4, "training": False}, "batch statistics")])
def test_ghost_batch_norm_rejects_bad_groups(kwargs, message):
    graph = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1,), channels=4)
    images = np.zeros((12, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match=message):
        network_forward(graph, random_params(graph), images, **kwargs)


def test_graph_network_trains_moving_statistics_and_uses_them_at_inference():
    graph = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1,), channels=4)
    network = GraphNetwork(graph)
    network.set_parameters(random_params(graph))
    images = np.random.default_rng(2).uniform(0, 255, (8, 12, 12, 1)).astype(np.float32)
    assert set(network.bn_state) == set(normalized_nodes(graph)) == {"m0/n1", "m1/n0", "m1/n1"}
    batch_logits = network(images, training=True)
    np.testing.assert_allclose(batch_logits, network_forward(graph, network.parameters, images), atol=1e-5)
    mean = network.bn_state["m0/n1"][0].numpy()
    assert np.abs(mean).sum() > 0  # one training call moved the moving mean from 0
    for _ in range(200):
        network(images, training=True)
    np.testing.assert_allclose(network(images, training=False), batch_logits, rtol=1e-2, atol=1e-2)


def test_set_parameters_checks_names_and_shapes():
    graph = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1,), channels=4)
    network, params = GraphNetwork(graph), random_params(graph)
    with pytest.raises(ValueError, match="lacks"):
        network.set_parameters({k: v for k, v in params.items() if k != "m1/n1/depthwise"})
    with pytest.raises(ValueError, match=r"params\['m1/n1/pointwise'\] has shape"):
        network.set_parameters({**params, "m1/n1/pointwise": np.zeros((1, 1, 4, 5), np.float32)})
    with pytest.raises(ValueError, match="images must be"):
        network(np.zeros((2, 8, 8, 3), np.float32))


def test_graph_to_keras_model_to_graph_round_trip(tmp_path):
    graph = G.random_network(9, np.random.default_rng(5), stages=(1, 1), channels=4)
    network = GraphNetwork(graph)
    images = np.random.default_rng(3).uniform(0, 255, (4, 12, 12, 1)).astype(np.float32)
    network(images, training=True)
    network.save(tmp_path / "net.keras")
    reloaded = keras.models.load_model(tmp_path / "net.keras")
    assert isinstance(reloaded, GraphNetwork) and reloaded.graph == graph
    assert G.NetworkGraph.from_dict(reloaded.get_config()["graph"]) == graph
    np.testing.assert_allclose(reloaded(images), network(images), atol=1e-5)


def test_graph_network_fits():
    graph = G.NetworkGraph(CELLS["dil5_avgpool_zero_sep5_dil3"], stages=(1,), channels=4)
    network = GraphNetwork(graph)
    network.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    images = np.random.default_rng(4).uniform(0, 255, (16, 12, 12, 1)).astype(np.float32)
    history = network.fit(images, np.arange(16) % 10, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert tf.reduce_any(network.parameters["m1/n1/depthwise"] != 0)


def test_calibrated_statistics_are_the_mean_batch_statistics_and_the_network_exports(tmp_path):
    from zoo import export
    graph = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1, 1), channels=4)
    network = GraphNetwork(graph)
    network.set_parameters(random_params(graph))
    images = np.random.default_rng(7).uniform(0, 255, (12, 12, 12, 1)).astype(np.float32)
    network.calibrate_statistics(images, batch_size=12)  # one batch: inference must equal batch statistics
    np.testing.assert_allclose(network(images, training=False), network(images, training=True), atol=1e-4)
    stem = tf.nn.conv2d(images / 255.0, network.parameters["m0/n1/kernel"], 2, "SAME")
    np.testing.assert_allclose(network.bn_state["m0/n1"][1], np.var(stem, axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
    network.calibrate_statistics(images, batch_size=4)
    batch_means = [tf.reduce_mean(stem[i:i + 4], axis=[0, 1, 2]) for i in (0, 4, 8)]
    np.testing.assert_allclose(network.bn_state["m0/n1"][0], np.mean(batch_means, axis=0), atol=1e-5)
    directory = export.export_saved_model(keras.Sequential([keras.Input((12, 12, 1)), network]), tmp_path / "served")
    served = export.run_in_fresh_process(directory, images[:3])
    np.testing.assert_allclose(served, tf.nn.softmax(network(images[:3])), atol=1e-5)
    with pytest.raises(ValueError, match="at least one"):
        network.calibrate_statistics(images[:0])


def test_cell_output_norm_makes_the_classifier_input_independent_of_the_leaf_count():
    one_leaf = G.Cell(["cell_input", "identity", "cell_output"], [[], [0], [1]])
    three_leaves = G.Cell(["cell_input", "identity", "identity", "identity", "cell_output"],
                          [[], [0], [0], [0], [1, 2, 3]])  # the same leaf three times: three times the sum
    images = np.random.default_rng(8).uniform(0, 255, (6, 12, 12, 1)).astype(np.float32)
    logits = {}
    for norm in G.CELL_OUTPUT_NORMS:
        for name, cell in (("one", one_leaf), ("three", three_leaves)):
            graph = G.NetworkGraph(cell, stages=(1,), channels=4, cell_output_norm=norm)
            logits[norm, name] = network_forward(graph, random_params(graph), images).numpy()
    np.testing.assert_allclose(logits["none", "three"], 3 * logits["none", "one"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logits["batch_norm", "three"], logits["batch_norm", "one"], rtol=1e-3, atol=1e-4)


def test_cell_output_norm_is_part_of_the_graph_description():
    graph = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1, 1), channels=4, cell_output_norm="batch_norm")
    assert G.NetworkGraph.from_dict(graph.to_dict()) == graph
    assert "m1/n4" in normalized_nodes(graph) and "m2/n4" in normalized_nodes(graph)
    plain = G.NetworkGraph(CELLS["sep3_maxpool_identity"], stages=(1, 1), channels=4)
    assert "cell_output_norm" not in plain.to_dict()  # records written before the option describe the same graph
    with pytest.raises(ValueError, match="cell_output_norm must be one of"):
        G.NetworkGraph(CELLS["sep3_maxpool_identity"], cell_output_norm="mean")
