import keras
import numpy as np
import pytest

import zoo
from zoo.resnet.layers import PreActResidualUnit

# Paper Table 2 (arXiv:1707.04585): parameters in millions on CIFAR-10 / CIFAR-100.
PAPER_PARAMS = {"resnet-32": (0.46, 0.47), "resnet-110": (1.73, 1.73), "resnet-164": (1.70, 1.73)}
DEPTH = {"resnet-32": 32, "resnet-110": 110, "resnet-164": 164}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_parameter_counts_match_the_paper(name):
    for num_classes, paper in zip((10, 100), PAPER_PARAMS[name]):
        model = zoo.load(name, pretrained=False, num_classes=num_classes)
        assert _trainable(model) / 1e6 == pytest.approx(paper, rel=0.02), (name, num_classes)


@pytest.mark.parametrize("name", sorted(DEPTH))
def test_depth_counts_convolutions_and_classifier(name):
    model = zoo.load(name, pretrained=False)
    units = [layer for layer in model.layers if isinstance(layer, PreActResidualUnit)]
    convs = 1 + sum(len(unit.convs) for unit in units)  # stem + residual convs (projections not counted)
    assert convs + 1 == DEPTH[name]


def test_forward_shapes_and_downsampling():
    model = zoo.load("resnet-32", pretrained=False, input_shape=(32, 32, 1), num_classes=7)
    assert model.output_shape == (None, 7)
    shapes = [layer.output.shape[1:] for layer in model.layers if isinstance(layer, PreActResidualUnit)]
    assert shapes[0] == (32, 32, 16) and shapes[5] == (16, 16, 32) and shapes[-1] == (8, 8, 64)
    x = np.zeros((3, 32, 32, 1), "float32")
    assert model(x).shape == (3, 7)


def test_scaled_down_overrides_and_bad_config():
    model = zoo.load("resnet-32", pretrained=False, units=[1, 1, 1], channels=[4, 4, 8, 8])
    assert len([l for l in model.layers if isinstance(l, PreActResidualUnit)]) == 3
    with pytest.raises(ValueError, match="channels"):
        zoo.load("resnet-32", pretrained=False, channels=[16, 16])


def test_keras_file_round_trip(tmp_path):
    model = zoo.load("resnet-32", pretrained=False, units=[1, 1, 1], input_shape=(16, 16, 1))
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
