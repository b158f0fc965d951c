"""COCO-QA from MS-COCO (Ren, Kiros & Zemel 2015, §4): the question generator (:mod:`zoo.imageqa.qgen`) run on every
caption of tfds ``coco_captions``, COCO-QA's answer pruning, and image features from a Keras application network.

The paper's splits: questions of COCO's 2014 training images train, those of its 2014 validation images test — in
tfds ``coco_captions`` (Karpathy's splits of COCO 2014) the training split and the union ``val+test+restval``. The
test questions keep only answers seen in training, as :func:`zoo.imageqa.data.make_test_split` does. Images are
read twice without being held in memory: once for their captions (pixels skipped), once through the network for
one feature vector each (:func:`image_features`; the paper: VGG-19's last hidden layer, 4,096 values, frozen).

The result has the layout of :func:`zoo.imageqa.data.build` without the images: a split's ``scene`` is the row of
its image in that split's feature array, and ``images[split]`` the images' positions in the tfds split.
"""
import dataclasses

import numpy as np
import tensorflow as tf

from zoo import extras
from zoo.data.sources import TfdsSource
from zoo.imageqa import data

DATASET = "coco_captions"

SPLITS = {"train": "train", "test": "val+test+restval"}
"""tfds split of each COCO-QA split: COCO 2014 train, and COCO 2014 val (Karpathy's val, test and restval)."""

MAX_LEN = 32
"""Words kept of a question (COCO-QA's generated questions are shorter)."""

NETWORKS = {"VGG19": ("vgg19", "fc2"), "ResNet50": ("resnet", None), "MobileNetV2": ("mobilenet_v2", None)}
"""Feature networks of ``keras.applications``: the module of each one's ``preprocess_input`` and the layer whose
output is the feature (None: the global average of the last convolutional maps). VGG19's ``fc2`` is the paper's."""


@dataclasses.dataclass(frozen=True)
class CaptionedImage:
    """An image's position in its tfds split and its captions."""

    index: int
    captions: tuple


def captioned_images(split, data_dir=None, download=False):
    """Every image of COCO-QA split ``split`` (:data:`SPLITS`) with its captions, in split order (pixels not read)."""
    tfds = extras.require("tensorflow_datasets", "tfds", "COCO-QA from tfds coco_captions")

    source = _source(split, data_dir, download)
    ds = source.read(decoders={"image": tfds.decode.SkipDecoding()})
    ds = ds.map(lambda ex: (source.example_index(ex["tfds_id"]), ex["captions"]["text"]))
    images = [CaptionedImage(int(i), tuple(t.decode() for t in texts)) for i, texts in ds.as_numpy_iterator()]
    return sorted(images, key=lambda image: image.index)


def build(generator=None, max_len=MAX_LEN, data_dir=None, download=False, progress=None, **pruning):
    """COCO-QA: ``(dataset, vocabulary, texts, images)``.

    ``dataset[split]`` holds ``scene`` (row of the question's image in ``images[split]``), ``questions``,
    ``answers`` and ``types`` (:func:`zoo.imageqa.data.question_arrays`); ``vocabulary`` is built from the
    training questions; ``texts[split]`` are the question strings; ``images[split]`` the tfds split positions of
    the images that have questions (pass them to :func:`image_features`). Both splits are pruned with
    :data:`zoo.imageqa.data.PRUNING` or ``pruning``; ``generator`` defaults to the COCO-QA question generator and
    ``progress`` is an optional bar updated once per image.
    """
    generator = generator or data.question_generator()
    pruning = {**data.PRUNING, **pruning}
    dataset, texts, images, vocabulary = {}, {}, {}, None
    for split in ("train", "test"):
        captioned = captioned_images(split, data_dir, download)
        pairs = data.prune(data.scene_questions(captioned, generator, progress), **pruning,
                           answers=None if vocabulary is None else vocabulary.answers)
        if vocabulary is None:
            vocabulary = data.Vocabulary.from_questions([q for _, q in pairs])
        used = sorted({i for i, _ in pairs})
        row = {position: r for r, position in enumerate(used)}
        pairs = [(row[i], q) for i, q in pairs]
        dataset[split] = data.question_arrays(pairs, vocabulary, max_len)
        texts[split] = [q.question for _, q in pairs]
        images[split] = np.array([captioned[i].index for i in used], np.int64)
    return dataset, vocabulary, texts, images


def feature_network(network="VGG19", weights="imagenet", size=224):
    """``(model, preprocess_input)``: the ``keras.applications`` network ``network`` (:data:`NETWORKS`) cut at its
    feature layer, for ``size`` × ``size`` RGB inputs; ``weights`` as Keras takes them (tests: None)."""
    import keras

    if network not in NETWORKS:
        raise ValueError(f"network must be one of {', '.join(NETWORKS)}, got {network!r}")
    module, layer = NETWORKS[network]
    build = getattr(keras.applications, network)
    if layer:
        base = build(weights=weights, include_top=True, input_shape=(size, size, 3))
        model = keras.Model(base.input, base.get_layer(layer).output)
    else:
        model = build(weights=weights, include_top=False, pooling="avg", input_shape=(size, size, 3))
    return model, getattr(keras.applications, module).preprocess_input


def image_features(split, images, network="VGG19", weights="imagenet", size=224, batch_size=32, data_dir=None,
                   download=False):
    """Float32 features ``(len(images), D)`` of the images at positions ``images`` (ascending) of COCO-QA split
    ``split``: each image resized to ``size`` × ``size`` and run through :func:`feature_network`, streamed in
    batches of ``batch_size``."""
    images = np.asarray(images, np.int64)
    model, preprocess = feature_network(network, weights, size)
    source = _source(split, data_dir, download).select(images)

    def prepare(example):
        image = tf.image.resize(tf.io.decode_jpeg(example["image"], channels=3), (size, size))
        return preprocess(image), example["index"]

    ds = source.examples().map(prepare, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    features = None
    for batch, indices in ds.prefetch(tf.data.AUTOTUNE):
        values = np.asarray(model(batch, training=False), np.float32)
        if features is None:
            features = np.zeros((len(images), values.shape[-1]), np.float32)
        features[np.searchsorted(images, indices.numpy())] = values
    return features


def _source(split, data_dir, download):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    return TfdsSource(DATASET, SPLITS[split], data_dir=data_dir, download=download, label_key="image/id")
