"""The image-QA models of Ren, Kiros, Zemel, "Exploring Models and Data for Image Question Answering" (NIPS 2015,
arXiv:1505.02074), as Keras 3 functional models, plus the GUESS baseline.

Every model takes the same inputs, a dict

- ``"image"``: float32 ``(batch, image_dim)``, a frozen, z-normalised CNN feature (the paper: VGG-19 fc7, 4096-d);
- ``"question"``: int32 ``(batch, max_len)`` word ids, 0 = padding, padding at the *end*;

and returns softmax probabilities ``(batch, num_answers)`` over a closed set of one-word answers (431 on COCO-QA).

The paper's structures (``imageqa-public:models/*.model.yml``) and what we build:

- **VIS+LSTM** (``imageqa-vis-lstm``): the image is mapped linearly *without bias* to the word-embedding size and
  is the *first token* (not concatenated to every step), followed by the word embeddings; dropout 0.2 on that
  sequence; an LSTM with 300 units; softmax on its output at the last real word.
- **2-VIS+BLSTM** (``imageqa-2vis-blstm``): two *distinct* bias-free image maps, one token before the first word and
  one right after the last real word; dropout 0.4; a forward LSTM reads ``[image_start; words; image_end]`` and a
  backward LSTM reads it reversed (so it sees ``image_end`` first); their final states (300 + 300) are
  concatenated into the softmax.
- **IMG+BOW** (``imageqa-img-bow``): multinomial logistic regression on ``[sum of word embeddings; image]``.
- **BOW** (``imageqa-bow``) and **LSTM** (``imageqa-lstm``): the question-only baselines (the sum of embeddings, and
  an LSTM over the words). They accept the ``image`` input and ignore it, so every model has one signature.
- **FULL** (``imageqa-full``): the *average of the probabilities* of VIS+LSTM, 2-VIS+BLSTM and IMG+BOW, each trained
  on its own (not a jointly trained ensemble). :func:`full_from_members` assembles it from three trained models.
- **GUESS** (:class:`GuessBaseline`): the modal training answer of each question type.

Padding never changes an output: the recurrent models get an explicit mask (``question != 0``, image tokens always
on), so each LSTM's final state is the one at the last real word (and the backward LSTM's at the start token), and
the bag of words sums only the real words. The word embedding's row 0 is therefore never used.

Defaults are the paper's: 500-d trainable word embeddings, 300 LSTM units, dropout 0.2 / 0.4, a 4096-d image
feature, 431 answers and 9,738 words (with UNK) plus the padding id 0. ``max_len=None`` accepts questions of any
length. Not reproduced here: the paper's training recipe (SGD with per-layer learning rates, weight clipping), which
belongs to the training code; the weights are Keras' default initialisers.
"""
import numbers

import keras
import numpy as np
from keras import layers, ops



# The recurrent models: which image tokens they read and whether the LSTM is bidirectional; the paper's dropout.
RECURRENT = {
    "imageqa-vis-lstm": dict(image_start=True, image_end=False, bidirectional=False, dropout=0.2),
    "imageqa-2vis-blstm": dict(image_start=True, image_end=True, bidirectional=True, dropout=0.4),
    "imageqa-lstm": dict(image_start=False, image_end=False, bidirectional=False, dropout=0.2),
}
# The bag-of-words models: whether the image feature joins the summed embeddings (no dropout in the paper).
BAG_OF_WORDS = {
    "imageqa-img-bow": dict(use_image=True, dropout=0.0),
    "imageqa-bow": dict(use_image=False, dropout=0.0),
}
# FULL's members, in order, and the Keras names they get inside it.
FULL_MEMBERS = (("imageqa-vis-lstm", "vis_lstm"), ("imageqa-2vis-blstm", "two_vis_blstm"),
                ("imageqa-img-bow", "img_bow"))

DEFAULTS = dict(vocab_size=9739, num_answers=431, image_dim=4096, max_len=None, embedding_dim=500)


@keras.saving.register_keras_serializable(package="zoo")
class ImageQuestionSequence(layers.Layer):
    """The recurrent models' input sequence: image tokens placed around the word embeddings, and its mask.

    The start token goes before the first word. The end token goes right after the *last real word* (the last
    non-zero id), not after the padding, so a backward LSTM over the masked sequence reads it first.

    Args:
        image_start: expect a start token and put it at position 0.
        image_end: expect an end token and put it after the last real word.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: list ``[question, words]`` followed by ``start`` if ``image_start`` and ``end`` if ``image_end``:
            ``question`` int ``(batch, T)`` word ids (0 = padding), ``words`` ``(batch, T, E)`` their embeddings,
            ``start`` and ``end`` ``(batch, E)`` image tokens.

    Returns:
        ``(sequence, mask)``: ``sequence`` ``(batch, T + image_start + image_end, E)`` and boolean ``mask`` of the
        same length, True at image tokens and real words. Padding positions hold zeros.

    Reference: Ren, Kiros, Zemel. Exploring Models and Data for Image Question Answering. NIPS 2015, arXiv:1505.02074.
    """

    def __init__(self, image_start=True, image_end=False, **kwargs):
        super().__init__(**kwargs)
        self.image_start = bool(image_start)
        self.image_end = bool(image_end)

    def call(self, inputs):
        question, words, *tokens = inputs
        expected = 2 + self.image_start + self.image_end
        if len(inputs) != expected:
            raise ValueError(f"ImageQuestionSequence(image_start={self.image_start}, image_end={self.image_end}) "
                             f"expects {expected} inputs, got {len(inputs)}")
        present = ops.not_equal(question, 0)
        words = words * ops.cast(present, words.dtype)[..., None]
        sequence, mask = words, present
        if self.image_end:
            end = tokens[-1]
            steps = ops.shape(question)[1]
            # Number of steps up to and including the last real word = index of the slot right after it.
            last = ops.max(ops.where(present, ops.arange(1, steps + 1, dtype="int32")[None], 0), axis=1)
            slot = ops.equal(ops.arange(steps + 1, dtype="int32")[None], last[:, None])  # (batch, T + 1)
            sequence = (ops.concatenate([words, ops.zeros_like(words[:, :1])], axis=1)
                        + ops.cast(slot, words.dtype)[..., None] * ops.cast(end, words.dtype)[:, None])
            mask = ops.logical_or(ops.concatenate([present, ops.zeros_like(present[:, :1])], axis=1), slot)
        if self.image_start:
            start = tokens[0]
            sequence = ops.concatenate([ops.cast(start, sequence.dtype)[:, None], sequence], axis=1)
            mask = ops.concatenate([ops.ones_like(mask[:, :1]), mask], axis=1)
        return sequence, mask

    def compute_output_spec(self, inputs):
        batch, steps, width = inputs[1].shape
        if steps is not None:
            steps += self.image_start + self.image_end
        return (keras.KerasTensor((batch, steps, width), dtype=inputs[1].dtype),
                keras.KerasTensor((batch, steps), dtype="bool"))

    def get_config(self):
        return {**super().get_config(), "image_start": self.image_start, "image_end": self.image_end}


@keras.saving.register_keras_serializable(package="zoo")
class MaskedSum(layers.Layer):
    """Sum over time of the unmasked steps (the bag of words).

    Call arguments:
        inputs: list ``[values, mask]``: ``values`` ``(batch, T, E)``, boolean ``mask`` ``(batch, T)``.

    Returns:
        ``(batch, E)``: the sum of ``values[:, t]`` over the steps where ``mask`` is True.

    Reference: Ren, Kiros, Zemel. Exploring Models and Data for Image Question Answering. NIPS 2015, arXiv:1505.02074.
    """

    def call(self, inputs):
        values, mask = inputs
        return ops.sum(values * ops.cast(mask, values.dtype)[..., None], axis=1)

    def compute_output_shape(self, input_shape):
        batch, _, width = input_shape[0]
        return (batch, width)


def _check_int(value, argument, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_common(vocab_size, num_answers, image_dim, max_len, embedding_dim, dropout):
    _check_int(vocab_size, "vocab_size (word ids including the padding id 0)", 2)
    _check_int(num_answers, "num_answers", 1)
    _check_int(image_dim, "image_dim", 1)
    if max_len is not None:
        _check_int(max_len, "max_len", 1)
    _check_int(embedding_dim, "embedding_dim", 1)
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")


def _inputs(image_dim, max_len):
    """The shared input signature: ``{"image": (batch, image_dim) float32, "question": (batch, max_len) int32}``."""
    return {"image": keras.Input((image_dim,), dtype="float32", name="image"),
            "question": keras.Input((max_len,), dtype="int32", name="question")}


def _word_embeddings(question, vocab_size, embedding_dim):
    """Trainable word embeddings of the question ids (row 0, the padding, is masked out downstream)."""
    return layers.Embedding(vocab_size, embedding_dim, name="word_embedding")(question)


def _image_token(image, embedding_dim, name):
    """The image feature mapped linearly, without bias, to the word-embedding size: one more 'word'."""
    return layers.Dense(embedding_dim, use_bias=False, name=name)(image)


def _dropout(x, rate, name="dropout"):
    return layers.Dropout(rate, name=name)(x) if rate > 0 else x


def _answer_softmax(x, num_answers):
    return layers.Dense(num_answers, activation="softmax", name="answer_softmax")(x)


def build_recurrent(image_start, image_end, bidirectional, vocab_size=DEFAULTS["vocab_size"],
                    num_answers=DEFAULTS["num_answers"], image_dim=DEFAULTS["image_dim"], max_len=DEFAULTS["max_len"],
                    embedding_dim=DEFAULTS["embedding_dim"], hidden=300, dropout=0.2, name="imageqa_recurrent"):
    """An LSTM image-QA model: [image token;] words [; image token] → dropout → (B)LSTM → softmax.

    Args:
        image_start: prepend the image, mapped without bias to ``embedding_dim``, as the first token.
        image_end: append a second, distinct bias-free map of the image right after the last real word.
        bidirectional: forward and backward LSTMs of ``hidden`` units each, final states concatenated.
        vocab_size: number of word ids, including the padding id 0.
        num_answers: size of the answer softmax.
        image_dim: size of the image feature.
        max_len: question length (``None``: any length).
        embedding_dim: word-embedding (and image-token) size.
        hidden: LSTM units (per direction).
        dropout: dropout rate on the input sequence.
        name: Keras model name.

    Returns:
        A functional ``keras.Model`` from ``{"image", "question"}`` to answer probabilities ``(batch, num_answers)``.

    Reference: Ren, Kiros, Zemel. Exploring Models and Data for Image Question Answering. NIPS 2015, arXiv:1505.02074.
    """
    _check_common(vocab_size, num_answers, image_dim, max_len, embedding_dim, dropout)
    _check_int(hidden, "hidden", 1)
    if image_end and not bidirectional:
        raise ValueError("image_end needs bidirectional=True (a forward LSTM alone would read it last, as in no "
                         "model of the paper)")
    inputs = _inputs(image_dim, max_len)
    pieces = [inputs["question"], _word_embeddings(inputs["question"], vocab_size, embedding_dim)]
    if image_start:
        pieces.append(_image_token(inputs["image"], embedding_dim, "image_projection"))
    if image_end:
        pieces.append(_image_token(inputs["image"], embedding_dim, "image_projection_end"))
    sequence, mask = ImageQuestionSequence(image_start, image_end, name="sequence")(pieces)
    sequence = _dropout(sequence, dropout)
    if bidirectional:
        state = layers.Bidirectional(layers.LSTM(hidden), merge_mode="concat", name="blstm")(sequence, mask=mask)
    else:
        state = layers.LSTM(hidden, name="lstm")(sequence, mask=mask)
    return keras.Model(inputs, _answer_softmax(state, num_answers), name=name)


def build_bag_of_words(use_image, vocab_size=DEFAULTS["vocab_size"], num_answers=DEFAULTS["num_answers"],
                       image_dim=DEFAULTS["image_dim"], max_len=DEFAULTS["max_len"],
                       embedding_dim=DEFAULTS["embedding_dim"], dropout=0.0, name="imageqa_bow"):
    """A softmax (multinomial logistic regression) on the sum of word embeddings [; the image feature].

    Args:
        use_image: concatenate the image feature to the summed embeddings (IMG+BOW) or not (BOW).
        vocab_size: number of word ids, including the padding id 0.
        num_answers: size of the answer softmax.
        image_dim: size of the image feature.
        max_len: question length (``None``: any length).
        embedding_dim: word-embedding size.
        dropout: dropout rate on the softmax input (the paper: none).
        name: Keras model name.

    Returns:
        A functional ``keras.Model`` from ``{"image", "question"}`` to answer probabilities ``(batch, num_answers)``.

    Reference: Ren, Kiros, Zemel. Exploring Models and Data for Image Question Answering. NIPS 2015, arXiv:1505.02074.
    """
    _check_common(vocab_size, num_answers, image_dim, max_len, embedding_dim, dropout)
    inputs = _inputs(image_dim, max_len)
    words = _word_embeddings(inputs["question"], vocab_size, embedding_dim)
    sequence, mask = ImageQuestionSequence(False, False, name="sequence")([inputs["question"], words])
    features = MaskedSum(name="bag_of_words")([sequence, mask])
    if use_image:
        features = layers.Concatenate(name="words_and_image")([features, inputs["image"]])
    features = _dropout(features, dropout)
    return keras.Model(inputs, _answer_softmax(features, num_answers), name=name)


def variant(arch, **kwargs):
    """The registered recurrent or bag-of-words variant ``arch`` (e.g. ``"imageqa-vis-lstm"``), built with
    ``kwargs`` over its table entry."""
    if arch in RECURRENT:
        return build_recurrent(**{**RECURRENT[arch], "name": arch.replace("-", "_"), **kwargs})
    return build_bag_of_words(**{**BAG_OF_WORDS[arch], "name": arch.replace("-", "_"), **kwargs})


def _average_members(members, name):
    """One functional model averaging the probabilities of ``members`` on shared inputs."""
    if len(members) != len(FULL_MEMBERS) or not all(isinstance(m, keras.Model) for m in members):
        raise ValueError(f"members must be {len(FULL_MEMBERS)} Keras models (VIS+LSTM, 2-VIS+BLSTM, IMG+BOW), "
                         f"got {members!r}")
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ValueError(f"members must have distinct names, got {names}; full_from_members renames copies")
    shapes = [(m.get_layer("image").batch_shape[1:], m.get_layer("question").batch_shape[1:], m.outputs[0].shape[1:])
              for m in members]
    if len(set(shapes)) != 1:
        raise ValueError(f"members must share image_dim, max_len and num_answers, got (image, question, answers) "
                         f"shapes {shapes}")
    (image_dim,), (max_len,), _ = shapes[0]
    inputs = _inputs(image_dim, max_len)
    outputs = layers.Average(name="average_probabilities")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=name)


