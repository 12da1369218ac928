"""`Token`: a light view of one position of a `Doc` (no data of its own), with spaCy's attribute names."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from .attrs import IOB_STRINGS

if TYPE_CHECKING:  # pragma: no cover
    from .doc import Doc
    from .span import Span


def iter_tokens(doc: "Doc", orths: list[int], start: int) -> Iterator["Token"]:
    """The tokens of `doc` from index `start` whose string ids are `orths`, in order.

    What iterating a Doc or a Span yields. Iterating is the hot path of user code
    (`[t.text for t in doc]`), so the slots are filled here directly, without a Python
    `__init__` call per token (about 20% faster).
    """
    strings = doc.vocab.strings.by_id
    make = object.__new__
    i = start
    for orth in orths:
        token = make(Token)
        token.doc = doc
        token.i = i
        token.text = strings[orth]
        i += 1
        yield token


class MorphAnalysis:
    """Morphological features of a token ("Number=Sing|Person=3"), readable as a dict."""

    def __init__(self, text: str) -> None:
        self._text = text

    def to_dict(self) -> dict[str, str]:
        return dict(f.split("=", 1) for f in self._text.split("|") if "=" in f)

    def get(self, field: str) -> list[str]:
        value = self.to_dict().get(field)
        return value.split(",") if value else []

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._text

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __len__(self) -> int:
        return len(self.to_dict())


def _string_column(column: str, doc_attr: str = ""):
    """Property pair: `name_` reads/writes the string, `name` the string id."""

    def get_str(self: "Token") -> str:
        return self.doc.vocab.strings[int(self.doc.arrays[column][self.i])]

    def set_str(self: "Token", value: str) -> None:
        self.doc.arrays[column][self.i] = self.doc.vocab.strings.add(value or "")

    def get_id(self: "Token") -> int:
        return int(self.doc.arrays[column][self.i])

    def set_id(self: "Token", value: int) -> None:
        self.doc.arrays[column][self.i] = value

    return property(get_str, set_str), property(get_id, set_id)


def _lex_string(name: str):
    def get(self: "Token") -> str:
        return self.doc.vocab.strings[int(self.doc.vocab.attr(name)[self.doc.arrays["ORTH"][self.i]])]

    return property(get)


def _lex_id(name: str):
    def get(self: "Token") -> int:
        return int(self.doc.vocab.attr(name)[self.doc.arrays["ORTH"][self.i]])

    return property(get)


def _lex_flag(name: str):
    def get(self: "Token") -> bool:
        return bool(self.doc.vocab.attr(name)[self.doc.arrays["ORTH"][self.i]])

    return property(get)


class Token:
    """One token of a Doc; reads and writes go straight to the Doc's arrays.

    `text` is stored on the token when it is made (the words of a Doc never change), so reading
    it, which user code does for nearly every token, is a plain slot read. Treat it as read-only.
    """

    __slots__ = ("doc", "i", "text")

    def __init__(self, doc: "Doc", i: int) -> None:
        self.doc = doc
        self.i = i
        self.text: str = doc.vocab.strings.by_id[doc.orth[i]]

    tag_, tag = _string_column("TAG")
    pos_, pos = _string_column("POS")
    lemma_, lemma = _string_column("LEMMA")
    dep_, dep = _string_column("DEP")
    ent_type_, ent_type = _string_column("ENT_TYPE")
    morph_, _morph_id = _string_column("MORPH")

    lower_ = _lex_string("lower")
    norm_ = _lex_string("norm")
    prefix_ = _lex_string("prefix")
    suffix_ = _lex_string("suffix")
    shape_ = _lex_string("shape")
    lower = _lex_id("lower")
    norm = _lex_id("norm")
    prefix = _lex_id("prefix")
    suffix = _lex_id("suffix")
    shape = _lex_id("shape")
    is_alpha = _lex_flag("is_alpha")
    is_ascii = _lex_flag("is_ascii")
    is_digit = _lex_flag("is_digit")
    is_lower = _lex_flag("is_lower")
    is_upper = _lex_flag("is_upper")
    is_title = _lex_flag("is_title")
    is_punct = _lex_flag("is_punct")
    is_space = _lex_flag("is_space")
    is_bracket = _lex_flag("is_bracket")
    is_quote = _lex_flag("is_quote")
    is_left_punct = _lex_flag("is_left_punct")
    is_right_punct = _lex_flag("is_right_punct")
    is_currency = _lex_flag("is_currency")
    like_num = _lex_flag("like_num")
    like_url = _lex_flag("like_url")
    like_email = _lex_flag("like_email")
    is_stop = _lex_flag("is_stop")

    # ----- text ---------------------------------------------------------------------------
    @property
    def orth(self) -> int:
        return int(self.doc.orth[self.i])

    @property
    def orth_(self) -> str:
        return self.text

    @property
    def whitespace_(self) -> str:
        return " " if self.doc.arrays["SPACY"][self.i] else ""

    @property
    def text_with_ws(self) -> str:
        return self.text + self.whitespace_

    @property
    def idx(self) -> int:
        return int(self.doc.idx[self.i])

    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other.doc is self.doc and other.i == self.i

    def __hash__(self) -> int:
        return hash((id(self.doc), self.i))

    def nbor(self, offset: int = 1) -> "Token":
        return self.doc[self.i + offset]

    # ----- morphology ---------------------------------------------------------------------
    @property
    def morph(self) -> MorphAnalysis:
        return MorphAnalysis(self.morph_)

    @morph.setter
    def morph(self, value: "MorphAnalysis | str") -> None:
        self.morph_ = str(value)

    # ----- syntax -------------------------------------------------------------------------
    @property
    def has_head(self) -> bool:
        return bool(self.doc.arrays["HEAD"][self.i] >= 0)

    @property
    def head(self) -> "Token":
        """The syntactic head; a root (or a token without a parse) is its own head, as in spaCy."""
        h = int(self.doc.arrays["HEAD"][self.i])
        return Token(self.doc, self.i if h < 0 else h)

    @head.setter
    def head(self, value: "Token") -> None:
        if value.doc is not self.doc:
            raise ValueError("A token's head must be a token of the same Doc")
        self.doc.arrays["HEAD"][self.i] = value.i

    @property
    def children(self) -> Iterator["Token"]:
        heads = self.doc.arrays["HEAD"]
        for j in (heads == self.i).nonzero()[0].tolist():
            if j != self.i:
                yield Token(self.doc, j)

    @property
    def lefts(self) -> Iterator["Token"]:
        return (t for t in self.children if t.i < self.i)

    @property
    def rights(self) -> Iterator["Token"]:
        return (t for t in self.children if t.i > self.i)

    @property
    def ancestors(self) -> Iterator["Token"]:
        seen = {self.i}
        tok = self
        while tok.has_head and tok.head.i not in seen:
            tok = tok.head
            seen.add(tok.i)
            yield tok

    @property
    def subtree(self) -> Iterator["Token"]:
        members = {self.i}
        frontier = [self.i]
        heads = self.doc.arrays["HEAD"]
        while frontier:
            nxt = []
            for h in frontier:
                for j in (heads == h).nonzero()[0].tolist():
                    if j not in members:
                        members.add(j)
                        nxt.append(j)
            frontier = nxt
        return (Token(self.doc, j) for j in sorted(members))

    # ----- sentences ----------------------------------------------------------------------
    @property
    def is_sent_start(self) -> bool | None:
        """True at a sentence start, False inside a sentence, None when unknown (the first token is always True)."""
        if self.i == 0:
            return True
        value = int(self.doc.arrays["SENT_START"][self.i])
        return None if value == 0 else value == 1

    @is_sent_start.setter
    def is_sent_start(self, value: bool | None) -> None:
        self.doc.arrays["SENT_START"][self.i] = 0 if value is None else (1 if value else -1)

    @property
    def sent(self) -> "Span":
        for sent in self.doc.sents:
            if sent.start <= self.i < sent.end:
                return sent
        raise AssertionError("token outside every sentence")  # pragma: no cover

    # ----- entities -----------------------------------------------------------------------
    @property
    def ent_iob_(self) -> str:
        return IOB_STRINGS[int(self.doc.arrays["ENT_IOB"][self.i])]

    @property
    def ent_iob(self) -> int:
        return int(self.doc.arrays["ENT_IOB"][self.i])
