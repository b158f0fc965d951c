"""COCO-QA question generation from free-form English captions (Ren, Kiros & Zemel, NIPS 2015, §4).

Four question types, each with the paper's eligibility rules:

* **object** ("what"): an eligible noun — WordNet lexname of its first sense in :data:`OBJECT_LEXNAMES`, not in
  the black-list, not inside a clause, not in a phrase headed by with/of/in/down/as — is replaced by "what",
  moved to the front, and the auxiliary inserted ("does"/"did" + the verb's lemma when there is none);
  questions shorter than five words are dropped;
* **number** ("how many"): a noun phrase with a number modifier, not inside a prepositional phrase and not
  joined to another by "and" or a comma;
* **color**: "what is the color of the <noun>" for a colour adjective of :data:`COLORS` ("X and Y" skipped);
* **location** ("where"): a phrase headed by "in" whose noun has lexname ``noun.artifact``.

Captions are parsed by :mod:`zoo.imageqa.parsing`; compound sentences are split at a top-level conjunction that
joins two clauses; numbers up to twenty are spelled out; "a"/"an" become "the"; answers are singular nouns with
synonyms merged (:data:`SYNONYMS`). :func:`prune_answers` is the two-stage answer pruning of COCO-QA.
"""
import collections
import dataclasses
import math

import numpy as np

from zoo.imageqa import parsing
from zoo.imageqa.wordnet import wordnet

QUESTION_TYPES = ("object", "number", "color", "location")
"""Question type names; a question's ``type`` is its index here (the paper's type ids 0–3)."""

OBJECT, NUMBER, COLOR, LOCATION = range(4)

OBJECT_LEXNAMES = frozenset({"noun.animal", "noun.artifact", "noun.food", "noun.object", "noun.plant",
                             "noun.possession", "noun.shape"})
"""WordNet lexicographer files of nouns that may be the answer of an object question (the paper's list)."""