def full(members=None, dropout=None, name="imageqa_full", **kwargs):
    """FULL: the average of the VIS+LSTM, 2-VIS+BLSTM and IMG+BOW answer probabilities (one Keras model).

    Args:
        members: ``None`` to build the three members fresh from ``kwargs``, or three models (VIS+LSTM,
            2-VIS+BLSTM, IMG+BOW) to use as they are, weights shared (see :func:`full_from_members` for a copy).
        dropout: ``None`` for each member's paper rate (0.2, 0.4, 0.0), or three rates in member order.
        name: Keras model name.
        **kwargs: the members' common builder arguments (``vocab_size``, ``num_answers``, ``image_dim``,
            ``max_len``, ``embedding_dim``, ``hidden``).

    Returns:
        A functional ``keras.Model`` from ``{"image", "question"}`` to the mean of the members' probabilities.
        Its members are nested models named ``vis_lstm``, ``two_vis_blstm`` and ``img_bow``; its weights save and
        load as one ``.weights.h5``.
    """
    if members is not None:
        if dropout is not None or kwargs:
            raise ValueError(f"members is given, so dropout and builder arguments must not be, got "
                             f"dropout={dropout!r} and {sorted(kwargs)}")
        return _average_members(tuple(members), name)
    rates = (None,) * len(FULL_MEMBERS) if dropout is None else tuple(dropout)
    if len(rates) != len(FULL_MEMBERS):
        raise ValueError(f"dropout must be None or {len(FULL_MEMBERS)} rates (VIS+LSTM, 2-VIS+BLSTM, IMG+BOW), "
                         f"got {dropout!r}")
    built = []
    for (arch, member_name), rate in zip(FULL_MEMBERS, rates):
        member_kwargs = {k: v for k, v in kwargs.items() if k != "hidden" or arch in RECURRENT}
        if rate is not None:
            member_kwargs["dropout"] = rate
        built.append(variant(arch, name=member_name, **member_kwargs))
    return _average_members(built, name)


