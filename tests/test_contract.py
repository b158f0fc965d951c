"""Every pretrained weight through the task contract: load, golden outputs, headline metric on the embedded sample,
export; then one process with only TensorFlow reloads every export and serves what the zoo served in-process."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import export, registry, tasks

WEIGHTS = zoo.list_models(pretrained=True)
SERVED = {}
"""``name -> (export directory, example inputs, in-process outputs)``, filled by the per-weight tests."""


def test_every_family_ships_weights():
    families = {registry.get_model_spec(name).family for name in WEIGHTS}
    assert families == {"resnet", "revnet", "divnorm", "reweight", "sbnet", "fewshot", "recattend", "ghn", "imageqa"}
    assert len(WEIGHTS) == 25


@pytest.mark.parametrize("name", WEIGHTS)
def test_weight_honours_the_contract(name, tmp_path_factory):
    weight = registry.get_weight_spec(name)
    task = registry.get_task(registry.get_model_spec(name).family)
    model = zoo.load(name)
    tasks.check_golden(task, model, weight)
    headline = tasks.Headline.of(weight)
    measured = task.evaluate(model, weight)
    assert headline.agrees(measured.value), (measured.value, headline.sample, headline.tolerance)
    example = task.serving_example(weight)
    serve = task.serving(model, weight).function
    in_process = {k: np.asarray(v) for k, v in serve(**{k: tf.constant(v) for k, v in example.items()}).items()}
    directory, signature = export.export_weight(name, tmp_path_factory.mktemp("export") / "served")
    assert set(in_process) == set(signature.outputs) and set(example) == set(signature.inputs)
    SERVED[name] = (directory, example, in_process)


def test_every_export_serves_the_same_in_a_tensorflow_only_process():
    assert sorted(SERVED) == WEIGHTS, "run the whole module: the exports come from the per-weight tests"
    names = sorted(SERVED)
    served = export.serve_in_fresh_process([SERVED[n][:2] for n in names])
    for name, outputs in zip(names, served):
        expected = SERVED[name][2]
        assert set(outputs) == set(expected), name
        for key, value in expected.items():
            if value.dtype.kind in "OSU":
                np.testing.assert_array_equal(outputs[key].astype(str), value.astype(str), err_msg=f"{name} {key}")
            else:
                np.testing.assert_allclose(outputs[key], value, rtol=1e-4, atol=1e-4, err_msg=f"{name} {key}")
