"""GHN and SGD training on tiny synthetic data: they run, learn, checkpoint and resume; accuracy bookkeeping."""
import os

import numpy as np
import pytest

from zoo.ghn import graph as G
from zoo.ghn import search, training
from zoo.ghn.hypernet import GraphHyperNetwork
from zoo.ghn.network import network_forward

TINY_GHN = {"hidden": 8, "message_hidden": 8, "decoder_hidden": 8, "sweeps": 1, "max_shape": (5, 5, 4, 4)}
NETWORK = {"stages": (1,), "channels": 4}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 300).astype(np.int32)
    # class-dependent brightness: learnable in a few steps
    images = (rng.uniform(0, 60, (300, 12, 12, 1)) + 18 * labels[:, None, None, None]).astype(np.uint8)
    return {"train": (images[:200], labels[:200]), "validation": (images[200:250], labels[200:250]),
            "test": (images[250:], labels[250:])}


def test_train_ghn_learns_and_resumes(data, tmp_path):
    ghn = GraphHyperNetwork(**TINY_GHN)
    config = training.GHNConfig(steps=4, num_nodes=4, meta_batch=2, batch_size=16, lr=1e-2)
    before = [w.numpy().copy() for w in ghn.weights]
    history = training.train_ghn(ghn, data, config, NETWORK, checkpoint_dir=tmp_path)
    assert history["step"] == [1, 2, 3, 4] and np.isfinite(history["loss"]).all()
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(before, ghn.weights))
    resumed = GraphHyperNetwork(**TINY_GHN)
    history = training.train_ghn(resumed, data, training.GHNConfig(**{**vars(config), "steps": 5}), NETWORK,
                                 checkpoint_dir=tmp_path)
    assert history["step"] == [1, 2, 3, 4, 5]  # restored the first four, trained one more
    graph = G.random_network(4, np.random.default_rng(9), **NETWORK)
    assert all(np.isfinite(v).all() for v in resumed.predict_parameters(graph).values())


def test_weight_averaging_matches_the_exponential_moving_average_of_the_iterates(data):
    config = training.GHNConfig(steps=2, num_nodes=4, meta_batch=1, batch_size=16, lr=1e-2)
    start = GraphHyperNetwork(**TINY_GHN)
    initial = [v.numpy() for v in start.trainable_variables]
    first = GraphHyperNetwork(**TINY_GHN)
    first.set_weights(start.get_weights())
    # the cosine schedule's first step has the peak rate whatever the length, so one step reproduces step 1
    training.train_ghn(first, data, training.GHNConfig(**{**vars(config), "steps": 1}), NETWORK)
    averaged = GraphHyperNetwork(**TINY_GHN)
    averaged.set_weights(start.get_weights())
    history = training.train_ghn(averaged, data, training.GHNConfig(**{**vars(config), "ema_decay": 0.5}), NETWORK)
    for w0, w1, w2, result in zip(initial, [v.numpy() for v in first.trainable_variables], history["last_iterate"],
                                  averaged.trainable_variables):
        np.testing.assert_allclose(result.numpy(), 0.5 * (0.5 * w0 + 0.5 * w1) + 0.5 * w2, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="ema_decay"):
        training.GHNConfig(ema_decay=1.0)


def test_training_architectures_draw_cell_sizes_from_the_range():
    fixed = training.training_architectures(training.GHNConfig(num_nodes=6, meta_batch=3),
                                            np.random.default_rng(0), NETWORK)
    assert [g.cell.num_nodes for g in fixed] == [6, 6, 6]
    mixed = training.GHNConfig(num_nodes=4, max_num_nodes=8, meta_batch=400)
    sizes = [g.cell.num_nodes for g in training.training_architectures(mixed, np.random.default_rng(1), NETWORK)]
    assert set(sizes) == {4, 5, 6, 7, 8}
    with pytest.raises(ValueError, match="max_num_nodes"):
        training.training_architectures(training.GHNConfig(num_nodes=7, max_num_nodes=5),
                                        np.random.default_rng(0), NETWORK)


