"""Pretrained weight records, where weight files are found, and verified downloads.

Every pretrained weight is a record in the manifest shipped inside the package (``zoo/pretrained/manifest.json``)::

    {"format": 1, "weights": {"resnet-32.fashion_mnist": {"architecture": "resnet-32", "file": ...}}}

named ``ARCH.TAG`` and parsed into a :class:`WeightSpec`. Its ``sha256`` and ``size_bytes`` pin the
exact bytes of its ``file``; no file is ever used without matching both.

:func:`resolve` finds the file for a spec, in this order:

1. ``$ZOO_WEIGHTS_DIR/<file>`` if that variable is set. A file there that does not match raises
   :class:`ChecksumError` (a corrupt local copy is never skipped silently).
2. ``cache_dir()/<file>``, where :func:`cache_dir` is ``$ZOO_HOME/weights`` (``ZOO_HOME`` defaults
   to ``~/.cache/zoo``). A cached file that does not match (or cannot be read) is replaced by a download,
   with a warning; something other than a file at that path (a directory, say) raises
   :class:`CacheNotWritableError` naming it.
3. A download from ``$ZOO_WEIGHTS_URL/<file>`` (``http://``, ``https://`` or ``file://``) into the
   cache, unless ``$ZOO_OFFLINE`` is on. There is no default host: with ``ZOO_WEIGHTS_URL`` unset, a missing
   file is an error that names the file, the directory to put it in and the variable to set.

Environment variables read by :func:`resolve` (a value that is not understood raises
:class:`ConfigurationError` naming the variable, before anything is read or downloaded):

``ZOO_WEIGHTS_DIR``, ``ZOO_HOME``, ``ZOO_WEIGHTS_URL``
    as above.
``ZOO_OFFLINE``
    ``1``, ``true``, ``yes`` or ``on`` (any case) turn downloads off: a missing file is an error that names
    the file and where to put it. ``0``, ``false``, ``no``, ``off`` or empty (or unset) leave them on.
``ZOO_DOWNLOAD_DEADLINE``
    seconds (default :data:`DOWNLOAD_DEADLINE_SECONDS`, 30 minutes) that one download may take in all: waiting
    for another process's download of the same file, every attempt, and the waits between them.
``ZOO_DOWNLOAD_STALL_SECONDS``
    seconds (default :data:`DOWNLOAD_STALL_SECONDS`) without a byte from the server after which an attempt is
    abandoned (connecting, waiting for the answer, or mid-body) and retried.

How a download works:

- Only one process (or thread) downloads a given file at a time: it holds an ``fcntl.flock`` on
  ``<file>.lock`` in the cache; others wait for it, bounded by their deadline, then use the file it cached
  (or download it themselves if it failed). The lock file is removed when the download ends.
- The body streams into ``<file>.<random>.part`` in the cache, created with mode ``0666`` less the umask
  (so a cache shared between users stays readable, e.g. ``0644`` under umask 022) and flocked while it is
  written. It is checked against ``size_bytes`` and ``sha256`` and only then renamed onto ``<file>``, so an
  interrupted or corrupt download never leaves a usable-looking file and a bad file is never cached.
- Partial files a killed process left behind (``SIGTERM``, ``SIGKILL``, power loss) are swept before each
  download: a ``.part`` file is removed when no process holds its lock and it either belongs to the file
  being downloaded (whose ``.lock`` this process holds) or has not changed for ``ZOO_DOWNLOAD_STALL_SECONDS``.
- Transient failures (HTTP 408, 429 and 5xx, connection errors and resets, stalls, short bodies) are retried
  ``DOWNLOAD_ATTEMPTS`` times in all, with exponential backoff starting at ``BACKOFF_SECONDS``, or after the
  server's ``Retry-After`` when that is longer; a retry that could not start before the deadline is not made.
  Other 4xx answers (404, 403, ...), a missing ``file://`` file and a checksum mismatch are not retried.
  Redirects are followed.

Failures raise subclasses of :class:`WeightsError` that also subclass the matching builtin
(``FileNotFoundError``, ``ValueError``, ``PermissionError``, ``ConnectionError``).
"""
import contextlib
import dataclasses
import datetime
import email.utils
import functools
import hashlib
import http.client
import json
import logging
import math
import os
import pathlib
import re
import secrets
import stat
import tempfile
import time
import urllib.error
import urllib.request

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process locks; stale partial files are then recognised by age alone
    fcntl = None

