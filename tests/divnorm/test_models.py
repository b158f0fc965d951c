"""The registered CIFAR-quick variants and ResNet-32-DN: structure, parameter counts, serialisation."""
import os

import keras
import numpy as np
import pytest

import zoo
from zoo.divnorm.layers import ActivationL1, DivisiveNormalization
from zoo.divnorm.models import NORMALIZERS
from zoo.divnorm.network import build_cifar_quick
from zoo.export import export_saved_model

CIFAR_QUICK_PARAMS = 145_578  # Caffe's cifar10_quick on 32x32x3: 2432 + 25632 + 51264 + 65600 + 650


def test_every_variant_is_registered():
    expected = {"cifar-quick" + (f"-{s}" if s else "") for s in NORMALIZERS} | {"resnet-32-dn"}
    assert expected <= set(zoo.list_models())


def test_baseline_has_the_caffe_models_parameter_count():
    assert zoo.load("cifar-quick", pretrained=False).count_params() == CIFAR_QUICK_PARAMS


@pytest.mark.parametrize("suffix", [s for s in NORMALIZERS if s])
def test_a_normaliser_precedes_each_convolutional_relu(suffix):
    model = zoo.load(f"cifar-quick-{suffix}", pretrained=False, input_shape=(32, 32, 1))
    names = [layer.name for layer in model.layers]
    for i in (1, 2, 3):
        assert names.index(f"norm{i}") == names.index(f"conv{i}") + 1 == names.index(f"relu{i}") - 1
    norms = [model.get_layer(f"norm{i}") for i in (1, 2, 3)]
    if suffix == "l1":
        assert all(isinstance(n, ActivationL1) for n in norms)
    elif suffix.startswith("dn"):
        assert [n.window for n in norms] == [5, 3, 3]
    logits = model(np.zeros((2, 32, 32, 1), "float32"))
    assert logits.shape == (2, 10)


def test_l1_variants_add_one_penalty_per_normaliser():
    model = zoo.load("cifar-quick-dn-star", pretrained=False)
    model(np.random.default_rng(0).standard_normal((2, 32, 32, 3)).astype("float32"))
    assert len(model.losses) == 3


def test_resnet_32_dn_uses_dn_with_learnable_sigma_everywhere():
    model = zoo.load("resnet-32-dn", pretrained=False, input_shape=(32, 32, 1))
    norms = [layer for layer in _all_layers(model) if isinstance(layer, DivisiveNormalization) and layer.built]
    assert len(norms) == 1 + 15 * 2 - 1 + 1  # stem, two per unit but one in the first (the stem activates its
    # input), and the final one before pooling
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in _all_layers(model))
    assert {n.window for n in norms} == {7, 5}
    assert all(n.learn_sigma and n.sigma == 0.5 for n in norms)
    resnet = zoo.load("resnet-32", pretrained=False, input_shape=(32, 32, 1))
    assert model.count_params() - resnet.count_params() < 100  # DN has no moving statistics; sigma scalars


def test_resnet_32_dn_keras_round_trip_and_export(tmp_path):
    model = zoo.load("resnet-32-dn", pretrained=False, input_shape=(16, 16, 1), units=(1, 1, 1),
                     channels=(4, 4, 8, 8))
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 1)).astype("float32")
    expected = np.asarray(model(x, training=False))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), expected, atol=1e-5)
    export_saved_model(model, os.fspath(tmp_path / "export"))
    assert (tmp_path / "export" / "saved_model.pb").exists()


def test_bad_builder_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="normalizer must be None or one of"):
        build_cifar_quick("gn")
    with pytest.raises(ValueError, match="one DN window per convolution"):
        build_cifar_quick("dn", windows=(5, 3))
    with pytest.raises(ValueError, match="stem's and each stage's DN window"):
        zoo.load("resnet-32-dn", pretrained=False, windows=(7, 5))


def _all_layers(model):
    for layer in model.layers:
        yield layer
        yield from getattr(layer, "norms", [])
