"""Publishing a training run: the record is verified, copied, completed by the task contract and merged."""
import json

import numpy as np
import pytest

import zoo
from zoo import classification, publish, reporting, tasks, weights
from zoo.data import load_sample


def test_published_record_is_complete_and_golden_is_reproduced(tiny_zoo):
    spec = tiny_zoo
    assert spec.command == "tiny test run" and spec.versions["tensorflow"]
    assert spec.metrics["test_examples"] == 200 and 0 <= spec.metrics["top1_accuracy"] <= 1
    headline = tasks.Headline.of(spec)
    assert headline.metric == "top1_accuracy" and headline.unit == "%" and "2,000" in headline.sample_data
    images, labels, _ = load_sample()
    model = zoo.load(spec.name)
    assert headline.sample == pytest.approx(classification.accuracy(model, images, labels, spec.preprocessing))
    logits = classification.predict_logits(model, images[:4], spec.preprocessing)
    np.testing.assert_allclose(logits, spec.golden["outputs"], atol=spec.golden["atol"])
    assert len(spec.class_names) == 10
    assert weights.sha256_of(weights.resolve(spec)) == spec.sha256


def test_refresh_recomputes_the_derived_fields(tiny_zoo, tmp_path):
    refreshed, = publish.refresh([tiny_zoo.name], tmp_path / "pretrained")
    assert refreshed == tiny_zoo
    with pytest.raises(ValueError, match="not in the manifest: resnet-32.other"):
        publish.refresh(["resnet-32.other"], tmp_path / "pretrained")


def test_publishing_a_tampered_run_fails(tiny_run, tmp_path):
    record = json.loads(tiny_run.read_text())
    (name, entry), = record.items()
    entry["sha256"] = "0" * 64
    bad = tiny_run.parent / "tampered.json"
    bad.write_text(json.dumps({name: entry}))
    manifest = tmp_path / "manifest.json"
    with pytest.raises(weights.ChecksumError):
        publish.publish(bad, tmp_path / "pretrained", manifest)
    assert not manifest.exists()


def test_weights_table_lists_each_weight_with_its_headline_and_command(tiny_zoo):
    weights_table = publish.weights_table({tiny_zoo.name: tiny_zoo})
    table = reporting.markdown_table(weights_table.header, weights_table.rows)
    assert "`resnet-32.tiny`" in table and "`tiny test run`" in table
    assert f"top-1 accuracy {100 * tiny_zoo.metrics['top1_accuracy']:.2f}%" in table and "1 epochs × 2 steps" in table
