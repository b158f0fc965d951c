"""Training-step time of example reweighting relative to plain training, same model and batch."""
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import registry, reporting
from zoo.reweight.model import ExampleReweighting


def compiled_step(architecture, method, batch_size, clean_batch_size, input_shape, num_classes):
    """A compiled ``train_step`` of ``ExampleReweighting(method)`` on fixed random batches."""
    keras.utils.set_random_seed(0)
    model = registry.build(architecture, num_classes=num_classes, input_shape=input_shape)
    trainer = ExampleReweighting(model, method=method)
    trainer.compile(keras.optimizers.SGD(0.01, momentum=0.9))
    rng = np.random.default_rng(0)

    def batch(n):
        return (tf.constant(rng.standard_normal((n, *input_shape)).astype("float32")),
                tf.constant(rng.integers(0, num_classes, n)))

    x, y = batch(batch_size)
    data = (x, y, batch(clean_batch_size)) if method == "reweight" else (x, y)
    step = tf.function(trainer.train_step)
    return lambda: step(data)


def time_steps(architectures, batch_size=100, clean_batch_size=100, rounds=10, input_shape=(32, 32, 1),
               num_classes=10):
    """``{architecture: {"plain": s, "reweight": s}}``: median seconds per step over interleaved rounds."""
    steps = {(a, m): compiled_step(a, m, batch_size, clean_batch_size, input_shape, num_classes)
             for a in architectures for m in ("plain", "reweight")}
    for step in steps.values():  # trace and warm up
        step()
    times = {key: [] for key in steps}
    for _ in range(rounds):
        for key, step in steps.items():
            started = time.perf_counter()
            tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, step())
            times[key].append(time.perf_counter() - started)
    result = {}
    for (architecture, method), values in times.items():
        result.setdefault(architecture, {})[method] = statistics.median(values)
    return result


def step_time_table(seconds):
    """The :class:`zoo.reporting.Table` of :func:`time_steps`: ms per step of both methods and their ratio."""
    return reporting.Table(["Model", "plain ms/step", "reweight ms/step", "reweight / plain"],
                           [[name, f"{1000 * t['plain']:.0f}", f"{1000 * t['reweight']:.0f}",
                             f"{t['reweight'] / t['plain']:.2f}×"] for name, t in seconds.items()])
