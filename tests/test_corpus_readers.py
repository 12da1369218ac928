"""Corpus readers: real-data counts, annotations, bad-input errors (file, line, expectation) and sniffing."""
from __future__ import annotations

import json
import re
import time
import warnings
from collections import Counter
from pathlib import Path

import pytest

from nbnlp.core import Doc, Vocab
from nbnlp.core.corpus._lines import head_lines
from nbnlp.core.corpus.conll_ner import read_conll_ner, read_uner, sniff_conll_ner, sniff_uner
from nbnlp.core.corpus.conllu import read_conllu, sniff_conllu
from nbnlp.core.corpus.errors import CorpusError, CorpusWarning
from nbnlp.core.corpus.iob import read_iob, sniff_iob
from nbnlp.core.corpus.jsonl import read_jsonl, sniff_jsonl, write_jsonl

from data_helpers import SHARED_DATA, need_data as need

DATA = SHARED_DATA
EWT = DATA / "ud-english-ewt"
UNER = DATA / "uner-english-ewt"
SMS = DATA / "sms-spam-collection"


def make_tokenizer(vocab: Vocab):
    """The project tokenizer where it exists, else a regex stand-in (words and single punctuation)."""
    try:
        from nbnlp.core.lang import create_tokenizer

        return create_tokenizer("en", vocab)
    except ImportError:
        def tokenize(text: str) -> Doc:
            matches = list(re.finditer(r"\w+|[^\w\s]", text))
            spaces = [m.end() < len(text) and text[m.end()].isspace() for m in matches]
            return Doc(vocab, [m.group() for m in matches], spaces)

        return tokenize


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_all(reader, path, **options) -> list[Doc]:
    return list(reader(path, Vocab(), **options))


def expect_error(reader, path: Path, line: int | None, *fragments: str, **options) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        read_all(reader, path, **options)
    message = str(info.value)
    assert path.name in message
    if line is not None:
        assert f"{path.name}:{line}:" in message, message
        assert info.value.line == line
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def conllu_line(i, form, head, dep="dep", upos="NOUN", misc="_", lemma=None) -> str:
    return "\t".join([str(i), form, lemma or form.lower(), upos, "NN", "_", str(head), dep, "_", misc])


# ============================================================================== CoNLL-U
def test_conllu_ewt_dev_counts_and_text():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        docs = read_all(read_conllu, need(EWT / "dev.conllu"))
    assert len(docs) == 2001
    assert sum(len(d) for d in docs) == 25147
    assert all(d.text == d.user_data["text"] for d in docs)
    assert Doc.from_docs(docs).text == " ".join(d.user_data["text"] for d in docs)
    assert len({d.user_data["sent_id"] for d in docs}) == 2001
    assert sum(len(d.user_data.get("mwt", ())) for d in docs) == 359
    assert sum(1 for d in docs if d.user_data.get("newdoc")) > 0


def test_conllu_ewt_dev_annotations():
    docs = read_all(read_conllu, need(EWT / "dev.conllu"))
    first = docs[0]  # From the AP comes this story :
    assert first.words == ["From", "the", "AP", "comes", "this", "story", ":"]
    assert [t.pos_ for t in first] == ["ADP", "DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT"]
    assert [t.tag_ for t in first] == ["IN", "DT", "NNP", "VBZ", "DT", "NN", ":"]
    assert [t.lemma_ for t in first] == ["from", "the", "AP", "come", "this", "story", ":"]
    assert first.arrays["HEAD"].tolist() == [2, 2, 3, 3, 5, 3, 3]  # root "comes" points to itself
    assert [t.dep_ for t in first] == ["case", "det", "obl", "root", "det", "nsubj", "punct"]
    assert str(first[3].morph) == "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"
    assert first[0].morph_ == ""  # FEATS "_" = unset
    assert first.user_data["newdoc"] is True and first.user_data["doc_id"].startswith("weblog-")
    assert len(list(first.sents)) == 1
    # a multiword token: "didn't" -> did + n't, no space inside, parts stay tokens
    mwt_doc = next(d for d in docs if any(s[2] == "didn't" for s in d.user_data.get("mwt", ())))
    start, end, surface = next(s for s in mwt_doc.user_data["mwt"] if s[2] == "didn't")
    assert [t.text for t in mwt_doc[start:end]] == ["did", "n't"]
    assert mwt_doc[start].whitespace_ == ""
    assert "didn't" in mwt_doc.text