from zoo.progress import progress_bar

MANIFEST_PATH = pathlib.Path(__file__).resolve().parent / "pretrained" / "manifest.json"
"""The manifest of every pretrained weight, shipped as package data."""
MANIFEST_FORMAT = 1
DOWNLOAD_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
DOWNLOAD_DEADLINE_SECONDS = 1800.0
"""Default of ``$ZOO_DOWNLOAD_DEADLINE``: the most seconds one download may take in all."""
DOWNLOAD_STALL_SECONDS = 30.0
"""Default of ``$ZOO_DOWNLOAD_STALL_SECONDS``: the most seconds an attempt may go without receiving a byte."""
LOCK_POLL_SECONDS = 0.05
CHUNK_BYTES = 1 << 20

_TRUE_VALUES = ("1", "true", "yes", "on")
_FALSE_VALUES = ("", "0", "false", "no", "off")
_ABSENT = "absent"

logger = logging.getLogger(__name__)


class WeightsError(Exception):
    """Base class of every error raised by :mod:`zoo.weights`."""


class ManifestError(WeightsError, ValueError):
    """The weight manifest is missing, unreadable or invalid."""


class ConfigurationError(WeightsError, ValueError):
    """An environment variable read by :func:`resolve` holds a value that is not understood."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """The weight file is in no local location and cannot be downloaded."""


class ChecksumError(WeightsError, ValueError):
    """A weight file's size or sha256 differs from its manifest record."""


class CacheNotWritableError(WeightsError, PermissionError):
    """The cache directory cannot be created or written (or its path for the file is taken), so nothing can be
    downloaded into it."""


class DownloadError(WeightsError, ConnectionError):
    """A download failed after ``DOWNLOAD_ATTEMPTS`` attempts, or did not finish within its deadline."""


