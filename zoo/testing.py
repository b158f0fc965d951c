"""Shared checks for zoo layers, used by every paper's tests (the zoo's ``run_layer_test``)."""
import os
import tempfile

import keras
import numpy as np


def run_layer_test(layer_factory, input_shape, expected_output_shape=None, seed=0, atol=1e-5, check_fit=True,
                   check_export=True, check_config=True):
    """Check a layer the way a user will use it; raise ``AssertionError`` on the first failure.

    Builds ``layer_factory()`` into a functional model on inputs of ``input_shape`` (batch first), and checks:
    the output shape; that ``get_config``/``from_config`` gives an equal config; a ``.keras`` save/load round
    trip (in safe mode) with equal outputs; one ``fit`` step that changes the trainable weights; and a
    SavedModel export whose ``serve`` endpoint reproduces the outputs.

    Args:
        layer_factory: zero-argument callable returning a fresh layer.
        input_shape: full input shape including the batch size.
        expected_output_shape: full output shape, or None to skip that check.
        seed: seed of the random inputs.
        atol: tolerance for output comparisons.
        check_fit: run the fit check (the layer must have trainable weights and a differentiable output).
        check_export: run the SavedModel export check.
        check_config: check ``from_config(get_config())``; off for wrappers such as ``keras.layers.RNN``, whose
            config gains its ``cell`` entry only after a round trip (test the wrapped layer's config instead).

    Returns:
        The model's outputs on the random inputs.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape).astype("float32")
    layer = layer_factory()
    config = layer.get_config()
    if check_config:
        rebuilt = type(layer).from_config(config)
        assert rebuilt.get_config() == config, f"from_config(get_config()) changed the config of {type(layer).__name__}"

    inputs = keras.Input(input_shape[1:], batch_size=None)
    model = keras.Model(inputs, layer(inputs))
    y = np.asarray(model(x, training=False))
    if expected_output_shape is not None:
        assert y.shape == tuple(expected_output_shape), f"output shape {y.shape} != {tuple(expected_output_shape)}"
        symbolic = tuple(layer.compute_output_shape((None, *input_shape[1:])))
        assert symbolic[1:] == tuple(expected_output_shape)[1:], f"compute_output_shape gave {symbolic}"

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_allclose(np.asarray(loaded(x, training=False)), y, atol=atol,
                                   err_msg=".keras round trip changed the outputs")
        if check_export:
            export_dir = os.path.join(tmp, "export")
            model.export(export_dir, verbose=False)
            import tensorflow as tf

            reloaded = tf.saved_model.load(export_dir)  # keep a reference: it owns the variables
            served = reloaded.serve(tf.constant(x))
            np.testing.assert_allclose(np.asarray(served), y, atol=atol, err_msg="SavedModel export changed outputs")

    if check_fit:
        before = [np.array(w) for w in model.trainable_weights]
        assert before, f"{type(layer).__name__} has no trainable weights to fit"
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.fit(x, rng.standard_normal(y.shape).astype("float32"), epochs=1, batch_size=len(x), verbose=0)
        changed = [not np.array_equal(b, np.array(w)) for b, w in zip(before, model.trainable_weights)]
        assert any(changed), "one fit step changed no trainable weight"
    return y
