"""Architecture search with a GHN as the surrogate: the evaluation architectures, ranking random architectures by
the accuracy of their GHN-predicted weights, and the correlation statistics of the paper's Table 4."""
import numpy as np

from zoo.ghn.graph import random_network

EVALUATION_SEED = 2019
"""Seed stream of the unseen evaluation architectures (GHN training samples from its own seed)."""

NETWORK = {"stages": (1, 1, 1), "channels": 8}
"""The network skeleton of every experiment here (the paper: 18 cells, F = 32, CIFAR-10): one cell per stage,
8 channels at 14×14, 16 at 7×7, 32 at 4×4 after a stride-2 stem — scaled to fit the 2-core machine."""


def evaluation_architecture(index, num_nodes=17):
    """The ``index``-th unseen random architecture (17-node cells, as the paper tests)."""
    return random_network(num_nodes, np.random.default_rng([EVALUATION_SEED, index]), **NETWORK)


def score_architectures(ghn, graphs, data, validation_examples=2000, with_test=True, progress=None):
    """Accuracy of every graph with GHN-predicted weights: ``validation_accuracy`` on the first
    ``validation_examples`` held-out images (what the search ranks by) and, if ``with_test``, ``test_accuracy``
    on the test split; ``seconds`` per architecture (prediction + validation pass)."""
    import time

    from zoo.ghn.training import accuracy
    scores = {"validation_accuracy": [], "test_accuracy": [], "seconds": []}
    val_images, val_labels = (a[:validation_examples] for a in data["validation"])
    for i, graph in enumerate(graphs):
        start = time.perf_counter()
        params = ghn.predict_parameters(graph)
        scores["validation_accuracy"].append(accuracy(graph, params, val_images, val_labels))
        scores["seconds"].append(time.perf_counter() - start)
        if with_test:
            scores["test_accuracy"].append(accuracy(graph, params, *data["test"]))
        if progress:
            progress(i + 1, len(graphs))
    return scores


def golden_outputs(ghn, count=6):
    """A few predicted parameter values of evaluation architecture 0 (what ``zoo.load`` must reproduce)."""
    params = ghn.predict_parameters(evaluation_architecture(0))
    values = np.concatenate([np.ravel(params[name])[:count] for name in sorted(params)[:4]])
    return {"architecture": "zoo.ghn.search.evaluation_architecture(0)", "parameters": sorted(params)[:4],
            "values": np.round(values, 5).tolist(), "atol": 1e-4 * float(np.abs(values).max()) + 1e-5}


def correlations(truth, predicted):
    """Pearson's R (the paper's Table 4), Spearman's ρ and Kendall's τ between two score lists."""
    from scipy import stats
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    if truth.shape != predicted.shape or truth.ndim != 1 or len(truth) < 3:
        raise ValueError(f"truth and predicted must be equal-length 1-D lists of >= 3 scores, got shapes "
                         f"{truth.shape} and {predicted.shape}")
    return {"pearson": float(stats.pearsonr(truth, predicted)[0]),
            "spearman": float(stats.spearmanr(truth, predicted)[0]),
            "kendall": float(stats.kendalltau(truth, predicted)[0])}
