"""How well a ranking of architectures agrees with their trained accuracy (the paper's Table 4): correlations with
bootstrap intervals over the architectures, the paired interval of a difference between two rankings, the
correlation left after the architectures' structure is regressed out, and rankings that need no network at all."""
import numpy as np
from scipy import stats

from zoo.ghn.graph import cell_structure

STRUCTURE = ("output_inputs", "live_output_inputs", "live_convolutions", "live_pooling", "depth")
"""The structural counts of a cell (:func:`zoo.ghn.graph.cell_structure`) that :func:`partial_correlation` can
regress out."""


def correlations(truth, predicted):
    """Pearson's R (the paper's Table 4), Spearman's ρ and Kendall's τ between two score lists."""
    truth, predicted = _score_lists(truth, predicted)
    return {"pearson": float(stats.pearsonr(truth, predicted)[0]),
            "spearman": float(stats.spearmanr(truth, predicted)[0]),
            "kendall": float(stats.kendalltau(truth, predicted)[0])}


def judge(truth, predicted, structure, resamples=2000, seed=0):
    """Everything the levers table reports of one ranking against one ground truth: ``pearson`` with its bootstrap
    ``interval``, ``spearman``, and ``partial``, the correlation beyond the ``structure`` counts
    (:func:`structural_counts`)."""
    result = correlations(truth, predicted)
    return {"pearson": result["pearson"], "interval": pearson_interval(truth, predicted, resamples, seed),
            "spearman": result["spearman"], "partial": partial_correlation(truth, predicted, structure)}


def pearson_interval(truth, predicted, resamples=2000, seed=0, level=0.95):
    """Percentile bootstrap interval (``level``) of Pearson's R between two score lists, resampling architectures
    (pairs) with replacement (``scipy.stats.bootstrap``)."""
    truth, predicted = _score_lists(truth, predicted)
    return _interval(lambda t, p, axis: _pearson(t, p, axis), (truth, predicted), resamples, seed, level)


def pearson_difference_interval(truth, first, second, second_truth=None, resamples=2000, seed=0, level=0.95):
    """Paired bootstrap interval of R(truth, first) − R(second_truth, second) (``second_truth`` defaults to
    ``truth``): both rankings are scored on the same resampled architectures, so an interval that excludes 0 says
    ``first`` ranks better (or worse) beyond chance. A second truth compares rankings of two network families trained
    on the same architectures."""
    truth, first = _score_lists(truth, first)
    second_truth, second = _score_lists(truth if second_truth is None else second_truth, second)
    _score_lists(truth, second_truth)

    def difference(t, a, u, b, axis):
        return _pearson(t, a, axis) - _pearson(u, b, axis)

    return _interval(difference, (truth, first, second_truth, second), resamples, seed, level)


def partial_correlation(truth, predicted, covariates):
    """Pearson's R between ``truth`` and ``predicted`` after regressing both on ``covariates`` (``(n, k)``, with an
    intercept): what a ranking knows beyond the covariates (e.g. :func:`structural_counts`)."""
    truth, predicted = _score_lists(truth, predicted)
    design = np.column_stack([np.ones(len(truth)), np.asarray(covariates, float).reshape(len(truth), -1)])
    if np.linalg.matrix_rank(design) >= len(truth) - 1:
        raise ValueError(f"covariates must leave at least 2 degrees of freedom: {design.shape[1]} columns for "
                         f"{len(truth)} architectures")

    def residual(values):
        return values - design @ np.linalg.lstsq(design, values, rcond=None)[0]

    return float(stats.pearsonr(residual(truth), residual(predicted))[0])


def structural_counts(graphs, names=STRUCTURE):
    """``(len(graphs), len(names))`` array of each graph's cell counts (:func:`zoo.ghn.graph.cell_structure`)."""
    unknown = set(names) - set(STRUCTURE)
    if unknown:
        raise ValueError(f"names must be among {STRUCTURE}, got {sorted(unknown)}")
    return np.array([[cell_structure(g.cell)[name] for name in names] for g in graphs], float)


def structural_rankings(graphs):
    """Higher-is-better scores of each graph that need no training: its parameter count, and minus its cell's live
    pooling nodes (the GHN-free rankings beside the GHN's)."""
    return {"parameter count": [sum(int(np.prod(shape)) for shape in g.parameter_shapes().values()) for g in graphs],
            "fewer live pooling nodes": [-cell_structure(g.cell)["live_pooling"] for g in graphs]}


def ranking_ceiling(reliability, seeds=1):
    """The Pearson R that ranking by each architecture's seed-free accuracy can expect against a ground truth
    averaged over ``seeds`` SGD seeds, where ``reliability`` is the Pearson R between two single-seed ground
    truths: sqrt(k r / (1 + (k − 1) r)) for k seeds (Spearman–Brown). No ranking can expect more."""
    if not 0 <= reliability <= 1 or int(seeds) < 1:
        raise ValueError(f"reliability must be in [0, 1] and seeds >= 1, got reliability={reliability}, "
                         f"seeds={seeds}")
    k = int(seeds)
    return float(np.sqrt(k * reliability / (1 + (k - 1) * reliability)))


def _pearson(x, y, axis=-1):
    x = x - x.mean(axis=axis, keepdims=True)
    y = y - y.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=axis) / np.sqrt((x * x).sum(axis=axis) * (y * y).sum(axis=axis))


def _interval(statistic, data, resamples, seed, level):
    if not 0 < level < 1 or int(resamples) < 1:
        raise ValueError(f"level must be in (0, 1) and resamples >= 1, got level={level}, resamples={resamples}")
    if any(np.ptp(values) == 0 for values in data):
        raise ValueError("every score list must vary across the architectures, got a constant list")
    result = stats.bootstrap(data, statistic, paired=True, vectorized=True, n_resamples=int(resamples),
                             confidence_level=level, method="percentile", random_state=seed)
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("too few distinct architectures for a bootstrap interval (a resample was constant)")
    return float(low), float(high)


def _score_lists(truth, predicted):
    """``truth`` and ``predicted`` as float arrays, checked to be equal-length 1-D lists of at least 3 scores."""
    truth, predicted = np.asarray(truth, float), np.asarray(predicted, float)
    if truth.shape != predicted.shape or truth.ndim != 1 or len(truth) < 3:
        raise ValueError(f"truth and predicted must be equal-length 1-D lists of >= 3 scores, got shapes "
                         f"{truth.shape} and {predicted.shape}")
    return truth, predicted
