"""The zoo as a user installs it: a wheel built from the checkout, installed outside it, lists every weight and loads
one through a file:// base URL (nothing is downloaded from the network; TensorFlow comes from this environment)."""
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

INSTALLED_CHECK = """
import json, sys
# The checkout is also installed in editable mode here; its import hook would shadow the wheel's copy.
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
import zoo
from zoo import registry, tasks
weight = registry.get_weight_spec("resnet-32.fashion_mnist")
model = zoo.load(weight.name)
tasks.check_golden(registry.get_task("resnet"), model, weight)
print(json.dumps({"file": zoo.__file__, "weights": len(zoo.list_models(pretrained=True))}))
"""


@pytest.mark.slow
def test_wheel_installed_outside_the_checkout_loads_weights_from_a_file_url(tmp_path):
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist),
                    str(REPO)], check=True, timeout=900, cwd=tmp_path)
    wheel, = dist.glob("zoo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "zoo/pretrained/manifest.json" in names and "zoo/data/samples/fashion_mnist_test_slice.npz" in names
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, timeout=300, cwd=tmp_path)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZOO_")}
    env.update(PYTHONPATH=str(site), ZOO_HOME=str(tmp_path / "home"),
               ZOO_WEIGHTS_URL=(REPO / "pretrained").as_uri(), TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", INSTALLED_CHECK], capture_output=True, text=True, timeout=300,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["file"].startswith(str(site)) and report["weights"] == 25
    assert (tmp_path / "home" / "weights" / "resnet-32.fashion_mnist.weights.h5").is_file()
