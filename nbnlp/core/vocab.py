"""Vocabulary: the string store plus lexical attributes cached per unique string.

Lexical attributes (lower, norm, shape, is_punct, ...) depend only on a word's text, so they are
computed once for each new string and kept in arrays indexed by string id. Getting the NORM of
every token of a batch is then `vocab.attr("norm")[doc.orth]`: array indexing, no Python per token.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from . import lex_attrs as base_lex_attrs
from .strings import StringStore
from .vectors import Vectors

STRING_LEX_ATTRS = tuple(base_lex_attrs.STRING_ATTRS)
FLAG_LEX_ATTRS = tuple(base_lex_attrs.FLAG_ATTRS)


class Vocab:
    """Strings and their lexical attributes for one language."""

    def __init__(
        self,
        strings: StringStore | None = None,
        *,
        lang: str = "xx",
        string_attrs: Mapping[str, Callable[[str], str]] | None = None,
        flag_attrs: Mapping[str, Callable[[str], bool]] | None = None,
    ) -> None:
        self.strings = strings if strings is not None else StringStore()
        self.lang = lang
        self._string_getters = {**base_lex_attrs.STRING_ATTRS, **(string_attrs or {})}
        self._flag_getters = {**base_lex_attrs.FLAG_ATTRS, **(flag_attrs or {})}
        self._n_computed = 0
        self._string_arrays = {name: np.zeros((0,), dtype=np.int32) for name in self._string_getters}
        self._flag_arrays = {name: np.zeros((0,), dtype=bool) for name in self._flag_getters}
        # Static word vectors (empty unless `[initialize] vectors` or a saved pipeline provides a table).
        self.vectors = Vectors()

    def __len__(self) -> int:
        return len(self.strings)

    def _compute_new(self) -> None:
        """Compute the lexical attributes of strings added since the last call."""
        start = self._n_computed
        if start >= len(self.strings):
            return
        # Computing attributes adds their strings (lower, norm, ...) to the store too; iterate until closed.
        while start < len(self.strings):
            end = len(self.strings)
            texts = [self.strings[i] for i in range(start, end)]
            add = self.strings.add
            for name, getter in self._string_getters.items():
                new = np.fromiter((add(getter(t)) for t in texts), dtype=np.int32, count=len(texts))
                self._string_arrays[name] = np.concatenate([self._string_arrays[name], new])
            for name, getter in self._flag_getters.items():
                new = np.fromiter((bool(getter(t)) for t in texts), dtype=bool, count=len(texts))
                self._flag_arrays[name] = np.concatenate([self._flag_arrays[name], new])
            start = end
        self._n_computed = start

    def attr(self, name: str) -> np.ndarray:
        """Array indexed by string id: string-valued attributes give string ids, flags give bools."""
        name = name.lower()
        self._compute_new()
        if name in self._string_arrays:
            return self._string_arrays[name]
        if name in self._flag_arrays:
            return self._flag_arrays[name]
        raise KeyError(
            f"Unknown lexical attribute {name!r}; expected one of "
            f"{sorted([*self._string_arrays, *self._flag_arrays])}"
        )

    def lex_value(self, orth: int, name: str):
        """One attribute of one string: a string for string attributes, a bool for flags."""
        arr = self.attr(name)
        value = arr[orth]
        return self.strings[int(value)] if name.lower() in self._string_arrays else bool(value)

    @property
    def string_attr_names(self) -> tuple[str, ...]:
        return tuple(self._string_arrays)

    @property
    def flag_attr_names(self) -> tuple[str, ...]:
        return tuple(self._flag_arrays)
