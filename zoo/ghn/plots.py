"""GHN figures, drawn from recorded numbers: each ranking's Pearson R against its cost (``tools/ghn/levers.py``,
result ``ghn_levers``), the paper's Table 4 as a picture."""
import numpy as np

from zoo import benchmark

TARGET_R = 0.68
"""The paper's GHN correlation (Table 4), the levers' target."""
TARGET_COST_RATIO = 100
"""The levers' target cost: at least this many times cheaper than 1,000 SGD steps."""
MARKERS = {"sum": "o", "cell-output BN": "s"}


def levers(points, path):
    """Pearson R (95% interval) of each ranking against the ground truth's seed mean, over its cost ratio to 1,000
    SGD steps (log scale), one marker per network family; GHN rankings filled, SGD runs open, the target corner
    shaded.

    Args:
        points: the ``points`` of the recorded result ``ghn_levers``: dicts with ``ranking``, ``short`` (its name in
            the figure), ``network`` (a key of :data:`MARKERS`), ``r``, ``interval`` (low, high), ``cost`` (ratio;
            None for rankings with no cost, which are left out) and ``ghn`` (whether a GHN ranks).
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    costs = [p["cost"] for p in points if p["cost"]]
    axes.fill_between([TARGET_COST_RATIO, max(costs) * 2], TARGET_R, 1.0, color="tab:green", alpha=0.12,
                      label=f"target: R ≥ {TARGET_R}, ≥ {TARGET_COST_RATIO}× cheaper")
    for network, marker in MARKERS.items():
        for ghn in (True, False):
            chosen = [p for p in points if p["network"] == network and p["ghn"] == ghn and p["cost"]]
            if not chosen:
                continue
            r = np.array([p["r"] for p in chosen])
            low, high = np.array([p["interval"] for p in chosen]).T
            colour = "tab:blue" if network == "sum" else "tab:red"
            axes.errorbar([p["cost"] for p in chosen], r, yerr=[r - low, high - r], fmt=marker, capsize=3,
                          color=colour, markerfacecolor=colour if ghn else "white",
                          label=f"{'GHN' if ghn else 'SGD k steps'}, {network} networks")
            for p, value in zip(chosen, r):
                axes.annotate(p["short"], (p["cost"], value), textcoords="offset points", xytext=(5, -3), fontsize=7)
    axes.set_xscale("log")
    axes.set_xlim(0.5, max(costs) * 2)
    axes.set_ylim(min(0.0, *(p["interval"][0] for p in points)) - 0.05, 1.0)
    axes.set_xlabel("cost ratio: seconds of 1,000 SGD steps / seconds of the ranking, per architecture")
    axes.set_ylabel("Pearson R against the ground truth (seed mean)")
    axes.set_title("Ranking 100 unseen 17-node cells: correlation against cost")
    axes.legend(fontsize=7, loc="lower left")
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure
