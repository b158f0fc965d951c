"""Short-horizon-bias figures (``tools/metaopt/short_horizon.py``): schedules and losses on the noisy quadratic model,
offline meta-optimisation paths over the full-run loss surface, and online meta-optimisation against a hand-tuned
schedule."""
import numpy as np

from zoo import benchmark
from zoo.metaopt.experiments import HAND_TUNED_FINAL_LR, HAND_TUNED_NAME, ONLINE_NAME


def nqm(curves, path):
    """Schedules (left) and expected excess losses (right) of :func:`zoo.metaopt.experiments.nqm_curves`; returns
    the figure (already written to ``path`` and closed)."""
    plt = benchmark.pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, (lrs, losses) in curves.items():
        left.plot(np.arange(1, len(lrs) + 1), lrs, label=name)
        right.plot(np.arange(len(losses)), losses, label=name)
    left.set(xlabel="step t", ylabel="(effective) learning rate", yscale="log", title="Schedules")
    right.set(xlabel="step t", ylabel="expected excess loss", yscale="log", title="Expected loss")
    left.legend(fontsize=8)
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure


def offline(grid, meta, full_run_steps, path, clip=3.0):
    """The full-run training loss over the (α₀, β) grid (log colour scale, clipped at ``clip``), its best point and
    each horizon's meta-optimisation path (:func:`zoo.metaopt.experiments.offline`); returns the figure."""
    plt = benchmark.pyplot()
    lrs, decays = sorted({k[0] for k in grid}), sorted({k[1] for k in grid})
    surface = np.array([[min(grid[(lr, d)]["train_loss"], clip) for lr in lrs] for d in decays])
    figure, axes = plt.subplots(figsize=(7, 4.5))
    mesh = axes.pcolormesh(np.log10(lrs), np.log10(decays), surface, shading="nearest", cmap="viridis",
                           norm="log")  # log scale: diverged runs would swamp the rest
    figure.colorbar(mesh, label=f"full-run training loss ({full_run_steps:,} steps, clipped at {clip:g})")
    best_lr, best_decay = min(grid, key=lambda key: grid[key]["train_loss"])
    axes.plot(np.log10(best_lr), np.log10(best_decay), "r*", markersize=14, label="grid-search best")
    for horizon, result in meta.items():
        points = np.log10(np.array(result["path"]))
        axes.plot(points[:, 0], points[:, 1], marker=".", markersize=3, label=f"meta-optimised, T = {horizon}")
    axes.set(xlabel="log10 α₀", ylabel="log10 β", title="Offline meta-optimisation paths over the full-run loss")
    axes.legend(fontsize=8)
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure


def online(runs, steps, initial_lr, path, window=100, update_every=100):
    """Training losses smoothed over ``window`` steps (left) and learning rates (right) of
    :func:`zoo.metaopt.experiments.online`'s runs; returns the figure."""
    plt = benchmark.pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    window = min(window, *(len(run["losses"]) for run in runs.values()))
    for name, run in runs.items():
        smoothed = np.convolve(run["losses"], np.ones(window) / window, mode="valid")
        left.plot(np.arange(window, len(run["losses"]) + 1), smoothed, label=name)
    lrs = runs[ONLINE_NAME]["lrs"]
    updates = [0] + [update_every * i for i in range(len(lrs) - 1)]  # the start, then after each meta phase
    right.step(updates + [steps], lrs + lrs[-1:], where="post", label=ONLINE_NAME)
    right.step([0, steps // 2, steps], [initial_lr, HAND_TUNED_FINAL_LR, HAND_TUNED_FINAL_LR], where="post",
               label=HAND_TUNED_NAME)
    left.set(xlabel="step", ylabel=f"training loss (mean of {window} batches)", yscale="log", title="Training loss")
    right.set(xlabel="step", ylabel="learning rate", yscale="log", title="Learning rate")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure
