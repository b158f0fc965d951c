"""Image-classification data sets by name: where each one's splits come from, its papers' augmentation and its
preprocessing record, and the input pipeline over it.

=================  =======================  ===============  =================  ================  ============
name               source                   splits           training           evaluation        used by
=================  =======================  ===============  =================  ================  ============
``fashion_mnist``  local IDX files          train / test     ``cifar`` (pad 2   ``none``          every family's
                   (:mod:`.fashion_mnist`)                   to 32 first)                         reduced scale
``mnist``          tfds ``mnist``           train / test     ``none``           ``none``          short-horizon
                                                                                                  bias, reweight
``cifar10``        tfds ``cifar10``         train / test     ``cifar``          ``none``          RevNet, DN,
``cifar100``       tfds ``cifar100``        train / test     ``cifar``          ``none``          reweight, GHN
``imagenet2012``   tfds ``imagenet2012``    train /          ``imagenet_train`` ``imagenet_eval`` RevNet-104
                   (manual download)        validation
=================  =======================  ===============  =================  ================  ============

Any other tfds image-classification name works too, without augmentation and with per-channel statistics measured
on (up to 10,000 examples of) its training split.
"""
import dataclasses

import numpy as np

from zoo.data import fashion_mnist, pipeline, preprocessing, sources


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A named data set: its tfds name (None: local files), split names, number of classes, the transforms of
    :mod:`zoo.data.transforms` for training and evaluation, and its preprocessing record (None: measured)."""

    tfds_name: str | None
    train_split: str = "train"
    test_split: str = "test"
    num_classes: int | None = None
    train_transform: str = "none"
    eval_transform: str = "none"
    record: dict | None = None


def _record(shape, mean, std, pad_to=None):
    return {"input_shape": list(shape), "input_dtype": "uint8", "pad_to": pad_to, "scale": 1.0 / 255.0,
            "mean": list(mean), "std": list(std)}


DATASETS = {
    "fashion_mnist": DatasetSpec(None, num_classes=10, train_transform="cifar", record=preprocessing.FASHION_MNIST),
    "mnist": DatasetSpec("mnist", num_classes=10, record=_record((28, 28, 1), [0.1307], [0.3081], pad_to=32)),
    "cifar10": DatasetSpec("cifar10", num_classes=10, train_transform="cifar",
                           record=_record((32, 32, 3), [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])),
    "cifar100": DatasetSpec("cifar100", num_classes=100, train_transform="cifar",
                            record=_record((32, 32, 3), [0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762])),
    "imagenet2012": DatasetSpec("imagenet2012", test_split="validation", num_classes=1000,
                                train_transform="imagenet_train", eval_transform="imagenet_eval",
                                record=_record((224, 224, 3), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])),
}
"""The named data sets (see the module docstring). Statistics are per channel in [0, 1] over the training split;
a 28×28 data set is padded to 32×32 for the CIFAR-style networks. ImageNet's record describes the 224×224 crops
the transforms make (its stored images vary in size)."""


def spec(name):
    """The :class:`DatasetSpec` of ``name``: a :data:`DATASETS` entry, else a tfds name with splits train/test, no
    augmentation and a measured record."""
    return DATASETS.get(name) or DatasetSpec(name)


def source(name, split, data_dir=None, download=False):
    """Split ``split`` (``"train"``, ``"test"``, or a tfds split string) of data set ``name`` as a
    :class:`~zoo.data.sources.Source`: Fashion-MNIST's arrays, else the tfds split streamed from its files."""
    if name == "fashion_mnist":
        images, labels = fashion_mnist.load_fashion_mnist(split, download=download)
        return sources.ArraySource(images, labels)
    dataset = spec(name)
    tfds_split = {"train": dataset.train_split, "test": dataset.test_split}.get(split, split)
    return sources.TfdsSource(dataset.tfds_name, tfds_split, data_dir=data_dir, download=download)


def make_dataset(name, split, batch_size, training, seed=0, input_context=None, data_dir=None, download=False,
                 source_override=None, transform=None, record=None, **kwargs):
    """The input pipeline (:func:`zoo.data.pipeline.make_dataset`) over split ``split`` of data set ``name``, with
    the data set's transform (training or evaluation) and record unless ``transform`` or ``record`` is given (a
    paper without augmentation: ``transform="none"``); ``source_override`` replaces the split's source (e.g. a
    :meth:`~zoo.data.sources.Source.hold_out` part of it). Other keyword arguments go to the pipeline."""
    dataset = spec(name)
    split_source = source_override or source(name, split, data_dir, download)
    if record is None:
        record = preprocessing_record(name, split_source if dataset.record is None else None)
    if transform is None:
        transform = dataset.train_transform if training else dataset.eval_transform
    return pipeline.make_dataset(split_source, batch_size, training, transform, record, seed, input_context,
                                 **kwargs)


def load_classification_data(name, split, download=False):
    """``(images uint8 (N, H, W, C), labels int64 (N,))`` of split ``split`` of data set ``name``, all in memory —
    for small fixed-size splits (a test split to evaluate on); stream anything larger with :func:`make_dataset`."""
    images, labels = source(name, split, download=download).arrays()
    if len(images) == 0:
        raise ValueError(f"data set {name!r} split {split!r} is empty")
    return images, labels


def preprocessing_record(name, train=None, max_examples=10_000):
    """The preprocessing record of data set ``name``: the :data:`DATASETS` one, else per-channel statistics of its
    training images — ``train``, uint8 arrays ``(N, H, W, C)`` or a :class:`~zoo.data.sources.Source` (its first
    ``max_examples`` examples, streamed) — with 28×28 inputs padded to 32×32."""
    if spec(name).record is not None:
        return dict(spec(name).record)
    if train is None:
        train = source(name, "train")
    if isinstance(train, sources.Source):
        mean, std, shape = _streamed_statistics(train, max_examples)
    else:
        scaled = np.asarray(train, np.float64) / 255.0
        mean, std, shape = scaled.mean(axis=(0, 1, 2)), scaled.std(axis=(0, 1, 2)), train.shape[1:]
    height, width, _ = shape
    return _record([int(d) for d in shape], [round(float(m), 4) for m in mean], [round(float(s), 4) for s in std],
                   pad_to=32 if (height, width) == (28, 28) else None)


def _streamed_statistics(source, max_examples):
    """Per-channel mean and standard deviation in [0, 1] of up to ``max_examples`` images of ``source`` (summed as
    they stream), and the images' shape (H, W None when they vary)."""
    import tensorflow as tf

    def moments(example):
        pixels = tf.reshape(tf.cast(source.decode(example["image"]), tf.float64) / 255.0,
                            [-1, source.image_shape[-1]])
        return tf.cast(tf.shape(pixels)[0], tf.float64), tf.reduce_sum(pixels, 0), tf.reduce_sum(pixels ** 2, 0)

    count, total, squares = 0.0, 0.0, 0.0
    for n, s, q in source.examples(index=False).take(max_examples).map(moments).as_numpy_iterator():
        count, total, squares = count + n, total + s, squares + q
    if not count:
        raise ValueError("the training split is empty")
    mean = total / count
    return mean, np.sqrt(np.maximum(squares / count - mean ** 2, 0.0)), source.image_shape
