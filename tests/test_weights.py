"""Tests of zoo.weights: manifest records, resolution order and verified downloads.

Downloads go to a real HTTP server on 127.0.0.1 (one per module, request counts reset per test)
that serves a good file, a corrupted one, an oversized one, a truncated transfer, a 404 and a
flaky path that answers 503 twice.
"""
import collections
import hashlib
import http.server
import json
import os
import tempfile
import sys
import subprocess
import shutil
import pathlib
import random
import threading

import pytest

from zoo import weights

SIZE = 50_000
DATA = random.Random(0).randbytes(SIZE)
CORRUPT = DATA[:1000] + bytes([DATA[1000] ^ 0xFF]) + DATA[1001:]
FILE = "resnet-32.test.weights.h5"


def make_record(**changes):
    record = {
        "architecture": "resnet-32",
        "file": FILE,
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "size_bytes": SIZE,
        "builder_kwargs": {"num_classes": 10, "input_shape": [28, 28, 1]},
        "dataset": "fashion_mnist",
        "split": {"train": "train[:100]", "test": "test[:100]"},
        "preprocessing": {"mean": [0.5], "std": [0.25]},
        "metrics": {"top1_accuracy": 0.5},
        "command": "python tools/train.py --model resnet-32",
        "versions": {"tensorflow": "2.21.0", "keras": "3.15.0"},
        "license": "MIT",
    }
    record.update(changes)
    return record


SPEC = weights.WeightSpec.from_record("resnet-32.test", make_record())


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``/<route>/<FILE>``; the route picks the behaviour. Counts requests per route."""

    def do_GET(self):
        route = self.path.strip("/").split("/")[0]
        with self.server.lock:
            self.server.counts[route] += 1
            count = self.server.counts[route]
        if route == "missing" or (route == "flaky" and count <= 2):
            self.send_error(404 if route == "missing" else 503)
            return
        body = {"good": DATA, "flaky": DATA, "corrupt": CORRUPT, "truncated": DATA, "long": DATA + b"extra"}[route]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route == "truncated":
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def httpd():
    """One server for the module (shutting one down takes up to its poll interval)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.counts = collections.Counter()
    httpd.lock = threading.Lock()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def server(httpd):
    """The server, with its request counts reset."""
    httpd.counts.clear()
    return httpd


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    """An empty cache and local weight dir, no URL, fast retries, no proxies."""
    (tmp_path / "local").mkdir()
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "local"))
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "*")
    monkeypatch.setattr(weights, "DOWNLOAD_ATTEMPTS", 3)
    monkeypatch.setattr(weights, "BACKOFF_SECONDS", 0.001)
    return tmp_path


def cache_files():
    cache = weights.cache_dir()
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_good_download_is_cached_and_reused(server, monkeypatch, capsys):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good/")
    path = weights.resolve(SPEC, progress=True)
    assert path == weights.cache_dir() / FILE
    assert weights.sha256_of(path) == SPEC.sha256
    assert cache_files() == [FILE]
    assert f"{SIZE}/{SIZE}" in capsys.readouterr().err
    assert weights.resolve(SPEC) == path
    assert server.counts["good"] == 1


