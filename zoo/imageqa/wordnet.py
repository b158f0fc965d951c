"""WordNet 3.0 from Debian's ``wordnet-base`` package, read with NLTK's WordNet reader, with no download.

Debian installs the database files in ``/usr/share/wordnet`` but not the ``lexnames`` table NLTK's reader
wants (the numbered list of lexicographer files, fixed by WordNet 3.0's ``lexnames(5WN)``), and NLTK only
reads corpora under its data path (symbolic links out of it are refused). :func:`wordnet` therefore copies
the database files into a cache directory once, writes ``lexnames`` beside them, and opens the reader there.
"""
import functools
import os
import pathlib
import shutil
import warnings

DEBIAN_WORDNET = pathlib.Path("/usr/share/wordnet")

LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
    "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant",
    "noun.possession", "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",
    "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition", "verb.communication",
    "verb.competition", "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
)
"""WordNet 3.0's lexicographer files in the order of their numbers (``lexnames(5WN)``)."""

_FILES = ("data.adj", "data.adv", "data.noun", "data.verb", "index.adj", "index.adv", "index.noun", "index.verb",
          "adj.exc", "adv.exc", "noun.exc", "verb.exc", "index.sense", "cntlist.rev")
_SYNTACTIC_CATEGORY = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


def _lexnames_text():
    return "".join(f"{i:02d}\t{name}\t{_SYNTACTIC_CATEGORY[name.split('.')[0]]}\n"
                   for i, name in enumerate(LEXNAMES))


def _reader_class():
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class Wordnet30Reader(WordNetCorpusReader):
        """The reader without the Open Multilingual Wordnet mapping (it needs ``index.sense``, which Debian's
        base package leaves out, and only serves other languages)."""

        def map_wn(self, version="wordnet"):
            return None

    return Wordnet30Reader


@functools.lru_cache(maxsize=None)
def wordnet(source=None):
    """NLTK's WordNet reader over the WordNet files in ``source`` (default: ``$ZOO_WORDNET_DIR``, else
    Debian's ``/usr/share/wordnet``). Raises ``FileNotFoundError`` naming the package to install when absent."""
    import nltk

    source = pathlib.Path(source or os.environ.get("ZOO_WORDNET_DIR") or DEBIAN_WORDNET)
    if not (source / "data.noun").exists():
        raise FileNotFoundError(f"WordNet database not found in {source}: install Debian's wordnet-base "
                                "(apt-get install -y wordnet-base) or set ZOO_WORDNET_DIR to a WordNet 3.0 dict dir")
    home = pathlib.Path(os.environ.get("ZOO_HOME", pathlib.Path.home() / ".cache" / "zoo"))
    root = home / "nltk_data"
    corpus = root / "corpora" / "wordnet"
    corpus.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        copy, original = corpus / name, source / name
        if original.exists() and (not copy.exists() or copy.stat().st_size != original.stat().st_size):
            shutil.copyfile(original, copy)
    lexnames = corpus / "lexnames"
    if not lexnames.exists() or lexnames.read_text() != _lexnames_text():
        lexnames.write_text(_lexnames_text())
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    with warnings.catch_warnings():  # "multilingual functions are not available": no OMW, by design
        warnings.simplefilter("ignore", UserWarning)
        return _reader_class()(str(corpus), None)
