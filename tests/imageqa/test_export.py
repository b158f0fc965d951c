"""SavedModel exports of the image-QA weights: raw scenes and question strings in (the encoder and the tokenizer
inside the graph), the vocabulary beside them; Keras's own export of a loaded model."""
import json

import pytest
import tensorflow as tf

from zoo import export, registry
from zoo.imageqa.task import TASK

def test_an_export_carries_the_vocabulary_of_the_answers_it_serves(tmp_path):
    name = "imageqa-full.fmnist_qa"  # tests/test_contract.py serves every export in a TensorFlow-only process
    weight = registry.get_weight_spec(name)
    directory, _ = export.export_weight(name, tmp_path / "served")
    example = TASK.serving_example(weight)
    served = TASK.serving(registry.load(name), weight).function(**{k: tf.constant(v) for k, v in example.items()})
    answers = json.loads((directory / "vocabulary.json").read_text())["answers"]
    assert [a.decode() for a in served["answers"].numpy()] == [answers[i] for i in
                                                               served["probabilities"].numpy().argmax(1)]


@pytest.mark.parametrize("name", ["imageqa-vis-lstm.fmnist_qa", "imageqa-encoder.fmnist_qa"])
def test_loaded_models_export_with_keras(name, tmp_path):
    registry.load(name).export(str(tmp_path / "keras"), verbose=False)
    assert (tmp_path / "keras" / "saved_model.pb").exists()
