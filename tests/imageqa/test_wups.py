"""WUPS against independently computed Wu–Palmer values (hypernym-path depths) and the thresholding rule."""
import pytest

from zoo.imageqa import wups
from zoo.imageqa.wordnet import wordnet


@pytest.fixture(scope="module")
def wn():
    return wordnet()  # Debian's wordnet-base, which .ci/run installs


def _depth(synset):
    """Nodes on the longest path from the root to ``synset``, both ends counted (the root has depth 1)."""
    return max(len(path) for path in synset.hypernym_paths())


def _hand_wup(a, b):
    """Wu–Palmer 2·depth(lcs) / (depth_a + depth_b) from hypernym paths, where depth_x = depth(lcs) + the fewest
    hypernym links from x up to the lcs, and the lcs is the deepest common hypernym."""
    paths_a, paths_b = a.hypernym_paths(), b.hypernym_paths()
    common = {s for p in paths_a for s in p} & {s for p in paths_b for s in p}
    deepest = max(_depth(s) for s in common)
    best = 0.0
    for lcs in (s for s in common if _depth(s) == deepest):
        up_a = min(len(p) - 1 - p.index(lcs) for p in paths_a if lcs in p)
        up_b = min(len(p) - 1 - p.index(lcs) for p in paths_b if lcs in p)
        best = max(best, 2 * deepest / ((deepest + up_a) + (deepest + up_b)))
    return best


def test_dog_cat_is_nltk_documented_value(wn):
    # NLTK's WordNet HOWTO: dog.n.01.wup_similarity(cat.n.01) == 0.857142...
    assert wn.synset("dog.n.01").wup_similarity(wn.synset("cat.n.01")) == pytest.approx(6 / 7)
    assert wups.word_similarity("dog", "cat", wn) == pytest.approx(0.8571428571428571)


def test_hand_computed_wu_palmer_from_depths(wn):
    dog, cat = wn.synset("dog.n.01"), wn.synset("cat.n.01")
    # carnivore.n.01 is the lowest common hypernym, 12 nodes deep; dog and cat are each two links below it.
    assert _depth(wn.synset("carnivore.n.01")) == 12
    assert _hand_wup(dog, cat) == pytest.approx(24 / 28)
    for a, b in [("table", "desk"), ("red", "blue"), ("giraffe", "elephant"), ("kitchen", "room")]:
        expected = max(_hand_wup(x, y) for x in wn.synsets(a, pos=wn.NOUN) for y in wn.synsets(b, pos=wn.NOUN))
        assert wups.word_similarity(a, b, wn) == pytest.approx(expected), (a, b)


def test_identical_words_and_missing_senses(wn):
    assert wups.word_similarity("dog", "dog", wn) == 1.0
    assert wups.word_similarity("xyzzy", "xyzzy", wn) == 1.0  # equal strings score 1 even outside WordNet
    assert wups.word_similarity("xyzzy", "dog", wn) == 0.0
    assert wups.thresholded_similarity("giraffe", "giraffe", 0.9, wn) == 1.0


def test_threshold_rule(wn):
    # dog/cat (0.857) is below 0.9, so it is scaled by 0.1; at 0.0 nothing is scaled.
    assert wups.thresholded_similarity("dog", "cat", 0.9, wn) == pytest.approx(0.1 * 6 / 7)
    assert wups.thresholded_similarity("dog", "cat", 0.0, wn) == pytest.approx(6 / 7)
    # table/desk (18/19) is above 0.9; white/black (exactly 0.9) is not below it, so neither is scaled.
    assert wups.thresholded_similarity("table", "desk", 0.9, wn) == pytest.approx(18 / 19)
    assert wups.thresholded_similarity("white", "black", 0.9, wn) == pytest.approx(0.9)


def test_wups_means_and_ordering(wn):
    predictions = ["dog", "table", "two", "red", "pizza"]
    truths = ["cat", "desk", "two", "blue", "pizza"]
    accuracy = sum(p == t for p, t in zip(predictions, truths)) / len(truths)
    at_09, at_00 = wups.wups(predictions, truths, 0.9, wn), wups.wups(predictions, truths, 0.0, wn)
    assert at_09 == pytest.approx((0.1 * 6 / 7 + 18 / 19 + 1 + 0.1 * 0.875 + 1) / 5)
    assert at_00 == pytest.approx((6 / 7 + 18 / 19 + 1 + 0.875 + 1) / 5)
    assert at_00 >= at_09 >= accuracy == 0.4
    assert wups.wups(["dog"], ["dog"], 0.9, wn) == 1.0


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "0.9", None, True])
def test_bad_threshold(threshold, wn):
    with pytest.raises(ValueError, match="threshold"):
        wups.wups(["dog"], ["cat"], threshold, wn)
    with pytest.raises(ValueError, match="threshold"):
        wups.thresholded_similarity("dog", "cat", threshold, wn)


def test_bad_lists(wn):
    with pytest.raises(ValueError, match="same length"):
        wups.wups(["dog", "cat"], ["dog"], 0.9, wn)
    with pytest.raises(ValueError, match="empty"):
        wups.wups([], [], 0.9, wn)
    with pytest.raises(ValueError, match=r"predictions\[1\]"):
        wups.wups(["dog", 3], ["dog", "cat"], 0.9, wn)
