"""The papers' image augmentations as named, per-example transforms of the input pipeline (:mod:`zoo.data.pipeline`).

==================  =================================================================================================
name                what it does to one image
==================  =================================================================================================
``none``            nothing (the image as stored, as float32)
``cifar``           4 zero pixels of padding on each side, a random crop back to the stored size, a random
                    horizontal flip (RevNet §7.1, ResNet's CIFAR recipe, the reweighting paper's CIFAR runs)
``imagenet_train``  an Inception-style random-resized crop (8–100% of the area, aspect ratio 3/4–4/3) resized to
                    224×224, a random horizontal flip (RevNet's ImageNet recipe)
``imagenet_eval``   the shorter side resized to 256 (aspect ratio kept), the central 224×224 crop
==================  =================================================================================================

A transform maps a uint8 ``(H, W, C)`` image and a stateless seed ``(2,)`` int64 to a float32 ``(h, w, C)`` image in
pixel units (0–255); the pipeline normalises afterwards. The same seed gives the same augmentation, so a stream is
reproducible whatever the parallelism. :meth:`Transform.decode` takes the stored (encoded) bytes instead: the
random-resized crop decodes only the crop window of a JPEG (``tf.image.decode_and_crop_jpeg``), as ImageNet
pipelines do, and the others decode the whole image first.
"""
import dataclasses

import tensorflow as tf


class Transform:
    """Base of the named transforms: ``__call__(image, seed)`` on a decoded image, ``decode(data, seed, channels)``
    on encoded bytes, and the output size for an input size."""

    def __call__(self, image, seed):
        raise NotImplementedError

    def decode(self, data, seed, channels):
        """The transform of the image encoded in ``data`` (PNG, JPEG, GIF or BMP bytes) with ``channels`` channels."""
        return self(tf.io.decode_image(data, channels=channels, expand_animations=False), seed)

    def output_size(self, size):
        """``(height, width)`` of the output for an input of ``size`` (entries may be None: unknown)."""
        return tuple(size)


@dataclasses.dataclass(frozen=True)
class Identity(Transform):
    """``none``: the image unchanged, as float32."""

    def __call__(self, image, seed):
        return tf.cast(image, tf.float32)


@dataclasses.dataclass(frozen=True)
class PadCropFlip(Transform):
    """``cifar``: ``padding`` zero pixels on each side, a random crop back to the input size, and (``flip``) a
    random horizontal flip with probability 1/2."""

    padding: int = 4
    flip: bool = True

    def __call__(self, image, seed):
        image = tf.convert_to_tensor(image)
        size = tf.shape(image)
        padded = tf.pad(image, [[self.padding, self.padding], [self.padding, self.padding], [0, 0]])
        image = tf.image.stateless_random_crop(padded, size, seed=seed)
        if self.flip:
            image = tf.image.stateless_random_flip_left_right(image, seed=_other(seed))
        return tf.cast(image, tf.float32)


@dataclasses.dataclass(frozen=True)
class RandomResizedCrop(Transform):
    """``imagenet_train``: a crop covering ``scale`` of the image's area with aspect ratio in ``ratio`` (the
    Inception crop; the whole image when ten tries find none), resized bilinearly to ``size`` × ``size``, and
    (``flip``) a random horizontal flip."""

    size: int = 224
    scale: tuple = (0.08, 1.0)
    ratio: tuple = (3 / 4, 4 / 3)
    flip: bool = True

    def __call__(self, image, seed):
        offset, extent = self.crop_window(tf.shape(image), seed)
        return self._finish(tf.slice(image, tf.concat([offset, [0]], 0), tf.concat([extent, [-1]], 0)), seed)

    def decode(self, data, seed, channels):
        def jpeg():
            offset, extent = self.crop_window(tf.image.extract_jpeg_shape(data), seed)
            return tf.image.decode_and_crop_jpeg(data, tf.concat([offset, extent], 0), channels=channels)

        def other():
            image = tf.io.decode_image(data, channels=channels, expand_animations=False)
            offset, extent = self.crop_window(tf.shape(image), seed)
            return tf.slice(image, tf.concat([offset, [0]], 0), tf.concat([extent, [-1]], 0))

        return self._finish(tf.cond(tf.io.is_jpeg(data), jpeg, other), seed)

    def output_size(self, size):
        return (self.size, self.size)

    def crop_window(self, shape, seed):
        """``(offset, extent)``, each ``(2,)`` int32 (rows, columns): the crop of an image of ``shape`` for ``seed``."""
        begin, extent, _ = tf.image.stateless_sample_distorted_bounding_box(
            shape, tf.zeros([1, 0, 4], tf.float32), seed=seed, min_object_covered=0.0,
            aspect_ratio_range=self.ratio, area_range=self.scale, max_attempts=10,
            use_image_if_no_bounding_boxes=True)
        return begin[:2], extent[:2]

    def _finish(self, crop, seed):
        image = tf.image.resize(crop, (self.size, self.size), method="bilinear")
        if self.flip:
            image = tf.image.stateless_random_flip_left_right(image, seed=_other(seed))
        return tf.clip_by_value(image, 0.0, 255.0)


@dataclasses.dataclass(frozen=True)
class ResizeCenterCrop(Transform):
    """``imagenet_eval``: the shorter side resized (bilinear) to ``resize``, then the central ``crop`` × ``crop``."""

    resize: int = 256
    crop: int = 224

    def __call__(self, image, seed):
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = self.resize / tf.reduce_min(shape)
        new_size = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), self.crop)
        image = tf.image.resize(image, new_size, method="bilinear")
        top, left = (new_size[0] - self.crop) // 2, (new_size[1] - self.crop) // 2
        return tf.clip_by_value(image[top:top + self.crop, left:left + self.crop], 0.0, 255.0)

    def output_size(self, size):
        return (self.crop, self.crop)


TRANSFORMS = {
    "none": Identity(),
    "cifar": PadCropFlip(),
    "imagenet_train": RandomResizedCrop(),
    "imagenet_eval": ResizeCenterCrop(),
}
"""The named transforms (see the module docstring)."""


def get(transform):
    """The :class:`Transform` named ``transform`` (a key of :data:`TRANSFORMS`), or ``transform`` itself when it
    already is one."""
    if isinstance(transform, Transform):
        return transform
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)} or a zoo.data.transforms.Transform, "
                         f"got {transform!r}")
    return TRANSFORMS[transform]


def _other(seed):
    """A second stateless seed derived from ``seed``, so that the crop and the flip are independent."""
    return tf.stack([seed[1], seed[0] + 1])
