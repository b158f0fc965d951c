"""SavedModel exports of the image-QA weights: raw scenes and question strings in (the encoder and the tokenizer
inside the graph), served in a process that imports only TensorFlow and numpy exactly as in-process."""
import json

import numpy as np
import pytest
import tensorflow as tf

from zoo import export, registry
from zoo.imageqa.task import TASK

EXPORTED = ("imageqa-full.fmnist_qa", "imageqa-bow.fmnist_qa", "imageqa-encoder.fmnist_qa")


@pytest.mark.slow
def test_exports_serve_in_a_fresh_process_as_in_process(tmp_path):
    jobs, expected = [], []
    for name in EXPORTED:
        weight = registry.get_weight_spec(name)
        directory, signature = export.export_weight(name, tmp_path / name)
        example = TASK.serving_example(weight)
        assert set(example) == set(signature.inputs)
        jobs.append((directory, example))
        serve = TASK.serving(registry.load(name), weight).function
        expected.append({k: v.numpy() for k, v in serve(**{k: tf.constant(v) for k, v in example.items()}).items()})
    for name, served, wanted in zip(EXPORTED, export.serve_in_fresh_process(jobs), expected):
        assert set(served) == set(wanted) == set(TASK.signature(registry.get_weight_spec(name)).outputs)
        for key in wanted:
            if wanted[key].dtype == object:
                np.testing.assert_array_equal(served[key], wanted[key])
            else:
                np.testing.assert_allclose(served[key], wanted[key], atol=1e-5)
    answers = json.loads((tmp_path / EXPORTED[0] / "vocabulary.json").read_text())["answers"]
    assert [a.decode() for a in expected[0]["answers"]] == [answers[i] for i in expected[0]["probabilities"].argmax(1)]


@pytest.mark.parametrize("name", ["imageqa-vis-lstm.fmnist_qa", "imageqa-encoder.fmnist_qa"])
def test_loaded_models_export_with_keras(name, tmp_path):
    registry.load(name).export(str(tmp_path / "keras"), verbose=False)
    assert (tmp_path / "keras" / "saved_model.pb").exists()
