import resource

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.data import datasets, pipeline, preprocessing, sources

RECORD = preprocessing.FASHION_MNIST


def _images(n=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28)).astype(np.uint8)


def test_preprocess_matches_numpy():
    images = _images()
    expected = (np.pad(images, [(0, 0), (2, 2), (2, 2)]) / 255.0 - 0.2860) / 0.3530
    out = np.asarray(preprocessing.preprocess(images, RECORD))
    assert out.shape == (6, 32, 32, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], expected, atol=1e-5)


def test_preprocess_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        preprocessing.preprocess(np.zeros((2, 32, 32, 3), np.uint8), RECORD)


def test_recorded_statistics_are_those_of_the_training_split():
    from zoo.data import load_fashion_mnist

    x, _ = load_fashion_mnist("train")
    scaled = x / 255.0
    assert scaled.mean() == pytest.approx(RECORD["mean"][0], abs=5e-4)
    assert scaled.std() == pytest.approx(RECORD["std"][0], abs=5e-4)


def _batches(ds):
    return [(np.asarray(x), np.asarray(y)) for x, y in ds]


def _fashion(images, labels, batch_size, training, seed=0):
    """The pipeline over Fashion-MNIST-like arrays in memory, with Fashion-MNIST's record and transforms."""
    transform = datasets.spec("fashion_mnist").train_transform if training else "none"
    return pipeline.make_dataset(sources.ArraySource(images, labels), batch_size, training, transform, RECORD, seed)


def test_evaluation_pipeline_is_plain_preprocessing_in_order():
    images, labels = _images(), np.arange(6)
    batches = _batches(_fashion(images, labels, 4, training=False))
    assert [len(y) for _, y in batches] == [4, 2]
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)
    np.testing.assert_allclose(np.concatenate([x for x, _ in batches]), preprocessing.preprocess(images), atol=1e-6)


def test_training_pipeline_is_deterministic_by_seed_and_augments_by_shifts_and_flips():
    images, labels = _images(8), np.arange(8)
    stream = _fashion(images, labels, 8, training=True, seed=3)
    first = _batches(stream.take(3))
    again = _batches(stream.take(3))  # a new iterator replays the same stream
    other = _batches(_fashion(images, labels, 8, training=True, seed=4).take(3))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(first[0][0], other[0][0])
    assert not np.array_equal(first[0][1], first[1][1]), "epochs are reshuffled"
    assert all(sorted(y.tolist()) == list(range(8)) for _, y in first), "each epoch visits every example once"
    x, y = first[0]
    assert sorted(y.tolist()) == list(range(8))
    # every augmented image is a crop of the zero-padded 40x40 canvas, possibly mirrored
    background = (0 - 0.2860) / 0.3530
    for image, label in zip(x[..., 0], y):
        canvas = np.pad(np.pad(images[label], 2) / 255.0, 4)
        canvas = (canvas - 0.2860) / 0.3530
        candidates = [canvas[i:i + 32, j:j + 32] for i in range(9) for j in range(9)]
        candidates += [c[:, ::-1] for c in candidates]
        assert min(np.abs(c - image).max() for c in candidates) < 1e-5
        assert np.isclose(image, background).mean() > 0.1


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        _fashion(_images(), np.arange(6), 0, training=False)


# --- tfds data sets, streamed ---------------------------------------------------------------------------------------

def _stream(ds, batches):
    return [tuple(np.asarray(t) for t in batch) for batch in ds.take(batches)]


def test_a_tfds_training_stream_is_shaped_shuffled_per_epoch_and_reproducible_for_its_seed():
    with tfds.testing.mock_data(num_examples=24):
        def build(seed):
            return datasets.make_dataset("cifar10", "train", 8, training=True, seed=seed, with_index=True)

        first, again, other = _stream(build(1), 6), _stream(build(1), 6), _stream(build(2), 6)
    images, labels, indices = first[0]
    assert images.shape == (8, 32, 32, 3) and images.dtype == np.float32 and labels.dtype == np.int32
    assert indices.dtype == np.int64
    epochs = [np.concatenate([b[2] for b in first[i:i + 3]]) for i in (0, 3)]
    assert all(sorted(e.tolist()) == list(range(24)) for e in epochs), "each epoch visits every example once"
    assert not np.array_equal(epochs[0], epochs[1]), "epochs are reshuffled"
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][2], other[0][2])


def test_a_tfds_evaluation_pass_is_in_order_unaugmented_and_complete():
    with tfds.testing.mock_data(num_examples=10):
        batches = _stream(datasets.make_dataset("cifar10", "test", 4, training=False, with_index=True), 10)
        images, labels = datasets.source("cifar10", "test").arrays()
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[2] for b in batches]), np.arange(10))
    record = datasets.preprocessing_record("cifar10")
    expected = (images / 255.0 - np.array(record["mean"])) / np.array(record["std"])
    np.testing.assert_allclose(np.concatenate([b[0] for b in batches]), expected, atol=1e-5)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), labels)


def test_variable_size_images_stream_through_the_imagenet_transforms():
    with tfds.testing.mock_data(num_examples=6):
        assert datasets.source("imagenet2012", "train").image_shape == (None, None, 3)
        train = _stream(datasets.make_dataset("imagenet2012", "train", 3, training=True), 2)
        evaluation = _stream(datasets.make_dataset("imagenet2012", "test", 4, training=False), 2)
    assert [b[0].shape for b in train] == [(3, 224, 224, 3)] * 2
    assert [b[0].shape for b in evaluation] == [(4, 224, 224, 3), (2, 224, 224, 3)]


def test_each_input_pipeline_batches_its_replicas_share_of_disjoint_examples():
    images, labels = _images(8), np.arange(8)
    source = sources.ArraySource(images, labels)
    contexts = [tf.distribute.InputContext(2, i, 2) for i in range(2)]
    streams = [_stream(pipeline.make_dataset(source, 4, True, "cifar", RECORD, seed=0, input_context=c,
                                             with_index=True), 2) for c in contexts]
    assert all(b[0].shape == (2, 32, 32, 1) for s in streams for b in s)
    seen = [np.concatenate([b[2] for b in s]) for s in streams]
    assert not set(seen[0]) & set(seen[1]) and sorted(np.concatenate(seen).tolist()) == list(range(8))


def test_memory_stays_flat_over_many_batches():
    """Three epochs of 2,000 images: a pipeline that kept what it read (a cache: +20 MiB here) would grow."""
    def peak_resident_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tfds.testing.mock_data(num_examples=2000):
        stream = iter(datasets.make_dataset("cifar10", "train", 50, training=True))
        peaks = []
        for step in range(1, 121):
            next(stream)
            if step in (5, 120):
                peaks.append(peak_resident_mib())
    assert peaks[1] - peaks[0] < 8, f"peak resident memory grew from {peaks[0]:.0f} to {peaks[1]:.0f} MiB"