def test_corrupt_download_raises_and_caches_nothing(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/corrupt")
    with pytest.raises(weights.ChecksumError, match=SPEC.sha256):
        weights.resolve(SPEC)
    assert cache_files() == []
    assert server.counts["corrupt"] == 1


def test_oversized_download_raises_and_caches_nothing(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/long")
    with pytest.raises(weights.ChecksumError, match=f"more than {SIZE} bytes"):
        weights.resolve(SPEC)
    assert cache_files() == []
    assert server.counts["long"] == 1


def test_truncated_download_is_retried_then_fails(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/truncated")
    with pytest.raises(weights.DownloadError, match="3 attempts") as info:
        weights.resolve(SPEC)
    assert f"{SIZE // 2} of {SIZE}" in str(info.value)
    assert server.counts["truncated"] == weights.DOWNLOAD_ATTEMPTS == 3
    assert cache_files() == []


def test_404_is_not_found_without_retry(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/missing")
    with pytest.raises(weights.WeightsNotFoundError, match="404") as info:
        weights.resolve(SPEC)
    assert f"{server.url}/missing/{FILE}" in str(info.value)
    assert server.counts["missing"] == 1
    assert cache_files() == []


def test_503_twice_then_ok_succeeds_on_third_attempt(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/flaky")
    path = weights.resolve(SPEC)
    assert weights.sha256_of(path) == SPEC.sha256
    assert server.counts["flaky"] == 3
    assert cache_files() == [FILE]


def test_offline_names_file_and_cache_dir_without_network(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(weights.WeightsNotFoundError) as info:
        weights.resolve(SPEC)
    assert FILE in str(info.value)
    assert str(weights.cache_dir()) in str(info.value)
    assert sum(server.counts.values()) == 0


def test_no_url_says_to_set_it(env):
    with pytest.raises(weights.WeightsNotFoundError, match="ZOO_WEIGHTS_URL") as info:
        weights.resolve(SPEC)
    assert str(env / "local") in str(info.value)
    assert str(weights.cache_dir()) in str(info.value)


def test_uncreatable_cache_dir_raises(server, monkeypatch, env):
    (env / "afile").write_text("a regular file, so no directory can be created under it")
    monkeypatch.setenv("ZOO_HOME", str(env / "afile" / "cache"))
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    with pytest.raises(weights.CacheNotWritableError, match="ZOO_HOME") as info:
        weights.resolve(SPEC)
    assert str(env / "afile" / "cache" / "weights") in str(info.value)
    assert sum(server.counts.values()) == 0


_READ_ONLY_CHECK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("zoo_weights", sys.argv[1])
weights = importlib.util.module_from_spec(spec)
spec.loader.exec_module(weights)
try:
    weights.resolve(weights.WeightSpec.from_record("resnet-32.test", json.loads(sys.argv[2])))
except Exception as err:
    print(type(err).__name__, err)
"""


def test_read_only_cache_dir_raises(server, tmp_path):
    # Permission bits do not bind root, so as root the check runs in a child process as user nobody, with the
    # system interpreter (the venv's may live under root's home); weights.py needs only the standard library.
    as_root = os.geteuid() == 0
    base = pathlib.Path(tempfile.mkdtemp(prefix="zoo-readonly-"))
    try:
        cache = base / "home" / "weights"
        cache.mkdir(parents=True)
        for directory in (base, base / "home"):
            directory.chmod(0o755)
        cache.chmod(0o555)
        env = {"ZOO_HOME": str(base / "home"), "ZOO_WEIGHTS_DIR": str(base), "ZOO_WEIGHTS_URL": server.url + "/good",
               "PATH": os.environ.get("PATH", ""), "no_proxy": "*"}
        result = subprocess.run(
            ["/usr/bin/python3" if as_root else sys.executable, "-I", "-c", _READ_ONLY_CHECK, weights.__file__,
             json.dumps(make_record())],
            capture_output=True, text=True, env=env, timeout=60, user="nobody" if as_root else None)
        assert result.stdout.startswith("CacheNotWritableError"), result.stdout + result.stderr
        assert str(cache) in result.stdout and "ZOO_HOME" in result.stdout
        assert sum(server.counts.values()) == 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_bad_cached_file_is_replaced(server, monkeypatch, caplog):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    weights.cache_dir().mkdir(parents=True)
    (weights.cache_dir() / FILE).write_bytes(CORRUPT)
    path = weights.resolve(SPEC)
    assert path.read_bytes() == DATA
    assert server.counts["good"] == 1
    assert cache_files() == [FILE]
    assert "does not match" in caplog.text


def test_good_local_file_is_used_without_network(server, monkeypatch, env):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    (env / "local" / FILE).write_bytes(DATA)
    assert weights.resolve(SPEC) == env / "local" / FILE
    assert sum(server.counts.values()) == 0


def test_corrupt_local_file_raises_without_fallback(server, monkeypatch, env):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    (env / "local" / FILE).write_bytes(CORRUPT)
    with pytest.raises(weights.ChecksumError) as info:
        weights.resolve(SPEC)
    message = str(info.value)
    assert str(env / "local" / FILE) in message
    assert SPEC.sha256 in message and hashlib.sha256(CORRUPT).hexdigest() in message
    assert sum(server.counts.values()) == 0
    assert cache_files() == []


def test_file_url_download(monkeypatch, env):
    mirror = env / "mirror"
    mirror.mkdir()
    (mirror / FILE).write_bytes(DATA)
    monkeypatch.setenv("ZOO_WEIGHTS_URL", mirror.as_uri() + "/")
    path = weights.resolve(SPEC)
    assert path == weights.cache_dir() / FILE
    assert path.read_bytes() == DATA


def test_file_url_missing_file_is_not_found(monkeypatch, env):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", (env / "empty").as_uri())
    with pytest.raises(weights.WeightsNotFoundError, match="empty"):
        weights.resolve(SPEC)
    assert cache_files() == []


def test_manifest_round_trip(env):
    other = weights.WeightSpec.from_record(
        "resnet-32.other", make_record(golden={"logits": [1.0, 2.0]}, training={"epochs": 1}))
    specs = {SPEC.name: SPEC, other.name: other}
    path = env / "manifest.json"
    weights.write_manifest(specs, path)
    text = path.read_text()
    assert text.endswith("}\n")
    assert list(json.loads(text)["weights"]) == ["resnet-32.other", "resnet-32.test"]
    assert weights.load_manifest(path) == specs
    assert weights.load_manifest(str(path)) == specs
    assert weights.load_manifest(env / "absent.json") == {}
    assert SPEC.to_record() == make_record(golden={}, training={})


def test_manifest_errors_name_the_path(env):
    path = env / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="manifest.json"):
        weights.load_manifest(path)
    path.write_text(json.dumps({"format": 1, "weights": {"resnet-32.test": make_record(sha256="abc")}}))
    weights.clear_manifest_cache()
    with pytest.raises(ValueError, match="manifest.json.*sha256"):
        weights.load_manifest(path)


@pytest.mark.parametrize("name, record, field", [
    ("resnet-32.test", {k: v for k, v in make_record().items() if k != "license"}, "license"),
    ("resnet-32.test", make_record(sha256="A" * 64), "sha256"),
    ("resnet-32.test", make_record(size_bytes=0), "size_bytes"),
    ("resnet-32.test", make_record(extra=1), "extra"),
    ("resnet-32.test", make_record(metrics=[]), "metrics"),
    ("resnet-32.test", make_record(file="../x.h5"), "file"),
    ("resnet-56.test", make_record(), "architecture"),
    ("resnet-32", make_record(), "ARCH.TAG"),
])
def test_from_record_rejects_bad_records(name, record, field):
    with pytest.raises(ValueError, match=field) as info:
        weights.WeightSpec.from_record(name, record)
    assert name in str(info.value)
