"""``tf.data`` input pipelines for image classification, deterministic by seed."""
import tensorflow as tf

from zoo.data import preprocessing


def classification_dataset(images, labels, batch_size, training, record=preprocessing.FASHION_MNIST,
                           seed=0, crop_padding=4, flip=True, drop_remainder=False):
    """A batched dataset of ``(model_inputs, labels)``.

    Args:
        images: raw stored images, uint8 ``(N, H, W[, C])``.
        labels: int ``(N,)``.
        batch_size: global batch size.
        training: an endless stream, reshuffled every epoch and augmented (random crop after
            ``crop_padding`` zero pixels on each side, random horizontal flip) as the RevNet/ResNet CIFAR
            recipe does; else one pass in order, without augmentation.
        record: preprocessing record (:mod:`zoo.data.preprocessing`).
        seed: seed of the shuffle and of the augmentation.
        crop_padding: pixels of padding before the random crop.
        flip: random horizontal flips when training.
        drop_remainder: drop the last partial batch (evaluation only; training batches are always full).

    The training stream is a pure function of ``seed``: the order of epoch ``e`` is a stateless shuffle
    seeded by ``(seed, e)`` and the augmentation of the ``k``-th example by ``(seed + 1, k)``, so every
    iterator over it — on one device or distributed over replicas — sees the same batches.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    images = preprocessing.with_channel_axis(images, record)
    images = preprocessing.pad_raw(images, record.get("pad_to"))
    labels = tf.cast(labels, tf.int32)
    if training:
        ds = _augmented_stream(images, labels, seed, crop_padding, flip).batch(batch_size, drop_remainder=True)
    else:
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda x, y: (preprocessing.normalise(x, record), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _augmented_stream(images, labels, seed, crop_padding, flip):
    count = int(labels.shape[0])
    size = tuple(images.shape[1:])

    def epoch_order(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64),
                                                         seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order)

    def augment(position, index):
        example_seed = tf.stack([tf.constant(seed + 1, tf.int64), position])
        padded = tf.pad(tf.gather(images, index),
                        [[crop_padding, crop_padding], [crop_padding, crop_padding], [0, 0]])
        image = tf.image.stateless_random_crop(padded, size, seed=example_seed)
        if flip:
            image = tf.image.stateless_random_flip_left_right(image, seed=example_seed[::-1])
        return image, tf.gather(labels, index)

    return (tf.data.Dataset.counter().flat_map(epoch_order).enumerate()
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE))
