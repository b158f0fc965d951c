"""A COCO-QA-style data set from Fashion-MNIST scenes: the question generator run on every scene's captions
(train scenes from the train split, test scenes from the test split), COCO-QA's answer pruning, and the word
and answer vocabularies. The test split of the shipped weights is rebuilt (and cached) by
:func:`cached_test_split`."""
import collections
import dataclasses
import functools
import hashlib
import inspect
import json
import pathlib

import numpy as np

from zoo import extras, tasks
from zoo.data import cache
from zoo.data import samples
from zoo.data import scenes as scenes_lib
from zoo.imageqa import qgen
from zoo.progress import progress_bar

SCENES = scenes_lib.SceneConfig(height=64, width=64, min_objects=1, max_objects=5, min_scale=0.8, max_scale=1.2)
"""The scenes of the image-QA set: 64×64, one to five articles; the background varies (:data:`BACKGROUNDS`)."""

BACKGROUNDS = ("black", "dark grey", "grey")
"""Each third of the scenes has one of these backgrounds, so "what is the color of the background" needs the
image."""

UNKNOWN = "<unk>"

TRAIN_SCENES, TEST_SCENES = 10_000, 4_000
"""Scenes of each split of the shipped weights' data set (``tools/imageqa/train.py``)."""

PRUNING = dict(min_count=25, keep_first=350, decay=700)
"""COCO-QA's pruning constants, used for both splits."""


def normalise_question(question):
    """A question as the models read it: lower case, trailing question marks and spaces dropped (the generated
    questions already are); :meth:`Vocabulary.encode` then splits it at whitespace."""
    return question.lower().rstrip(" ?")


@dataclasses.dataclass
class Vocabulary:
    """Word ids (0 = padding, 1 = unknown word) and answer ids, built from the training questions."""
    words: list
    answers: list

    @functools.cached_property
    def _index(self):
        return {w: i for i, w in enumerate(self.words)}

    @classmethod
    def from_questions(cls, questions):
        """Every word and answer of ``questions`` (a list of :class:`zoo.imageqa.qgen.Question`), sorted."""
        words = sorted({w for q in questions for w in q.question.split()})
        return cls(["", UNKNOWN] + words, sorted({q.answer for q in questions}))

    def encode(self, question, max_len):
        """Word ids of ``question`` padded with 0 at the end to ``max_len`` (longer questions are cut)."""
        ids = [self._index.get(w, 1) for w in question.split()][:max_len]
        return np.array(ids + [0] * (max_len - len(ids)), np.int32)

    def to_json(self):
        """The vocabulary as a JSON string (stored beside weights)."""
        return json.dumps({"words": self.words, "answers": self.answers})

    @classmethod
    def from_json(cls, text):
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(data["words"], data["answers"])


def make_scenes(count, split, seed, config=SCENES, source=None):
    """``count`` scenes of ``split`` articles, a third on each of :data:`BACKGROUNDS` (deterministic by seed);
    ``source``, optional ``(images (N, 28, 28), labels (N,))``, replaces the split's articles (e.g. the embedded
    test slice, :func:`zoo.data.samples.load_sample`)."""
    scenes = []
    for k, background in enumerate(BACKGROUNDS):
        part = count // len(BACKGROUNDS) + (k < count % len(BACKGROUNDS))
        scenes += scenes_lib.make_scenes(part, split, seed * len(BACKGROUNDS) + k,
                                         dataclasses.replace(config, background=background), source=source)
    return scenes


def question_generator():
    """The COCO-QA :class:`~zoo.imageqa.qgen.QuestionGenerator`. Its parser and WordNet reader come with the
    ``imageqa`` extra (:class:`zoo.extras.MissingExtraError` naming the ``pip install`` when it is missing); WordNet
    itself is Debian's (:class:`zoo.tasks.MissingDataError` saying how to install it when it is missing)."""
    for module in ("textblob", "nltk"):
        extras.require(module, "imageqa", "image-QA question generation")
    try:
        return qgen.QuestionGenerator()
    except FileNotFoundError as error:
        raise tasks.MissingDataError(str(error)) from error


def scene_questions(scenes, generator, progress=None):
    """``(scene index, question)`` pairs for every question of every caption of ``scenes``; ``progress``, an
    optional bar (``update(1)`` per scene, :func:`zoo.progress.progress_bar`)."""
    pairs = []
    for i, scene in enumerate(scenes):
        seen = set()
        for caption in scene.captions:
            for question in generator(caption):
                if question not in seen:
                    seen.add(question)
                    pairs.append((i, question))
        if progress is not None:
            progress.update(1)
    return pairs


def prune(pairs, min_count=25, keep_first=350, decay=700, seed=1, answers=None):
    """:func:`zoo.imageqa.qgen.pruning_mask` over ``(scene, question)`` pairs; with ``answers`` (the training
    answers), questions whose answer is not among them are dropped first (the test set's closed answer set)."""
    if answers is not None:
        allowed = set(answers)
        pairs = [p for p in pairs if p[1].answer in allowed]
    keep = qgen.pruning_mask([q.answer for _, q in pairs], min_count, keep_first, decay, seed)
    return [pair for pair, k in zip(pairs, keep) if k]


SAMPLE_QUESTIONS = pathlib.Path(samples.__file__).with_name("imageqa_questions.json")
"""Every question the generator makes of the embedded sample's scenes (``zoo.imageqa.task.embedded_scenes``),
written by ``tools/zoo/make_sample.py --imageqa`` and read by :func:`sample_questions`."""


def write_sample_questions(scenes, generator=None):
    """Write the ``(scene index, question)`` pairs of ``scenes`` (:func:`scene_questions`) to
    :data:`SAMPLE_QUESTIONS`; returns how many."""
    pairs = scene_questions(scenes, generator or question_generator())
    rows = ",\n".join(json.dumps([i, q.question, q.answer, q.type]) for i, q in pairs)  # one question per line
    SAMPLE_QUESTIONS.write_text(f'{{"scenes": {len(scenes)}, "questions": [\n{rows}\n]}}\n')
    return len(pairs)


def sample_questions():
    """The embedded sample's ``(scene index, question)`` pairs (:data:`SAMPLE_QUESTIONS`)."""
    stored = json.loads(SAMPLE_QUESTIONS.read_text())
    return [(i, qgen.Question(question, answer, kind)) for i, question, answer, kind in stored["questions"]]


def question_arrays(pairs, vocabulary, max_len):
    """``{"scene", "questions", "answers", "types"}`` of ``(image index, question)`` ``pairs``: words and answers as
    ids of ``vocabulary``, questions ``max_len`` long."""
    answer_index = {a: i for i, a in enumerate(vocabulary.answers)}
    return {
        "scene": np.array([i for i, _ in pairs], np.int32),
        "questions": np.array([vocabulary.encode(q.question, max_len) for _, q in pairs],
                              np.int32).reshape(-1, max_len),
        "answers": np.array([answer_index[q.answer] for _, q in pairs], np.int32),
        "types": np.array([q.type for _, q in pairs], np.int32),
    }


def split_arrays(scenes, pairs, vocabulary, max_len):
    """A split's arrays ``{"images", "scene", "questions", "answers", "types"}`` from its ``scenes`` and its
    ``(scene index, question)`` ``pairs`` (:func:`question_arrays`)."""
    return {"images": np.stack([s.image for s in scenes]), **question_arrays(pairs, vocabulary, max_len)}


def make_test_split(vocabulary, max_len=16, test_scenes=TEST_SCENES, seed=0, generator=None, config=SCENES,
                    progress=None, **pruning):
    """The test split of :func:`build` (scenes of test-split articles, seed ``seed + 1``, questions restricted to
    ``vocabulary.answers`` and pruned with :data:`PRUNING` or ``pruning``): ``(arrays, question texts)``.
    ``progress``: a bar updated once per scene, as in :func:`scene_questions`."""
    generator = generator or question_generator()
    scenes = make_scenes(test_scenes, "test", seed + 1, config)
    pairs = prune(scene_questions(scenes, generator, progress), **{**PRUNING, **pruning},
                  answers=vocabulary.answers)
    return split_arrays(scenes, pairs, vocabulary, max_len), [q.question for _, q in pairs]


