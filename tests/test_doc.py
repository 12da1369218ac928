"""The document model: StringStore, Vocab lexical attributes, Doc columns, Token/Span views."""
from __future__ import annotations

import numpy as np
import pytest

from nbnlp import Doc, Span, StringStore, Vocab


@pytest.fixture
def vocab() -> Vocab:
    return Vocab()


@pytest.fixture
def parsed(vocab: Vocab) -> Doc:
    words = ["Mr.", "Smith", "visited", "New", "York", ".", "He", "did", "n't", "stay", "."]
    spaces = [True, True, True, True, False, True, True, False, True, False, False]
    heads = [1, 2, 2, 4, 2, 2, 9, 9, 9, 9, 9]
    deps = ["compound", "nsubj", "ROOT", "compound", "obj", "punct", "nsubj", "aux", "advmod", "ROOT", "punct"]
    tags = ["NNP", "NNP", "VBD", "NNP", "NNP", ".", "PRP", "VBD", "RB", "VB", "."]
    ents = ["B-PER", "L-PER", "O", "B-GPE", "I-GPE", "O", "O", "O", "O", "O", "O"]
    return Doc(vocab, words, spaces, heads=heads, deps=deps, tags=tags, ents=ents, lemmas=[w.lower() for w in words])


def test_string_store_ids_are_dense_and_stable_hashes(vocab: Vocab) -> None:
    store = StringStore(["apple", "pear"])
    assert store["apple"] == 1 and store["pear"] == 2 and store[0] == ""
    assert store.add("apple") == 1 and len(store) == 3
    other = StringStore(["pear", "apple"])
    # Ids depend on insertion order; hashes do not.
    assert store.hashes[store["apple"]] == other.hashes[other["apple"]]
    assert store.hashes[1] != store.hashes[2]
    with pytest.raises(KeyError, match="zebra"):
        store["zebra"]


def test_lexical_attributes_are_cached_arrays(vocab: Vocab) -> None:
    doc = Doc(vocab, ["Apple", "costs", "$", "3.50", "!", "http://x.org", "a@b.com", "   "])
    norm = vocab.attr("norm")[doc.arrays["ORTH"]]
    assert [vocab.strings[i] for i in norm] == ["apple", "costs", "$", "3.50", "!", "http://x.org", "a@b.com", "   "]
    assert [t.shape_ for t in doc][:4] == ["Xxxxx", "xxxx", "$", "d.dd"]
    assert [t.is_punct for t in doc] == [False, False, False, False, True, False, False, False]
    assert [t.like_num for t in doc][:4] == [False, False, False, True]
    assert doc[2].is_currency and doc[5].like_url and doc[6].like_email and doc[7].is_space
    assert doc[0].prefix_ == "A" and doc[0].suffix_ == "ple"
    # The table grows with the store, each string computed once.
    before = len(vocab.attr("shape"))
    Doc(vocab, ["Apple", "costs"])
    assert len(vocab.attr("shape")) == before


def test_text_is_reproduced_exactly(vocab: Vocab) -> None:
    doc = Doc(vocab, ["Hello", ",", " ", "world", "\n"], [False, True, False, False, False])
    assert doc.text == "Hello,  world\n"
    assert [t.idx for t in doc] == [0, 5, 7, 8, 13]
    assert doc[3].text_with_ws == "world" and doc[1].whitespace_ == " "


def test_token_views_use_spacy_names(parsed: Doc) -> None:
    t = parsed[1]
    assert (t.text, t.i, t.idx, t.tag_, t.dep_, t.head.text, t.lemma_) == ("Smith", 1, 4, "NNP", "nsubj", "visited", "smith")
    assert parsed[2].head.i == 2  # a root is its own head
    assert [c.text for c in parsed[2].children] == ["Smith", "York", "."]
    assert [x.text for x in parsed[0].ancestors] == ["Smith", "visited"]
    assert [x.text for x in parsed[4].subtree] == ["New", "York"]
    t.tag_ = "NNPS"
    assert parsed.vocab.strings[int(parsed.arrays["TAG"][1])] == "NNPS"


def test_sentences_come_from_the_parse(parsed: Doc) -> None:
    sents = list(parsed.sents)
    assert [s.text for s in sents] == ["Mr. Smith visited New York.", "He didn't stay."]
    assert [t.is_sent_start for t in parsed][:7] == [True, False, False, False, False, False, True]
    assert parsed[8].sent.start == 6 and sents[1].root.text == "stay"


def test_sentences_unset_is_an_error(vocab: Vocab) -> None:
    doc = Doc(vocab, ["a", "b"])
    with pytest.raises(ValueError, match="Sentence boundaries are unset"):
        list(doc.sents)
    doc[1].is_sent_start = True
    assert [s.text for s in doc.sents] == ["a", "b"]


