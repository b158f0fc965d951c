"""Image-QA figures, drawn from recorded numbers: test accuracy per question type and model
(``tools/imageqa/eval.py``, result ``imageqa_scenes``)."""
import numpy as np

from zoo import benchmark
from zoo.imageqa import qgen


def accuracy_per_type(accuracy, path):
    """Grouped bars of each model's accuracy per question type and overall.

    Args:
        accuracy: :func:`zoo.imageqa.results.accuracy_data`, or the ``data["accuracy"]`` of the recorded result
            ``imageqa_scenes``: ``{model: {question type: accuracy, ..., "overall": accuracy}}``.
        path: the PNG to write.

    Returns:
        The matplotlib figure (already written and closed).
    """
    plt = benchmark.pyplot()
    types = [t for t in qgen.QUESTION_TYPES if any(t in a for a in accuracy.values())] + ["overall"]
    figure, axes = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(accuracy)
    for k, (label, values) in enumerate(accuracy.items()):
        axes.bar(np.arange(len(types)) + k * width, [values.get(t, 0.0) for t in types], width, label=label)
    axes.set_xticks(np.arange(len(types)) + 0.4 - width / 2, types)
    axes.set_ylabel("test accuracy")
    axes.set_ylim(0, 1)
    axes.legend(ncol=4, fontsize=8)
    axes.set_title("Image QA on Fashion-MNIST scenes: accuracy per question type")
    figure.tight_layout()
    benchmark.save_figure(figure, path, dpi=110)
    return figure
