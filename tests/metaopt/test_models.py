"""The short-horizon paper's MLP."""
import numpy as np
import pytest

import zoo
from zoo.metaopt import hypergrad


def test_mlp_matches_the_papers_layout_and_unrolls():
    model = zoo.load("mlp-100-100", pretrained=False)
    assert model.count_params() == (784 * 100 + 100) + (100 * 100 + 100) + (100 * 10 + 10)
    trainer = hypergrad.UnrolledTraining(model, hypergrad.InverseTimeDecay())
    data = (np.random.default_rng(0).random((20, 28, 28, 1), np.float32), np.arange(20) % 10)
    _, _, losses = trainer.train(trainer.initial_parameters(), hypergrad.zero_accumulators(model.trainable_variables),
                                 hypergrad.InverseTimeDecay.hyper(0.1, 1.0), data, np.arange(20).reshape(2, 10))
    assert len(losses) == 2 and np.isfinite(losses).all()
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        zoo.load("mlp-100-100", pretrained=False, num_classes=1)