def test_conllu_ewt_train_counts_and_speed():
    path = need(EWT / "train.conllu")
    t0 = time.perf_counter()
    n_sents = n_words = 0
    for doc in read_conllu(path, Vocab()):
        n_sents += 1
        n_words += len(doc)
    seconds = time.perf_counter() - t0
    print(f"\ntrain.conllu: {n_sents} sentences, {n_words} words in {seconds:.2f}s = {n_words / seconds:,.0f} words/s")
    assert (n_sents, n_words) == (12544, 204577)
    assert n_words / seconds > 20_000  # sanity only; the benchmark lives elsewhere


def test_conllu_underscore_forms_and_empty_nodes(tmp_path):
    path = write(tmp_path, "u.conllu", "\n".join([
        "# text = a _ b",
        conllu_line(1, "a", 0, "root"),
        "\t".join(["2", "_", "_", "PUNCT", "NFP", "_", "1", "punct", "_", "_"]),
        "\t".join(["2.1", "x", "x", "VERB", "VB", "_", "_", "_", "1:dep", "_"]),
        "\t".join(["3", "b", "_", "X", "_", "_", "1", "dep", "_", "_"]),
    ]) + "\n")
    [doc] = read_all(read_conllu, path)
    assert doc.words == ["a", "_", "b"]
    assert [t.lemma_ for t in doc] == ["a", "_", ""]  # underscore punctuation keeps its lemma; "_" elsewhere = unset
    assert doc[2].tag_ == ""
    assert doc.text == "a _ b"


def test_conllu_spaces_after_and_comments(tmp_path):
    path = write(tmp_path, "s.conllu", "\n".join([
        "# newdoc id = d1",
        "# sent_id = s1",
        "# source = somewhere",
        "# text = Hi  there",
        conllu_line(1, "Hi", 2, misc="SpacesAfter=\\s\\s"),
        conllu_line(2, "there", 0, "root"),
        "",
        "# sent_id = s2",
        "# text = Yes.",
        conllu_line(1, "Yes", 0, "root", misc="SpaceAfter=No"),
        conllu_line(2, ".", 1, "punct"),
    ]) + "\n\n\n")
    with pytest.warns(CorpusWarning, match=r"s\.conllu:4: .*differs"):  # a Doc holds one space per gap
        docs = read_all(read_conllu, path)
    assert docs[0].user_data == {
        "newdoc": True, "doc_id": "d1", "sent_id": "s1", "text": "Hi  there",
        "spaces_after": {0: "  "}, "comments": ["source = somewhere"],
    }
    assert docs[0].text == "Hi there"
    assert docs[1].text == "Yes."
    assert "newdoc" not in docs[1].user_data


SPANISH = "\n".join([
    "# text = Vengo del mercado.",
    conllu_line(1, "Vengo", 0, "root", upos="VERB"),
    "2-3\tdel\t_\t_\t_\t_\t_\t_\t_\t_",
    conllu_line(2, "de", 4, "case", upos="ADP"),
    conllu_line(3, "el", 4, "det", upos="DET"),
    conllu_line(4, "mercado", 1, "obl", misc="SpaceAfter=No"),
    conllu_line(5, ".", 1, "punct", upos="PUNCT"),
]) + "\n"


