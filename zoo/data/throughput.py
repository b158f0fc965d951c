"""How fast the input pipeline delivers images: the pipeline reading a tfds data set's files, against tf.data's own
upper bound for the same per-example work — the same pipeline reading the same encoded images from memory
(:meth:`zoo.data.sources.Source.in_memory`), so the files' reading, parsing and interleaving is all that differs.
``tools/zoo/bench_pipeline.py`` runs it on synthetic CIFAR-sized and ImageNet-sized data sets (:data:`SETTINGS`)."""
import dataclasses
import statistics
import time

from zoo.data import pipeline, synthetic


@dataclasses.dataclass(frozen=True)
class Setting:
    """A benchmark data set and its training pipeline: ``num_examples`` synthetic images of ``image_size`` (fixed,
    or per-axis ranges) stored as ``encoding`` in ``num_shards`` files, batched by ``batch_size`` through
    ``transform``."""

    image_size: tuple
    encoding: str
    transform: str
    batch_size: int
    num_examples: int
    num_shards: int = 8


SETTINGS = {
    "cifar": Setting((32, 32), "png", "cifar", 128, 20_000),
    "imagenet": Setting(((300, 500), (300, 500)), "jpeg", "imagenet_train", 64, 2_000),
}
"""CIFAR-sized: 32×32 PNGs (as tfds stores CIFAR) with the ``cifar`` transform; ImageNet-sized: JPEGs of 300–500
pixels a side (ImageNet's are about 400×350) with the random-resized crop to 224×224."""


def images_per_second(dataset, batches, warmup=3):
    """Images per second of ``dataset`` (batches of ``(images, ...)``) over ``batches`` batches after ``warmup``."""
    iterator = iter(dataset)
    for _ in range(warmup):
        next(iterator)
    images, started = 0, time.perf_counter()
    for _ in range(batches):
        images += int(next(iterator)[0].shape[0])
    return images / (time.perf_counter() - started)


def compare(source, batch_size, transform, batches, repeats=3, warmup=3):
    """``{"files", "memory"}``: the median images per second of the training pipeline over ``source`` and over its
    examples held in memory, measured in alternation (``repeats`` rounds of ``batches`` batches each), and their
    ratio ``"fraction"`` (files / memory)."""
    memory_source = source.in_memory()
    rates = {"files": [], "memory": []}
    for _ in range(repeats):
        for name, each in (("files", source), ("memory", memory_source)):
            dataset = pipeline.make_dataset(each, batch_size, True, transform, seed=0)
            rates[name].append(images_per_second(dataset, batches, warmup))
    result = {name: statistics.median(values) for name, values in rates.items()}
    return {**result, "fraction": result["files"] / result["memory"]}


def run(setting, directory, batches, repeats=3, name=None):
    """Write ``setting``'s synthetic data set under ``directory`` and :func:`compare` its pipelines."""
    source = synthetic.write_images(directory, name or "zoo_pipeline_benchmark", setting.num_examples,
                                    setting.image_size, encoding=setting.encoding, num_shards=setting.num_shards)
    return compare(source, setting.batch_size, setting.transform, batches, repeats)
