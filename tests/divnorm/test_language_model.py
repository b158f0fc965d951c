"""Language-model helpers: row cutting and perplexity against numpy, and each cell's model."""
import math

import numpy as np
import pytest

from zoo.divnorm import language_model


def test_sequence_batches_shift_targets_by_one():
    inputs, targets = language_model.sequence_batches(np.arange(11), 3)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(targets, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    with pytest.raises(ValueError, match="too short"):
        language_model.sequence_batches(np.arange(3), 5)


@pytest.mark.parametrize("cell", language_model.CELLS)
def test_perplexity_is_exp_of_mean_token_cross_entropy(cell):
    model = language_model.build_language_model(7, cell, units=8, num_layers=2, radius=1)
    stream = np.random.default_rng(0).integers(0, 7, 40)
    inputs, targets = language_model.sequence_batches(stream, 5)
    logits = np.asarray(model(inputs), dtype="float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = math.exp(-np.take_along_axis(log_probs, targets[..., None], -1).mean())
    assert language_model.perplexity(model, stream, steps=5, batch_size=3) == pytest.approx(expected, rel=1e-5)


def test_bad_cell_is_rejected():
    with pytest.raises(ValueError, match="cell must be one of"):
        language_model.build_language_model(10, "gru")


def test_train_language_model_reports_the_comparison_row():
    from zoo.data.wordnet_glosses import GlossCorpus

    rng = np.random.default_rng(0)
    corpus = GlossCorpus(*(rng.integers(0, 6, n).astype("int32") for n in (61, 21, 21)), tuple("abcdef"))
    config = language_model.LanguageModelConfig(units=4, num_layers=1, train_tokens=41, steps=5, batch_size=4,
                                                epochs=1)
    result = language_model.train_language_model(corpus, "lstm", config, verbose=0)
    assert result["train_tokens"] == 40 and result["parameters"] > 0
    assert 1 < result["valid_perplexity"] < 100 and 1 < result["test_perplexity"] < 100
    (row,) = language_model.perplexity_table({"lstm": result}).rows
    assert row[0] == "LSTM (Keras)" and row[-1] == "115.72"
