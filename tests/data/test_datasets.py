import numpy as np
import tensorflow_datasets as tfds

from zoo.data import datasets
from zoo.training import TrainConfig, train_classifier


def test_tfds_datasets_load_as_uint8_arrays_with_their_own_statistics():
    with tfds.testing.mock_data(num_examples=12):
        images, labels = datasets.load_classification_data("cifar10", "train")
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8 and labels.dtype == np.int64
    record = datasets.preprocessing_record("cifar10", images)
    assert record["input_shape"] == [32, 32, 3] and record["pad_to"] is None
    np.testing.assert_allclose(record["mean"], (images / 255.0).mean(axis=(0, 1, 2)), atol=1e-4)


def test_fashion_mnist_uses_the_fixed_record():
    images, labels = datasets.load_classification_data("fashion_mnist", "test")
    assert images.shape == (10000, 28, 28, 1)
    assert datasets.preprocessing_record("fashion_mnist", images)["pad_to"] == 32


def test_training_on_a_tfds_dataset(tmp_path):
    config = TrainConfig(model="resnet-32", dataset="cifar10", epochs=1, batch_size=8, steps_per_epoch=2,
                         output=str(tmp_path), model_overrides={"units": [1, 1, 1], "channels": [4, 4, 8, 8]},
                         verbose=0)
    with tfds.testing.mock_data(num_examples=16):
        record = train_classifier(config)
    assert record["builder_kwargs"]["input_shape"] == [32, 32, 3] and record["dataset"] == "cifar10"
    assert record["metrics"]["test_examples"] == 16 and (tmp_path / "resnet-32.cifar10.weights.h5").exists()
