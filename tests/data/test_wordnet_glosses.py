"""The WordNet-gloss corpus reader on small files in WordNet's data-file format."""
import numpy as np
import pytest

from zoo.data import wordnet_glosses

HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n"


def write_wordnet(directory, glosses_by_pos):
    for pos, glosses in glosses_by_pos.items():
        lines = [HEADER] + [f"{offset:08d} 03 n 01 word 0 000 | {gloss}  \n" for offset, gloss in glosses]
        (directory / f"data.{pos}").write_text("".join(lines))


@pytest.fixture
def wordnet_dir(tmp_path):
    glosses = [(i, f"the cat's {'dog' if i % 2 else 'bird'} sat on the mat; \"the end\" {i}") for i in range(200)]
    write_wordnet(tmp_path, {"noun": glosses[:150], "verb": glosses[150:]})
    return tmp_path


def test_reads_every_gloss_and_skips_the_license_header(wordnet_dir):
    glosses = wordnet_glosses.read_glosses(wordnet_dir)
    assert len(glosses) == 200
    assert glosses[0] == ("noun:00000000", "the cat's bird sat on the mat; \"the end\" 0")
    assert glosses[150][0] == "verb:00000150"


def test_tokenize_keeps_clitics_and_punctuation():
    assert wordnet_glosses.tokenize("The cat's mat; \"big\"") == ["the", "cat's", "mat", ";", '"', "big", '"']


def test_corpus_splits_by_synset_and_maps_rare_words_to_unk(wordnet_dir):
    corpus = wordnet_glosses.load_gloss_corpus(wordnet_dir, vocab_size=12)
    assert corpus.vocabulary[:2] == ("<unk>", "<eos>")
    assert len(corpus.vocabulary) == 12
    keys = [key for key, _ in wordnet_glosses.read_glosses(wordnet_dir)]
    counts = {split: sum(wordnet_glosses.split_of(k) == split for k in keys) for split in ("train", "valid", "test")}
    for split in ("train", "valid", "test"):
        stream = getattr(corpus, split)
        assert stream.dtype == np.int32
        assert int((stream == 1).sum()) == counts[split]  # one <eos> per gloss of the split
    assert counts["train"] > 150 and counts["valid"] > 0 and counts["test"] > 0
    assert (corpus.train == 0).any()  # the numbers 0..199 are rare: <unk>
    assert corpus.vocabulary[2] == "the"  # most frequent word first


def test_missing_directory_names_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOO_WORDNET_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        wordnet_glosses.read_glosses(tmp_path)
    with pytest.raises(ValueError, match="vocab_size must be >= 3"):
        wordnet_glosses.load_gloss_corpus(tmp_path, vocab_size=2)
