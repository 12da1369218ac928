"""`doc.spans`: named groups of spans that may overlap (spancat data, alternative analyses, `.spacy` files).

Entities live in the token columns and cannot overlap; span groups can, so each group keeps its own
columns: start, end (exclusive) and label id arrays, plus an `attrs` dict. `Span` objects are
made on access, as for `doc.ents`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from .span import Span

if TYPE_CHECKING:  # pragma: no cover
    from .doc import Doc

SpanLike = Span | tuple


class SpanGroup:
    """The spans of one group, as three int32 columns over `doc`."""

    __slots__ = ("doc", "name", "attrs", "starts", "ends", "labels")

    def __init__(self, doc: "Doc", *, name: str = "", attrs: dict[str, Any] | None = None, spans: Iterable[SpanLike] = ()) -> None:
        self.doc = doc
        self.name = name
        self.attrs: dict[str, Any] = dict(attrs or {})
        triples = [self._triple(s) for s in spans]
        self.starts = np.array([t[0] for t in triples], dtype=np.int32)
        self.ends = np.array([t[1] for t in triples], dtype=np.int32)
        self.labels = np.array([t[2] for t in triples], dtype=np.int32)

    @classmethod
    def from_arrays(cls, doc: "Doc", starts: np.ndarray, ends: np.ndarray, labels: np.ndarray, *, name: str = "",
                    attrs: dict[str, Any] | None = None) -> "SpanGroup":
        """A group from its columns (readers use it); bounds are checked once for all spans."""
        group = cls(doc, name=name, attrs=attrs)
        group.starts, group.ends, group.labels = (np.asarray(a, dtype=np.int32) for a in (starts, ends, labels))
        if len(group.starts) and (group.starts.min() < 0 or (group.ends < group.starts).any() or group.ends.max() > len(doc)):
            raise ValueError(f"span group {name!r}: a span lies outside the doc's {len(doc)} tokens")
        return group

    def _triple(self, span: SpanLike) -> tuple[int, int, int]:
        if isinstance(span, Span):
            if span.doc is not self.doc:  # another doc (a copy): carry the label over as a string
                return span.start, span.end, self.doc.vocab.strings.add(span.label_)
            return span.start, span.end, span.label
        start, end, *label = span
        checked = Span(self.doc, int(start), int(end), label[0] if label else "")
        return checked.start, checked.end, checked.label

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> Span:
        return Span(self.doc, int(self.starts[i]), int(self.ends[i]), int(self.labels[i]))

    def __iter__(self) -> Iterator[Span]:
        for s, e, label in zip(self.starts.tolist(), self.ends.tolist(), self.labels.tolist()):
            yield Span(self.doc, s, e, label)

    def __repr__(self) -> str:
        return f"SpanGroup({self.name!r}, {[(s.start, s.end, s.label_) for s in self]!r})"

    def append(self, span: SpanLike) -> None:
        self.extend([span])

    def extend(self, spans: Iterable[SpanLike]) -> None:
        other = SpanGroup(self.doc, spans=[self._triple(s) if isinstance(s, Span) else s for s in spans])
        self.starts = np.concatenate([self.starts, other.starts])
        self.ends = np.concatenate([self.ends, other.ends])
        self.labels = np.concatenate([self.labels, other.labels])

    def copy(self, doc: "Doc | None" = None, offset: int = 0) -> "SpanGroup":
        """This group on `doc` (default: the same doc), its spans shifted by `offset` tokens."""
        doc = self.doc if doc is None else doc
        labels = self.labels.copy()
        if doc.vocab is not self.doc.vocab:
            labels = doc.vocab.strings.add_many(self.doc.vocab.strings.lookup_many(labels.tolist()))
        group = SpanGroup(doc, name=self.name, attrs=self.attrs)
        group.starts, group.ends, group.labels = self.starts + offset, self.ends + offset, labels
        return group

    def to_plain(self) -> list[list]:
        """[[start, end, label], ...] with label strings (for JSON and msgpack)."""
        label_of = self.doc.vocab.strings.lookup_many(self.labels.tolist())
        return [[s, e, lab] for s, e, lab in zip(self.starts.tolist(), self.ends.tolist(), label_of)]


class SpanGroups(dict):
    """`doc.spans`: group name -> SpanGroup; assigning a list of spans (or (start, end, label)) makes a group."""

    def __init__(self, doc: "Doc") -> None:
        super().__init__()
        self.doc = doc

    def __setitem__(self, key: str, value: SpanGroup | Iterable[SpanLike]) -> None:
        if not isinstance(value, SpanGroup):
            value = SpanGroup(self.doc, name=key, spans=value)
        elif value.doc is not self.doc:
            value = value.copy(self.doc)
        super().__setitem__(key, value)

    def setdefault(self, key: str, default: Iterable[SpanLike] = ()) -> SpanGroup:
        if key not in self:
            self[key] = default
        return self[key]

    def copy_to(self, doc: "Doc", offset: int = 0) -> "SpanGroups":
        """These groups on another doc, shifted by `offset` tokens."""
        groups = SpanGroups(doc)
        for key, group in self.items():
            dict.__setitem__(groups, key, group.copy(doc, offset))
        return groups

    def to_plain(self) -> dict[str, dict[str, Any]]:
        """{name: {"spans": [[start, end, label], ...], "attrs": {...}}} for the `.nbnlp` and JSONL writers."""
        return {key: {"name": g.name, "spans": g.to_plain(), "attrs": dict(g.attrs)} for key, g in self.items()}

    def from_plain(self, data: dict[str, dict[str, Any]]) -> "SpanGroups":
        """Fill from `to_plain`'s form (replacing what was there); returns self."""
        self.clear()
        for key, value in data.items():
            self[key] = SpanGroup(self.doc, name=value.get("name", key), attrs=value.get("attrs"),
                                  spans=[tuple(s) for s in value.get("spans", ())])
        return self
