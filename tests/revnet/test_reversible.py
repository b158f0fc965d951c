"""The reconstructing backward pass against plain autodiff through the same layers and weights."""
import importlib.util

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.layers import RevStack
from zoo.revnet import benchmark, reversible
from zoo.revnet.network import build_revnet

# two stages: a RevBlock (stride / width change) and a RevStack of 2 reversible units each
TINY = {False: dict(units=(3, 3), channels=(8, 8, 16)), True: dict(units=(3, 3), channels=(8, 8, 8))}

# The largest relative error ‖reconstructed − autodiff‖ / ‖autodiff‖ of any gradient (the input's or a weight's),
# measured over seeds 0-31 x {basic, bottleneck} x {eager, tf.function} with this test's networks and batch (CPU,
# TensorFlow 2.21): float32 1.10e-5, float64 1.74e-14. The tolerances are about 3x that.
GRADIENT_TOLERANCE = {"float32": 3.5e-5, "float64": 5e-14}


@pytest.fixture
def floatx(request):
    # the global dtype policy is fixed once a layer exists, so set it along with floatx
    previous = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(request.param)
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_floatx(previous[0])
    keras.config.set_dtype_policy(previous[1])


@pytest.fixture
def block_gradient_calls(monkeypatch):
    calls = []
    original = reversible._block_gradients

    def counted(block, *args):
        calls.append(block.name)
        return original(block, *args)

    monkeypatch.setattr(reversible, "_block_gradients", counted)
    return calls


def _twins(bottleneck, count):
    """``count`` copies of a tiny 2-stage RevNet with equal weights: the first without reconstruction."""
    models = [build_revnet(bottleneck=bottleneck, input_shape=(8, 8, 3), num_classes=5, weight_decay=1e-3,
                           reconstruct=i > 0, **TINY[bottleneck]) for i in range(count)]
    for model in models[1:]:
        model.set_weights(models[0].get_weights())
    return models


def _loss_gradients(model, x, y):
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        loss += tf.add_n(model.losses)
    return tape.gradient(loss, [x, *model.trainable_variables])


def _relative_error(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture
def no_tensor_float_32():
    """Full float32 matmuls and convolutions on GPUs too (TF32 would dominate the error being measured)."""
    previous = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    yield
    tf.config.experimental.enable_tensor_float_32_execution(previous)


@pytest.mark.parametrize("floatx", ["float64", "float32"], indirect=True)
@pytest.mark.parametrize("bottleneck", [False, True], ids=["basic", "bottleneck"])
def test_reconstructed_gradients_equal_autodiff_eager_and_in_tf_function(floatx, bottleneck, block_gradient_calls,
                                                                         no_tensor_float_32):
    keras.utils.set_random_seed(0)
    plain, eager, graph = _twins(bottleneck, 3)
    assert {w.dtype for w in plain.weights} == {floatx}
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((6, 8, 8, 3)), floatx)
    y = tf.constant(rng.integers(0, 5, 6))
    expected = _loss_gradients(plain, x, y)
    reversible_blocks = 2 * 2 + (not bottleneck)  # 2 per RevStack, plus the invertible first unit of a basic net
    for model, compute in ((eager, _loss_gradients), (graph, tf.function(_loss_gradients))):
        del block_gradient_calls[:]
        got = compute(model, x, y)
        assert len(block_gradient_calls) == reversible_blocks, "the reconstructing gradient was not used"
        assert len(got) == len(expected) == 1 + len(model.trainable_variables)
        for name, a, b in zip(["input"] + [v.path for v in model.trainable_variables], got, expected):
            assert a is not None and np.any(np.asarray(b)), name
            assert _relative_error(a, b) <= GRADIENT_TOLERANCE[floatx], (name, _relative_error(a, b))
        # batch norm: moving statistics updated exactly once per step, as on the plain path
        for moving, reference in zip(model.non_trainable_weights, plain.non_trainable_weights):
            np.testing.assert_allclose(np.asarray(moving), np.asarray(reference), rtol=1e-6, atol=1e-7,
                                       err_msg=moving.path)
    assert any(np.any(np.asarray(v) != 0) for v in plain.non_trainable_weights if "moving_mean" in v.path)


