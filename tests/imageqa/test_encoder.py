"""The frozen image encoder: grid pooling equals a numpy block mean, the features are z-normalised with the
statistics they were set from, and the classification path shares the encoder's layers."""
import keras
import numpy as np
import pytest

from zoo.imageqa import encoder


def test_grid_pool_is_a_block_mean():
    maps = np.random.default_rng(0).normal(size=(2, 8, 12, 3)).astype(np.float32)
    pooled = encoder.GridAveragePool(4)(maps).numpy()
    expected = np.stack([[maps[n, 2 * i:2 * i + 2, 3 * j:3 * j + 3].mean(axis=(0, 1)) for i in range(4)
                          for j in range(4)] for n in range(2)]).reshape(2, -1)
    np.testing.assert_allclose(pooled, expected, rtol=1e-5, atol=1e-6)


def test_features_are_z_normalised_with_the_set_statistics():
    keras.utils.set_random_seed(0)
    model = encoder.build_encoder(filters=(4, 4, 4))
    images = np.random.default_rng(1).integers(0, 256, size=(12, 16, 16, 3)).astype(np.uint8)
    encoder.set_feature_statistics(model, images)
    features = encoder.scene_features(model, images, batch_size=5)
    assert features.shape == (12, 16 * 4 + 16 * 4)
    np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-4)
    constant = features.std(axis=0) < 1e-3  # dead ReLU cells stay at 0
    np.testing.assert_allclose(features.std(axis=0)[~constant], 1.0, atol=1e-3)


def test_classifier_shares_the_encoder_layers_and_runs_on_articles():
    model = encoder.build_encoder(filters=(4, 4, 4))
    head = encoder.classifier(model)
    assert head(np.zeros((3, 28, 28, 3), np.uint8)).shape == (3, 10)
    assert {id(w) for w in head.weights} <= {id(w) for w in model.weights}


def test_tinted_articles_follow_the_scene_compositing():
    images, labels = encoder.tinted_articles("test", 0)
    assert images.shape == (10_000, 28, 28, 3) and labels.shape == (10_000,)
    from zoo.data.fashion_mnist import load_fashion_mnist
    raw, _ = load_fashion_mnist("test")
    brightest = raw.reshape(len(raw), -1).argmax(axis=1)
    colour = images.reshape(len(images), -1, 3)[np.arange(len(images)), brightest]
    peak = raw.reshape(len(raw), -1).max(axis=1)[:, None] / 255.0
    palette = np.array([rgb for _, rgb in encoder.scenes_lib.PALETTE], np.float32)
    # on black, the brightest pixel is intensity × one palette colour
    distances = np.abs(colour[:, None, :] - peak[:, None] * palette[None]).max(axis=-1).min(axis=1)
    assert distances.max() <= 1.0


def test_grid_pool_rejects_maps_that_do_not_divide():
    with pytest.raises(Exception):
        encoder.GridAveragePool(4)(np.zeros((1, 6, 8, 2), np.float32))
