"""The reconstructing backward pass against plain autodiff through the same layers and weights."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.layers import RevStack
from zoo.revnet import benchmark, reversible
from zoo.revnet.network import build_revnet

# two stages: a RevBlock (stride / width change) and a RevStack of 2 reversible units each
TINY = {False: dict(units=(3, 3), channels=(8, 8, 16)), True: dict(units=(3, 3), channels=(8, 8, 8))}


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


def _angle_degrees(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return np.degrees(2 * np.arctan2(np.linalg.norm(a - b), np.linalg.norm(a + b)))


@pytest.mark.parametrize("floatx", ["float64", "float32"], indirect=True)
@pytest.mark.parametrize("bottleneck", [False, True], ids=["basic", "bottleneck"])
def test_reconstructed_gradients_equal_autodiff_eager_and_in_tf_function(floatx, bottleneck, block_gradient_calls):
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
            if floatx == "float64":
                error = np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b))
                assert error <= 1e-4, (name, error)
            else:
                assert _angle_degrees(a, b) <= 1.0, (name, _angle_degrees(a, b))
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