def test_conllu_mwt_not_spelled_by_parts_is_one_token(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        [doc] = read_all(read_conllu, write(tmp_path, "es.conllu", SPANISH))
    assert doc.words == ["Vengo", "del", "mercado", "."]
    assert doc.text == "Vengo del mercado."
    assert doc[1].pos_ == "ADP" and doc[1].dep_ == "case"  # first part with an outside head
    assert doc.arrays["HEAD"].tolist() == [0, 2, 0, 0]
    assert doc.user_data["mwt"] == [(1, 2, "del")]


def test_conllu_mwt_remaps_heads_to_the_kept_part(tmp_path):
    # "dámelo" = da me lo: me and lo attach to da, so da is kept; "ya" pointed at "lo" -> now at the MWT token
    text = "\n".join([
        "2-4\tdámelo\t_\t_\t_\t_\t_\t_\t_\t_",
        conllu_line(1, "Ya", 4, "advmod"),
        conllu_line(2, "da", 0, "root", upos="VERB"),
        conllu_line(3, "me", 2, "iobj", upos="PRON"),
        conllu_line(4, "lo", 2, "obj", upos="PRON"),
    ])
    text = "\n".join([text.splitlines()[1], text.splitlines()[0], *text.splitlines()[2:]]) + "\n"
    [doc] = read_all(read_conllu, write(tmp_path, "es2.conllu", text))
    assert doc.words == ["Ya", "dámelo"]
    assert doc[1].pos_ == "VERB" and doc[1].dep_ == "root"
    assert doc.arrays["HEAD"].tolist() == [1, 1]
    assert doc.user_data["mwt"] == [(1, 2, "dámelo")]


def test_conllu_wrong_column_count(tmp_path):
    path = write(tmp_path, "cols.conllu", conllu_line(1, "a", 0, "root") + "\n" + "2\tb\tb\tNOUN\n")
    err = expect_error(read_conllu, path, 2, "found 4 tab-separated column(s)", "expected 10 columns")
    assert err.expected.startswith("10")


def test_conllu_space_separated_columns_hint(tmp_path):
    path = write(tmp_path, "spaces.conllu", "1 a a NOUN NN _ 0 root _ _\n")
    expect_error(read_conllu, path, 1, "separated by spaces", "expected 10")


def test_conllu_non_integer_head(tmp_path):
    path = write(tmp_path, "head.conllu", conllu_line(1, "a", 0, "root") + "\n" + conllu_line(2, "b", "x") + "\n")
    expect_error(read_conllu, path, 2, "field HEAD", "not an integer", "expected a word id 0..2", "got 'x'")


def test_conllu_out_of_range_head(tmp_path):
    path = write(tmp_path, "range.conllu", "# text = a b\n" + conllu_line(1, "a", 0, "root") + "\n" + conllu_line(2, "b", 7) + "\n")
    expect_error(read_conllu, path, 3, "field HEAD", "past the last word", "expected a word id 0..2", "got '7'")


def test_conllu_cycle(tmp_path):
    lines = [conllu_line(1, "root", 0, "root"), conllu_line(2, "x", 3), conllu_line(3, "y", 4), conllu_line(4, "z", 2)]
    path = write(tmp_path, "cycle.conllu", "\n".join(lines) + "\n")
    err = expect_error(read_conllu, path, None, "cycle", "2 'x' -> 3 'y' -> 4 'z' -> 2 'x'", "expected a tree")
    assert err.line in (2, 3, 4)


def test_conllu_ids_not_consecutive(tmp_path):
    path = write(tmp_path, "ids.conllu", conllu_line(1, "a", 0, "root") + "\n" + conllu_line(3, "b", 1) + "\n")
    expect_error(read_conllu, path, 2, "field ID", "not consecutive", "expected 2", "got '3'")


def test_conllu_mwt_range_errors(tmp_path):
    backwards = write(tmp_path, "mwt1.conllu", "1-1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n" + conllu_line(1, "x", 0, "root") + "\n")
    expect_error(read_conllu, backwards, 1, "bad multiword token range", "expected a range 1-N")
    late = write(tmp_path, "mwt2.conllu", conllu_line(1, "a", 0, "root") + "\n3-4\tbc\t_\t_\t_\t_\t_\t_\t_\t_\n")
    expect_error(read_conllu, late, 2, "bad multiword token range", "starting at the next word")
    short = write(tmp_path, "mwt3.conllu", conllu_line(1, "a", 0, "root") + "\n2-3\tbc\t_\t_\t_\t_\t_\t_\t_\t_\n" + conllu_line(2, "b", 1) + "\n")
    expect_error(read_conllu, short, 2, "runs past the last word", "expected a range ending at most at 2")


def test_conllu_text_mismatch_warns(tmp_path):
    path = write(tmp_path, "text.conllu", "# text = a c\n" + conllu_line(1, "a", 0, "root") + "\n" + conllu_line(2, "b", 1) + "\n")
    with pytest.warns(CorpusWarning, match=r"text\.conllu:1: .*'a c' differs .*'a b'"):
        [doc] = read_all(read_conllu, path)
    assert doc.text == "a b"


def test_conllu_empty_file(tmp_path):
    expect_error(read_conllu, write(tmp_path, "empty.conllu", ""), None, "no sentences")
    expect_error(read_conllu, write(tmp_path, "comments.conllu", "# just a comment\n\n"), None, "no sentences")


def test_conllu_latin1_bytes(tmp_path):
    data = (conllu_line(1, "a", 0, "root") + "\n\n").encode() + conllu_line(1, "café", 0, "root").encode("latin-1") + b"\n"
    expect_error(read_conllu, write(tmp_path, "latin.conllu", data), 3, "cannot decode byte b'\\xe9'", "expected UTF-8 text")


# ============================================================================== UNER / CoNLL NER
def test_uner_ewt_dev_and_test_entities():
    for name, n_sents, counts in (
        ("dev.iob2", 2001, {"LOC": 399, "ORG": 224, "PER": 343}),
        ("test.iob2", 2077, {"LOC": 317, "ORG": 322, "PER": 449}),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error", CorpusWarning)
            docs = read_all(read_conll_ner, need(UNER / name))
        assert len(docs) == n_sents
        assert Counter(e.label_ for d in docs for e in d.ents) == counts
        assert sum(counts.values()) == (966 if name == "dev.iob2" else 1088)
        assert all(d.text == d.user_data["text"] for d in docs)  # tokens aligned against "# text"
        assert all("sent_id" in d.user_data for d in docs)


def test_uner_first_sentence():
    doc = next(read_uner(need(UNER / "dev.iob2"), Vocab()))
    assert doc.user_data["doc_id"] == "answers-20070404104007AAY1Chs_ans" and doc.user_data["newdoc"] is True
    assert [(e.text, e.label_) for e in doc.ents] == [("tampa bay", "LOC")]
    assert doc.text.endswith("please?") and doc[-2].whitespace_ == ""


def test_uner_broken_iob2_is_an_error(tmp_path):
    path = write(tmp_path, "bad.iob2", "# text = go to Paris\n1\tgo\tO\t-\t-\n2\tto\tO\t-\t-\n3\tParis\tI-LOC\t-\ta\n")
    expect_error(read_uner, path, 4, "token 3", "'I-LOC' continues no entity", "expected B-LOC before I-LOC (IOB2)")


def test_uner_tokens_not_spelling_text_warn(tmp_path):
    path = write(tmp_path, "mis.iob2", "# text = hello world\n1\thello\tO\t-\t-\n2\tthere\tO\t-\t-\n")
    with pytest.warns(CorpusWarning, match=r"mis\.iob2:1: the tokens do not spell"):
        [doc] = read_all(read_uner, path)
    assert doc.text == "hello there"


def test_uner_wrong_column_count(tmp_path):
    path = write(tmp_path, "c.iob2", "1\thello\tO\t-\t-\n2\tworld\tO\n")
    expect_error(read_uner, path, 2, "found 3 tab-separated column(s)", "expected 5 tab-separated columns")


CONLL03 = """-DOCSTART- -X- -X- O

EU NNP B-NP I-ORG
rejects VBZ B-VP O
German JJ B-NP I-MISC
call NN I-NP O
. . O O

Peter NNP B-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

Japan NNP B-NP I-LOC
"""


def test_conll_ner_2003_iob1_repaired_with_one_warning(tmp_path):
    path = write(tmp_path, "train.conll", CONLL03)
    with pytest.warns(CorpusWarning) as record:
        docs = read_all(read_conll_ner, path)
    assert len(record) == 1  # one warning per file, with the count
    assert "train.conll:3:" in str(record[0].message) and "4 I- tag(s)" in str(record[0].message)
    assert [d.words for d in docs] == [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"], ["Japan"]]
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("EU", "ORG"), ("German", "MISC")], [("Peter Blackburn", "PER")], [("Japan", "LOC")],
    ]
    assert [d.user_data.get("newdoc", False) for d in docs] == [True, False, True]
    assert [t.tag_ for t in docs[0]] == ["NNP", "VBZ", "JJ", "NN", "."]
    assert docs[0].text == "EU rejects German call ."


def test_conll_ner_iob1_declared_is_silent_and_iob2_strict(tmp_path):
    path = write(tmp_path, "a.conll", CONLL03)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        assert len(read_all(read_conll_ner, path, scheme="iob1")) == 3
    expect_error(read_conll_ner, path, 3, "token 1", "'I-ORG' continues no entity", "expected B-ORG before I-ORG", scheme="iob2")


def test_conll_ner_two_columns_iob2_and_bad_tag(tmp_path):
    good = write(tmp_path, "es.ner", "Juan B-PER\nvive O\nen O\nSan B-LOC\nJosé I-LOC\n")
    [doc] = read_all(read_conll_ner, good)
    assert [(e.text, e.label_) for e in doc.ents] == [("Juan", "PER"), ("San José", "LOC")]
    assert doc[0].tag_ == ""
    bad = write(tmp_path, "bad.ner", "Juan B-PER\nvive X-PER\n")
    expect_error(read_conll_ner, bad, 2, "token 2", "'X-PER' is not an entity tag", "expected O, '-' or B-/I-/L-/U-")


def test_conll_ner_column_count_changes(tmp_path):
    path = write(tmp_path, "cols.conll", "EU NNP B-NP B-ORG\nrejects VBZ O\n")
    expect_error(read_conll_ner, path, 2, "found 3 column(s)", "expected 4 columns, as on line 1")


def test_conll_ner_empty_and_latin1(tmp_path):
    expect_error(read_conll_ner, write(tmp_path, "empty.conll", "\n\n"), None, "no sentences")
    expect_error(read_conll_ner, write(tmp_path, "l1.conll", "a O\n\nZ\xfcrich B-LOC\n".encode("latin-1")), 3, "cannot decode", "UTF-8")


# ============================================================================== IOB lines
def test_iob_two_and_three_fields(tmp_path):
    path = write(tmp_path, "a.iob", "I|PRP|O like|VBP|O London|NNP|U-LOC City|NNP|U-ORG\n\nNew|NNP|B-LOC York|NNP|L-LOC\n")
    docs = read_all(read_iob, path)
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [[("London", "LOC"), ("City", "ORG")], [("New York", "LOC")]]
    assert [t.tag_ for t in docs[0]] == ["PRP", "VBP", "NNP", "NNP"]
    two = write(tmp_path, "b.iob", "-DOCSTART-|O\nJohn|B-PER Smith|I-PER left|O\n")
    [doc] = read_all(read_iob, two)
    assert doc.user_data == {"newdoc": True} and doc.text == "John Smith left"
    assert [(e.text, e.label_) for e in doc.ents] == [("John Smith", "PER")]


def test_iob_broken_biluo_is_an_error(tmp_path):
    path = write(tmp_path, "bad.iob", "a|O b|O\nNew|B-LOC York|O\n")
    expect_error(read_iob, path, 2, "token 2", "'O' interrupts the LOC entity", "expected I-LOC or L-LOC", scheme="biluo")
    auto = write(tmp_path, "bad2.iob", "New|B-LOC York|I-LOC is|U-MISC\n")
    expect_error(read_iob, auto, 1, "token 3", "interrupts the LOC entity")


def test_iob_invalid_tag_and_field_count(tmp_path):
    expect_error(read_iob, write(tmp_path, "t.iob", "a|O b|O\nc|O d|Q-PER\n"), 2, "token 2", "'Q-PER' is not an entity tag")
    expect_error(read_iob, write(tmp_path, "f.iob", "a|X|O b|X|O\nc|O\n"), 2, "token 1", "has 2 '|'-separated field(s)", "word|POS|TAG")


def test_iob_iob1_repair_warning_and_strict(tmp_path):
    path = write(tmp_path, "r.iob", "John|I-PER Smith|I-PER\nParis|I-LOC\n")
    with pytest.warns(CorpusWarning, match=r"r\.iob:1: 2 I- tag\(s\) open an entity"):
        docs = read_all(read_iob, path)
    assert [[e.text for e in d.ents] for d in docs] == [["John Smith"], ["Paris"]]
    expect_error(read_iob, path, 1, "token 1", "continues no entity", scheme="iob2")
    expect_error(read_iob, write(tmp_path, "e.iob", "\n \n"), None, "no sentences")


# ============================================================================== JSONL
def test_jsonl_sms_spam():
    for name, n, ham, spam in (("train.jsonl", 4136, 3614, 522), ("dev.jsonl", 1035, 904, 131)):
        vocab = Vocab()
        docs = list(read_jsonl(need(SMS / name), vocab, tokenizer=make_tokenizer(vocab)))
        assert len(docs) == n
        assert Counter(label for d in docs for label in d.cats) == {"ham": ham, "spam": spam}
        assert all(list(d.cats.values()) == [1.0] for d in docs)  # single label: positive class only
        assert all(len(d) > 0 for d in docs)
    vocab = Vocab()
    docs = list(read_jsonl(SMS / "dev.jsonl", vocab, tokenizer=make_tokenizer(vocab), labels="scan"))
    assert all(set(d.cats) == {"ham", "spam"} and sum(d.cats.values()) == 1.0 for d in docs)


def jsonl(tmp_path: Path, name: str, records: list) -> Path:
    return write(tmp_path, name, "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_jsonl_spans_with_tokens_and_with_tokenizer(tmp_path):
    text = "Apple buys U.K. startup"
    tokens = [{"text": w, "start": text.index(w), "end": text.index(w) + len(w), "id": i, "ws": i < 3}
              for i, w in enumerate(text.split())]
    path = jsonl(tmp_path, "ner.jsonl", [
        {"text": text, "tokens": tokens, "spans": [{"start": 0, "end": 5, "label": "ORG"}, {"start": 11, "end": 15, "label": "GPE"}],
         "_input_hash": 1, "answer": "accept", "meta": {"source": "x"}},
        {"text": "Rejected one", "spans": [], "answer": "reject"},
        {"text": "Berlin is big.", "spans": [{"start": 0, "end": 6, "label": "LOC"}]},
        {"text": "no spans here"},
    ])
    vocab = Vocab()
    docs = list(read_jsonl(path, vocab, tokenizer=make_tokenizer(vocab)))
    assert len(docs) == 3
    assert docs[0].words == ["Apple", "buys", "U.K.", "startup"] and docs[0].text == text
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Apple", "ORG"), ("U.K.", "GPE")]
    assert docs[0][1].ent_iob_ == "O" and docs[0].user_data == {"meta": {"source": "x"}}
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Berlin", "LOC")]
    assert not docs[2].has_annotation("ENT_IOB")  # no "spans" key: entities missing, not "O"


def test_jsonl_span_off_token_boundaries(tmp_path):
    path = jsonl(tmp_path, "off.jsonl", [
        {"text": "ok", "tokens": ["ok"]},
        {"text": "New Yorkers cheer", "tokens": ["New", "Yorkers", "cheer"], "spans": [{"start": 0, "end": 8, "label": "GPE"}]},
    ])
    expect_error(read_jsonl, path, 2, "span 1 [0:8] GPE 'New York' does not fall on token boundaries", "Yorkers[4:11]",
                 "alignment_mode='contract'/'expand'")
    [_, doc] = read_all(read_jsonl, path, alignment_mode="expand")
    assert [(e.text, e.label_) for e in doc.ents] == [("New Yorkers", "GPE")]
    [_, doc] = read_all(read_jsonl, path, alignment_mode="contract")
    assert [(e.text, e.label_) for e in doc.ents] == [("New", "GPE")]
    inside = jsonl(tmp_path, "inside.jsonl", [{"text": "New Yorkers", "tokens": ["New", "Yorkers"], "spans": [{"start": 4, "end": 8, "label": "GPE"}]}])
    with pytest.warns(CorpusWarning, match=r"inside\.jsonl:1: span 1 \[4:8\] GPE 'York' covers no whole token"):
        [doc] = read_all(read_jsonl, inside, alignment_mode="contract")
    assert doc.ents == () and doc[0].ent_iob_ == "O"


def test_jsonl_overlapping_spans(tmp_path):
    path = jsonl(tmp_path, "over.jsonl", [
        {"tokens": ["Bank", "of", "America"], "spans": [{"start": 0, "end": 15, "label": "ORG"}, {"start": 8, "end": 15, "label": "GPE"}]},
    ])
    expect_error(read_jsonl, path, 1, "spans 1 (ORG 'Bank of America') and 2 (GPE 'America') overlap", "expected entity spans that share no token")


def test_jsonl_invalid_json_and_bad_records(tmp_path):
    expect_error(read_jsonl, jsonl(tmp_path, "bad.jsonl", [{"text": "a"}, '{"text": "b",}']), 2, "invalid JSON", "column", "expected one JSON object per line")
    expect_error(read_jsonl, jsonl(tmp_path, "list.jsonl", [{"text": "a"}, '["a"]']), 2, "record is a JSON list", "expected a JSON object")
    err = expect_error(read_jsonl, jsonl(tmp_path, "keys.jsonl", [{"txt": "a"}]), 1, "neither 'text' nor 'tokens'", "keys among text, tokens")
    assert err.got == ["txt"]
    expect_error(read_jsonl, write(tmp_path, "empty.jsonl", "\n"), None, "no records")
    expect_error(read_jsonl, write(tmp_path, "l1.jsonl", '{"text": "a"}\n{"text": "caf\xe9"}\n'.encode("latin-1")), 2, "cannot decode")


def test_jsonl_cats_and_labels(tmp_path):
    path = jsonl(tmp_path, "cats.jsonl", [
        {"tokens": ["good"], "cats": {"POS": 1.0, "NEG": 0.0}},
        {"tokens": ["bad"], "label": "NEG"},
        {"tokens": ["meh"], "options": [{"id": "POS"}, {"id": "NEG"}, {"id": "MIX"}], "accept": ["MIX"]},
    ])
    docs = read_all(read_jsonl, path)
    assert [d.cats for d in docs] == [{"POS": 1.0, "NEG": 0.0}, {"NEG": 1.0}, {"POS": 0.0, "NEG": 0.0, "MIX": 1.0}]
    docs = read_all(read_jsonl, path, labels="scan")
    assert docs[1].cats == {"MIX": 0.0, "NEG": 1.0, "POS": 0.0}
    expect_error(read_jsonl, path, 3, "label 'MIX' is not in the label set", "expected one of POS, NEG", labels=["POS", "NEG"])


def test_json_list_file_streams_with_line_numbers(tmp_path):
    records = [{"text": "a b", "tokens": ["a", "b"]}, {"tokens": ["c"], "cats": {"X": 1.0}}, {"txt": 1}]
    path = write(tmp_path, "data.json", json.dumps(records, indent=2))
    err = expect_error(read_jsonl, path, None, "neither 'text' nor 'tokens'")
    lines = json.dumps(records, indent=2).splitlines()
    assert err.line == lines.index('    "txt": 1')  # the line (1-based) of the "{" opening the third record
    assert lines[err.line - 1] == "  {"
    ok = write(tmp_path, "ok.json", json.dumps(records[:2]))
    docs = read_all(read_jsonl, ok)
    assert [d.text for d in docs] == ["a b", "c"] and docs[1].cats == {"X": 1.0}
    expect_error(read_jsonl, write(tmp_path, "broken.json", '[{"text": "a"},\n {"text": }]'), 2, "invalid JSON")


def test_jsonl_round_trip(tmp_path):
    vocab = Vocab()
    doc = Doc(vocab, ["Hello", "New", "York", "!"], [True, True, False, False], ents=["O", "B-GPE", "I-GPE", "O"], cats={"GREETING": 1.0})
    raw = Doc(vocab, ["just", "words"], [True, False])
    path = tmp_path / "out.jsonl"
    assert write_jsonl([doc, raw], path) == 2
    back = list(read_jsonl(path, Vocab()))
    assert back[0].words == doc.words and back[0].text == doc.text == "Hello New York!"
    assert [(e.text, e.label_) for e in back[0].ents] == [("New York", "GPE")]
    assert back[0].cats == {"GREETING": 1.0}
    assert back[1].text == "just words" and not back[1].has_annotation("ENT_IOB") and back[1].cats == {}
    assert json.loads(path.read_text().splitlines()[0])["tokens"][1] == {"text": "New", "start": 6, "end": 9, "id": 1, "ws": True}


# ============================================================================== sniffing
SAMPLES = {
    "conllu": "# sent_id = 1\n# text = a\n1\ta\ta\tNOUN\tNN\t_\t0\troot\t0:root\t_\n",
    "uner": "# sent_id = 1\n# text = a b\n1\ta\tB-PER\t-\tx\n2\tb\tO\t-\t-\n",
    "conll_ner": CONLL03,
    "conll_ner_plain": "Juan B-PER\nvive O\n\nen O\n",
    "iob": "I|PRP|O like|VBP|O London|NNP|U-LOC\n",
    "jsonl": '{"text": "hello", "label": "ham"}\n{"text": "x"}\n',
    "json": '[\n  {"text": "hello"}\n]\n',
}
SNIFFERS = {"conllu": sniff_conllu, "uner": sniff_uner, "conll_ner": sniff_conll_ner, "iob": sniff_iob, "jsonl": sniff_jsonl}
EXPECTED = {"conllu": "conllu", "uner": "uner", "conll_ner": "conll_ner", "conll_ner_plain": "conll_ner",
            "iob": "iob", "jsonl": "jsonl", "json": "jsonl"}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sniffing_tells_formats_apart(tmp_path, sample):
    path = write(tmp_path, "sample.txt", SAMPLES[sample])
    lines = head_lines(path)
    accepted = {name for name, sniff in SNIFFERS.items() if sniff(path, lines)}
    assert accepted == {EXPECTED[sample]}


def test_sniffing_real_files():
    cases = [(EWT / "dev.conllu", "conllu"), (UNER / "dev.iob2", "uner"), (SMS / "train.jsonl", "jsonl")]
    for path, expected in cases:
        lines = head_lines(need(path), 40)
        assert {name for name, sniff in SNIFFERS.items() if sniff(path, lines)} == {expected}, path


def test_missing_data_skips_or_fails_as_ci_asks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without CI a missing corpus skips; under CI or NBNLP_REQUIRE_DATA=1 (.ci/run) it fails."""
    missing = tmp_path / "nope.conllu"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NBNLP_REQUIRE_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="real data not available"):
        need(missing)
    for name, value in (("NBNLP_REQUIRE_DATA", "1"), ("CI", "true")):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            with pytest.raises(pytest.fail.Exception, match="NBNLP_REQUIRE_DATA=1 require it"):
                need(missing)
    assert need(tmp_path) == tmp_path
