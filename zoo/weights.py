"""Pretrained weight records, where weight files are found, and verified downloads.

Every pretrained weight is a record in the manifest shipped inside the package (``zoo/pretrained/manifest.json``)::

    {"format": 1, "weights": {"resnet-32.fashion_mnist": {"architecture": "resnet-32", "file": ...}}}

named ``ARCH.TAG`` and parsed into a :class:`WeightSpec`. Its ``sha256`` and ``size_bytes`` pin the
exact bytes of its ``file``; no file is ever used without matching both.

:func:`resolve` finds the file for a spec, in this order:

1. ``$ZOO_WEIGHTS_DIR/<file>`` if that variable is set. A file there that does not match raises
   :class:`ChecksumError` (a corrupt local copy is never skipped silently).
2. ``cache_dir()/<file>``, where :func:`cache_dir` is ``$ZOO_HOME/weights`` (``ZOO_HOME`` defaults
   to ``~/.cache/zoo``). A cached file that does not match is deleted, with a warning.
3. A download from ``$ZOO_WEIGHTS_URL/<file>`` (``http://``, ``https://`` or ``file://``) into the
   cache, unless ``ZOO_OFFLINE=1``. There is no default host: with ``ZOO_WEIGHTS_URL`` unset, a missing
   file is an error that names the file, the directory to put it in and the variable to set. The download streams into a ``.part`` file in the cache dir,
   is checked against ``size_bytes`` and ``sha256`` and only then renamed onto its final name, so an
   interrupted or corrupt download never leaves a usable-looking file. Transient failures (HTTP 5xx,
   connection errors, timeouts, short bodies) are retried ``DOWNLOAD_ATTEMPTS`` times in all with
   exponential backoff starting at ``BACKOFF_SECONDS``; a 4xx answer or a checksum mismatch is not.

Failures raise subclasses of :class:`WeightsError` that also subclass the matching builtin
(``FileNotFoundError``, ``ValueError``, ``PermissionError``, ``ConnectionError``).
"""
import dataclasses
import functools
import hashlib
import http.client
import json
import logging
import os
import pathlib
import re
import tempfile
import time
import urllib.error
import urllib.request

from zoo.progress import progress_bar

MANIFEST_PATH = pathlib.Path(__file__).resolve().parent / "pretrained" / "manifest.json"
"""The manifest of every pretrained weight, shipped as package data."""
MANIFEST_FORMAT = 1
DOWNLOAD_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
DOWNLOAD_TIMEOUT_SECONDS = 60
CHUNK_BYTES = 1 << 20

logger = logging.getLogger(__name__)


class WeightsError(Exception):
    """Base class of every error raised by :mod:`zoo.weights`."""


class ManifestError(WeightsError, ValueError):
    """The weight manifest is missing, unreadable or invalid."""


class WeightsNotFoundError(WeightsError, FileNotFoundError):
    """The weight file is in no local location and cannot be downloaded."""


class ChecksumError(WeightsError, ValueError):
    """A weight file's size or sha256 differs from its manifest record."""


class CacheNotWritableError(WeightsError, PermissionError):
    """The cache directory cannot be created or written, so nothing can be downloaded."""


class DownloadError(WeightsError, ConnectionError):
    """A download still failed after ``DOWNLOAD_ATTEMPTS`` attempts."""


class _TransientError(Exception):
    """A download failure worth retrying."""


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


def _matches(spec: WeightSpec, path: pathlib.Path) -> bool:
    return path.stat().st_size == spec.size_bytes and sha256_of(path) == spec.sha256


