"""Tests for entity tag schemes (biluo.py), token alignment (alignment.py) and Example (example.py)."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnlp.core import Doc, Vocab
from nbnlp.core.alignment import Alignment
from nbnlp.core.biluo import (
    MisalignedEntityWarning,
    biluo_tags_to_offsets,
    biluo_tags_to_spans,
    biluo_to_iob,
    doc_to_biluo_tags,
    iob_to_biluo,
    offsets_to_biluo_tags,
    validate_biluo,
    validate_iob,
)
from nbnlp.core.example import Example
from nbnlp.core.nonproj import projectivize_heads

from data_helpers import SHARED_DATA, need_data

UD_DEV = SHARED_DATA / "ud-english-ewt" / "dev.conllu"


@pytest.fixture
def vocab() -> Vocab:
    return Vocab()


# ===== BILUO / IOB conversions ===============================================================
def test_iob2_to_biluo_and_back():
    iob = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "-", "B-ORG"]
    biluo = iob_to_biluo(iob)
    assert biluo == ["B-PER", "L-PER", "O", "U-LOC", "B-LOC", "I-LOC", "L-LOC", "-", "U-ORG"]
    assert biluo_to_iob(biluo) == iob


def test_iob1_reading_opens_entities_on_i_and_splits_on_b():
    # IOB1: entities start with I; B only separates adjacent entities of one type; a label change ends one.
    assert iob_to_biluo(["I-PER", "I-PER", "B-PER", "I-LOC", "O", "I-ORG"]) == [
        "B-PER", "L-PER", "U-PER", "U-LOC", "O", "U-ORG",
    ]


def test_conversions_reject_malformed_tags():
    with pytest.raises(ValueError, match="'PER'"):
        iob_to_biluo(["O", "PER"])
    with pytest.raises(ValueError, match="'U-PER'"):
        iob_to_biluo(["U-PER"])  # not an IOB tag
    with pytest.raises(ValueError, match="'X-PER'"):
        biluo_to_iob(["X-PER"])


def test_none_and_empty_read_as_missing():
    assert iob_to_biluo([None, "", "-", "O"]) == ["-", "-", "-", "O"]


def test_validate_biluo_accepts_valid_sequences():
    assert validate_biluo(["O", "B-PER", "I-PER", "L-PER", "U-LOC", "-", "U-PER", "O"]) == []
    assert validate_biluo([]) == []


@pytest.mark.parametrize(
    "tags, index, expected_fragment",
    [
        (["O", "L-PER"], 1, "B-PER"),  # L without B
        (["I-PER", "L-PER"], 0, "B-PER"),  # I at the start
        (["B-PER", "O"], 1, "I-PER' or 'L-PER"),  # entity left open
        (["B-PER", "L-LOC"], 1, "I-PER' or 'L-PER"),  # label changes inside an entity
        (["O", "B-PER"], 1, "U-PER"),  # ends inside an entity
        (["B-PER", "I-PER"], 1, "L-PER"),
        (["O", "PER"], 1, "B-LABEL"),  # malformed
    ],
)
def test_validate_biluo_reports_index_tag_and_expectation(tags, index, expected_fragment):
    problems = validate_biluo(tags)
    assert problems, tags
    assert problems[0].index == index
    assert problems[0].tag == tags[index]
    assert expected_fragment in problems[0].expected
    assert f"token {index}" in str(problems[0])


def test_validate_iob2_flags_i_after_o():
    problems = validate_iob(["B-PER", "I-PER", "O", "I-PER", "B-LOC", "I-ORG"])
    assert [(p.index, p.tag) for p in problems] == [(3, "I-PER"), (5, "I-ORG")]
    assert "B-PER" in problems[0].expected and "'O'" in problems[0].expected
    assert validate_iob(["B-PER", "I-PER", "O", "B-LOC", "-"]) == []


def test_validate_iob1_flags_b_not_after_same_type():
    assert validate_iob(["I-PER", "I-PER", "B-PER", "O", "I-LOC"], scheme="iob1") == []
    problems = validate_iob(["O", "B-PER", "I-LOC", "B-ORG"], scheme="iob1")
    assert [(p.index, p.tag) for p in problems] == [(1, "B-PER"), (3, "B-ORG")]
    with pytest.raises(ValueError):
        validate_iob(["O"], scheme="bio")
    assert validate_iob(["U-PER"])[0].index == 0  # BILUO tags are not IOB


# ===== offsets <-> tags <-> spans ==============================================================
def _doc(vocab: Vocab, words: list[str], spaces: list[bool] | None = None, **kw) -> Doc:
    return Doc(vocab, words, spaces, **kw)


def test_offsets_to_biluo_tags(vocab):
    doc = _doc(vocab, ["I", "flew", "to", "San", "Francisco", "Valley", "."], [1, 1, 1, 1, 1, 0, 0])
    assert doc.text == "I flew to San Francisco Valley."
    tags = offsets_to_biluo_tags(doc, [(10, 30, "LOC"), (0, 1, "PER")])
    assert tags == ["U-PER", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]
    assert offsets_to_biluo_tags(doc, [(0, 1, "PER")], missing="-") == ["U-PER"] + ["-"] * 6
    assert offsets_to_biluo_tags(doc, []) == ["O"] * 7


def test_offsets_off_token_boundaries_give_missing_and_warn(vocab):
    doc = _doc(vocab, ["I", "flew", "to", "San", "Francisco", "Valley", "."], [1, 1, 1, 1, 1, 0, 0])
    with pytest.warns(MisalignedEntityWarning, match="San Fran"):
        tags = offsets_to_biluo_tags(doc, [(10, 18, "LOC"), (2, 6, "X")])
    # "San Fran" ends inside "Francisco": both its tokens unknown; "flew" is aligned.
    assert tags == ["O", "U-X", "O", "-", "-", "O", "O"]
    with pytest.warns(MisalignedEntityWarning):
        assert offsets_to_biluo_tags(doc, [(3, 5, "X")]) == ["O", "-", "O", "O", "O", "O", "O"]


def test_overlapping_offsets_are_an_error_naming_both(vocab):
    doc = _doc(vocab, ["New", "York", "City"])
    with pytest.raises(ValueError, match=r"'New York'.*'York City'"):
        offsets_to_biluo_tags(doc, [(4, 13, "LOC"), (0, 8, "GPE")])
    with pytest.raises(ValueError, match=r"'New York City'.*'York'"):
        offsets_to_biluo_tags(doc, [(0, 13, "LOC"), (4, 8, "GPE")])
    with pytest.raises(ValueError, match="empty or outside"):
        offsets_to_biluo_tags(doc, [(5, 5, "X")])


def test_tags_to_spans_offsets_and_doc_tags(vocab):
    doc = _doc(vocab, ["Ada", "Lovelace", "met", "Babbage", "in", "London"])
    tags = ["B-PER", "L-PER", "O", "U-PER", "-", "U-GPE"]
    spans = biluo_tags_to_spans(doc, tags)
    assert [(s.start, s.end, s.label_, s.text) for s in spans] == [
        (0, 2, "PER", "Ada Lovelace"), (3, 4, "PER", "Babbage"), (5, 6, "GPE", "London"),
    ]
    offsets = biluo_tags_to_offsets(doc, tags)
    assert offsets == [(0, 12, "PER"), (17, 24, "PER"), (28, 34, "GPE")]
    assert offsets_to_biluo_tags(doc, offsets) == ["B-PER", "L-PER", "O", "U-PER", "O", "U-GPE"]
    doc2 = _doc(vocab, doc.words, ents=tags)
    assert doc_to_biluo_tags(doc2) == tags
    assert doc_to_biluo_tags(doc2, missing="O")[4] == "O"
    with pytest.raises(ValueError, match="Invalid BILUO"):
        biluo_tags_to_spans(doc, ["I-PER", "L-PER", "O", "O", "O", "O"])


def test_doc_to_biluo_tags_splits_adjacent_entities(vocab):
    doc = _doc(vocab, ["a", "b", "c", "d"], ents=["B-X", "B-X", "I-X", "U-Y"])
    assert doc_to_biluo_tags(doc) == ["U-X", "B-X", "L-X", "U-Y"]


# ===== Alignment ===============================================================================
def test_identical_tokenizations_give_identity(vocab):
    doc = _doc(vocab, ["Hello", " ", "world", "!"], [False, False, False, False])
    align = Alignment.from_docs(doc, doc.copy())
    assert align.is_identity
    assert align.x2y.to_list() == [[0], [1], [2], [3]]  # whitespace tokens too, on the fast path
    assert align.x2y_one_to_one.tolist() == [0, 1, 2, 3]


def test_split_and_merge_differences():
    x = ["I", "don't", "live", "in", "New", "York", "."]
    y = ["I", "do", "n't", "live", "in", "New York", "."]
    align = Alignment.from_strings(x, y)
    assert align.x2y.to_list() == [[0], [1, 2], [3], [4], [5], [5], [6]]
    assert align.y2x.to_list() == [[0], [1], [1], [2], [3], [4, 5], [6]]
    assert align.x2y.data.tolist() == [0, 1, 2, 3, 4, 5, 5, 6]
    assert align.x2y.lengths.tolist() == [1, 2, 1, 1, 1, 1, 1]
    assert align.x2y_one_to_one.tolist() == [0, -1, 3, 4, -1, -1, 6]
    assert align.y2x_one_to_one.tolist() == [0, -1, -1, 2, 3, -1, 6]
    assert not align.is_identity
    ragged = align.x2y.to_ragged()
    assert ragged.lengths.tolist() == [1, 2, 1, 1, 1, 1, 1]


def test_partial_overlaps_are_many_to_many():
    align = Alignment.from_strings(["ab", "cd"], ["a", "bc", "d"])
    assert align.x2y.to_list() == [[0, 1], [1, 2]]
    assert align.y2x.to_list() == [[0], [0, 1], [1]]
    assert align.x2y_one_to_one.tolist() == [-1, -1]


def test_whitespace_differences_are_ignored(vocab):
    # Extra whitespace tokens and different spacing: whitespace-only tokens align to nothing.
    x = _doc(vocab, ["Hello", "  ", "world", "\n", "again"], [False, False, True, False, False])
    y = _doc(vocab, ["Hello", "world", "again"], [True, True, False])
    assert x.text != y.text
    align = Alignment.from_docs(x, y)
    assert align.x2y.to_list() == [[0], [], [1], [], [2]]
    assert align.y2x.to_list() == [[0], [2], [4]]
    assert align.x2y_one_to_one.tolist() == [0, -1, 1, -1, 2]


def test_mismatching_text_raises_with_position(vocab):
    x = _doc(vocab, ["The", "cat", "sat"])
    y = _doc(vocab, ["The", "cat", "sits"])
    with pytest.raises(ValueError, match=r"character 9 of the predicted text and 9 of the reference.*'Thecatsat'.*'Thecatsits'"):
        Alignment.from_docs(x, y)
    with pytest.raises(ValueError, match="differ"):
        Alignment.from_strings(["ab"], ["ab", "c"])  # one text is a prefix of the other


def test_non_ascii_text():
    align = Alignment.from_strings(["naïve", "café", "😀x"], ["na", "ïvecafé😀", "x"])
    assert align.x2y.to_list() == [[0, 1], [1], [1, 2]]


def test_empty_docs(vocab):
    align = Alignment.from_docs(_doc(vocab, []), _doc(vocab, []))
    assert len(align.x2y) == 0 and len(align.y2x) == 0
    align = Alignment.from_strings([" "], [])
    assert align.x2y.to_list() == [[]]


# ----- property tests --------------------------------------------------------------------------
_text = st.text(alphabet="ab'.é", min_size=1, max_size=40)


@st.composite
def _segmentations(draw):
    """A whitespace-free text and two random segmentations of it, as token boundary lists."""
    text = draw(_text)
    n = len(text)

    def cuts():
        inner = draw(st.sets(st.integers(1, n - 1), max_size=n - 1)) if n > 1 else set()
        return [0, *sorted(inner), n]

    return text, cuts(), cuts()


def _tokens(text: str, bounds: list[int]) -> list[str]:
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(_segmentations(), st.data())
def test_property_alignment_matches_character_overlap(seg, data):
    text, bx, by = seg
    x_words, y_words = _tokens(text, bx), _tokens(text, by)
    # Sprinkle whitespace: trailing spaces and whitespace-only tokens change nothing but the text.
    vocab = Vocab()
    x_spaces = data.draw(st.lists(st.booleans(), min_size=len(x_words), max_size=len(x_words)))
    y_words_ws, y_index = [], []
    for j, w in enumerate(y_words):
        y_words_ws.append(w)
        y_index.append(j)
        if data.draw(st.booleans()):
            y_words_ws.append(data.draw(st.sampled_from([" ", "\n", "\t "])))
            y_index.append(-1)
    x = Doc(vocab, x_words, x_spaces)
    y = Doc(vocab, y_words_ws, [False] * len(y_words_ws))
    align = Alignment.from_docs(x, y)
    expected = [
        [k for k, j in enumerate(y_index) if j >= 0 and by[j] < bx[i + 1] and bx[i] < by[j + 1]]
        for i in range(len(x_words))
    ]
    assert align.x2y.to_list() == expected
    # y2x is exactly the transpose of x2y.
    pairs = {(i, j) for i, js in enumerate(expected) for j in js}
    assert {(i, j) for j, is_ in enumerate(align.y2x.to_list()) for i in is_} == pairs
    assert (align.y2x.lengths[np.array(y_index) < 0] == 0).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="xyz-", min_size=1, max_size=4), min_size=1, max_size=15), st.data())
def test_property_merged_tokenization_maps_to_spanned_tokens(atoms, data):
    bounds = [0, *sorted(data.draw(st.sets(st.integers(1, len(atoms) - 1)))) , len(atoms)] if len(atoms) > 1 else [0, 1]
    merged = ["".join(atoms[a:b]) for a, b in zip(bounds, bounds[1:])]
    align = Alignment.from_strings(merged, atoms)
    assert align.x2y.to_list() == [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
    group = np.repeat(np.arange(len(merged)), np.diff(bounds))
    assert align.y2x.to_list() == [[g] for g in group.tolist()]
    singles = np.diff(bounds) == 1
    assert ((align.x2y_one_to_one >= 0) == singles).all()
    # Aligning a tokenization with itself is the identity, on both the fast and the general path.
    for al in (
        Alignment.from_strings(atoms, atoms),
        Alignment._from_chars("".join(atoms), np.array([len(a) for a in atoms]), "".join(atoms), np.array([len(a) for a in atoms])),
    ):
        assert al.is_identity
        assert al.x2y_one_to_one.tolist() == list(range(len(atoms)))


@settings(max_examples=100, deadline=None)
@given(_segmentations())
def test_property_ner_projection_round_trips_through_identical_alignment(seg):
    text, bx, _ = seg
    words = _tokens(text, bx)
    vocab = Vocab()
    tags = ["U-X" if i % 3 == 0 else "O" for i in range(len(words))]
    ex = Example.from_dict(Doc(vocab, words, [False] * len(words)), {"entities": tags})
    assert ex.get_aligned_ner() == tags


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.data())
def test_property_entities_survive_merges_that_stay_inside_them(n_atoms, data):
    atoms = [f"w{i}" for i in range(n_atoms)]
    cuts = sorted(data.draw(st.sets(st.integers(1, n_atoms - 1)))) if n_atoms > 1 else []
    bounds = [0, *cuts, n_atoms]
    group = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    # Random non-overlapping entities over the atoms.
    ent_cuts = sorted(data.draw(st.sets(st.integers(0, n_atoms), min_size=0, max_size=6)))
    entities = [(a, b) for a, b in zip(ent_cuts[::2], ent_cuts[1::2]) if b > a]
    tags = ["O"] * n_atoms
    for a, b in entities:
        tags[a:b] = ["U-E"] if b - a == 1 else ["B-E"] + ["I-E"] * (b - a - 2) + ["L-E"]
    vocab = Vocab()
    merged = ["".join(atoms[a:b]) for a, b in zip(bounds, bounds[1:])]
    ex = Example(Doc(vocab, merged), Doc(vocab, atoms, ents=tags))
    expected = ["O"] * len(merged)
    for a, b in entities:
        g0, g1 = int(group[a]), int(group[b - 1])
        if bounds[g0] == a and bounds[g1 + 1] == b:  # the merged tokens lie inside the entity
            n = g1 - g0 + 1
            expected[g0 : g1 + 1] = ["U-E"] if n == 1 else ["B-E"] + ["I-E"] * (n - 2) + ["L-E"]
        else:
            expected[g0 : g1 + 1] = ["-"] * (g1 - g0 + 1)
    assert ex.get_aligned_ner() == expected


# ===== Example =================================================================================
def _dont_example(vocab: Vocab) -> Example:
    predicted = _doc(vocab, ["I", "don't", "live", "in", "New", "York", "."], [1, 1, 1, 1, 1, 0, 0])
    return Example.from_dict(
        predicted,
        {
            "words": ["I", "do", "n't", "live", "in", "New York", "."],
            "spaces": [1, 0, 1, 1, 1, 0, 0],
            "tags": ["PRP", "VBP", "RB", "VB", "IN", "NNP", "."],
            "lemmas": ["I", "do", "not", "live", "in", "New York", "."],
            "heads": [3, 3, 3, 3, 3, 4, 3],
            "deps": ["nsubj", "aux", "neg", "ROOT", "prep", "pobj", "punct"],
            "entities": [(16, 24, "GPE")],
        },
    )


def test_example_basics(vocab):
    ex = _dont_example(vocab)
    assert ex.x is ex.predicted and ex.y is ex.reference
    assert ex.text == "I don't live in New York."
    assert len(ex) == 7
    assert ex.alignment is ex.alignment  # cached
    clone = ex.copy()
    assert clone.predicted is not ex.predicted and clone.reference.words == ex.reference.words
    with pytest.raises(TypeError, match="from_dict"):
        Example(ex.predicted, {"words": []})  # type: ignore[arg-type]


def test_get_aligned_tags_one_to_one_only(vocab):
    ex = _dont_example(vocab)
    assert ex.get_aligned("TAG", as_string=True) == ["PRP", None, "VB", "IN", None, None, "."]
    ids = ex.get_aligned("tag")
    assert ids[0] == vocab.strings["PRP"] and ids[1] is None
    assert ex.get_aligned("LEMMA", as_string=True)[2] == "live"
    assert ex.get_aligned("ORTH", as_string=True) == ["I", None, "live", "in", None, None, "."]
    assert ex.get_aligned("POS", as_string=True) == [None] * 7  # no POS in the reference
    assert ex.get_aligned_ids("TAG").tolist()[:2] == [vocab.strings["PRP"], -1]
    with pytest.raises(ValueError, match="get_aligned_parse"):
        ex.get_aligned("HEAD")


def test_get_aligned_with_separate_vocabs():
    pred = Doc(Vocab(), ["a", "b"])
    ref_vocab = Vocab()
    ref = Doc(ref_vocab, ["a", "b"], tags=["ZZ", "YY"])
    ex = Example(pred, ref)
    ids = ex.get_aligned("TAG")
    assert [pred.vocab.strings[i] for i in ids] == ["ZZ", "YY"]


def test_get_aligned_parse(vocab):
    ex = _dont_example(vocab)
    heads, deps = ex.get_aligned_parse()
    # "I"->live; "don't" spans two gold tokens; "New"/"York" split "New York" (many-to-one).
    assert heads == [2, None, 2, 2, None, None, 2]
    assert deps == ["nsubj", None, "ROOT", "prep", None, None, "punct"]


def test_get_aligned_parse_drops_arcs_to_unaligned_heads(vocab):
    pred = _doc(vocab, ["New", "York", "is", "big"])
    ex = Example.from_dict(pred, {"words": ["New York", "is", "big"], "heads": [1, 1, 1], "deps": ["nsubj", "ROOT", "acomp"]})
    assert ex.get_aligned_parse() == ([None, None, 2, 2], [None, None, "ROOT", "acomp"])


def test_projectivize(vocab):
    # 0->2, 1->3, 2 root, 3->2, 4->1: arcs 3->1 and 1->4 cross the root's subtree.
    heads, lifted_from = projectivize_heads(np.array([2, 3, 2, 2, 1]))
    assert heads.tolist() == [2, 2, 2, 2, 2]
    assert lifted_from.tolist() == [-1, 3, -1, -1, 1]
    proj = np.array([1, 1, 1, 4, 1])
    assert projectivize_heads(proj)[0].tolist() == proj.tolist()
    words = ["a", "b", "c", "d", "e"]
    ex = Example.from_dict(_doc(vocab, words), {"heads": [2, 3, 2, 2, 1], "deps": ["x", "y", "ROOT", "z", "w"]})
    heads, deps = ex.get_aligned_parse(projectivize=True)
    assert heads == [2, 2, 2, 2, 2]
    assert deps == ["x", "y||z", "ROOT", "z", "w||y"]
    assert ex.get_aligned_parse()[0] == [2, 3, 2, 2, 1]  # the reference itself is untouched


def test_projectivize_keeps_unset_heads_and_sentences_apart():
    heads = np.array([1, 1, -1, 3, 3, 5, 3])
    out, lifted = projectivize_heads(heads)
    assert out.tolist() == heads.tolist() and (lifted == -1).all()


def test_get_aligned_ner(vocab):
    ex = _dont_example(vocab)
    assert ex.reference.ents[0].text == "New York"
    spans, tags = ex.get_aligned_ents_and_ner()
    assert tags == ["O", "O", "O", "O", "B-GPE", "L-GPE", "O"]
    assert [(s.start, s.end, s.label_, s.text) for s in spans] == [(4, 6, "GPE", "New York")]
    assert spans[0].doc is ex.predicted


def test_get_aligned_ner_boundaries_that_cannot_be_mapped(vocab):
    # Gold "New" is an entity but the predicted token "NewYork" also covers "York": unknown.
    pred = _doc(vocab, ["NewYork", "is", "big", "today"])
    ex = Example.from_dict(pred, {"words": ["New", "York", "is", "big", "to", "day"], "spaces": [0, 1, 1, 1, 0, 0],
                                  "entities": ["U-GPE", "O", "O", "O", "B-DATE", "L-DATE"]})
    assert ex.get_aligned_ner() == ["-", "O", "O", "U-DATE"]
    spans, _ = ex.get_aligned_ents_and_ner()
    assert [(s.start, s.end, s.label_) for s in spans] == [(3, 4, "DATE")]


def test_get_aligned_ner_missing_and_whitespace(vocab):
    pred = _doc(vocab, ["Ann", " ", "Lee", "went", "home"], [False, False, True, True, False])
    ex = Example.from_dict(pred, {"words": ["Ann", "Lee", "went", "home"], "entities": ["B-PER", "L-PER", "-", "O"]})
    # The whitespace token inside the entity joins it; "went" is unannotated in the reference.
    assert ex.get_aligned_ner() == ["B-PER", "I-PER", "L-PER", "-", "O"]
    no_ner = Example.from_dict(pred, {"words": ["Ann", "Lee", "went", "home"]})
    assert no_ner.get_aligned_ner() == ["-"] * 5


def test_get_aligned_sent_starts(vocab):
    pred = _doc(vocab, ["Hi", ".", "Bye", "now.Ok", "then"])
    ex = Example.from_dict(pred, {
        "words": ["Hi", ".", "Bye", "now", ".", "Ok", "then"],
        "spaces": [1, 1, 1, 0, 0, 1, 0],
        "sent_starts": [True, False, True, False, False, True, False],
    })
    # "now.Ok" hides a sentence start inside it -> unknown.
    assert ex.get_aligned_sent_starts() == [True, False, True, None, False]
    same = Example.from_dict(_doc(vocab, ["Hi", "there"]), {"sent_starts": [True, False]})
    assert same.get_aligned_sent_starts() == [True, False]
    # Many-to-one: the second piece starts inside a gold token, so it cannot start a sentence.
    split = Example.from_dict(_doc(vocab, ["Hi", "Ne", "w"], [1, 0, 0]), {"words": ["Hi", "New"], "sent_starts": [True, True]})
    assert split.get_aligned_sent_starts() == [True, True, False]
    assert Example.from_dict(_doc(vocab, ["a", "b"]), {}).get_aligned_sent_starts() == [None, None]


def test_get_aligned_spans(vocab):
    ex = _dont_example(vocab)
    y = ex.reference
    spans = ex.get_aligned_spans_y2x([y[1:3], y[5:6], y[1:2]])  # "do n't", "New York", "do" (overlaps)
    assert [(s.start, s.end, s.text) for s in spans] == [(1, 2, "don't"), (4, 6, "New York")]
    with_overlap = ex.get_aligned_spans_y2x([y[1:3], y[1:2]], allow_overlap=True)
    assert [(s.start, s.end) for s in with_overlap] == [(1, 2), (1, 2)]
    back = ex.get_aligned_spans_x2y([ex.predicted[1:2]])
    assert [(s.start, s.end) for s in back] == [(1, 3)]
    with pytest.raises(ValueError, match="does not belong"):
        ex.get_aligned_spans_y2x([ex.predicted[0:1]])


def test_from_dict_entity_formats(vocab):
    pred = _doc(vocab, ["Ada", "Lovelace", "lived", "in", "London"])
    expected = ["B-PER", "L-PER", "O", "O", "U-GPE"]
    formats = [
        ["B-PER", "L-PER", "O", "O", "U-GPE"],  # BILUO
        ["B-PER", "I-PER", "O", "O", "B-GPE"],  # IOB2
        ["I-PER", "I-PER", "O", "O", "I-GPE"],  # IOB1
        [(0, 12, "PER"), (22, 28, "GPE")],  # offsets
        [[22, 28, "GPE"], [0, 12, "PER"]],  # offsets as lists, any order
    ]
    for ents in formats:
        ex = Example.from_dict(pred, {"entities": ents})
        assert doc_to_biluo_tags(ex.reference) == expected, ents
        assert ex.get_aligned_ner() == expected
    assert Example.from_dict(pred, {"entities": []}).get_aligned_ner() == ["O"] * 5
    with pytest.raises(ValueError, match="Invalid BILUO"):
        Example.from_dict(pred, {"entities": ["L-PER", "O", "O", "O", "U-GPE"]})
    with pytest.raises(ValueError, match="entity tags"):
        Example.from_dict(pred, {"entities": ["O", "O"]})
    with pytest.raises(ValueError, match="unknown keys"):
        Example.from_dict(pred, {"tag": ["X"] * 5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MisalignedEntityWarning):
            Example.from_dict(pred, {"entities": [(0, 5, "PER")]})


def test_from_dict_without_words_uses_predicted_tokens(vocab):
    pred = _doc(vocab, ["Hello", "world", "!"], [True, False, False])
    ex = Example.from_dict(pred, {"tags": ["UH", "NN", "."], "cats": {"GREETING": 1.0}})
    assert ex.reference.words == pred.words and ex.reference.text == pred.text
    assert ex.alignment.is_identity
    assert ex.get_aligned("TAG", as_string=True) == ["UH", "NN", "."]
    assert ex.reference.cats == {"GREETING": 1.0}


def test_to_dict_round_trip(vocab):
    ex = _dont_example(vocab)
    data = ex.to_dict()
    assert data["words"] == ["I", "do", "n't", "live", "in", "New York", "."]
    assert data["entities"] == ["O", "O", "O", "O", "O", "U-GPE", "O"]
    assert data["heads"] == [3, 3, 3, 3, 3, 4, 3]
    assert data["pos"] == [None] * 7
    again = Example.from_dict(ex.predicted, data)
    assert again.to_dict() == data


def test_split_sents(vocab):
    pred = _doc(vocab, ["Hi", "there", ".", "How", "'re", "you", "?"])
    ex = Example.from_dict(pred, {
        "words": ["Hi", "there", ".", "How", "'", "re", "you", "?"],
        "spaces": [1, 1, 1, 1, 0, 1, 1, 0],
        "tags": ["UH", "RB", ".", "WRB", "X", "VBP", "PRP", "."],
        "heads": [0, 0, 0, 6, 6, 6, 6, 6],
        "entities": ["O"] * 8,
    })
    parts = ex.split_sents()
    assert [p.predicted.words for p in parts] == [["Hi", "there", "."], ["How", "'re", "you", "?"]]
    assert [p.reference.words for p in parts] == [["Hi", "there", "."], ["How", "'", "re", "you", "?"]]
    second = parts[1]
    assert second.reference.arrays["HEAD"].tolist() == [3, 3, 3, 3, 3]
    assert second.get_aligned("TAG", as_string=True) == ["WRB", None, "PRP", "."]
    assert second.get_aligned_parse()[0] == [2, None, 2, 2]


def test_split_sents_keeps_sentences_joined_when_boundary_is_inside_a_token(vocab):
    pred = _doc(vocab, ["Hi.Bye", "now"])
    ex = Example.from_dict(pred, {"words": ["Hi", ".", "Bye", "now"], "spaces": [0, 0, 1, 0],
                                  "sent_starts": [True, False, True, False]})
    assert len(ex.split_sents()) == 1
    no_sents = Example.from_dict(pred, {})
    assert no_sents.split_sents() == [no_sents]


# ===== real data ===============================================================================
def _read_conllu(path: Path, limit: int) -> list[dict]:
    """A tiny CoNLL-U reader: text, words, spaces, tags (XPOS), 0-based heads, deps."""
    sents: list[dict] = []
    cur: dict = {"words": [], "spaces": [], "tags": [], "heads": [], "deps": []}
    with path.open(encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# text = "):
                cur["text"] = line[len("# text = "):]
            elif not line:
                if cur["words"]:
                    sents.append(cur)
                    if len(sents) >= limit:
                        break
                cur = {"words": [], "spaces": [], "tags": [], "heads": [], "deps": []}
            elif not line.startswith("#"):
                cols = line.split("\t")
                if "-" in cols[0] or "." in cols[0]:
                    continue  # multi-word token ranges and empty nodes
                i = int(cols[0]) - 1
                head = int(cols[6])
                cur["words"].append(cols[1])
                cur["spaces"].append("SpaceAfter=No" not in cols[9])
                cur["tags"].append(cols[4])
                cur["heads"].append(i if head == 0 else head - 1)
                cur["deps"].append(cols[7])
    return sents


def test_real_data_aligned_tags_match_gold_where_one_to_one():
    need_data(UD_DEV)
    sents = _read_conllu(UD_DEV, 200)
    assert len(sents) == 200
    vocab = Vocab()
    n_one_to_one = n_tokens = 0
    for sent in sents:
        text = sent.pop("text")
        predicted = Doc(vocab, text.split(), [True] * len(text.split()))
        ex = Example.from_dict(predicted, sent)
        one = ex.alignment.x2y_one_to_one
        tags = ex.get_aligned("TAG", as_string=True)
        heads, _ = ex.get_aligned_parse()
        gold_to_pred = ex.alignment.y2x_one_to_one
        for i, word in enumerate(predicted.words):
            j = int(one[i])
            if j >= 0:
                assert sent["words"][j] == word
                assert tags[i] == sent["tags"][j], (text, word)
                gold_head = sent["heads"][j]
                assert heads[i] == (int(gold_to_pred[gold_head]) if gold_to_pred[gold_head] >= 0 else None)
            else:
                assert tags[i] is None
        n_one_to_one += int((one >= 0).sum())
        n_tokens += len(predicted)
    # Whitespace splitting keeps punctuation attached, but most tokens still agree with the gold ones.
    assert 0.6 < n_one_to_one / n_tokens < 1.0


def _is_projective(heads: list[int]) -> bool:
    """Brute force: every token between a head and its dependent descends from that head."""
    def ancestors(k: int) -> set[int]:
        seen = {k}
        while heads[k] != k and heads[k] not in seen:
            k = heads[k]
            seen.add(k)
        return seen

    return all(
        h in ancestors(k)
        for d, h in enumerate(heads)
        for k in range(min(h, d) + 1, max(h, d))
    )


def test_real_data_projectivize_whole_document():
    need_data(UD_DEV)
    sents = _read_conllu(UD_DEV, 200)
    words, heads, deps = [], [], []
    for sent in sents:
        heads.extend(h + len(words) for h in sent["heads"])
        words.extend(sent["words"])
        deps.extend(sent["deps"])
    vocab = Vocab()
    ex = Example.from_dict(Doc(vocab, words), {"heads": heads, "deps": deps})
    assert not _is_projective(heads)  # the sample has non-projective sentences
    proj_heads, proj_deps = ex.get_aligned_parse(projectivize=True)
    assert _is_projective(proj_heads)
    changed = [i for i in range(len(words)) if proj_heads[i] != heads[i]]
    assert changed and all("||" in proj_deps[i] for i in changed)
    assert [d for i, d in enumerate(proj_deps) if i not in changed] == [d for i, d in enumerate(deps) if i not in changed]
    assert len(list(ex.reference.sents)) == 200
    assert len(ex.split_sents()) == 200