class _TransientError(Exception):
    """A download failure worth retrying (after ``retry_after`` seconds, if the server said)."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class _DeadlineExceeded(Exception):
    """The download deadline passed during an attempt."""


@dataclasses.dataclass(frozen=True)
class WeightSpec:
    """One manifest record: a weight file, its checksum and how it was made.

    Attributes:
        name: ``ARCH.TAG``, e.g. ``"resnet-32.fashion_mnist"``.
        architecture: the registered architecture (``ARCH``).
        file: file name (no directories) in the weight locations.
        sha256, size_bytes: the exact content of ``file``.
        builder_kwargs: keyword arguments the architecture was built with.
        dataset, split, preprocessing: the data it was trained and evaluated on, and how inputs are prepared.
        metrics: evaluation results. command: the command that trained it. versions: library versions.
        license: the weights' license. training: training hyperparameters.
        golden: reference outputs that loading must reproduce (see :mod:`zoo.tasks`: raw output values of fixed
            embedded inputs, and their tolerance).
        headline: the one metric the weight is judged by (see :mod:`zoo.tasks`): its ``metric`` key in
            ``metrics`` (the full test value), ``name``, ``unit``, the value measured on the embedded ``sample``
            and the ``tolerance`` within which a re-measurement must agree.
        class_names: the names of the output classes, in output order (empty where outputs are not classes).
    """

    name: str
    architecture: str
    file: str
    sha256: str
    size_bytes: int
    builder_kwargs: dict
    dataset: str
    split: dict
    preprocessing: dict
    metrics: dict
    command: str
    versions: dict
    license: str
    golden: dict = dataclasses.field(default_factory=dict)
    training: dict = dataclasses.field(default_factory=dict)
    headline: dict = dataclasses.field(default_factory=dict)
    class_names: list = dataclasses.field(default_factory=list)

    @classmethod
    def from_record(cls, name: str, record: dict) -> "WeightSpec":
        """Validate the manifest ``record`` of weight ``name``; raise ``ValueError`` naming the bad field."""
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "name"}
        problems = [f"missing field {k!r}" for k, f in fields.items()
                    if k not in record and f.default_factory is dataclasses.MISSING]
        problems += [f"unknown field {k!r}" for k in record if k not in fields]
        problems += [f"field {k!r} must be {fields[k].type.__name__}, got {type(v).__name__}"
                     for k, v in record.items() if k in fields and not isinstance(v, fields[k].type)]
        if problems:
            raise ValueError(f"weight {name!r}: {'; '.join(problems)}")
        arch, _, tag = name.partition(".")
        if not (arch and tag) or arch != record["architecture"]:
            raise ValueError(f"weight {name!r}: name must be ARCH.TAG with ARCH equal to field 'architecture' "
                             f"({record['architecture']!r})")
        if not re.fullmatch(r"[0-9a-f]{64}", record["sha256"]):
            raise ValueError(f"weight {name!r}: field 'sha256' must be 64 lowercase hex digits, "
                             f"got {record['sha256']!r}")
        if isinstance(record["size_bytes"], bool) or record["size_bytes"] <= 0:
            raise ValueError(f"weight {name!r}: field 'size_bytes' must be a positive int, "
                             f"got {record['size_bytes']!r}")
        if record["file"] in ("", ".", "..") or "/" in record["file"] or "\\" in record["file"]:
            raise ValueError(f"weight {name!r}: field 'file' must be a bare file name, got {record['file']!r}")
        return cls(name=name, **record)

    def to_record(self) -> dict:
        """The manifest record: every field but ``name``."""
        record = dataclasses.asdict(self)
        del record["name"]
        return record


def load_manifest(path=None) -> dict[str, WeightSpec]:
    """The weights in the manifest at ``path`` (default :data:`MANIFEST_PATH`) by name.

    Parsed once per path (see :func:`clear_manifest_cache`). Raises :class:`ManifestError` naming the path
    when the file is missing or unreadable, or holds invalid JSON or records.
    """
    return dict(_parse_manifest(pathlib.Path(path or MANIFEST_PATH).resolve()))


@functools.lru_cache(maxsize=None)
def _parse_manifest(path: pathlib.Path) -> dict[str, WeightSpec]:
    try:
        text = path.read_text()
    except OSError as e:
        raise ManifestError(f"cannot read the weight manifest {path} ({e.strerror or e}); reinstall zoo, or "
                            "check the path you passed") from e
    try:
        data = json.loads(text)
        if not (isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT
                and isinstance(data.get("weights"), dict)):
            raise ValueError(f'expected {{"format": {MANIFEST_FORMAT}, "weights": {{...}}}}')
        return {name: WeightSpec.from_record(name, record) for name, record in data["weights"].items()}
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        raise ManifestError(f"invalid weight manifest {path}: {e}") from e


def clear_manifest_cache() -> None:
    """Forget every parsed manifest, so the next :func:`load_manifest` reads the file again."""
    _parse_manifest.cache_clear()


def write_manifest(specs: dict[str, WeightSpec], path=None) -> None:
    """Write ``specs`` to the manifest at ``path`` (default :data:`MANIFEST_PATH`): sorted, indented, atomically."""
    path = pathlib.Path(path or MANIFEST_PATH)
    data = {"format": MANIFEST_FORMAT, "weights": {spec.name: spec.to_record() for spec in specs.values()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    clear_manifest_cache()


def cache_dir() -> pathlib.Path:
    """Where downloaded weights are kept: ``$ZOO_HOME/weights`` (``ZOO_HOME`` defaults to ``~/.cache/zoo``)."""
    return pathlib.Path(os.environ.get("ZOO_HOME") or pathlib.Path.home() / ".cache" / "zoo").expanduser() / "weights"


def sha256_of(path) -> str:
    """The hex sha256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def offline() -> bool:
    """Whether ``$ZOO_OFFLINE`` turns downloads off (``1``, ``true``, ``yes``, ``on``, any case).

    Raises :class:`ConfigurationError` naming the variable when its value is neither one of those nor ``0``,
    ``false``, ``no``, ``off`` or empty.
    """
    return _env_flag("ZOO_OFFLINE")


def download_deadline() -> float:
    """``$ZOO_DOWNLOAD_DEADLINE`` in seconds (default :data:`DOWNLOAD_DEADLINE_SECONDS`); a positive number."""
    return _env_seconds("ZOO_DOWNLOAD_DEADLINE", DOWNLOAD_DEADLINE_SECONDS)


def download_stall_seconds() -> float:
    """``$ZOO_DOWNLOAD_STALL_SECONDS`` (default :data:`DOWNLOAD_STALL_SECONDS`); a positive number."""
    return _env_seconds("ZOO_DOWNLOAD_STALL_SECONDS", DOWNLOAD_STALL_SECONDS)