def build(train_scenes=TRAIN_SCENES, test_scenes=TEST_SCENES, seed=0, max_len=16, generator=None, config=SCENES,
          **pruning):
    """The data set as numpy arrays: ``{split: {"images", "questions", "answers", "types", "scene"}}`` plus the
    :class:`Vocabulary` and the question texts. Both splits are pruned with :data:`PRUNING`'s constants, or those
    given (``min_count``, ``keep_first``, ``decay``; :func:`prune`); test questions are restricted to the training
    answers (:func:`make_test_split`)."""
    generator = generator or question_generator()
    pruning = {**PRUNING, **pruning}
    scenes = make_scenes(train_scenes, "train", seed, config)
    pairs = prune(scene_questions(scenes, generator), **pruning)
    vocabulary = Vocabulary.from_questions([q for _, q in pairs])
    out = {"train": split_arrays(scenes, pairs, vocabulary, max_len)}
    texts = {"train": [q.question for _, q in pairs]}
    out["test"], texts["test"] = make_test_split(vocabulary, max_len, test_scenes, seed, generator, config,
                                                 **pruning)
    return out, vocabulary, texts


def cached_test_split(vocabulary, max_len=16, progress=None):
    """The shipped weights' test split (:func:`make_test_split`, the defaults of ``tools/imageqa/train.py``) for the
    record's ``vocabulary``, built once with a progress bar (a few minutes: the question generator parses every
    caption) and then read from the cache (:func:`zoo.data.cache.cached_arrays`); the arrays of
    :func:`split_arrays` plus ``"texts"``. ``progress``: show the bar (True / False; None: on a terminal).
    The cache key holds the question generator's source, so a changed generator rebuilds the split."""
    key = ("imageqa-test", vocabulary.words, vocabulary.answers, max_len, TEST_SCENES, SCENES, BACKGROUNDS,
           PRUNING, _generator_fingerprint())

    def build_split():
        with progress_bar(TEST_SCENES, "generating the image-QA test questions", "scene", progress) as bar:
            arrays, texts = make_test_split(vocabulary, max_len, progress=bar)
        return {**arrays, "texts": np.array(texts, dtype=str)}

    return cache.cached_arrays("imageqa-test", key, build_split)


def _generator_fingerprint():
    from zoo.imageqa import parsing

    return hashlib.sha256("".join(inspect.getsource(m) for m in (qgen, parsing)).encode()).hexdigest()[:16]


def save(directory, dataset, vocabulary, texts):
    """Write :func:`build`'s output to ``directory``: ``dataset.npz``, ``vocabulary.json``, ``questions.json``."""
    np.savez_compressed(directory / "dataset.npz",
                        **{f"{split}_{k}": v for split, arrays in dataset.items() for k, v in arrays.items()})
    (directory / "vocabulary.json").write_text(vocabulary.to_json())
    (directory / "questions.json").write_text(json.dumps(texts))


def load(directory, images=True):
    """Read what :func:`save` wrote: ``(dataset, vocabulary)`` (scene images left out with ``images=False``)."""
    arrays = np.load(directory / "dataset.npz")
    dataset = {split: {k.split("_", 1)[1]: arrays[k] for k in arrays.files
                       if k.startswith(split + "_") and (images or not k.endswith("_images"))}
               for split in ("train", "test")}
    return dataset, Vocabulary.from_json((directory / "vocabulary.json").read_text())


def statistics(dataset):
    """Question counts per type and split with percentages, as the paper's table: ``{type: {split: (n, %)}}``."""
    table = {}
    for split, arrays in dataset.items():
        counts = collections.Counter(arrays["types"].tolist())
        total = sum(counts.values())
        for t, name in enumerate(qgen.QUESTION_TYPES):
            table.setdefault(name, {})[split] = (counts[t], 100.0 * counts[t] / max(total, 1))
        table.setdefault("total", {})[split] = (total, 100.0)
    return table
