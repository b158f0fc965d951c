"""The input pipeline: every training and evaluation stream of the zoo's image classifiers, as ``tf.data``.

One pipeline for every :class:`~zoo.data.sources.Source` — a tfds data set by name or arrays in memory::

    source (files in a seeded order, or a permutation of the arrays; this input pipeline's share)
      → example shuffle buffer, repeat (training)          → per example: decode, pad, transform, normalise
      → batch → prefetch

Per-example work runs in parallel (``AUTOTUNE``) and in order, and each example's augmentation is seeded by the
stream's seed and the example's position in the stream (stateless random ops), so the stream is a function of the
seed: building it again with the same arguments gives the same batches (the example shuffle buffer also follows
TensorFlow's global seed, which ``keras.utils.set_random_seed`` sets; an array source's stream is exactly replayed
by every new iterator). Images of any size stream (the transform makes them one size before batching) and nothing
is cached: memory stays flat however large the data set.
"""
import tensorflow as tf

from zoo.data import preprocessing, transforms


def make_dataset(source, batch_size, training, transform="none", record=None, seed=0, input_context=None,
                 drop_remainder=None, with_index=False):
    """A batched ``tf.data.Dataset`` of ``(model_inputs float32 (B, h, w, C), labels int32 (B,))``.

    Args:
        source: a :class:`zoo.data.sources.Source`.
        batch_size: the global batch size; with ``input_context`` each input pipeline batches its replicas' share
            (``input_context.get_per_replica_batch_size``).
        training: an endless stream, shuffled anew every epoch and augmented; else one pass in stored order.
        transform: a name of :data:`zoo.data.transforms.TRANSFORMS` or a :class:`~zoo.data.transforms.Transform`
            (seeded per example when ``training``).
        record: the preprocessing record (:mod:`zoo.data.preprocessing`): ``pad_to`` (raw images zero-padded to it
            before the transform), ``scale``, ``mean`` and ``std`` (applied after it); ``None`` scales to [0, 1].
        seed: seed of the shuffles and of the augmentation.
        input_context: a ``tf.distribute.InputContext`` (``strategy.distribute_datasets_from_function``): this
            input pipeline reads only its share of the source and seeds its augmentation apart.
        drop_remainder: drop the last partial batch (default: when ``training``; an endless stream has none).
        with_index: batches are ``(inputs, labels, indices int64 (B,))`` with the examples' split positions.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    transform = transforms.get(transform)
    record = record or {"scale": 1.0 / 255.0, "mean": [0.0], "std": [1.0]}
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
    pipeline_id = 0 if input_context is None else input_context.input_pipeline_id
    if training:
        ds = source.examples(seed, input_context, repeat=True, index=with_index).enumerate()
    else:
        ds = source.examples(input_context=input_context, index=with_index)
        ds = ds.map(lambda ex: (tf.constant(0, tf.int64), ex))
    channels = source.image_shape[-1]
    pad_to = record.get("pad_to")
    stream_seed = tf.constant([seed, pipeline_id], tf.int64)

    def prepare(position, example):
        example_seed = tf.stack([stream_seed[0] * 1_000_003 + stream_seed[1], position])
        image = example["image"]
        if source.encoded and not pad_to:
            image = transform.decode(image, example_seed, channels)
        else:
            image = source.decode(image)
            if pad_to:
                image = preprocessing.pad_raw(image[tf.newaxis], pad_to)[0]
            image = transform(image, example_seed)
        image = preprocessing.normalise(image, record)
        outputs = (image, example["label"])
        return outputs + (example["index"],) if with_index else outputs

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=training if drop_remainder is None else drop_remainder,
                  num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)

