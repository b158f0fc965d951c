import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import export
from zoo.data import load_sample, preprocessing


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = zoo.load("resnet-32", pretrained=False, input_shape=(32, 32, 1), units=(1, 1, 1), channels=(4, 4, 8, 8))
    directory = export.export_saved_model(model, tmp_path_factory.mktemp("export") / "model",
                                          preprocessing=preprocessing.FASHION_MNIST)
    return model, directory


def test_fresh_process_serves_raw_uint8_images_like_the_model(exported):
    model, directory = exported
    images = load_sample()[0][:5, ..., None]
    expected = tf.nn.softmax(model(preprocessing.preprocess(images), training=False)).numpy()
    served = export.run_in_fresh_process(directory, images)
    np.testing.assert_allclose(served, expected, atol=1e-6)
    np.testing.assert_allclose(served.sum(axis=1), 1.0, atol=1e-5)


def test_saved_model_cli_lists_the_serving_signature(exported):
    text = export.saved_model_cli_show(exported[1])
    assert "inputs['images']" in text and "DT_UINT8" in text and "(-1, 28, 28, 1)" in text
    assert "outputs['probabilities']" in text and "(-1, 10)" in text


def test_export_without_preprocessing_takes_model_inputs(tmp_path):
    model = zoo.load("resnet-32", pretrained=False, input_shape=(16, 16, 3), units=(1, 1, 1), num_classes=4)
    directory = export.export_saved_model(model, tmp_path / "plain")
    x = np.random.default_rng(0).standard_normal((2, 16, 16, 3)).astype(np.float32)
    served = tf.saved_model.load(str(directory)).signatures["serving_default"](images=tf.constant(x))
    np.testing.assert_allclose(served["probabilities"].numpy(), tf.nn.softmax(model(x)).numpy(), atol=1e-6)


def test_refuses_to_overwrite(exported):
    with pytest.raises(ValueError, match="already holds a SavedModel"):
        export.export_saved_model(exported[0], exported[1])


def test_served_model_checks_height_width_channels_and_rank(exported):
    served = tf.saved_model.load(str(exported[1])).signatures["serving_default"]
    for bad in (np.zeros((1, 100, 100, 1), np.uint8), np.zeros((1, 28, 28, 3), np.uint8), np.zeros((28, 28, 1),
                                                                                                      np.uint8)):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be uint8 images of shape "
                                                                 r"\(N, 28, 28, 1\); got shape"):
            served(images=tf.constant(bad))
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError), match="uint8"):
        served(images=tf.zeros((1, 28, 28, 1), tf.float32))
