"""Architecture search with a GHN as the surrogate: the evaluation architectures and ranking random architectures
by the accuracy of their GHN-predicted weights (the statistics of the paper's Table 4 are in :mod:`zoo.ghn.ranking`)."""
import time

import numpy as np

from zoo.ghn.graph import CELL_OUTPUT_NORMS, random_network
from zoo.ghn.training import SGDConfig, accuracy, evaluate, train_network

EVALUATION_SEED = 2019
"""Seed stream of the unseen evaluation architectures (GHN training samples from its own seed)."""

SEARCH_SEED = 1810
"""Seed stream of the architectures a search samples."""

GROUND_TRUTH = "docs/data/ghn/ground_truth"
"""Where ``tools/ghn/ground_truth.py`` keeps one JSON per trained evaluation architecture. It is tracked in git:
the 100 SGD runs take hours on 2 cores, and the correlation and search tools read them from a clean checkout."""

NETWORK = {"stages": (1, 1, 1), "channels": 8}
"""The network skeleton of every experiment here (the paper: 18 cells, F = 32, CIFAR-10): one cell per stage,
8 channels at 14×14, 16 at 7×7, 32 at 4×4 after a stride-2 stem — scaled to fit the 2-core machine."""


def network_skeleton(cells_per_stage=1, channels=NETWORK["channels"], cell_output_norm="none", image_channels=1):
    """:data:`NETWORK` with ``cells_per_stage`` cells in each stage (the paper: 6), ``channels`` channels in the
    first stage (the paper: F = 32), cell outputs combined as ``cell_output_norm`` says
    (:data:`~zoo.ghn.graph.CELL_OUTPUT_NORMS`) and ``image_channels`` input channels (3 for CIFAR-10)."""
    for name, value in (("cells_per_stage", cells_per_stage), ("channels", channels)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if cell_output_norm not in CELL_OUTPUT_NORMS:
        raise ValueError(f"cell_output_norm must be one of {CELL_OUTPUT_NORMS}, got {cell_output_norm!r}")
    skeleton = {**NETWORK, "stages": (cells_per_stage,) * len(NETWORK["stages"]), "channels": channels}
    if image_channels != 1:
        skeleton["image_channels"] = image_channels
    return {**skeleton, "cell_output_norm": cell_output_norm} if cell_output_norm != "none" else skeleton


def evaluation_architecture(index, num_nodes=17, cells_per_stage=1, channels=NETWORK["channels"],
                            cell_output_norm="none", image_channels=1):
    """The ``index``-th unseen random architecture (17-node cells, as the paper tests); its cell is the same for
    every ``cells_per_stage``, ``channels``, ``cell_output_norm`` and ``image_channels``."""
    return random_network(num_nodes, np.random.default_rng([EVALUATION_SEED, index]),
                          **network_skeleton(cells_per_stage, channels, cell_output_norm, image_channels))


def search_architecture(index, num_nodes=17):
    """The ``index``-th architecture a search considers (17-node cells)."""
    return random_network(num_nodes, np.random.default_rng([SEARCH_SEED, index]), **NETWORK)


RANK_BY = ("accuracy", "loss")
"""What a search ranks GHN-weight networks by: validation accuracy (the paper) or validation loss (lower first)."""


def ranking_score(scores, rank_by="accuracy"):
    """Higher-is-better surrogate scores from :func:`score_architectures` output: validation accuracy, or the
    negated validation cross-entropy."""
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    if rank_by == "loss":
        return [-loss for loss in scores["validation_loss"]]
    return list(scores["validation_accuracy"])


def ghn_search(ghn, data, graphs, top=10, brief_steps=200, full_steps=1500, rank_by="accuracy", progress=None):
    """The paper's search: rank ``graphs`` (random architectures) by the validation accuracy (or, with
    ``rank_by="loss"``, the validation loss) of their GHN weights, train the ``top`` best for ``brief_steps`` SGD
    steps, then train the best of those for ``full_steps`` ("Top-Best").

    Returns a dict: ``ranked`` (indices, best first), ``ghn_accuracy`` and ``ghn_loss`` (all), ``ranking_seconds``,
    ``top`` (per top architecture: ``index``, ``ghn_accuracy``, ``brief_accuracy``, ``brief_seconds``) and ``best``
    (``index``, ``graph`` dict, the full :func:`~zoo.ghn.training.train_network` result).
    """
    if rank_by not in RANK_BY:
        raise ValueError(f"rank_by must be one of {RANK_BY}, got {rank_by!r}")
    say = progress or (lambda message: None)
    start = time.perf_counter()
    scores = score_architectures(ghn, graphs, data, with_test=False,
                                 progress=lambda i, n: say(f"ranking {i}/{n}"))
    ranked = [int(i) for i in np.argsort(ranking_score(scores, rank_by), kind="stable")[::-1]]
    result = {"ranked": ranked, "rank_by": rank_by, "ghn_accuracy": scores["validation_accuracy"],
              "ghn_loss": scores["validation_loss"], "ranking_seconds": time.perf_counter() - start, "top": []}
    for i in ranked[:top]:
        start = time.perf_counter()
        _, brief = train_network(graphs[i], data, SGDConfig(steps=brief_steps, checkpoints=(brief_steps,)))
        result["top"].append({"index": i, "ghn_accuracy": scores["validation_accuracy"][i],
                              "brief_accuracy": brief["validation_accuracy_at"][brief_steps],
                              "brief_seconds": time.perf_counter() - start})
        say(f"brief training {len(result['top'])}/{top}")
    best = max(result["top"], key=lambda t: t["brief_accuracy"])["index"]
    say(f"full training of architecture {best}")
    _, full = train_network(graphs[best], data, SGDConfig(steps=full_steps))
    result["best"] = {"index": best, "graph": graphs[best].to_dict(), **full}
    return result


def score_architectures(ghn, graphs, data, validation_examples=2000, with_test=True, progress=None, batch_size=250):
    """Accuracy of every graph with GHN-predicted weights: ``validation_accuracy`` and ``validation_loss`` (mean
    cross-entropy) on the first ``validation_examples`` held-out images (what the search ranks by) and, if
    ``with_test``, ``test_accuracy`` on the test split; ``seconds`` per architecture (prediction + validation
    pass). Batch normalization uses the statistics of each ``batch_size`` images."""
    scores = {"validation_accuracy": [], "validation_loss": [], "test_accuracy": [], "seconds": []}
    val_images, val_labels = (a[:validation_examples] for a in data["validation"])
    for i, graph in enumerate(graphs):
        start = time.perf_counter()
        params = ghn.predict_parameters(graph)
        validation = evaluate(graph, params, val_images, val_labels, batch_size)
        scores["seconds"].append(time.perf_counter() - start)
        scores["validation_accuracy"].append(validation["accuracy"])
        scores["validation_loss"].append(validation["loss"])
        if with_test:
            scores["test_accuracy"].append(accuracy(graph, params, *data["test"], batch_size))
        if progress:
            progress(i + 1, len(graphs))
    return scores
