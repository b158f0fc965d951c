"""The SBNet task contract on the shipped weights: scene files in, per-pixel classes out (the same computation the
export serves), mean IoU on the embedded sample, golden outputs, checked inputs, and an export that serves with the
pure-TensorFlow ops in a process with only TensorFlow."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import registry, tasks
from zoo.data import scenes as scenes_lib
from zoo.sbnet import evaluation, ops
from zoo.sbnet.task import TASK, SceneSegmentationTask, native_library, with_impl

SPARSE = "sbnet-segnet.fashion_mnist_scenes"
DENSE = "sbnet-segnet-dense.fashion_mnist_scenes"


@pytest.fixture(scope="module")
def loaded():
    """``name -> (weight, model)`` for both shipped weights."""
    return {name: (registry.get_weight_spec(name), zoo.load(name)) for name in (SPARSE, DENSE)}


@pytest.fixture(scope="module")
def scene_files(tmp_path_factory):
    """Two sample scenes as PNG files, and the images."""
    directory = tmp_path_factory.mktemp("scenes")
    images = evaluation.sample_scenes(2)[0]
    paths = []
    for i, image in enumerate(images):
        paths.append(directory / f"scene{i}.png")
        paths[-1].write_bytes(tf.io.encode_png(image).numpy())
    return paths, images


def test_the_family_finds_its_task():
    assert registry.get_task("sbnet") is TASK and isinstance(TASK, SceneSegmentationTask)


def test_read_inputs_reads_scenes_and_reports_conversions(loaded, scene_files, tmp_path):
    weight = loaded[SPARSE][0]
    paths, images = scene_files
    notes = []
    inputs = TASK.read_inputs(paths, weight, say=notes.append)
    np.testing.assert_array_equal(inputs["images"], images)
    assert inputs["sources"] == [str(p) for p in paths] and notes == []
    small = tmp_path / "small.png"
    small.write_bytes(tf.io.encode_png(np.full((128, 128, 1), 200, np.uint8)).numpy())
    inputs = TASK.read_inputs([small], weight, say=notes.append)
    assert inputs["images"].shape == (1, 256, 256, 3)
    assert any("grey" in note for note in notes) and any("resized 128×128 to 256×256" in note for note in notes)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    for path, message in ((tmp_path / "missing.png", "cannot read image .*missing.png"),
                          (tmp_path / "empty.png", "empty.png is empty"),
                          (tmp_path / "text.png", "text.png is not a PNG")):
        with pytest.raises(ValueError, match=message):
            TASK.read_inputs([path], weight)
    with pytest.raises(ValueError, match="at least one"):
        TASK.read_inputs([], weight)


@pytest.mark.parametrize("name", [SPARSE, DENSE])
def test_predict_is_what_the_export_serves_and_says_so(loaded, scene_files, name, tmp_path):
    weight, model = loaded[name]
    paths, images = scene_files
    prediction = TASK.predict(model, TASK.read_inputs(paths, weight), weight)
    served = TASK.serving(model, weight).function(images=tf.constant(images))
    np.testing.assert_array_equal(prediction.classes, served["classes"])
    np.testing.assert_allclose(prediction.probabilities, served["probabilities"], atol=1e-6)
    logits = model(images, training=False)["logits"]  # the served copy uses the pure-TF ops: same weights
    agree = np.mean(prediction.classes == np.argmax(logits, axis=-1))
    assert agree > 0.9999
    assert prediction.classes.dtype == np.int32 and prediction.classes.shape == (2, 256, 256)
    text = "\n".join(prediction.lines())
    assert "scene0.png: 256×256 pixels" in text and "background" in text
    assert ("computation mask covers" in text) == (name == SPARSE)
    assert (prediction.masks is not None) == (name == SPARSE)
    written = prediction.save(tmp_path)
    assert [p.name for p in written] == ["scene0.classes.png", "scene1.classes.png"]
    assert tf.io.decode_png(written[0].read_bytes()).shape[:2] == (256, 256)


@pytest.mark.parametrize("name", [SPARSE, DENSE])
def test_evaluate_on_the_sample_is_near_the_recorded_test_value(loaded, name):
    weight, model = loaded[name]
    measured = TASK.evaluate(model, weight)
    assert measured.examples == evaluation.SAMPLE_SCENES and "embedded" in measured.data
    assert abs(measured.value - weight.metrics["mean_iou"]) < 0.05
    assert TASK.headline_spec(weight)["metric"] in weight.metrics


def test_full_evaluation_without_the_test_split_says_how_to_get_it(loaded, monkeypatch, tmp_path):
    def missing(split):
        raise FileNotFoundError(f"no Fashion-MNIST {split} split")

    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    monkeypatch.setattr(scenes_lib, "load_source", missing)
    weight, model = loaded[SPARSE]
    with pytest.raises(tasks.MissingDataError, match="apt-get install dataset-fashion-mnist"):
        TASK.evaluate(model, weight, full=True)


def test_golden_outputs_are_raw_and_reproduced_by_a_second_load(loaded):
    weight, model = loaded[SPARSE]
    inputs = TASK.golden_inputs(weight)
    first = TASK.golden_outputs(model, inputs, weight)
    assert first.shape == (2, 8 * 11) and np.all(np.isfinite(first))
    np.testing.assert_allclose(TASK.golden_outputs(zoo.load(SPARSE), inputs, weight), first, atol=1e-5)
    dense_weight, dense = loaded[DENSE]
    assert TASK.golden_outputs(dense, inputs, dense_weight).shape == (2, 8 * 11)
    assert "embedded" in TASK.golden_description(weight)


def test_served_function_rejects_a_wrong_shape_naming_the_input(loaded):
    weight, model = loaded[DENSE]
    serve = TASK.serving(model, weight).function
    for bad in (np.zeros((1, 128, 128, 3), np.uint8), np.zeros((256, 256, 3), np.uint8)):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be uint8 RGB scenes of shape "
                                                                 r"\(N, 256, 256, 3\)"):
            serve(images=tf.constant(bad))
    with pytest.raises(ValueError, match="export options"):
        TASK.serving(model, weight, architecture="x")


def test_the_export_uses_pure_tensorflow_ops_and_native_needs_the_library(loaded, monkeypatch):
    weight, model = loaded[SPARSE]
    served = TASK.serving(model, weight).models[0]
    assert served.impl == "tf" and served is not model
    assert with_impl(served, "tf") is served
    signature = TASK.signature(weight)
    assert set(signature.outputs) == {"classes", "probabilities", "mask"}
    if native_library():
        assert native_library() in signature.checks and "tf.load_op_library" in signature.checks
    assert set(TASK.signature(loaded[DENSE][0]).outputs) == {"classes", "probabilities"}
    if ops.native_available():  # the compiled ops serve the same classes and mask
        images = tf.constant(evaluation.sample_scenes(1)[0])
        native, pure = (TASK.serving(model, weight, native=n).function(images=images) for n in (True, False))
        np.testing.assert_array_equal(native["mask"], pure["mask"])
        np.testing.assert_array_equal(native["classes"], pure["classes"])
    monkeypatch.setattr(ops, "native_available", lambda: False)
    with pytest.raises(ValueError, match="native=True needs the compiled SBNet ops"):
        TASK.serving(model, weight, native=True)


def test_a_loaded_model_exports_with_keras(loaded, tmp_path):
    loaded[DENSE][1].export(str(tmp_path / "keras"), verbose=False)
    assert (tmp_path / "keras" / "saved_model.pb").exists()
