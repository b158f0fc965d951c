import json

import numpy as np
import pytest

import zoo
from zoo import evaluation, publish, weights
from zoo.data import load_sample


def test_published_record_is_complete_and_golden_is_reproduced(tiny_zoo, tiny_run):
    spec = tiny_zoo
    assert spec.command == "tiny test run" and spec.versions["tensorflow"]
    assert spec.metrics["test_examples"] == 200 and 0 <= spec.metrics["top1_accuracy"] <= 1
    assert spec.metrics["sample_examples"] == len(load_sample()[1])
    images = load_sample()[0][:publish.GOLDEN_EXAMPLES]
    logits = evaluation.predict_logits(zoo.load(spec.name), images, spec.preprocessing)
    np.testing.assert_allclose(logits, spec.golden["logits"], atol=spec.golden["atol"])
    assert weights.sha256_of(weights.resolve(spec)) == spec.sha256


def test_publishing_a_tampered_run_fails(tiny_run, tmp_path):
    record = json.loads(tiny_run.read_text())
    (name, entry), = record.items()
    entry["sha256"] = "0" * 64
    bad = tiny_run.parent / "tampered.json"
    bad.write_text(json.dumps({name: entry}))
    with pytest.raises(weights.ChecksumError):
        publish.publish(bad, tmp_path / "pretrained", tmp_path / "manifest.json")
    assert not (tmp_path / "manifest.json").exists()


def test_weights_table_lists_each_weight_with_its_accuracy_and_command(tiny_zoo):
    table = publish.weights_table({tiny_zoo.name: tiny_zoo})
    assert "`resnet-32.tiny`" in table and "`tiny test run`" in table
    assert f"{100 * tiny_zoo.metrics['top1_accuracy']:.2f}%" in table and "1 epochs × 2 steps" in table


def test_weights_table_lists_the_metrics_of_non_classifiers(tiny_zoo):
    import dataclasses

    spec = dataclasses.replace(tiny_zoo, metrics={"mean_iou": 0.5, "pixel_accuracy": 0.99},
                               training={"steps": 1500, "seconds": 600, "machine": "2 CPU cores"})
    table = publish.weights_table({spec.name: spec})
    assert "mean_iou 0.5, pixel_accuracy 0.99" in table and "1500 steps, 10 min on 2 CPU cores" in table
