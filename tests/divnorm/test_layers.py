"""DivisiveNormalization against Keras' BatchNormalization / LayerNormalization and a direct numpy
implementation of the paper's formula."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.divnorm import fields
from zoo.divnorm.layers import PRESETS, ActivationL1, DivisiveNormalization
from zoo.testing import run_layer_test

RNG = np.random.default_rng(0)


def numpy_field_mean(x, window, channels):
    """The mean over each unit's field by explicit loops over every position (valid positions only)."""
    rank = x.ndim
    spatial = x.shape[1:-1]
    sizes = ([None] * len(spatial) if window == "all" else
             [window] * len(spatial) if isinstance(window, int) else list(window))
    out = np.zeros_like(x if channels != "all" else x[..., :1])
    for index in np.ndindex(*spatial, out.shape[-1]):
        *position, channel = index
        slices = [slice(None)]
        for p, size, n in zip(position, sizes, spatial):
            slices.append(slice(None) if size is None else slice(max(0, p - size // 2), min(n, p + size // 2 + 1)))
        if channels == "all":
            slices.append(slice(None))
        elif channels == "same":
            slices.append(slice(channel, channel + 1))
        else:
            slices.append(slice(max(0, channel - channels // 2), channel + channels // 2 + 1))
        out[(slice(None), *position, channel)] = x[tuple(slices)].mean(axis=tuple(range(1, rank)))
    return out


def numpy_divisive_normalization(x, window, channels, sigma, epsilon, suppression_window=None):
    v = x - numpy_field_mean(x, window, channels)
    variance = numpy_field_mean(v ** 2, suppression_window or window, channels)
    return v / np.sqrt(variance + sigma ** 2 + epsilon)


@pytest.mark.parametrize("window,channels,suppression", [
    (3, "all", None), (5, "all", None), ((3, 5), "all", None), (1, "all", None), (7, "all", None),
    (3, "same", None), (3, 3, None), ("all", 3, None), (5, "all", 7), (3, "all", "all"),
])
def test_dn_equals_numpy_formula_including_borders(window, channels, suppression):
    x = RNG.standard_normal((2, 6, 7, 5)).astype("float64")
    layer = DivisiveNormalization(window=window, channels=channels, suppression_window=suppression, sigma=0.5,
                                  epsilon=1e-6, center=False, scale=False, dtype="float64")
    expected = numpy_divisive_normalization(x, window, channels, 0.5, 1e-6, suppression)
    for training in (True, False):
        np.testing.assert_allclose(np.asarray(layer(x, training=training)), expected, atol=1e-10)


def test_box_mean_window_larger_than_axis_is_the_full_mean():
    x = RNG.standard_normal((2, 4, 3)).astype("float64")
    np.testing.assert_allclose(np.asarray(fields.box_mean(tf.constant(x), 1, 11)),
                               np.broadcast_to(x.mean(axis=1, keepdims=True), x.shape), atol=1e-12)


def test_one_dimensional_window_on_fully_connected_units():
    x = RNG.standard_normal((4, 9)).astype("float64")
    layer = DivisiveNormalization(channels=5, sigma=1.0, center=False, scale=False, dtype="float64")
    expected = numpy_divisive_normalization(x, "all", 5, 1.0, 1e-6)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-10)


@pytest.mark.parametrize("shape", [(8, 4, 5, 3), (16, 6)])
def test_bn_preset_equals_keras_batch_normalization(shape):
    x = RNG.standard_normal(shape).astype("float32") * 3 + 1
    keras_bn = keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.9)
    ours = DivisiveNormalization.from_preset("bn", sigma=0.0, epsilon=1e-3, momentum=0.9)
    keras_bn.build(shape)
    ours.build(shape)
    gamma, beta = RNG.standard_normal(shape[-1]), RNG.standard_normal(shape[-1])
    for layer in (keras_bn, ours):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    for step in range(3):  # training mode updates the moving statistics identically
        batch = x * (step + 1)
        np.testing.assert_allclose(np.asarray(ours(batch, training=True)),
                                   np.asarray(keras_bn(batch, training=True)), atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours.moving_variance), np.asarray(keras_bn.moving_variance), atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours(x, training=False)), np.asarray(keras_bn(x, training=False)),
                               atol=1e-5)


@pytest.mark.parametrize("shape,axis", [((4, 10), -1), ((3, 5, 6, 4), (1, 2, 3))])
def test_ln_preset_equals_keras_layer_normalization(shape, axis):
    x = RNG.standard_normal(shape).astype("float32") * 2 - 1
    keras_ln = keras.layers.LayerNormalization(axis=axis, epsilon=1e-3, center=False, scale=False)
    ours = DivisiveNormalization.from_preset("ln", sigma=0.0, epsilon=1e-3, center=False, scale=False)
    for training in (True, False):
        np.testing.assert_allclose(np.asarray(ours(x, training=training)),
                                   np.asarray(keras_ln(x, training=training)), atol=1e-5)


def test_ln_with_affine_equals_keras_on_the_channel_axis():
    x = RNG.standard_normal((4, 10)).astype("float32")
    keras_ln = keras.layers.LayerNormalization(epsilon=1e-3)
    ours = DivisiveNormalization.from_preset("ln", sigma=0.0, epsilon=1e-3)
    keras_ln.build(x.shape)
    ours.build(x.shape)
    gamma, beta = RNG.standard_normal(10), RNG.standard_normal(10)
    for layer in (keras_ln, ours):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(keras_ln(x)), atol=1e-5)


def test_l1_penalty_is_alpha_times_mean_abs_of_centred_activations():
    x = RNG.standard_normal((2, 5, 5, 3)).astype("float64")
    layer = DivisiveNormalization(window=3, l1_alpha=0.1, dtype="float64")
    model = keras.Sequential([keras.Input((5, 5, 3), dtype="float64"), layer])
    model(x)
    centred = x - numpy_field_mean(x, 3, "all")
    np.testing.assert_allclose(float(model.losses[0]), 0.1 * np.abs(centred).mean(), rtol=1e-10)


def test_activation_l1_penalty_and_identity():
    x = RNG.standard_normal((2, 4, 4, 3)).astype("float32")
    layer = ActivationL1(0.5)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * np.abs(x).mean(), rtol=1e-6)


