"""The image-QA models: probabilities, padding invariance, numpy references, FULL averaging, weights, GUESS."""
import keras
import numpy as np
import pytest

from zoo import registry
from zoo.imageqa import networks

KW = dict(vocab_size=13, num_answers=5, image_dim=6, embedding_dim=4)
HIDDEN = 3
RECURRENT = ("imageqa-vis-lstm", "imageqa-2vis-blstm", "imageqa-lstm")
ALL = RECURRENT + ("imageqa-bow", "imageqa-img-bow", "imageqa-full")
# Right-padded questions: a short one, a one-word one, one filling every step, and an empty one.
QUESTIONS = np.array([[3, 4, 5, 0], [1, 0, 0, 0], [2, 12, 4, 7], [0, 0, 0, 0]], "int32")


def _build(arch, **kwargs):
    extra = {} if arch in ("imageqa-bow", "imageqa-img-bow") else {"hidden": HIDDEN}
    return registry.get_model_spec(arch).builder(**{**KW, **extra, **kwargs})


def _randomize(model, seed=0):
    """Replace every weight by N(0, 0.5²) so that zero biases or initialiser structure hide no bug."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def _inputs(questions=QUESTIONS, seed=1):
    image = np.random.default_rng(seed).normal(size=(len(questions), KW["image_dim"])).astype("float32")
    return {"image": image, "question": questions}


def _predict(model, inputs):
    return keras.ops.convert_to_numpy(model(inputs, training=False))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _numpy_lstm(steps, kernel, recurrent_kernel, bias):
    """Final hidden state of an LSTM over ``steps`` (T, E); Keras' gate order i, f, c, o; zero initial state."""
    units = recurrent_kernel.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    for x in steps:
        z = x @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = (z[k * units:(k + 1) * units] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
    return h


@pytest.mark.parametrize("name", ALL)
def test_probabilities_and_padding_invariance(name):
    model = _randomize(_build(name))
    inputs = _inputs()
    probabilities = _predict(model, inputs)
    assert probabilities.shape == (len(QUESTIONS), KW["num_answers"])
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    padded = {**inputs, "question": np.pad(QUESTIONS, ((0, 0), (0, 3)))}
    np.testing.assert_allclose(_predict(model, padded), probabilities, atol=1e-6)


def test_vis_lstm_matches_numpy_lstm():
    model = _randomize(_build("imageqa-vis-lstm"))
    inputs = _inputs()
    table = model.get_layer("word_embedding").get_weights()[0]
    (projection,) = model.get_layer("image_projection").get_weights()  # no bias
    kernel, recurrent_kernel, bias = model.get_layer("lstm").get_weights()
    dense_kernel, dense_bias = model.get_layer("answer_softmax").get_weights()
    expected = []
    for image, question in zip(inputs["image"], inputs["question"]):
        steps = [image @ projection] + [table[w] for w in question if w]  # the image token first
        expected.append(_softmax(_numpy_lstm(steps, kernel, recurrent_kernel, bias) @ dense_kernel + dense_bias))
    np.testing.assert_allclose(_predict(model, inputs), np.array(expected), atol=1e-5)


def test_two_vis_blstm_matches_numpy_bidirectional_lstm():
    model = _randomize(_build("imageqa-2vis-blstm"))
    inputs = _inputs()
    start_layer, end_layer = model.get_layer("image_projection"), model.get_layer("image_projection_end")
    assert start_layer.kernel is not end_layer.kernel and not start_layer.use_bias and not end_layer.use_bias
    table = model.get_layer("word_embedding").get_weights()[0]
    (start_map,), (end_map,) = start_layer.get_weights(), end_layer.get_weights()
    assert not np.allclose(start_map, end_map)
    blstm = model.get_layer("blstm")
    forward, backward = blstm.forward_layer.get_weights(), blstm.backward_layer.get_weights()
    dense_kernel, dense_bias = model.get_layer("answer_softmax").get_weights()
    expected = []
    for image, question in zip(inputs["image"], inputs["question"]):
        steps = [image @ start_map] + [table[w] for w in question if w] + [image @ end_map]
        state = np.concatenate([_numpy_lstm(steps, *forward), _numpy_lstm(steps[::-1], *backward)])
        expected.append(_softmax(state @ dense_kernel + dense_bias))
    np.testing.assert_allclose(_predict(model, inputs), np.array(expected), atol=1e-5)
    # The backward LSTM's first input is the end token: its state moves when only the end map changes.
    backward_state = keras.Model(model.inputs, blstm.output)
    before = keras.ops.convert_to_numpy(backward_state(inputs, training=False))[:, HIDDEN:]
    end_layer.set_weights([end_map + 1.0])
    after = keras.ops.convert_to_numpy(backward_state(inputs, training=False))[:, HIDDEN:]
    assert np.all(np.abs(after - before).max(-1) > 1e-4)


def test_img_bow_is_softmax_regression():
    model = _randomize(_build("imageqa-img-bow"))
    inputs = _inputs()
    table = model.get_layer("word_embedding").get_weights()[0]
    kernel, bias = model.get_layer("answer_softmax").get_weights()
    bag = np.stack([table[q[q > 0]].sum(0) for q in inputs["question"]])
    expected = _softmax(np.concatenate([bag, inputs["image"]], -1) @ kernel + bias)
    np.testing.assert_allclose(_predict(model, inputs), expected, atol=1e-5)


@pytest.mark.parametrize("name", ["imageqa-bow", "imageqa-lstm"])
def test_question_only_models_ignore_the_image(name):
    model = _randomize(_build(name))
    inputs = _inputs()
    other = {**inputs, "image": inputs["image"] * -3.0 + 1.0}
    np.testing.assert_array_equal(_predict(model, inputs), _predict(model, other))


def test_full_is_the_mean_of_member_probabilities_and_weights_round_trip(tmp_path):
    members = [_randomize(_build(name, name=f"trained_{i}"), seed=i)
               for i, name in enumerate(["imageqa-vis-lstm", "imageqa-2vis-blstm", "imageqa-img-bow"])]
    full = networks.full_from_members(*members)
    inputs = _inputs()
    expected = np.mean([_predict(m, inputs) for m in members], axis=0)
    np.testing.assert_allclose(_predict(full, inputs), expected, atol=1e-6)
    # The FULL built from the registry has the same layout: its single weights file loads there.
    path = tmp_path / "full.weights.h5"
    full.save_weights(path)
    rebuilt = _build("imageqa-full")
    rebuilt.load_weights(path)
    np.testing.assert_allclose(_predict(rebuilt, inputs), expected, atol=1e-6)
    # The copies are independent of the members.
    members[0].set_weights([w * 0 for w in members[0].get_weights()])
    np.testing.assert_allclose(_predict(full, inputs), expected, atol=1e-6)


def test_weights_and_keras_file_round_trip(tmp_path):
    model = _randomize(_build("imageqa-2vis-blstm"))
    path = tmp_path / "blstm.weights.h5"
    model.save_weights(path)
    fresh = _build("imageqa-2vis-blstm")
    fresh.load_weights(path)
    inputs = _inputs()
    np.testing.assert_array_equal(_predict(fresh, inputs), _predict(model, inputs))
    # The custom layers serialise too: a .keras file loads (safe mode) with equal outputs.
    model.save(tmp_path / "blstm.keras")
    loaded = keras.models.load_model(tmp_path / "blstm.keras")
    np.testing.assert_array_equal(_predict(loaded, inputs), _predict(model, inputs))


def test_one_fit_step_trains_embeddings():
    model = _build("imageqa-vis-lstm", max_len=QUESTIONS.shape[1])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    before = model.get_layer("word_embedding").get_weights()[0].copy()
    history = model.fit(_inputs(), np.array([0, 1, 2, 3]), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(model.get_layer("word_embedding").get_weights()[0], before)


@pytest.mark.parametrize("argument, value", [("vocab_size", 1), ("num_answers", 0), ("image_dim", 0), ("max_len", 0),
                                             ("embedding_dim", 0), ("hidden", 0), ("dropout", 1.0), ("dropout", -0.1),
                                             ("vocab_size", 2.5)])
def test_bad_arguments_name_the_argument(argument, value):
    with pytest.raises(ValueError, match=argument):
        _build("imageqa-vis-lstm", **{argument: value})


def test_bad_full_arguments():
    with pytest.raises(ValueError, match="members"):
        registry.build("imageqa-full", members=[_build("imageqa-bow")])
    with pytest.raises(ValueError, match="dropout"):
        _build("imageqa-full", dropout=(0.1, 0.2))


def test_guess_baseline_picks_the_modal_answer_per_type():
    types = [0, 0, 0, 1, 1, 1, 2, 3, 3]
    answers = [5, 5, 3, 2, 2, 9, 7, 4, 1]  # type 3 is a tie: the smaller id wins
    guess = networks.GuessBaseline().fit(types, answers)
    assert guess.modal_answers == {0: 5, 1: 2, 2: 7, 3: 1}
    np.testing.assert_array_equal(guess.predict(np.array([2, 0, 1, 3, 0])), [7, 5, 2, 1, 5])
    with pytest.raises(ValueError, match="not seen"):
        guess.predict([4])
    with pytest.raises(ValueError, match="same length"):
        networks.GuessBaseline().fit([0, 1], [1])
    with pytest.raises(ValueError, match="question_types"):
        networks.GuessBaseline().fit([[0, 1]], [1, 2])
    with pytest.raises(ValueError, match="before fit"):
        networks.GuessBaseline().predict([0])
