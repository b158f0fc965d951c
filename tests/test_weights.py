"""Tests of zoo.weights: manifest records, resolution order and verified downloads.

Downloads go to a real HTTP server on 127.0.0.1 (one per module, request counts reset per test) whose first
path segment picks a behaviour (see :class:`Handler`): a good file, a corrupted one, an oversized one, a truncated
transfer, 404, 429 with and without ``Retry-After``, 5xx then success, a reset mid-body, silence, a trickle, a
redirect, a slow transfer and one that hangs mid-body.

Some tests run ``zoo.weights`` in child processes: concurrent downloads, SIGTERM mid-download, and (as user
``nobody`` when the tests run as root, where permission bits do not bind) read-only and shared caches. The children
import only ``zoo.weights`` (not ``zoo/__init__``), so they start in a fraction of a second.
"""
import collections
import datetime
import email.utils
import fcntl
import hashlib
import http.server
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import tqdm

from zoo import weights

SIZE = 50_000
DATA = random.Random(0).randbytes(SIZE)
CORRUPT = DATA[:1000] + bytes([DATA[1000] ^ 0xFF]) + DATA[1001:]
FILE = "resnet-32.test.weights.h5"
AS_ROOT = os.geteuid() == 0


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
    """Serves ``/<route>/<FILE>``; the route picks the behaviour. Counts requests per route.

    good, corrupt, long (DATA + extra bytes), truncated (half the body, then the connection closes), missing (404),
    flaky (503 twice, then good), error500 (500 once, then good), reset (half the body then a TCP reset, once; then
    good), redirect (302 to good), ratelimited (429 with Retry-After: 1, once; then good), throttled (429 without
    Retry-After, twice; then good), ratelimited_long (429 with Retry-After: 3600), silent (reads the request, never
    answers), trickle (100 bytes every 50 ms), slow (the body in 5 pieces 0.1 s apart), hang (half the body, then
    nothing). Silent, trickle and hang stop after 10 s at most, or when the client goes away.
    """

    def do_GET(self):
        route = self.path.strip("/").split("/")[0]
        with self.server.lock:
            self.server.counts[route] += 1
            count = self.server.counts[route]
        if route == "missing" or (route == "flaky" and count <= 2) or (route == "error500" and count == 1):
            self.send_error({"missing": 404, "flaky": 503, "error500": 500}[route])
            return
        if route in ("ratelimited", "throttled", "ratelimited_long"):
            retry_after = {"ratelimited": "1", "throttled": None, "ratelimited_long": "3600"}[route]
            if route == "ratelimited_long" or count <= {"ratelimited": 1, "throttled": 2}[route]:
                self.send_response(429)
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if route == "redirect":
            self.send_response(302)
            self.send_header("Location", f"/good/{FILE}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route == "silent":
            self.wait_for_client(10)
            return
        body = DATA + b"extra" if route == "long" else CORRUPT if route == "corrupt" else DATA
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route == "truncated":
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
        elif route == "reset" and count == 1:
            self.wfile.write(body[:len(body) // 2])
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.connection.close()  # with SO_LINGER 0: a TCP reset, not an orderly close
        elif route == "hang":
            self.wfile.write(body[:len(body) // 2])
            self.wait_for_client(10)
        elif route in ("trickle", "slow"):
            step, pause = (100, 0.05) if route == "trickle" else (SIZE // 5, 0.1)
            end = time.monotonic() + 10
            for i in range(0, len(body), step):
                if time.monotonic() > end:
                    break
                try:
                    self.wfile.write(body[i:i + step])
                except OSError:
                    return
                time.sleep(pause)
            self.close_connection = True
        else:
            self.wfile.write(body)

    def wait_for_client(self, seconds):
        """Say nothing until the client closes the connection, for at most ``seconds``."""
        self.connection.settimeout(seconds)
        try:
            self.connection.recv(1)
        except OSError:
            pass
        self.close_connection = True

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
    """An empty cache and local weight dir, no URL, fast retries, short download limits, no proxies."""
    (tmp_path / "local").mkdir()
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "local"))
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    monkeypatch.setenv("ZOO_DOWNLOAD_DEADLINE", "2")
    monkeypatch.setenv("ZOO_DOWNLOAD_STALL_SECONDS", "1")
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "*")
    monkeypatch.setattr(weights, "DOWNLOAD_ATTEMPTS", 3)
    monkeypatch.setattr(weights, "BACKOFF_SECONDS", 0.001)
    return tmp_path


def cache_files():
    cache = weights.cache_dir()
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# ---------------------------------------------------------------------------------------------------------------
# Child processes


_CHILD = """
import json, sys, time, types
zoo_dir, site_dir, record, start = sys.argv[1:5]
sys.path.append(site_dir)  # tqdm, for an interpreter other than the venv's
package = types.ModuleType("zoo")  # import zoo.weights alone, without running zoo/__init__
package.__path__ = [zoo_dir]
sys.modules["zoo"] = package
try:
    import tqdm
except ImportError:  # an interpreter that cannot see tqdm: no progress bars
    import contextlib
    progress = types.ModuleType("zoo.progress")
    progress.progress_bar = lambda *args, **kwargs: contextlib.nullcontext(types.SimpleNamespace(update=len))
    sys.modules["zoo.progress"] = progress
from zoo import weights
time.sleep(max(0.0, float(start) - time.time()))  # start together with the other children
try:
    print("OK", weights.resolve(weights.WeightSpec.from_record("resnet-32.test", json.loads(record))), flush=True)
except weights.WeightsError as err:
    print(type(err).__name__, err, flush=True)
"""


def child_command(*, as_nobody=False, start=0.0):
    """The argv of a child that resolves SPEC (with the system interpreter when it runs as nobody: the venv's
    may live under root's home) and prints ``OK PATH`` or ``ErrorClass message``."""
    python = (shutil.which("python3", path="/usr/bin:/bin") or sys.executable) if as_nobody else sys.executable
    return [python, "-I", "-c", _CHILD, str(pathlib.Path(weights.__file__).parent),
            str(pathlib.Path(tqdm.__file__).parent.parent), json.dumps(make_record()), str(start)]


def child_env(**variables):
    env = {"PATH": os.environ.get("PATH", ""), "no_proxy": "*", "NO_PROXY": "*", "PYTHONDONTWRITEBYTECODE": "1",
           "ZOO_DOWNLOAD_DEADLINE": "5", "ZOO_DOWNLOAD_STALL_SECONDS": "2"}
    env.update(variables)
    return env


def run_child(env, *, as_nobody=False, umask=-1):
    """Run one child to completion (as nobody where asked and the tests run as root)."""
    nobody = as_nobody and AS_ROOT
    return subprocess.run(child_command(as_nobody=nobody), capture_output=True, text=True, env=env, timeout=60,
                          user="nobody" if nobody else None, umask=umask)


@pytest.fixture
def shared_base():
    """A directory outside pytest's private tmp dir (0700 under root), readable by every user."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="zoo-weights-"))
    base.chmod(0o755)
    yield base
    for path in [base, *base.rglob("*")]:  # let root delete what nobody may have made read-only
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Downloads: what works


def test_good_download_is_cached_and_reused(server, monkeypatch, capsys):
    bars = []

    def recording_bar(*args, **kwargs):
        bars.append(weights_progress_bar(*args, **kwargs))
        return bars[-1]

    weights_progress_bar = weights.progress_bar
    monkeypatch.setattr(weights, "progress_bar", recording_bar)
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good/")
    path = weights.resolve(SPEC, progress=True)
    assert path == weights.cache_dir() / FILE
    assert weights.sha256_of(path) == SPEC.sha256
    assert cache_files() == [FILE]
    assert [(bar.n, bar.total) for bar in bars] == [(SIZE, SIZE)]  # the bar ran to the end (then was closed)
    assert f"downloading {FILE}" in capsys.readouterr().err
    assert weights.resolve(SPEC) == path
    assert server.counts["good"] == 1


def test_no_progress_bar_when_turned_off(server, monkeypatch, capsys):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    weights.resolve(SPEC, progress=False)
    assert capsys.readouterr().err == ""


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


@pytest.mark.parametrize("route, requests", [("flaky", 3), ("error500", 2), ("reset", 2)])
def test_server_errors_and_resets_are_retried(server, monkeypatch, caplog, route, requests):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", f"{server.url}/{route}")
    path = weights.resolve(SPEC)
    assert weights.sha256_of(path) == SPEC.sha256
    assert server.counts[route] == requests
    assert cache_files() == [FILE]
    assert {"flaky": "503", "error500": "500", "reset": "reset"}[route] in caplog.text


def test_redirect_is_followed(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/redirect")
    assert weights.resolve(SPEC).read_bytes() == DATA
    assert (server.counts["redirect"], server.counts["good"]) == (1, 1)
    assert cache_files() == [FILE]


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


# ---------------------------------------------------------------------------------------------------------------
# Downloads: 429, silence, trickles, deadlines


def test_429_with_retry_after_waits_then_succeeds(server, monkeypatch):
    waits = []
    real_sleep = time.sleep
    monkeypatch.setattr(weights.time, "sleep", lambda seconds: (waits.append(seconds), real_sleep(seconds)))
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/ratelimited")
    assert weights.resolve(SPEC).read_bytes() == DATA
    assert server.counts["ratelimited"] == 2
    assert waits == [1.0]  # the server's Retry-After, not the (1 ms) backoff


def test_429_without_retry_after_backs_off_then_succeeds(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/throttled")
    assert weights.resolve(SPEC).read_bytes() == DATA
    assert server.counts["throttled"] == 3
    assert cache_files() == [FILE]


def test_429_with_retry_after_past_the_deadline_fails_at_once(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/ratelimited_long")
    started = time.monotonic()
    with pytest.raises(weights.DownloadError, match="ZOO_DOWNLOAD_DEADLINE=2 s") as info:
        weights.resolve(SPEC)
    assert time.monotonic() - started < 2
    assert "HTTP 429" in str(info.value) and "Retry-After: 3600" in str(info.value)
    assert server.counts["ratelimited_long"] == 1
    assert cache_files() == []


@pytest.mark.parametrize("value, seconds", [("120", 120.0), (" 0 ", 0.0), ("soon", None), ("", None), (None, None),
                                            ("nan", None), ("-5", 0.0)])
def test_retry_after_in_seconds(value, seconds):
    assert weights._retry_after_seconds(value) == seconds


def test_retry_after_as_http_date():
    now = datetime.datetime.now(datetime.timezone.utc)
    later = email.utils.format_datetime(now + datetime.timedelta(seconds=90), usegmt=True)
    assert 80 < weights._retry_after_seconds(later) <= 90
    earlier = email.utils.format_datetime(now - datetime.timedelta(seconds=90), usegmt=True)
    assert weights._retry_after_seconds(earlier) == 0.0


def test_silent_server_stalls_and_fails(server, monkeypatch):
    monkeypatch.setenv("ZOO_DOWNLOAD_STALL_SECONDS", "0.3")
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/silent")
    started = time.monotonic()
    with pytest.raises(weights.DownloadError, match="no data for 0.3 s") as info:
        weights.resolve(SPEC)
    assert time.monotonic() - started < 5  # bounded by the stall timeout, not 3 x 60 s
    assert "ZOO_DOWNLOAD_STALL_SECONDS" in str(info.value)
    assert server.counts["silent"] == 3
    assert cache_files() == []


def test_stall_mid_body_is_retried(server, monkeypatch, caplog):
    monkeypatch.setenv("ZOO_DOWNLOAD_STALL_SECONDS", "0.3")
    monkeypatch.setattr(weights, "DOWNLOAD_ATTEMPTS", 2)
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/hang")
    with pytest.raises(weights.DownloadError, match=f"no data for 0.3 s .*after {SIZE // 2} of {SIZE} bytes"):
        weights.resolve(SPEC)
    assert server.counts["hang"] == 2
    assert cache_files() == []


def test_trickling_server_hits_the_deadline(server, monkeypatch):
    monkeypatch.setenv("ZOO_DOWNLOAD_DEADLINE", "1")
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/trickle")
    started = time.monotonic()
    with pytest.raises(weights.DownloadError, match="deadline .ZOO_DOWNLOAD_DEADLINE=1 s.: received") as info:
        weights.resolve(SPEC)
    assert time.monotonic() - started < 5  # the whole trickle would take 25 s
    assert f"of {SIZE} bytes" in str(info.value)
    assert server.counts["trickle"] == 1
    assert cache_files() == []


def test_waiting_for_another_download_is_bounded_by_the_deadline(server, monkeypatch):
    monkeypatch.setenv("ZOO_DOWNLOAD_DEADLINE", "0.5")
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    weights.cache_dir().mkdir(parents=True)
    with open(weights.cache_dir() / (FILE + ".lock"), "w") as held:  # as another process downloading it would
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(weights.DownloadError, match="another process was still downloading") as info:
            weights.resolve(SPEC)
    assert FILE in str(info.value) and "ZOO_DOWNLOAD_DEADLINE=0.5 s" in str(info.value)
    assert sum(server.counts.values()) == 0


# ---------------------------------------------------------------------------------------------------------------
# Configuration


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes", "on", " on "])
def test_offline_names_file_and_cache_dir_without_network(server, monkeypatch, value):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    monkeypatch.setenv("ZOO_OFFLINE", value)
    with pytest.raises(weights.WeightsNotFoundError, match="ZOO_OFFLINE") as info:
        weights.resolve(SPEC)
    assert FILE in str(info.value)
    assert str(weights.cache_dir()) in str(info.value)
    assert sum(server.counts.values()) == 0


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF", ""])
def test_offline_off_downloads(server, monkeypatch, value):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    monkeypatch.setenv("ZOO_OFFLINE", value)
    assert weights.resolve(SPEC).read_bytes() == DATA


@pytest.mark.parametrize("variable, value", [
    ("ZOO_OFFLINE", "maybe"), ("ZOO_OFFLINE", "2"),
    ("ZOO_DOWNLOAD_DEADLINE", "soon"), ("ZOO_DOWNLOAD_DEADLINE", "0"), ("ZOO_DOWNLOAD_DEADLINE", "-1"),
    ("ZOO_DOWNLOAD_DEADLINE", "inf"), ("ZOO_DOWNLOAD_STALL_SECONDS", "nan"), ("ZOO_DOWNLOAD_STALL_SECONDS", "10s"),
])
def test_bad_setting_is_a_clear_error(server, monkeypatch, variable, value):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    monkeypatch.setenv(variable, value)
    with pytest.raises(weights.ConfigurationError, match=f"{variable}={value!r}"):
        weights.resolve(SPEC)
    assert isinstance(weights.ConfigurationError("x"), ValueError)
    assert sum(server.counts.values()) == 0
    assert cache_files() == []


def test_settings_defaults_and_values(monkeypatch):
    for variable in ("ZOO_OFFLINE", "ZOO_DOWNLOAD_DEADLINE", "ZOO_DOWNLOAD_STALL_SECONDS"):
        monkeypatch.delenv(variable, raising=False)
    assert (weights.offline(), weights.download_deadline(), weights.download_stall_seconds()) == (
        False, weights.DOWNLOAD_DEADLINE_SECONDS, weights.DOWNLOAD_STALL_SECONDS)
    monkeypatch.setenv("ZOO_DOWNLOAD_DEADLINE", " 90.5 ")
    monkeypatch.setenv("ZOO_DOWNLOAD_STALL_SECONDS", "3")
    assert (weights.download_deadline(), weights.download_stall_seconds()) == (90.5, 3.0)


def test_no_url_says_to_set_it(env):
    with pytest.raises(weights.WeightsNotFoundError, match="ZOO_WEIGHTS_URL") as info:
        weights.resolve(SPEC)
    assert str(env / "local") in str(info.value)
    assert str(weights.cache_dir()) in str(info.value)


def test_import_loads_neither_tensorflow_nor_keras():
    code = ("import sys, zoo.weights; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=pathlib.Path(weights.__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------------------------
# The cache


def test_uncreatable_cache_dir_raises(server, monkeypatch, env):
    (env / "afile").write_text("a regular file, so no directory can be created under it")
    monkeypatch.setenv("ZOO_HOME", str(env / "afile" / "cache"))
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    with pytest.raises(weights.CacheNotWritableError, match="ZOO_HOME") as info:
        weights.resolve(SPEC)
    assert str(env / "afile" / "cache" / "weights") in str(info.value)
    assert sum(server.counts.values()) == 0


@pytest.mark.parametrize("cached", [None, CORRUPT], ids=["empty", "corrupt"])
def test_read_only_cache_dir_raises(server, shared_base, cached):
    cache = shared_base / "home" / "weights"
    cache.mkdir(parents=True, mode=0o755)
    if cached is not None:
        (cache / FILE).write_bytes(cached)
        (cache / FILE).chmod(0o644)
    cache.chmod(0o555)
    result = run_child(child_env(ZOO_HOME=str(shared_base / "home"), ZOO_WEIGHTS_URL=server.url + "/good"),
                       as_nobody=True)
    assert result.stdout.startswith("CacheNotWritableError"), result.stdout + result.stderr
    assert str(cache) in result.stdout and "ZOO_HOME" in result.stdout
    assert sum(server.counts.values()) == 0
    assert sorted(p.name for p in cache.iterdir()) == ([] if cached is None else [FILE])


def test_directory_in_place_of_the_cached_file_raises(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    (weights.cache_dir() / FILE).mkdir(parents=True)
    with pytest.raises(weights.CacheNotWritableError, match="is a directory") as info:
        weights.resolve(SPEC)
    assert str(weights.cache_dir() / FILE) in str(info.value)
    assert sum(server.counts.values()) == 0
    assert cache_files() == [FILE]


def test_bad_cached_file_is_replaced(server, monkeypatch, caplog):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    weights.cache_dir().mkdir(parents=True)
    (weights.cache_dir() / FILE).write_bytes(CORRUPT)
    path = weights.resolve(SPEC)
    assert path.read_bytes() == DATA
    assert server.counts["good"] == 1
    assert cache_files() == [FILE]
    assert "does not match" in caplog.text


def test_bad_cached_file_offline_says_so(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    weights.cache_dir().mkdir(parents=True)
    (weights.cache_dir() / FILE).write_bytes(CORRUPT)
    with pytest.raises(weights.WeightsNotFoundError, match="does not match") as info:
        weights.resolve(SPEC)
    assert hashlib.sha256(CORRUPT).hexdigest() in str(info.value)
    assert sum(server.counts.values()) == 0


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cached_file_mode_follows_the_umask(server, monkeypatch, umask, mode):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    old = os.umask(umask)
    try:
        path = weights.resolve(SPEC)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_shared_cache_under_umask_022(server, shared_base):
    """A file one user downloads under umask 022 is usable by another user (nobody) offline."""
    env = child_env(ZOO_HOME=str(shared_base / "home"), ZOO_WEIGHTS_URL=server.url + "/good")
    first = run_child(env, umask=0o022)
    assert first.stdout.startswith("OK"), first.stdout + first.stderr
    cached = shared_base / "home" / "weights" / FILE
    assert stat.S_IMODE(cached.stat().st_mode) == 0o644
    second = run_child({**env, "ZOO_OFFLINE": "1"}, as_nobody=True)
    assert second.stdout.strip() == f"OK {cached}", second.stdout + second.stderr
    assert server.counts["good"] == 1


def test_stale_partial_files_are_swept_but_running_ones_spared(server, monkeypatch):
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    cache = weights.cache_dir()
    cache.mkdir(parents=True)
    old = time.time() - 60
    parts = {name: cache / name for name in (
        f"{FILE}.dead1234.part",  # this file's, unlocked: its download died
        "other.h5.dead5678.part",  # another file's, unlocked and unchanged for a minute: died
        "other.h5.new12345.part",  # another file's, unlocked but just written: may have just begun
        "other.h5.live1234.part",  # another file's, locked, unchanged for a minute: a stalled but live download
    )}
    for name, path in parts.items():
        path.write_bytes(b"partial")
        if "new" not in name:
            os.utime(path, (old, old))
    with open(parts["other.h5.live1234.part"], "rb") as live:
        fcntl.flock(live, fcntl.LOCK_EX)
        weights.resolve(SPEC)
    assert cache_files() == sorted([FILE, "other.h5.live1234.part", "other.h5.new12345.part"])


# ---------------------------------------------------------------------------------------------------------------
# Several processes, and signals


@pytest.mark.parametrize("cached", [None, CORRUPT], ids=["missing", "corrupt"])
def test_concurrent_processes_both_get_the_file(server, env, cached):
    """Two processes resolving the same missing (or corrupt) file: one downloads, both end with the file."""
    cache = env / "home" / "weights"
    if cached is not None:
        cache.mkdir(parents=True)
        (cache / FILE).write_bytes(cached)
    env_vars = child_env(ZOO_HOME=str(env / "home"), ZOO_WEIGHTS_URL=server.url + "/slow")
    start = time.time() + 1.5  # after both have imported zoo.weights
    children = [subprocess.Popen(child_command(start=start), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env_vars) for _ in range(2)]
    results = [child.communicate(timeout=60) for child in children]
    for child, (out, err) in zip(children, results):
        assert child.returncode == 0 and "Traceback" not in err, out + err
        assert out.strip() == f"OK {cache / FILE}", out + err
    assert server.counts["slow"] == 1
    assert sorted(p.name for p in cache.iterdir()) == [FILE]
    assert (cache / FILE).read_bytes() == DATA


def test_sigterm_mid_download_leaves_nothing_for_good(server, monkeypatch, env):
    cache = env / "home" / "weights"
    child = subprocess.Popen(child_command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=child_env(ZOO_HOME=str(env / "home"), ZOO_WEIGHTS_URL=server.url + "/hang"))
    try:
        deadline = time.monotonic() + 30
        while not (cache.exists() and any(cache.glob("*.part"))):
            assert time.monotonic() < deadline and child.poll() is None, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == -signal.SIGTERM
    assert any(name.endswith(".part") for name in cache_files())  # what a killed download leaves
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url + "/good")
    assert weights.resolve(SPEC).read_bytes() == DATA
    assert cache_files() == [FILE]


# ---------------------------------------------------------------------------------------------------------------
# Local files and the manifest


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
    assert SPEC.to_record() == make_record(golden={}, training={}, headline={}, class_names=[])


def test_missing_manifest_is_an_error_naming_it(env):
    with pytest.raises(weights.ManifestError, match="absent.json") as info:
        weights.load_manifest(env / "absent.json")
    assert isinstance(info.value, ValueError)


def test_packaged_manifest_loads():
    assert weights.MANIFEST_PATH.is_file()
    assert all(isinstance(spec, weights.WeightSpec) for spec in weights.load_manifest().values())


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
