import gzip

import numpy as np
import pytest

from zoo.data import fashion_mnist, load_sample


def _write_idx(path, array, compress=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim]) + np.array(array.shape, ">u4").tobytes()
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_matches_numpy(tmp_path, compress):
    array = np.random.default_rng(0).integers(0, 255, (3, 4, 5)).astype(np.uint8)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    _write_idx(path, array, compress)
    np.testing.assert_array_equal(fashion_mnist.read_idx(path), array)
    ints = np.arange(-5, 5, dtype=np.int32)
    _write_idx(tmp_path / "b.idx", ints)
    np.testing.assert_array_equal(fashion_mnist.read_idx(tmp_path / "b.idx"), ints)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        fashion_mnist.read_idx(tmp_path / "bad")
    _write_idx(tmp_path / "short", np.zeros((4, 4), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        fashion_mnist.read_idx(tmp_path / "short")


def test_zoo_data_dir_comes_first(tmp_path, monkeypatch):
    images = np.full((2, 28, 28), 7, np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 4], np.uint8), compress=True)
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    x, y = fashion_mnist.load_fashion_mnist("test")
    np.testing.assert_array_equal(x, images)
    assert y.tolist() == [3, 4] and y.dtype == np.int64


def test_missing_data_lists_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "debian")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist.load_fashion_mnist("train")
    message = str(info.value)
    assert str(tmp_path / "nowhere") in message and str(tmp_path / "debian") in message and "tfds" in message


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        fashion_mnist.load_fashion_mnist("validation")


def test_debian_copy_is_the_full_data_set():
    x, y = fashion_mnist.load_fashion_mnist("test")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10


def test_embedded_sample_is_a_slice_of_the_test_split():
    images, labels, indices = load_sample()
    assert 1000 <= len(images) <= 5000 and images.shape[1:] == (28, 28)
    assert np.bincount(labels, minlength=10).min() > 0
    x, y = fashion_mnist.load_fashion_mnist("test")
    np.testing.assert_array_equal(x[indices], images)
    np.testing.assert_array_equal(y[indices], labels)