def _env_flag(name: str) -> bool:
    value = os.environ.get(name, "")
    if value.strip().lower() in _TRUE_VALUES:
        return True
    if value.strip().lower() in _FALSE_VALUES:
        return False
    raise ConfigurationError(f"{name}={value!r} is not understood: set it to 1, true, yes or on to turn it on, "
                             "or to 0, false, no or off (or unset it) to turn it off")


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(f"{name}={value!r} is not a number of seconds: set it to a positive number "
                                 f"(default {default:g}), or unset it")
    return seconds


def resolve(spec: WeightSpec, progress=None) -> pathlib.Path:
    """The path of a verified copy of ``spec.file``, downloading it into :func:`cache_dir` if needed.

    See the module docstring for the order of locations and the environment variables. ``progress`` shows a
    download progress bar on stderr (None: only when stderr is a terminal).
    """
    is_offline, deadline_seconds, stall_seconds = offline(), download_deadline(), download_stall_seconds()
    searched = []
    if os.environ.get("ZOO_WEIGHTS_DIR"):
        local = pathlib.Path(os.environ["ZOO_WEIGHTS_DIR"]) / spec.file
        searched.append(str(local.parent))
        if local.is_file():
            problem = _mismatch(spec, local)
            if problem is None:
                return local
            raise ChecksumError(f"{local} does not match weight {spec.name!r}: expected sha256 {spec.sha256} "
                                f"({spec.size_bytes} bytes), got {problem}")
    cache = cache_dir()
    cached = cache / spec.file
    searched.append(str(cache))
    problem = _cached_problem(spec, cached)
    if problem is None:
        return cached
    missing = f"weight file {spec.file} for {spec.name!r} " + (
        f"is not in {' or '.join(searched)}" if problem is _ABSENT
        else f"has no usable copy in {' or '.join(searched)} ({cached}: {problem})")
    put_it = f"put {spec.file} (sha256 {spec.sha256}) in {cache}"
    if is_offline:
        raise WeightsNotFoundError(f"{missing} and ZOO_OFFLINE={os.environ['ZOO_OFFLINE']} forbids downloads: "
                                   f"{put_it}")
    base_url = os.environ.get("ZOO_WEIGHTS_URL", "").rstrip("/")
    if not base_url:
        raise WeightsNotFoundError(f"{missing}: {put_it}, or set ZOO_WEIGHTS_URL to a base URL (http, https or "
                                   "file) that serves it, or ZOO_WEIGHTS_DIR to a directory holding it")
    deadline = time.monotonic() + deadline_seconds
    _check_writable(cache, "" if problem is _ABSENT else f", so its bad copy of {spec.file} cannot be replaced")
    url = f"{base_url}/{spec.file}"
    with _exclusive(cache / (spec.file + ".lock"), deadline, f"{spec.file} (ZOO_DOWNLOAD_DEADLINE="
                    f"{deadline_seconds:g} s)"):
        # Whoever held the lock before may have cached the file, or left a bad copy (or none).
        problem = _cached_problem(spec, cached)
        if problem is None:
            return cached
        if problem is not _ABSENT:
            logger.warning("deleting %s: %s", cached, problem)
            try:
                cached.unlink(missing_ok=True)
            except OSError as e:
                raise CacheNotWritableError(f"cannot delete {cached} ({problem}) to download it again: {e}; "
                                            "delete it, or set ZOO_HOME to a writable directory") from e
        _sweep_partial_files(cache, spec.file, stall_seconds)
        return _download_with_retries(url, spec, cached, progress, deadline, deadline_seconds, stall_seconds)


