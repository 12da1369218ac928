"""spaCy's `.spacy` corpus (DocBin), read without spaCy.

A DocBin is one zlib-compressed msgpack map: `attrs` (attribute symbol ids, ORTH first), `tokens`
(uint64 rows, one value per attr and token), `spaces`, `lengths` (tokens per doc), `strings` (every
string the keys stand for), `cats`, `flags` (`has_unknown_spaces`), `span_groups` (msgpack per doc)
and, when saved with user data, `user_data`. String-valued attributes are keys (see spacy_strings);
HEAD is an offset from the token, SENT_START and ENT_IOB are small codes as in nbnlp.

Read: words and spaces, TAG, POS, MORPH, LEMMA, HEAD, DEP, ENT_IOB/ENT_TYPE, SENT_START, `cats`,
span groups and user data. NORM is dropped (nbnlp's norms are lexical, from the vocab); entity and
span `kb_id`/`id` are dropped with a warning, since nbnlp's Doc has no place for them.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import srsly

from ..doc import Doc
from ..span_group import SpanGroup
from ..vocab import Vocab
from .errors import CorpusError, warn_corpus
from .spacy_strings import KeyTable, symbol_table

KIND = "a spaCy DocBin (.spacy) file"
REQUIRED_KEYS = ("attrs", "tokens", "spaces", "lengths", "strings")
STRING_ATTRS = ("ORTH", "TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_TYPE")
DROPPED_ATTRS = ("ENT_KB_ID", "ENT_ID")  # warned about where they hold values
SPAN_STRUCT = ">QQQllll"  # id, kb_id, label, start, end, start_char, end_char (big-endian)


def sniff_spacy(path: str | Path, head: bytes | list[str]) -> bool:
    """True for zlib data whose first bytes decompress to a msgpack map (a DocBin)."""
    if not isinstance(head, (bytes, bytearray)) or len(head) < 2 or head[0] != 0x78:
        return False
    try:
        first = zlib.decompressobj().decompress(bytes(head[:4096]), 16)
    except zlib.error:
        return False
    return bool(first) and (0x80 <= first[0] <= 0x8F or first[0] in (0xDE, 0xDF))


def read_spacy(path: str | Path, vocab: Vocab) -> Iterator[Doc]:
    """Yield the docs of a `.spacy` file with their annotations, strings added to `vocab`."""
    path = Path(path)
    msg = _load(path)
    names, ids, _ = symbol_table()
    attrs = [names[a] if isinstance(a, int) and 0 <= a < len(names) else str(a) for a in msg["attrs"]]
    lengths = _array(path, msg, "lengths", "<i4").astype(np.int64)
    n_tokens = int(lengths.sum())
    tokens = _array(path, msg, "tokens", "<u8")
    spaces = _array(path, msg, "spaces", "bool")
    if not attrs or "ORTH" not in attrs or tokens.size != n_tokens * len(attrs) or spaces.size != n_tokens or (lengths < 0).any():
        raise CorpusError(path, None, "not a DocBin: its token table does not match its attrs and lengths",
                          expected=f"{n_tokens} tokens x {len(attrs)} attrs including ORTH", got=f"{tokens.size} values, {spaces.size} spaces")
    tokens = tokens.reshape((n_tokens, len(attrs)))
    keys = KeyTable([s for s in msg["strings"] if isinstance(s, str)])
    doc_of = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    columns = _columns(path, vocab, keys, attrs, tokens, doc_of, starts)
    n_docs = len(lengths)
    cats = _per_doc(path, msg, "cats", n_docs, {})
    flags = _per_doc(path, msg, "flags", n_docs, {})
    groups = _per_doc(path, msg, "span_groups", n_docs, b"")
    user_data = _per_doc(path, msg, "user_data", n_docs, None)
    dropped = [a for a in DROPPED_ATTRS if a in attrs and tokens[:, attrs.index(a)].any()]
    for k in range(n_docs):
        s, e = int(starts[k]), int(starts[k + 1])
        space = np.ones(e - s, dtype=np.bool_) if (flags[k] or {}).get("has_unknown_spaces") else spaces[s:e]
        doc = Doc.from_orths(vocab, columns["ORTH"][s:e], space)
        for name, col in columns.items():
            doc.arrays[name] = col[s:e].copy()
        doc.cats = dict(cats[k] or {})
        if groups[k]:
            dropped += _read_span_groups(path, doc, keys, groups[k], k)
        if user_data[k]:
            doc.user_data.update(_decode_user_data(path, user_data[k], k))
        yield doc
    if dropped:
        warn_corpus(path, None, f"dropped {', '.join(sorted(set(dropped)))}: nbnlp's Doc does not hold knowledge-base or entity ids")


def _load(path: Path) -> dict:
    """The decoded DocBin map, or a CorpusError naming the file and what it turned out to be."""
    data = path.read_bytes()
    if not data:
        raise CorpusError(path, None, "the file is empty", expected=KIND)
    try:
        raw = zlib.decompress(data)
    except zlib.error as err:
        raise CorpusError(path, None, f"not zlib-compressed data, so not {KIND} (zlib: {err})", got=data[:16]) from None
    try:
        msg = srsly.msgpack_loads(raw)
    except Exception as err:  # msgpack raises several types for garbled input
        raise CorpusError(path, None, f"zlib data that is not msgpack, so not {KIND} ({type(err).__name__}: {err})") from None
    if not isinstance(msg, dict):
        raise CorpusError(path, None, f"not a DocBin: it decodes to a {type(msg).__name__}, not a map", expected=KIND)
    missing = [key for key in REQUIRED_KEYS if key not in msg]
    if missing:
        raise CorpusError(path, None, f"not a DocBin: the map lacks {', '.join(missing)}", expected=KIND,
                          got=sorted(str(k) for k in msg)[:8])
    if not isinstance(msg["attrs"], list) or not isinstance(msg["strings"], list):
        raise CorpusError(path, None, "not a DocBin: attrs and strings must be lists", expected=KIND)
    return msg


def _array(path: Path, msg: dict, key: str, dtype: str) -> np.ndarray:
    value = msg[key]
    if not isinstance(value, bytes) or len(value) % np.dtype(dtype).itemsize:
        raise CorpusError(path, None, f"not a DocBin: {key} is not an array of {dtype} values", got=type(value).__name__)
    return np.frombuffer(value, dtype=dtype)


def _per_doc(path: Path, msg: dict, key: str, n_docs: int, default: Any) -> list:
    values = msg.get(key)
    if values is None:
        return [default] * n_docs
    if not isinstance(values, list) or len(values) != n_docs:
        raise CorpusError(path, None, f"not a DocBin: {key} should hold one entry per doc", expected=n_docs,
                          got=len(values) if isinstance(values, list) else type(values).__name__)
    return values


def _columns(path: Path, vocab: Vocab, keys: KeyTable, attrs: list[str], tokens: np.ndarray,
             doc_of: np.ndarray, starts: np.ndarray) -> dict[str, np.ndarray]:
    """nbnlp's token columns from the DocBin's uint64 table (strings into `vocab`)."""
    columns: dict[str, np.ndarray] = {}
    for name in STRING_ATTRS:
        if name in attrs:
            columns[name] = _strings_column(path, vocab, keys, name, tokens[:, attrs.index(name)], doc_of, starts)
    if "MORPH" in columns:  # spaCy stores "no features" as the symbol "_"
        columns["MORPH"][columns["MORPH"] == vocab.strings.add("_")] = 0
    if "HEAD" in attrs:
        offsets = tokens[:, attrs.index("HEAD")].view(np.int64)
        index = np.arange(len(offsets), dtype=np.int64) - starts[doc_of]
        heads = index + offsets
        lengths = np.diff(starts)[doc_of]
        if len(heads) and ((heads < 0) | (heads >= lengths)).any():
            bad = int(np.flatnonzero((heads < 0) | (heads >= lengths))[0])
            raise CorpusError(path, None, f"doc {int(doc_of[bad]) + 1}, token {int(index[bad])}: its head lies outside the doc",
                              field="HEAD", got=int(offsets[bad]))
        unset = offsets == 0  # spaCy's unset head points to the token itself, with no label
        if "DEP" in attrs:
            unset &= tokens[:, attrs.index("DEP")] == 0
        columns["HEAD"] = np.where(unset, -1, heads).astype(np.int32)
    if "ENT_IOB" in attrs:
        iob = tokens[:, attrs.index("ENT_IOB")]
        if (iob > 3).any():
            raise CorpusError(path, None, "an ENT_IOB code is not 0-3", field="ENT_IOB", got=int(iob[iob > 3][0]))
        columns["ENT_IOB"] = iob.astype(np.uint8)
    if "SENT_START" in attrs:
        columns["SENT_START"] = tokens[:, attrs.index("SENT_START")].view(np.int64).clip(-1, 1).astype(np.int8)
    return columns


def _strings_column(path: Path, vocab: Vocab, keys: KeyTable, name: str, col: np.ndarray,
                    doc_of: np.ndarray, starts: np.ndarray) -> np.ndarray:
    uniq, inverse = np.unique(col, return_inverse=True)
    texts = []
    for key in uniq.tolist():
        text = keys.get(key)
        if text is None:
            bad = int(np.flatnonzero(col == key)[0])
            doc = int(doc_of[bad])
            raise CorpusError(path, None, f"doc {doc + 1}, token {bad - int(starts[doc])}: string key {key} is not in the "
                              "file's string table (a DocBin written without its strings?)", field=name)
        texts.append(text)
    return vocab.strings.add_many(texts)[inverse.reshape(-1)].astype(np.int32)


def _read_span_groups(path: Path, doc: Doc, keys: KeyTable, data: bytes, k: int) -> list[str]:
    """Fill `doc.spans` from a doc's span-group bytes; returns what was dropped (ids) for the warning."""
    try:
        msg = srsly.msgpack_loads(data)
        entries = [(g, [None]) for g in msg] if isinstance(msg, list) else list(msg.items())
        decoded = [(srsly.msgpack_loads(g), names) for g, names in entries]
    except Exception as err:  # garbled msgpack, or a map where bytes were expected
        raise CorpusError(path, None, f"doc {k + 1}: its span groups do not decode ({type(err).__name__}: {err})") from None
    dropped: list[str] = []
    for group, names in decoded:
        rows = [_unpack_span(path, raw, k) for raw in group.get("spans", [])]
        if any(r[0] or r[1] for r in rows):
            dropped.append("span kb_id/id")
        labels = []
        for r in rows:
            text = keys.get(r[2])
            if text is None:
                raise CorpusError(path, None, f"doc {k + 1}: span group {group.get('name')!r} has label key {r[2]}, "
                                  "which is not in the file's string table", field="span_groups")
            labels.append(text)
        label_ids = doc.vocab.strings.add_many(labels)
        for key in names:
            key = group.get("name", "") if key is None else key
            try:
                built = SpanGroup.from_arrays(doc, [r[3] for r in rows], [r[4] for r in rows], label_ids,
                                              name=group.get("name", key), attrs=group.get("attrs"))
            except ValueError as err:
                raise CorpusError(path, None, f"doc {k + 1}: {err}", field="span_groups") from None
            doc.spans[key] = built
    return dropped


def _unpack_span(path: Path, raw: Any, k: int) -> tuple:
    import struct

    try:
        return struct.unpack(SPAN_STRUCT, raw)
    except (struct.error, TypeError):
        raise CorpusError(path, None, f"doc {k + 1}: a span is not the 40 bytes DocBin packs", field="span_groups") from None


def _decode_user_data(path: Path, data: bytes, k: int) -> dict:
    try:
        value = srsly.msgpack_loads(data, use_list=False)  # tuple keys (spaCy's extension attributes) stay hashable
    except Exception as err:
        raise CorpusError(path, None, f"doc {k + 1}: its user data does not decode ({type(err).__name__}: {err})") from None
    if not isinstance(value, dict):
        raise CorpusError(path, None, f"doc {k + 1}: its user data is a {type(value).__name__}, not a map", field="user_data")
    return {key: _lists(v) for key, v in value.items()}


def _lists(value: Any) -> Any:
    """Tuples back to lists inside values (msgpack has one array type; nbnlp's user data uses lists)."""
    if isinstance(value, tuple):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {key: _lists(v) for key, v in value.items()}
    return value
