"""The task contract of the graph hypernetworks: an architecture (JSON) in, the network the GHN generates for it out.

``zoo predict ghn.fashion_mnist ARCH.json`` reads an architecture (:mod:`zoo.ghn.architectures` documents the
schema), has the GHN predict all its weights, calibrates its batch-normalization statistics on the 2,000 embedded
Fashion-MNIST test images (:meth:`~zoo.ghn.network.GraphNetwork.calibrate_statistics`) and reports the generated
network's accuracy on those images; the prediction's ``save(directory)`` writes the network as ``network.keras``.
``zoo predict ghn.fashion_mnist A.json B.json ...`` ranks several architectures by that accuracy, best first
(:func:`zoo.ghn.architectures.rank_architectures`); ``save(directory)`` writes the ranking as ``ranking.json``.
``zoo export ghn.fashion_mnist DIR [--architecture ARCH.json]`` serves that generated network: uint8 images in,
class probabilities out (the GHN itself is not in the export).
"""
import dataclasses
import json
import pathlib

import numpy as np
import tensorflow as tf

from zoo import tasks
from zoo.classification import ImageClassificationTask
from zoo.data import fashion_mnist, samples
from zoo.export import checked
from zoo.ghn import architectures, search

SAMPLE_ARCHITECTURES = 8
"""Unseen evaluation architectures (7-node cells) the headline is measured on with the embedded sample."""
SAMPLE_NODES = 7
"""Nodes of the sample's and the default export's cells (the GHN's training size; quick to trace)."""
GOLDEN_PARAMETERS = 4
GOLDEN_VALUES_PER_PARAMETER = 8
NETWORK_FILE = "network.keras"
RANKING_FILE = "ranking.json"
RELOAD_HINT = "zoo.layers.register_all(); keras.saving.load_model(PATH)"
"""How a saved generated network reloads: importing zoo.ghn.network registers its GraphNetwork class."""


@dataclasses.dataclass(frozen=True)
class GeneratedNetwork(tasks.Prediction):
    """The network the GHN generated for ``graph``: its ``accuracy`` on ``examples`` embedded test images and the
    ``network`` itself (a :class:`~zoo.ghn.network.GraphNetwork` with calibrated statistics)."""

    source: str
    graph: object
    accuracy: float
    examples: int
    network: object

    def lines(self):
        parameters = sum(int(np.prod(shape)) for shape in self.graph.parameter_shapes().values())
        return [f"{self.source}: predicted accuracy {100 * self.accuracy:.2f}% on the {self.examples:,} embedded "
                "Fashion-MNIST test images",
                f"  GHN-predicted weights ({parameters:,} parameters; {self.graph.cell.num_nodes}-node cell, stages "
                f"{list(self.graph.stages)}, {self.graph.channels} channels), batch-norm statistics calibrated on "
                "those images",
                f"  save(DIRECTORY) writes it as {NETWORK_FILE}, which reloads with: {RELOAD_HINT}"]

    def save(self, directory):
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / NETWORK_FILE
        self.network.save(path)
        return [path]


@dataclasses.dataclass(frozen=True)
class ArchitectureRanking(tasks.Prediction):
    """Several architectures ranked by the accuracy of their GHN-predicted weights on ``examples`` embedded test
    images: ``ranked`` is a list of :class:`~zoo.ghn.architectures.RankedArchitecture`, best first, and
    ``sources`` the files in the order given (``ranked[k].index`` points into it)."""

    sources: list
    ranked: list
    examples: int

    def lines(self):
        width = max(len(source) for source in self.sources)
        return [f"{len(self.ranked)} architectures ranked by the accuracy of their GHN-predicted weights on the "
                f"{self.examples:,} embedded Fashion-MNIST test images, batch-norm statistics of each 250 (as the "
                "search scores them), best first:",
                *(f"  {rank:>3}. {self.sources[r.index]:<{width}}  {100 * r.accuracy:6.2f}%"
                  for rank, r in enumerate(self.ranked, 1))]

    def save(self, directory):
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / RANKING_FILE
        path.write_text(json.dumps([{"rank": rank, "source": self.sources[r.index], "accuracy": r.accuracy,
                                     "examples": self.examples, "architecture": r.graph.to_dict()}
                                    for rank, r in enumerate(self.ranked, 1)], indent=1))
        return [path]


