"""The task contract of the image-QA family (:mod:`zoo.tasks`): one task for its two kinds of weights.

- **Answer models** (``imageqa-full``, ``-vis-lstm``, ``-2vis-blstm``, ``-img-bow``, ``-bow``, ``-lstm``): a 64×64
  scene and a question in plain English → a one-word answer. Their record's preprocessing names the frozen encoder
  (``image_features``) and holds the vocabulary; the export takes uint8 scenes and question strings and runs the
  encoder and the tokenizer inside (:mod:`zoo.imageqa.export`). Judged by answer accuracy on generated questions.
- **The encoder** (``imageqa-encoder``): images → the image feature (and its classifier head's logits). Judged by
  its accuracy on tinted Fashion-MNIST test articles.

:class:`ImageQATask` dispatches each call on the weight's kind (:func:`is_answer_model`).
"""
import dataclasses
import functools
import json
import logging
import os
import pathlib

import numpy as np
import tensorflow as tf

from zoo import registry, tasks
from zoo.data import images as images_lib
from zoo.data import samples
from zoo.data.fashion_mnist import CLASS_NAMES
from zoo.imageqa import data, export
from zoo.imageqa import encoder as encoder_lib
from zoo.progress import progress_bar

logger = logging.getLogger(__name__)

SCENE_SEED = 1
"""Seed of the embedded-slice scenes (the golden inputs, the sample, the serving example); the test split's."""
SAMPLE_SCENES = 48
"""Scenes of the answer models' sample (16 per background; about 300 questions)."""
GOLDEN_QUESTIONS = ("what is the color of the coat?", "what is above the green dress?",
                    "how many objects are on the grey background?")
"""One question about each of the three golden scenes (a colour, an object and a number question)."""
ENCODER_GOLDEN_STRIDE = 80
"""The encoder's golden values: every 80th feature (32 of 2,560, over both pooled maps and every grid cell)."""
TEST_QUESTIONS = 18_236
"""Questions of the test split the answer models' accuracy was measured on (docs/RESULTS.md)."""
BATCH = 1000
FASHION_MNIST_HINT = ("the full Fashion-MNIST test split is not installed: apt-get install dataset-fashion-mnist, "
                      "or set ZOO_DATA_DIR to a directory holding its IDX files")


def is_answer_model(weight):
    """Whether ``weight`` is an answer model (its preprocessing names an image-feature encoder) rather than the
    encoder itself."""
    return "image_features" in weight.preprocessing


def embedded_scenes(count):
    """``count`` 64×64 scenes (:data:`zoo.imageqa.data.SCENES`, a third per background) of articles from the
    Fashion-MNIST test images embedded in the package, seed :data:`SCENE_SEED`."""
    images, labels, _ = samples.load_sample()
    return data.make_scenes(count, "test", SCENE_SEED, source=(images, labels))


class ImageQATask(tasks.Task):
    """The image-QA family's task: every method goes to :class:`AnswerTask` or :class:`EncoderTask` by the weight's
    kind (:func:`is_answer_model`)."""

    family = "imageqa"
    inputs_help = "IMAGE QUESTION [QUESTION ...] (the encoder: IMAGE [IMAGE ...])"
    full_data_hint = FASHION_MNIST_HINT

    def __init__(self):
        self.answers, self.encoder = AnswerTask(), EncoderTask()

    def kind(self, weight):
        """The task of ``weight``'s kind: :class:`AnswerTask` or :class:`EncoderTask`."""
        return self.answers if is_answer_model(weight) else self.encoder

    def read_inputs(self, paths, weight, say=print):
        return self.kind(weight).read_inputs(paths, weight, say)

    def predict(self, model, inputs, weight, top_k=3):
        return self.kind(weight).predict(model, inputs, weight, top_k)

    def evaluate(self, model, weight, full=False, progress=None):
        return self.kind(weight).evaluate(model, weight, full, progress)

    def golden_inputs(self, weight):
        return self.kind(weight).golden_inputs(weight)

    def golden_outputs(self, model, inputs, weight):
        return self.kind(weight).golden_outputs(model, inputs, weight)

    def golden_description(self, weight):
        return self.kind(weight).golden_description(weight)

    def signature(self, weight):
        return self.kind(weight).signature(weight)

    def serving(self, model, weight, native=False, **options):
        return self.kind(weight).serving(model, weight, native, **options)

    def serving_example(self, weight):
        return self.kind(weight).serving_example(weight)

    def export_assets(self, weight, directory):
        return self.kind(weight).export_assets(weight, directory)

    def headline_spec(self, weight):
        """The headline metric of ``weight`` (``{"metric", "name", "unit", "tolerance"}``)."""
        return self.kind(weight).headline_spec(weight)

    def class_names(self, weight):
        """The answers (answer models) or the article classes of the encoder's logits."""
        return self.kind(weight).class_names(weight)


