"""Tests of the rule-based tokenizer: each rule family, whitespace, round trips, real UD data."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnlp.core import Doc
from nbnlp.core.lang import create_tokenizer, create_vocab, get_lang_defaults
from nbnlp.core.tokenizer import Tokenizer
from nbnlp.core.tokenizer_eval import align_tokens, read_conllu_gold, score_tokenization, words_to_spans
from nbnlp.core.vocab import Vocab

from data_helpers import SHARED_DATA, need_data

EWT_DEV = SHARED_DATA / "ud-english-ewt" / "dev.conllu"


@pytest.fixture(scope="module")
def en() -> Tokenizer:
    return create_tokenizer("en")


@pytest.fixture(scope="module")
def xx() -> Tokenizer:
    return create_tokenizer("xx")


def words(tok: Tokenizer, text: str) -> list[str]:
    return tok.split(text)[0]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("don't", ["do", "n't"]),
        ("Don't", ["Do", "n't"]),
        ("DON'T", ["DO", "N'T"]),
        ("can't", ["ca", "n't"]),
        ("won’t", ["wo", "n’t"]),
        ("I'm", ["I", "'m"]),
        ("we'll", ["we", "'ll"]),
        ("They've", ["They", "'ve"]),
        ("y'all", ["y'", "all"]),
        ("gonna", ["gon", "na"]),
        ("Wanna", ["Wan", "na"]),
        ("cannot", ["can", "not"]),
        ("dont", ["do", "nt"]),
        ("company's", ["company", "'s"]),
        ("Bush’s", ["Bush", "’s"]),
        ("teachers'", ["teachers", "'"]),
        ("o'clock", ["o'clock"]),
        ("O'Neill", ["O'Neill"]),
    ],
)
def test_contractions_and_possessives(en, text, expected):
    assert words(en, text) == expected


def test_contractions_inside_punctuation(en):
    assert words(en, "(don't!)") == ["(", "do", "n't", "!", ")"]
    assert words(en, "\"I'm here,\" she said.") == ['"', "I", "'m", "here", ",", '"', "she", "said", "."]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Mr. Smith arrived.", ["Mr.", "Smith", "arrived", "."]),
        ("e.g. this one", ["e.g.", "this", "one"]),
        ("U.S. troops left", ["U.S.", "troops", "left"]),
        ("on Jan. 5 at 3 p.m. sharp", ["on", "Jan.", "5", "at", "3", "p.m.", "sharp"]),
        ("J. R. Smith", ["J.", "R.", "Smith"]),
        ("the U.S.A., Canada", ["the", "U.S.A.", ",", "Canada"]),
        # the final period of a text is the sentence's, also after an abbreviation (UD convention)
        ("He moved to the U.S.", ["He", "moved", "to", "the", "U.S", "."]),
        ("apples, pears, etc.", ["apples", ",", "pears", ",", "etc", "."]),
        ("Is it on T.V.?", ["Is", "it", "on", "T.V.", "?"]),
    ],
)
def test_abbreviations(en, text, expected):
    assert words(en, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("see https://example.com/a/b?q=1&r=2.", ["see", "https://example.com/a/b?q=1&r=2", "."]),
        ("(www.google.com)", ["(", "www.google.com", ")"]),
        ("visit nytimes.com, then", ["visit", "nytimes.com", ",", "then"]),
        ("http://en.wikipedia.org/wiki/Degenerate_art", ["http://en.wikipedia.org/wiki/Degenerate_art"]),
    ],
)
def test_urls(en, text, expected):
    assert words(en, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("mail john.doe+tag@mail.example.co.uk.", ["mail", "john.doe+tag@mail.example.co.uk", "."]),
        ("<ekrapels@esaibos.com>", ["<", "ekrapels@esaibos.com", ">"]),
        ("Sally Rice@ENRON wrote", ["Sally", "Rice@ENRON", "wrote"]),
    ],
)
def test_emails(en, text, expected):
    assert words(en, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10km", ["10", "km"]),
        ("3.5kg", ["3.5", "kg"]),
        ("$5", ["$", "5"]),
        ("$3M", ["$", "3", "M"]),
        ("£10.50.", ["£", "10.50", "."]),
        ("5%", ["5", "%"]),
        ("7:30pm", ["7:30", "pm"]),
        ("21st", ["21st"]),
        ("1980s", ["1980s"]),
        ("1,000,000", ["1,000,000"]),
        ("713-853-1696", ["713-853-1696"]),
        ("11/28/2000", ["11/28/2000"]),
        ("#538", ["#", "538"]),
    ],
)
def test_numbers_and_units(en, text, expected):
    assert words(en, text) == expected


@pytest.mark.parametrize("emoticon", [":)", ":-)", ":(", ":-(", ";)", ":D", "<3", "^_^", "(:", ":P"])
def test_emoticons(en, emoticon):
    assert words(en, f"nice {emoticon} see") == ["nice", emoticon, "see"]
    assert words(en, emoticon) == [emoticon]
    assert words(en, f"I agree. {emoticon}") == ["I", "agree", ".", emoticon]


def test_emoticon_glued_to_word(en):
    assert words(en, "great:)") == ["great", ":)"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("well-known", ["well", "-", "known"]),
        ("15-year-old", ["15", "-", "year", "-", "old"]),
        ("mother-in-law", ["mother", "-", "in", "-", "law"]),
        ("non-stop", ["non-stop"]),
        ("e-mail", ["e-mail"]),
        ("anti-American", ["anti-American"]),
        ("1969-1970", ["1969", "-", "1970"]),
        ("politics--the", ["politics", "--", "the"]),
        ("and/or", ["and", "/", "or"]),
        ("w/o", ["w/o"]),
    ],
)
def test_hyphens_and_slashes(en, text, expected):
    assert words(en, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ('"Hello," she said.', ['"', "Hello", ",", '"', "she", "said", "."]),
        ("``so-called''", ["``", "so", "-", "called", "''"]),
        ("“Yes”", ["“", "Yes", "”"]),
        ("'The end'", ["'", "The", "end", "'"]),
        ("wait... what", ["wait", "...", "what"]),
        ("wait...what", ["wait", "...", "what"]),
        ("Really?!", ["Really", "?!"]),
        ("Thanks!!!", ["Thanks", "!!!"]),
        ("(see [1])", ["(", "see", "[", "1", "]", ")"]),
        ("-----", ["-----"]),
    ],
)
def test_quotes_ellipses_brackets(en, text, expected):
    assert words(en, text) == expected


def test_whitespace_runs(en):
    # a single space is a flag; other whitespace is kept as tokens
    assert en.split("a b") == (["a", "b"], [True, False])
    assert en.split("a  b") == (["a", " ", "b"], [True, False, False])
    assert en.split("a\n\nb") == (["a", "\n\n", "b"], [False, False, False])
    assert en.split("a \n b") == (["a", "\n", "b"], [True, True, False])
    assert en.split("a\n  b") == (["a", "\n  ", "b"], [False, False, False])
    assert en.split("  lead") == (["  ", "lead"], [False, False])
    assert en.split("trail  ") == (["trail", " "], [True, False])
    assert en.split("") == ([], [])
    assert en.split(" ") == ([" "], [False])
    assert en.split("a\tb") == (["a", "\t", "b"], [False, False, False])


def test_call_builds_doc_with_spaces(en):
    doc = en("Hello, world!  Bye.")
    assert isinstance(doc, Doc)
    assert doc.words == ["Hello", ",", "world", "!", " ", "Bye", "."]
    assert doc.arrays["SPACY"].tolist() == [False, True, False, True, False, False, False]
    assert doc.text == "Hello, world!  Bye."
    assert doc.idx.tolist() == [0, 5, 7, 12, 14, 15, 18]


def test_pipe_matches_call(en):
    texts = ["One two.", "I can't.", "", "x  y"]
    assert [d.words for d in en.pipe(texts, batch_size=2)] == [en(t).words for t in texts]


def test_cache_gives_same_result(en):
    text = "The company's well-known CEO can't come :( e.g. tomorrow."
    first = en.split(text)
    assert en.split(text) == first
    fresh = create_tokenizer("en")
    assert fresh.split(text) == first


unicode_text = st.text()
punct_text = st.text(alphabet=st.sampled_from(list(" \n\t\r\u00a0\u2009.-'’\"()[]{}$%:;,!?/@#*=<>…+&") + list("abXZ09éß中")))


@settings(max_examples=400, deadline=None)
@given(st.one_of(unicode_text, punct_text))
def test_roundtrip_never_loses_characters(en, xx, text):
    for tok in (en, xx):
        doc = tok(text)
        assert doc.text == text
        assert all(doc.words)
        ws, sp = tok.split(text)
        assert "".join(w + (" " if s else "") for w, s in zip(ws, sp)) == text


def test_special_case_must_spell_string(en):
    vocab = Vocab()
    tok = Tokenizer(vocab, rules={"gimme": ["gim", "me"]})
    assert tok.split("gimme that") == (["gim", "me", "that"], [False, True, False])
    with pytest.raises(ValueError, match="concatenate"):
        tok.add_special_case("gimme", ["give", "me"])


def test_language_neutral_default(xx):
    assert xx.vocab.lang == "xx"
    assert words(xx, "Hallo, Welt! (gut)") == ["Hallo", ",", "Welt", "!", "(", "gut", ")"]
    assert words(xx, "señor-ñandú") == ["señor", "-", "ñandú"]
    assert words(xx, "mail a.b@c.de :)") == ["mail", "a.b@c.de", ":)"]
    # no English contractions in the neutral rules
    assert words(xx, "don't") == ["don't"]


def test_unknown_language_raises():
    with pytest.raises(ValueError, match="known languages: en, xx"):
        create_tokenizer("tlh")
    with pytest.raises(ValueError, match="Unknown language"):
        get_lang_defaults("zz")


def test_english_vocab_lex_attrs(en):
    vocab = create_vocab("en")
    tok = create_tokenizer("en", vocab)
    doc = tok("I can't pay twenty-one dollars, it's ten")
    norms = [vocab.strings[i] for i in doc.to_array("NORM").tolist()]
    assert norms[:3] == ["i", "can", "not"]
    like_num = dict(zip(doc.words, doc.to_array("LIKE_NUM").tolist()))
    assert like_num["twenty"] == 1 and like_num["ten"] == 1 and like_num["dollars"] == 0
    stops = dict(zip(doc.words, doc.to_array("IS_STOP").tolist()))
    assert stops["I"] == 1 and stops["dollars"] == 0


def test_serialisation_round_trip(en):
    data = en.to_dict()
    json.loads(json.dumps(data))  # JSON-able
    restored = Tokenizer.from_dict(Vocab(), json.loads(json.dumps(data)))
    text = "Mr. O'Neill can't e-mail john@x.com re: the 15-year deal (see http://x.org/a). Bye:)"
    assert restored.split(text) == en.split(text)
    again = Tokenizer(Vocab()).from_bytes(en.to_bytes())
    assert again.split(text) == en.split(text)


def test_to_dict_rejects_non_regex_rules():
    tok = Tokenizer(Vocab(), token_match=lambda s: s.isdigit())
    with pytest.raises(ValueError, match="compiled regex"):
        tok.to_dict()


def test_custom_tokenizer_from_regexes():
    tok = Tokenizer(
        Vocab(),
        prefix_search=re.compile(r"^[(\[]").match,
        suffix_search=re.compile(r"[)\].,]$").search,
        infix_finditer=re.compile(r"_").finditer,
    )
    assert tok.split("(snake_case).") == (["(", "snake", "_", "case", ")", "."], [False] * 6)


def test_eval_alignment_helpers():
    assert align_tokens("Hi  there!", ["Hi", "there", "!"]) == [(0, 2), (4, 9), (9, 10)]
    assert words_to_spans(["Hi", " ", "there", "!"], [True, False, False, False]) == [(0, 2), (4, 9), (9, 10)]


def test_ud_ewt_dev_first_500_sentences(en):
    need_data(EWT_DEV)
    gold = read_conllu_gold(EWT_DEV, limit=500)
    assert len(gold) == 500
    scores = score_tokenization(gold, en.split)
    assert scores.n_gold > 5000
    assert scores.f1 >= 0.96, scores.as_dict()
