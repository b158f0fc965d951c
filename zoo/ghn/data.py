"""The paper's data (Zhang, Ren & Urtasun 2019, §5.1): CIFAR-10 with 5,000 training images held out as the
validation set that GHN-generated weights are ranked on, as streaming sources (:mod:`zoo.data.sources`)."""
from zoo.data import datasets

VALIDATION = 5000
"""Training images held out for validation (the paper's)."""


def paper_splits(dataset="cifar10", validation=VALIDATION, seed=0, data_dir=None, download=False):
    """``{"train", "validation", "test"}`` sources of ``dataset``: ``validation`` training images chosen at random
    (``seed``) held out of the training split, and the test split."""
    train, held = datasets.source(dataset, "train", data_dir, download).hold_out(validation, seed)
    return {"train": train, "validation": held, "test": datasets.source(dataset, "test", data_dir, download)}
