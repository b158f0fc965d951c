"""Train a registered classifier on an image data set, streamed, and write weights plus a manifest-ready record."""
import dataclasses
import json
import os
import pathlib
import sys

import keras
import numpy as np

from zoo import registry
from zoo.data import datasets, preprocessing
from zoo.training import distributed, records, schedules, steps, strategies


@dataclasses.dataclass
class TrainConfig:
    """What to train and how.

    Attributes:
        model: registered architecture name, e.g. ``"resnet-32"``.
        dataset: a name of :data:`zoo.data.datasets.DATASETS` or any tfds image-classification name (its
            training and evaluation transforms and preprocessing record come with it).
        tag: weight tag; the weight is named ``MODEL.TAG`` (default: the data set name).
        epochs: passes over the training split.
        batch_size: global batch size.
        lr: initial learning rate (SGD with momentum).
        momentum: SGD momentum.
        lr_schedule: one of :data:`zoo.training.schedules.SCHEDULES`.
        lr_boundaries: the optimiser steps at which a ``"piecewise"`` schedule divides the rate by 10 (empty: at
            50% and 75% of the run).
        strategy: one of :data:`zoo.training.strategies.STRATEGIES`.
        num_cpu_devices: logical CPU devices for the mirrored strategy without GPUs.
        output: directory for weights, record, checkpoints and TensorBoard logs.
        model_overrides: extra builder keyword arguments (e.g. smaller ``units`` for a quick run).
        train_subset: use only the first N training examples (0 = all).
        test_subset: evaluate on only the first N test examples (0 = the full test split).
        steps_per_epoch: cap on steps per epoch (0 = a full pass).
        seed: seed of initialisation, shuffling and augmentation.
        transform: the training augmentation, a name of :data:`zoo.data.transforms.TRANSFORMS` (empty: the data
            set's own, e.g. pad 4 + random crop + flip for CIFAR).
        download: let tfds download data sets that are not present.
        data_dir: tfds data directory (None: tfds's default).
        command: the command line recorded in the weight record.
        checkpoint_every: optimiser steps between checkpoints (in ``OUTPUT/checkpoints``).
        verbose: 1 shows a progress bar, 0 nothing.
    """

    model: str = "resnet-32"
    dataset: str = "fashion_mnist"
    tag: str = ""
    epochs: int = 10
    batch_size: int = 100
    lr: float = 0.1
    momentum: float = 0.9
    lr_schedule: str = "piecewise"
    lr_boundaries: tuple = ()
    strategy: str = "default"
    num_cpu_devices: int = 2
    output: str = "runs/train"
    model_overrides: dict = dataclasses.field(default_factory=dict)
    train_subset: int = 0
    test_subset: int = 0
    steps_per_epoch: int = 0
    seed: int = 0
    transform: str = ""
    download: bool = False
    data_dir: str | None = None
    command: str = ""
    checkpoint_every: int = 500
    verbose: int = 1

    def validate(self):
        """Raise ``ValueError`` naming the first invalid field."""
        registry.get_model_spec(self.model)
        for field in ("epochs", "batch_size", "checkpoint_every"):
            if getattr(self, field) <= 0:
                raise ValueError(f"{field} must be positive, got {getattr(self, field)}")
        for field in ("train_subset", "test_subset", "steps_per_epoch"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must be >= 0, got {getattr(self, field)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.lr_schedule not in schedules.SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(schedules.SCHEDULES)}, got {self.lr_schedule!r}")
        if self.strategy not in strategies.STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(strategies.STRATEGIES)}, got {self.strategy!r}")

    @property
    def weight_name(self):
        """``MODEL.TAG``."""
        return f"{self.model}.{self.tag or self.dataset}"


