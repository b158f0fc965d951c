"""Training speed of registered classifiers: the compiled training step timed on one fixed batch, and the epoch
times the training runs behind the shipped weights measured."""
import keras
import numpy as np

from zoo import benchmark, registry


def step_seconds(name, batch_size, steps, repeats, input_shape=(32, 32, 1), num_classes=10):
    """Median seconds per compiled training step (SGD with momentum, ``train_on_batch`` on one fixed random batch)
    of the registered architecture ``name``: the median of ``repeats`` runs of ``steps`` steps after a warm-up."""
    model = registry.build(name, input_shape=input_shape, num_classes=num_classes)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, *input_shape)).astype("float32")
    y = rng.integers(0, num_classes, batch_size)

    def run():
        for _ in range(steps):
            model.train_on_batch(x, y)

    return benchmark.median_seconds(run, repeats=repeats, warmup=1) / steps


def measured_epochs(manifest):
    """Rows ``(weight, minutes per epoch, run)`` of the weights in ``manifest`` (``{name: WeightSpec}``) whose
    training record has its seconds and epochs."""
    rows = []
    for name, spec in sorted(manifest.items()):
        training = spec.training
        if training.get("seconds") and training.get("epochs"):
            rows.append((f"`{name}`", f"{training['seconds'] / training['epochs'] / 60:.1f}",
                         f"{training['epochs']} epochs of {training['steps'] // training['epochs']} steps, batch "
                         f"{training['batch_size']}, {training.get('machine', '?')}"))
    return rows
