"""The recurrent attention segmenter on tiny configurations: shapes, memories, the no-box ablation, scheduled
sampling that feeds each true instance once, gradients, training/resuming, inference and evaluation."""
import numpy as np
import pytest
import tensorflow as tf

from zoo.data import scenes as scenes_lib
from zoo.recattend import training
from zoo.recattend.model import RecurrentAttentionSegmenter, attention_box, box_attention

TINY = {"image_size": (24, 24), "max_steps": 4, "patch_size": (8, 8), "box_filters": (4, 4), "lstm_units": 8,
        "glimpses": 2, "segmentation_filters": (4, 8), "score_hidden": 8}
SCENES = scenes_lib.SceneConfig(height=24, width=24, min_objects=1, max_objects=3, min_scale=0.5, max_scale=0.8)


@pytest.fixture(scope="module")
def arrays():
    return training.scene_arrays(12, "train", 0, config=SCENES)


@pytest.mark.parametrize("memory,box_network", [("canvas", True), ("convlstm", True), ("canvas", False)])
def test_outputs_have_the_documented_shapes_and_ranges(arrays, memory, box_network):
    model = RecurrentAttentionSegmenter(**TINY, memory=memory, box_network=box_network)
    out = model(arrays["images"][:3])
    assert out["masks"].shape == out["box_masks"].shape == (3, 4, 24, 24)
    assert out["scores"].shape == (3, 4) and out["attention"].shape == (3, 4, 6)
    for key in ("masks", "box_masks", "scores"):
        assert 0 <= float(tf.reduce_min(out[key])) and float(tf.reduce_max(out[key])) <= 1
    if not box_network:  # every step reads the whole image
        np.testing.assert_allclose(out["attention"][:, :, :4], np.tile([11.5, 11.5, 24, 24], (3, 4, 1)))


def test_attention_box_inverts_box_attention():
    boxes = np.array([[2, 3, 10, 15], [0, 0, 24, 24]])
    attention = box_attention(boxes, (24, 24), (8, 8), padding=0.0)
    np.testing.assert_allclose(attention_box(attention), boxes, atol=1e-5)


def test_teacher_forcing_feeds_each_true_box_once(arrays):
    model = RecurrentAttentionSegmenter(**TINY)
    batch = {k: arrays[k][:4] for k in ("images", "boxes", "masks", "num_objects")}
    ones = np.ones((4, 4), np.float32)
    out = model(batch["images"], teacher={**batch, "use_box": ones, "use_mask": ones})
    true = box_attention(batch["boxes"], (24, 24), (8, 8)).numpy()
    for b in range(4):
        count = batch["num_objects"][b]
        fed = []
        for t in range(count):  # the rendered box of step t must be exactly one of the true boxes
            renders = [model.attend.write(np.ones((1, 8, 8, 1), np.float32),
                                          np.concatenate([true[b, j, :5], [0.0]])[None], (24, 24)).numpy()
                       for j in range(count)]
            step = out["box_masks"][b, t].numpy()
            errors = [np.abs(step - tf.sigmoid(np.exp(2) * r[0, ..., 0] - 5)).max() for r in renders]
            fed.append(int(np.argmin(errors)))
            assert min(errors) < 1e-4
        assert sorted(fed) == list(range(count))


def test_gradients_reach_every_weight(arrays):
    model = RecurrentAttentionSegmenter(**TINY, memory="convlstm")
    batch = {k: arrays[k][:4] for k in ("images", "boxes", "masks", "box_masks", "num_objects")}
    zeros = np.zeros((4, 4), np.float32)
    with tf.GradientTape() as tape:
        out = model(batch["images"], teacher={**batch, "use_box": zeros, "use_mask": zeros})
        loss = training.model_loss(out, batch)["total"]
    gradients = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None]
    # the memory's gates only see stopped segments: no gradient reaches them, as in the paper's code
    assert all(path.startswith("memory") for path in missing), missing


def test_padded_box_masks():
    masks = training.padded_box_masks(np.array([[5, 5, 10, 15], [0, 0, 0, 0]]), (20, 20), padding=0.2)
    expected = np.zeros((20, 20), bool)
    expected[4:11, 3:17] = True  # grown by 1 and 2 pixels (0.2 × 5 and 0.2 × 10) on each side
    np.testing.assert_array_equal(masks[0], expected)
    assert not masks[1].any()


def test_box_phase_loss_is_the_box_term(arrays):
    model = RecurrentAttentionSegmenter(**TINY)
    batch = {k: arrays[k][:4] for k in ("images", "boxes", "masks", "box_masks", "num_objects")}
    out = model(batch["images"])
    box, full = training.model_loss(out, batch, "box"), training.model_loss(out, batch)
    assert float(box["total"]) == pytest.approx(float(full["box"]))
    assert float(full["total"]) == pytest.approx(float(full["segment"] + full["box"] + full["score"]))


def test_train_runs_both_phases_and_resumes(arrays, tmp_path):
    config = training.TrainConfig(box_steps=2, full_steps=2, batch_size=4)
    model = RecurrentAttentionSegmenter(**TINY)
    history = training.train(model, arrays, config, checkpoint_dir=tmp_path)
    assert [h["phase"] for h in history] == ["box", "box", "full", "full"]
    assert all(np.isfinite(h["total"]) for h in history)
    resumed = RecurrentAttentionSegmenter(**TINY)
    more = training.train(resumed, arrays, training.TrainConfig(box_steps=2, full_steps=3, batch_size=4),
                          checkpoint_dir=tmp_path)
    assert [h["step"] for h in more] == [1, 2, 3, 4, 5]  # the kept history, then the one new step
    assert more[:4] == history
    assert all(a["seconds"] <= b["seconds"] for a, b in zip(more, more[1:]))


class Oracle:
    """Returns the true masks as its segments, with scores 1 for real instances and 0 after."""

    max_steps = 4

    def __init__(self, arrays):
        self.arrays = arrays

    def __call__(self, images):
        index = [int(np.flatnonzero((self.arrays["images"] == image).all(axis=(1, 2, 3)))[0]) for image in images]
        masks = np.zeros((len(index), 4, 24, 24), np.float32)
        masks[:, :3] = self.arrays["masks"][index]
        scores = (np.arange(4)[None, :] < self.arrays["num_objects"][index][:, None]).astype(np.float32)
        return {"masks": tf.constant(masks), "scores": tf.constant(scores)}


def test_inference_stops_at_the_first_low_score_and_the_oracle_scores_perfectly(arrays):
    results = training.segment(Oracle(arrays), arrays["images"][:6])
    for (masks, scores), count, truth in zip(results, arrays["num_objects"][:6], arrays["masks"][:6]):
        assert len(masks) == count and (scores == 1).all()
        np.testing.assert_array_equal(masks, truth[:count])
    result = training.evaluate(Oracle(arrays), arrays, batch_size=5)
    assert result == {"sbd": 1.0, "abs_dic": 0.0, "mwcov": 1.0, "mucov": 1.0, "ap50": 1.0, "scenes": 12}


def test_without_a_box_network_teacher_forcing_never_moves_the_window(arrays):
    model = RecurrentAttentionSegmenter(**TINY, box_network=False)
    batch = {k: arrays[k][:3] for k in ("images", "boxes", "masks", "num_objects")}
    ones = np.ones((3, 4), np.float32)
    forced = model(batch["images"], teacher={**batch, "use_box": ones, "use_mask": np.zeros((3, 4), np.float32)})
    np.testing.assert_allclose(forced["box_masks"], model(batch["images"])["box_masks"], atol=1e-6)
