"""The `.nbnlp` binary corpus: many docs with their strings, compressed, read as a stream.

Layout: an 8-byte magic header, then frames. Each frame is a 4-byte little-endian length and a
zlib-compressed msgpack map holding up to `chunk_size` docs *column-wise*: one byte string per
annotation column for all the frame's tokens, the frame's own string table (so a frame decodes
on its own), token counts per doc, and each doc's `cats`, `user_data` and span groups (`spans`, a
key older files lack; absent means no groups). Reading decodes one
frame at a time, so iterating a large file never holds more than one frame. No pickle: only
msgpack and raw little-endian arrays.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import srsly

from ..doc import _COLUMN_DTYPES, STRING_COLUMNS, Doc
from ..vocab import Vocab
from .atomic import atomic_write
from .errors import CorpusError

MAGIC = b"NBNLP\x00v1"
FORMAT_VERSION = 1
DEFAULT_CHUNK_SIZE = 512
_LEN = struct.Struct("<I")


def docs_to_frame(docs: list[Doc], level: int = 6) -> bytes:
    """Encode docs (sharing one vocab) as one frame compressed at zlib `level` (1 is fastest: data-parallel
    workers get their sub-batches so every step)."""
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    columns: dict[str, np.ndarray] = {}
    for name in _COLUMN_DTYPES:
        parts = []
        for d in docs:
            arr = d.arrays[name]
            if name in STRING_COLUMNS and d.vocab is not docs[0].vocab:
                arr = docs[0].vocab.strings.add_many(d.vocab.strings[int(x)] for x in arr)
            parts.append(arr)
        columns[name] = np.concatenate(parts) if parts else np.zeros(0, _COLUMN_DTYPES[name])
    # Local string table: the frame keeps only the strings it uses, renumbered densely.
    used = np.unique(np.concatenate([columns[n] for n in STRING_COLUMNS] + [np.zeros(1, np.int32)]))
    strings = docs[0].vocab.strings
    table = [strings[int(i)] for i in used.tolist()]
    for name in STRING_COLUMNS:
        columns[name] = np.searchsorted(used, columns[name]).astype(np.int32)
    payload = {
        "version": FORMAT_VERSION,
        "strings": table,
        "lengths": lengths.astype("<i8").tobytes(),
        "columns": {name: arr.astype(np.dtype(_COLUMN_DTYPES[name]).newbyteorder("<")).tobytes() for name, arr in columns.items()},
        "cats": [d.cats for d in docs],
        "user_data": [_plain(d.user_data) for d in docs],
    }
    if any(d._spans for d in docs):
        payload["spans"] = [d._spans.to_plain() if d._spans else {} for d in docs]
    return zlib.compress(srsly.msgpack_dumps(payload), level)


def frame_to_docs(frame: bytes, vocab: Vocab) -> list[Doc]:
    """Decode one frame into docs over `vocab` (strings are added to it)."""
    payload = srsly.msgpack_loads(zlib.decompress(frame))
    if payload.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported .nbnlp frame version {payload.get('version')!r}; expected {FORMAT_VERSION}")
    mapping = vocab.strings.add_many(payload["strings"])
    lengths = np.frombuffer(payload["lengths"], dtype="<i8")
    columns = {}
    for name, dtype in _COLUMN_DTYPES.items():
        arr = np.frombuffer(payload["columns"][name], dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
        columns[name] = mapping[arr] if name in STRING_COLUMNS else arr
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    docs = []
    for k in range(len(lengths)):
        s, e = bounds[k], bounds[k + 1]
        doc = Doc.from_orths(vocab, columns["ORTH"][s:e], columns["SPACY"][s:e])
        for name in _COLUMN_DTYPES:
            doc.arrays[name] = columns[name][s:e].copy()
        doc.cats = dict(payload["cats"][k])
        doc.user_data = dict(payload["user_data"][k])
        if payload.get("spans") and payload["spans"][k]:
            doc.spans.from_plain(payload["spans"][k])
        docs.append(doc)
    return docs


def write_nbnlp(docs: Iterable[Doc], path: str | Path, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """Write docs to `path` atomically (a crash leaves no partial file); returns the number of docs."""
    count = 0
    with atomic_write(path, "wb") as out:
        out.write(MAGIC)
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= chunk_size:
                count += _write_frame(out, batch)
                batch = []
        if batch:
            count += _write_frame(out, batch)
    return count


def _write_frame(out, batch: list[Doc]) -> int:
    frame = docs_to_frame(batch)
    out.write(_LEN.pack(len(frame)))
    out.write(frame)
    return len(batch)


def read_nbnlp(path: str | Path, vocab: Vocab) -> Iterator[Doc]:
    """Stream the docs of a `.nbnlp` file, one frame in memory at a time. A file cut short or damaged is a
    CorpusError naming it and saying how far it could be read (docs and bytes)."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(len(MAGIC))
        if head != MAGIC:
            if head and MAGIC.startswith(head):
                raise CorpusError(path, None, f"cut short inside its {len(MAGIC)}-byte header ({len(head)} bytes); convert the corpus again")
            raise CorpusError(path, None, "not an .nbnlp corpus file", expected=f"header {MAGIC!r}", got=head[:16])
        frame_no = n_docs = 0
        offset = len(MAGIC)
        while True:
            size_bytes = f.read(_LEN.size)
            if not size_bytes:
                return
            frame_no += 1
            if len(size_bytes) < _LEN.size:
                raise _cut_short(path, n_docs, offset, f"frame {frame_no}'s length is incomplete")
            (size,) = _LEN.unpack(size_bytes)
            frame = f.read(size)
            if len(frame) < size:
                raise _cut_short(path, n_docs, offset, f"frame {frame_no} has {len(frame)} of its {size} bytes")
            try:
                docs = frame_to_docs(frame, vocab)
            except Exception as err:  # zlib, msgpack and the column decoding raise several types for damaged data
                raise CorpusError(
                    path, None, f"frame {frame_no} (at byte {offset}) is damaged: {err}; the first {n_docs} docs read fine. "
                    "Convert the corpus again",
                ) from None
            yield from docs
            n_docs += len(docs)
            offset += _LEN.size + size


def _cut_short(path: Path, n_docs: int, offset: int, detail: str) -> CorpusError:
    return CorpusError(
        path, None, f"the file is cut short: {detail}; the first {n_docs} docs ({offset} bytes) read fine. "
        "Convert the corpus again (nbnlp convert) or use another copy",
    )


def sniff_nbnlp(path: str | Path, head: bytes | list[str]) -> bool:
    """True for the `.nbnlp` header (`head` is the file's first bytes; decoded lines never match)."""
    return isinstance(head, (bytes, bytearray)) and bytes(head).startswith(MAGIC)


def _plain(value):
    """user_data as msgpack-able plain data (tuples become lists; other keys become strings)."""
    if isinstance(value, dict):
        return {k if isinstance(k, (str, int)) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
