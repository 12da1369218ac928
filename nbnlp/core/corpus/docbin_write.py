"""Write nbnlp docs as spaCy's `.spacy` (DocBin) files, which `spacy.tokens.DocBin().from_disk` reads.

What a Doc holds goes over: words and spaces, TAG, POS, MORPH, LEMMA, HEAD, DEP, ENT_IOB/ENT_TYPE,
SENT_START, `cats`, span groups, and user data where msgpack can encode it (other entries are
left out with a warning). spaCy's POS is a closed set (the Universal POS tags), so another POS
value is an error rather than a silent loss. Morphology is written in spaCy's normal form (its
`Field=Value` parts sorted as plain strings, multiple values sorted), the only form spaCy finds
again by key; UD's own order sorts case-insensitively, so "Number=Ptan|NumForm=Combi" becomes
"NumForm=Combi|Number=Ptan".
"""
from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import srsly
import zlib

from ..doc import Doc
from .atomic import atomic_write
from .docbin import SPAN_STRUCT
from .spacy_strings import spacy_key, symbol_table

DOCBIN_VERSION = "0.1"
WRITTEN_ATTRS = ("ORTH", "LEMMA", "POS", "TAG", "DEP", "ENT_IOB", "ENT_TYPE", "HEAD", "SENT_START", "MORPH")
STRING_ATTRS = ("ORTH", "TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE")


def universal_pos() -> frozenset[str]:
    """The POS values spaCy can store: its symbols from ADJ to SPACE."""
    names = symbol_table()[0]
    return frozenset(names[names.index("ADJ") : names.index("SPACE") + 1])


def write_spacy(docs: Iterable[Doc], path: str | Path) -> int:
    """Write docs to `path` as one DocBin, atomically; returns the number of docs."""
    ids = symbol_table()[1]
    attrs = sorted((ids[a] for a in WRITTEN_ATTRS if a != "ORTH"))
    attrs.insert(0, ids["ORTH"])
    names = [symbol_table()[0][a] for a in attrs]
    rows: list[np.ndarray] = []
    spaces: list[np.ndarray] = []
    strings: set[str] = set()
    cats: list[dict] = []
    groups: list[bytes] = []
    user_data: list[bytes] = []
    for doc in docs:
        rows.append(_token_rows(doc, names, strings))
        spaces.append(np.asarray(doc.arrays["SPACY"], dtype=np.bool_))
        cats.append(dict(doc.cats))
        groups.append(_span_groups_bytes(doc, strings))
        user_data.append(srsly.msgpack_dumps(_msgpack_safe(doc.user_data, path)))
    strings.discard("")
    msg: dict[str, Any] = {
        "version": DOCBIN_VERSION,
        "attrs": attrs,
        "tokens": (np.vstack(rows) if rows else np.zeros((0, len(attrs)), np.uint64)).astype("<u8").tobytes(),
        "spaces": (np.concatenate(spaces) if spaces else np.zeros(0, np.bool_)).tobytes(),
        "lengths": np.array([len(r) for r in rows], dtype="<i4").tobytes(),
        "strings": sorted(strings),
        "cats": cats,
        "flags": [{"has_unknown_spaces": False} for _ in rows],
        "span_groups": groups,
        "user_data": user_data,
    }
    with atomic_write(path, "wb") as out:
        out.write(zlib.compress(srsly.msgpack_dumps(msg)))
    return len(rows)


def _token_rows(doc: Doc, names: list[str], strings: set[str]) -> np.ndarray:
    """The doc's (n_tokens, n_attrs) uint64 table, in `names` order; the strings it uses go into `strings`."""
    n = len(doc)
    table = np.zeros((n, len(names)), dtype=np.uint64)
    by_id = doc.vocab.strings.by_id
    for j, name in enumerate(names):
        col = doc.arrays[name]
        if name in STRING_ATTRS:
            uniq, inverse = np.unique(col, return_inverse=True)
            texts = [by_id[i] for i in uniq.tolist()]
            if name == "MORPH":
                texts = [spacy_morph(t) for t in texts]
            if name == "POS":
                _check_pos(doc, texts)
            else:
                strings.update(texts)
            table[:, j] = np.array([spacy_key(t) for t in texts], dtype=np.uint64)[inverse.reshape(-1)] if n else 0
        elif name == "HEAD":
            heads = col.astype(np.int64)
            offsets = np.where(heads >= 0, heads - np.arange(n, dtype=np.int64), 0)
            table[:, j] = offsets.view(np.uint64)
        else:  # ENT_IOB, SENT_START: small codes, -1 as its 64-bit two's complement
            table[:, j] = col.astype(np.int64).view(np.uint64)
    return table


def spacy_morph(feats: str) -> str:
    """`feats` in spaCy's normal form: "Field=Value" parts sorted, each field's comma-separated values sorted."""
    if not feats or feats == "_":
        return ""
    parts = []
    for part in feats.split("|"):
        field, eq, values = part.partition("=")
        parts.append(f"{field}={','.join(sorted(values.split(',')))}" if eq else part)
    return "|".join(sorted(parts))


def _check_pos(doc: Doc, texts: list[str]) -> None:
    allowed = universal_pos()
    bad = [t for t in texts if t and t not in allowed]
    if bad:
        raise ValueError(f"{doc.text[:40]!r}...: POS {bad[0]!r} cannot go into a .spacy file: spaCy's POS holds the Universal "
                         f"POS tags only ({', '.join(sorted(allowed))}); keep it as the tag (TAG) instead")


def _span_groups_bytes(doc: Doc, strings: set[str]) -> bytes:
    """A doc's span groups as DocBin stores them: {group bytes: [keys]} (keys sharing a group share bytes)."""
    if not doc._spans:
        return srsly.msgpack_dumps([])
    starts, ends = doc.idx, doc.token_ends
    msg: dict[bytes, list[str]] = {}
    for key, group in doc.spans.items():
        packed = []
        for span in group:
            strings.add(span.label_)
            start_char = int(starts[span.start]) if span.start < len(doc) else len(doc.text)
            end_char = int(ends[span.end - 1]) if span.end > span.start else start_char
            packed.append(struct.pack(SPAN_STRUCT, 0, 0, spacy_key(span.label_), span.start, span.end, start_char, end_char))
        data = srsly.msgpack_dumps({"name": group.name or key, "attrs": _msgpack_safe(group.attrs, None), "spans": packed})
        msg.setdefault(data, []).append(key)
    return srsly.msgpack_dumps(msg)


def _msgpack_safe(data: dict, path: str | Path | None) -> dict:
    """The entries of `data` msgpack can encode; the others are left out, with one warning naming them."""
    safe, left_out = {}, []
    for key, value in data.items():
        try:
            srsly.msgpack_dumps({key: value})
        except Exception:  # TypeError for objects msgpack does not know, ValueError/OverflowError for odd values
            left_out.append(repr(key))
            continue
        safe[key] = value
    if left_out:
        where = f"{path}: " if path is not None else ""
        warnings.warn(f"{where}user data {', '.join(left_out)} left out of the .spacy file: msgpack cannot encode it", stacklevel=3)
    return safe
