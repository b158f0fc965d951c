"""Fashion-MNIST from IDX files (Xiao, Rasul & Vollgraf 2017, MIT licence).

Search order: ``$ZOO_DATA_DIR``, Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist``), then ``tfds.load("fashion_mnist")`` — with
``download=False`` unless the caller asks to download, because an offline ``tfds.load`` retries
for minutes before failing.
"""
import gzip
import os
import pathlib

import numpy as np

from zoo import extras

CLASS_NAMES = (
    "t-shirt/top", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)
DEBIAN_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4]!r})")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
    array = np.frombuffer(data[header:], dtype=_IDX_DTYPES[data[2]])
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: header says {shape}, found {array.size} values")
    return array.reshape(shape).astype(array.dtype.newbyteorder("="))


def candidate_dirs() -> list[pathlib.Path]:
    """Directories searched for the IDX files, in order."""
    dirs = []
    if os.environ.get("ZOO_DATA_DIR"):
        dirs.append(pathlib.Path(os.environ["ZOO_DATA_DIR"]))
    dirs.append(DEBIAN_DIR)
    return dirs


def _find(directory: pathlib.Path, stem: str):
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def load_fashion_mnist(split: str = "train", download: bool = False):
    """Load a Fashion-MNIST split.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
        download: let ``tensorflow_datasets`` download the data if no local copy is found.

    Returns:
        ``(images, labels)``: uint8 array ``(N, 28, 28)`` and int64 array ``(N,)``.

    Raises:
        ValueError: ``split`` is not ``"train"`` or ``"test"``.
        FileNotFoundError: no copy was found; the message lists every place searched.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    image_stem, label_stem = _FILES[split]
    searched = []
    for directory in candidate_dirs():
        images, labels = _find(directory, image_stem), _find(directory, label_stem)
        if images and labels:
            return read_idx(images), read_idx(labels).astype(np.int64)
        searched.append(f"{directory} ({image_stem}[.gz], {label_stem}[.gz])")
    try:
        return _load_tfds(split, download)
    except Exception as err:  # tfds raises several unrelated types when the data is absent
        searched.append(f"tfds 'fashion_mnist' with download={download} ({type(err).__name__}: {err})")
    raise FileNotFoundError(
        "Fashion-MNIST not found. Looked in:\n  - " + "\n  - ".join(searched)
        + "\nInstall it with `apt-get install dataset-fashion-mnist`, set ZOO_DATA_DIR to a directory "
        "holding the IDX files, or call with download=True."
    )


def _load_tfds(split, download):
    tfds = extras.require("tensorflow_datasets", "tfds", "Fashion-MNIST from tfds")

    data = tfds.as_numpy(tfds.load("fashion_mnist", split=split, batch_size=-1, download=download))
    return data["image"][..., 0].astype(np.uint8), data["label"].astype(np.int64)
