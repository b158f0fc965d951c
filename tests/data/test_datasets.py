import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.data import datasets, sources
from zoo.training import TrainConfig, train_classifier


def test_tfds_datasets_load_as_uint8_arrays():
    with tfds.testing.mock_data(num_examples=12):
        images, labels = datasets.load_classification_data("cifar10", "train")
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8 and labels.dtype == np.int64


@pytest.mark.parametrize("name, shape, pad_to, classes", [
    ("mnist", [28, 28, 1], 32, 10), ("cifar10", [32, 32, 3], None, 10), ("cifar100", [32, 32, 3], None, 100),
    ("imagenet2012", [224, 224, 3], None, 1000),
])
def test_the_papers_data_sets_have_their_records_and_transforms(name, shape, pad_to, classes):
    record, spec = datasets.preprocessing_record(name), datasets.spec(name)
    assert record["input_shape"] == shape and record["pad_to"] == pad_to and spec.num_classes == classes
    assert len(record["mean"]) == len(record["std"]) == shape[-1]
    assert spec.train_transform == {"mnist": "none", "imagenet2012": "imagenet_train"}.get(name, "cifar")


def test_other_tfds_data_sets_get_statistics_measured_as_they_stream():
    with tfds.testing.mock_data(num_examples=20):
        source = datasets.source("svhn_cropped", "train")
        images, _ = source.arrays()
        record = datasets.preprocessing_record("svhn_cropped")
    assert isinstance(source, sources.TfdsSource) and record["input_shape"] == [32, 32, 3]
    np.testing.assert_allclose(record["mean"], (images / 255.0).mean(axis=(0, 1, 2)), atol=1e-4)
    np.testing.assert_allclose(record["std"], (images / 255.0).std(axis=(0, 1, 2)), atol=1e-4)
    assert datasets.preprocessing_record("svhn_cropped", images) == record


def test_fashion_mnist_uses_the_fixed_record():
    images, labels = datasets.load_classification_data("fashion_mnist", "test")
    assert images.shape == (10000, 28, 28, 1)
    assert datasets.preprocessing_record("fashion_mnist", images)["pad_to"] == 32
    assert isinstance(datasets.source("fashion_mnist", "test"), sources.ArraySource)


def test_training_on_a_tfds_dataset(tmp_path):
    config = TrainConfig(model="resnet-32", dataset="cifar10", epochs=1, batch_size=8, steps_per_epoch=2,
                         output=str(tmp_path), model_overrides={"units": [1, 1, 1], "channels": [4, 4, 8, 8]},
                         verbose=0)
    with tfds.testing.mock_data(num_examples=16):
        record = train_classifier(config)
    assert record["builder_kwargs"]["input_shape"] == [32, 32, 3] and record["dataset"] == "cifar10"
    assert record["metrics"]["test_examples"] == 16 and (tmp_path / "resnet-32.cifar10.weights.h5").exists()
