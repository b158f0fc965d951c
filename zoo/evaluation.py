"""Classification accuracy of a model on raw stored images, with the model's preprocessing."""
import time

import numpy as np

from zoo import registry
from zoo.data import preprocessing, samples
from zoo.training import datasets


def predict_logits(model, images, record, batch_size=500):
    """Logits of ``model`` on raw ``images`` preprocessed as ``record`` says, in inference mode."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = preprocessing.preprocess(images[start:start + batch_size], record)
        outputs.append(np.asarray(model(x, training=False)))
    return np.concatenate(outputs) if outputs else np.zeros((0, model.output_shape[-1]), np.float32)


def accuracy(model, images, labels, record, batch_size=500):
    """Top-1 accuracy (in [0, 1]) of ``model`` on raw ``images`` with integer ``labels``."""
    if len(images) == 0:
        raise ValueError("images is empty")
    logits = predict_logits(model, images, record, batch_size)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(labels)))


def is_sample_classifier(spec):
    """Whether weight ``spec`` is a Fashion-MNIST classifier, which the embedded sample can evaluate."""
    return spec.dataset == "fashion_mnist" and "top1_accuracy" in spec.metrics


def evaluate_pretrained(name, full=False):
    """Accuracy of pretrained weight ``name`` now, beside what its manifest record says.

    Args:
        name: a weight name ``ARCH.TAG`` (or ``ARCH`` for its first weight).
        full: evaluate on the full test split instead of the embedded slice.

    Returns:
        dict with ``name``, ``split`` (what was evaluated), ``examples``, ``top1_accuracy`` (now),
        ``manifest_top1_accuracy`` (recorded for the same split) and ``load_seconds``.
    """
    spec = registry.get_weight_spec(name)
    started = time.perf_counter()
    model = registry.load(spec.name)
    load_seconds = time.perf_counter() - started
    if full:
        images, labels = datasets.load_classification_data(spec.dataset, "test")
        recorded = spec.metrics.get("top1_accuracy")
        split = "test"
    elif spec.dataset == "fashion_mnist":
        images, labels, _ = samples.load_sample()
        recorded = spec.metrics.get("sample_top1_accuracy")
        split = "embedded sample"
    else:
        raise ValueError(f"{spec.name} was trained on {spec.dataset!r}, which has no embedded sample: use full=True")
    return {"name": spec.name, "split": split, "examples": int(len(labels)),
            "top1_accuracy": accuracy(model, images, labels, spec.preprocessing),
            "manifest_top1_accuracy": recorded, "load_seconds": load_seconds}
