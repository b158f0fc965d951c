"""For each training tool, its step replicated over 2 logical CPUs (MirroredStrategy, in one process) equals the
single-device step on the same global batch (tests/training/replica_checks.py computes both)."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "replica_checks.py"
CHECKS = ["classifier", "reweight", "metaopt", "fewshot", "ghn", "imageqa", "recattend", "sbnet"]


@pytest.fixture(scope="module")
def results():
    """Every check run once, in a process of its own whose CPU is split in two before TensorFlow starts."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, str(SCRIPT), *CHECKS], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", CHECKS)
def test_replicated_step_equals_the_single_device_step(results, name):
    result = results[name]
    assert "error" not in result, result.get("error")
    # the steps moved the weights, and two replicas moved them the same way up to float round-off
    assert result["change"] > 1e-3
    assert result["difference"] <= 3e-4 * result["change"] + 1e-6, result
