"""The levers bookkeeping on tiny synthetic ground truths: records read back, scores cached and averaged, each lever
judged against each seed and their mean on the architectures they share."""
import json

import numpy as np
import pytest

from zoo.ghn import graph as G
from zoo.ghn import levers, plots, ranking, training
from zoo.ghn.hypernet import GraphHyperNetwork

TINY_GHN = {"hidden": 8, "message_hidden": 8, "decoder_hidden": 8, "sweeps": 1, "max_shape": (5, 5, 4, 4)}
NETWORK = {"stages": (1,), "channels": 4}


def write_truth(directory, indices, seed):
    rng = np.random.default_rng(seed)
    for i in indices:
        record = {"index": i, "graph": G.random_network(5, np.random.default_rng(i), **NETWORK).to_dict(),
                  "test_accuracy": float(rng.uniform(0.5, 0.9)), "seconds_at": {"10": 1.0, "1000": 100.0},
                  "validation_accuracy_at": {"10": float(rng.uniform(0.3, 0.6)), "1000": float(rng.uniform(0.5, 0.9))}}
        (directory / f"arch_{i:03d}.json").write_text(json.dumps(record))
    return levers.GroundTruth.read(directory)


@pytest.fixture
def truths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return {"seed 0": write_truth(tmp_path / "a", range(16), 0), "seed 1": write_truth(tmp_path / "b", range(4, 16), 1)}


def test_ground_truth_reads_its_records(truths):
    seed0 = truths["seed 0"]
    assert seed0.indices == tuple(range(16)) and seed0.sgd_1000_seconds == 100.0 and sorted(seed0.sgd_accuracy) == [10,
                                                                                                                1000]
    assert seed0.graphs[3] == G.random_network(5, np.random.default_rng(3), **NETWORK)
    with pytest.raises(ValueError, match="at least 3"):
        levers.GroundTruth.read(truths["seed 0"].directory + "/none")


def test_judging_uses_the_shared_architectures_and_the_mean_truth(truths):
    predicted = np.random.default_rng(5).uniform(size=16)
    judged, count = levers.judge_lever(predicted, truths["seed 0"].indices, truths, resamples=200)
    assert count == 12 and set(judged) == {"seed 0", "seed 1", "mean"}
    mean_truth = (truths["seed 0"].accuracy[4:] + truths["seed 1"].accuracy) / 2
    assert judged["mean"]["pearson"] == pytest.approx(np.corrcoef(mean_truth, predicted[4:])[0, 1])
    structure = ranking.structural_counts(truths["seed 0"].graphs[4:])
    assert judged["mean"]["partial"] == pytest.approx(ranking.partial_correlation(mean_truth, predicted[4:], structure))


def test_scores_are_cached_and_averaged(truths, tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 60).astype(np.int32)
    data = {"validation": ((rng.uniform(0, 255, (60, 12, 12, 1))).astype(np.uint8), labels)}
    path = tmp_path / "scores.json"
    loads = []

    def load():  # a loader is called only when the cache misses
        loads.append(1)
        return GraphHyperNetwork(**TINY_GHN)

    scores = levers.score(load, truths["seed 0"], data, 20, path)
    assert scores.indices == truths["seed 0"].indices and len(scores.accuracy) == 16 and path.is_file()
    again = levers.score(load, truths["seed 0"], data, 20, path)  # from the cache: the GHN is not loaded again
    np.testing.assert_array_equal(again.accuracy, scores.accuracy)
    assert len(loads) == 1
    assert levers.score(None, truths["seed 0"], data, 20, path).indices == scores.indices
    with pytest.raises(ValueError, match="no GHN given"):  # other validation images: not in the cache
        levers.score(None, truths["seed 0"], data, 40, path)
    twin = levers.Scores(scores.indices, 1 - scores.accuracy, 2.0, 1.0)
    mean = levers.Scores.mean([scores, twin])
    np.testing.assert_allclose(mean.accuracy, 0.5)
    assert mean.seconds == scores.seconds + 2.0


def test_the_levers_figure_draws_the_rankings_that_have_a_cost(tmp_path):
    points = [{"ranking": "shipped GHN", "short": "shipped", "network": "sum", "r": 0.5, "interval": [0.4, 0.6],
               "cost": 256.0, "ghn": True},
              {"ranking": "SGD 10 steps", "short": "SGD 10", "network": "cell-output BN", "r": 0.2,
               "interval": [0.0, 0.4], "cost": 100.0, "ghn": False},
              {"ranking": "pooling count", "short": "", "network": "sum", "r": 0.7, "interval": [0.5, 0.8],
               "cost": None, "ghn": False}]
    figure = plots.levers(points, tmp_path / "levers.png")
    assert (tmp_path / "levers.png").stat().st_size > 0
    [axes] = figure.axes
    assert sorted(text.get_text() for text in axes.texts) == ["SGD 10", "shipped"]  # no cost, no point


