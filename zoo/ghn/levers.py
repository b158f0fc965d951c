"""The GHN ranking levers measured against SGD ground truths: each lever (a GHN, several GHNs averaged, more
validation batches) scores the ground truths' architectures, and :func:`judge_lever` reports Pearson R with its
bootstrap interval, Spearman ρ and the correlation beyond structure against each seed's ground truth and their mean,
with the cost per architecture as a ratio to 1,000 SGD steps.

Scores are cached as JSON beside the results (``score_path``), so a table is rebuilt without rescoring.
"""
import dataclasses
import itertools
import json
import pathlib
import statistics

import numpy as np

from zoo.ghn import ranking, search
from zoo.ghn.graph import NetworkGraph, cell_structure
from zoo.ghn.hypernet import GraphHyperNetwork


@dataclasses.dataclass(frozen=True)
class GroundTruth:
    """SGD-trained architectures of one seed: ``indices`` (evaluation architecture numbers), their ``graphs``, test
    ``accuracy``, validation accuracy after k steps (``sgd_accuracy[k]``) and the median seconds of 1,000 steps."""

    directory: str
    indices: tuple
    graphs: tuple
    accuracy: np.ndarray
    sgd_accuracy: dict
    sgd_1000_seconds: float

    @classmethod
    def read(cls, directory):
        """The ``arch_*.json`` records of ``tools/ghn/ground_truth.py`` in ``directory``."""
        records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(directory).glob("arch_*.json"))]
        if len(records) < 3:
            raise ValueError(f"ground truth {directory} holds {len(records)} arch_*.json records; at least 3 needed")
        steps = sorted(int(k) for k in records[0]["validation_accuracy_at"])
        return cls(str(directory), tuple(r["index"] for r in records),
                   tuple(NetworkGraph.from_dict(r["graph"]) for r in records),
                   np.array([r["test_accuracy"] for r in records]),
                   {k: np.array([r["validation_accuracy_at"][str(k)] for r in records]) for k in steps},
                   statistics.median(r["seconds_at"]["1000"] for r in records))


@dataclasses.dataclass(frozen=True)
class Scores:
    """GHN-weight validation accuracy per architecture (``indices``) and the seconds it took: ``seconds`` per
    architecture once traced, ``trace_seconds`` the one-off trace of the skeleton."""

    indices: tuple
    accuracy: np.ndarray
    seconds: float
    trace_seconds: float

    @classmethod
    def mean(cls, scores):
        """Several GHNs' scores averaged per architecture (an ensemble); their costs add up."""
        if len({s.indices for s in scores}) != 1:
            raise ValueError("scores to average must cover the same architectures")
        return cls(scores[0].indices, np.mean([s.accuracy for s in scores], axis=0),
                   sum(s.seconds for s in scores), sum(s.trace_seconds for s in scores))


def dead_cells(truth):
    """Indices of ``truth``'s architectures whose cell output is dead: no path of non-``zero`` operations reaches it
    from the cell input, so the cell outputs zeros and the network trains to chance whatever ranks it."""
    return tuple(i for i, g in zip(truth.indices, truth.graphs) if cell_structure(g.cell)["live_output_inputs"] == 0)


def with_live_output(scores, truth):
    """``scores`` without the :func:`dead_cells` of ``truth``, which would dominate a Pearson R on their own."""
    dead = set(dead_cells(truth))
    keep = [k for k, i in enumerate(scores.indices) if i not in dead]
    return Scores(tuple(scores.indices[k] for k in keep), scores.accuracy[keep], scores.seconds, scores.trace_seconds)


def score(ghn, truth, data, validation_examples, path):
    """:class:`Scores` of ``ghn`` on the architectures of ``truth`` (validation accuracy of its predicted weights on
    ``validation_examples`` held-out images, batch statistics per 250), cached as JSON at ``path``. ``ghn`` may be
    a function returning the GHN, called only when the cache misses, or None when the cache holds these scores."""
    path = pathlib.Path(path)
    if path.is_file():
        cached = json.loads(path.read_text())
        if tuple(cached["indices"]) == truth.indices and cached["validation_examples"] == validation_examples:
            return Scores(tuple(cached["indices"]), np.array(cached["accuracy"]), cached["seconds"],
                          cached["trace_seconds"])
    ghn = _ghn_on_cache_miss(ghn, f"{path} holds no scores of these {len(truth.indices)} architectures on "
                                  f"{validation_examples} validation images")
    result = search.score_architectures(ghn, list(truth.graphs), data, validation_examples, with_test=False)
    seconds = statistics.median(result["seconds"][1:]) if len(result["seconds"]) > 1 else result["seconds"][0]
    scores = Scores(truth.indices, np.array(result["validation_accuracy"]), seconds,
                    max(result["seconds"][0] - seconds, 0.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"indices": list(scores.indices), "validation_examples": validation_examples,
                                "accuracy": scores.accuracy.tolist(), "seconds": scores.seconds,
                                "trace_seconds": scores.trace_seconds}))
    return scores


