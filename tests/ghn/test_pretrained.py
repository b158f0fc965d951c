"""The shipped GHN: a verified file, and zoo.load reproduces its golden predicted parameters."""
import numpy as np

from zoo import registry, weights
from zoo.ghn import search


def test_ghn_weights_reproduce_their_golden_parameters(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    golden = weights.load_manifest()["ghn.fashion_mnist"].golden
    ghn = registry.load("ghn.fashion_mnist")
    params = ghn.predict_parameters(search.evaluation_architecture(0, num_nodes=7))
    assert golden["architecture"] == "zoo.ghn.search.evaluation_architecture(0, num_nodes=7)"
    count = len(golden["values"]) // len(golden["parameters"])
    values = np.concatenate([np.ravel(params[name])[:count] for name in golden["parameters"]])
    np.testing.assert_allclose(values, golden["values"], atol=golden["atol"])
