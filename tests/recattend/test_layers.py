"""GaussianAttention against numpy: identity-window reads, the read as explicit sums, write∘read as the
documented blur, finite-difference gradients in every attention entry, errors and serialization."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.recattend.layers import GaussianAttention


def numpy_bank(centre, size, log_variance, count, length):
    means = centre + (size + 1) * (np.arange(count) - count / 2 + 0.5) / count
    return np.exp(-(np.arange(length)[None, :] - means[:, None]) ** 2 / (2 * np.exp(log_variance)))


def numpy_read(image, attention, patch_size):
    cy, cx, h, w, log_var, log_gamma = attention
    fy = numpy_bank(cy, h, log_var, patch_size[0], image.shape[0])
    fx = numpy_bank(cx, w, log_var, patch_size[1], image.shape[1])
    patch = np.zeros(patch_size + (image.shape[2],))
    for i in range(patch_size[0]):
        for j in range(patch_size[1]):
            patch[i, j] = np.exp(log_gamma) * np.einsum("a,b,abc->c", fy[i], fx[j], image)
    return patch


def test_identity_sized_window_reads_the_image_region_exactly():
    image = np.random.default_rng(0).normal(size=(2, 20, 24, 3)).astype(np.float32)
    top, left, (ph, pw) = np.array([3, 9]), np.array([5, 1]), (6, 8)
    # size P − 1 spaces the filters one pixel apart; centre top + P/2 − 0.5 puts filter 0 on the top row
    attention = np.stack([top + ph / 2 - 0.5, left + pw / 2 - 0.5, np.full(2, ph - 1.0), np.full(2, pw - 1.0),
                          np.full(2, np.log(0.01)), np.zeros(2)], axis=1).astype(np.float32)
    patch = GaussianAttention((ph, pw))(image, attention).numpy()
    for b in range(2):
        np.testing.assert_allclose(patch[b], image[b, top[b]:top[b] + ph, left[b]:left[b] + pw], atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_read_is_the_double_sum_over_gaussian_filters(seed):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(1, 11, 13, 2))
    attention = np.array([[rng.uniform(0, 11), rng.uniform(0, 13), rng.uniform(2, 9), rng.uniform(2, 9),
                           rng.uniform(-1, 1), rng.uniform(-0.5, 0.5)]])
    patch = GaussianAttention((4, 5), dtype="float64")(image, attention).numpy()
    np.testing.assert_allclose(patch[0], numpy_read(image[0], attention[0], (4, 5)), rtol=1e-6, atol=1e-9)


def test_write_of_read_is_the_documented_blur():
    rng = np.random.default_rng(3)
    image = rng.normal(size=(1, 16, 14, 2))
    attention = np.array([[7.0, 6.0, 8.0, 6.0, np.log(1.5), 0.3]])
    layer = GaussianAttention((5, 4), dtype="float64")
    restored = layer.write(layer(image, attention), attention, (16, 14)).numpy()[0]
    fy = numpy_bank(7.0, 8.0, np.log(1.5), 5, 16)
    fx = numpy_bank(6.0, 6.0, np.log(1.5), 4, 14)
    kernel_y, kernel_x = fy.T @ fy, fx.T @ fx  # K[a, b] = Σ_i F[i, a] F[i, b]
    expected = np.exp(0.3) ** 2 * np.einsum("ab,bdc,ed->aec", kernel_y, image[0], kernel_x)
    np.testing.assert_allclose(restored, expected, rtol=1e-6, atol=1e-9)
    far = np.abs(restored[:, 13:]).max()  # columns 13.. are > 4 σ beyond the outermost filter centre
    assert far < 1e-2 * np.abs(restored).max()


@pytest.mark.parametrize("entry", range(6))
def test_read_and_write_are_differentiable_in_every_attention_entry(entry):
    rng = np.random.default_rng(4)
    image = tf.constant(rng.normal(size=(1, 9, 10, 1)))
    weights = tf.constant(rng.normal(size=(1, 3, 4, 1)))
    base = np.array([[4.2, 5.1, 5.0, 6.0, 0.2, 0.1]])
    layer = GaussianAttention((3, 4), dtype="float64")

    def objective(attention):
        patch = layer(image, attention)
        return tf.reduce_sum(patch * weights) + tf.reduce_sum(layer.write(patch, attention, (9, 10)) * image)

    attention = tf.Variable(base)
    with tf.GradientTape() as tape:
        value = objective(attention)
    analytic = tape.gradient(value, attention).numpy()[0, entry]
    step = np.zeros_like(base)
    step[0, entry] = 1e-6
    numeric = (objective(base + step) - objective(base - step)).numpy() / 2e-6
    assert abs(analytic) > 1e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4)


def test_bad_inputs_name_the_argument():
    layer = GaussianAttention((4, 4))
    with pytest.raises(ValueError, match="attention must be"):
        layer(np.zeros((1, 8, 8, 1)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="image must be"):
        layer(np.zeros((8, 8, 1)), np.zeros((1, 6)))
    with pytest.raises(ValueError, match="patch must be"):
        layer.write(np.zeros((1, 3, 4, 1)), np.zeros((1, 6)), (8, 8))
    with pytest.raises(ValueError, match="patch_size"):
        GaussianAttention((0, 4))


def test_layer_serializes_and_trains_inside_a_model(tmp_path):
    image, attention = keras.Input((12, 12, 1)), keras.Input((6,))
    patch = GaussianAttention((5, 5), name="attend")(image, attention)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(patch))
    model = keras.Model([image, attention], outputs)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 12, 12, 1)).astype(np.float32)
    a = np.tile([[6.0, 6.0, 6.0, 6.0, 0.0, 0.0]], (4, 1)).astype(np.float32)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded([x, a]), model([x, a]), atol=1e-6)
    assert reloaded.get_layer("attend").get_config()["patch_size"] == [5, 5]
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit([x, a], np.zeros((4, 1)), epochs=1, verbose=0).history["loss"][0])
