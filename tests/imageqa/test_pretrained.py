"""The shipped image-QA weights: records whose vocabularies fit their models (tests/test_contract.py checks every
weight's golden outputs), and ask() answers plain-English questions."""
import numpy as np
import pytest

from zoo import weights
from zoo.imageqa.task import embedded_scenes, is_answer_model

QA_WEIGHTS = sorted(name for name in weights.load_manifest() if name.startswith("imageqa-"))


def test_every_model_and_the_encoder_are_shipped():
    assert {name.split(".")[0] for name in QA_WEIGHTS} == {
        "imageqa-encoder", "imageqa-bow", "imageqa-lstm", "imageqa-img-bow", "imageqa-vis-lstm",
        "imageqa-2vis-blstm", "imageqa-full"}


@pytest.mark.parametrize("name", [n for n in QA_WEIGHTS if not n.startswith("imageqa-encoder")])
def test_answer_model_records_fit_their_models(name):
    spec = weights.load_manifest()[name]
    assert is_answer_model(spec)
    vocabulary = spec.preprocessing["vocabulary"]
    assert len(vocabulary["words"]) == spec.builder_kwargs["vocab_size"]
    assert len(vocabulary["answers"]) == spec.builder_kwargs["num_answers"]


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