class GraphHyperNetworkTask(tasks.Task):
    """A GHN judged by the mean test accuracy of the weights it predicts for unseen architectures, and served as the
    network it generates for one architecture."""

    family = "ghn"
    inputs_help = "ARCHITECTURE.json [MORE.json ...: rank them]"
    full_data_hint = ImageClassificationTask.full_data_hint

    def read_inputs(self, paths, weight, say=print):
        """``{"graphs", "sources"}`` of the architecture JSON files ``paths`` (one: its generated network; several:
        their ranking), each validated and checked against the weight's data."""
        if not paths:
            raise ValueError(f"give an architecture JSON file (zoo predict {weight.name} ARCH.json), or several to "
                             "rank them")
        skeleton = _default_architecture(weight)
        graphs = []
        for path in paths:
            graph = architectures.read_architecture(path)
            _check_fits(graph, weight, str(path))
            if (graph.stages, graph.channels) != (skeleton.stages, skeleton.channels):
                say(f"{path}: the GHN was trained on networks with stages {list(skeleton.stages)} and "
                    f"{skeleton.channels} channels; this one (stages {list(graph.stages)}, {graph.channels} "
                    "channels) is extrapolation")
            graphs.append(graph)
        return {"graphs": graphs, "sources": [str(path) for path in paths]}

    def predict(self, model, inputs, weight, top_k=3):
        """The generated network of one architecture (:class:`GeneratedNetwork`), or the ranking of several
        (:class:`ArchitectureRanking`)."""
        images, labels, _ = samples.load_sample()
        if len(inputs["graphs"]) > 1:
            ranked = architectures.rank_architectures(model, inputs["graphs"], images, labels)
            return ArchitectureRanking(inputs["sources"], ranked, len(labels))
        [graph], [source] = inputs["graphs"], inputs["sources"]
        serving = self.serving(model, weight, architecture=graph)
        probabilities = serving.function(images=tf.constant(images[..., None]))["probabilities"].numpy()
        accuracy = float(np.mean(np.argmax(probabilities, axis=-1) == labels))
        return GeneratedNetwork(source, graph, accuracy, len(labels), serving.models[0])

    def evaluate(self, model, weight, full=False, progress=None):
        """The mean test accuracy of the GHN-predicted weights of unseen evaluation architectures, batch
        normalization with the statistics of each 250 images (as ``tools/ghn/train.py`` scores them): on the
        embedded sample the first :data:`SAMPLE_ARCHITECTURES` with 7-node cells, with ``full`` the recorded number
        of 17-node ones on the full test split."""
        skeleton = _skeleton(weight)
        if full:
            try:
                images, labels = fashion_mnist.load_fashion_mnist("test")
            except FileNotFoundError as error:
                raise tasks.MissingDataError(self.full_data_hint) from error
            count = int(weight.metrics["architectures"])
            graphs = [search.evaluation_architecture(i, **skeleton) for i in range(count)]
            data = (f"the Fashion-MNIST test split, GHN-predicted weights of {count} unseen 17-node evaluation "
                    "architectures")
        else:
            images, labels, _ = samples.load_sample()
            graphs = [search.evaluation_architecture(i, num_nodes=SAMPLE_NODES, **skeleton)
                      for i in range(SAMPLE_ARCHITECTURES)]
            data = (f"the {len(labels):,} embedded Fashion-MNIST test images, GHN-predicted weights of "
                    f"{SAMPLE_ARCHITECTURES} unseen {SAMPLE_NODES}-node evaluation architectures")
        accuracies = architectures.architecture_accuracies(model, graphs, images[..., None], labels,
                                                           progress=progress)
        return tasks.Measurement(float(np.mean(accuracies)), len(labels), data)

    def headline_spec(self, weight):
        """The mean test accuracy of GHN-predicted weights on unseen architectures (the record's
        ``mean_test_accuracy``)."""
        return {"metric": "mean_test_accuracy", "name": "mean accuracy of GHN-predicted weights", "unit": "%",
                "tolerance": 0.005}

    def golden_inputs(self, weight):
        """The unseen evaluation architecture zoo.ghn.search.evaluation_architecture(0, num_nodes=7) in the weight's
        network skeleton; its one row holds the first 8 predicted values of each of its first 4 parameters in name
        order (m0/n1/kernel, m1/n0/kernel, ...): 32 raw predicted parameter values."""
        return [_default_architecture(weight)]

    def golden_outputs(self, model, inputs, weight):
        rows = []
        for graph in inputs:
            params = model.predict_parameters(graph, traced=False)
            rows.append(np.concatenate([np.ravel(params[name])[:GOLDEN_VALUES_PER_PARAMETER]
                                        for name in sorted(params)[:GOLDEN_PARAMETERS]]))
        return np.stack(rows)

    def signature(self, weight):
        shape = tuple(weight.preprocessing["input_shape"])
        return tasks.Signature(
            inputs={"images": (weight.preprocessing["input_dtype"], (None, *shape))},
            outputs={"probabilities": ("float32", (None, _default_architecture(weight).num_classes))},
            checks="rank 4, height, width and channels (the dtype by the signature)")

    def serving(self, model, weight, native=False, architecture=None, **options):
        """The network ``model`` generates for ``architecture`` (a JSON file path, a graph or its ``to_dict()``;
        default: the unseen evaluation architecture ``zoo.ghn.search.evaluation_architecture(0, num_nodes=7)``),
        batch-norm statistics calibrated on the embedded test images, served on uint8 images."""
        if options:
            raise ValueError(f"export options {sorted(options)} do not apply to {self.family} weights (only "
                             "architecture)")
        if architecture is None:
            graph = _default_architecture(weight)
        elif isinstance(architecture, (str, pathlib.Path)):
            graph = architectures.read_architecture(architecture)
        else:
            graph = architectures.parse_architecture(architecture)
        _check_fits(graph, weight, "architecture")
        network = model.build_network(graph, calibration_images=samples.load_sample()[0][..., None], traced=False)
        shape = tuple(weight.preprocessing["input_shape"])

        def serve(images):
            images = checked(images, "images", (None, *shape), f"{weight.preprocessing['input_dtype']} images")
            return {"probabilities": tf.nn.softmax(network(images, training=False), axis=-1)}

        return tasks.Serving(serve, [network])

    def serving_example(self, weight):
        return {"images": samples.load_sample()[0][:3, ..., None].astype(weight.preprocessing["input_dtype"])}


def _skeleton(weight):
    """The weight's network skeleton as :func:`zoo.ghn.search.evaluation_architecture` keyword arguments."""
    network = weight.preprocessing["network"]
    return {"cells_per_stage": int(network["stages"][0]), "channels": int(network["channels"]),
            "cell_output_norm": network.get("cell_output_norm", "none")}


def _default_architecture(weight):
    return search.evaluation_architecture(0, num_nodes=SAMPLE_NODES, **_skeleton(weight))


def _check_fits(graph, weight, source):
    """``ValueError`` unless ``graph`` classifies the weight's images into its data's classes."""
    expected = _default_architecture(weight)
    for field in ("num_classes", "image_channels"):
        if getattr(graph, field) != getattr(expected, field):
            raise ValueError(f"{source}: {field}: {weight.name} generates networks for {weight.dataset} "
                             f"({field} {getattr(expected, field)}), got {getattr(graph, field)}")


TASK = GraphHyperNetworkTask()
