"""`Span`: a light view of tokens [start, end) of a `Doc`, optionally labelled (entities, sentences)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from .token import Token, iter_tokens

if TYPE_CHECKING:  # pragma: no cover
    from .doc import Doc


class Span:
    """Tokens doc[start:end] with a label; holds no data of its own."""

    __slots__ = ("doc", "start", "end", "label")

    def __init__(self, doc: "Doc", start: int, end: int, label: str | int = "") -> None:
        if not 0 <= start <= end <= len(doc):
            raise IndexError(f"Span {start}-{end} out of range for a doc of {len(doc)} tokens")
        self.doc = doc
        self.start = start
        self.end = end
        self.label = doc.vocab.strings.add(label) if isinstance(label, str) else int(label)

    @property
    def label_(self) -> str:
        return self.doc.vocab.strings[self.label]

    @property
    def start_char(self) -> int:
        return int(self.doc.idx[self.start]) if self.end > self.start else int(self.doc.idx[self.start]) if self.start < len(self.doc) else len(self.doc.text)

    @property
    def end_char(self) -> int:
        if self.end == self.start:
            return self.start_char
        return int(self.doc.token_ends[self.end - 1])

    @property
    def text(self) -> str:
        return self.doc.text[self.start_char : self.end_char]

    @property
    def text_with_ws(self) -> str:
        last_space = self.end > self.start and bool(self.doc.arrays["SPACY"][self.end - 1])
        return self.text + (" " if last_space else "")

    def __len__(self) -> int:
        return self.end - self.start

    def __iter__(self) -> Iterator[Token]:
        return iter_tokens(self.doc, self.doc.orth[self.start : self.end].tolist(), self.start)

    def __getitem__(self, key: int | slice) -> "Token | Span":
        if isinstance(key, slice):
            start, stop, _ = key.indices(len(self))
            return Span(self.doc, self.start + start, self.start + max(start, stop))
        i = key + len(self) if key < 0 else key
        if not 0 <= i < len(self):
            raise IndexError(f"Token index {key} out of range for a span of {len(self)} tokens")
        return Token(self.doc, self.start + i)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Span)
            and other.doc is self.doc
            and (other.start, other.end, other.label) == (self.start, self.end, self.label)
        )

    def __hash__(self) -> int:
        return hash((id(self.doc), self.start, self.end, self.label))

    @property
    def root(self) -> Token:
        """The token whose head lies outside the span (the first such, as spaCy)."""
        heads = self.doc.arrays["HEAD"]
        for i in range(self.start, self.end):
            h = int(heads[i])
            if h < 0 or h == i or not self.start <= h < self.end:
                return Token(self.doc, i)
        return Token(self.doc, self.start)

    @property
    def ents(self) -> list["Span"]:
        return [e for e in self.doc.ents if e.start >= self.start and e.end <= self.end]

    @property
    def sent(self) -> "Span":
        return Token(self.doc, self.start).sent
