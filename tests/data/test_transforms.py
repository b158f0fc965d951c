import numpy as np
import pytest
import tensorflow as tf

from zoo.data import transforms


def _seed(k):
    return tf.constant([7, k], tf.int64)


def _image(height, width, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels)).astype(np.uint8)


@pytest.mark.parametrize("name, size, expected", [
    ("none", (20, 30), (20, 30)), ("cifar", (32, 32), (32, 32)),
    ("imagenet_train", (300, 400), (224, 224)), ("imagenet_eval", (300, 400), (224, 224)),
])
def test_named_transforms_give_float_pixels_of_the_stated_size(name, size, expected):
    transform = transforms.get(name)
    out = transform(_image(*size), _seed(0))
    assert out.dtype == tf.float32 and tuple(out.shape) == (*expected, 3)
    assert transform.output_size(size) == expected
    assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 255.0


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="cifar"):
        transforms.get("autoaugment")


def test_cifar_is_a_shifted_crop_of_the_zero_padded_image_flipped_half_the_time():
    image = _image(32, 32)
    canvas = np.pad(image, [(4, 4), (4, 4), (0, 0)]).astype(np.float32)
    shifts, flips = set(), 0
    for k in range(200):
        out = transforms.get("cifar")(image, _seed(k)).numpy()
        found = [(i, j, f) for i in range(9) for j in range(9) for f in (0, 1)
                 if np.array_equal(out, (canvas[i:i + 32, j:j + 32][:, ::-1] if f else canvas[i:i + 32, j:j + 32]))]
        assert len(found) == 1
        shifts.add(found[0][:2])
        flips += found[0][2]
    assert 60 <= flips <= 140, "flipped with probability 1/2"
    assert len(shifts) > 50, "the 81 shifts are all drawn"


def test_the_same_seed_gives_the_same_augmentation():
    image = _image(40, 50)
    for name in ("cifar", "imagenet_train"):
        first, again = (transforms.get(name)(image, _seed(3)).numpy() for _ in range(2))
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, transforms.get(name)(image, _seed(4)).numpy())


def test_random_resized_crop_windows_follow_the_inception_ranges():
    crop = transforms.get("imagenet_train")
    areas, ratios, flips = [], [], 0
    for k in range(300):
        offset, extent = (t.numpy() for t in crop.crop_window(tf.constant([300, 400, 3]), _seed(k)))
        assert (offset >= 0).all() and (offset + extent <= [300, 400]).all()
        areas.append(extent.prod() / (300 * 400))
        ratios.append(extent[1] / extent[0])
    areas, ratios = np.array(areas), np.array(ratios)
    assert areas.min() >= 0.07 and areas.max() <= 1.0 and 0.3 < areas.mean() < 0.75
    assert ratios.min() >= 0.74 and ratios.max() <= 1.35
    image = np.tile(np.arange(400, dtype=np.uint8)[None, :, None] % 251, (300, 1, 3))  # columns increase
    for k in range(100):
        out = crop(image, _seed(k)).numpy()
        flips += out[112, 0, 0] > out[112, -1, 0]
    assert 30 <= flips <= 70


def test_decoding_only_the_crop_of_a_jpeg_matches_cropping_the_decoded_image():
    data = tf.io.encode_jpeg(_image(120, 160))
    crop = transforms.get("imagenet_train")
    for k in range(3):  # the same window; pixels differ only where JPEG's chroma upsampling meets the crop's edge
        difference = crop.decode(data, _seed(k), 3).numpy() - crop(tf.io.decode_jpeg(data), _seed(k)).numpy()
        assert np.abs(difference).mean() < 1.0
    png = tf.io.encode_png(_image(120, 160))
    np.testing.assert_array_equal(crop.decode(png, _seed(0), 3).numpy(), crop(tf.io.decode_png(png), _seed(0)).numpy())


def test_imagenet_eval_resizes_the_shorter_side_and_takes_the_centre():
    image = _image(256, 512)  # shorter side already 256: the output is the centre crop itself
    out = transforms.get("imagenet_eval")(image, _seed(0)).numpy()
    np.testing.assert_allclose(out, image[16:240, 144:368], atol=1e-3)
    small = transforms.get("imagenet_eval")(_image(100, 150), _seed(0))
    assert tuple(small.shape) == (224, 224, 3)
