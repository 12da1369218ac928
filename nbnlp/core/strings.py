"""String store: every string a document uses gets a small dense integer id.

Dense ids (0, 1, 2, ...) let documents keep their text columns as int32 arrays and let the
vocabulary keep lexical attributes as arrays indexed by id, so feature extraction is array
indexing. Ids are local to one store; `hashes` gives stable 64-bit hashes for models, which
must not depend on the order strings were first seen.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

import numpy as np


def hash_string(text: str) -> int:
    """Stable 64-bit hash of a string (the same in every process and on every machine)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf8"), digest_size=8).digest(), "little")


class StringStore:
    """Bidirectional map between strings and dense ids; id 0 is always the empty string."""

    def __init__(self, strings: Iterable[str] = ()) -> None:
        self._strings: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}
        self._hashes = np.zeros((1,), dtype=np.uint64)
        self._n_hashed = 1
        self._lengths = np.zeros((1,), dtype=np.int32)
        for s in strings:
            self.add(s)

    def add(self, string: str) -> int:
        """Return the id of `string`, adding it if new."""
        key = self._ids.get(string)
        if key is None:
            if not isinstance(string, str):
                raise TypeError(f"StringStore.add expects str, got {type(string).__name__}: {string!r}")
            key = len(self._strings)
            self._strings.append(string)
            self._ids[string] = key
        return key

    def add_many(self, strings: Iterable[str]) -> np.ndarray:
        """Ids of many strings at once (adding new ones), as an int32 array."""
        ids = self._ids
        add = self.add
        return np.fromiter((ids.get(s) if s in ids else add(s) for s in strings), dtype=np.int32)

    def lookup_many(self, ids: Iterable[int]) -> list[str]:
        """Strings of many ids at once: one C-level pass (`map`), no Python call per id."""
        return list(map(self._strings.__getitem__, ids))

    @property
    def by_id(self) -> list[str]:
        """The strings in id order: the store's own list, not a copy, for hot loops; never modify it."""
        return self._strings

    def get(self, string: str, default: int | None = None) -> int | None:
        return self._ids.get(string, default)

    def __getitem__(self, key: int | str) -> str | int:
        if isinstance(key, str):
            try:
                return self._ids[key]
            except KeyError:
                raise KeyError(f"String not in store: {key!r}") from None
        return self._strings[int(key)]

    def __contains__(self, string: object) -> bool:
        return string in self._ids

    def __len__(self) -> int:
        return len(self._strings)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strings)

    def as_list(self) -> list[str]:
        """Strings in id order (a copy)."""
        return list(self._strings)

    @property
    def hashes(self) -> np.ndarray:
        """uint64 array: the stable hash of each string, indexed by id (computed once per string)."""
        n = len(self._strings)
        if self._n_hashed < n:
            new = np.fromiter((hash_string(s) for s in self._strings[self._n_hashed:n]), dtype=np.uint64)
            self._hashes = np.concatenate([self._hashes[: self._n_hashed], new])
            self._n_hashed = n
        return self._hashes

    @property
    def lengths(self) -> np.ndarray:
        """int32 array: the length in characters of each string, indexed by id."""
        n = len(self._strings)
        have = len(self._lengths)
        if have < n:
            new = np.fromiter((len(s) for s in self._strings[have:n]), dtype=np.int32, count=n - have)
            self._lengths = np.concatenate([self._lengths, new])
        return self._lengths
