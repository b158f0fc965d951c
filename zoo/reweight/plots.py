"""Learning-to-reweight figures, drawn from recorded numbers: test error against class imbalance
(``tools/reweight/experiments.py``, result ``reweight_imbalance``)."""
import numpy as np

from zoo import benchmark
from zoo.reweight.sweep import LABELS


def imbalance(errors, path):
    """Test error (mean ± std over seeds) against the dominant-class fraction, one curve per method that has a
    value at every ratio.

    Args:
        errors: :func:`zoo.reweight.sweep.imbalance_errors`, or the ``data`` of the recorded result
            ``reweight_imbalance``: ``{"ratios": [...], "error": {method: {"mean": [...], "std": [...]}}}``.
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    for method, error in errors["error"].items():
        if None in error["mean"]:
            continue
        axes.errorbar(errors["ratios"], 100 * np.asarray(error["mean"]), yerr=100 * np.asarray(error["std"]),
                      marker="o", capsize=3, label=LABELS[method].strip("*"))
    axes.set_xlabel("fraction of the dominant class (coat)")
    axes.set_ylabel("test error % (balanced pullover / coat)")
    axes.set_title("Class imbalance, 10 clean images")
    axes.legend(fontsize=8)
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure
