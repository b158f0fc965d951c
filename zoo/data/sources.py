"""Where the input pipeline's examples come from: a labelled image split that streams.

A :class:`Source` reads its split (one pass, or pass after pass) as a ``tf.data.Dataset`` of
``{"image", "label", "index"}``:
``image`` is the stored image (encoded bytes for a tfds split, decoded later per example by the pipeline; uint8
``(H, W, C)`` for in-memory arrays), ``label`` an int32 and ``index`` the example's int64 position in the split,
the same however the files are shuffled or sharded. Two kinds:

- :class:`TfdsSource`: any tfds image data set by name, read from its files with a seeded file order;
- :class:`ArraySource`: images already in memory (Fashion-MNIST's IDX files, the procedural sets, or encoded
  images: :meth:`Source.in_memory`).

Both can be narrowed to a subset of examples (:meth:`Source.select`) and relabelled (:meth:`Source.relabel`)
by index — a held-out validation split, a clean set, corrupted labels — without holding any image in memory:
only the label or keep vectors (one number per example) are.
"""
import dataclasses
import functools
import os
import re

import numpy as np
import tensorflow as tf

from zoo import extras

_SHARED = ("builder", "_layout", "_offsets", "_label_array", "split_size")
"""Cached properties a derived source (:meth:`Source.select`, :meth:`Source.relabel`) takes over."""


@dataclasses.dataclass(frozen=True, eq=False)
class Source:
    """Base of the sources. ``keep`` (bool per example index) and ``new_labels`` (int per example index), when set,
    filter and relabel what :meth:`_read` yields; use :meth:`select` and :meth:`relabel` to set them."""

    keep: np.ndarray | None = dataclasses.field(default=None, kw_only=True)
    new_labels: np.ndarray | None = dataclasses.field(default=None, kw_only=True)

    # --- what a kind of source defines ---------------------------------------------------------------------------
    encoded = False
    """Whether ``image`` is encoded bytes (decoded by the pipeline) rather than a uint8 array."""

    def _read(self, shuffle_seed, input_context, repeat, index):
        """The whole split as ``{"image", "label", "index"}``: see :meth:`examples`."""
        raise NotImplementedError

    def _stored_labels(self):
        """The stored labels of the whole split, int64, in index order."""
        raise NotImplementedError

    @property
    def image_shape(self):
        """``(H, W, C)`` of the stored images; H and W are None when they vary."""
        raise NotImplementedError

    @property
    def split_size(self):
        """Size of the index space: examples of the whole split (of the unsliced splits, for a sliced tfds split)."""
        raise NotImplementedError

    @property
    def _present(self):
        """Bool per index of the examples the split holds (None: all; a sliced tfds split holds fewer)."""
        return None

    @property
    def _kept(self):
        return self.keep if self.keep is not None else self._present

    # --- shared ----------------------------------------------------------------------------------------------------
    def examples(self, shuffle_seed=None, input_context=None, repeat=False, index=True):
        """The source's examples ``{"image", "label", "index"}``: one pass, or endless passes with ``repeat``.

        Args:
            shuffle_seed: None reads in stored order; an int shuffles every pass anew, the same way for the same
                seed (a tfds source shuffles its files, interleaves them and shuffles examples in a buffer; an
                array source permutes its examples).
            input_context: a ``tf.distribute.InputContext``: read only this input pipeline's share.
            repeat: pass after pass, endlessly.
            index: False lets a tfds source skip working out the examples' indices (their ``index`` is then -1)
                when nothing needs them (no :meth:`select` or :meth:`relabel`): a faster read of small images.
        """
        ds = self._read(shuffle_seed, input_context, repeat,
                        index or self.keep is not None or self.new_labels is not None)
        if self.keep is not None:
            keep = tf.constant(self.keep)
            ds = ds.filter(lambda ex: tf.gather(keep, ex["index"]))
        if self.new_labels is not None:
            labels = tf.constant(self.new_labels, tf.int32)
            ds = ds.map(lambda ex: {**ex, "label": tf.gather(labels, ex["index"])},
                        num_parallel_calls=tf.data.AUTOTUNE)
        return ds

    def labels(self):
        """The labels (after :meth:`relabel`) of the examples kept (after :meth:`select`), int64 in index order."""
        labels = self._stored_labels() if self.new_labels is None else np.asarray(self.new_labels, np.int64)
        return labels if self._kept is None else labels[self._kept]

    def indices(self):
        """The split positions of the examples kept, int64, ascending."""
        return np.arange(self.split_size) if self._kept is None else np.flatnonzero(self._kept)

    @property
    def num_examples(self):
        """Examples kept."""
        return self.split_size if self._kept is None else int(np.count_nonzero(self._kept))

    @property
    def num_classes(self):
        """One more than the largest label (the classes are 0 … ``num_classes`` − 1)."""
        return int(self.labels().max()) + 1

    def select(self, indices):
        """This source restricted to the examples at split positions ``indices`` (within what is already kept)."""
        keep = np.zeros(self.split_size, bool)
        keep[np.asarray(indices, np.int64)] = True
        if self._kept is not None:
            keep &= self._kept
        return self._derive(keep=keep)

    def relabel(self, labels):
        """This source with ``labels`` (one per example of the whole split, in index order) as its labels."""
        labels = np.asarray(labels, np.int64)
        if labels.shape != (self.split_size,):
            raise ValueError(f"labels must have one entry per example of the split ({self.split_size}), "
                             f"got shape {labels.shape}")
        return self._derive(new_labels=labels)

    def hold_out(self, count, seed):
        """``(rest, held_out)``: ``count`` examples chosen at random (``seed``) held out of this source."""
        indices = self.indices()
        if not 0 <= count <= len(indices):
            raise ValueError(f"count must be in [0, {len(indices)}], got {count}")
        held = np.sort(np.random.default_rng(seed).choice(indices, count, replace=False))
        return self.select(np.setdiff1d(indices, held)), self.select(held)

    def decode(self, image, channels=None):
        """An example's ``image`` as uint8 ``(H, W, C)`` (decoded when the source is :attr:`encoded`; ``channels``:
        convert to that many, default the stored number)."""
        if self.encoded:
            channels = channels or self.image_shape[-1]
            image = tf.io.decode_image(image, channels=channels, expand_animations=False)
            # decode_image leaves H and W unknown; a data set of one image size gives them (padding needs them)
            return tf.ensure_shape(image, (*self.image_shape[:2], channels))
        if not channels or channels == self.image_shape[-1]:
            return image
        if (self.image_shape[-1], channels) == (1, 3):
            return tf.image.grayscale_to_rgb(image)
        if (self.image_shape[-1], channels) == (3, 1):
            return tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))), tf.uint8)
        raise ValueError(f"cannot convert {self.image_shape[-1]} channels to {channels}")

    def class_subset(self, classes, per_class):
        """The first ``per_class`` examples (in index order) of each class in ``classes``, relabelled 0 … len(classes)
        − 1 in that order — a few-shot split's classes (a class with fewer examples is an error)."""
        labels, indices = self.labels(), self.indices()
        keep, new_labels = [], np.full(self.split_size, -1, np.int64)
        for rank, cls in enumerate(classes):
            members = indices[labels == cls][:per_class]
            if len(members) < per_class:
                raise ValueError(f"class {cls} has {len(members)} examples, fewer than per_class={per_class}")
            keep.append(members)
            new_labels[members] = rank
        return self.select(np.concatenate(keep)).relabel(new_labels)

    def in_memory(self, limit=None):
        """The (first ``limit``) kept examples with their images as stored — encoded images stay encoded — held in
        memory: an :class:`ArraySource` that the pipeline reads the same way, without the files (the upper bound of
        a pipeline's speed for its per-example work)."""
        ds = self.examples() if limit is None else self.examples().take(limit)
        images, labels = [], []
        for batch in ds.batch(256).as_numpy_iterator():
            images.extend(batch["image"])
            labels.extend(batch["label"])
        if self.encoded:
            images = np.array(images + [b""], object)[:-1]  # a 1-D array of bytes objects, whatever their lengths
        return ArraySource(images, labels, shape=self.image_shape)

    def _derive(self, **changes):
        """A copy with ``changes``, sharing what this one has already read (builder, layout, labels)."""
        copy = dataclasses.replace(self, **changes)
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k in _SHARED})
        return copy

    def arrays(self, channels=None, size=None):
        """``(images uint8 (N, H, W, C), labels int64 (N,))`` of every kept example in index order — for small splits
        only (it holds them all in memory). ``channels``: convert to that many; ``size``: resize every image to
        ``size`` × ``size`` (bilinear, antialiased; needed when the stored sizes vary)."""
        if size is None and None in self.image_shape[:2]:
            raise ValueError("the images vary in size: pass size, or stream them with zoo.data.pipeline.make_dataset")

        def image(example):
            decoded = self.decode(example["image"], channels)
            if size is None:
                return decoded
            resized = tf.image.resize(decoded, (size, size), antialias=True)
            return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

        ds = self.examples().map(lambda ex: (image(ex), ex["label"]), num_parallel_calls=tf.data.AUTOTUNE)
        images, labels = [], []
        for x, y in ds.batch(1024).as_numpy_iterator():
            images.append(x)
            labels.append(y)
        if not images:
            shape = (0, *((size, size) if size else self.image_shape[:2]), channels or self.image_shape[2])
            return np.zeros(shape, np.uint8), np.zeros((0,), np.int64)
        return np.concatenate(images), np.concatenate(labels).astype(np.int64)



@dataclasses.dataclass(frozen=True, eq=False)
class ArraySource(Source):
    """Images held in memory: ``images`` uint8 ``(N, H, W[, C])`` — or ``(N,)`` encoded images (bytes, decoded by the
    pipeline as a tfds source's are; then ``shape`` is their ``(H, W, C)``, H and W None when they vary) — and
    integer ``labels`` ``(N,)``. A shuffled pass is a permutation of the indices (each pass of a repeated stream
    another), the images gathered per example."""

    images: np.ndarray
    stored_labels: np.ndarray
    shape: tuple | None = None

    def __post_init__(self):
        images = np.asarray(self.images)
        if images.ndim == 3 and images.dtype == np.uint8:
            images = images[..., None]
        if images.dtype == object:
            if images.ndim != 1 or self.shape is None:
                raise ValueError("encoded images must be a 1-D array of bytes, with their shape given")
        elif images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 (N, H, W[, C]), got {images.dtype} {images.shape}")
        if len(images) != len(self.stored_labels):
            raise ValueError(f"images and labels differ in length: {len(images)} vs {len(self.stored_labels)}")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "stored_labels", np.asarray(self.stored_labels, np.int64))

    @property
    def encoded(self):
        return self.images.dtype == object

    @property
    def image_shape(self):
        return tuple(self.shape) if self.encoded else tuple(int(d) for d in self.images.shape[1:])

    @property
    def split_size(self):
        return len(self.images)

    def _stored_labels(self):
        return self.stored_labels

    def arrays(self, channels=None, size=None):
        if self.encoded or (channels and channels != self.image_shape[-1]) or (
                size and (size, size) != self.image_shape[:2]):
            return super().arrays(channels, size)
        return self.images[self.indices()], self.labels()

    def _read(self, shuffle_seed, input_context, repeat, index):
        images = tf.constant(self.images)
        labels = tf.constant(self.stored_labels, tf.int32)
        count = self.split_size
        if shuffle_seed is None:
            ds = tf.data.Dataset.range(count)
            ds = ds.repeat() if repeat else ds
        else:  # pass e is the stateless permutation seeded by (shuffle_seed, e): every iterator replays the stream
            def permutation(epoch):
                seed = tf.stack([tf.constant(shuffle_seed, tf.int64), epoch])
                return tf.data.Dataset.from_tensor_slices(
                    tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seed))

            epochs = tf.data.Dataset.counter() if repeat else tf.data.Dataset.range(1)
            ds = epochs.flat_map(permutation)
        if input_context is not None:
            ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
        return ds.map(lambda i: {"image": tf.gather(images, i), "label": tf.gather(labels, i), "index": i})


