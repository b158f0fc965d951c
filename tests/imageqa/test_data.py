"""The COCO-QA-style data set: questions come from the scenes' captions, pruning keeps the test answers inside
the training answers, vocabulary encoding, statistics, and the evaluation scores against direct counts."""
import collections

import numpy as np
import pytest

from zoo.imageqa import data, evaluation, qgen


@pytest.fixture(scope="module")
def small():
    return data.build(train_scenes=60, test_scenes=30, seed=3, min_count=2)


def test_scenes_are_deterministic_and_cover_every_background():
    first, second = data.make_scenes(6, "test", 2), data.make_scenes(6, "test", 2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, second))
    assert {s.captions[-1].split(" on ")[-1] for s in first} == {f"{'an' if b[0] in 'aeiou' else 'a'} {b} background"
                                                                 for b in data.BACKGROUNDS}


def test_every_question_is_generated_from_its_scene_captions(small):
    dataset, vocabulary, texts = small
    scenes = data.make_scenes(60, "train", 3)
    generator = qgen.QuestionGenerator()
    for i, text in enumerate(texts["train"][:40]):
        scene = scenes[dataset["train"]["scene"][i]]
        generated = {(q.question, q.answer) for c in scene.captions for q in generator(c)}
        assert (text, vocabulary.answers[dataset["train"]["answers"][i]]) in generated


def test_test_answers_are_training_answers_and_arrays_line_up(small):
    dataset, vocabulary, texts = small
    for split in ("train", "test"):
        arrays = dataset[split]
        n = len(arrays["answers"])
        assert arrays["questions"].shape[0] == arrays["types"].shape[0] == arrays["scene"].shape[0] == n == len(
            texts[split])
        assert arrays["scene"].max() < len(arrays["images"])
    assert set(dataset["test"]["answers"].tolist()) <= set(range(len(vocabulary.answers)))


def test_rare_answers_are_cut_by_the_pruning():
    pairs = [(0, qgen.Question("what is it", a, 0)) for a in ["bag"] * 30 + ["coat"] * 5]
    kept = data.prune(pairs, min_count=25)
    assert {q.answer for _, q in kept} == {"bag"}
    assert {q.answer for _, q in data.prune(pairs, min_count=1, answers=["coat"])} == {"coat"}


def test_vocabulary_encodes_with_padding_and_unknown_words():
    vocabulary = data.Vocabulary.from_questions([qgen.Question("what is red", "bag", 0)])
    ids = vocabulary.encode("what is blue", 5)
    assert ids.tolist() == [vocabulary.words.index("what"), vocabulary.words.index("is"), 1, 0, 0]
    assert data.Vocabulary.from_json(vocabulary.to_json()) == vocabulary


def test_statistics_count_each_type(small):
    dataset, _, _ = small
    table = data.statistics(dataset)
    counts = collections.Counter(dataset["train"]["types"].tolist())
    for t, name in enumerate(qgen.QUESTION_TYPES):
        assert table[name]["train"][0] == counts[t]
    assert table["total"]["train"][0] == len(dataset["train"]["types"])
    assert sum(table[name]["test"][1] for name in qgen.QUESTION_TYPES) == pytest.approx(100.0)


def test_evaluation_matches_direct_counts():
    vocabulary = data.Vocabulary(["", "<unk>"], ["red", "two", "dog", "cat"])
    arrays = {"answers": np.array([0, 1, 2, 3]), "types": np.array([2, 1, 0, 0])}
    result = evaluation.evaluate(np.array([0, 0, 2, 2]), arrays, vocabulary)
    assert result["overall"]["accuracy"] == 0.5
    assert result["per_type"]["object"]["accuracy"] == 0.5 and result["per_type"]["color"]["accuracy"] == 1.0
    assert result["count"] == {"object": 2, "number": 1, "color": 1, "location": 0}
    assert "location" not in result["per_type"]
    # WUPS@0.0 credits dog for cat by their Wu–Palmer similarity (6/7), red for two by theirs
    assert result["per_type"]["object"]["wups_0.0"] == pytest.approx((1 + 6 / 7) / 2, abs=1e-6)
    with pytest.raises(ValueError, match="predicted_ids"):
        evaluation.evaluate(np.array([0]), arrays, vocabulary)


def test_embedded_sample_questions_are_what_the_generator_makes_now():
    from zoo.imageqa import task

    stored = data.sample_questions()
    generated = data.scene_questions(task.embedded_scenes(task.SAMPLE_SCENES), data.question_generator())
    assert stored == generated, "the question generator changed: python tools/zoo/make_sample.py --imageqa"