def test_train_network_records_checkpoints_and_learns(data):
    graph = G.NetworkGraph(G.Cell(["cell_input", "sep_conv_3x3", "avg_pool_3x3", "cell_output"],
                                  [[], [0], [0, 1], [2]]), **NETWORK)
    config = training.SGDConfig(steps=60, batch_size=32, lr=0.1, checkpoints=(1, 10, 60), validation_examples=50)
    network, result = training.train_network(graph, data, config)
    assert set(result["validation_accuracy_at"]) == {1, 10, 60} == set(result["seconds_at"])
    assert result["seconds_at"][1] <= result["seconds_at"][10] <= result["seconds_at"][60]
    assert result["tracing_seconds"] >= 0
    assert result["validation_accuracy_at"][60] > 0.3 and result["test_accuracy"] > 0.2  # chance is 0.1
    moving = training.accuracy(graph, network.parameters, *data["test"], bn_state=network.bn_state)
    assert moving == result["test_accuracy"]


def test_accuracy_counts_correct_predictions(data):
    graph = G.NetworkGraph(G.Cell(["cell_input", "identity", "cell_output"], [[], [0], [1]]), **NETWORK)
    params = {name: np.zeros(shape, np.float32) for name, shape in graph.parameter_shapes().items()}
    images, labels = data["test"]
    # all-zero classifier: every logit ties and argmax picks class 0
    assert training.accuracy(graph, params, images, labels, batch_size=7) == np.mean(labels == 0)


def test_evaluate_loss_is_the_mean_cross_entropy_of_the_logits(data):
    graph = G.random_network(4, np.random.default_rng(3), **NETWORK)
    params = GraphHyperNetwork(**TINY_GHN).predict_parameters(graph)
    images, labels = data["test"]
    logits = np.asarray(network_forward(graph, params, images, training=True), np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    result = training.evaluate(graph, params, images, labels, batch_size=len(images))
    np.testing.assert_allclose(result["loss"], -log_probs[np.arange(len(labels)), labels].mean(), rtol=1e-5)
    assert result["accuracy"] == np.mean(logits.argmax(axis=1) == labels)


def test_evaluate_in_one_pass_equals_one_pass_per_batch(data):
    graph = G.random_network(5, np.random.default_rng(4), **NETWORK)
    params = GraphHyperNetwork(**TINY_GHN).predict_parameters(graph)
    images, labels = data["test"]  # 50 images: batches of 8 leave a last batch of 2
    logits = np.concatenate([network_forward(graph, params, images[i:i + 8]) for i in range(0, 50, 8)])
    losses = -np.take_along_axis(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)),
                                 labels[:, None], axis=1)
    for pass_size in (2000, 16, 1):
        result = training.evaluate(graph, params, images, labels, batch_size=8, pass_size=pass_size)
        np.testing.assert_allclose(result["loss"], losses.mean(), rtol=1e-4)
        assert result["accuracy"] == np.mean(logits.argmax(axis=1) == labels)


def test_score_architectures_and_correlations(data):
    ghn = GraphHyperNetwork(**TINY_GHN)
    graphs = [G.random_network(5, np.random.default_rng(i), **NETWORK) for i in range(3)]
    scores = search.score_architectures(ghn, graphs, data, validation_examples=40)
    assert len(scores["validation_accuracy"]) == len(scores["test_accuracy"]) == len(scores["seconds"]) == 3
    assert all(0 <= a <= 1 for a in scores["validation_accuracy"])
    assert len(scores["validation_loss"]) == 3 and all(loss > 0 for loss in scores["validation_loss"])
    assert search.ranking_score(scores, "loss") == [-loss for loss in scores["validation_loss"]]
    with pytest.raises(ValueError, match="rank_by"):
        search.ranking_score(scores, "flops")


class _RandomParameters:
    """Stands in for a GHN: seeded random parameters whose logits vary (an untrained GHN's are all near 0)."""

    def predict_parameters(self, graph):
        rng = np.random.default_rng(0)
        return {name: rng.normal(0, 0.5, shape).astype(np.float32) for name, shape in graph.parameter_shapes().items()}


