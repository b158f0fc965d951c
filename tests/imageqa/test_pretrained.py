"""The shipped image-QA weights: verified files, and zoo.load reproduces their golden outputs (the encoder's
features on three test scenes; each model's answer probabilities for three test questions on them)."""
import numpy as np
import pytest

import zoo  # noqa: F401  (registers the models)
from zoo import registry, weights
from zoo.imageqa import data

QA_WEIGHTS = sorted(name for name in weights.load_manifest() if name.startswith("imageqa-"))


@pytest.fixture(scope="module")
def scenes():
    return np.stack([s.image for s in data.make_scenes(3, "test", 1)])


@pytest.fixture(scope="module")
def features(scenes):
    return registry.load("imageqa-encoder.fmnist_qa")(scenes)["features"].numpy()


def test_every_model_and_the_encoder_are_shipped():
    assert {name.split(".")[0] for name in QA_WEIGHTS} == {
        "imageqa-encoder", "imageqa-bow", "imageqa-lstm", "imageqa-img-bow", "imageqa-vis-lstm",
        "imageqa-2vis-blstm", "imageqa-full"}


def test_encoder_reproduces_its_golden_features(features):
    golden = weights.load_manifest()["imageqa-encoder.fmnist_qa"].golden
    np.testing.assert_allclose(features.sum(axis=1), golden["features_sum"], atol=golden["atol"])


@pytest.mark.parametrize("name", [n for n in QA_WEIGHTS if not n.startswith("imageqa-encoder")])
def test_model_reproduces_its_golden_probabilities(name, features, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    spec = weights.load_manifest()[name]
    golden = spec.golden
    vocabulary = spec.preprocessing["vocabulary"]
    assert len(vocabulary["words"]) == spec.builder_kwargs["vocab_size"]
    assert len(vocabulary["answers"]) == spec.builder_kwargs["num_answers"]
    probabilities = registry.load(name)({"image": features, "question": np.array(golden["question_ids"])}).numpy()
    np.testing.assert_allclose(probabilities.max(axis=1), golden["probabilities_max"], atol=golden["atol"])


def test_ask_answers_plain_english_questions_with_known_answers(scenes):
    from zoo.imageqa import ask
    answers = ask(scenes, ["what is the color of the background?", "how many objects are on the grey background",
                           "what is the color of the bag"])
    vocabulary = weights.load_manifest()["imageqa-full.fmnist_qa"].preprocessing["vocabulary"]
    assert len(answers) == 3 and set(answers) <= set(vocabulary["answers"])
    with pytest.raises(ValueError, match="questions"):
        ask(scenes, "what is it")
    with pytest.raises(ValueError, match="images"):
        ask(scenes[0], ["what is it"])
