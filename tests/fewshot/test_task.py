"""The few-shot task contract: folders in, the served episode computation, the sample headline, the golden logits,
in-graph input checks and a TensorFlow-only export."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import registry, tasks
from zoo.fewshot import sources, training
from zoo.fewshot.task import TASK

PROTONET, CLUSTER = "protonet-conv4.glyphs", "soft-kmeans-cluster-conv4.glyphs"
MASKED = "masked-soft-kmeans-conv4.glyphs"


@pytest.fixture(scope="module")
def models():
    return {name: zoo.load(name) for name in (PROTONET, CLUSTER, MASKED)}


def weight(name):
    return registry.get_weight_spec(name)


def write_png(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(image).numpy())


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """SUPPORT_DIR (classes 'alpha', 'beta', 'gamma': glyph test classes), QUERY_DIR, UNLABELED_DIR from the golden
    episode; beta's support image is dark on light RGB, one query has an alpha channel, one unlabeled image is
    56×56."""
    root = tmp_path_factory.mktemp("episode")
    episode = sources.golden_episode()
    for label, name in enumerate(("alpha", "beta", "gamma")):
        image = episode["support"][episode["support_labels"] == label][0]
        if name == "beta":
            image = np.repeat(255 - image, 3, axis=-1)
        write_png(root / "support" / name / f"{name}.png", image)
    queries = episode["query"][episode["query_labels"] < 3]
    for i, image in enumerate(queries):
        write_png(root / "query" / f"q{i}.png", np.concatenate([image, np.full_like(image, 255)], -1) if i == 0
                  else image)
    for i, image in enumerate(episode["unlabeled"][:6]):
        write_png(root / "unlabeled" / f"u{i}.png", np.repeat(np.repeat(image, 2, 0), 2, 1) if i == 0 else image)
    return root, episode


def test_read_inputs_reads_the_class_folders_and_reports_conversions(folders):
    root, episode = folders
    said = []
    inputs = TASK.read_inputs([root / "support", root / "query", root / "unlabeled"], weight(PROTONET), said.append)
    assert inputs["class_names"] == ["alpha", "beta", "gamma"]
    assert inputs["support"].shape == (3, 28, 28, 1) and inputs["support"].dtype == np.uint8
    np.testing.assert_array_equal(inputs["support_labels"], [0, 1, 2])
    assert inputs["query"].shape == (6, 28, 28, 1) and inputs["unlabeled"].shape == (6, 28, 28, 1)
    np.testing.assert_array_equal(inputs["query"][1:], episode["query"][episode["query_labels"] < 3][1:])
    text = "\n".join(said)
    assert "beta.png: converted the colour image to grey" in text and "u0.png: resized 56×56 to 28×28" in text
    assert "beta.png: inverted" in text and "q0.png: dropped the alpha channel" in text
    np.testing.assert_array_equal(inputs["support"], episode["support"][:3])  # grey again, inverted back


def test_read_inputs_errors_name_the_folder_or_file(folders, tmp_path):
    root, _ = folders
    w = weight(PROTONET)
    with pytest.raises(ValueError, match="SUPPORT_DIR QUERY_DIR"):
        TASK.read_inputs([root / "support"], w)
    with pytest.raises(ValueError, match="does not exist"):
        TASK.read_inputs([tmp_path / "nowhere", root / "query"], w)
    with pytest.raises(ValueError, match="only class subfolders.*q0.png"):
        TASK.read_inputs([root / "query", root / "query"], w)
    with pytest.raises(ValueError, match="subfolder alpha"):
        TASK.read_inputs([root / "support", root / "support"], w)
    (tmp_path / "one" / "only").mkdir(parents=True)
    with pytest.raises(ValueError, match="at least 2"):
        TASK.read_inputs([tmp_path / "one", root / "query"], w)
    (tmp_path / "one" / "other").mkdir()
    with pytest.raises(ValueError, match="'only' of SUPPORT_DIR.*holds no images"):
        TASK.read_inputs([tmp_path / "one", root / "query"], w)
    (tmp_path / "one" / "only" / "a.png").write_text("not an image")
    with pytest.raises(ValueError, match="a.png is not a PNG"):
        TASK.read_inputs([tmp_path / "one", root / "query"], w)


def test_predict_equals_the_served_outputs_and_names_the_classes(folders, models):
    root, _ = folders
    inputs = TASK.read_inputs([root / "support", root / "query", root / "unlabeled"], weight(CLUSTER), lambda _: None)
    prediction = TASK.predict(models[CLUSTER], inputs, weight(CLUSTER), top_k=2)
    served = TASK.serving(models[CLUSTER], weight(CLUSTER)).function(
        **{key: tf.constant(inputs[key]) for key in ("support", "support_labels", "query", "unlabeled")})
    np.testing.assert_allclose(prediction.probabilities, served["probabilities"], atol=1e-6)
    np.testing.assert_array_equal(prediction.labels, served["labels"])
    assert prediction.probabilities.shape == (6, 3) and np.all(prediction.probabilities.sum(1) <= 1 + 1e-6)
    np.testing.assert_array_equal(prediction.labels, [0, 0, 1, 1, 2, 2])  # the glyphs' own classes
    lines = prediction.lines()
    assert lines[0] == f"{root / 'query' / 'q0.png'}: alpha" and len(lines) == 6 * 3
    assert lines[1].startswith("  0.9") and lines[1].endswith("alpha")


def test_refinement_models_need_unlabeled_images_and_protonet_ignores_them(folders, models):
    root, _ = folders
    inputs = TASK.read_inputs([root / "support", root / "query"], weight(MASKED), lambda _: None)
    with pytest.raises(ValueError, match="give UNLABELED_DIR"):
        TASK.predict(models[MASKED], inputs, weight(MASKED))
    without = TASK.predict(models[PROTONET], inputs, weight(PROTONET))
    assert without.probabilities.shape == (6, 3) and np.allclose(without.probabilities.sum(1), 1, atol=1e-5)
    inputs = TASK.read_inputs([root / "support", root / "query", root / "unlabeled"], weight(PROTONET), print)
    with_unlabeled = TASK.predict(models[PROTONET], inputs, weight(PROTONET))
    np.testing.assert_allclose(with_unlabeled.probabilities, without.probabilities, atol=1e-6)
    assert "does not use the unlabeled images" in with_unlabeled.lines()[0]


def test_the_sample_headline_is_the_training_evaluation_on_the_sample_episodes(models):
    w = weight(CLUSTER)
    measurement = TASK.evaluate(models[CLUSTER], w)
    sampler = sources.paper_sampler("glyphs", "test", 1, True, num_classes=30)
    assert measurement.value == pytest.approx(training.evaluate(models[CLUSTER], sampler, 40)[0])
    assert measurement.examples == 40 * 25 and "first 30 glyphs test classes" in measurement.data
    assert abs(measurement.value - w.metrics["5way_1shot_distractors_accuracy"]) < 0.05


def test_full_evaluation_without_its_data_is_a_missing_data_error(models, monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("no data")

    monkeypatch.setattr(sources, "load_source", missing)
    with pytest.raises(tasks.MissingDataError, match="tfds"):
        TASK.evaluate(models[PROTONET], weight(PROTONET), full=True)


def test_golden_outputs_are_raw_logits_that_reload_reproduces(models):
    w = weight(CLUSTER)
    inputs = TASK.golden_inputs(w)
    outputs = TASK.golden_outputs(models[CLUSTER], inputs, w)
    assert outputs.shape == (5, 12)  # 5 classes x 2 queries x (5 classes + the distractor cluster)
    logits = models[CLUSTER]({k: inputs[k] for k in ("support", "support_labels", "query", "unlabeled")},
                             training=False)
    np.testing.assert_array_equal(outputs[1, 6:], logits[3])
    np.testing.assert_allclose(TASK.golden_outputs(zoo.load(CLUSTER), inputs, w), outputs, atol=1e-5)
    assert "golden_episode" in TASK.golden_description(w)


@pytest.mark.parametrize("change, message", [
    (dict(query=np.zeros((2, 28, 28, 3), np.uint8)), "query must be uint8 query images of shape"),
    (dict(support_labels=np.array([0, 1, 2, 3], np.int32)), "one label per support image"),
    (dict(support_labels=np.array([0, 1, 2, 4, 4], np.int32)), "every class present"),
    (dict(unlabeled=np.zeros((0, 28, 28, 1), np.uint8)), "unlabeled must hold at least one image"),
])
def test_served_function_rejects_bad_inputs_naming_them(models, change, message):
    serve = TASK.serving(models[MASKED], weight(MASKED)).function
    example = {**TASK.serving_example(weight(MASKED)), **change}
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        serve(**{key: tf.constant(value) for key, value in example.items()})


def test_signature_and_feature_extractor(models):
    signature = TASK.signature(weight(PROTONET))
    assert signature.inputs["support"] == ("uint8", (None, 28, 28, 1))
    assert signature.inputs["support_labels"] == ("int32", (None,))
    assert signature.outputs == {"probabilities": ("float32", (None, None)), "labels": ("int32", (None,))}
    features = zoo.load(PROTONET, include_top=False)
    query = TASK.serving_example(weight(PROTONET))["query"]
    np.testing.assert_allclose(features(query.astype(np.float32)), models[PROTONET].embed(query, training=False),
                               atol=1e-5)


def test_a_loaded_model_exports_with_keras(models, tmp_path):
    models[MASKED].export(tmp_path / "keras_export", verbose=False)  # the zoo's exports: tests/test_contract.py
    assert (tmp_path / "keras_export" / "saved_model.pb").exists()
