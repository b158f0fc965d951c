"""The short-horizon experiments on tiny problems: the NQM schedules, offline and online meta-optimisation with a
tiny float64 model, their tables, settings and figures."""
import numpy as np
import pytest

from tests.metaopt.test_hypergrad import tiny_trainer
from zoo.metaopt import experiments, hypergrad, plots


def separable_data(count, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((count, 4))
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)


@pytest.fixture
def config(tmp_path):
    return experiments.Config(nqm_dim=10, nqm_horizon=20, nqm_meta_steps=3, horizons=(3,), meta_steps=(2,),
                              meta_batch_size=50, full_run_steps=4, grid_lrs=(0.01, 0.1), grid_decays=(1.0,),
                              online_steps=12, batch_size=8, output=str(tmp_path / "pieces"))


def test_nqm_schedules_table_note_and_figure(config, tmp_path):
    curves = experiments.nqm_curves(config, verbose=False)
    assert [len(lrs) for lrs, _ in curves.values()] == [20] * 3
    table = experiments.nqm_table(curves, 20)
    assert table.header[1:] == ["α at t = 3", "α at t = 11", "α at t = 19", "α at t = 20", "excess loss at T = 20"]
    assert experiments.nqm_note(config, curves).startswith("Noisy quadratic model: d = 10,")
    figure = plots.nqm(curves, tmp_path / "nqm.png")
    assert [a.get_title() for a in figure.axes] == ["Schedules", "Expected loss"]
    assert len(figure.axes[0].get_legend().get_texts()) == 3 and (tmp_path / "nqm.png").exists()


def test_offline_grid_and_meta_optimisation_are_cached_and_tabled(config, tmp_path):
    train, test = separable_data(200, 0), separable_data(60, 1)
    trainer = tiny_trainer(hypergrad.InverseTimeDecay(experiments.DECAY_STEPS, experiments.MOMENTUM))
    grid, meta = experiments.offline(trainer, train, test, config)
    assert set(grid) == {(0.01, 1.0), (0.1, 1.0)} and list(meta) == [3]
    assert len(meta[3]["path"]) == 3 and 0 <= meta[3]["full_run"]["test_accuracy"] <= 1
    assert (tmp_path / "pieces/grid/T4_lr0.01_decay1.0.json").exists()
    assert experiments.offline(trainer, train, test, config)[1][3]["seconds"] == meta[3]["seconds"]  # reused
    table = experiments.offline_table(grid, meta, config)
    assert [row[0] for row in table.rows] == ["grid search, full run (4 steps)", "meta-optimised, horizon 3"]
    assert experiments.mean_lr(0.1, 0.0, 10) == pytest.approx(0.1)
    figure = plots.offline(grid, meta, config.full_run_steps, tmp_path / "offline.png")
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["grid-search best",
                                                                               "meta-optimised, T = 3"]


def test_online_against_the_hand_tuned_schedule(config, tmp_path):
    train, test = separable_data(200, 0), separable_data(60, 1)
    runs = experiments.online(tiny_trainer(hypergrad.EffectiveLearningRate()), train, test, config)
    assert list(runs) == [experiments.ONLINE_NAME, experiments.HAND_TUNED_NAME]
    assert all(len(run["losses"]) == 12 for run in runs.values()) and len(runs[experiments.ONLINE_NAME]["lrs"]) >= 1
    assert [row[0] for row in experiments.online_table(runs).rows] == list(runs)
    assert "It ends the meta phase at lr" in experiments.online_note(config, runs)
    figure = plots.online(runs, config.online_steps, config.online_initial_lr, tmp_path / "online.png")
    assert [a.get_title() for a in figure.axes] == ["Training loss", "Learning rate"]
    assert (tmp_path / "online.png").exists()
