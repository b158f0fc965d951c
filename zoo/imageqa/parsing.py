"""Part-of-speech tags and phrase chunks of English captions, with no model download.

The paper parsed COCO captions with the Stanford PCFG parser (Java, a model download). Here the parser is the
Brill-style tagger and rule-based chunker of CLiPS *Pattern* as bundled in TextBlob (PyPI ``textblob``: its
lexicon and context rules ship inside the wheel, nothing is fetched at run time). spaCy, benepar, Stanza and
NLTK's taggers all need a model download; Debian's link grammar parser (``python3-link-grammar``) installs
offline but leaves most caption fragments ("a man riding a wave") half parsed. A shallow parse is enough for
the question rules: they need noun phrases and their heads, verb groups, prepositional phrases with their
preposition, and clause boundaries.

On top of Pattern's tags this module

* joins complex prepositions ("next to", "on top of", "to the left of") into one preposition token;
* corrects the tagger's common noun/verb confusions in captions with WordNet (``a bus drives`` tagged as a
  plural noun, ``a teddy bear sitting`` as a verb, ``eating leaves`` as a verb, ``t-shirt`` as an adjective);
* marks subordinate and relative clauses (``that is next to a window``, ``while a man watches``) up to the next
  comma or the end of the sentence — the SBAR of a full parse.
"""
import dataclasses
import re

COMPLEX_PREPOSITIONS = (
    "to the left of", "to the right of", "in front of", "in the middle of", "on top of", "at the top of",
    "at the bottom of", "on the side of", "on the edge of", "next to", "close to", "out of", "on to",
)
"""Multi-word prepositions parsed as one preposition (longest first when they overlap)."""

CLAUSE_MARKERS = frozenset({"that", "which", "who", "whom", "whose", "while", "whilst", "where", "when",
                            "because", "although", "though", "whereas"})
"""Words that open a subordinate or relative clause."""

_SPLIT_PREPOSITIONS = sorted((p.split() for p in COMPLEX_PREPOSITIONS), key=len, reverse=True)
_PREPOSITION_LIKE = frozenset({"past", "near", "inside", "outside", "down", "up", "across", "along", "through",
                               "over", "around", "behind", "beside"})
FINITE_TAGS = ("VBZ", "VBP", "VBD", "MD")
"""Tags of finite verbs (present, past, modal)."""


@dataclasses.dataclass
class Token:
    """One word of a parsed sentence.

    Attributes:
        word: the word as written (a complex preposition is one token, e.g. ``"next to"``).
        tag: Penn Treebank part-of-speech tag.
        chunk: index of the phrase chunk the word belongs to.
        kind: the chunk's type: ``NP``, ``VP``, ``PP``, ``ADJP``, ``ADVP`` or ``O`` (outside any chunk).
        prep: for a word of a noun phrase governed by a preposition, that preposition (lower case), else None.
        clause: True inside a subordinate or relative clause.
    """
    word: str
    tag: str
    chunk: int = -1
    kind: str = "O"
    prep: str | None = None
    clause: bool = False

    @property
    def lower(self):
        """The word in lower case."""
        return self.word.lower()


def _pattern():
    from textblob.en import parser  # Pattern's English tagger as shipped inside TextBlob
    import textblob._text as pattern_text
    return parser, pattern_text


