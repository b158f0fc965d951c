"""Divisive-normalization figures, drawn from recorded numbers: the Table 3 comparison (``tools/divnorm/table3.py``,
result ``divnorm_table3``)."""
import numpy as np

from zoo import benchmark


def table3(summary, path):
    """Two panels of horizontal bars from zero, one row per variant: our Fashion-MNIST test accuracy (mean ± std
    over seeds) and the paper's CIFAR-10 accuracy, each panel on its own axis, values written at the bar ends.

    Args:
        summary: :func:`zoo.divnorm.table3.summarize`, or ``data["variants"]`` of the recorded result
            ``divnorm_table3``: ``{variant: {"label", "mean", "std", "paper_cifar10"}}`` (fractions).
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    labels = [s["label"] for s in summary.values()]
    rows = np.arange(len(labels))
    figure, (ours, paper) = plt.subplots(1, 2, figsize=(10, 0.45 * len(labels) + 1.6), sharey=True)
    panels = ((ours, [100 * s["mean"] for s in summary.values()], [100 * s["std"] for s in summary.values()],
               "tab:blue", "Fashion-MNIST (ours, mean ± std over seeds)"),
              (paper, [100 * s["paper_cifar10"] for s in summary.values()], None, "tab:red", "CIFAR-10 (paper)"))
    for axis, values, errors, colour, title in panels:
        axis.barh(rows, values, xerr=errors, capsize=3, color=colour, alpha=0.8)
        for row, value, error in zip(rows, values, errors or [0] * len(values)):
            axis.text(value + error + 1.5, row, f"{value:.2f}", va="center", fontsize=8)
        axis.set(xlim=(0, 100), xlabel="test top-1 %", title=title)
        axis.grid(axis="x", alpha=0.3)
    ours.set_yticks(rows, labels)
    ours.invert_yaxis()
    figure.suptitle("CIFAR-quick with each normaliser (paper Table 3)")
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure
