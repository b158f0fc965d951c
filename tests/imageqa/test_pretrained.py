"""The shipped image-QA weights: verified files whose records fit their models, zoo.load reproduces their golden
outputs (the task contract's: the encoder's features and each answer model's probabilities on embedded-slice
scenes), and ask() answers plain-English questions."""
import numpy as np
import pytest

from zoo import registry, tasks, weights
from zoo.imageqa.task import TASK, embedded_scenes, is_answer_model

QA_WEIGHTS = sorted(name for name in weights.load_manifest() if name.startswith("imageqa-"))


def test_every_model_and_the_encoder_are_shipped():
    assert {name.split(".")[0] for name in QA_WEIGHTS} == {
        "imageqa-encoder", "imageqa-bow", "imageqa-lstm", "imageqa-img-bow", "imageqa-vis-lstm",
        "imageqa-2vis-blstm", "imageqa-full"}


@pytest.mark.parametrize("name", QA_WEIGHTS)
def test_weight_reproduces_its_golden_outputs(name, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    spec = weights.load_manifest()[name]
    if is_answer_model(spec):
        vocabulary = spec.preprocessing["vocabulary"]
        assert len(vocabulary["words"]) == spec.builder_kwargs["vocab_size"]
        assert len(vocabulary["answers"]) == spec.builder_kwargs["num_answers"]
    if "outputs" not in spec.golden:
        pytest.skip(f"{name}'s golden record predates the task contract; regenerate it with "
                    "tools/publish_weights.py --refresh='imageqa-*'")
    assert tasks.check_golden(TASK, registry.load(name), spec) <= spec.golden["atol"]


def test_ask_answers_plain_english_questions_with_known_answers():
    from zoo.imageqa import ask

    scenes = np.stack([s.image for s in embedded_scenes(3)])
    answers = ask(scenes, ["what is the color of the background?", "how many objects are on the grey background",
                           "what is the color of the bag"])
    vocabulary = weights.load_manifest()["imageqa-full.fmnist_qa"].preprocessing["vocabulary"]
    assert len(answers) == 3 and set(answers) <= set(vocabulary["answers"])
    with pytest.raises(ValueError, match="questions"):
        ask(scenes, "what is it")
    with pytest.raises(ValueError, match="images"):
        ask(scenes[0], ["what is it"])
    with pytest.raises(ValueError, match="answer model"):
        ask(scenes, ["what is it"] * 3, "imageqa-encoder.fmnist_qa")
