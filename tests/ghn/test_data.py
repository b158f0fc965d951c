import tensorflow_datasets as tfds

from zoo.data import datasets
from zoo.ghn import data


def test_the_validation_split_is_held_out_of_the_cifar10_training_split():
    assert data.VALIDATION == 5000
    with tfds.testing.mock_data(num_examples=60):
        splits = data.paper_splits(validation=20, seed=3)
        train, held = (set(splits[k].indices()) for k in ("train", "validation"))
        streamed = {int(ex["index"]) for ex in splits["validation"].examples()}
        batch = next(iter(datasets.make_dataset("cifar10", "train", 8, True, source_override=splits["train"])))
        again = set(data.paper_splits(validation=20, seed=3)["validation"].indices())
        test_size = splits["test"].split_size
    assert len(held) == 20 and len(train) == 40 and not train & held and streamed == held == again
    assert test_size == 60 and batch[0].shape == (8, 32, 32, 3)
