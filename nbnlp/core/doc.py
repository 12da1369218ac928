"""`Doc`: a tokenized text with its annotations stored as columns (numpy arrays), not token objects.

Each annotation layer is one array over the tokens (`doc.arrays["TAG"]` holds string ids), so
model code reads and writes whole layers at once; `Token` and `Span` are light views over them
that give spaCy's familiar attribute names.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .attrs import DOC_COLUMNS, IOB_STRINGS, LEX_FLAGS, LEX_STRING, normalize_attr
from .span import Span
from .span_group import SpanGroup, SpanGroups
from .token import Token, iter_tokens
from .vocab import Vocab

STRING_COLUMNS = ("ORTH", "TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE")
_COLUMN_DTYPES = {
    "ORTH": np.int32, "SPACY": np.bool_, "TAG": np.int32, "POS": np.int32, "MORPH": np.int32,
    "LEMMA": np.int32, "HEAD": np.int32, "DEP": np.int32, "ENT_IOB": np.uint8, "ENT_TYPE": np.int32,
    "SENT_START": np.int8,
}
_IOB_CODES = {"": 0, "-": 0, "I": 1, "O": 2, "B": 3, "L": 1, "U": 3}


def _fill_missing_columns(cols: dict[str, np.ndarray]) -> None:
    """Add the default (empty) annotation columns that `cols` lacks, in place."""
    n = len(cols["ORTH"])
    for name, dtype in _COLUMN_DTYPES.items():
        if name not in cols:
            cols[name] = np.full((n,), -1 if name == "HEAD" else 0, dtype=dtype)


class Doc:
    """A sequence of tokens with trailing-whitespace flags, annotation columns and `cats`.

    `Doc(vocab, words=[...], spaces=[...])` builds a pre-tokenized doc, as in spaCy. Heads are
    absolute token indices (a root points to itself; None/-1 = unset). `ents` takes IOB or BILUO
    tags per token ("B-PER", "O", and "-" or None for missing).
    """

    def __init__(
        self,
        vocab: Vocab,
        words: Sequence[str] | None = None,
        spaces: Sequence[bool] | None = None,
        *,
        user_data: dict | None = None,
        tags: Sequence[str | None] | None = None,
        pos: Sequence[str | None] | None = None,
        morphs: Sequence[str | None] | None = None,
        lemmas: Sequence[str | None] | None = None,
        heads: Sequence[int | None] | None = None,
        deps: Sequence[str | None] | None = None,
        sent_starts: Sequence[bool | int | None] | None = None,
        ents: Sequence[str | None] | None = None,
        cats: dict[str, float] | None = None,
    ) -> None:
        words = list(words or [])
        n = len(words)
        if spaces is None:
            spaces = [True] * n
        elif len(spaces) != n:
            raise ValueError(f"Doc: got {n} words but {len(spaces)} spaces; give one space flag per word")
        for i, w in enumerate(words):
            if not isinstance(w, str) or not w:
                raise ValueError(f"Doc: word {i} is {w!r}; every word must be a non-empty string")
        self.vocab = vocab
        self._arrays = {"ORTH": vocab.strings.add_many(words), "SPACY": np.array(spaces, dtype=np.bool_)}
        self.cats: dict[str, float] = dict(cats or {})
        self.user_data: dict[Any, Any] = dict(user_data or {})
        self.tensor: Any = None  # per-token vectors a tok2vec component leaves for later components
        self._spans: SpanGroups | None = None
        self._text: str | None = None
        self._idx: np.ndarray | None = None
        for name, values in (("TAG", tags), ("POS", pos), ("MORPH", morphs), ("LEMMA", lemmas), ("DEP", deps)):
            if values is not None:
                self._check_len(name.lower(), values)
                self.arrays[name][:] = vocab.strings.add_many("" if v is None else v for v in values)
        if heads is not None:
            self._check_len("heads", heads)
            head_arr = np.array([-1 if h is None else h for h in heads], dtype=np.int64)
            if n and (head_arr.min() < -1 or head_arr.max() >= n):
                bad = int(np.flatnonzero((head_arr < -1) | (head_arr >= n))[0])
                raise ValueError(f"Doc: head of token {bad} is {heads[bad]}, outside 0..{n - 1}")
            self.arrays["HEAD"][:] = head_arr
        if sent_starts is not None:
            self._check_len("sent_starts", sent_starts)
            self.arrays["SENT_START"][:] = [_sent_start_code(v) for v in sent_starts]
        elif heads is not None:
            self._set_sent_starts_from_heads()
        if ents is not None:
            self._check_len("ents", ents)
            self._set_ents_from_tags(ents)

    def _check_len(self, name: str, values: Sequence) -> None:
        if len(values) != len(self):
            raise ValueError(f"Doc: got {len(self)} words but {len(values)} {name}; give one per word")

    # ----- construction from arrays -------------------------------------------------------
    @classmethod
    def from_orths(cls, vocab: Vocab, orths: np.ndarray, spaces: np.ndarray, *, copy: bool = True) -> "Doc":
        """Fast constructor from string ids and space flags (the tokenizer and readers use it).

        The other columns are allocated on first use of `arrays`, so a doc that is only
        tokenized costs two arrays. `copy=False` adopts `orths` (int32) and `spaces` (bool)
        as they are; only for fresh arrays nobody else holds (the tokenizer's).
        """
        doc = cls.__new__(cls)
        doc.vocab = vocab
        if copy:
            orths = np.array(orths, dtype=np.int32)
            spaces = np.array(spaces, dtype=np.bool_)
            if orths.shape != spaces.shape:
                raise ValueError(f"Doc.from_orths: {len(orths)} string ids but {len(spaces)} space flags")
        doc._arrays = {"ORTH": orths, "SPACY": spaces}
        doc.cats = {}
        doc.user_data = {}
        doc.tensor = None
        doc._spans = None
        doc._text = None
        doc._idx = None
        return doc

    @classmethod
    def from_docs(cls, docs: Sequence["Doc"], ensure_whitespace: bool = True) -> "Doc":
        """Concatenate docs (e.g. sentences into a document); each doc's first token starts a sentence.

        With `ensure_whitespace`, a space is added between docs whose last token has none, so the
        joined text reads like the texts joined with " ". Span groups of the same name are joined.
        """
        if not docs:
            raise ValueError("Doc.from_docs needs at least one doc")
        vocab = docs[0].vocab
        parts: dict[str, list[np.ndarray]] = {name: [] for name in _COLUMN_DTYPES}
        offset = 0
        cats: dict[str, float] = {}
        for k, doc in enumerate(docs):
            for name, arr in doc.arrays.items():
                if name in STRING_COLUMNS and doc.vocab is not vocab:
                    arr = vocab.strings.add_many(doc.vocab.strings[int(x)] for x in arr)
                elif name == "HEAD":
                    arr = np.where(arr >= 0, arr + offset, -1).astype(np.int32)
                elif name == "SENT_START":
                    arr = arr.copy()
                    if len(arr):
                        arr[0] = 1
                elif name == "SPACY" and ensure_whitespace and k < len(docs) - 1 and len(arr):
                    arr = arr.copy()
                    arr[-1] = True
                parts[name].append(arr)
            offset += len(doc)
            cats.update(doc.cats)
        merged = cls.from_orths(vocab, np.concatenate(parts["ORTH"]), np.concatenate(parts["SPACY"]))
        for name in _COLUMN_DTYPES:
            merged.arrays[name] = np.concatenate(parts[name]).astype(_COLUMN_DTYPES[name])
        merged.cats = cats
        offset = 0
        for doc in docs:
            for key, group in (doc._spans or {}).items():
                if key in merged.spans:
                    merged.spans[key].extend(group.copy(merged, offset))
                else:
                    dict.__setitem__(merged.spans, key, group.copy(merged, offset))
            offset += len(doc)
        return merged

    def copy(self) -> "Doc":
        doc = Doc.from_orths(self.vocab, self.arrays["ORTH"], self.arrays["SPACY"])
        for name, arr in self.arrays.items():
            doc.arrays[name] = arr.copy()
        doc.cats = dict(self.cats)
        doc.user_data = dict(self.user_data)
        if self._spans:
            doc._spans = self._spans.copy_to(doc)
        return doc

    # ----- columns ------------------------------------------------------------------------
    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The annotation columns by name (`doc.arrays["TAG"]`); empty ones are made on first use."""
        cols = self._arrays
        if len(cols) < len(_COLUMN_DTYPES):
            _fill_missing_columns(cols)
        return cols

    @arrays.setter
    def arrays(self, columns: dict[str, np.ndarray]) -> None:
        self._arrays = columns

    @property
    def spans(self) -> SpanGroups:
        """Named groups of spans, which may overlap (`doc.spans["sc"] = [doc[0:2], ...]`); made on first use."""
        if self._spans is None:
            self._spans = SpanGroups(self)
        return self._spans

    @spans.setter
    def spans(self, groups: dict[str, SpanGroup | Iterable[Span]]) -> None:
        fresh = SpanGroups(self)
        for key, group in groups.items():
            fresh[key] = group
        self._spans = fresh

    @property
    def orth(self) -> np.ndarray:
        """The tokens' string ids (the ORTH column), without allocating the other columns."""
        return self._arrays["ORTH"]

    # ----- sequence protocol --------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._arrays["ORTH"])

    def __getitem__(self, key: int | slice) -> Token | Span:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise ValueError("Doc slices must be contiguous (step 1)")
            return Span(self, start, max(start, stop))
        i = int(key)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"Token index {key} out of range for a doc of {len(self)} tokens")
        return Token(self, i)

    def __iter__(self) -> Iterator[Token]:
        return iter_tokens(self, self._arrays["ORTH"].tolist(), 0)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    # ----- text ---------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The exact text, whitespace included (cached: words never change)."""
        if self._text is None:
            words = self.vocab.strings.lookup_many(self._arrays["ORTH"].tolist())
            self._text = "".join([w + " " if sp else w for w, sp in zip(words, self._arrays["SPACY"].tolist())])
        return self._text

    @property
    def text_with_ws(self) -> str:
        return self.text

    @property
    def idx(self) -> np.ndarray:
        """Start character offset of every token."""
        if self._idx is None:
            lengths = self.vocab.strings.lengths[self.arrays["ORTH"]] + self.arrays["SPACY"]
            self._idx = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int32) if len(self) else np.zeros(0, np.int32)
        return self._idx

    @property
    def token_ends(self) -> np.ndarray:
        """End character offset (exclusive, whitespace excluded) of every token."""
        return self.idx + self.vocab.strings.lengths[self.arrays["ORTH"]]

    @property
    def words(self) -> list[str]:
        return self.vocab.strings.lookup_many(self._arrays["ORTH"].tolist())

    @property
    def lang(self) -> str:
        return self.vocab.lang

    # ----- bulk access --------------------------------------------------------------------
    def to_array(self, attrs: str | Sequence[str]) -> np.ndarray:
        """Columns as an int64 array (n_tokens,) for one name or (n_tokens, n_attrs) for a list.

        String-valued attributes give string ids (`doc.vocab.strings[id]`), HEAD gives absolute head
        indices (-1 = unset), flags give 0/1.
        """
        single = isinstance(attrs, str)
        names = [normalize_attr(a) for a in ([attrs] if single else attrs)]
        out = np.zeros((len(self), len(names)), dtype=np.int64)
        orth = self.arrays["ORTH"]
        for j, name in enumerate(names):
            if name in self.arrays:
                out[:, j] = self.arrays[name]
            else:
                out[:, j] = self.vocab.attr(name)[orth]
        return out[:, 0] if single else out

    def from_array(self, attrs: str | Sequence[str], array: np.ndarray) -> "Doc":
        """Set annotation columns in bulk (the inverse of `to_array` for the Doc's own columns)."""
        single = isinstance(attrs, str)
        names = [normalize_attr(a) for a in ([attrs] if single else attrs)]
        array = np.asarray(array)
        if single:
            array = array.reshape((-1, 1))
        if array.shape != (len(self), len(names)):
            raise ValueError(f"from_array: expected shape {(len(self), len(names))}, got {array.shape}")
        for j, name in enumerate(names):
            if name in ("ORTH", "SPACY"):
                raise ValueError(f"from_array cannot change {name}: the words of a Doc are fixed")
            if name in LEX_STRING or name in LEX_FLAGS:
                raise ValueError(f"{name} is a lexical attribute of the vocabulary; it cannot be set per token")
            col = array[:, j]
            if name == "HEAD" and len(self) and (col.min() < -1 or col.max() >= len(self)):
                raise ValueError(f"from_array: HEAD values must be token indices 0..{len(self) - 1} or -1")
            self.arrays[name] = col.astype(_COLUMN_DTYPES[name])
        if "HEAD" in names and "SENT_START" not in names:
            self._set_sent_starts_from_heads()
        return self

    def has_annotation(self, attr: str) -> bool:
        """Whether any token has a value for `attr` (TAG, DEP, HEAD, ENT_IOB, SENT_START, ...)."""
        name = normalize_attr(attr)
        if name == "HEAD":
            return bool((self.arrays["HEAD"] >= 0).any())
        if name == "SENT_START":
            return bool((self.arrays["SENT_START"][1:] != 0).any()) or self.has_annotation("HEAD")
        if name in self.arrays:
            return bool(self.arrays[name].any())
        return True

    # ----- sentences ----------------------------------------------------------------------
    def _set_sent_starts_from_heads(self) -> None:
        """Each tree of the parse is a sentence: a token starts one where its root differs from the previous token's."""
        heads = self.arrays["HEAD"].astype(np.int64)
        n = len(heads)
        if n == 0 or (heads < 0).any():
            return
        roots = heads.copy()
        for _ in range(n):
            nxt = heads[roots]
            if np.array_equal(nxt, roots):
                break
            roots = nxt
        starts = np.full(n, -1, dtype=np.int8)
        starts[0] = 1
        starts[1:][roots[1:] != roots[:-1]] = 1
        self.arrays["SENT_START"] = starts

    @property
    def sents(self) -> Iterator[Span]:
        """Sentences, from sentence starts (set by a parser, a sentence segmenter or a reader)."""
        if not self.has_annotation("SENT_START"):
            raise ValueError(
                "Sentence boundaries are unset: add a parser or sentence segmenter to the pipeline, "
                "or set token.is_sent_start (or Doc(..., sent_starts=...))"
            )
        starts = np.flatnonzero(self.arrays["SENT_START"] == 1).tolist()
        if not starts or starts[0] != 0:
            starts = [0] + starts
        ends = starts[1:] + [len(self)]
        for s, e in zip(starts, ends):
            yield Span(self, s, e)

    # ----- entities -----------------------------------------------------------------------
    @property
    def ents(self) -> tuple[Span, ...]:
        iob = self.arrays["ENT_IOB"]
        etype = self.arrays["ENT_TYPE"]
        n = len(iob)
        if n == 0:
            return ()
        in_ent = (iob == 1) | (iob == 3)
        continues = np.zeros(n, dtype=bool)
        continues[1:] = (iob[1:] == 1) & in_ent[:-1] & (etype[1:] == etype[:-1])
        starts = np.flatnonzero(in_ent & ~continues)
        ends_mask = in_ent & ~np.append(continues[1:], False)
        ends = np.flatnonzero(ends_mask) + 1
        return tuple(Span(self, int(s), int(e), int(etype[s])) for s, e in zip(starts.tolist(), ends.tolist()))

    @ents.setter
    def ents(self, spans: Iterable[Span | tuple]) -> None:
        self.set_ents(spans, default="outside")

    def set_ents(
        self,
        entities: Iterable[Span | tuple],
        *,
        missing: Iterable[Span] | None = None,
        outside: Iterable[Span] | None = None,
        default: str = "outside",
    ) -> None:
        """Set entities; tokens outside them become "O" (`default="outside"`), missing, or stay as they were.

        Entities are Spans of this doc or (label, start, end) tuples; overlapping entities are rejected.
        """
        if default not in ("outside", "missing", "unmodified"):
            raise ValueError(f"set_ents: default must be 'outside', 'missing' or 'unmodified', not {default!r}")
        spans = sorted((self._as_span(e) for e in entities), key=lambda s: (s.start, s.end))
        for a, b in zip(spans, spans[1:]):
            if b.start < a.end:
                raise ValueError(
                    f"Overlapping entities: {a.text!r} ({a.start}-{a.end}, {a.label_}) and "
                    f"{b.text!r} ({b.start}-{b.end}, {b.label_}); a token can be in one entity only"
                )
        iob = self.arrays["ENT_IOB"]
        etype = self.arrays["ENT_TYPE"]
        if default != "unmodified":
            iob[:] = 2 if default == "outside" else 0
            etype[:] = 0
        for span in missing or ():
            iob[span.start : span.end] = 0
            etype[span.start : span.end] = 0
        for span in outside or ():
            iob[span.start : span.end] = 2
            etype[span.start : span.end] = 0
        for span in spans:
            if span.end <= span.start:
                raise ValueError(f"Empty entity span {span.start}-{span.end}")
            if not span.label:
                raise ValueError(f"Entity {span.text!r} ({span.start}-{span.end}) has no label")
            iob[span.start] = 3
            iob[span.start + 1 : span.end] = 1
            etype[span.start : span.end] = span.label

    def _as_span(self, ent: Span | tuple) -> Span:
        if isinstance(ent, Span):
            if ent.doc is not self:
                return Span(self, ent.start, ent.end, ent.label_)
            return ent
        if len(ent) == 3:
            label, start, end = ent
            if isinstance(start, str) and not isinstance(label, str):
                start, end, label = ent
            return Span(self, int(start), int(end), label)
        raise ValueError(f"Entity must be a Span or (label, start, end), got {ent!r}")

    def _set_ents_from_tags(self, tags: Sequence[str | None]) -> None:
        """IOB or BILUO tag per token -> ENT_IOB/ENT_TYPE columns; "-"/None/"" = missing."""
        strings = self.vocab.strings
        iob = self.arrays["ENT_IOB"]
        etype = self.arrays["ENT_TYPE"]
        for i, tag in enumerate(tags):
            if tag is None or tag in ("", "-"):
                iob[i], etype[i] = 0, 0
            elif tag == "O":
                iob[i], etype[i] = 2, 0
            else:
                prefix, _, label = tag.partition("-")
                if prefix not in ("B", "I", "L", "U") or not label:
                    raise ValueError(f"Doc: entity tag {tag!r} of token {i} is not an IOB/BILUO tag like 'B-PER' or 'O'")
                iob[i] = _IOB_CODES[prefix]
                etype[i] = strings.add(label)
        # An "I" that cannot continue the previous entity opens a new one (IOB1 style).
        for i in range(len(tags)):
            if iob[i] == 1 and (i == 0 or iob[i - 1] not in (1, 3) or etype[i - 1] != etype[i]):
                iob[i] = 3

    # ----- spans --------------------------------------------------------------------------
    def char_span(
        self, start_idx: int, end_idx: int, label: str | int = "", alignment_mode: str = "strict"
    ) -> Span | None:
        """The span covering characters [start_idx, end_idx), or None where it does not fit tokens.

        strict: both ends must be token boundaries; contract: the tokens fully inside;
        expand: every token the range touches.
        """
        if alignment_mode not in ("strict", "contract", "expand"):
            raise ValueError(f"alignment_mode must be 'strict', 'contract' or 'expand', not {alignment_mode!r}")
        starts = self.idx
        ends = self.token_ends
        if start_idx >= end_idx or len(self) == 0:
            return None
        if alignment_mode == "strict":
            s = int(np.searchsorted(starts, start_idx))
            e = int(np.searchsorted(ends, end_idx))
            if s >= len(self) or starts[s] != start_idx or e >= len(self) or ends[e] != end_idx:
                return None
            return Span(self, s, e + 1, label) if e >= s else None
        if alignment_mode == "contract":
            s = int(np.searchsorted(starts, start_idx, side="left"))
            e = int(np.searchsorted(ends, end_idx, side="right"))  # tokens [s, e) end within range
        else:
            s = int(np.searchsorted(ends, start_idx, side="right"))  # first token ending after start
            e = int(np.searchsorted(starts, end_idx, side="left"))  # tokens starting before end
        if e <= s:
            return None
        return Span(self, s, e, label)

    # ----- plain data ---------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable view (text, tokens with annotations, ents, cats) for display and export."""
        strings = self.vocab.strings
        tokens = []
        for tok in self:
            t: dict[str, Any] = {"id": tok.i, "start": tok.idx, "end": tok.idx + len(tok.text)}
            for key, val in (("tag", tok.tag_), ("pos", tok.pos_), ("morph", tok.morph_), ("lemma", tok.lemma_), ("dep", tok.dep_)):
                if val:
                    t[key] = val
            if self.arrays["HEAD"][tok.i] >= 0:
                t["head"] = int(self.arrays["HEAD"][tok.i])
            tokens.append(t)
        return {
            "text": self.text,
            "tokens": tokens,
            "ents": [{"start": e.start_char, "end": e.end_char, "label": strings[e.label]} for e in self.ents],
            "cats": dict(self.cats),
        }


def _sent_start_code(value: bool | int | None) -> int:
    if value is None:
        return 0
    if value is True or value == 1:
        return 1
    if value is False or value in (0, -1):
        return -1
    raise ValueError(f"sent_starts values must be True, False or None, got {value!r}")


__all__ = ["Doc", "DOC_COLUMNS", "IOB_STRINGS", "STRING_COLUMNS", "SpanGroup", "SpanGroups"]