def test_entities_from_tags_and_setter(parsed: Doc) -> None:
    ents = parsed.ents
    assert [(e.text, e.label_, e.start, e.end, e.start_char, e.end_char) for e in ents] == [
        ("Mr. Smith", "PER", 0, 2, 0, 9),
        ("New York", "GPE", 3, 5, 18, 26),
    ]
    assert [t.ent_iob_ for t in parsed][:6] == ["B", "I", "O", "B", "I", "O"]
    parsed.ents = [Span(parsed, 6, 7, "PER"), ("GPE", 3, 5)]
    assert [(e.text, e.label_) for e in parsed.ents] == [("New York", "GPE"), ("He", "PER")]
    assert parsed[0].ent_iob_ == "O"
    with pytest.raises(ValueError, match="Overlapping entities"):
        parsed.ents = [Span(parsed, 0, 3, "A"), Span(parsed, 2, 4, "B")]


def test_set_ents_missing_default(vocab: Vocab) -> None:
    doc = Doc(vocab, ["a", "b", "c"])
    doc.set_ents([Span(doc, 1, 2, "X")], default="missing")
    assert [t.ent_iob_ for t in doc] == ["", "B", ""]


def test_iob1_style_tags_open_entities(vocab: Vocab) -> None:
    doc = Doc(vocab, ["a", "b", "c", "d"], ents=["I-PER", "I-PER", "I-LOC", "-"])
    assert [(e.text, e.label_) for e in doc.ents] == [("a b", "PER"), ("c", "LOC")]
    assert doc[3].ent_iob_ == ""


def test_char_span_alignment_modes(parsed: Doc) -> None:
    text = parsed.text
    start = text.index("New")
    assert parsed.char_span(start, start + 8, "GPE").text == "New York"
    assert parsed.char_span(start + 1, start + 8) is None  # strict
    assert parsed.char_span(start + 1, start + 8, alignment_mode="contract").text == "York"
    assert parsed.char_span(start + 1, start + 6, alignment_mode="expand").text == "New York"
    assert parsed.char_span(start, start + 3, alignment_mode="contract").text == "New"
    assert parsed.char_span(start + 1, start + 2, alignment_mode="contract") is None
    with pytest.raises(ValueError, match="alignment_mode"):
        parsed.char_span(0, 3, alignment_mode="nearest")


def test_to_array_and_from_array(parsed: Doc, vocab: Vocab) -> None:
    arr = parsed.to_array(["ORTH", "TAG", "HEAD", "IS_PUNCT"])
    assert arr.shape == (len(parsed), 4)
    assert vocab.strings[int(arr[1, 1])] == "NNP" and arr[5, 3] == 1 and arr[0, 2] == 1
    fresh = Doc(vocab, parsed.words, [bool(s) for s in parsed.arrays["SPACY"]])
    fresh.from_array(["TAG", "HEAD", "DEP"], parsed.to_array(["TAG", "HEAD", "DEP"]))
    assert [t.tag_ for t in fresh] == [t.tag_ for t in parsed]
    assert [s.text for s in fresh.sents] == [s.text for s in parsed.sents]
    with pytest.raises(ValueError, match="ORTH"):
        fresh.from_array("ORTH", np.zeros(len(fresh)))
    with pytest.raises(ValueError, match="HEAD values"):
        fresh.from_array("HEAD", np.full(len(fresh), 99))
    with pytest.raises(KeyError, match="Unknown token attribute"):
        parsed.to_array("COLOUR")


def test_doc_construction_errors(vocab: Vocab) -> None:
    with pytest.raises(ValueError, match="2 words but 1 spaces"):
        Doc(vocab, ["a", "b"], [True])
    with pytest.raises(ValueError, match="non-empty"):
        Doc(vocab, ["a", ""])
    with pytest.raises(ValueError, match="outside 0..1"):
        Doc(vocab, ["a", "b"], heads=[0, 5])
    with pytest.raises(ValueError, match="not an IOB/BILUO tag"):
        Doc(vocab, ["a"], ents=["PER"])


def test_from_docs_concatenates_sentences(vocab: Vocab) -> None:
    a = Doc(vocab, ["Hi", "!"], [False, False], heads=[0, 0], deps=["ROOT", "punct"], ents=["U-X", "O"])
    b = Doc(vocab, ["Go", "."], [False, False], heads=[0, 0], deps=["ROOT", "punct"], cats={"POS": 1.0})
    merged = Doc.from_docs([a, b])
    assert merged.text == "Hi! Go."
    assert [t.head.i for t in merged] == [0, 0, 2, 2]
    assert [s.text for s in merged.sents] == ["Hi!", "Go."]
    assert [(e.text, e.label_) for e in merged.ents] == [("Hi", "X")]
    assert merged.cats == {"POS": 1.0}


def test_slicing_and_copy(parsed: Doc) -> None:
    span = parsed[3:5]
    assert span.text == "New York" and len(span) == 2 and span[-1].text == "York"
    assert parsed[-1].text == "." and len(list(parsed)) == len(parsed)
    copy = parsed.copy()
    copy[0].tag_ = "XX"
    assert parsed[0].tag_ == "NNP"
    with pytest.raises(IndexError):
        parsed[100]