def accuracy_by_cell_size(ghn, graphs_by_size, data, path):
    """``{cell size: mean test accuracy}`` of the weights ``ghn`` predicts for each list of ``graphs_by_size``
    (``{nodes per cell: [NetworkGraph]}``), cached as JSON at ``path``: how well a GHN serves the cells it trained on
    and the larger ones it ranks. ``ghn`` may be a loader, called only when the cache misses."""
    path = pathlib.Path(path)
    counts = {str(size): len(graphs) for size, graphs in graphs_by_size.items()}
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached["architectures"] == counts:
            return {int(size): accuracy for size, accuracy in cached["test_accuracy"].items()}
    ghn = _ghn_on_cache_miss(ghn, f"{path} holds no accuracies for {counts} architectures per cell size")
    accuracy = {size: float(np.mean(search.score_architectures(ghn, list(graphs), data, validation_examples=250)
                                    ["test_accuracy"])) for size, graphs in graphs_by_size.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"architectures": counts,
                                "test_accuracy": {str(size): a for size, a in accuracy.items()}}))
    return accuracy


def _ghn_on_cache_miss(ghn, missing):
    """The GHN to compute what the cache lacks (``missing`` says what): ``ghn`` itself or what its loader returns;
    a clear error when none was given."""
    if ghn is None:
        raise ValueError(f"no GHN given and {missing}")
    return ghn if isinstance(ghn, GraphHyperNetwork) else ghn()


def judge_lever(predicted, indices, truths, resamples=2000):
    """``{judge name: ranking.judge(...)}`` of ``predicted`` (scores of architectures ``indices``) against each of
    ``truths`` (``{name: GroundTruth}`` of the same network family) and their mean, on the architectures all share."""
    common = sorted(set(indices).intersection(*(t.indices for t in truths.values())))
    if len(common) < 3:
        raise ValueError(f"the ground truths share {len(common)} architectures with the scores; at least 3 needed")
    position = {i: k for k, i in enumerate(indices)}
    scores = np.asarray(predicted)[[position[i] for i in common]]
    per_truth = {name: t.accuracy[[t.indices.index(i) for i in common]] for name, t in truths.items()}
    first = next(iter(truths.values()))
    graphs = dict(zip(first.indices, first.graphs))
    structure = ranking.structural_counts([graphs[i] for i in common])
    judged = {name: ranking.judge(truth, scores, structure, resamples) for name, truth in per_truth.items()}
    if len(per_truth) > 1:
        judged["mean"] = ranking.judge(np.mean(list(per_truth.values()), axis=0), scores, structure, resamples)
    return judged, len(common)


def gains_over(scores, truths, reference, reference_truths, resamples=2000):
    """``(cells, {judge: (ΔR, low, high)})``: the gain in Pearson R of ``scores`` (judged by ``truths``) over
    ``reference`` (judged by ``reference_truths``, e.g. another network family's ground truths of the same seeds),
    against each seed both have and against their mean when both have two seeds, with paired bootstrap intervals,
    on the ``cells`` architectures every ground truth and both score sets share."""
    common = sorted(set(scores.indices) & set(reference.indices) & set.intersection(
        *(set(t.indices) for t in (*truths.values(), *reference_truths.values()))))

    def pick(values, indices):
        return np.asarray(values)[[list(indices).index(i) for i in common]]

    def truth(ts, seeds):
        return np.mean([pick(ts[seed].accuracy, ts[seed].indices) for seed in seeds], axis=0)

    judges = {seed: [seed] for seed in truths if seed in reference_truths}
    if len(truths) > 1 and len(reference_truths) > 1:
        judges["mean"] = list(truths)
    mine, theirs = pick(scores.accuracy, scores.indices), pick(reference.accuracy, reference.indices)
    gains = {}
    for judge, seeds in judges.items():
        a, b = truth(truths, seeds), truth(reference_truths, seeds if judge != "mean" else list(reference_truths))
        delta = ranking.correlations(a, mine)["pearson"] - ranking.correlations(b, theirs)["pearson"]
        gains[judge] = (delta, *ranking.pearson_difference_interval(a, mine, theirs, b, resamples))
    return len(common), gains


def seed_agreement(first, second):
    """``(R, cells)``: Pearson R between two seeds' ground truths of the same network family on the architectures
    both hold (their reliability, which bounds any ranking's R against one seed)."""
    common = sorted(set(first.indices) & set(second.indices))
    r = ranking.correlations(*(t.accuracy[[t.indices.index(i) for i in common]] for t in (first, second)))
    return r["pearson"], len(common)


def mutual_agreement(parts):
    """Mean Pearson R between the scores of every pair of ``parts`` (:class:`Scores` of several GHNs on the same
    architectures): averaging GHNs only helps where their errors differ."""
    return float(np.mean([ranking.correlations(a.accuracy, b.accuracy)["pearson"]
                          for a, b in itertools.combinations(parts, 2)]))


def rankings_without_ghn(truth):
    """``[(label, short label, scores, cost ratio or None)]``: the rankings of ``truth``'s architectures that need no
    GHN: the validation accuracy after k SGD steps of its own runs (cost 1000/k of the full 1,000 steps), and fewer
    live pooling nodes first (no network, no cost)."""
    pooling = ranking.structural_rankings(truth.graphs)["fewer live pooling nodes"]
    return [*((f"SGD {k} steps (seed-0 run)", f"SGD {k}", accuracy, 1000 / k)
              for k, accuracy in truth.sgd_accuracy.items()),
            ("fewer live pooling nodes (no network)", "", pooling, None)]
