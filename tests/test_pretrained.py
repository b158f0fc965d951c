"""Every shipped weight: verified file, golden outputs reproduced by zoo.load, recorded accuracy reproduced."""
import numpy as np
import pytest

import zoo
from zoo import evaluation, weights
from zoo.data import load_sample

# Fashion-MNIST classifiers; the other families check their weights' golden outputs in their own tests.
SHIPPED = sorted(name for name, spec in weights.load_manifest(weights.MANIFEST_PATH).items()
                 if evaluation.is_sample_classifier(spec))


def test_something_is_shipped():
    assert "resnet-32.fashion_mnist" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_golden_outputs_and_sample_accuracy(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # must resolve from the source tree, with its sha256 checked
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    spec = weights.load_manifest()[name]
    assert weights.resolve(spec).parent == weights.PRETRAINED_DIR
    model = zoo.load(name)
    images, labels, _ = load_sample()
    golden = spec.golden
    logits = evaluation.predict_logits(model, images[golden["sample_indices"]], spec.preprocessing)
    np.testing.assert_allclose(logits, np.array(golden["logits"]), atol=golden["atol"])
    accuracy = evaluation.accuracy(model, images, labels, spec.preprocessing)
    assert accuracy == pytest.approx(spec.metrics["sample_top1_accuracy"], abs=1e-3)
