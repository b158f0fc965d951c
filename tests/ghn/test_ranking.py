"""The ranking statistics of the paper's Table 4 against their definitions, a simulation, the Fisher interval and
the closed-form partial correlation."""
import numpy as np
import pytest

from zoo.ghn import graph as G
from zoo.ghn import ranking
from zoo.ghn.hypernet import GraphHyperNetwork

TINY_GHN = {"hidden": 8, "message_hidden": 8, "decoder_hidden": 8, "sweeps": 1, "max_shape": (5, 5, 4, 4)}
NETWORK = {"stages": (1,), "channels": 4}


def test_correlations_match_their_definitions():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    y = y + x
    result = ranking.correlations(x, y)
    np.testing.assert_allclose(result["pearson"], np.corrcoef(x, y)[0, 1])
    ranks = lambda v: np.argsort(np.argsort(v))  # noqa: E731 (no ties in continuous draws)
    np.testing.assert_allclose(result["spearman"], np.corrcoef(ranks(x), ranks(y))[0, 1])
    pairs = [(i, j) for i in range(30) for j in range(i + 1, 30)]
    concordance = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs) / len(pairs)
    np.testing.assert_allclose(result["kendall"], concordance)
    with pytest.raises(ValueError, match="equal-length"):
        ranking.correlations([1, 2, 3], [1, 2])


def test_ranking_ceiling_matches_a_simulated_noisy_ground_truth():
    rng = np.random.default_rng(0)
    quality = rng.normal(size=20_000)  # each architecture's seed-free accuracy
    seeds = quality + rng.normal(scale=0.6, size=(3, quality.size))  # three SGD seeds of the ground truth
    reliability = np.corrcoef(seeds[0], seeds[1])[0, 1]
    for k in (1, 3):
        simulated = np.corrcoef(quality, seeds[:k].mean(axis=0))[0, 1]
        np.testing.assert_allclose(ranking.ranking_ceiling(reliability, k), simulated, atol=0.01)
    with pytest.raises(ValueError, match="reliability"):
        ranking.ranking_ceiling(1.2)


def test_pearson_interval_agrees_with_the_fisher_interval_and_holds_the_estimate():
    rng = np.random.default_rng(1)
    x = rng.normal(size=400)
    y = 0.6 * x + 0.8 * rng.normal(size=400)
    r = np.corrcoef(x, y)[0, 1]
    low, high = ranking.pearson_interval(x, y, resamples=2000, seed=0)
    fisher = np.tanh(np.arctanh(r) + np.array([-1, 1]) * 1.96 / np.sqrt(len(x) - 3))
    assert low < r < high
    np.testing.assert_allclose([low, high], fisher, atol=0.03)
    with pytest.raises(ValueError, match="level"):
        ranking.pearson_interval(x, y, level=1.5)
    with pytest.raises(ValueError, match="equal-length"):
        ranking.pearson_interval(x, y[:-1])
    with pytest.raises(ValueError, match="constant"):
        ranking.pearson_interval(x, np.ones_like(x))


def test_structural_rankings_count_the_predicted_parameters_and_the_live_pooling_nodes():
    ghn = GraphHyperNetwork(**TINY_GHN)
    graphs = [G.random_network(5, np.random.default_rng(i), **NETWORK) for i in range(3)]
    rankings = ranking.structural_rankings(graphs)
    assert rankings["parameter count"] == [sum(np.size(v) for v in ghn.predict_parameters(g).values()) for g in graphs]
    assert rankings["fewer live pooling nodes"] == [-G.cell_structure(g.cell)["live_pooling"] for g in graphs]


def test_partial_correlation_equals_the_closed_form_for_one_covariate():
    rng = np.random.default_rng(2)
    z = rng.normal(size=200)
    x, y = z + rng.normal(size=200), 0.5 * z + rng.normal(size=200)
    r = np.corrcoef([x, y, z])
    expected = (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    np.testing.assert_allclose(ranking.partial_correlation(x, y, z[:, None]), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="degrees of freedom"):
        ranking.partial_correlation(x[:4], y[:4], rng.normal(size=(4, 3)))


def test_difference_interval_excludes_zero_only_for_a_real_difference():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=100)
    good = truth + 0.5 * rng.normal(size=100)
    poor = truth + 2.0 * rng.normal(size=100)
    low, high = ranking.pearson_difference_interval(truth, good, poor, resamples=1000)
    assert 0 < low < high
    twin = truth + 0.5 * rng.normal(size=100)
    low, high = ranking.pearson_difference_interval(truth, good, twin, resamples=1000)
    assert low < 0 < high


def test_structural_counts_are_the_cells_counts():
    graphs = [G.random_network(6, np.random.default_rng(i), **NETWORK) for i in range(3)]
    counts = ranking.structural_counts(graphs, ("live_pooling", "depth"))
    assert counts.shape == (3, 2)
    assert counts[:, 0].tolist() == [G.cell_structure(g.cell)["live_pooling"] for g in graphs]
    with pytest.raises(ValueError, match="names must be among"):
        ranking.structural_counts(graphs, ("flops",))


def test_judge_reports_every_column_of_the_levers_table():
    rng = np.random.default_rng(4)
    structure = rng.integers(0, 4, size=(60, 2)).astype(float)
    truth = structure @ [1.0, -0.5] + rng.normal(size=60)
    predicted = truth + rng.normal(size=60)
    row = ranking.judge(truth, predicted, structure, resamples=500)
    assert row["interval"][0] < row["pearson"] < row["interval"][1]
    assert row["pearson"] == pytest.approx(np.corrcoef(truth, predicted)[0, 1])
    assert row["partial"] == pytest.approx(ranking.partial_correlation(truth, predicted, structure))
    assert -1 <= row["spearman"] <= 1