class KindTask(tasks.Task):
    """What the image-QA family's two kinds of weights share: the family, and the golden record's description."""

    family = "imageqa"

    def golden_description(self, weight):
        return " ".join(type(self).golden_inputs.__doc__.split())


# --- answer models -----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class AnswerPrediction(tasks.Prediction):
    """The answer to each question about the scene ``source``, and the ``top_k`` most probable answers:
    ``probabilities`` ``(questions, answers)`` over ``answer_words``."""

    source: str
    questions: list
    probabilities: np.ndarray
    answer_words: list
    top_k: int

    @property
    def answers(self):
        """The most probable answer of each question."""
        return [self.answer_words[i] for i in self.probabilities.argmax(axis=1)]

    def lines(self):
        out = [f"{self.source}:"]
        for question, answer, row in zip(self.questions, self.answers, self.probabilities):
            out.append(f"{question} -> {answer}")
            out += [f"  {row[i]:.4f}  {self.answer_words[i]}" for i in np.argsort(-row, kind="stable")[:self.top_k]]
        return out


class AnswerTask(KindTask):
    """An answer model with its frozen encoder: a scene and questions in plain English in, one-word answers out."""

    inputs_help = "IMAGE QUESTION [QUESTION ...]"
    full_data_hint = (FASHION_MNIST_HINT + " (the test scenes are built from it); the questions also need WordNet: "
                      "apt-get install wordnet-base")

    def read_inputs(self, paths, weight, say=print):
        if len(paths) < 2:
            raise ValueError("give a scene image and at least one question, e.g. scene.png "
                             "'what is the color of the bag?'")
        image = images_lib.read_image(paths[0], _scene_shape(weight), say)
        questions = [str(q) for q in paths[1:]]
        vocabulary, max_len = _vocabulary(weight), weight.builder_kwargs["max_len"]
        for question in questions:
            words = data.normalise_question(question).split()
            if not words:
                raise ValueError(f"question {question!r} has no words")
            if os.path.isfile(question):
                raise ValueError(f"{question} is a file: give one scene image, then questions")
            unknown = sorted({w for w in words if w not in vocabulary.words})
            if unknown:
                say(f"{question!r}: the model does not know {', '.join(map(repr, unknown))} (read as unknown words)")
            if len(words) > max_len:
                say(f"{question!r}: only its first {max_len} words are read")
        return {"images": np.repeat(image[None], len(questions), axis=0), "questions": questions,
                "source": str(paths[0])}

    def predict(self, model, inputs, weight, top_k=3):
        serve = self.serving(model, weight).function
        outputs = serve(images=tf.constant(inputs["images"]), questions=tf.constant(inputs["questions"]))
        return AnswerPrediction(inputs["source"], list(inputs["questions"]), outputs["probabilities"].numpy(),
                                self.class_names(weight), top_k)

    def evaluate(self, model, weight, full=False, progress=None):
        vocabulary, max_len = _vocabulary(weight), weight.builder_kwargs["max_len"]
        if full:
            arrays = _full_questions(vocabulary, max_len, progress)
            count = len(arrays["answers"])
            description = f"the {count:,} generated test questions of {data.TEST_SCENES:,} test scenes"
            if count != TEST_QUESTIONS:
                logger.warning("the rebuilt test split has %d questions, the recorded one %d: the question "
                               "generator has changed since the weights were measured", count, TEST_QUESTIONS)
                description += f" (the recorded test split had {TEST_QUESTIONS:,}: the question generator changed)"
        else:
            arrays = _sample_questions(vocabulary, max_len)
            description = (f"the questions generated from {SAMPLE_SCENES} 64×64 scenes of the Fashion-MNIST test "
                           "images embedded in the package (zoo/data/samples), restricted to the model's answers")
        predicted = _answer_ids(model, _encoder(weight), arrays, progress)
        return tasks.Measurement(float(np.mean(predicted == arrays["answers"])), len(predicted), description)

    def golden_inputs(self, weight):
        """Three 64×64 scenes of the embedded Fashion-MNIST test images (zoo.imageqa.task.embedded_scenes(3)), one
        question each: "what is the color of the coat?", "what is above the green dress?", "how many objects are
        on the grey background?"; the outputs are the probabilities of every answer."""
        return {"images": np.stack([s.image for s in embedded_scenes(len(GOLDEN_QUESTIONS))]),
                "questions": list(GOLDEN_QUESTIONS)}

    def golden_outputs(self, model, inputs, weight):
        serve = self.serving(model, weight).function
        return serve(images=tf.constant(inputs["images"]), questions=tf.constant(inputs["questions"]))[
            "probabilities"].numpy()

    def signature(self, weight):
        return tasks.Signature(
            inputs={"images": ("uint8", (None, *_scene_shape(weight))), "questions": ("string", (None,))},
            outputs={"answers": ("string", (None,)),
                     "probabilities": ("float32", (None, weight.builder_kwargs["num_answers"]))},
            checks=f"images of rank 4 with height, width and channels {tuple(_scene_shape(weight))}, questions of "
                   "rank 1, one question per image (the dtypes by the signature)")

    def serving(self, model, weight, native=False, **options):
        _no_options(options)
        encoder = _encoder(weight)
        vocabulary = weight.preprocessing["vocabulary"]
        tokenizer = export.QuestionTokenizer(vocabulary["words"], weight.builder_kwargs["max_len"])
        function = export.answer_function(model, encoder, tokenizer, vocabulary["answers"], _scene_shape(weight))
        return tasks.Serving(function, [encoder, model, tokenizer])

    def serving_example(self, weight):
        inputs = self.golden_inputs(weight)
        return {"images": inputs["images"], "questions": np.array(inputs["questions"])}

    def export_assets(self, weight, directory):
        (pathlib.Path(directory) / "vocabulary.json").write_text(json.dumps(weight.preprocessing["vocabulary"]))

    def headline_spec(self, weight):
        """Answer accuracy (the record's ``accuracy``)."""
        return {"metric": "accuracy", "name": "answer accuracy", "unit": "%", "tolerance": 0.01}

    def class_names(self, weight):
        return list(weight.preprocessing["vocabulary"]["answers"])