def resolve(spec: WeightSpec, progress=None) -> pathlib.Path:
    """The path of a verified copy of ``spec.file``, downloading it into :func:`cache_dir` if needed.

    See the module docstring for the order of locations. ``progress`` shows a download progress bar on stderr
    (None: only when stderr is a terminal).
    """
    searched = []
    if os.environ.get("ZOO_WEIGHTS_DIR"):
        local = pathlib.Path(os.environ["ZOO_WEIGHTS_DIR"]) / spec.file
        searched.append(str(local.parent))
        if local.is_file():
            if _matches(spec, local):
                return local
            raise ChecksumError(f"{local} does not match weight {spec.name!r}: expected sha256 {spec.sha256} "
                                f"({spec.size_bytes} bytes), got {sha256_of(local)} ({local.stat().st_size} bytes)")
    cache = cache_dir()
    cached = cache / spec.file
    searched.append(str(cache))
    if cached.is_file():
        if _matches(spec, cached):
            return cached
        logger.warning("deleting %s: its sha256 does not match weight %r", cached, spec.name)
        cached.unlink()
    missing = f"weight file {spec.file} for {spec.name!r} is not in {' or '.join(searched)}"
    put_it = f"put {spec.file} (sha256 {spec.sha256}) in {cache}"
    if os.environ.get("ZOO_OFFLINE") == "1":
        raise WeightsNotFoundError(f"{missing} and ZOO_OFFLINE=1: {put_it}")
    base_url = os.environ.get("ZOO_WEIGHTS_URL", "").rstrip("/")
    if not base_url:
        raise WeightsNotFoundError(f"{missing}: {put_it}, or set ZOO_WEIGHTS_URL to a base URL (http, https or "
                                   "file) that serves it, or ZOO_WEIGHTS_DIR to a directory holding it")
    _check_writable(cache)
    url = f"{base_url}/{spec.file}"
    last_error = None
    for attempt in range(DOWNLOAD_ATTEMPTS):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            return _download(url, spec, cached, progress)
        except _TransientError as e:
            last_error = e.__cause__ or e
            logger.warning("download of %s failed (attempt %d of %d): %s",
                           url, attempt + 1, DOWNLOAD_ATTEMPTS, last_error)
    raise DownloadError(f"downloading {url} failed after {DOWNLOAD_ATTEMPTS} attempts; last error: {last_error}")


def _check_writable(directory: pathlib.Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError("no write permission")
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise CacheNotWritableError(f"weight cache directory {directory} is not writable ({e}); "
                                    "set ZOO_HOME to a writable directory") from e


def _download(url: str, spec: WeightSpec, dest: pathlib.Path, progress: bool) -> pathlib.Path:
    """One attempt: stream ``url`` into a ``.part`` file, verify it and rename it onto ``dest``."""
    part = tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, prefix=spec.file + ".", suffix=".part")
    try:
        with part:
            digest, received = hashlib.sha256(), 0
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, \
                        progress_bar(spec.size_bytes, f"downloading {spec.file}", unit="B", show=progress) as bar:
                    while received <= spec.size_bytes and (chunk := response.read(CHUNK_BYTES)):
                        part.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
            except urllib.error.HTTPError as e:
                e.close()  # its body is not needed; release the connection
                if e.code < 500:
                    raise WeightsNotFoundError(f"cannot download {url}: HTTP {e.code} {e.reason}") from e
                raise _TransientError() from e
            except urllib.error.URLError as e:
                if isinstance(e.reason, FileNotFoundError):
                    raise WeightsNotFoundError(f"cannot download {url}: {e.reason}") from e
                raise _TransientError() from e
            except (http.client.HTTPException, OSError) as e:  # IncompleteRead, resets, timeouts
                raise _TransientError() from e
        if received < spec.size_bytes:
            raise _TransientError(f"short body: got {received} of {spec.size_bytes} bytes")
        if received > spec.size_bytes or digest.hexdigest() != spec.sha256:
            got = f"more than {spec.size_bytes} bytes" if received > spec.size_bytes else f"sha256 {digest.hexdigest()}"
            raise ChecksumError(f"downloaded {url} does not match weight {spec.name!r}: expected sha256 "
                                f"{spec.sha256} ({spec.size_bytes} bytes), got {got}")
        os.replace(part.name, dest)
        return dest
    except BaseException:
        pathlib.Path(part.name).unlink(missing_ok=True)
        raise