def test_score_architectures_normalises_each_batch_of_the_given_size(data):
    graphs = [G.random_network(5, np.random.default_rng(i), **NETWORK) for i in range(2)]
    scores = search.score_architectures(_RandomParameters(), graphs, data, validation_examples=40, with_test=False,
                                        batch_size=10)
    images, labels = (a[:40] for a in data["validation"])
    for graph, accuracy, loss in zip(graphs, scores["validation_accuracy"], scores["validation_loss"]):
        params = _RandomParameters().predict_parameters(graph)
        logits = np.concatenate([network_forward(graph, params, images[i:i + 10]) for i in range(0, 40, 10)])
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        assert accuracy == np.mean(logits.argmax(axis=1) == labels)
        np.testing.assert_allclose(loss, -np.mean(log_probabilities[np.arange(40), labels]), rtol=1e-5)


def test_evaluation_architectures_keep_their_cell_in_a_deeper_skeleton():
    shallow, deep = search.evaluation_architecture(4), search.evaluation_architecture(4, cells_per_stage=2)
    assert deep.cell == shallow.cell and shallow.stages == (1, 1, 1) and deep.stages == (2, 2, 2)
    assert deep.channels == shallow.channels == search.NETWORK["channels"]
    with pytest.raises(ValueError, match="cells_per_stage"):
        search.network_skeleton(0)


def test_evaluation_architectures_keep_their_cell_in_a_wider_skeleton():
    narrow, wide = search.evaluation_architecture(4), search.evaluation_architecture(4, channels=32)
    assert wide.cell == narrow.cell and wide.stages == narrow.stages and wide.channels == 32
    with pytest.raises(ValueError, match="channels"):
        search.network_skeleton(channels=0)


def test_ghn_search_ranks_trains_the_top_and_fully_trains_the_best(data):
    ghn = GraphHyperNetwork(**TINY_GHN)
    graphs = [G.random_network(4, np.random.default_rng(i), **NETWORK) for i in range(4)]
    result = search.ghn_search(ghn, data, graphs, top=2, brief_steps=3, full_steps=5)
    accuracy = result["ghn_accuracy"]
    assert sorted(result["ranked"]) == [0, 1, 2, 3]
    assert [accuracy[i] for i in result["ranked"]] == sorted(accuracy, reverse=True)
    assert [t["index"] for t in result["top"]] == result["ranked"][:2]
    assert result["best"]["index"] == max(result["top"], key=lambda t: t["brief_accuracy"])["index"]
    assert G.NetworkGraph.from_dict(result["best"]["graph"]) == graphs[result["best"]["index"]]
    assert 0 <= result["best"]["test_accuracy"] <= 1


def test_ghn_search_can_rank_by_validation_loss(data):
    ghn = GraphHyperNetwork(**TINY_GHN)
    graphs = [G.random_network(4, np.random.default_rng(i), **NETWORK) for i in range(4)]
    result = search.ghn_search(ghn, data, graphs, top=1, brief_steps=2, full_steps=2, rank_by="loss")
    assert [result["ghn_loss"][i] for i in result["ranked"]] == sorted(result["ghn_loss"])
    with pytest.raises(ValueError, match="rank_by"):
        search.ghn_search(ghn, data, graphs, rank_by="accuracy%")


def test_weight_record_names_the_model_its_scores_and_its_recipe(tmp_path):
    ghn = GraphHyperNetwork(**TINY_GHN)
    config = training.GHNConfig(steps=3, meta_batch=2, seed=1)
    summary = {"model": "ghn", "builder_kwargs": TINY_GHN, "network": {**NETWORK, "stages": (1,)},
               "init_from": None, "train_seconds": 12.4, "eval_architectures": 2, "mean_test_accuracy": 0.71234,
               "mean_validation_accuracy": 0.7, "command": "python tools/ghn/train.py --steps=3"}
    record = training.write_weight_record(ghn, tmp_path, "ghn.tiny", summary=summary, config=config)
    assert (tmp_path / "ghn.tiny.weights.h5").stat().st_size == record["size_bytes"]
    assert record["architecture"] == "ghn" and record["metrics"]["mean_test_accuracy"] == 0.7123
    assert record["preprocessing"]["network"]["stages"] == [1]
    assert record["training"] == {"steps": 3, "meta_batch": 2, "num_nodes": 7, "lr": 1e-3, "optimizer": "adamw",
                                  "weight_decay": 1e-5, "seed": 1, "init_from": None, "seconds": 12,
                                  "machine": f"{os.cpu_count()} CPU cores"}
    assert record["command"] == summary["command"]
