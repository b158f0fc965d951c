import numpy as np
import pytest

import zoo
from zoo import registry


def test_list_models_with_patterns():
    assert {"resnet-32", "resnet-110", "resnet-164"} <= set(zoo.list_models())
    assert zoo.list_models("resnet-1*") == ["resnet-110", "resnet-164"]
    assert zoo.list_models("nothing*") == []


def test_unknown_name_lists_closest_matches():
    with pytest.raises(ValueError, match="resnet-32") as info:
        zoo.load("resnet-23")
    assert "list_models" in str(info.value)
    with pytest.raises(ValueError, match="resnet-32"):
        zoo.model_info("resnet32")


def test_duplicate_and_dotted_registration_is_rejected():
    with pytest.raises(ValueError, match="already registered"):
        registry.register_model("resnet-32", family="x", paper="y")(lambda: None)
    with pytest.raises(ValueError, match="'.'"):
        registry.register_model("a.b", family="x", paper="y")(lambda: None)


def test_architecture_without_weights(tiny_zoo):
    info = zoo.model_info("resnet-110")
    assert info["family"] == "resnet" and info["paper"] == "arXiv:1707.04585" and info["weights"] == []
    with pytest.raises(ValueError, match="pretrained=False"):
        zoo.load("resnet-110")


def test_pretrained_listing_info_and_load(tiny_zoo):
    assert zoo.list_models("resnet-32*", pretrained=True) == ["resnet-32.tiny"]
    info = zoo.model_info("resnet-32.tiny")
    assert info["weights"] == ["resnet-32.tiny"]
    record = info["weight"]
    for field in ("file", "sha256", "size_bytes", "builder_kwargs", "dataset", "split", "preprocessing", "metrics",
                  "command", "versions", "license", "golden"):
        assert field in record, field
    by_tag, by_arch = zoo.load("resnet-32.tiny"), zoo.load("resnet-32")
    for a, b in zip(by_tag.weights, by_arch.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_overrides_that_change_the_weights_shapes_are_rejected(tiny_zoo):
    with pytest.raises(ValueError, match=r"units=\(2, 1, 1\).*pretrained=False"):
        zoo.load("resnet-32.tiny", units=(2, 1, 1))
    model = zoo.load("resnet-32.tiny", units=(1, 1, 1))  # same as recorded, given as a tuple
    assert model.output_shape == (None, 10)
    larger = zoo.load("resnet-32.tiny", input_shape=(48, 48, 1))  # leaves the weights' shapes alone
    assert larger.input_shape == (None, 48, 48, 1)
    with pytest.raises(ValueError, match="unknown model"):
        zoo.load("resnet-32.imagenet")


def test_listing_and_describing_models_imports_no_tensorflow():
    import subprocess
    import sys

    script = ("import sys, zoo; zoo.list_models(); zoo.list_models(pretrained=True); zoo.model_info('resnet-32'); "
              "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_architecture_with_several_weights_declares_its_default():
    from zoo import weights

    for architecture in zoo.list_models():
        tags = [w for w in weights.load_manifest() if w.split(".")[0] == architecture]
        if len(tags) > 1:
            assert registry.default_weight(architecture) in tags, architecture
    assert registry.default_weight("reweight-lenet") == "reweight-lenet.fashion_mnist_uniform40_reweight"


def test_several_weights_without_a_default_is_a_clear_error(monkeypatch):
    import dataclasses

    spec = registry.get_model_spec("reweight-lenet")
    monkeypatch.setitem(registry._MODELS, "reweight-lenet", dataclasses.replace(spec, default_weight=None))
    with pytest.raises(ValueError, match="several weights and declares no default.*uniform40_plain"):
        zoo.load("reweight-lenet")
