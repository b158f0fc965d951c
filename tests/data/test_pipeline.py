import numpy as np
import pytest

from zoo.data import pipeline, preprocessing

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


def test_evaluation_pipeline_is_plain_preprocessing_in_order():
    images, labels = _images(), np.arange(6)
    batches = _batches(pipeline.classification_dataset(images, labels, 4, training=False))
    assert [len(y) for _, y in batches] == [4, 2]
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)
    np.testing.assert_allclose(np.concatenate([x for x, _ in batches]), preprocessing.preprocess(images), atol=1e-6)


def test_training_pipeline_is_deterministic_by_seed_and_augments_by_shifts_and_flips():
    images, labels = _images(8), np.arange(8)
    stream = pipeline.classification_dataset(images, labels, 8, training=True, seed=3)
    first = _batches(stream.take(3))
    again = _batches(stream.take(3))  # a new iterator replays the same stream
    other = _batches(pipeline.classification_dataset(images, labels, 8, training=True, seed=4).take(3))
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
        pipeline.classification_dataset(_images(), np.arange(6), 0, training=False)
