import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.data import datasets
from zoo.reweight import sources


def _streamed_labels(source):
    pairs = source.examples().map(lambda ex: (ex["index"], ex["label"])).batch(1000)
    return {int(i): int(y) for indices, labels in pairs.as_numpy_iterator() for i, y in zip(indices, labels)}


@pytest.mark.parametrize("setup", ["uniform", "background"])
def test_the_cifar_noise_setups_take_out_the_clean_and_validation_sets_then_corrupt(setup):
    with tfds.testing.mock_data(num_examples=400):
        task = sources.noisy_cifar("cifar10", setup, noise=0.4, seed=1, validation=50, clean_per_class=3)
        true = datasets.source("cifar10", "train").labels()
        train, clean, held = (_streamed_labels(s) for s in (task.train, task.clean, task.validation))
    assert len(clean) == 30 and len(held) == 50 and len(train) == 320 == task.train.num_examples
    assert not (set(clean) & set(train) or set(clean) & set(held) or set(train) & set(held))
    assert all(true[i] == label for i, label in clean.items()), "the clean set keeps its true labels"
    assert np.bincount([true[i] for i in clean], minlength=10).tolist() == [3] * 10
    noisy = {**train, **held}
    flipped = [i for i, label in noisy.items() if label != true[i]]
    if setup == "uniform":
        assert len(flipped) == round(0.4 * 370)
    else:
        background = {noisy[i] for i in flipped}
        assert len(background) == 1 and background <= set(sources.BACKGROUND_CLASSES["cifar10"])
        assert len(flipped) == round(0.4 * sum(true[i] not in background for i in noisy))
    np.testing.assert_array_equal(task.train.labels(), [train[i] for i in sorted(train)])


def test_the_mnist_imbalance_setup_is_4_vs_9_with_binary_labels():
    with tfds.testing.mock_data(num_examples=600):
        task = sources.mnist_imbalance(ratio=0.9, size=40, seed=0)
        true = datasets.source("mnist", "train").labels()
        test_true = datasets.source("mnist", "test").labels()
        train, clean, test = (_streamed_labels(s) for s in (task.train, task.clean, task.test))
    assert task.num_classes == 2 and task.validation is None
    assert len(train) == 40 and sum(train.values()) == 36 and not set(train) & set(clean)
    assert sorted(clean.values()) == [0] * 5 + [1] * 5
    for labels, stored in ((train, true), (clean, true), (test, test_true)):
        assert all(stored[i] in (4, 9) and label == (stored[i] == 9) for i, label in labels.items())
    assert len(test) == np.isin(test_true, (4, 9)).sum()


def test_the_tasks_stream_through_the_pipeline_with_their_corrupted_labels():
    with tfds.testing.mock_data(num_examples=300):
        task = sources.noisy_cifar("cifar10", "uniform", seed=0, validation=20, clean_per_class=2)
        corrupted = task.train.labels()
        ds = datasets.make_dataset(task.dataset, "train", 16, training=False, source_override=task.train,
                                   with_index=True)
        indices = task.train.indices()
        for _, labels, index in ds.take(3):
            np.testing.assert_array_equal(labels, corrupted[np.searchsorted(indices, index.numpy())])


def test_unknown_setups_are_refused():
    with pytest.raises(ValueError, match="cifar10"):
        sources.noisy_cifar("svhn")
    with pytest.raises(ValueError, match="uniform"):
        sources.noisy_cifar("cifar10", "pairflip")
    with pytest.raises(ValueError, match="MNIST"):
        sources.paper_task("imbalance", "cifar10")
