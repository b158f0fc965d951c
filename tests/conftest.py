"""Shared fixtures: the developers' weight mirror as the weight directory, and a tiny trained-and-published model
in a temporary manifest."""
import atexit
import os
import pathlib
import shutil
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The RevNet memory tests read CPU allocator statistics, which TensorFlow keeps by default only where oneDNN is on
# (Intel CPUs); the BFC allocator keeps them everywhere. Set before TensorFlow is first imported.
os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")

MIRROR = pathlib.Path(__file__).resolve().parent.parent / "pretrained"
"""The checkout's mirror of the weight files (make test points $ZOO_WEIGHTS_URL at it too)."""

# Shipped weights resolve from the mirror in place, with their sha256 checked, instead of being copied into a cache.
os.environ.setdefault("ZOO_WEIGHTS_DIR", str(MIRROR))
# Procedural data sets and downloads are cached in a directory of the test session, not the user's ~/.cache/zoo.
if "ZOO_HOME" not in os.environ:
    os.environ["ZOO_HOME"] = tempfile.mkdtemp(prefix="zoo-tests-home-")
    atexit.register(shutil.rmtree, os.environ["ZOO_HOME"], ignore_errors=True)

TINY_OVERRIDES = {"units": [1, 1, 1], "channels": [4, 4, 8, 8]}


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 2-step training run of a scaled-down resnet-32 on 200 Fashion-MNIST images: its record path."""
    from zoo.training import TrainConfig, train_classifier

    output = tmp_path_factory.mktemp("tiny_run")
    config = TrainConfig(model="resnet-32", tag="tiny", epochs=1, batch_size=50, steps_per_epoch=2,
                         train_subset=200, test_subset=200, output=str(output), model_overrides=TINY_OVERRIDES,
                         command="tiny test run", verbose=0)
    train_classifier(config)
    return output / "resnet-32.tiny.json"


@pytest.fixture
def tiny_zoo(tiny_run, tmp_path, monkeypatch):
    """``resnet-32.tiny`` published into a temporary mirror and manifest that zoo resolves; returns its spec."""
    from zoo import publish, weights

    mirror = tmp_path / "pretrained"
    manifest = tmp_path / "manifest.json"
    weights.write_manifest({}, manifest)
    monkeypatch.setattr(weights, "MANIFEST_PATH", manifest)
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(mirror))
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    spec = publish.publish(tiny_run, mirror)
    yield spec
    weights.clear_manifest_cache()
