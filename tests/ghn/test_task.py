"""The GHN task contract: architecture JSON in (validated field by field), the generated network's accuracy, served
and saved; the sample headline, golden predicted parameters, ranking, and a TensorFlow-only export."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import registry, tasks
from zoo.data import fashion_mnist, samples
from zoo.ghn import architectures, search
from zoo.ghn.graph import NetworkGraph
from zoo.ghn.task import TASK

NAME = "ghn.fashion_mnist"
RECORD = "docs/data/ghn/ground_truth/arch_000.json"
SMALL = {"cell": {"ops": ["cell_input", "sep_conv_3x3", "max_pool_3x3", "identity", "cell_output"],
                  "inputs": [[], [0], [0], [1, 2], [3]]},
         "stages": [1, 1, 1], "channels": 8, "num_classes": 10, "image_channels": 1}


@pytest.fixture(scope="module")
def ghn():
    return zoo.load(NAME)


@pytest.fixture(scope="module")
def weight():
    return registry.get_weight_spec(NAME)


def write(path, value):
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_read_inputs_takes_a_graph_or_a_ground_truth_record(tmp_path, weight):
    said = []
    small = TASK.read_inputs([write(tmp_path / "small.json", SMALL)], weight, said.append)
    assert small["graphs"] == [NetworkGraph.from_dict(SMALL)] and not said
    record = TASK.read_inputs([RECORD], weight, said.append)
    [graph] = record["graphs"]
    assert graph.cell.num_nodes == 17 and graph == search.evaluation_architecture(0)
    assert record["sources"] == [RECORD]
    TASK.read_inputs([write(tmp_path / "wide.json", {**SMALL, "channels": 16})], weight, said.append)
    assert "extrapolation" in said[0]


def break_(field, value):
    """SMALL with ``field`` (``"cell.ops"`` style path) set to ``value`` (deleted when value is ...)."""
    description = json.loads(json.dumps(SMALL))
    *parents, key = field.split(".")
    target = description
    for parent in parents:
        target = target[parent]
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return description


@pytest.mark.parametrize("description, message", [
    ("{\"cell\": [1, 2,}", r"is not valid JSON: .* at line 1 column \d+"),
    ("", "is empty"),
    ([1, 2], "the architecture: must be an object"),
    (break_("channels", ...), "missing key 'channels'"),
    (break_("colour", "blue"), "unknown key 'colour'"),
    (break_("cell.ops", ["cell_input", "conv_7x7", "max_pool_3x3", "identity", "cell_output"]),
     r"cell.ops\[1\]: unknown operation 'conv_7x7'; the operations are sep_conv_3x3"),
    (break_("cell.ops", ["cell_input", 3, "max_pool_3x3", "identity", "cell_output"]), r"cell.ops\[1\]: must be"),
    (break_("cell.ops", ["identity", "sep_conv_3x3", "max_pool_3x3", "identity", "cell_output"]),
     r"cell.ops\[0\]: the first node must be 'cell_input'"),
    (break_("cell.inputs", [[], [0], [0], [1, 5], [3]]), r"cell.inputs\[3\]: input 5 is not an earlier node \(0..2\)"),
    (break_("cell.inputs", [[], [0], [0], [1, "2"], [3]]), r"cell.inputs\[3\]\[1\]: must be a node index"),
    (break_("cell.inputs", [[], [0], [0], [1], [3]]), r"node 2 \(max_pool_3x3\) feeds no other node"),
    (break_("cell.inputs", [[], [0], [0], [1, 2]]), "one input list per node of cell.ops"),
    (break_("cell.inputs", [[], [0], [], [1, 2], [3]]), r"cell.inputs\[2\]: node 2 \(max_pool_3x3\) needs at least"),
    (break_("stages", "1,1,1"), "stages: must be a non-empty list of positive cell counts"),
    (break_("channels", 8.5), "channels: must be a positive integer, got 8.5"),
    (break_("num_classes", True), "num_classes: must be a positive integer, got True"),
    (break_("num_classes", 5), "num_classes: ghn.fashion_mnist generates networks for fashion_mnist"),
    (break_("cell_output_norm", "layer_norm"), "cell_output_norm: must be one of none, batch_norm"),
])
def test_bad_architectures_are_one_line_errors_naming_file_and_field(tmp_path, weight, description, message):
    path = write(tmp_path / "arch.json", description)
    with pytest.raises(ValueError, match=message) as error:
        TASK.read_inputs([path], weight)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_read_inputs_wants_readable_files(tmp_path, weight):
    with pytest.raises(ValueError, match="give an architecture JSON file"):
        TASK.read_inputs([], weight)
    with pytest.raises(ValueError, match="bad.json: num_classes"):  # every file of a ranking is checked
        TASK.read_inputs([RECORD, write(tmp_path / "bad.json", break_("num_classes", 5))], weight)
    with pytest.raises(ValueError, match="cannot read architecture .*missing.json"):
        TASK.read_inputs([tmp_path / "missing.json"], weight)


def test_predict_reports_the_served_networks_accuracy_and_saves_it(ghn, weight, tmp_path):
    inputs = TASK.read_inputs([write(tmp_path / "small.json", SMALL)], weight)
    prediction = TASK.predict(ghn, inputs, weight)
    images, labels, _ = samples.load_sample()
    served = TASK.serving(ghn, weight, architecture=tmp_path / "small.json").function(images=images[..., None])
    assert prediction.accuracy == np.mean(np.argmax(served["probabilities"], -1) == labels)
    assert 0.5 < prediction.accuracy < 1 and prediction.examples == 2000
    assert "predicted accuracy" in prediction.lines()[0] and "zoo.layers.register_all()" in prediction.lines()[2]
    [path] = prediction.save(tmp_path / "out")
    reloaded = keras.saving.load_model(path)  # GraphNetwork is registered by importing zoo.ghn.network
    np.testing.assert_allclose(tf.nn.softmax(reloaded(images[:50, ..., None], training=False)),
                               served["probabilities"][:50], atol=1e-5)


def test_predict_ranks_several_architectures_and_saves_the_ranking(ghn, weight, tmp_path):
    dead = break_("cell.inputs", [[], [0], [0], [1, 2], [3]])
    dead["cell"]["ops"] = ["cell_input", "sep_conv_3x3", "max_pool_3x3", "zero", "cell_output"]  # output is all zero
    paths = [write(tmp_path / "dead.json", dead), write(tmp_path / "small.json", SMALL)]
    prediction = TASK.predict(ghn, TASK.read_inputs(paths, weight), weight)
    assert [r.index for r in prediction.ranked] == [1, 0] and prediction.ranked[1].accuracy < 0.2
    lines = prediction.lines()
    assert "2 architectures ranked" in lines[0] and "small.json" in lines[1] and "dead.json" in lines[2]
    [path] = prediction.save(tmp_path / "out")
    saved = json.loads(path.read_text())
    assert [row["source"] for row in saved] == [str(paths[1]), str(paths[0])]
    assert NetworkGraph.from_dict(saved[0]["architecture"]) == NetworkGraph.from_dict(SMALL)
    assert saved[0]["accuracy"] == prediction.ranked[0].accuracy


def test_the_sample_headline_is_the_mean_accuracy_of_unseen_7_node_architectures(ghn, weight):
    measurement = TASK.evaluate(ghn, weight)
    assert measurement.examples == 2000 and "8 unseen 7-node" in measurement.data
    assert abs(measurement.value - weight.metrics["mean_test_accuracy"]) < 0.15


def test_ranking_puts_a_cell_whose_output_is_all_zero_last(ghn):
    graphs = [search.evaluation_architecture(i, num_nodes=7) for i in range(3)]  # 1 sums only dead nodes
    images, labels, _ = samples.load_sample()
    ranked = architectures.rank_architectures(ghn, [graphs[0], graphs[1].to_dict(), graphs[2]], images[:500],
                                              labels[:500])
    assert [r.index for r in ranked][-1] == 1 and ranked[-1].accuracy < 0.2
    assert [r.accuracy for r in ranked] == sorted((r.accuracy for r in ranked), reverse=True)
    assert ranked[0].graph == graphs[ranked[0].index]
    with pytest.raises(ValueError, match="architecture 0: cell: missing key 'ops'"):
        architectures.rank_architectures(ghn, [{**SMALL, "cell": {"inputs": []}}])


def test_ranking_with_several_ghns_averages_their_accuracies(ghn):
    graphs = [NetworkGraph.from_dict(SMALL), search.evaluation_architecture(0, num_nodes=7)]
    images, labels, _ = samples.load_sample()
    untrained = zoo.load("ghn", pretrained=False, layer_norm=True)
    alone = [architectures.architecture_accuracies(g, graphs, images[:250, ..., None], labels[:250])
             for g in (ghn, untrained)]
    ranked = architectures.rank_architectures([ghn, untrained], graphs, images[:250], labels[:250])
    np.testing.assert_allclose(sorted(r.accuracy for r in ranked), sorted(np.mean(alone, axis=0)))
    with pytest.raises(ValueError, match="non-empty list of GHNs"):
        architectures.rank_architectures([], graphs)


def test_full_evaluation_without_the_test_split_is_a_missing_data_error(ghn, weight, monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("no Fashion-MNIST")

    monkeypatch.setattr(fashion_mnist, "load_fashion_mnist", missing)
    with pytest.raises(tasks.MissingDataError, match="dataset-fashion-mnist"):
        TASK.evaluate(ghn, weight, full=True)


def test_golden_outputs_are_raw_predicted_parameters_that_reload_reproduces(ghn, weight):
    inputs = TASK.golden_inputs(weight)
    outputs = TASK.golden_outputs(ghn, inputs, weight)
    assert outputs.shape == (1, 32)
    params = ghn.predict_parameters(inputs[0])
    np.testing.assert_allclose(outputs[0, 8:16], np.ravel(params["m1/n0/kernel"])[:8], atol=1e-6)
    np.testing.assert_allclose(TASK.golden_outputs(zoo.load(NAME), inputs, weight), outputs, atol=1e-6)
    assert "evaluation_architecture(0, num_nodes=7)" in TASK.golden_description(weight)


def test_the_served_network_checks_its_inputs_and_options(ghn, weight):
    signature = TASK.signature(weight)  # tests/test_contract.py serves the export in a TensorFlow-only process
    assert signature.inputs == {"images": ("uint8", (None, 28, 28, 1))}
    assert signature.outputs == {"probabilities": ("float32", (None, 10))}
    serve = TASK.serving(ghn, weight).function
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be uint8 images of shape \(N, 28, 28, 1\)"):
        serve(images=np.zeros((2, 32, 32, 1), np.uint8))
    with pytest.raises(ValueError, match="only architecture"):
        TASK.serving(ghn, weight, colour="blue")