def _vocabulary(weight):
    words = weight.preprocessing["vocabulary"]
    return data.Vocabulary(words["words"], words["answers"])


def _scene_shape(weight):
    return tuple(registry.get_weight_spec(weight.preprocessing["image_features"]).preprocessing["input_shape"])


def _encoder(weight):
    return registry.load(weight.preprocessing["image_features"])


def _sample_questions(vocabulary, max_len):
    return _sample_arrays(tuple(vocabulary.words), tuple(vocabulary.answers), max_len)


@functools.lru_cache(maxsize=2)
def _sample_arrays(words, answers, max_len):
    """The sample's arrays (:func:`zoo.imageqa.data.split_arrays`), kept: every answer model of a vocabulary shares
    them. The questions are embedded in the package (:func:`zoo.imageqa.data.sample_questions`), so the sample needs
    neither the question generator's parser nor WordNet."""
    scenes = embedded_scenes(SAMPLE_SCENES)
    pairs = data.prune(data.sample_questions(), min_count=1, answers=answers)
    arrays = data.split_arrays(scenes, pairs, data.Vocabulary(list(words), list(answers)), max_len)
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


def _full_questions(vocabulary, max_len, progress):
    try:
        return data.cached_test_split(vocabulary, max_len, progress)
    except tasks.MissingDataError:  # WordNet
        raise
    except FileNotFoundError as error:  # Fashion-MNIST's test split
        raise tasks.MissingDataError(FASHION_MNIST_HINT) from error


def _answer_ids(model, encoder, arrays, progress):
    """The predicted answer id of every question of ``arrays``: the encoder's features of its scene and the ids of
    its words through ``model``, in batches, with a progress bar over scenes and questions."""
    scenes, questions = len(arrays["images"]), len(arrays["answers"])
    features, predicted = [], []
    with progress_bar(scenes + questions, "encoding the scenes and answering the questions", "item", progress) as bar:
        for start in range(0, scenes, BATCH):
            features.append(encoder_lib.scene_features(encoder, arrays["images"][start:start + BATCH]))
            bar.update(len(features[-1]))
        features = np.concatenate(features)
        for start in range(0, questions, BATCH):
            batch = slice(start, start + BATCH)
            inputs = {"image": features[arrays["scene"][batch]], "question": arrays["questions"][batch]}
            predicted.append(np.asarray(model(inputs, training=False)).argmax(axis=1))
            bar.update(len(predicted[-1]))
    return np.concatenate(predicted)


