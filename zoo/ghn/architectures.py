"""Architectures as JSON: the schema ``zoo predict ghn.fashion_mnist ARCH.json`` reads, reading and validating it,
and ranking a user's architectures by the accuracy of their GHN-predicted weights.

An architecture is a JSON object, :meth:`zoo.ghn.graph.NetworkGraph.to_dict` written out::

    {
      "cell": {
        "ops":    ["cell_input", "sep_conv_3x3", "max_pool_3x3", "identity", "cell_output"],
        "inputs": [[],           [0],            [0],            [1, 2],     [3]]
      },
      "stages": [1, 1, 1],
      "channels": 8,
      "num_classes": 10,
      "image_channels": 1
    }

- ``cell.ops``: one operation per node, in topological order. Node 0 is ``"cell_input"`` (a ReLU-conv-BN adapting
  the previous cell's output), the last node is ``"cell_output"`` (the sum of its inputs), and every node between is
  one of :data:`zoo.ghn.graph.OPS`: ``sep_conv_3x3``, ``sep_conv_5x5``, ``dil_conv_3x3``, ``dil_conv_5x5``,
  ``max_pool_3x3``, ``avg_pool_3x3``, ``identity``, ``zero``.
- ``cell.inputs``: per node, the indices of the earlier nodes it sums its operation over (distinct, at least one;
  ``[]`` for node 0). Every node but the output must feed a later node; the output usually lists every node that
  feeds nothing else.
- ``stages``: cells per stage; the first cell of every stage after the first halves the resolution and doubles the
  channels. ``channels``: channels of the stem and the first stage. ``num_classes``, ``image_channels``: the
  classifier's outputs and the images' channels (10 and 1 for Fashion-MNIST).
- ``cell_output_norm`` (optional): ``"none"`` (default) or ``"batch_norm"`` after each cell's output sum.

The shipped GHN was trained on 7-node cells in the skeleton ``stages [1, 1, 1]``, ``channels 8``; it predicts weights
for any cell size and skeleton. A record of ``tools/ghn/ground_truth.py`` (``docs/data/ghn/ground_truth/*.json``),
whose ``"graph"`` key holds an architecture, is read as that architecture.
"""
import dataclasses
import json
import pathlib

import numpy as np

from zoo.ghn.graph import NetworkGraph
from zoo.progress import progress_bar


def parse_architecture(value, source="architecture"):
    """A :class:`~zoo.ghn.graph.NetworkGraph` from a graph, its ``to_dict()`` description, or a ground-truth record
    holding one under ``"graph"``; ``ValueError`` ``"<source>: <field>: <problem>"`` when it is not valid."""
    if isinstance(value, NetworkGraph):
        return value
    if isinstance(value, dict) and "graph" in value and "cell" not in value:
        value = value["graph"]
    try:
        return NetworkGraph.from_dict(value)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None


def read_architecture(path):
    """The architecture in the JSON file ``path`` (see the module docstring); ``ValueError`` naming the file and
    the problem (unreadable, not JSON, or the field that is wrong)."""
    path = pathlib.Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read architecture {path}: {getattr(error, 'strerror', None) or error}") from None
    if not text.strip():
        raise ValueError(f"{path} is empty; it must hold an architecture as JSON (see zoo.ghn.architectures)")
    try:
        description = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    return parse_architecture(description, str(path))


def architecture_accuracies(ghn, graphs, images, labels, batch_size=250, progress=None):
    """Top-1 accuracy of each of ``graphs`` with the weights ``ghn`` predicts for it, on ``images`` (uint8
    ``(N, H, W, C)``) with ``labels``: batch normalization uses the statistics of each ``batch_size`` images, as the
    search scores them (:func:`zoo.ghn.search.score_architectures`). ``progress`` shows a bar (None: on a
    terminal)."""
    from zoo.ghn import training

    accuracies = []
    with progress_bar(len(graphs), "scoring GHN-predicted weights", unit="architecture", show=progress) as bar:
        for graph in graphs:
            accuracies.append(training.accuracy(graph, ghn.predict_parameters(graph), images, labels, batch_size))
            bar.update(1)
    return accuracies


@dataclasses.dataclass(frozen=True)
class RankedArchitecture:
    """One architecture of a ranking: its ``index`` in the list given, the ``accuracy`` of its GHN-predicted
    weights, and its ``graph``."""

    index: int
    accuracy: float
    graph: NetworkGraph


def rank_architectures(ghn, architectures, images=None, labels=None, progress=None):
    """Rank ``architectures`` by the accuracy of their GHN-predicted weights, best first (ties keep the given order).

    Args:
        ghn: a trained :class:`~zoo.ghn.hypernet.GraphHyperNetwork`, e.g. ``zoo.load("ghn.fashion_mnist")``, or a
            list of them, whose accuracies are averaged per architecture (an ensemble: lever 2a on the GHN page).
        architectures: graphs, ``to_dict()`` descriptions, or paths of JSON files (see the module docstring).
        images, labels: the data to score on; by default the 2,000 Fashion-MNIST test images embedded in the
            package.
        progress: show a progress bar (None: on a terminal).

    Returns:
        A list of :class:`RankedArchitecture`.
    """
    graphs = [read_architecture(a) if isinstance(a, (str, pathlib.Path)) else parse_architecture(a, f"architecture {i}")
              for i, a in enumerate(architectures)]
    if not graphs:
        raise ValueError("give at least one architecture to rank")
    if (images is None) != (labels is None):
        raise ValueError("give both images and labels, or neither (the embedded Fashion-MNIST test images)")
    if images is None:
        from zoo.data import samples

        images, labels, _ = samples.load_sample()
    images = np.asarray(images)
    images = images[..., None] if images.ndim == 3 else images
    ghns = ghn if isinstance(ghn, (list, tuple)) else [ghn]
    if not ghns:
        raise ValueError("give a GHN, or a non-empty list of GHNs to average")
    accuracies = np.mean([architecture_accuracies(g, graphs, images, np.asarray(labels), progress=progress)
                          for g in ghns], axis=0)
    order = np.argsort(-np.asarray(accuracies), kind="stable")
    return [RankedArchitecture(int(i), float(accuracies[i]), graphs[i]) for i in order]