def _mismatch(spec: WeightSpec, path) -> str | None:
    """None if the file at ``path`` has the size and sha256 of ``spec``, else what it has instead."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:  # one open file for both, so a concurrent rename cannot mix two files
        size = os.fstat(f.fileno()).st_size
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    if size == spec.size_bytes and digest.hexdigest() == spec.sha256:
        return None
    return f"sha256 {digest.hexdigest()} ({size} bytes)"


def _cached_problem(spec: WeightSpec, cached: pathlib.Path):
    """None if ``cached`` is a good copy of ``spec``; ``_ABSENT`` if there is none; else why it is bad.

    Raises :class:`CacheNotWritableError` if something other than a file (a directory, say) is in its place.
    """
    try:
        mode = os.stat(cached).st_mode
    except FileNotFoundError:  # also a dangling symbolic link, which a download replaces
        return _ABSENT
    except OSError as e:
        raise CacheNotWritableError(f"cannot use the weight cache path {cached} ({e.strerror or e}); set ZOO_HOME "
                                    "to a writable directory") from e
    if not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise CacheNotWritableError(f"{cached} is {what}, but weight file {spec.file} should be cached there: "
                                    "remove it, or set ZOO_HOME to another directory")
    try:
        problem = _mismatch(spec, cached)
    except FileNotFoundError:  # deleted by another process since the stat
        return _ABSENT
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    return None if problem is None else (f"it does not match weight {spec.name!r}: expected sha256 {spec.sha256} "
                                         f"({spec.size_bytes} bytes), got {problem}")


def _check_writable(directory: pathlib.Path, consequence: str = "") -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError("no write permission")
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise CacheNotWritableError(f"weight cache directory {directory} is not writable ({e}){consequence}; "
                                    "set ZOO_HOME to a writable directory") from e


@contextlib.contextmanager
def _exclusive(lock_path: pathlib.Path, deadline: float, what: str):
    """Hold an exclusive ``flock`` on ``lock_path`` (created if needed, removed on exit).

    Waits for another holder until ``deadline`` (then :class:`DownloadError`). Removing the file on exit is safe:
    a waiter that then locks the removed file sees that it is no longer at ``lock_path`` and tries again.
    """
    if fcntl is None:
        yield
        return
    waited = False
    while True:
        try:
            fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o666)
        except OSError as e:
            raise CacheNotWritableError(f"cannot create the lock file {lock_path} ({e.strerror or e}); set ZOO_HOME "
                                        "to a writable directory") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if not waited:
                logger.info("waiting for another process to download %s", what)
                waited = True
            if time.monotonic() >= deadline:
                raise DownloadError(f"another process was still downloading {what} when the deadline passed "
                                    f"(it holds {lock_path})") from None
            time.sleep(LOCK_POLL_SECONDS)
            continue
        except OSError as e:  # a file system without flock: go on unlocked, as before locks existed
            os.close(fd)
            logger.warning("cannot lock %s (%s); downloading without a lock", lock_path, e)
            yield
            return
        try:
            current = os.stat(lock_path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(fd)):
            break
        os.close(fd)  # the holder removed it between our open and our lock: lock the new one
    try:
        yield
    finally:
        try:
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(fd)


_PART_RE = re.compile(r"(?P<file>.+)\.[^./]+\.part")


def _sweep_partial_files(cache: pathlib.Path, own_file: str, stall_seconds: float) -> None:
    """Delete ``.part`` files that no running download is writing (see the module docstring)."""
    try:
        candidates = [p for p in cache.iterdir() if p.name.endswith(".part")]
    except OSError:
        return
    for path in candidates:
        match = _PART_RE.fullmatch(path.name)
        ours = bool(match) and match["file"] == own_file and fcntl is not None
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            if not ours and time.time() - info.st_mtime < stall_seconds:
                continue  # may be a download that has just begun
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # still being written
            path.unlink()
            logger.info("deleted %s, a partial download that was interrupted", path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _download_with_retries(url, spec, dest, progress, deadline, deadline_seconds, stall_seconds) -> pathlib.Path:
    last_error, wait = None, 0.0
    for attempt in range(DOWNLOAD_ATTEMPTS):
        if attempt:
            if time.monotonic() + wait >= deadline:
                raise DownloadError(
                    f"downloading {url} failed and waiting {wait:g} s to try again would pass the download deadline "
                    f"(ZOO_DOWNLOAD_DEADLINE={deadline_seconds:g} s); last error: {last_error}")
            time.sleep(wait)
        try:
            return _download(url, spec, dest, progress, deadline, stall_seconds)
        except _TransientError as e:
            last_error = e
            wait = max(BACKOFF_SECONDS * 2 ** attempt, e.retry_after or 0.0)
            logger.warning("download of %s failed (attempt %d of %d): %s", url, attempt + 1, DOWNLOAD_ATTEMPTS, e)
        except _DeadlineExceeded as e:
            raise DownloadError(f"downloading {url} did not finish within the download deadline "
                                f"(ZOO_DOWNLOAD_DEADLINE={deadline_seconds:g} s){e}; set ZOO_DOWNLOAD_DEADLINE "
                                "higher for a slow connection") from None
    raise DownloadError(f"downloading {url} failed after {DOWNLOAD_ATTEMPTS} attempts; last error: {last_error}")


def _download(url, spec, dest, progress, deadline, stall_seconds) -> pathlib.Path:
    """One attempt: stream ``url`` into a locked ``.part`` file, verify it and rename it onto ``dest``."""

    def timeout(received=None):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlineExceeded("" if received is None else f": received {received} of {spec.size_bytes} bytes")
        return min(stall_seconds, remaining)

    def network_error(e, received=None):
        if isinstance(e, TimeoutError) or isinstance(getattr(e, "reason", None), TimeoutError):
            timeout(received)  # raises if it was the deadline
            where = "waiting for an answer" if received is None else f"after {received} of {spec.size_bytes} bytes"
            return _TransientError(f"no data for {stall_seconds:g} s (ZOO_DOWNLOAD_STALL_SECONDS) {where}")
        return _TransientError(f"{type(e).__name__}: {getattr(e, 'reason', None) or e}")

    try:
        response = urllib.request.urlopen(url, timeout=timeout())
    except urllib.error.HTTPError as e:
        retry_after = _retry_after_seconds(e.headers.get("Retry-After") if e.headers else None)
        e.close()  # its body is not needed; release the connection
        if e.code in (408, 429) or e.code >= 500:
            after = "" if retry_after is None else f" (Retry-After: {retry_after:g} s)"
            raise _TransientError(f"HTTP {e.code} {e.reason}{after}", retry_after) from e
        raise WeightsNotFoundError(f"cannot download {url}: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, FileNotFoundError):
            raise WeightsNotFoundError(f"cannot download {url}: {e.reason}") from e
        raise network_error(e) from e
    except (http.client.HTTPException, OSError) as e:  # no answer, resets, timeouts
        raise network_error(e) from e
    with response:
        part = dest.with_name(f"{dest.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the mode the umask gives a new file
        except OSError as e:
            raise CacheNotWritableError(f"cannot create {part} ({e.strerror or e}); set ZOO_HOME to a writable "
                                        "directory") from e
        try:
            with open(fd, "wb", closefd=False) as f:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # a new file: never blocks; tells sweeps it is in use
                read = getattr(response, "read1", response.read)
                digest, received = hashlib.sha256(), 0
                with progress_bar(spec.size_bytes, f"downloading {spec.file}", unit="B", show=progress) as bar:
                    while received <= spec.size_bytes:
                        try:
                            _set_read_timeout(response, timeout(received))
                            chunk = read(CHUNK_BYTES)
                        except (http.client.HTTPException, OSError) as e:  # IncompleteRead, resets, stalls
                            raise network_error(e, received) from e
                        if not chunk:
                            break
                        try:
                            f.write(chunk)
                        except OSError as e:
                            raise CacheNotWritableError(f"cannot write {part} ({e.strerror or e}); free some space "
                                                        "or set ZOO_HOME to another directory") from e
                        digest.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
                if received < spec.size_bytes:
                    raise _TransientError(f"short body: got {received} of {spec.size_bytes} bytes")
                if received > spec.size_bytes or digest.hexdigest() != spec.sha256:
                    got = (f"more than {spec.size_bytes} bytes" if received > spec.size_bytes
                           else f"sha256 {digest.hexdigest()}")
                    raise ChecksumError(f"downloaded {url} does not match weight {spec.name!r}: expected sha256 "
                                        f"{spec.sha256} ({spec.size_bytes} bytes), got {got}")
                try:
                    f.flush()
                    os.fsync(fd)
                    os.replace(part, dest)  # while still locked, so no sweep can take it first
                except OSError as e:
                    raise CacheNotWritableError(f"cannot move the verified download {part} onto {dest} "
                                                f"({e.strerror or e}); set ZOO_HOME to a writable directory") from e
            return dest
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)


def _set_read_timeout(response, seconds: float) -> None:
    """Bound the next socket read of an ``http(s)`` response (a ``file://`` one has no socket)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _retry_after_seconds(value) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as seconds from now; None if absent or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