# --- the encoder -------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FeaturePrediction(tasks.Prediction):
    """The image feature of each image (``features`` ``(N, D)``) and its classifier head's ``top_k`` articles
    (``logits`` ``(N, classes)``)."""

    sources: list
    features: np.ndarray
    logits: np.ndarray
    class_names: list
    top_k: int

    def lines(self):
        out = []
        for source, feature, logits in zip(self.sources, self.features, self.logits):
            probabilities = tf.nn.softmax(logits).numpy()
            top = ", ".join(f"{self.class_names[i]} {probabilities[i]:.2f}"
                            for i in np.argsort(-probabilities, kind="stable")[:self.top_k])
            out += [f"{source}: {feature.size} features, mean {feature.mean():.3f}, std {feature.std():.3f}, "
                    f"min {feature.min():.3f}, max {feature.max():.3f}, L2 norm {np.linalg.norm(feature):.2f}",
                    f"  first values: {' '.join(f'{v:.3f}' for v in feature[:8])}",
                    f"  classifier head (trained on single articles): {top}"]
        return out

    def save(self, directory):
        """Write each image's features as ``<image stem>.features.npy`` (float32 ``(D,)``) into ``directory``."""
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stems = [pathlib.Path(s).stem for s in self.sources]
        paths = []
        for i, (stem, feature) in enumerate(zip(stems, self.features)):
            name = stem if stems.count(stem) == 1 else f"{i}-{stem}"
            paths.append(directory / f"{name}.features.npy")
            np.save(paths[-1], feature)
        return paths


class EncoderTask(KindTask):
    """The frozen image encoder: images in, the image feature (and its classifier head's logits) out."""

    inputs_help = "IMAGE [IMAGE ...]"
    full_data_hint = FASHION_MNIST_HINT

    def read_inputs(self, paths, weight, say=print):
        return images_lib.read_images(paths, weight.preprocessing["input_shape"], say)

    def predict(self, model, inputs, weight, top_k=3):
        outputs = self.serving(model, weight).function(images=tf.constant(inputs["images"]))
        return FeaturePrediction(inputs["sources"], outputs["features"].numpy(), outputs["logits"].numpy(),
                                 self.class_names(weight), top_k)

    def evaluate(self, model, weight, full=False, progress=None):
        if full:
            try:
                images, labels = encoder_lib.tinted_test_split()
            except FileNotFoundError as error:
                raise tasks.MissingDataError(self.full_data_hint) from error
            description = "the Fashion-MNIST test split, each article tinted with a palette colour"
        else:
            sample, labels, _ = samples.load_sample()
            images, labels = encoder_lib.tinted_test_split(source=(sample, labels))
            description = ("the 2,000 Fashion-MNIST test images embedded in the package (zoo/data/samples), each "
                           "tinted with a palette colour")
        logits = encoder_lib.classifier(model).predict(images, batch_size=BATCH, verbose=0)
        return tasks.Measurement(float(np.mean(logits.argmax(axis=1) == labels)), len(labels), description)

    def golden_inputs(self, weight):
        """Three 64×64 scenes of the embedded Fashion-MNIST test images (zoo.imageqa.task.embedded_scenes(3)); the
        outputs are every 80th value of their image features (32 values across both pooled maps and every cell)."""
        return np.stack([s.image for s in embedded_scenes(3)])

    def golden_outputs(self, model, inputs, weight):
        features = self.serving(model, weight).function(images=tf.constant(inputs))["features"].numpy()
        return features[:, ::ENCODER_GOLDEN_STRIDE]

    def signature(self, weight):
        kwargs = weight.builder_kwargs
        return tasks.Signature(
            inputs={"images": ("uint8", (None, None, None, 3))},
            outputs={"features": ("float32", (None, encoder_lib.feature_size(**kwargs))),
                     "logits": ("float32", (None, kwargs.get("num_classes", len(CLASS_NAMES))))},
            checks=f"images of rank 4 with 3 channels, height and width positive multiples of "
                   f"{encoder_lib.size_multiple(**kwargs)} (the dtype by the signature)")

    def serving(self, model, weight, native=False, **options):
        _no_options(options)
        multiple = encoder_lib.size_multiple(**weight.builder_kwargs)
        return tasks.Serving(export.encoder_function(model, multiple), [model])

    def serving_example(self, weight):
        return {"images": self.golden_inputs(weight)}

    def headline_spec(self, weight):
        """Accuracy of the classifier head on tinted test articles (the record's ``tinted_test_accuracy``)."""
        return {"metric": "tinted_test_accuracy", "name": "tinted article accuracy", "unit": "%",
                "tolerance": 0.005}

    def class_names(self, weight):
        return list(CLASS_NAMES)


def _no_options(options):
    if options:
        raise ValueError(f"export options {sorted(options)} do not apply to image-QA weights")


TASK = ImageQATask()
