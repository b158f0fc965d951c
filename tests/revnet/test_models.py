import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import export_saved_model, run_in_fresh_process
from zoo.layers import RevBlock, RevStack
from zoo.revnet.network import build_revnet

# Paper Table 2 (arXiv:1707.04585): parameters in millions, CIFAR-10 for the CIFAR nets, ImageNet for RevNet-104.
PAPER_PARAMS = {"revnet-38": (10, 0.46), "revnet-110": (10, 1.73), "revnet-164": (10, 1.75), "revnet-104": (1000, 45.2)}
DEPTH = {"revnet-38": 38, "revnet-110": 110, "revnet-164": 164, "revnet-104": 104}
TINY = dict(units=[2, 2, 2], channels=[4, 4, 8, 8], input_shape=(16, 16, 1))


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _blocks(model):
    """Every reversible unit of ``model``, in order."""
    blocks = []
    for layer in model.layers:
        blocks += [layer] if isinstance(layer, RevBlock) else layer.blocks if isinstance(layer, RevStack) else []
    return blocks


@pytest.fixture(scope="module")
def paper_models():
    return {name: zoo.load(name, pretrained=False) for name in PAPER_PARAMS}


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_parameter_counts_match_the_paper(paper_models, name):
    num_classes, paper = PAPER_PARAMS[name]
    model = paper_models[name]
    assert model.output_shape == (None, num_classes)
    assert _trainable(model) / 1e6 == pytest.approx(paper, rel=0.03)


@pytest.mark.parametrize("name", sorted(DEPTH))
def test_depth_counts_residual_convolutions_stem_and_classifier(paper_models, name):
    blocks = _blocks(paper_models[name])
    convs = sum(len(block.f.convs) + len(block.g.convs) for block in blocks)  # projections not counted
    assert 1 + convs + 1 == DEPTH[name]
    assert [block.invertible for block in blocks].count(False) == 3 + (name == "revnet-104") - (name in (
        "revnet-38", "revnet-110"))  # the first unit of each stage changes width or stride (stage 1 of basic nets not)


def test_stage_shapes_and_layer_layout(paper_models):
    model = paper_models["revnet-104"]
    outputs = {layer.name: layer.output.shape[1:] for layer in model.layers}
    assert outputs["stem_pool"] == (56, 56, 128)
    assert outputs["stage1_reversible"] == (56, 56, 512) and outputs["stage4_reversible"] == (7, 7, 3328)
    model = zoo.load("revnet-38", pretrained=False, input_shape=(32, 32, 1), num_classes=7)
    outputs = {layer.name: layer.output.shape[1:] for layer in model.layers}
    assert outputs["stage1_unit1"] == (32, 32, 32) and outputs["stage2_unit1"] == (16, 16, 64)
    assert outputs["stage3_reversible"] == (8, 8, 112) and model.output_shape == (None, 7)
    assert zoo.list_models("revnet*") == ["revnet-104", "revnet-110", "revnet-164", "revnet-38"]
    assert zoo.model_info("revnet-164")["paper"] == "arXiv:1707.04585"


def test_weight_decay_on_every_kernel():
    model = zoo.load("revnet-164", pretrained=False, **TINY, weight_decay=1e-3)
    kernels = [w for w in model.trainable_weights if w.path.endswith("kernel")]
    assert len(model.losses) == len(kernels) == 1 + 2 * 3 * 3 * 2 + 2 * 3 + 1  # stem, F/G convs, projections, FC
    for kernel in kernels:
        kernel.assign(np.ones(kernel.shape, "float32"))
    expected = sum(1e-3 / 2 * np.prod(k.shape) for k in kernels)  # gradient weight_decay * w
    np.testing.assert_allclose(float(sum(model.losses)), expected, rtol=1e-5)


def test_trains_under_model_fit_with_a_mirrored_strategy():
    # one replica in this process (logical devices cannot be added once TensorFlow runs); the custom gradient
    # still receives mirrored variables and runs in a replica context
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        model = zoo.load("revnet-38", pretrained=False, **TINY)
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    before = [np.array(w) for w in model.weights]
    history = model.fit(rng.standard_normal((8, 16, 16, 1)), rng.integers(0, 10, 8), batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.array_equal(b, np.array(w)) for b, w in zip(before, model.weights)), "a weight did not change"


def test_keras_round_trip_and_saved_model_in_a_fresh_process(tmp_path):
    model = zoo.load("revnet-38", pretrained=False, **TINY)
    x = np.random.default_rng(1).standard_normal((3, 16, 16, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    assert loaded.get_layer("stage1_reversible").get_config() == model.get_layer("stage1_reversible").get_config()
    export_saved_model(model, tmp_path / "export")
    served = run_in_fresh_process(tmp_path / "export", x)
    np.testing.assert_allclose(served, np.asarray(keras.ops.softmax(model(x, training=False))), atol=1e-5)


def test_reconstruct_switch_keeps_the_same_weights():
    on = zoo.load("revnet-110", pretrained=False, **TINY)
    off = zoo.load("revnet-110", pretrained=False, **TINY, reconstruct=False)
    assert [w.path for w in on.weights] == [w.path for w in off.weights]
    assert {layer.reconstruct for layer in off.layers if isinstance(layer, (RevBlock, RevStack))} == {False}


@pytest.mark.parametrize("overrides, match", [
    (dict(channels=[32, 32]), "channels"),
    (dict(units=[3, 0, 3]), "units"),
    (dict(num_classes=0), "num_classes"),
    (dict(stem="mnist"), "stem"),
    (dict(reconstruct="no"), "reconstruct"),
    (dict(channels=[32, 31, 64, 112]), "filters"),
])
def test_bad_arguments(overrides, match):
    with pytest.raises(ValueError, match=match):
        zoo.load("revnet-38", pretrained=False, **overrides)
    with pytest.raises(ValueError, match="revnet-38"):
        zoo.load("revnet-39", pretrained=False)


def test_builder_defaults_are_the_papers():
    model = build_revnet(units=(1,), channels=(8, 8), bottleneck=False)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
    assert model.get_layer("stage1_unit1").weight_decay == 2e-4
    assert zoo.load("revnet-104", pretrained=False, units=[1, 1, 1, 1], channels=[8, 8, 8, 8, 8],
                    input_shape=(32, 32, 3)).get_layer("stage1_unit1").weight_decay == 1e-4