def test_gradients_match_finite_differences_including_learned_sigma():
    x = tf.constant(RNG.standard_normal((2, 5, 4, 3)), dtype="float64")
    layer = DivisiveNormalization(window=3, suppression_window=5, sigma=0.7, learn_sigma=True, l1_alpha=0.3,
                                  dtype="float64")
    layer.build(x.shape)
    weights = tf.constant(RNG.standard_normal(x.shape), dtype="float64")

    def objective(inputs):  # the weighted output plus the L1 penalty the layer adds
        return tf.reduce_sum(layer(inputs) * weights) + tf.add_n(layer.losses)

    def at_sigma(inputs, sigma):
        layer.sigma_variable.assign(sigma)
        return float(objective(inputs))

    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(x)
    grad_x, grad_sigma = tape.gradient(value, [x, layer.sigma_variable])
    step = 1e-6
    rng = np.random.default_rng(1)
    for _ in range(10):
        index = tuple(rng.integers(0, n) for n in x.shape)
        delta = np.zeros(x.shape)
        delta[index] = step
        numeric = (at_sigma(x + delta, 0.7) - at_sigma(x - delta, 0.7)) / (2 * step)
        np.testing.assert_allclose(float(grad_x[index]), numeric, rtol=1e-5, atol=1e-7)
    numeric_sigma = (at_sigma(x, 0.7 + step) - at_sigma(x, 0.7 - step)) / (2 * step)
    np.testing.assert_allclose(float(grad_sigma), numeric_sigma, rtol=1e-5)


def test_float16_inputs_keep_their_dtype_and_match_float32():
    x = RNG.standard_normal((2, 6, 6, 4)).astype("float32")
    full = DivisiveNormalization(window=3, sigma=0.5)
    half = DivisiveNormalization(window=3, sigma=0.5, dtype="mixed_float16")
    y = half(x.astype("float16"))
    assert y.dtype == tf.float16
    np.testing.assert_allclose(np.asarray(y, dtype="float32"), np.asarray(full(x)), atol=5e-3)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_passes_the_layer_checks(preset):
    run_layer_test(lambda: DivisiveNormalization.from_preset(preset, window=3) if preset.startswith("dn")
                   else DivisiveNormalization.from_preset(preset),
                   (4, 6, 6, 3), expected_output_shape=(4, 6, 6, 3), check_fit=PRESETS[preset].get("scale", False),
                   check_export=preset in ("bn", "dn"))


def test_learned_sigma_layer_and_activation_l1_round_trip():
    run_layer_test(lambda: DivisiveNormalization(window=(3, 5), channels=3, sigma=0.5, learn_sigma=True,
                                                 center=False, scale=False), (2, 5, 6, 7), (2, 5, 6, 7))
    run_layer_test(lambda: ActivationL1(0.01), (2, 4, 4, 3), (2, 4, 4, 3), check_fit=False, check_export=False)


@pytest.mark.parametrize("kwargs,message", [
    (dict(window=4), "window must be 'all', an odd positive int"),
    (dict(window=(3, 0)), "window must be"),
    (dict(suppression_window="none"), "suppression_window must be"),
    (dict(channels=2), "channels must be 'all', 'same', or an odd"),
    (dict(window=3, channels="same", over_batch=True), "over_batch=True is batch norm"),
    (dict(sigma=-1.0), "sigma must be a number >= 0"),
    (dict(l1_alpha="big"), "l1_alpha must be a number >= 0"),
    (dict(momentum=1.0), "momentum must be in"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DivisiveNormalization(**kwargs)


def test_bad_preset_and_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match="preset must be one of"):
        DivisiveNormalization.from_preset("gn")
    with pytest.raises(ValueError, match="rank >= 2"):
        DivisiveNormalization().build((5,))
    with pytest.raises(ValueError, match="gives 2 sizes but the input has 3 spatial axes"):
        DivisiveNormalization(window=(3, 3)).build((1, 4, 4, 4, 2))
    with pytest.raises(ValueError, match="alpha must be a number > 0"):
        ActivationL1(0)
