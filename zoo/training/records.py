"""Manifest-ready weight records (the JSON ``tools/zoo/publish.py`` publishes)."""
import hashlib
import json
import os

import keras
import tensorflow as tf


def write_weight_record(model, output, weight_name, *, architecture, builder_kwargs, dataset, split, preprocessing,
                        metrics, command, training):
    """Save ``model``'s weights as ``OUTPUT/NAME.weights.h5`` and its record as ``OUTPUT/NAME.json``.

    Args:
        model: the trained Keras model.
        output: directory (a ``pathlib.Path``) that exists.
        weight_name: ``ARCH.TAG``.
        architecture, builder_kwargs: how to rebuild the model from the registry.
        dataset, split, preprocessing: what it was trained and evaluated on, and how inputs are prepared.
        metrics: measured on the full test split.
        command: the command line that reproduces the run.
        training: the recipe (epochs or steps, batch size, optimiser settings, seed, seconds, ...).

    Returns:
        The record (a dict).
    """
    weights_path = output / f"{weight_name}.weights.h5"
    model.save_weights(weights_path)
    record = {
        "architecture": architecture,
        "file": weights_path.name,
        "sha256": hashlib.sha256(weights_path.read_bytes()).hexdigest(),
        "size_bytes": weights_path.stat().st_size,
        "builder_kwargs": builder_kwargs,
        "dataset": dataset,
        "split": split,
        "preprocessing": preprocessing,
        "metrics": metrics,
        "command": command,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "license": "MIT (weights trained on Fashion-MNIST, MIT)" if dataset == "fashion_mnist" else "",
        "training": {**training, "machine": f"{os.cpu_count()} CPU cores"},
    }
    (output / f"{weight_name}.json").write_text(json.dumps({weight_name: record}, indent=2))
    return record
