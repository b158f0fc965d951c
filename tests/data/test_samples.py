import numpy as np

from zoo.data import samples


def test_write_sample_keeps_the_first_images_of_each_class_in_split_order(tmp_path, monkeypatch):
    labels = np.array([3, 0, 3, 1, 0, 3] + list(range(2, 10)) * 2)
    images = np.arange(len(labels), dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    path = tmp_path / "slice.npz"
    indices = samples.write_sample(images, labels, per_class=2, path=path)
    assert indices.tolist() == sorted(indices.tolist()) and len(indices) == 19  # class 1 has one image
    assert indices[:5].tolist() == [0, 1, 2, 3, 4] and 5 not in indices  # the third image of class 3 is left out
    monkeypatch.setattr(samples, "SAMPLE_PATH", path)
    loaded_images, loaded_labels, loaded_indices = samples.load_sample()
    assert loaded_indices.tolist() == indices.tolist() and loaded_labels.tolist() == labels[indices].tolist()
    np.testing.assert_array_equal(loaded_images, images[indices])