@dataclasses.dataclass(frozen=True, eq=False)
class TfdsSource(Source):
    """Split ``split`` of the tfds data set ``name`` (e.g. ``"cifar10"``, ``"imagenet2012"``, ``"train[:90%]"``).

    Images stay encoded until the pipeline decodes them; nothing is cached in memory (tfds's automatic caching of
    small data sets is off). ``index`` is the example's position in the split's files (their shard offsets plus the
    record number, from the ids tfds adds), so it does not depend on the file order.

    Args:
        name: a tfds data set name, with its configuration if any (``"coco/2017_panoptic"``).
        split: a tfds split string.
        data_dir: tfds's data directory (None: its default, ``~/tensorflow_datasets`` or ``$TFDS_DATA_DIR``).
        download: let tfds download and prepare the data set when it is missing (otherwise a missing data set is
            an error at once, not minutes of retries).
        image_key, label_key: the features holding the image and the label.
        shuffle_buffer: examples in the shuffle buffer after the shuffled, interleaved files of a shuffled pass
            (each pass is shuffled on its own: passes do not mix).
    """

    name: str
    split: str = "train"
    data_dir: str | None = None
    download: bool = False
    image_key: str = "image"
    label_key: str = "label"
    shuffle_buffer: int = 10_000

    encoded = True

    @functools.cached_property
    def builder(self):
        """The tfds builder (prepared first when ``download``)."""
        tfds = extras.require("tensorflow_datasets", "tfds", "tfds data sets")

        builder = tfds.builder(self.name, data_dir=self.data_dir)
        if self.download:
            builder.download_and_prepare()
        return builder

    @property
    def image_shape(self):
        return tuple(self.builder.info.features[self.image_key].shape)

    @functools.cached_property
    def split_size(self):
        total = self._layout[2]
        return len(self._stored_labels()) if total is None else total

    @property
    def _present(self):
        return self._layout[3]

    def read(self, shuffle_seed=None, input_context=None, decoders=None, ids=True):
        """``builder.as_dataset`` of the split with the examples' tfds ids (``ids``): files in a seeded order when
        ``shuffle_seed`` is not None, ``input_context``'s share of them, no caching, images not decoded (or as
        ``decoders`` says). Sources of other features (masks, captions) read through this too."""
        tfds = extras.require("tensorflow_datasets", "tfds", "tfds data sets")

        config = tfds.ReadConfig(shuffle_seed=shuffle_seed, shuffle_reshuffle_each_iteration=True,
                                 input_context=input_context, add_tfds_id=ids, try_autocache=False)
        decoders = {self.image_key: tfds.decode.SkipDecoding()} if decoders is None else decoders
        return self.builder.as_dataset(split=self.split, shuffle_files=shuffle_seed is not None,
                                       decoders=decoders, read_config=config)

    def example_index(self, tfds_id):
        """The split position (int64) of the example whose tfds id is ``tfds_id`` (``FILE__RECORD``)."""
        parts = tf.strings.split(tfds_id, "__")
        offset = self._offsets.lookup(parts[0])
        return offset + tf.strings.to_number(parts[-1], tf.int64)

    @functools.cached_property
    def _layout(self):
        """``(shard file names, their first index, index-space size, the examples of a sliced split or None)``
        from the split metadata; ``([], [], None, None)`` without it (``tfds.testing.mock_data``: one file)."""
        names, offsets, total = [], [], 0
        try:
            for base in _base_splits(self.split):
                info = self.builder.info.splits[base]
                for name, length in zip(info.filenames, info.shard_lengths):
                    names.append(name)
                    offsets.append(total)
                    total += int(length)
            instructions = self.builder.info.splits[self.split].file_instructions
        except (KeyError, ValueError, TypeError):
            return [], [], None, None
        present = None
        if "[" in self.split:
            first = dict(zip(names, offsets))
            present = np.zeros(total, bool)
            for instruction in instructions:
                start = first[os.path.basename(instruction.filename)] + instruction.skip
                present[start:start + instruction.take] = True
        return names, offsets, total, present

    @functools.cached_property
    def _offsets(self):
        names, offsets, _, _ = self._layout
        with tf.init_scope():  # made eagerly even when first needed inside a dataset function
            return tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(names or [""], tf.string),
                                                    tf.constant(offsets or [0], tf.int64)), default_value=0)

    def _read(self, shuffle_seed, input_context, repeat, index):
        def example(ex):
            position = self.example_index(ex["tfds_id"]) if index else tf.constant(-1, tf.int64)
            return {"image": ex[self.image_key], "label": tf.cast(ex[self.label_key], tf.int32), "index": position}

        ds = self.read(shuffle_seed, input_context, ids=index).map(example, num_parallel_calls=tf.data.AUTOTUNE)
        if shuffle_seed is not None:
            ds = ds.shuffle(self.shuffle_buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
        return ds.repeat() if repeat else ds

    def _stored_labels(self):
        return self._label_array

    @functools.cached_property
    def _label_array(self):
        # Read as the stream reads (images skipped, not decoded): a mocked data set then yields the same examples.
        ds = self.read().map(lambda ex: (self.example_index(ex["tfds_id"]), ex[self.label_key]))
        pairs = [(i, y) for i, y in ds.batch(8192).as_numpy_iterator()]
        if not pairs:
            return np.zeros((0,), np.int64)
        indices, labels = (np.concatenate(p) for p in zip(*pairs))
        total = self._layout[2]
        out = np.full(int(indices.max()) + 1 if total is None else total, -1, np.int64)
        out[indices] = labels
        return out


def _base_splits(split):
    """The named splits of a tfds split string, in order: ``"train[:90%]+test"`` → ``["train", "test"]``."""
    return [re.match(r"\s*([\w-]+)", part).group(1) for part in split.split("+")]