def tag_sentences(text):
    """Split ``text`` into sentences of ``[word, tag]`` pairs with Pattern's tokenizer and tagger."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    parser, _ = _pattern()
    tagged = parser.parse(text, tokenize=True, tags=True, chunks=False, relations=False, lemmata=False)
    return [[list(pair[:2]) for pair in sentence] for sentence in tagged.split()] if text.strip() else []


def join_complex_prepositions(tagged):
    """Replace each occurrence of a :data:`COMPLEX_PREPOSITIONS` word sequence by one ``IN`` token."""
    out, i = [], 0
    lower = [w.lower() for w, _ in tagged]
    while i < len(tagged):
        for words in _SPLIT_PREPOSITIONS:
            if lower[i:i + len(words)] == words:
                out.append([" ".join(w for w, _ in tagged[i:i + len(words)]), "IN"])
                i += len(words)
                break
        else:
            out.append(list(tagged[i]))
            i += 1
    return out


def _has(wn, word, pos):
    return bool(wn.synsets(word.lower(), pos))


def correct_tags(tagged, wn):
    """Fix the tagger's noun/verb/adjective confusions that matter for caption grammar (see module doc)."""
    tags = [t for _, t in tagged]
    words = [w.lower() for w, _ in tagged]
    n = len(tagged)
    for i in range(n):
        word, before = words[i], tags[i - 1] if i else ""
        after = tags[i + 1] if i + 1 < n else "."
        # a noun-only word tagged as an adjective at the end of a noun phrase ("a red t-shirt")
        if tags[i] == "JJ" and not after.startswith(("NN", "JJ")) and before in ("DT", "JJ", "CD", "PRP$") \
                and _has(wn, word, "n") and not _has(wn, word, "a") and not _has(wn, word, "s"):
            tags[i] = "NNS" if wn.morphy(word, "n") not in (None, word) else "NN"
        # a base-form verb after a singular noun cannot agree with it: a compound noun ("a teddy bear")
        elif tags[i] in ("VB", "VBP") and before == "NN" and _has(wn, word, "n") and "MD" not in tags[:i] \
                and "TO" not in tags[max(0, i - 2):i] and (_singular_phrase(words, tags, i - 1)
                                                          or after in ("VBG", "VBN")):
            tags[i] = "NN"
        # "a/the <word>" where the tagger saw a verb ("a sink", "the tracks")
        elif tags[i] in ("VB", "VBZ", "VBP") and before in ("DT", "PRP$", "JJ") and _has(wn, word, "n"):
            tags[i] = "NNS" if tags[i] == "VBZ" else "NN"
        # the object of a participle tagged as a verb ("eating leaves")
        elif tags[i] == "VBZ" and before in ("VBG", "VBN") and _has(wn, word, "n"):
            tags[i] = "NNS"
        # a gerund opening a noun phrase's verb ("and reading a newspaper")
        elif tags[i] == "NN" and word.endswith("ing") and after in ("DT", "PRP$", "CD") and _has(wn, word, "v"):
            tags[i] = "VBG"
        # a preposition the tagger read as an adjective or adverb ("walks past a store", "down the street")
        elif tags[i] in ("JJ", "RB") and word in _PREPOSITION_LIKE and after in ("DT", "PRP$", "CD"):
            tags[i] = "IN"
        # a base-form verb after a plural subject is a present-tense verb ("two giraffes stand near a tree")
        elif tags[i] == "VB" and before == "NNS" and "MD" not in tags[:i] and "TO" not in tags[:i]:
            tags[i] = "VBP"
        # a past form followed by "with"/"by" is a participle ("a plate topped with a sandwich")
        elif tags[i] == "VBD" and i + 1 < n and words[i + 1] in ("with", "by") and before.startswith("NN"):
            tags[i] = "VBN"
    # a noun modifier with an adjective reading is an adjective ("a cyan t-shirt", tagged noun + adjective)
    for i in range(n - 1):
        if tags[i] == "NN" and (tags[i + 1].startswith("NN") or tags[i + 1] == "JJ" and not _has(wn, words[i + 1], "a")
                                and not _has(wn, words[i + 1], "s")) and (_has(wn, words[i], "a")
                                                                          or _has(wn, words[i], "s")):
            tags[i] = "JJ"
            if tags[i + 1] == "JJ":
                tags[i + 1] = "NN"
    # a clause with a noun subject and no verb: its subject's last plural "noun" is the verb ("a bus drives by")
    start = 0
    for end in [i for i, t in enumerate(tags) if t in ("CC", ",", ".")] + [n]:
        span = range(start, end)
        if span and not any(tags[i] in FINITE_TAGS or tags[i] == "VBG" for i in span):
            for i in span:
                if tags[i] == "NNS" and i > start and tags[i - 1] == "NN" and _has(wn, words[i], "v") \
                        and (i + 1 == end or not tags[i + 1].startswith("NN")):
                    tags[i] = "VBZ"
                    break
        start = end + 1
    return [[w, t] for (w, _), t in zip(tagged, tags)]


def _singular_phrase(words, tags, head):
    """True when the noun phrase ending at ``head`` opens with a singular determiner ("a", "an", "this", ...)."""
    i = head
    while i > 0 and tags[i - 1].startswith(("NN", "JJ")):
        i -= 1
    return i > 0 and words[i - 1] in ("a", "an", "one", "this", "that", "each", "every")


def chunk(tagged):
    """Pattern's chunker and preposition attachment over corrected tags: a list of :class:`Token`."""
    _, pattern_text = _pattern()
    chunked = pattern_text.find_prepositions(pattern_text.find_chunks([list(p) for p in tagged], "en"))
    tokens, index, current_prep = [], -1, None
    for word, tag, chunk_tag, pnp_tag in chunked:
        if chunk_tag.startswith("B-") or chunk_tag == "O" or index < 0:
            index += 1
        kind = chunk_tag[2:] if chunk_tag != "O" else "O"
        if kind == "PP":
            current_prep = word.lower()
        prep = current_prep if pnp_tag != "O" and kind == "NP" else None
        if pnp_tag == "O":
            current_prep = None if kind != "PP" else current_prep
        tokens.append(Token(word, tag, index, kind, prep))
    return _mark_clauses(_join_coordinated_adjectives(tokens))


def _join_coordinated_adjectives(tokens):
    """Pattern cuts "a black and white cat" into ``a`` / ADJP ``black and`` / NP ``white cat``: one NP."""
    for i, token in enumerate(tokens):
        if token.tag == "CC" and token.kind == "ADJP" and i + 1 < len(tokens) and tokens[i + 1].kind == "NP":
            np_chunk, start = tokens[i + 1].chunk, i
            while start > 0 and tokens[start - 1].kind == "ADJP":
                start -= 1
            if start > 0 and tokens[start - 1].tag == "DT" and tokens[start - 1].kind == "O":
                start -= 1
            for t in tokens[start:i + 1]:
                t.kind, t.chunk, t.prep = "NP", np_chunk, tokens[i + 1].prep
    return tokens


def _mark_clauses(tokens):
    """Mark words from a clause marker to the next comma, the next finite verb group after the clause's own
    verb ("a dog that is chasing a ball | runs across the yard"), or the end, as inside a clause."""
    inside, clause_verb = False, None
    for i, token in enumerate(tokens):
        if token.word == ",":
            inside = False
        elif token.lower in CLAUSE_MARKERS and i > 0:
            inside, clause_verb = True, None
            token.kind, token.prep = "O", None
        elif inside and token.kind == "VP" and token.chunk != clause_verb and token.tag in FINITE_TAGS \
                and (i == 0 or tokens[i - 1].chunk != token.chunk):
            if clause_verb is None:
                clause_verb = token.chunk
            else:
                inside = False
        token.clause = inside
    return tokens


def parse(text, wn):
    """Sentences of ``text`` as lists of :class:`Token` (tags corrected, complex prepositions joined)."""
    return [chunk(correct_tags(join_complex_prepositions(s), wn)) for s in tag_sentences(normalise(text))]


def normalise(text):
    """Collapse white space and make sure the text ends with a full stop (the tokenizer splits on it)."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if not text or text[-1] in ".!?" else text + "."