def train_classifier(config: TrainConfig) -> dict:
    """Train ``config.model`` on ``config.dataset``, evaluate on the test split, save weights and record.

    Every strategy trains through the shared loop (:class:`zoo.training.distributed.Loop`), which splits each
    global batch over the replicas; a killed run started again with the same configuration resumes from its last
    checkpoint. Writes ``OUTPUT/MODEL.TAG.weights.h5``, ``OUTPUT/MODEL.TAG.json`` (the record for
    ``pretrained/manifest.json``, without golden outputs, which ``tools/zoo/publish.py`` adds),
    ``OUTPUT/history.json`` (per-epoch means of this session's steps), TensorBoard scalars in ``OUTPUT/logs`` and
    checkpoints in ``OUTPUT/checkpoints``. Under ``multi_worker`` only the chief writes to ``OUTPUT``; worker ``i``
    writes its weights to ``OUTPUT/worker-i``.

    Returns:
        The weight record (a dict).
    """
    config.validate()
    strategy = strategies.make_strategy(config.strategy, config.num_cpu_devices)
    keras.utils.set_random_seed(config.seed)
    train_source = _subset(datasets.source(config.dataset, "train", config.data_dir, config.download),
                           config.train_subset)
    test_source = _subset(datasets.source(config.dataset, "test", config.data_dir, config.download), config.test_subset)
    record = datasets.preprocessing_record(config.dataset, train_source)
    num_classes = datasets.spec(config.dataset).num_classes or train_source.num_classes
    builder_kwargs = {"num_classes": int(num_classes), "input_shape": list(preprocessing.model_input_shape(record)),
                      **config.model_overrides}
    steps_per_epoch = -(-train_source.num_examples // config.batch_size)
    if config.steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.steps_per_epoch)
    output = _output_dir(config, strategy)
    output.mkdir(parents=True, exist_ok=True)

    with strategy.scope():
        model = registry.build(config.model, **builder_kwargs)
        optimizer = keras.optimizers.SGD(
            schedules.make_lr_schedule(config.lr_schedule, config.lr, steps_per_epoch * config.epochs,
                                       config.lr_boundaries),
            momentum=config.momentum)
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables, saved={"weights": model.weights},
                            checkpoint_dir=pathlib.Path(config.output) / "checkpoints",
                            checkpoint_every=config.checkpoint_every, summary_dir=output / "logs")
    train_ds = datasets.make_dataset(config.dataset, "train", config.batch_size, True, config.seed,
                                     loop.input_context(), source_override=train_source,
                                     transform=config.transform or None, record=record)
    steps_history = loop.run(steps.classification_step(model, config.batch_size), train_ds,
                             steps_per_epoch * config.epochs, verbose=config.verbose)

    test_accuracy = accuracy(model, datasets.make_dataset(config.dataset, "test", 500, training=False,
                                                          source_override=test_source, record=record))
    weight_record = records.write_weight_record(
        model, output, config.weight_name, architecture=config.model, builder_kwargs=builder_kwargs,
        dataset=config.dataset, split={"train": f"train[:{train_source.num_examples}]",
                                       "test": f"test[:{test_source.num_examples}]"},
        preprocessing=record,
        metrics={"top1_accuracy": round(test_accuracy, 6), "test_examples": int(test_source.num_examples)},
        command=config.command or " ".join([os.path.basename(sys.executable), *sys.argv]),
        training={"epochs": config.epochs, "batch_size": config.batch_size, "lr": config.lr,
                  "momentum": config.momentum, "lr_schedule": config.lr_schedule,
                  **({"lr_boundaries": list(config.lr_boundaries)} if config.lr_boundaries else {}),
                  "strategy": config.strategy,
                  "replicas": strategy.num_replicas_in_sync, "seed": config.seed,
                  "steps": steps_per_epoch * config.epochs, "seconds": round(float(loop.seconds.numpy()), 1)})
    (output / "history.json").write_text(json.dumps(per_epoch(steps_history, steps_per_epoch), indent=2))
    return weight_record


def accuracy(model, dataset):
    """Top-1 accuracy (in [0, 1]) of ``model`` in inference mode over the ``(inputs, labels)`` batches of
    ``dataset`` (one pass)."""
    correct = total = 0
    for inputs, labels in dataset:
        predicted = np.argmax(np.asarray(model(inputs, training=False)), axis=-1)
        correct += int(np.sum(predicted == labels.numpy()))
        total += len(predicted)
    if not total:
        raise ValueError("the evaluation split is empty")
    return correct / total


def per_epoch(steps_history, steps_per_epoch):
    """``{metric: [mean over each epoch's steps]}`` of a loop's per-step history (:meth:`Loop.run`'s return)."""
    epochs = {}
    for entry in steps_history:
        epochs.setdefault((entry["step"] - 1) // steps_per_epoch, []).append(entry)
    names = [name for name in (steps_history[0] if steps_history else {}) if name != "step"]
    return {name: [sum(e[name] for e in entries) / len(entries) for entries in epochs.values()] for name in names}


def _subset(source, count):
    """The first ``count`` examples of ``source`` (all of them for 0)."""
    return source.select(source.indices()[:count]) if count else source


def _output_dir(config, strategy):
    output = pathlib.Path(config.output)
    worker = distributed.worker_index(strategy)
    return output / f"worker-{worker}" if worker else output
