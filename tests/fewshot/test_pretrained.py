"""Shipped few-shot weights: verified files, and zoo.load reproduces their golden logits on a fixed episode."""
import numpy as np
import pytest

from zoo import registry, weights
from zoo.fewshot import sources

SHIPPED = sorted(name for name in weights.load_manifest(weights.MANIFEST_PATH)
                 if registry.model_info(name.split(".")[0])["family"] == "fewshot")


def test_every_model_has_shipped_weights():
    assert {name.split(".")[0] for name in SHIPPED} == {"protonet-conv4", "soft-kmeans-conv4",
                                                         "soft-kmeans-cluster-conv4", "masked-soft-kmeans-conv4"}


@pytest.mark.parametrize("name", SHIPPED)
def test_golden_logits(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    golden = weights.load_manifest()[name].golden
    logits = registry.load(name)(sources.golden_episode(), training=False)
    np.testing.assert_allclose(logits, np.array(golden["logits"]), atol=golden["atol"])