def test_stack_inverse_reconstructs_its_inputs():
    keras.utils.set_random_seed(0)  # unseeded initialisations gave relative errors up to ~1e-5 in float32
    stack = RevStack(6, 16)
    x = tf.constant(np.random.default_rng(1).standard_normal((4, 6, 6, 16)), tf.float32)
    for training in (True, False):
        before = [np.asarray(v) for v in stack.non_trainable_weights] if stack.built else None
        restored = np.asarray(stack.inverse(stack(x, training=training), training=training))
        assert np.max(np.abs(restored - x)) < 1e-4, training
        assert np.linalg.norm(restored - x) / np.linalg.norm(x) < 2e-5, training
        if before is not None:  # the inverse does not touch the moving statistics
            stats = [np.asarray(v) for v in stack.non_trainable_weights]
            assert all(np.array_equal(a, b) for a, b in zip(before, stats))


def test_reconstruction_error_of_a_scaled_down_revnet_164():
    model = build_revnet(units=(3, 3, 3), channels=(8, 8, 16, 16), bottleneck=True)
    images = np.random.default_rng(2).standard_normal((8, 32, 32, 3)).astype("float32")
    errors = benchmark.reconstruction_errors(model, images)
    assert list(errors) == ["stage1_reversible", "stage2_reversible", "stage3_reversible"]
    for stack, error in errors.items():
        assert error["relative"] < 1e-5 and error["max_abs"] < 1e-4, (stack, error)
    with pytest.raises(ValueError, match="RevStack"):
        benchmark.reconstruction_errors(build_revnet(units=(1,), channels=(8, 8), bottleneck=False), images)


def _eager_peak_mib(num_blocks, reconstruct):
    stack = RevStack(num_blocks, 16, reconstruct=reconstruct)
    x = tf.constant(np.random.default_rng(3).standard_normal((8, 32, 32, 16)), tf.float32)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(stack(x, training=True) ** 2)
        return tape.gradient(loss, stack.trainable_variables)

    step()
    tf.config.experimental.reset_memory_stats("CPU:0")
    base = tf.config.experimental.get_memory_info("CPU:0")["current"]
    step()
    return (tf.config.experimental.get_memory_info("CPU:0")["peak"] - base) / 2**20


def test_activation_memory_does_not_grow_with_depth():
    reversible_peaks = [_eager_peak_mib(n, True) for n in (2, 8)]
    plain_peaks = [_eager_peak_mib(n, False) for n in (2, 8)]
    # 6 more units: plain autodiff stores their activations (~5 MiB each); reconstruction stores none of them
    assert plain_peaks[1] - plain_peaks[0] >= 20, plain_peaks
    assert reversible_peaks[1] - reversible_peaks[0] <= 0.1 * (plain_peaks[1] - plain_peaks[0]), (
        reversible_peaks, plain_peaks)


def test_the_private_tensorflow_api_it_relies_on_is_still_there():
    """reversible.py keeps its forward pass off the tape with tensorflow.python.eager.record.stop_recording, a
    private API: when TensorFlow moves it or changes what it does, this test says so in plain words."""
    try:
        from tensorflow.python.eager import record
        stop_recording = record.stop_recording
    except (ImportError, AttributeError) as error:
        pytest.fail(f"TensorFlow {tf.__version__} moved tensorflow.python.eager.record.stop_recording, which "
                    f"zoo/revnet/reversible.py imports to keep the forward pass off the tape ({error}); find where "
                    "tf.recompute_grad now does that and update the import")
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with stop_recording():
            hidden = x * x
        seen = x * 2.0
    assert tape.gradient(hidden, x) is None, (f"in TensorFlow {tf.__version__} record.stop_recording() no longer "
                                              "keeps operations off the tape; zoo/revnet/reversible.py relies on it")
    assert float(tape.gradient(seen, x)) == 2.0


def test_a_moved_private_api_is_a_clear_import_error(monkeypatch):
    from tensorflow.python.eager import record
    monkeypatch.delattr(record, "stop_recording")
    spec = importlib.util.spec_from_file_location("reversible_without_record", reversible.__file__)
    with pytest.raises(ImportError, match="tensorflow.python.eager.record.stop_recording, a private TensorFlow API"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
