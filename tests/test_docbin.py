"""spaCy's `.spacy` (DocBin) corpora: read and written without spaCy, checked against files spaCy 3.8 made
(tests/fixtures/spacy, see make_fixtures.py there) and, where spaCy is installed, read back by spaCy itself."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import srsly

from nbnlp import load_docs, save_docs
from nbnlp.core.corpus.convert import convert
from nbnlp.core.corpus.docbin_write import spacy_morph
from nbnlp.core.corpus.errors import CorpusError
from nbnlp.core.corpus.spacy_strings import murmurhash64a, spacy_key, symbol_table
from nbnlp.core.doc import Doc
from nbnlp.core.lang import create_vocab
from nbnlp.core.training.corpus import create_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "spacy"
STRING_COLUMNS = ("ORTH", "TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE")
ALL_COLUMNS = STRING_COLUMNS + ("SPACY", "HEAD", "ENT_IOB", "SENT_START")


def column(doc: Doc, name: str) -> list:
    values = doc.arrays[name].tolist()
    return doc.vocab.strings.lookup_many(values) if name in STRING_COLUMNS else values


def span_groups(doc: Doc) -> dict:
    return {key: (g.name, g.attrs, [(s.start, s.end, s.label_) for s in g]) for key, g in doc.spans.items()}


def lists(value: object) -> object:
    """Tuples inside user-data values as lists: msgpack (so both .nbnlp and .spacy) has one array type."""
    if isinstance(value, (list, tuple)):
        return [lists(v) for v in value]
    return {k: lists(v) for k, v in value.items()} if isinstance(value, dict) else value


def assert_same_docs(got: list[Doc], want: list[Doc]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        for name in ALL_COLUMNS:
            assert column(a, name) == column(b, name), name
        assert a.cats == b.cats and span_groups(a) == span_groups(b) and a.user_data == lists(b.user_data)


# ----- keys and symbols --------------------------------------------------------------------
def test_keys_are_spacys() -> None:
    # Values from spaCy 3.8's StringStore().add(...); "NOUN" and "nsubj" are fixed symbols.
    assert spacy_key("") == 0 and spacy_key("NOUN") == 92 and spacy_key("nsubj") == 429
    assert spacy_key("hello") == murmurhash64a(b"hello") == 5983625672228268878
    assert spacy_key("ñandú") == 15812257822170461407
    names, ids, version = symbol_table()
    assert version.startswith("3.8") and names[ids["ORTH"]] == "ORTH" == names[65] and len(names) == 457


def test_keys_match_spacy_where_installed() -> None:
    strings = pytest.importorskip("spacy.strings")
    store = strings.StringStore()
    for text in ["a", "abcdefgh", "abcdefghi", "Number=Sing|PronType=Art", "ñandú 日本", "x" * 100, "ROOT", "PERSON"]:
        assert spacy_key(text) == store.add(text), text


# ----- reading spaCy's files ---------------------------------------------------------------
def test_ewt_fixture_reads_as_the_conllu() -> None:
    got = list(load_docs(FIXTURES / "ewt-dev.spacy"))
    want = list(load_docs(FIXTURES / "ewt-dev.conllu"))
    assert len(got) == len(want) == 40
    for a, b in zip(got, want):
        for name in ("ORTH", "TAG", "POS", "LEMMA", "HEAD", "SENT_START", "ENT_IOB"):
            assert column(a, name) == column(b, name), name
        # spaCy's CoNLL-U converter names the root "ROOT", gives the last token a space and sorts features its way.
        assert column(a, "DEP") == ["ROOT" if d == "root" else d for d in column(b, "DEP")]
        assert a.text.rstrip() == b.text and column(a, "SPACY")[:-1] == column(b, "SPACY")[:-1]
        assert [set(m.split("|")) for m in column(a, "MORPH")] == [set(m.split("|")) for m in column(b, "MORPH")]


def test_uner_fixture_reads_as_the_iob2() -> None:
    got = list(load_docs(FIXTURES / "uner-dev.spacy"))
    want = list(load_docs(FIXTURES / "uner-dev.iob2"))
    assert len(got) == len(want) == 30
    assert any(d.ents for d in got)
    for a, b in zip(got, want):
        assert a.text == b.text
        for name in ("ORTH", "SPACY", "ENT_IOB", "ENT_TYPE"):
            assert column(a, name) == column(b, name), name


@pytest.mark.parametrize("name", ["ewt-train", "ewt-dev", "uner-train", "uner-dev"])
def test_demo_spacy_files_hold_the_demo_corpus(name: str) -> None:
    """The `.spacy` demo files tutorial 08 reads (made by spaCy, ten sentences a doc) hold the demo corpus' words,
    sentences and annotations."""
    from nbnlp.data import demo_path

    got = list(load_docs(demo_path(f"{name}-spacy")))
    want = list(load_docs(demo_path(name)))
    assert len(got) == -(-len(want) // 10) and all(len(list(d.sents)) == 10 for d in got[:-1])
    names = ["ORTH", "SENT_START", "ENT_IOB", "ENT_TYPE"] if name.startswith("uner") else ["ORTH", "TAG", "POS", "HEAD"]
    for column_name in names:
        def values(docs: list[Doc]) -> list:
            if column_name == "HEAD":  # heads are token indices: compare each token's offset to its head
                return [head - i for doc in docs for i, head in enumerate(column(doc, "HEAD"))]
            return [value for doc in docs for value in column(doc, column_name)]

        assert values(got) == values(want), column_name


def test_sms_fixture_reads_as_the_jsonl() -> None:
    got = list(load_docs(FIXTURES / "sms-dev.spacy"))
    want = list(load_docs(FIXTURES / "sms-dev.jsonl", labels=["ham", "spam"]))
    assert len(got) == len(want) == 30
    assert [(d.text, d.cats) for d in got] == [(d.text, d.cats) for d in want]
    # Tokens are spaCy's tokenizer's; nbnlp's splits 4 of these 30 messages differently.
    assert sum(a.words == b.words for a, b in zip(got, want)) >= 25


def test_extras_fixture_span_groups_user_data_cats() -> None:
    a, b, c = load_docs(FIXTURES / "extras.spacy")
    assert span_groups(a) == {
        "sc": ("sc", {"annotator": "x"}, [(0, 2, "PERSON"), (1, 2, "SURNAME"), (3, 5, "PERSON"), (0, 8, "EVENT")]),
        "copy": ("sc", {"annotator": "x"}, [(0, 2, "PERSON"), (1, 2, "SURNAME"), (3, 5, "PERSON"), (0, 8, "EVENT")]),
        "empty": ("empty", {}, []),
    }
    assert a.spans["sc"] is not a.spans["copy"]
    assert a.user_data == {"sent_id": "extras-1", ("._.", "source", None, None): "hand-made", "scores": [1, 2.5, "three"]}
    assert a.cats == {"POSITIVE": 0.25, "NEGATIVE": 0.75}
    assert [(e.start, e.end, e.label_) for e in a.ents] == [(0, 2, "PERSON"), (3, 5, "PERSON"), (6, 7, "GPE")]
    assert a.text == "Ada Lovelace met Charles Babbagein London."
    assert column(b, "ENT_IOB") == [3, 1, 0, 0] and span_groups(b)["names"][2] == [(0, 1, "GIVEN"), (1, 2, "FAMILY")]
    assert c.text == "unknown spaces here "  # spaCy marks its spaces unknown: every token gets one, as spaCy reads it


def test_training_corpus_reads_spacy_files() -> None:
    corpus = create_corpus(str(FIXTURES / "ewt-dev.spacy"), n_sents=10)  # n_sents groups sentence files only
    import nbnlp

    examples = list(corpus(nbnlp.blank("en")))
    assert len(examples) == 40 and examples[0].reference.arrays["TAG"].any()


# ----- writing: nbnlp reads its own files back, and spaCy does too ------------------------------
@pytest.mark.parametrize("name", ["ewt-dev.spacy", "uner-dev.spacy", "sms-dev.spacy", "extras.spacy", "ewt-dev.conllu"])
def test_write_then_read_is_lossless(tmp_path: Path, name: str) -> None:
    docs = list(load_docs(FIXTURES / name))
    assert save_docs(docs, tmp_path / "out.spacy") == len(docs)
    again = list(load_docs(tmp_path / "out.spacy"))
    if name.endswith(".conllu"):  # written in spaCy's morphology order
        for d in docs:
            d.arrays["MORPH"] = d.vocab.strings.add_many(spacy_morph(m) for m in column(d, "MORPH"))
    if name == "extras.spacy":  # unknown spaces are written as the spaces they were read as
        assert docs[2].text == again[2].text
    assert_same_docs(again, docs)


def test_span_groups_in_nbnlp_files_and_docs(tmp_path: Path) -> None:
    docs = list(load_docs(FIXTURES / "extras.spacy"))
    save_docs(docs, tmp_path / "x.nbnlp")
    back = list(load_docs(tmp_path / "x.nbnlp"))
    assert back[0].user_data.pop("('._.', 'source', None, None)") == "hand-made"  # .nbnlp keeps string keys only
    docs[0].user_data.pop(("._.", "source", None, None))
    assert_same_docs(back, docs)
    save_docs(docs, tmp_path / "x.jsonl")
    assert [span_groups(d) for d in load_docs(tmp_path / "x.jsonl")] == [span_groups(d) for d in docs]
    copy = docs[0].copy()
    assert span_groups(copy) == span_groups(docs[0])
    joined = Doc.from_docs(docs[:2])
    assert [(s.start, s.end) for s in joined.spans["sc"]][-1] == (0, 8) and [(s.start, s.end) for s in joined.spans["names"]] == [(8, 9), (9, 10)]
    doc = Doc(create_vocab("en"), words=["a", "b", "c"])
    doc.spans["sc"] = [doc[0:2], (1, 3, "X")]
    doc.spans["sc"].append(doc[2:3])
    assert [(s.start, s.end, s.label_) for s in doc.spans["sc"]] == [(0, 2, ""), (1, 3, "X"), (2, 3, "")]
    with pytest.raises(IndexError):
        doc.spans["bad"] = [(2, 5, "X")]


def test_convert_reads_and_writes_spacy(tmp_path: Path) -> None:
    [result] = convert(FIXTURES / "ewt-dev.conllu", tmp_path / "out", file_type="spacy")
    assert result.output.name == "ewt-dev.spacy" and result.n_docs == 40
    [back] = convert(result.output, tmp_path / "back", file_type="nbnlp")
    assert back.format == "spacy" and back.n_words == result.n_words


def test_spacy_reads_what_nbnlp_writes(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    docs = list(load_docs(FIXTURES / "ewt-dev.conllu")) + list(load_docs(FIXTURES / "uner-dev.iob2"))
    docs += list(load_docs(FIXTURES / "extras.spacy"))
    save_docs(docs, tmp_path / "out.spacy")
    theirs = list(DocBin().from_disk(tmp_path / "out.spacy").get_docs(spacy.blank("en").vocab))
    assert len(theirs) == len(docs)
    for ours, doc in zip(docs, theirs):
        assert doc.text == ours.text
        has_heads = bool((ours.arrays["HEAD"] >= 0).any())
        for tok, mine in zip(doc, ours):
            assert (tok.text, tok.whitespace_, tok.tag_, tok.pos_, tok.lemma_, tok.dep_, tok.ent_iob_, tok.ent_type_) == (
                mine.text, mine.whitespace_, mine.tag_, mine.pos_, mine.lemma_, mine.dep_, mine.ent_iob_, mine.ent_type_)
            assert str(tok.morph) == spacy_morph(mine.morph_)
            if has_heads:
                assert tok.head.i == int(ours.arrays["HEAD"][mine.i])
        if ours.has_annotation("SENT_START"):
            assert [s.start for s in doc.sents] == [s.start for s in ours.sents]
        assert doc.cats == ours.cats
        assert {k: [(s.start, s.end, s.label_) for s in g] for k, g in doc.spans.items()} == {
            k: [(s.start, s.end, s.label_) for s in g] for k, g in ours.spans.items()}
        assert lists(doc.user_data) == lists(ours.user_data)


def test_unsafe_user_data_is_left_out_with_a_warning(tmp_path: Path) -> None:
    doc = Doc(create_vocab("en"), words=["x"], user_data={"ok": 1, "bad": object()})
    with pytest.warns(UserWarning, match="'bad'"):
        save_docs([doc], tmp_path / "u.spacy")
    assert next(load_docs(tmp_path / "u.spacy")).user_data == {"ok": 1}


def test_non_universal_pos_is_an_error(tmp_path: Path) -> None:
    doc = Doc(create_vocab("en"), words=["x"], pos=["NN"])
    with pytest.raises(ValueError, match="Universal"):
        save_docs([doc], tmp_path / "p.spacy")


# ----- bad input ---------------------------------------------------------------------------------
def _docbin(**changes) -> bytes:
    msg = srsly.msgpack_loads(zlib.decompress((FIXTURES / "extras.spacy").read_bytes()))
    msg.update(changes)
    return zlib.compress(srsly.msgpack_dumps({k: v for k, v in msg.items() if v is not None}))


@pytest.mark.parametrize("data, message", [
    (b"word\tTAG\n", "not zlib-compressed data"),
    (zlib.compress(b"\xc1\xc1\xc1"), "zlib data that is not msgpack"),
    (zlib.compress(srsly.msgpack_dumps([1, 2])), "not a DocBin: it decodes to a list"),
    (zlib.compress(srsly.msgpack_dumps({"attrs": []})), "not a DocBin: the map lacks tokens"),
    (_docbin(strings=[]), "string key .* is not in the file's string table"),
    (_docbin(lengths=np.array([1], "<i4").tobytes()), "token table does not match"),
    (_docbin(span_groups=[b"\xc1", b"", b""]), "span groups do not decode"),
    (b"", "the file is empty"),
])
def test_bad_spacy_files_name_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.spacy"
    path.write_bytes(data)
    with pytest.raises(CorpusError, match=message) as err:
        list(load_docs(path))
    assert str(path) in str(err.value)


def test_span_struct_is_spacys() -> None:
    assert struct.calcsize(">QQQllll") == 40