def full_from_members(vis_lstm, two_vis_blstm, img_bow, name="imageqa_full"):
    """FULL built from three (trained) members: copies of their architectures with their weights copied in.

    The copies are named as in :func:`full`, so for members built with the same arguments the result has the
    same weight layout as ``zoo.registry.build("imageqa-full", ...)`` and its ``.weights.h5`` loads there.

    Args:
        vis_lstm: a VIS+LSTM model.
        two_vis_blstm: a 2-VIS+BLSTM model.
        img_bow: an IMG+BOW model.
        name: Keras model name.

    Returns:
        A functional ``keras.Model`` averaging the three copies' probabilities; later training of the members
        does not change it.
    """
    copies = []
    for member, (_, member_name) in zip((vis_lstm, two_vis_blstm, img_bow), FULL_MEMBERS):
        if not isinstance(member, keras.Model):
            raise ValueError(f"{member_name} must be a Keras model, got {type(member).__name__}")
        config = member.get_config()
        config["name"] = member_name
        copy = member.__class__.from_config(config)
        copy.set_weights(member.get_weights())
        copies.append(copy)
    return _average_members(copies, name)


class GuessBaseline:
    """GUESS: answer every question with the most common training answer of its question type.

    Ties go to the smallest answer id. Question types and answers are integer ids (COCO-QA types: 0 object,
    1 number, 2 color, 3 location).

    Reference: Ren, Kiros, Zemel. Exploring Models and Data for Image Question Answering. NIPS 2015, arXiv:1505.02074.
    """

    def __init__(self):
        self.modal_answers = None
        """dict question type → modal answer id, set by :meth:`fit`."""

    def fit(self, question_types, answers):
        """Store the modal answer of each question type.

        Args:
            question_types: 1-D integer array-like of question-type ids.
            answers: 1-D integer array-like of answer ids, aligned with ``question_types``.

        Returns:
            ``self``.

        Raises:
            ValueError: if the inputs are empty, not 1-D integers, or differ in length.
        """
        types = _integer_vector(question_types, "question_types")
        answers = _integer_vector(answers, "answers")
        if len(types) != len(answers):
            raise ValueError(f"question_types and answers must have the same length, got {len(types)} and "
                             f"{len(answers)}")
        if not len(types):
            raise ValueError("question_types and answers must not be empty")
        self.modal_answers = {}
        for kind in np.unique(types):
            values, counts = np.unique(answers[types == kind], return_counts=True)
            self.modal_answers[int(kind)] = int(values[np.argmax(counts)])  # unique() sorts: ties → smallest id
        return self

    def predict(self, question_types):
        """The modal answer id of each question's type.

        Args:
            question_types: 1-D integer array-like of question-type ids seen in :meth:`fit`.

        Returns:
            int64 array of answer ids, one per question.

        Raises:
            ValueError: if called before :meth:`fit`, or on bad or unseen question types.
        """
        if self.modal_answers is None:
            raise ValueError("GuessBaseline.predict called before fit")
        types = _integer_vector(question_types, "question_types")
        unseen = sorted(set(types.tolist()) - set(self.modal_answers))
        if unseen:
            raise ValueError(f"question_types {unseen} were not seen in fit (known: {sorted(self.modal_answers)})")
        return np.array([self.modal_answers[t] for t in types.tolist()], dtype=np.int64)


def _integer_vector(values, argument):
    array = np.asarray(values)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(f"{argument} must be a 1-D array of integer ids, got shape {array.shape} and dtype "
                         f"{array.dtype}")
    return array.astype(np.int64)
