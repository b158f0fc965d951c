"""WUPS: the Wu–Palmer set-membership score of Malinowski & Fritz (NIPS 2014) for one-word answers.

For one-word answers the WUPS score of a prediction ``p`` against the ground truth ``t`` is

    WUPS_τ(p, t) = s(t, p)          if s(t, p) >= τ
                   0.1 · s(t, p)    otherwise,

where ``s(t, p)`` is 1 for identical strings and otherwise the largest Wu–Palmer similarity between any noun
sense of ``t`` and any noun sense of ``p`` in WordNet (0 when either word has no noun sense). The dataset score is
the mean over questions. The image-QA paper (Ren, Kiros, Zemel, NIPS 2015, arXiv:1505.02074) reports WUPS@0.9
and WUPS@0.0 next to plain accuracy; WUPS@0.0 never scales anything down.

Sense inventory. Both the original ``calculate_wups.py`` (Malinowski) and the version shipped with the image-QA
code (``renmengye/imageqa-public:src/calculate_wups.py``) look words up with ``wn.synsets(word, pos=wn.NOUN)``:
*noun senses only*, not all synsets. We do the same, so a word with no noun sense (an adjective-only word, say)
scores 0 against every other word, exactly as there. NLTK's ``synsets`` applies WordNet's morphology
(``morphy``), so ``"dogs"`` finds the senses of ``"dog"``, as in the original. Strings are compared as given (no
lower-casing or stripping). The original compares ``(truth, prediction)`` in that order, and so do we (NLTK's
``wup_similarity`` is not guaranteed symmetric when two synsets have several lowest common hypernyms).

WordNet is WordNet 3.0 from Debian's ``wordnet-base`` through :func:`zoo.imageqa.wordnet.wordnet`.
"""
import functools
import numbers

from zoo.imageqa.wordnet import wordnet

SCALE_BELOW_THRESHOLD = 0.1
"""Factor applied to a similarity below the WUPS threshold (Malinowski & Fritz)."""


def _check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
    return float(threshold)


def _check_word(word, argument):
    if not isinstance(word, str):
        raise ValueError(f"{argument} must be a string (a one-word answer), got {type(word).__name__} {word!r}")
    return word


@functools.lru_cache(maxsize=None)
def _noun_similarity(a, b, wn):
    senses_a = wn.synsets(a, pos=wn.NOUN)
    senses_b = wn.synsets(b, pos=wn.NOUN)
    best = 0.0
    for x in senses_a:
        for y in senses_b:
            score = x.wup_similarity(y)
            if score is not None and score > best:
                best = score
    return float(best)


def word_similarity(a, b, wn=None):
    """Word-level Wu–Palmer similarity as WUPS uses it (before thresholding).

    Args:
        a: a one-word answer (the ground truth in :func:`wups`).
        b: another one-word answer (the prediction in :func:`wups`).
        wn: an NLTK WordNet reader; default :func:`zoo.imageqa.wordnet.wordnet`.

    Returns:
        1.0 if ``a == b``; else the maximum of ``wup_similarity`` over all pairs of noun synsets of ``a`` and ``b``
        (0.0 if either has none). Results are cached per ``(a, b, wn)``.

    Raises:
        ValueError: if ``a`` or ``b`` is not a string.
    """
    _check_word(a, "a")
    _check_word(b, "b")
    if a == b:
        return 1.0
    return _noun_similarity(a, b, wn if wn is not None else wordnet())


def thresholded_similarity(a, b, threshold, wn=None):
    """The WUPS score of one answer pair: :func:`word_similarity`, multiplied by 0.1 when below ``threshold``.

    Args:
        a: the ground-truth answer.
        b: the predicted answer.
        threshold: τ in [0, 1] (the paper reports τ = 0.9 and τ = 0.0).
        wn: an NLTK WordNet reader; default :func:`zoo.imageqa.wordnet.wordnet`.

    Returns:
        ``s`` if ``s >= threshold`` else ``0.1 * s``, with ``s = word_similarity(a, b)``.

    Raises:
        ValueError: if ``threshold`` is outside [0, 1] or a word is not a string.
    """
    threshold = _check_threshold(threshold)
    score = word_similarity(a, b, wn)
    return score if score >= threshold else SCALE_BELOW_THRESHOLD * score


def wups(predictions, truths, threshold, wn=None):
    """Mean WUPS score at ``threshold`` of one-word ``predictions`` against ``truths``.

    Args:
        predictions: sequence of predicted answer strings.
        truths: sequence of ground-truth answer strings, aligned with ``predictions``.
        threshold: τ in [0, 1]; WUPS@0.9 and WUPS@0.0 are the paper's two settings.
        wn: an NLTK WordNet reader; default :func:`zoo.imageqa.wordnet.wordnet`.

    Returns:
        A float in [0, 1]: mean of ``thresholded_similarity(truth, prediction, threshold)``. Exact matches score 1,
        so ``wups(..., 0.0) >= wups(..., 0.9) >= accuracy``.

    Raises:
        ValueError: if the two sequences are empty or differ in length, an element is not a string, or
            ``threshold`` is outside [0, 1].
    """
    threshold = _check_threshold(threshold)
    predictions, truths = list(predictions), list(truths)
    if len(predictions) != len(truths):
        raise ValueError(f"predictions and truths must have the same length, got {len(predictions)} predictions "
                         f"and {len(truths)} truths")
    if not predictions:
        raise ValueError("predictions and truths must not be empty")
    for i, (p, t) in enumerate(zip(predictions, truths)):
        _check_word(p, f"predictions[{i}]")
        _check_word(t, f"truths[{i}]")
    wn = wn if wn is not None else wordnet()
    return sum(thresholded_similarity(t, p, threshold, wn) for p, t in zip(predictions, truths)) / len(predictions)
