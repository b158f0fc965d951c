"""The image-QA task contract: the in-graph tokenizer equals Vocabulary.encode, reading a scene and questions (or
images for the encoder) with clear errors, predict equals the served outputs, the sample evaluation near the recorded
full-test metric, missing data, golden outputs reproducible across loads, and the served input checks."""
import numpy as np
import pytest
import tensorflow as tf

from zoo import registry, tasks
from zoo.imageqa import answering, data, export, qgen
from zoo.imageqa import encoder as encoder_lib
from zoo.imageqa.task import TASK, TEST_QUESTIONS, AnswerTask, EncoderTask, embedded_scenes

ANSWER = "imageqa-img-bow.fmnist_qa"  # uses the image and is quick; FULL is served in test_export.py
ENCODER = "imageqa-encoder.fmnist_qa"
WEIGHTS = sorted(name for name in registry.list_models("imageqa-*", pretrained=True))


@pytest.fixture(scope="module")
def weight():
    return registry.get_weight_spec(ANSWER)


@pytest.fixture(scope="module")
def model():
    return registry.load(ANSWER)


@pytest.fixture(scope="module")
def encoder():
    return registry.load(ENCODER)


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenes") / "scene.png"
    path.write_bytes(tf.io.encode_png(embedded_scenes(1)[0].image).numpy())
    return path


def _questions(words, count, seed=0):
    """Questions mixing the vocabulary's words with unknown ones, upper case, punctuation, odd whitespace and
    trailing question marks, of every length up to three times max_len."""
    rng = np.random.default_rng(seed)
    extra = ["colour", "Bag", "WHAT", "t-shirt?", "bag,", "ünïcode", "İs", "\u212aoat", "?", ",", "<unk>", "", "??"]
    spaces = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\x1c", "\u2028"]
    out = []
    for _ in range(count):
        pool = list(words[2:]) + extra
        chosen = [pool[i] for i in rng.integers(len(pool), size=rng.integers(0, 48))]
        chosen = [w.upper() if rng.uniform() < 0.1 else w for w in chosen]
        text = "".join(w + spaces[rng.integers(len(spaces))] for w in chosen)
        out.append(text + ["", "?", " ?", "??", "? ", " "][rng.integers(6)])
    return out


def test_in_graph_tokenization_equals_vocabulary_encode(weight):
    vocabulary = data.Vocabulary(**weight.preprocessing["vocabulary"])
    questions = ["What is the color of the bag?", "how many objects are on the grey background ?", "", "   ", "?",
                 "what is it?\n", "İS the \u212aoat", "what\u00a0is\u3000the colour?", " ".join(["the"] * 40)]
    questions += _questions(vocabulary.words, 400)
    for max_len in (16, 3):
        ids = export.QuestionTokenizer(vocabulary.words, max_len)(tf.constant(questions)).numpy()
        expected = np.stack([vocabulary.encode(data.normalise_question(q), max_len) for q in questions])
        np.testing.assert_array_equal(ids, expected)
    assert (expected == 1).any() and (expected[:, -1] != 0).any()  # unknown words and full-length questions


def test_tokenizer_refuses_a_vocabulary_it_cannot_match_exactly():
    with pytest.raises(ValueError, match="ASCII"):
        export.QuestionTokenizer(["", "<unk>", "café"], 4)


def test_read_inputs_of_an_answer_model(weight, scene_file, tmp_path):
    notes = []
    inputs = TASK.read_inputs([str(scene_file), "What is the colour of the bag?", "how many objects"], weight,
                              notes.append)
    assert inputs["images"].shape == (2, 64, 64, 3) and inputs["images"].dtype == np.uint8
    assert inputs["questions"] == ["What is the colour of the bag?", "how many objects"]
    assert notes == ["'What is the colour of the bag?': the model does not know 'colour' (read as unknown words)"]
    small = tmp_path / "small.png"
    small.write_bytes(tf.io.encode_png(np.full((32, 32, 1), 128, np.uint8)).numpy())
    notes.clear()
    TASK.read_inputs([str(small), " ".join(["bag"] * 20)], weight, notes.append)
    assert any("grey image" in n for n in notes) and any("resized 32×32 to 64×64" in n for n in notes)
    assert any("first 16 words" in n for n in notes)


@pytest.mark.parametrize("arguments, message", [
    ([], "a scene image and at least one question"),
    (["{scene}"], "a scene image and at least one question"),
    (["{missing}", "what is it"], "cannot read image .*missing.png"),
    (["{text}", "what is it"], "not a PNG, JPEG, GIF or BMP image"),
    (["{scene}", " ? "], "has no words"),
    (["{scene}", "{scene}"], "is a file: give one scene image, then questions"),
])
def test_read_inputs_of_an_answer_model_rejects(arguments, message, weight, scene_file, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    paths = {"scene": scene_file, "missing": tmp_path / "missing.png", "text": text}
    with pytest.raises(ValueError, match=message):
        TASK.read_inputs([a.format(**paths) for a in arguments], weight, print)


def test_read_inputs_of_the_encoder(scene_file, tmp_path):
    weight = registry.get_weight_spec(ENCODER)
    inputs = TASK.read_inputs([str(scene_file), str(scene_file)], weight, print)
    assert inputs["images"].shape == (2, 64, 64, 3) and inputs["sources"] == [str(scene_file)] * 2
    with pytest.raises(ValueError, match="at least one image"):
        TASK.read_inputs([], weight, print)
    with pytest.raises(ValueError, match="cannot read image"):
        TASK.read_inputs([str(tmp_path / "none.png")], weight, print)


def test_dispatch_goes_by_whether_the_weight_names_an_encoder(weight):
    assert isinstance(TASK.kind(weight), AnswerTask)
    assert isinstance(TASK.kind(registry.get_weight_spec(ENCODER)), EncoderTask)


def test_answer_prediction_equals_the_served_outputs(model, weight, scene_file):
    inputs = TASK.read_inputs([str(scene_file), "what is the color of the background?", "what is the color of "
                               "the trousers"], weight, print)
    prediction = TASK.predict(model, inputs, weight, top_k=2)
    served = TASK.serving(model, weight).function(images=tf.constant(inputs["images"]),
                                                  questions=tf.constant(inputs["questions"]))
    np.testing.assert_array_equal(prediction.probabilities, served["probabilities"].numpy())
    assert prediction.answers == [a.decode() for a in served["answers"].numpy()]
    lines = prediction.lines()
    assert lines[:2] == [f"{scene_file}:", f"what is the color of the background? -> {prediction.answers[0]}"]
    assert len(lines) == 1 + 2 * 3 and prediction.save(".") == []
    assert answering.ask(inputs["images"], inputs["questions"], ANSWER) == prediction.answers


def test_feature_prediction_equals_the_served_outputs_and_saves_them(encoder, scene_file, tmp_path):
    weight = registry.get_weight_spec(ENCODER)
    inputs = TASK.read_inputs([str(scene_file)], weight, print)
    prediction = TASK.predict(encoder, inputs, weight, top_k=3)
    served = TASK.serving(encoder, weight).function(images=tf.constant(inputs["images"]))
    np.testing.assert_array_equal(prediction.features, served["features"].numpy())
    assert prediction.features.shape == (1, 2560)
    assert prediction.lines()[0].startswith(f"{scene_file}: 2560 features, mean ")
    (path,) = prediction.save(tmp_path / "out")
    assert path.name == "scene.features.npy"
    np.testing.assert_array_equal(np.load(path), prediction.features[0])


def test_sample_evaluation_is_near_the_recorded_full_test_metric(model, weight, encoder):
    measured = TASK.evaluate(model, weight)
    assert 250 <= measured.examples <= 400 and "embedded" in measured.data
    assert measured.value == pytest.approx(weight.metrics["accuracy"], abs=0.05)
    encoder_weight = registry.get_weight_spec(ENCODER)
    measured = TASK.evaluate(encoder, encoder_weight)
    assert measured.examples == 2000
    assert measured.value == pytest.approx(encoder_weight.metrics["tinted_test_accuracy"], abs=0.03)


def test_missing_data_raises_missing_data_error(model, weight, encoder, monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))  # no cached test split

    def absent(*args, **kwargs):
        raise FileNotFoundError("Fashion-MNIST 'test' not found")

    monkeypatch.setattr(encoder_lib, "load_fashion_mnist", absent)
    with pytest.raises(tasks.MissingDataError, match="apt-get install dataset-fashion-mnist"):
        TASK.evaluate(encoder, registry.get_weight_spec(ENCODER), full=True)
    monkeypatch.setattr(data.scenes_lib, "load_source", absent)
    with pytest.raises(tasks.MissingDataError, match="apt-get install dataset-fashion-mnist"):
        TASK.evaluate(model, weight, full=True, progress=False)

    def no_wordnet(*args, **kwargs):
        raise FileNotFoundError("WordNet database not found in /nowhere: install Debian's wordnet-base")

    monkeypatch.setattr(qgen, "wordnet", no_wordnet)
    with pytest.raises(tasks.MissingDataError, match="wordnet-base"):
        data.question_generator()


@pytest.mark.parametrize("name", WEIGHTS)
def test_golden_outputs_are_raw_values_reproduced_by_a_second_load(name):
    weight = registry.get_weight_spec(name)
    record = TASK.golden_record(registry.load(name), weight, atol=1e-4)
    first = np.array(record["outputs"])
    second = TASK.golden_outputs(registry.load(name), TASK.golden_inputs(weight), weight)
    assert first.ndim == 2 and first.shape[0] == 3 and first.shape[1] >= tasks.GOLDEN_VALUES
    assert len(np.unique(first)) > first.shape[1]  # raw values, not a constant
    np.testing.assert_allclose(first, second, atol=1e-5)
    assert record["inputs"].startswith("Three 64×64 scenes of the embedded Fashion-MNIST test images")


@pytest.mark.slow
def test_full_test_split_is_the_recorded_one(weight):
    try:
        arrays = data.cached_test_split(data.Vocabulary(**weight.preprocessing["vocabulary"]), progress=False)
    except FileNotFoundError as error:
        pytest.skip(f"the full test data is not on this machine: {error}")
    assert len(arrays["answers"]) == len(arrays["questions"]) == len(arrays["texts"]) == TEST_QUESTIONS
    assert arrays["images"].shape == (data.TEST_SCENES, 64, 64, 3)


def test_served_answer_model_rejects_wrong_inputs(model, weight):
    serve = TASK.serving(model, weight).function
    scenes, questions = tf.zeros((2, 64, 64, 3), tf.uint8), tf.constant(["what is it", "how many"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must be uint8 scenes of shape \\(N, 64, 64, 3\\)"):
        serve(images=tf.zeros((2, 32, 32, 3), tf.uint8), questions=questions)
    with pytest.raises(tf.errors.InvalidArgumentError, match="questions must be question strings of shape \\(N\\)"):
        serve(images=scenes, questions=tf.constant([["what is it"], ["how many"]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="one question per image"):
        serve(images=scenes, questions=questions[:1])


def test_served_encoder_rejects_images_that_do_not_divide_into_its_grid(encoder):
    serve = TASK.serving(encoder, registry.get_weight_spec(ENCODER)).function
    assert serve(images=tf.zeros((1, 48, 32, 3), tf.uint8))["features"].shape == (1, 2560)
    with pytest.raises(tf.errors.InvalidArgumentError, match="positive multiples of 16"):
        serve(images=tf.zeros((1, 40, 64, 3), tf.uint8))
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must be uint8 RGB images of shape"):
        serve(images=tf.zeros((1, 64, 64, 1), tf.uint8))


def test_export_options_are_refused(model, weight):
    with pytest.raises(ValueError, match="do not apply to image-QA weights"):
        TASK.serving(model, weight, architecture="x")
