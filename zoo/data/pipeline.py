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
        training: shuffle every epoch and augment (random crop after ``crop_padding`` zero pixels on each
            side, random horizontal flip), as the RevNet/ResNet CIFAR recipe does.
        record: preprocessing record (:mod:`zoo.data.preprocessing`).
        seed: seed of the shuffle and of the augmentation; the same seed gives the same batches.
        crop_padding: pixels of padding before the random crop.
        flip: random horizontal flips when training.
        drop_remainder: drop the last partial batch (needed by some distribution strategies).
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    images = preprocessing.with_channel_axis(images, record)
    images = preprocessing.pad_raw(images, record.get("pad_to"))
    ds = tf.data.Dataset.from_tensor_slices((images, tf.cast(labels, tf.int32)))
    if training:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.random(seed=seed + 1).batch(2)))
        size = tuple(images.shape[1:])

        def augment(example, pair_seed):
            image, label = example
            padded = tf.pad(image, [[crop_padding, crop_padding], [crop_padding, crop_padding], [0, 0]])
            image = tf.image.stateless_random_crop(padded, size, seed=pair_seed)
            if flip:
                image = tf.image.stateless_random_flip_left_right(image, seed=pair_seed[::-1])
            return image, label

        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda x, y: (preprocessing.normalise(x, record), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