COLORS = ("black", "white", "gray", "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "cyan")
"""The colour white-list (12 colours, as in the paper; its exact list was not published, this one covers the
common COCO colours and every colour of the Fashion-MNIST scenes)."""

BLACKLIST = frozenset({
    "side", "top", "front", "back", "bottom", "middle", "edge", "picture", "photo", "image", "view", "shot",
    "pair", "group", "couple", "bunch", "lot", "piece", "kind", "type", "area", "distance", "object", "thing",
    "something", "background", "foreground", "day", "way", "part", "line", "row", "set",
})
"""Nouns never used as answers: parts, views and vague nouns (the paper black-lists such words too)."""

COLLECTIVES = frozenset({"pair", "group", "couple", "bunch", "herd", "flock", "pile", "stack", "set", "lot",
                         "row", "pack", "team", "crowd", "bundle", "collection", "line", "number", "variety"})
"""Nouns whose "of" complement is the real head: "a pair of trousers" is about the trousers."""

SYNONYMS = {"grey": "gray", "plane": "airplane", "aeroplane": "airplane", "jet": "airplane", "bike": "bicycle",
            "motorbike": "motorcycle", "cellphone": "phone", "tv": "television", "doughnut": "donut",
            "tshirt": "t-shirt", "tee": "t-shirt", "sofa": "couch", "kitty": "cat", "puppy": "dog",
            "trouser": "trousers", "pant": "pants", "jean": "jeans"}
"""Answer words merged into one (answers are compared after this mapping)."""

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty")
"""Numbers spelled out in questions and answers (0–20, as in the paper)."""

OBJECT_BLOCKED_PREPOSITIONS = frozenset({"with", "of", "in", "down", "as"})
"""An object answer may not sit in a phrase headed by one of these (the paper's rule)."""

_BE = {"is", "are", "was", "were", "am"}
_AUXILIARIES = _BE | {"has", "have", "had", "can", "could", "will", "would", "may", "might", "should", "must",
                      "does", "do", "did"}
_PLURAL_DETERMINERS = {"several", "many", "some", "few", "both", "multiple", "various", "these", "those"}


@dataclasses.dataclass(frozen=True)
class Question:
    """A generated question: lower-case words without the question mark, a one-word answer and the type index."""
    question: str
    answer: str
    type: int

    @property
    def type_name(self):
        """``"object"``, ``"number"``, ``"color"`` or ``"location"``."""
        return QUESTION_TYPES[self.type]


@dataclasses.dataclass
class _Clause:
    """A sentence cut into subject, verb group and the rest (token index ranges)."""
    tokens: list
    subject: range
    verb: range
    rest: range
    aux: str | None          # the auxiliary that moves in front of the subject, None: do-support needed
    verb_words: list         # what stays after the subject
    inserted: bool           # the auxiliary is not in the caption (a fragment: "a man riding a wave")
    existential: bool        # "there are two boys ..."
    predicate: bool          # something follows the subject (False: "two red sneakers")
    with_phrase: bool = False  # a verbless "NOUN with ..." caption: the subject "has" what follows "with"


class QuestionGenerator:
    """Turns captions into :class:`Question` lists with the paper's four question types.

    Args:
        wn: an NLTK WordNet reader (default: :func:`zoo.imageqa.wordnet.wordnet`).
        colors, object_lexnames, blacklist, synonyms: the rules' word lists (defaults above).
        min_object_words: object questions shorter than this are dropped (paper: 5).
    """

    def __init__(self, wn=None, colors=COLORS, object_lexnames=OBJECT_LEXNAMES, blacklist=BLACKLIST,
                 synonyms=SYNONYMS, min_object_words=5):
        self.wn = wn or wordnet()
        self.colors, self.object_lexnames = frozenset(colors), frozenset(object_lexnames)
        self.blacklist, self.synonyms = frozenset(blacklist), dict(synonyms)
        self.min_object_words = min_object_words

    def __call__(self, caption):
        """All questions of ``caption`` (a str with one or more sentences), in the order found, no duplicates."""
        questions = []
        for sentence in parsing.parse(caption, self.wn):
            for clause_tokens in split_compound(_spell_numbers(sentence)):
                for q in self._questions(clause_tokens):
                    if q not in questions:
                        questions.append(q)
        return questions

    # --- words -----------------------------------------------------------------------------------------------
    def answer_word(self, word):
        """The answer form of a noun: lower case, singular (WordNet's morphology), synonyms merged."""
        word = self.synonyms.get(word.lower(), word.lower())
        if not self._is_lemma(word):  # "dogs" -> "dog", but "trousers" and "glasses" are lemmas themselves
            word = self.wn.morphy(word, "n") or word
        return self.synonyms.get(word, word)

    def _is_lemma(self, word):
        return any(lemma.name().lower() == word for s in self.wn.synsets(word, "n") for lemma in s.lemmas())

    def lexname(self, word):
        """Lexicographer file of the first noun sense of ``word`` (None without one)."""
        synsets = self.wn.synsets(word.lower(), "n")
        return synsets[0].lexname() if synsets else None

    def eligible_object(self, word):
        """True when ``word`` may answer an object question (lexname and black-list rules)."""
        answer = self.answer_word(word)
        return answer not in self.blacklist and self.lexname(answer) in self.object_lexnames

    # --- question types --------------------------------------------------------------------------------------
    def _questions(self, tokens):
        clause = analyse(tokens)
        out = self._color_questions(tokens, clause)
        if clause is None:
            return out
        return self._object_questions(clause) + self._number_questions(clause) + out \
            + self._location_questions(clause)

    def _object_questions(self, c):
        out = []
        for chunk in _chunks(c.tokens):
            if chunk.kind != "NP" or chunk.start not in c.subject and chunk.start not in c.rest:
                continue
            subject = chunk.start == c.subject.start
            if not (c.predicate or subject and c.with_phrase) or _has_conjunction(c.tokens, chunk) \
                    or _joined(c.tokens, chunk):
                continue
            if chunk.start in c.subject and not subject:
                continue  # only the subject's own noun phrase, not its modifiers
            head, own_head = _collective_head(c.tokens, chunk), _head(c.tokens, chunk)
            if head is None or not self.eligible_object(c.tokens[head].word):
                continue
            token = c.tokens[head]
            if token.clause or c.tokens[own_head].prep in OBJECT_BLOCKED_PREPOSITIONS and not subject:
                continue
            if subject and c.existential:  # "there is a laptop on a desk" -> "what is on the desk"
                words = ["what", c.aux] + _words(c.tokens, c.rest)
            elif subject and not c.predicate:  # "a bathroom with a sink" -> "what has the sink"
                words = ["what", "have" if c.aux == "are" else "has"] + _words(c.tokens, c.rest[1:])
            elif subject:
                words = ["what"] + ([c.aux] if c.inserted else []) + _words(c.tokens, c.verb) \
                    + _words(c.tokens, c.rest)
            else:
                words = ["what"] + self._moved_clause(c, drop=range(chunk.start, _phrase_stop(c.tokens, chunk)))
            if len(words) >= self.min_object_words:
                out.append(Question(_text(words), self.answer_word(token.word), OBJECT))
        return out

    def _number_questions(self, c):
        out = []
        for chunk in _chunks(c.tokens):
            if chunk.kind != "NP" or _has_conjunction(c.tokens, chunk) or _joined(c.tokens, chunk):
                continue
            numbers = [i for i in chunk.indices if c.tokens[i].tag == "CD" and c.tokens[i].lower in NUMBER_WORDS]
            tokens = [c.tokens[i] for i in chunk.indices]
            if len(numbers) != 1 or any(t.prep or t.clause for t in tokens) or _head(c.tokens, chunk) is None:
                continue
            counted = [t.lower for i, t in zip(chunk.indices, tokens) if i != numbers[0] and t.tag != "DT"]
            answer = c.tokens[numbers[0]].lower
            if chunk.start == c.subject.start and not c.existential:
                after_np = _words(c.tokens, range(chunk.stop, c.subject.stop))
                tail = ([c.aux] if c.inserted else []) + _words(c.tokens, c.verb) + _words(c.tokens, c.rest)
                words = ["how", "many"] + counted + after_np + (tail if c.predicate else ["are", "there"])
            elif c.existential and chunk.start == c.subject.start:
                words = ["how", "many"] + counted + [c.aux or "are", "there"] + _words(c.tokens, c.rest)
            elif chunk.start in c.rest and c.predicate:
                stop = _phrase_stop(c.tokens, chunk)  # "how many pairs of trousers"
                counted += _words(c.tokens, range(chunk.stop, stop))
                words = ["how", "many"] + counted + self._moved_clause(c, drop=range(chunk.start, stop))
            else:
                continue
            out.append(Question(_text(words), answer, NUMBER))
        return out

    def _color_questions(self, tokens, clause):
        out = []
        for chunk in _chunks(tokens):
            if chunk.kind != "NP":
                continue
            noun = self._color_noun(tokens, chunk)
            for i in chunk.indices:
                color = self.synonyms.get(tokens[i].lower, tokens[i].lower)
                if color in self.colors and tokens[i].tag.startswith("JJ") and noun and not _paired_color(tokens, i):
                    out.append(Question(_text(["what", "is", "the", "color", "of", "the"] + noun), color, COLOR))
        if clause is not None and not clause.existential:  # "the bus is yellow"
            verb = _words(tokens, clause.verb)
            rest = [t for t in (tokens[i] for i in clause.rest) if t.word != "."]
            subject_chunk = _chunks(tokens)[0]
            noun = self._color_noun(tokens, subject_chunk)
            if verb and verb[-1] in _BE and len(rest) == 1 and rest[0].lower in self.colors and noun:
                out.append(Question(_text(["what", "is", "the", "color", "of", "the"] + noun), rest[0].lower, COLOR))
        return out

    def _color_noun(self, tokens, chunk):
        """The noun words a colour question names: the head with its compound nouns."""
        head = _collective_head(tokens, chunk)
        if head is None:
            return None
        first = head
        while first - 1 in chunk.indices and tokens[first - 1].tag.startswith("NN"):
            first -= 1
        return [t.lower for t in tokens[first:head + 1]]

    def _location_questions(self, c):
        out = []
        for chunk in _chunks(c.tokens):
            if chunk.kind != "PP" or chunk.start not in c.rest or c.tokens[chunk.start].lower != "in" \
                    or c.tokens[chunk.start].clause or c.existential:
                continue
            np_chunk = _following_chunk(c.tokens, chunk)
            head = _head(c.tokens, np_chunk) if np_chunk is not None and np_chunk.kind == "NP" else None
            if head is None or _has_conjunction(c.tokens, np_chunk):
                continue
            answer = self.answer_word(c.tokens[head].word)
            if answer in self.blacklist or self.lexname(answer) != "noun.artifact":
                continue
            words = ["where"] + self._moved_clause(c, drop=range(chunk.start, np_chunk.stop))
            out.append(Question(_text(words), answer, LOCATION))
        return out

    def _moved_clause(self, c, drop):
        """``aux subject verb rest`` with the ``drop`` tokens removed (wh-movement of a predicate phrase)."""
        aux, verb = c.aux, list(c.verb_words)
        if aux is None:  # do-support: "a woman holds an umbrella" -> "does the woman hold"
            lexical = c.tokens[c.verb.start]
            aux = {"VBD": "did", "VBP": "do"}.get(lexical.tag, "does")
            verb = [self.wn.morphy(lexical.lower, "v") or lexical.lower] + verb[1:]
        rest = [i for i in c.rest if i not in drop]
        return [aux] + _words(c.tokens, c.subject) + verb + _words(c.tokens, rest)


# --- clause analysis -----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Chunk:
    kind: str
    indices: tuple

    @property
    def start(self):
        return self.indices[0]

    @property
    def stop(self):
        return self.indices[-1] + 1


def _chunks(tokens):
    chunks, current = [], []
    for i, token in enumerate(tokens):
        if current and token.chunk != tokens[current[-1]].chunk:
            chunks.append(_Chunk(tokens[current[0]].kind, tuple(current)))
            current = []
        current.append(i)
    if current:
        chunks.append(_Chunk(tokens[current[0]].kind, tuple(current)))
    return chunks


def _head(tokens, chunk):
    """Index of the last noun of a noun phrase chunk (None when it has none)."""
    nouns = [i for i in chunk.indices if tokens[i].tag.startswith("NN")]
    return nouns[-1] if nouns else None


def _collective_head(tokens, chunk):
    """The head noun, looking through a collective noun to its "of" complement ("a pair of trousers")."""
    head = _head(tokens, chunk)
    if head is not None and {tokens[head].lower, tokens[head].lower[:-1], tokens[head].lower[:-2]} & COLLECTIVES:
        following = _next_np_after_of(tokens, chunk)
        if following is not None:
            return _collective_head(tokens, following)
    return head


def _phrase_stop(tokens, chunk):
    """End of a noun phrase with its "of" complements ("a pair | of trousers")."""
    stop, complement = chunk.stop, _next_np_after_of(tokens, chunk)
    while complement is not None:
        stop, complement = complement.stop, _next_np_after_of(tokens, complement)
    return stop


def _has_conjunction(tokens, chunk):
    """True for coordinated nouns in one chunk ("oranges and bananas"), not adjectives ("black and white")."""
    return any(tokens[i].tag == "CC" and i + 1 < len(tokens) and not tokens[i + 1].tag.startswith("JJ")
               for i in chunk.indices)


def _joined(tokens, chunk):
    """True when the noun phrase is joined to another one by "and"/"or" or a comma."""
    for link, other in ((chunk.start - 1, chunk.start - 2), (chunk.stop, chunk.stop + 1)):
        if 0 <= link < len(tokens) and (tokens[link].tag == "CC" or tokens[link].word == ",") \
                and 0 <= other < len(tokens) and tokens[other].kind == "NP":
            return True
    return False


def _paired_color(tokens, i):
    """True for a colour in "X and Y" (the paper skips those)."""
    for j, k in ((i - 1, i - 2), (i + 1, i + 2)):
        if 0 <= k < len(tokens) and tokens[j].tag == "CC" and tokens[k].tag.startswith("JJ"):
            return True
    return False


def _following_chunk(tokens, chunk):
    later = [c for c in _chunks(tokens) if c.start == chunk.stop]
    return later[0] if later else None


def _next_np_after_of(tokens, chunk):
    prep = _following_chunk(tokens, chunk)
    if prep is None or prep.kind != "PP" or tokens[prep.start].lower != "of":
        return None
    noun_phrase = _following_chunk(tokens, prep)
    return noun_phrase if noun_phrase is not None and noun_phrase.kind == "NP" else None


def _finite(token):
    return token.tag in parsing.FINITE_TAGS


def _plural(tokens, chunk):
    words = [tokens[i] for i in chunk.indices]
    if _coordinated_nouns(tokens, chunk):
        return True
    head = _head(tokens, chunk)
    if head is not None and {tokens[head].lower, tokens[head].lower[:-1], tokens[head].lower[:-2]} & COLLECTIVES:
        return False
    return any(t.tag == "NNS" or t.tag == "CD" and t.lower != "one" or t.lower in _PLURAL_DETERMINERS
               for t in words)


def _coordinated_nouns(tokens, chunk):
    """True when a conjunction in the noun phrase joins nouns ("a cat and dog", "oranges and bananas"): a noun
    before it and, after it, the phrase's head. Coordinated modifiers ("a black and white cat", "a salt and pepper
    shaker") leave the phrase singular."""
    head = _head(tokens, chunk)
    for i in chunk.indices:
        if tokens[i].tag != "CC":
            continue
        before = [j for j in chunk.indices if j < i and tokens[j].tag.startswith("NN")]
        after = [j for j in chunk.indices if j > i and tokens[j].tag.startswith("NN")]
        if before and after and after[0] == head:
            return True
    return False


def analyse(tokens):
    """Cut a sentence (tokens of :func:`zoo.imageqa.parsing.parse`) into subject, verb group and the rest, or
    None when it does not open with a noun phrase."""
    chunks = _chunks(tokens)
    end = len(tokens) - (1 if tokens and tokens[-1].word in ".!?" else 0)
    for i in range(1, end):  # a clause set off by a comma (", while a man watches") is left out of questions
        if tokens[i - 1].word == "," and tokens[i].clause:
            end = i - 1
            break
    existential = len(chunks) > 2 and tokens[0].lower == "there" and chunks[1].kind == "VP" \
        and tokens[chunks[1].start].lower in _BE and chunks[2].kind == "NP"
    if existential:
        verb_chunk, subject_chunk = chunks[1], chunks[2]
        subject = range(subject_chunk.start, subject_chunk.stop)
        return _Clause(tokens, subject, range(verb_chunk.start, verb_chunk.stop), range(subject_chunk.stop, end),
                       tokens[verb_chunk.start].lower, [], False, True, True)
    if not chunks or chunks[0].kind != "NP":
        return None
    top_verbs = [c for c in chunks if c.kind == "VP" and not tokens[c.start].clause]
    finite = [c for c in top_verbs if _finite(tokens[c.start])]
    plural = _plural(tokens, chunks[0])
    be = "are" if plural else "is"
    if finite:
        verb_chunk = finite[0]
        words = [tokens[i].lower for i in verb_chunk.indices]
        if words[0] in _BE or len(words) > 1 and words[0] in _AUXILIARIES:
            aux, verb_words = words[0], words[1:]
        else:
            aux, verb_words = None, words
        return _Clause(tokens, range(0, verb_chunk.start), range(verb_chunk.start, verb_chunk.stop),
                       range(verb_chunk.stop, end), aux, verb_words, False, False, True)
    # a fragment: the subject is the first noun phrase with its "of" complements
    subject_end = _phrase_stop(tokens, chunks[0])
    after = [c for c in chunks if c.start == subject_end]
    if after and after[0].kind == "VP" and tokens[after[0].start].tag in ("VBG", "VBN"):
        verb_chunk = after[0]  # "a man riding a wave": the participle is the predicate, "is" is implied
        words = [tokens[i].lower for i in verb_chunk.indices]
        return _Clause(tokens, range(0, subject_end), range(verb_chunk.start, verb_chunk.stop),
                       range(verb_chunk.stop, end), be, words, True, False, True)
    predicate = bool(after) and after[0].kind == "PP" and tokens[after[0].start].lower not in ("with", "of")
    with_phrase = bool(after) and after[0].kind == "PP" and tokens[after[0].start].lower == "with"
    return _Clause(tokens, range(0, subject_end), range(subject_end, subject_end), range(subject_end, end),
                   be, [], True, False, predicate, with_phrase)


def split_compound(tokens):
    """Split a sentence at a top-level conjunction that joins two clauses ("…street and a bus drives by")."""
    chunks = _chunks(tokens)
    for k, token in enumerate(tokens):
        if token.tag != "CC" or token.kind != "O" or token.clause:
            continue
        left, right = tokens[:k], tokens[k + 1:]
        right_chunks = [c for c in chunks if c.start > k]
        opens_clause = right_chunks and right_chunks[0].kind == "NP" and any(
            c.kind == "VP" and _finite(tokens[c.start]) and not tokens[c.start].clause for c in right_chunks)
        has_verb = any(t.kind == "VP" for t in left)
        if opens_clause and has_verb:
            while left and left[-1].word == ",":
                left = left[:-1]
            return split_compound(left + [parsing.Token(".", ".", -2)]) + split_compound(right)
    return [tokens]


def _spell_numbers(tokens):
    for token in tokens:
        if token.word.isdigit() and int(token.word) < len(NUMBER_WORDS):
            token.word, token.tag = NUMBER_WORDS[int(token.word)], "CD"
    return tokens


def _words(tokens, indices):
    return [tokens[i].lower for i in indices if tokens[i].word not in ".!?"]


def _text(words):
    words = ["the" if w in ("a", "an") else w for w in words]
    while words and words[-1] in (",", "."):
        words.pop()
    return " ".join(words)


# --- answer pruning --------------------------------------------------------------------------------------------
def pruning_mask(answers, min_count=25, keep_first=350, decay=700, seed=1):
    """COCO-QA's two-stage answer pruning as a boolean keep-mask over ``answers`` (one per question): answers
    seen fewer than ``min_count`` times are dropped; then, in a shuffled order (``seed``), the first
    ``keep_first`` questions of each answer are kept and its n-th later one with probability
    exp(−(n − keep_first) / decay)."""
    for name, value in (("min_count", min_count), ("keep_first", keep_first)):
        if value < 0:
            raise ValueError(f"{name} must be ≥ 0, got {value}")
    if decay <= 0:
        raise ValueError(f"decay must be > 0, got {decay}")
    answers = list(answers)
    counts = collections.Counter(answers)
    order = np.random.default_rng(seed).permutation(len(answers))
    rng = np.random.default_rng(seed + 1)
    seen, keep = collections.Counter(), np.zeros(len(answers), bool)
    for i in order:
        answer = answers[i]
        if counts[answer] < min_count:
            continue
        seen[answer] += 1
        n = seen[answer]
        keep[i] = n <= keep_first or rng.uniform() < math.exp(-(n - keep_first) / decay)
    return keep


def prune_answers(questions, min_count=25, keep_first=350, decay=700, seed=1):
    """:func:`pruning_mask` applied to :class:`Question` s; returns the kept ones in their original order."""
    questions = list(questions)
    keep = pruning_mask([q.answer for q in questions], min_count, keep_first, decay, seed)
    return [q for q, k in zip(questions, keep) if k]
