"""The shipped segmenter: a verified file, and zoo.load reproduces its golden scores and segment areas."""
import numpy as np

from zoo import registry, weights
from zoo.recattend import training


def test_recattend_weights_reproduce_their_golden_outputs(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    golden = weights.load_manifest()["recattend.fmnist_scenes"].golden
    assert golden["images"] == "zoo.recattend.training.scene_arrays(2, 'test', 1)['images']"
    outputs = registry.load("recattend.fmnist_scenes")(training.scene_arrays(2, "test", 1)["images"])
    np.testing.assert_allclose(outputs["scores"], golden["scores"], atol=golden["atol"])
    np.testing.assert_allclose(np.sum(outputs["masks"], axis=(2, 3)), golden["mask_sums"], rtol=1e-3, atol=0.05)
