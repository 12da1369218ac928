"""`Example`: a predicted Doc paired with its gold reference Doc, for training and evaluation.

Components learn from the reference annotation but predict over the predicted tokenization, so
the annotation has to be projected onto the predicted tokens. The `get_aligned*` methods do that
through the `Alignment` of the two tokenizations, with one rule throughout:

* one-to-one (a predicted token and a reference token overlap each other and nothing else): the
  reference value is copied;
* one-to-many (a predicted token spans several reference tokens, e.g. "don't" vs "do" + "n't"),
  many-to-one (several predicted tokens inside one reference token) and partial overlaps: the
  value is missing (None, or "-" for entity tags), since no single gold value fits;
* predicted tokens made only of whitespace overlap nothing and get missing values.

Entities and sentence starts are boundary annotations, so they carry over wherever the
boundaries do (see `get_aligned_ner` and `get_aligned_sent_starts`).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from .alignment import Alignment
from .attrs import normalize_attr
from .biluo import (
    MISSING,
    _raise_if_invalid_biluo,
    doc_to_biluo_tags,
    iob_to_biluo,
    offsets_to_biluo_tags,
)
from .doc import STRING_COLUMNS, Doc
from .nonproj import PROJECTIVE_DELIMITER, projectivize_heads
from .span import Span

_DICT_KEYS = {
    "words", "spaces", "tags", "pos", "morphs", "lemmas", "heads", "deps", "entities", "cats", "sent_starts",
}


class Example:
    """A predicted Doc (`x`) and a reference Doc (`y`) with the same text, and their alignment."""

    def __init__(self, predicted: Doc, reference: Doc, alignment: Alignment | None = None) -> None:
        if not isinstance(predicted, Doc) or not isinstance(reference, Doc):
            raise TypeError(
                f"Example(predicted, reference) takes two Docs, got {type(predicted).__name__} and "
                f"{type(reference).__name__}; use Example.from_dict(doc, annotations) for a dict"
            )
        self.predicted = predicted
        self.reference = reference
        self._alignment = alignment
        self._projective: tuple[np.ndarray, np.ndarray] | None = None

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, predicted: Doc, data: dict[str, Any]) -> "Example":
        """Build the reference Doc from plain annotations over `predicted`'s text.

        Keys: words, spaces, tags, pos, morphs, lemmas, heads (absolute indices), deps, entities,
        cats, sent_starts. Without "words" the reference reuses the predicted words and spaces.
        "entities" may be BILUO tags, IOB tags, or (start_char, end_char, label) offsets into the
        reference text.
        """
        if not isinstance(predicted, Doc):
            raise TypeError(f"Example.from_dict expects a Doc first, got {type(predicted).__name__}")
        if not isinstance(data, dict):
            raise TypeError(f"Example.from_dict expects a dict of annotations, got {type(data).__name__}")
        unknown = set(data) - _DICT_KEYS
        if unknown:
            raise ValueError(f"Example.from_dict: unknown keys {sorted(unknown)}; expected some of {sorted(_DICT_KEYS)}")
        if data.get("words") is None:
            words, spaces = predicted.words, data.get("spaces")
            if spaces is None:
                spaces = predicted.arrays["SPACY"].tolist()
        else:
            words, spaces = list(data["words"]), data.get("spaces")
        reference = Doc(
            predicted.vocab,
            words,
            spaces,
            tags=data.get("tags"),
            pos=data.get("pos"),
            morphs=data.get("morphs"),
            lemmas=data.get("lemmas"),
            heads=data.get("heads"),
            deps=data.get("deps"),
            sent_starts=data.get("sent_starts"),
            cats=data.get("cats"),
        )
        entities = data.get("entities")
        if entities is not None:
            reference._set_ents_from_tags(_entities_to_biluo(reference, entities))
        return cls(predicted, reference)

    def to_dict(self) -> dict[str, Any]:
        """The reference annotation as plain data (the format `from_dict` reads; entities as BILUO)."""
        y = self.reference
        strings = y.vocab.strings

        def column(name: str) -> list[str | None]:
            return [strings[i] if i else None for i in y.arrays[name].tolist()]

        starts = y.arrays["SENT_START"].tolist()
        return {
            "words": y.words,
            "spaces": y.arrays["SPACY"].tolist(),
            "tags": column("TAG"),
            "pos": column("POS"),
            "morphs": column("MORPH"),
            "lemmas": column("LEMMA"),
            "heads": [h if h >= 0 else None for h in y.arrays["HEAD"].tolist()],
            "deps": column("DEP"),
            "entities": doc_to_biluo_tags(y),
            "cats": dict(y.cats),
            "sent_starts": [None if s == 0 else s == 1 for s in starts],
        }

    def copy(self) -> "Example":
        return Example(self.predicted.copy(), self.reference.copy(), self._alignment)

    # ----- basics -------------------------------------------------------------------------
    @property
    def x(self) -> Doc:
        return self.predicted

    @property
    def y(self) -> Doc:
        return self.reference

    @property
    def text(self) -> str:
        return self.predicted.text

    def __len__(self) -> int:
        return len(self.predicted)

    def __repr__(self) -> str:
        return f"Example(predicted={self.predicted.text!r}, reference tokens={len(self.reference)})"

    @property
    def alignment(self) -> Alignment:
        """Alignment of predicted to reference tokens, computed on first use.

        The words of a Doc never change, so the cached alignment stays valid.
        """
        if self._alignment is None:
            self._alignment = Alignment.from_docs(self.predicted, self.reference)
        return self._alignment

    # ----- token attributes ---------------------------------------------------------------
    def get_aligned_ids(self, attr: str) -> np.ndarray:
        """String ids (in the predicted vocab) of a reference column per predicted token; -1 = missing.

        The array form of `get_aligned` for model code: a value is copied only where the tokens
        align one-to-one and the reference token has one.
        """
        name = normalize_attr(attr)
        if name not in STRING_COLUMNS:
            raise ValueError(
                f"get_aligned: {name} is not a string annotation; expected one of {', '.join(STRING_COLUMNS)} "
                "(use get_aligned_parse for HEAD, get_aligned_ner for entities, get_aligned_sent_starts)"
            )
        one = self.alignment.x2y_one_to_one
        out = np.full(len(one), -1, dtype=np.int64)
        ok = one >= 0
        out[ok] = self.reference.arrays[name][one[ok]]
        out[out == 0] = -1  # id 0 is the empty string: the reference token has no value
        return self._to_predicted_ids(out)

    def get_aligned(self, attr: str, as_string: bool = False) -> list[int | str | None]:
        """A reference annotation (TAG, POS, MORPH, LEMMA, ORTH, DEP, ...) per predicted token.

        Only one-to-one aligned tokens get a value; all others get None. Values are string ids
        of the predicted vocab, or strings with `as_string=True`.
        """
        ids = self.get_aligned_ids(attr).tolist()
        if not as_string:
            return [None if i < 0 else i for i in ids]
        strings = self.predicted.vocab.strings
        return [None if i < 0 else strings[i] for i in ids]

    def _to_predicted_ids(self, ids: np.ndarray) -> np.ndarray:
        """Reference string ids -> predicted string ids (the same when the Docs share a vocab)."""
        src, dst = self.reference.vocab.strings, self.predicted.vocab.strings
        if src is dst:
            return ids
        uniq, inverse = np.unique(ids, return_inverse=True)
        mapped = np.array([-1 if u < 0 else dst.add(src[int(u)]) for u in uniq.tolist()], dtype=np.int64)
        return mapped[inverse.reshape(ids.shape)]

    # ----- parse --------------------------------------------------------------------------
    def get_aligned_parse(self, projectivize: bool = False) -> tuple[list[int | None], list[str | None]]:
        """Reference heads (as predicted token indices) and dependency labels per predicted token.

        A token gets a head and label only when it aligns one-to-one and so does its head; else
        None for both. With `projectivize=True` the reference tree is first made projective by
        lifting non-projective arcs, whose labels become "dep||label_of_original_head".
        """
        y = self.reference
        if projectivize and y.has_annotation("HEAD"):
            heads_y, deps_y = self._projective_reference()
        else:
            heads_y, deps_y = y.arrays["HEAD"].astype(np.int64), y.arrays["DEP"].astype(np.int64)
        align = self.alignment
        x2y, y2x = align.x2y_one_to_one, align.y2x_one_to_one
        heads = np.full(len(x2y), -1, dtype=np.int64)
        ok = np.flatnonzero(x2y >= 0)
        gold_heads = heads_y[x2y[ok]]
        heads[ok] = np.where(gold_heads >= 0, y2x[np.maximum(gold_heads, 0)], -1)
        has = heads >= 0
        dep_ids = np.zeros(len(x2y), dtype=np.int64)
        dep_ids[has] = deps_y[x2y[has]]
        strings = y.vocab.strings
        return (
            [h if h >= 0 else None for h in heads.tolist()],
            [strings[d] if (h >= 0 and d) else None for h, d in zip(heads.tolist(), dep_ids.tolist())],
        )

    def _projective_reference(self) -> tuple[np.ndarray, np.ndarray]:
        if self._projective is None:
            y = self.reference
            heads, lifted_from = projectivize_heads(y.arrays["HEAD"])
            original = y.arrays["DEP"]
            deps = original.astype(np.int64)
            strings = y.vocab.strings
            for d in np.flatnonzero(lifted_from >= 0).tolist():
                head_label = strings[int(original[lifted_from[d]])]
                if head_label:
                    deps[d] = strings.add(f"{strings[int(original[d])]}{PROJECTIVE_DELIMITER}{head_label}")
            self._projective = (heads, deps)
        return self._projective

    # ----- entities -----------------------------------------------------------------------
    def get_aligned_ents_and_ner(self) -> tuple[list[Span], list[str]]:
        """Reference entities projected onto predicted tokens, as Spans and as BILUO tags.

        An entity carries over when the predicted tokens overlapping it lie entirely inside it;
        otherwise its boundaries cannot be expressed and those tokens get "-". Tokens aligned only
        to reference "O" tokens get "O"; tokens touching unannotated reference tokens get "-".
        Whitespace-only predicted tokens get "O" (or the tag of the entity around them). A
        reference without any entity annotation gives "-" everywhere.
        """
        x, y = self.predicted, self.reference
        nx = len(x)
        y_iob = y.arrays["ENT_IOB"]
        if not y_iob.any():
            return [], [MISSING] * nx
        y_type = y.arrays["ENT_TYPE"]
        ny = len(y)
        # Entity index of each reference token (-1 outside), numbered as in Doc.ents.
        in_ent = (y_iob == 1) | (y_iob == 3)
        cont = np.zeros(ny, dtype=bool)
        cont[1:] = (y_iob[1:] == 1) & in_ent[:-1] & (y_type[1:] == y_type[:-1])
        ent_starts = in_ent & ~cont
        ent_of = np.where(in_ent, np.cumsum(ent_starts) - 1, -1)
        ent_label = y_type[ent_starts]
        n_ents = len(ent_label)

        x2y = self.alignment.x2y
        lengths = x2y.lengths.astype(np.int64)
        aligned = lengths > 0
        pair_x = np.repeat(np.arange(nx), lengths)
        pair_ent = ent_of[x2y.data]
        pair_iob = y_iob[x2y.data]
        n_in_ent = np.bincount(pair_x, weights=pair_ent >= 0, minlength=nx)
        n_missing = np.bincount(pair_x, weights=pair_iob == 0, minlength=nx)
        first_ent = np.full(nx, -1, dtype=np.int64)
        last_ent = np.full(nx, -1, dtype=np.int64)
        first_ent[aligned] = pair_ent[x2y.starts[aligned]]
        last_ent[aligned] = pair_ent[x2y.ends[aligned] - 1]
        # Entity ids rise with the token index, so "all pairs in entity k" is first == last == k.
        pure = aligned & (n_in_ent == lengths) & (first_ent == last_ent)
        broken = np.zeros(n_ents, dtype=bool)
        broken[pair_ent[(~pure)[pair_x] & (pair_ent >= 0)]] = True

        prefixes = np.full(nx, "O", dtype="<U1")
        prefixes[aligned & (n_missing > 0)] = MISSING
        prefixes[n_in_ent > 0] = MISSING
        labels = np.zeros(nx, dtype=np.int64)
        pure_x = np.flatnonzero(pure)
        pure_ent = first_ent[pure_x]
        keep = ~broken[pure_ent]
        pure_x, pure_ent = pure_x[keep], pure_ent[keep]
        ents, first_idx = np.unique(pure_ent, return_index=True)
        last_idx = len(pure_ent) - 1 - np.unique(pure_ent[::-1], return_index=True)[1]
        a, b = pure_x[first_idx], pure_x[last_idx] + 1
        span_lengths = b - a
        covered = np.repeat(a - np.cumsum(span_lengths) + span_lengths, span_lengths) + np.arange(span_lengths.sum())
        prefixes[covered] = "I"
        labels[covered] = np.repeat(ent_label[ents], span_lengths)
        prefixes[b - 1] = "L"
        prefixes[a] = "B"
        prefixes[a[span_lengths == 1]] = "U"

        strings = y.vocab.strings
        label_text = {int(i): strings[int(i)] for i in np.unique(labels[covered]).tolist()}
        tags = [
            p if p in ("O", MISSING) else f"{p}-{label_text[lab]}"
            for p, lab in zip(prefixes.tolist(), labels.tolist())
        ]
        spans = [
            Span(x, s, e, label_text[int(lab)])
            for s, e, lab in zip(a.tolist(), b.tolist(), ent_label[ents].tolist())
        ]
        return spans, tags

    def get_aligned_ner(self) -> list[str]:
        """BILUO tags over predicted tokens (see `get_aligned_ents_and_ner` for the rules)."""
        return self.get_aligned_ents_and_ner()[1]

    # ----- sentences ----------------------------------------------------------------------
    def get_aligned_sent_starts(self) -> list[bool | None]:
        """Reference sentence starts per predicted token: True, False or None (unknown).

        A predicted token that starts where its first reference token starts takes that token's
        value; one that starts inside a reference token is False (a sentence cannot start inside
        a token); one with a reference sentence start strictly inside it, or aligned to nothing,
        is None. One-to-one tokens thus copy the reference value.
        """
        return [None if c == 0 else c == 1 for c in self.aligned_sent_start_codes().tolist()]

    def aligned_sent_start_codes(self) -> np.ndarray:
        """`get_aligned_sent_starts` as an int8 array: 1 start, -1 not a start, 0 unknown."""
        x, y = self.predicted, self.reference
        nx = len(x)
        if not y.has_annotation("SENT_START"):
            return np.zeros(nx, dtype=np.int8)
        starts_y = y.arrays["SENT_START"].astype(np.int64)
        starts_y[0] = 1
        x2y, y2x = self.alignment.x2y, self.alignment.y2x
        lengths = x2y.lengths.astype(np.int64)
        aligned = np.flatnonzero(lengths > 0)
        first_y = x2y.data[x2y.starts[aligned]]
        at_boundary = y2x.data[y2x.starts[first_y]] == aligned
        pair_x = np.repeat(np.arange(nx), lengths)
        inner = np.ones(len(pair_x), dtype=bool)
        inner[x2y.starts[aligned]] = False
        n_inner_starts = np.bincount(pair_x, weights=inner & (starts_y[x2y.data] == 1), minlength=nx)
        code = np.zeros(nx, dtype=np.int8)
        code[aligned] = np.where(at_boundary, starts_y[first_y], -1)
        code[n_inner_starts > 0] = 0
        return code

    # ----- spans --------------------------------------------------------------------------
    def get_aligned_spans_y2x(self, spans: Iterable[Span], allow_overlap: bool = False) -> list[Span]:
        """Reference spans as spans of predicted tokens (all predicted tokens they overlap).

        Spans that overlap no predicted token are dropped; without `allow_overlap`, so is a span
        overlapping one already returned.
        """
        return _project_spans(spans, self.reference, self.predicted, self.alignment.y2x, allow_overlap)

    def get_aligned_spans_x2y(self, spans: Iterable[Span], allow_overlap: bool = False) -> list[Span]:
        """Predicted spans as spans of reference tokens (the mirror of `get_aligned_spans_y2x`)."""
        return _project_spans(spans, self.predicted, self.reference, self.alignment.x2y, allow_overlap)

    # ----- splitting ----------------------------------------------------------------------
    def split_sents(self) -> list["Example"]:
        """One Example per reference sentence (the predicted doc is cut at the matching tokens).

        Reference sentence boundaries that fall inside a predicted token cannot be cut, so the
        sentences on either side stay together.
        """
        y = self.reference
        if not y.has_annotation("SENT_START") or len(y) == 0:
            return [self]
        starts_y = np.flatnonzero(y.arrays["SENT_START"] == 1)
        starts_y = starts_y[starts_y > 0]
        y2x, x2y = self.alignment.y2x, self.alignment.x2y
        # The boundary before reference token j maps to the first predicted token overlapping
        # j, if that token starts at j; whitespace-only reference tokens push it to the next one.
        has_x = y2x.lengths > 0
        nxt = np.searchsorted(np.flatnonzero(has_x), starts_y)
        with_x = np.flatnonzero(has_x)
        valid = nxt < len(with_x)
        j = with_x[nxt[valid]]
        cand_y, first_x = starts_y[valid], y2x.data[y2x.starts[j]].astype(np.int64)
        clean = x2y.data[x2y.starts[first_x]] == j
        cand_y, first_x = cand_y[clean], first_x[clean]
        # Whitespace-only reference sentences give no new cut; they join the next sentence.
        fresh = (first_x > 0) & (first_x != np.concatenate([[0], first_x[:-1]]))
        cand_y, first_x = cand_y[fresh], first_x[fresh]
        if len(cand_y) == 0:
            return [self]
        cuts_y = np.concatenate([[0], cand_y, [len(y)]])
        cuts_x = np.concatenate([[0], first_x, [len(self.predicted)]])
        out = []
        for k in range(len(cuts_y) - 1):
            ys, ye, xs, xe = (int(v) for v in (cuts_y[k], cuts_y[k + 1], cuts_x[k], cuts_x[k + 1]))
            out.append(Example(_slice_doc(self.predicted, xs, xe), _slice_doc(y, ys, ye)))
        return out


# ----- helpers ------------------------------------------------------------------------------
def _entities_to_biluo(doc: Doc, entities: Sequence[Any]) -> list[str]:
    """BILUO tags from BILUO tags, IOB tags or (start_char, end_char, label) offsets."""
    entities = list(entities)
    if not entities:
        return ["O"] * len(doc)
    if all(e is None or isinstance(e, str) for e in entities):
        if len(entities) != len(doc):
            raise ValueError(f"Example.from_dict: got {len(entities)} entity tags for {len(doc)} reference tokens")
        if any(e and e[:2] in ("L-", "U-") for e in entities):
            _raise_if_invalid_biluo(entities)
            return [MISSING if e is None else e for e in entities]
        return iob_to_biluo(entities)
    if all(isinstance(e, (tuple, list)) and len(e) == 3 for e in entities):
        return offsets_to_biluo_tags(doc, entities, missing="O")
    raise ValueError(
        "Example.from_dict: 'entities' must be BILUO or IOB tags (one per token) or "
        f"(start_char, end_char, label) triples, got {entities[:3]!r}..."
    )


def _project_spans(
    spans: Iterable[Span], source: Doc, target: Doc, mapping: Any, allow_overlap: bool
) -> list[Span]:
    out: list[Span] = []
    taken = np.zeros(len(target), dtype=bool)
    for span in spans:
        if span.doc is not source:
            raise ValueError(f"Span {span.text!r} does not belong to the Doc being projected from")
        if span.end <= span.start:
            continue
        lo, hi = int(mapping.starts[span.start]), int(mapping.ends[span.end - 1])
        if hi <= lo:
            continue
        s, e = int(mapping.data[lo]), int(mapping.data[hi - 1]) + 1
        if not allow_overlap:
            if taken[s:e].any():
                continue
            taken[s:e] = True
        out.append(Span(target, s, e, source.vocab.strings[span.label]))
    return out


def _slice_doc(doc: Doc, start: int, end: int) -> Doc:
    """Tokens [start, end) as a new Doc with their annotation (heads outside the slice unset)."""
    sub = Doc.from_orths(doc.vocab, doc.arrays["ORTH"][start:end], doc.arrays["SPACY"][start:end])
    for name, arr in doc.arrays.items():
        sub.arrays[name] = arr[start:end].copy()
    heads = sub.arrays["HEAD"]
    inside = (heads >= start) & (heads < end)
    heads[:] = np.where(inside, heads - start, -1)
    if end > start:
        sub.arrays["SENT_START"][0] = 1
        if sub.arrays["ENT_IOB"][0] == 1:
            sub.arrays["ENT_IOB"][0] = 3
    sub.cats = dict(doc.cats)
    return sub


__all__ = ["Example"]
