import json
import os
import re
import socket
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from zoo import weights
from zoo.training import TrainConfig, schedules
from zoo.training.schedules import make_lr_schedule

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--model=resnet-32", '--model_overrides={"units": [1, 1, 1], "channels": [4, 4, 8, 8]}', "--epochs=2",
        "--batch_size=32", "--steps_per_epoch=3", "--train_subset=192", "--test_subset=100", "--verbose=0"]


def test_piecewise_schedule_is_the_papers_scaled_to_the_run():
    schedule = make_lr_schedule("piecewise", 0.1, 80)
    rates = [float(schedule(step)) for step in (0, 40, 41, 60, 61, 79)]
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rtol=1e-6)
    assert float(make_lr_schedule("cosine", 0.1, 10)(10)) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="lr_schedule"):
        make_lr_schedule("linear", 0.1, 10)
    assert set(schedules.SCHEDULES) == {"piecewise", "cosine", "constant"}


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", -1), ("lr", 0.0), ("strategy", "tpu"),
                                          ("lr_schedule", "step"), ("train_subset", -5), ("model", "resnet-33")])
def test_invalid_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field if field != "model" else "resnet-32"):
        TrainConfig(**{field: value}).validate()


def test_record_describes_the_saved_weights(tiny_run):
    (name, record), = json.loads(tiny_run.read_text()).items()
    weights_file = tiny_run.with_name(record["file"])
    assert name == "resnet-32.tiny" and record["sha256"] == weights.sha256_of(weights_file)
    assert record["size_bytes"] == weights_file.stat().st_size
    assert record["builder_kwargs"] == {"num_classes": 10, "input_shape": [32, 32, 1], "units": [1, 1, 1],
                                        "channels": [4, 4, 8, 8]}
    assert record["split"] == {"train": "train[:200]", "test": "test[:200]"}
    assert record["training"]["steps"] == 2 and record["training"]["replicas"] == 1
    history = json.loads(tiny_run.with_name("history.json").read_text())
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"][0])
    assert any(tiny_run.parent.joinpath("logs").rglob("events.out.tfevents*")), "no TensorBoard logs"


def _train_tool(args, env=None, **kwargs):
    return subprocess.Popen([sys.executable, os.path.join(REPO, "tools", "zoo", "train.py"), *args],
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def _finish(process, timeout=600):
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-4000:]
    return out


def _load_h5_arrays(path):
    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(tmp_path):
    # a small learning rate keeps float round-off (a different summation order) from being amplified
    runs = {strategy: _train_tool([*TINY, "--lr=0.001", f"--strategy={strategy}", f"--output={tmp_path / strategy}"])
            for strategy in ("mirrored", "default")}
    for process in runs.values():
        _finish(process)
    record = json.loads((tmp_path / "mirrored" / "resnet-32.fashion_mnist.json").read_text())
    assert record["resnet-32.fashion_mnist"]["training"]["replicas"] == 2
    # synchronised batch norm + the global batch split over replicas = the same computation as one device
    mirrored, single = (_load_h5_arrays(tmp_path / s / "resnet-32.fashion_mnist.weights.h5") for s in runs)
    assert mirrored.keys() == single.keys()
    for key in mirrored:
        np.testing.assert_allclose(mirrored[key], single[key], rtol=1e-3, atol=1e-5, err_msg=key)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _two_workers(args):
    """Two worker processes of tools/zoo/train.py under MultiWorkerMirroredStrategy on 127.0.0.1."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    return [_train_tool([*args, "--strategy=multi_worker"],
                        env={"TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                      "task": {"type": "worker", "index": index}})})
            for index in range(2)]


def _worker_weights(output):
    chief = output / "resnet-32.fashion_mnist.weights.h5"
    other = output / "worker-1" / "resnet-32.fashion_mnist.weights.h5"
    return _load_h5_arrays(chief), _load_h5_arrays(other)


RESUMABLE = ["--model=resnet-32", '--model_overrides={"units": [1, 1, 1], "channels": [8, 8, 16, 16]}',
             "--batch_size=32", "--steps_per_epoch=3", "--train_subset=192", "--test_subset=100", "--verbose=0",
             "--lr=0.01", "--lr_schedule=constant", "--checkpoint_every=3"]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """12 steps of two worker processes without interruption: the output directory."""
    output = tmp_path_factory.mktemp("two_workers")
    outputs = [_finish(p, timeout=300) for p in _two_workers([*RESUMABLE, "--epochs=4", f"--output={output}"])]
    assert (output / "worker-1" / "resnet-32.fashion_mnist.weights.h5").exists(), outputs[0][-2000:]
    return output


def test_multi_worker_custom_loop_ends_with_identical_weights(two_workers):
    record = json.loads((two_workers / "resnet-32.fashion_mnist.json").read_text())["resnet-32.fashion_mnist"]
    assert record["training"]["replicas"] == 2 and record["training"]["steps"] == 12
    chief_arrays, other_arrays = _worker_weights(two_workers)
    assert chief_arrays.keys() == other_arrays.keys() and len(chief_arrays) > 10
    for key in chief_arrays:
        np.testing.assert_array_equal(chief_arrays[key], other_arrays[key], err_msg=key)


def test_killed_workers_resume_from_their_last_checkpoint(two_workers, tmp_path):
    """Both workers are killed once each has written a checkpoint; started again (for 12 steps in all), they
    resume in step and end with identical weights, those of the same 12 steps taken without interruption."""
    output = tmp_path / "run"
    processes = _two_workers([*RESUMABLE, "--epochs=1000", f"--output={output}"])
    states = [output / "checkpoints" / "checkpoint", output / "checkpoints" / "worker-1" / "checkpoint"]
    deadline = time.monotonic() + 300
    while not all(state.exists() for state in states):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), \
            "no checkpoint before the workers ended: " + processes[0].communicate(timeout=60)[0][-2000:]
        time.sleep(0.05)
    for process in processes:
        process.kill()
    for process in processes:
        process.communicate(timeout=60)
    outputs = [_finish(p, timeout=300) for p in _two_workers([*RESUMABLE, "--epochs=4", f"--output={output}"])]
    resumed = [int(re.search(r"resumed from \S+ at step (\d+)", out).group(1)) for out in outputs]
    assert resumed[0] == resumed[1] and 3 <= resumed[0] <= 12, outputs[0][-2000:]
    chief_arrays, other_arrays = _worker_weights(output)
    uninterrupted, _ = _worker_weights(two_workers)
    for key in chief_arrays:
        np.testing.assert_array_equal(chief_arrays[key], other_arrays[key], err_msg=key)
        np.testing.assert_allclose(chief_arrays[key], uninterrupted[key], rtol=1e-6, atol=1e-7, err_msg=key)
