"""SBNet scene segmenter: both twins build, sparse on an all-ones mask equals dense, gradients reach every weight,
weights move between the twins, bad arguments are refused."""
import numpy as np
import pytest
import tensorflow as tf

from zoo import registry
from zoo.data import scenes as scenes_lib
from zoo.sbnet import segmenter

TINY = dict(input_shape=(32, 32, 3), stem_width=8, mask_widths=(4, 4, 4),
            stages=(dict(width=8, units=1, block_size=5),
                    dict(width=16, units=2, block_size=5, stride=2, strided_block_size=7)))


def _images(n=2, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def _randomise(model, seed=0):
    """Random weights everywhere, batch norm moving statistics included (variances positive)."""
    rng = np.random.default_rng(seed)
    model.set_weights([np.abs(rng.normal(1.0, 0.3, w.shape)) if "variance" in w.path else rng.normal(0, 0.3, w.shape)
                       for w in model.weights])


@pytest.fixture
def twins():
    sparse, dense = registry.build("sbnet-segnet", **TINY), registry.build("sbnet-segnet-dense", **TINY)
    _randomise(sparse)
    dense.set_weights(sparse.get_weights())
    return sparse, dense


def test_both_twins_build_with_documented_outputs(twins):
    sparse, dense = twins
    assert [w.path.split("/", 1)[1] for w in sparse.weights] == [w.path.split("/", 1)[1] for w in dense.weights]
    outputs = sparse(_images())
    assert outputs["logits"].shape == (2, 32, 32, segmenter.NUM_CLASSES)
    assert outputs["mask"].shape == (2, 32, 32) and outputs["mask_logits"].shape == (2, 4, 4, 1)
    assert set(np.unique(outputs["mask"])) <= {0.0, 1.0}
    assert set(dense(_images())) == {"logits"}


def test_sparse_on_an_all_ones_mask_equals_the_dense_twin(twins):
    sparse, dense = twins
    images = _images()
    expected = dense(images, training=False)["logits"]
    got = sparse(images, training=False, computation_mask=tf.ones((2, 32, 32)))["logits"]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)


def test_pixels_outside_the_mask_are_background(twins):
    sparse, _ = twins
    mask = np.zeros((2, 32, 32), np.float32)
    mask[:, 8:16, 8:16] = 1
    logits = sparse(_images(), computation_mask=mask)["logits"].numpy()
    outside = np.broadcast_to(mask[..., None] == 0, logits.shape)
    expected = np.where(np.arange(segmenter.NUM_CLASSES) == 0, segmenter.OUTSIDE_LOGIT, 0.0)
    np.testing.assert_array_equal(logits[outside].reshape(-1, segmenter.NUM_CLASSES),
                                  np.broadcast_to(expected, (int(outside.sum()) // segmenter.NUM_CLASSES,
                                                             segmenter.NUM_CLASSES)))


def test_gradients_reach_every_trainable_weight():
    model = registry.build("sbnet-segnet", mask_threshold=0.01, **TINY)  # nearly every cell active
    labels = np.random.default_rng(1).integers(0, segmenter.NUM_CLASSES, (2, 32, 32)).astype(np.int32)
    with tf.GradientTape() as tape:
        losses = segmenter.segmentation_losses(model(_images(), training=True), labels)
        loss = tf.add_n(list(losses.values()))
    assert set(losses) == {"pixel", "mask"}
    gradients = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None or not np.any(g)]
    assert not missing


@pytest.mark.parametrize("source, target", [("sbnet-segnet", "sbnet-segnet-dense"),
                                            ("sbnet-segnet-dense", "sbnet-segnet")])
def test_weights_round_trip_between_the_twins(source, target, tmp_path):
    trained = registry.build(source, **TINY)
    _randomise(trained, seed=3)
    trained.save_weights(tmp_path / "twin.weights.h5")
    loaded = registry.build(target, **TINY)
    loaded.load_weights(tmp_path / "twin.weights.h5")
    for a, b in zip(trained.weights, loaded.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_scene_labels_and_mask_loss_target():
    arrays = scenes_lib.scenes_to_arrays(scenes_lib.make_scenes(2, "test", 0, segmenter.SCENES))
    labels = segmenter.scene_labels(arrays)
    assert labels.shape == arrays["foreground"].shape
    np.testing.assert_array_equal(labels > 0, arrays["foreground"])
    for scene, classes, masks in zip(labels, arrays["classes"], arrays["masks"]):
        for label, mask in zip(classes, masks):
            if label >= 0:
                assert np.all(scene[mask] == label + 1)


@pytest.mark.parametrize("overrides, message", [
    (dict(mask_threshold=1.0), "mask_threshold"),
    (dict(mask_dilation=-1), "mask_dilation"),
    (dict(stages=()), "stages"),
    (dict(stages=(dict(width=8, units=1),)), "each stage"),
    (dict(stages=(dict(width=8, units=1, block_size=5, stride=2),)), "strided_block_size"),
    (dict(impl="cuda"), "impl"),
    (dict(input_shape=(36, 36, 3)), "multiples of 8"),
])
def test_bad_arguments_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        registry.build("sbnet-segnet", **{**TINY, **overrides})


def test_bad_computation_mask_is_refused(twins):
    sparse, dense = twins
    with pytest.raises(ValueError, match="computation_mask"):
        sparse(_images(), computation_mask=tf.ones((2, 16, 16)))
    with pytest.raises(ValueError, match="computation_mask"):
        dense(_images(), computation_mask=tf.ones((2, 32, 32)))
