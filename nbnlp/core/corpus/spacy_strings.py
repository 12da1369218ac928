"""spaCy's string keys, without spaCy: a `.spacy` file stores strings as 64-bit keys.

A key is either one of spaCy's fixed symbol ids (common labels and attribute names such as "NOUN",
"nsubj", "ORTH"; the table is data in `nbnlp/data/spacy_symbols.json`, made from spaCy 3.8's
`spacy.symbols.NAMES` by tests/fixtures/spacy/make_fixtures.py), or MurmurHash64A, seed 1, of the
string's UTF-8 bytes (spaCy's `StringStore` calls murmurhash's C `hash64(chars, len, 1)`, which the
`murmurhash` Python package does not expose, hence the pure-Python version here). "" is key 0.
"""
from __future__ import annotations

import json
import struct
from functools import lru_cache
from importlib import resources

_M = 0xC6A4A7935BD1E995
_R = 47
_MASK = (1 << 64) - 1
SEED = 1


def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit, little-endian blocks) of `data`."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK
    n_blocks = n // 8
    for k in struct.unpack_from(f"<{n_blocks}Q", data):
        k = (k * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    tail = data[n_blocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> _R
    h = (h * _M) & _MASK
    h ^= h >> _R
    return h


@lru_cache(maxsize=1)
def symbol_table() -> tuple[tuple[str, ...], dict[str, int], str]:
    """spaCy's symbol names by id, ids by name, and the spaCy version the table was taken from."""
    raw = resources.files("nbnlp.data").joinpath("spacy_symbols.json").read_text(encoding="utf8")
    table = json.loads(raw)
    names = tuple(table["names"])
    return names, {name: i for i, name in enumerate(names)}, table["spacy_version"]


@lru_cache(maxsize=1 << 16)
def spacy_key(text: str) -> int:
    """The 64-bit key spaCy stores for `text`: 0 for "", a symbol id for a symbol's name, else its hash."""
    if not text:
        return 0
    symbol = symbol_table()[1].get(text)
    if symbol is not None:
        return symbol
    return murmurhash64a(text.encode("utf8"))


class KeyTable:
    """key -> string for one `.spacy` file: its string list plus spaCy's symbols."""

    def __init__(self, strings: list[str]) -> None:
        self.names = symbol_table()[0]
        self.by_key: dict[int, str] = {spacy_key(s): s for s in strings}
        self.by_key[0] = ""

    def get(self, key: int) -> str | None:
        """The string of `key`, or None where the file does not hold it."""
        text = self.by_key.get(key)
        if text is None and key < len(self.names):
            return self.names[key]
        return text
