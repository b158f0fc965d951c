"""What the image-QA exports serve, on raw inputs: the questions' tokenization inside the graph, the input checks,
and the served functions of the answer models (scenes + question strings → answers) and of the frozen encoder
(images → features). :mod:`zoo.imageqa.task` builds its :class:`zoo.tasks.Serving` from these;
:func:`zoo.export.export_weight` writes them as SavedModels.
"""
import functools
import sys

import tensorflow as tf

from zoo.export import checked


class QuestionTokenizer(tf.Module):
    """Question strings → word ids ``(N, max_len)`` int32 in the graph, exactly as
    ``Vocabulary.encode(normalise_question(q), max_len)`` does in Python (:mod:`zoo.imageqa.data`): lower case,
    trailing ``"?"`` and spaces dropped, split at any whitespace Python's ``str.split`` splits at, each word looked up
    in a static table (unknown words → 1), cut to ``max_len`` and padded with 0 at the end.

    Args:
        words: the vocabulary's words in id order (``words[i]`` has id ``i``); ASCII, as the shipped vocabularies
            are (Python lower-cases every script, TensorFlow's ``tf.strings.lower`` only ASCII: with an ASCII
            vocabulary any other letter leaves a word unknown either way).
        max_len: the question length the model reads.
    """

    def __init__(self, words, max_len):
        super().__init__(name="question_tokenizer")
        words = list(words)
        if not all(w.isascii() for w in words):
            raise ValueError(f"the in-graph tokenizer needs an ASCII vocabulary; these words are not: "
                             f"{[w for w in words if not w.isascii()]}")
        self.max_len = int(max_len)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(words), tf.range(len(words), dtype=tf.int32)),
            default_value=1)

    def __call__(self, questions):
        """Word ids ``(N, max_len)`` int32 of the string tensor ``questions`` ``(N,)``."""
        text = tf.strings.lower(questions)  # ASCII letters; the few others whose lower case holds ASCII follow
        for character, lower in _ascii_lowercase_exceptions():
            text = tf.strings.regex_replace(text, _re2_literal(character), lower)
        text = tf.strings.regex_replace(text, "[ ?]+$", "")  # str.rstrip(" ?")
        text = tf.strings.regex_replace(text, f"[{''.join(map(_re2_literal, _python_whitespace()))}]+", " ")
        words = tf.strings.split(text, sep=" ")
        words = tf.ragged.boolean_mask(words, tf.strings.length(words) > 0)  # str.split() drops empty words
        ids = self.table.lookup(words)[:, :self.max_len]
        return ids.to_tensor(default_value=0, shape=[None, self.max_len])


@functools.cache
def _python_whitespace():
    """Every character Python's ``str.split()`` splits at."""
    return tuple(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


@functools.cache
def _ascii_lowercase_exceptions():
    """Non-ASCII characters whose Python lower case holds an ASCII letter (KELVIN SIGN → "k", ...), with it."""
    pairs = ((chr(c), chr(c).lower()) for c in range(128, sys.maxunicode + 1))
    return tuple((upper, lower) for upper, lower in pairs if any(ch.isascii() for ch in lower))


def _re2_literal(character):
    return f"\\x{{{ord(character):x}}}"


def same_count(images, questions):
    """``questions`` behind an in-graph check that there is one per image (``InvalidArgumentError`` naming both)."""
    counts = tf.shape(images)[0], tf.shape(questions)[0]
    message = "images and questions must hold one question per image; got images and questions of"
    with tf.control_dependencies([tf.debugging.Assert(tf.equal(*counts), [message, counts[0], counts[1]])]):
        return tf.identity(questions)


def divisible(images, multiple, what):
    """``images`` ``(N, H, W, C)`` behind an in-graph check that H and W are positive multiples of ``multiple``."""
    shape = tf.shape(images)
    ok = tf.reduce_all([shape[1] > 0, shape[2] > 0, shape[1] % multiple == 0, shape[2] % multiple == 0])
    message = f"images must have a height and width that are positive multiples of {multiple} ({what}); got shape"
    with tf.control_dependencies([tf.debugging.Assert(ok, [message, shape], summarize=8)]):
        return tf.identity(images)


def answer_function(model, encoder, tokenizer, answers, image_shape):
    """The served function of an answer model: ``images`` uint8 ``(N, *image_shape)`` scenes and ``questions``
    string ``(N,)`` → ``{"answers": string (N,), "probabilities": float32 (N, len(answers))}``, the encoder's
    features and the tokenizer inside."""
    answers = list(answers)

    def serve(images, questions):
        images = checked(images, "images", (None, *image_shape), "uint8 scenes")
        questions = same_count(images, checked(questions, "questions", (None,), "question strings"))
        features = encoder(images, training=False)["features"]
        probabilities = model({"image": features, "question": tokenizer(questions)}, training=False)
        words = tf.gather(tf.constant(answers), tf.argmax(probabilities, axis=-1))
        return {"answers": words, "probabilities": probabilities}

    return serve


def encoder_function(encoder, multiple):
    """The served function of the encoder: ``images`` uint8 ``(N, H, W, 3)`` with H and W multiples of
    ``multiple`` → ``{"features": float32 (N, D), "logits": float32 (N, classes)}``."""

    def serve(images):
        images = checked(images, "images", (None, None, None, 3), "uint8 RGB images")
        images = divisible(images, multiple, "the encoder pools its last feature map to a grid")
        outputs = encoder(images, training=False)
        return {"features": outputs["features"], "logits": outputs["logits"]}

    return serve
