"""What zoo.load does beyond loading weights: a new head over the pretrained backbone, features without the head,
the weight's preprocessing inside the model."""
import importlib

import keras
import numpy as np
import pytest

import zoo
from zoo.data import load_sample, preprocessing


def test_num_classes_keeps_the_backbone_bit_for_bit_and_starts_a_new_head(tiny_zoo):
    pretrained = zoo.load("resnet-32.tiny")
    transferred = zoo.load("resnet-32.tiny", num_classes=3)
    assert transferred.output_shape == (None, 3)
    for layer in pretrained.layers:
        if layer.weights and layer.name != "logits":
            for a, b in zip(layer.get_weights(), transferred.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b)
    head = transferred.get_layer("logits").get_weights()[0]
    assert head.shape == (8, 3) and not np.allclose(head, 0)
    same = zoo.load("resnet-32.tiny", num_classes=10)  # the weights' own count: no new head
    np.testing.assert_array_equal(same.get_layer("logits").get_weights()[0],
                                  pretrained.get_layer("logits").get_weights()[0])
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        zoo.load("resnet-32.tiny", num_classes=0)


def test_a_transferred_model_trains(tiny_zoo):
    model = zoo.load("resnet-32.tiny", num_classes=2)
    images, labels, _ = load_sample()
    x = preprocessing.preprocess(images[:16], tiny_zoo.preprocessing)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, labels[:16] % 2, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_features_only_gives_the_pooled_features(tiny_zoo):
    full = zoo.load("resnet-32.tiny")
    features = zoo.load("resnet-32.tiny", include_top=False)
    x = preprocessing.preprocess(load_sample()[0][:4], tiny_zoo.preprocessing)
    pooled = features(x)
    assert pooled.shape == (4, 8)
    np.testing.assert_allclose(full.get_layer("logits")(pooled), full(x), rtol=1e-5, atol=1e-5)
    assert zoo.load("resnet-32", pretrained=False, include_top=False, units=(1, 1, 1)).output_shape == (None, 64)


def test_features_only_of_the_few_shot_model_is_its_embedding():
    embedding = zoo.load("protonet-conv4.glyphs", include_top=False)
    assert embedding.output_shape == (None, 64)
    with pytest.raises(ValueError, match="no classifier head"):
        zoo.load("recattend.fmnist_scenes", include_top=False)


def test_include_preprocessing_takes_raw_images_and_survives_a_keras_round_trip(tiny_zoo, tmp_path):
    raw_model = zoo.load("resnet-32.tiny", include_preprocessing=True)
    images = load_sample()[0][:4, ..., None]
    expected = zoo.load("resnet-32.tiny")(preprocessing.preprocess(images, tiny_zoo.preprocessing))
    np.testing.assert_allclose(raw_model(images), expected, rtol=1e-5, atol=1e-5)
    zoo.layers.register_all()  # the zoo's classes, for .keras loading
    raw_model.save(tmp_path / "raw.keras")
    reloaded = keras.saving.load_model(tmp_path / "raw.keras")
    np.testing.assert_allclose(reloaded(images), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pretrained=True"):
        zoo.load("resnet-32", pretrained=False, include_preprocessing=True)


def test_options_that_leave_the_weights_alone_are_accepted():
    model = zoo.load("sbnet-segnet.fashion_mnist_scenes", impl="tf")
    assert model.impl == "tf"
