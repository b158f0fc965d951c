"""RevNet figures, drawn from recorded numbers: peak training-step memory against depth, with and without
reconstruction (``tools/revnet/bench.py``, result ``revnet_memory``)."""
from zoo import benchmark


def memory_vs_depth(series, path):
    """Plot peak memory against units per stage, one curve per entry of ``series["peak_mb"]``, to ``path`` (PNG).

    Args:
        series: :func:`zoo.revnet.benchmark.memory_series`, or the ``data`` of the recorded result
            ``revnet_memory``: ``{"units_per_stage": [n, ...], "peak_mb": {curve name: [MiB per n]}}``.
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    units = series["units_per_stage"]
    figure, axes = plt.subplots(figsize=(5.5, 3.8))
    for (name, peaks), style in zip(series["peak_mb"].items(), ("o-", "s--", "^:", "d-.")):
        axes.plot(units, peaks, style, label=name)
    axes.set_xticks(units, [str(n) for n in units])
    axes.set_ylim(bottom=0)
    axes.set_xlabel("reversible units per stage (3 stages)")
    axes.set_ylabel("peak memory of a training step (MiB)")
    axes.set_title("Training-step memory vs depth")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    benchmark.save_figure(figure, path)
    return figure