def test_gains_over_a_reference_are_judged_per_seed_and_on_the_mean(truths):
    rng = np.random.default_rng(7)
    indices = truths["seed 0"].indices
    mine = levers.Scores(indices, rng.uniform(size=16), 1.0, 0.0)
    reference = levers.Scores(indices, rng.uniform(size=16), 1.0, 0.0)
    cells, gains = levers.gains_over(mine, truths, reference, truths, resamples=200)
    assert cells == 12 and set(gains) == {"seed 0", "seed 1", "mean"}
    seed1 = truths["seed 1"].accuracy
    expected = np.corrcoef(seed1, mine.accuracy[4:])[0, 1] - np.corrcoef(seed1, reference.accuracy[4:])[0, 1]
    assert gains["seed 1"][0] == pytest.approx(expected) and gains["seed 1"][1] <= expected <= gains["seed 1"][2]
    assert set(levers.gains_over(mine, {"seed 0": truths["seed 0"]}, reference, truths, 200)[1]) == {"seed 0"}
    r, common = levers.seed_agreement(truths["seed 0"], truths["seed 1"])
    assert common == 12 and r == pytest.approx(np.corrcoef(truths["seed 0"].accuracy[4:], seed1)[0, 1])


def test_no_ghn_rankings_and_the_agreement_of_several_ghns(truths):
    seed0 = truths["seed 0"]
    rankings = levers.rankings_without_ghn(seed0)
    assert [(label, cost) for label, _, _, cost in rankings] == [
        ("SGD 10 steps (seed-0 run)", 100.0), ("SGD 1000 steps (seed-0 run)", 1.0),
        ("fewer live pooling nodes (no network)", None)]
    np.testing.assert_array_equal(rankings[0][2], seed0.sgd_accuracy[10])
    rng = np.random.default_rng(3)
    parts = [levers.Scores(seed0.indices, rng.uniform(size=16), 1.0, 0.0) for _ in range(3)]
    pairs = [np.corrcoef(parts[i].accuracy, parts[j].accuracy)[0, 1] for i, j in ((0, 1), (0, 2), (1, 2))]
    assert levers.mutual_agreement(parts) == pytest.approx(np.mean(pairs))


def test_accuracy_by_cell_size_is_the_mean_over_each_size_and_cached(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 255, (40, 12, 12, 1)).astype(np.uint8)
    data = {"validation": (images, rng.integers(0, 10, 40).astype(np.int32)),
            "test": (images[::-1].copy(), rng.integers(0, 10, 40).astype(np.int32))}
    graphs = {n: [G.random_network(n, np.random.default_rng([n, i]), **NETWORK) for i in range(2)] for n in (4, 5)}
    ghn = GraphHyperNetwork(**TINY_GHN)
    path = tmp_path / "sizes.json"
    accuracy = levers.accuracy_by_cell_size(ghn, graphs, data, path)
    for n, size_graphs in graphs.items():
        expected = np.mean([training.accuracy(g, ghn.predict_parameters(g), *data["test"]) for g in size_graphs])
        assert accuracy[n] == pytest.approx(expected)
    assert levers.accuracy_by_cell_size(None, graphs, data, path) == accuracy  # from the cache: no GHN needed
    with pytest.raises(ValueError, match="no GHN given"):
        levers.accuracy_by_cell_size(None, {4: graphs[4]}, data, path)


def reaches_output(cell):
    """Whether a path of non-zero operations leads from the cell input to its output (a forward search)."""
    reached = {0}
    for v in range(1, cell.num_nodes - 1):
        if cell.ops[v] != "zero" and reached & set(cell.inputs[v]):
            reached.add(v)
    return bool(reached & set(cell.inputs[-1]))


def test_with_live_output_drops_the_cells_whose_output_is_dead():
    graphs = [G.random_network(5, np.random.default_rng(i), **NETWORK) for i in range(300)]
    dead = [i for i, g in enumerate(graphs) if not reaches_output(g.cell)]
    live = [i for i, g in enumerate(graphs) if reaches_output(g.cell)]
    assert dead, "some random cell routes every path through a zero operation"
    indices = (live[0], dead[0], live[1], live[2])
    truth = levers.GroundTruth("", indices, tuple(graphs[i] for i in indices), np.linspace(0.1, 0.9, 4), {}, 1.0)
    assert levers.dead_cells(truth) == (dead[0],)
    kept = levers.with_live_output(levers.Scores(indices, np.arange(4.0), 1.0, 0.5), truth)
    assert kept.indices == (live[0], live[1], live[2])
    np.testing.assert_array_equal(kept.accuracy, [0.0, 2.0, 3.0])
