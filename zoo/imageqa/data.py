"""A COCO-QA-style data set from Fashion-MNIST scenes: the question generator run on every scene's captions
(train scenes from the train split, test scenes from the test split), COCO-QA's answer pruning, and the word
and answer vocabularies."""
import collections
import dataclasses
import functools
import json

import numpy as np

from zoo.data import scenes as scenes_lib
from zoo.imageqa import qgen

SCENES = scenes_lib.SceneConfig(height=64, width=64, min_objects=1, max_objects=5, min_scale=0.8, max_scale=1.2)
"""The scenes of the image-QA set: 64×64, one to five articles; the background varies (:data:`BACKGROUNDS`)."""

BACKGROUNDS = ("black", "dark grey", "grey")
"""Each third of the scenes has one of these backgrounds, so "what is the color of the background" needs the
image."""

UNKNOWN = "<unk>"


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


def make_scenes(count, split, seed, config=SCENES):
    """``count`` scenes of ``split`` articles, a third on each of :data:`BACKGROUNDS` (deterministic by seed)."""
    scenes = []
    for k, background in enumerate(BACKGROUNDS):
        part = count // len(BACKGROUNDS) + (k < count % len(BACKGROUNDS))
        scenes += scenes_lib.make_scenes(part, split, seed * len(BACKGROUNDS) + k,
                                         dataclasses.replace(config, background=background))
    return scenes


def scene_questions(scenes, generator):
    """``(scene index, question)`` pairs for every question of every caption of ``scenes``."""
    pairs = []
    for i, scene in enumerate(scenes):
        seen = set()
        for caption in scene.captions:
            for question in generator(caption):
                if question not in seen:
                    seen.add(question)
                    pairs.append((i, question))
    return pairs


def prune(pairs, min_count=25, keep_first=350, decay=700, seed=1, answers=None):
    """:func:`zoo.imageqa.qgen.pruning_mask` over ``(scene, question)`` pairs; with ``answers`` (the training
    answers), questions whose answer is not among them are dropped first (the test set's closed answer set)."""
    if answers is not None:
        allowed = set(answers)
        pairs = [p for p in pairs if p[1].answer in allowed]
    keep = qgen.pruning_mask([q.answer for _, q in pairs], min_count, keep_first, decay, seed)
    return [pair for pair, k in zip(pairs, keep) if k]


def build(train_scenes=10_000, test_scenes=4_000, seed=0, max_len=16, generator=None, config=SCENES,
          min_count=25, keep_first=350, decay=700):
    """The data set as numpy arrays: ``{split: {"images", "questions", "answers", "types", "scene"}}`` plus the
    :class:`Vocabulary` and the question texts. Both splits are pruned with the constants ``min_count``,
    ``keep_first``, ``decay`` (:func:`prune`); test questions are restricted to the training answers."""
    generator = generator or qgen.QuestionGenerator()
    out, texts = {}, {}
    vocabulary = None
    for split, count, split_seed in (("train", train_scenes, seed), ("test", test_scenes, seed + 1)):
        scenes = make_scenes(count, split, split_seed, config)
        pairs = prune(scene_questions(scenes, generator), min_count, keep_first, decay,
                      answers=None if split == "train" else vocabulary.answers)
        if split == "train":
            vocabulary = Vocabulary.from_questions([q for _, q in pairs])
        answer_index = {a: i for i, a in enumerate(vocabulary.answers)}
        images = np.stack([s.image for s in scenes])
        out[split] = {
            "images": images,
            "scene": np.array([i for i, _ in pairs], np.int32),
            "questions": np.stack([vocabulary.encode(q.question, max_len) for _, q in pairs]),
            "answers": np.array([answer_index[q.answer] for _, q in pairs], np.int32),
            "types": np.array([q.type for _, q in pairs], np.int32),
        }
        texts[split] = [q.question for _, q in pairs]
    return out, vocabulary, texts


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
