"""WordNet from Debian's files: the lexnames table NLTK needs, and a clear error when the package is missing."""
import pytest

from zoo.imageqa import wordnet as wordnet_lib


def test_reader_has_wordnet_30_lexnames():
    wn = wordnet_lib.wordnet()
    assert wn.get_version() == "3.0"
    assert wn.synset("dog.n.01").lexname() == "noun.animal"
    assert wn.synset("car.n.01").lexname() == "noun.artifact"
    assert len(wordnet_lib.LEXNAMES) == 45


def test_missing_database_names_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        wordnet_lib.wordnet(str(tmp_path))
