"""Rule-based tokenizer: whitespace split, then special cases, prefixes, suffixes and infixes.

Text is first cut on single spaces. Each space-free chunk is tokenized once and the result (its
string ids and space flags, as bytes) cached, so a chunk seen before costs one dict lookup done
inside `bytes.join`, with no Python code per chunk or per token; that is what makes a pure-Python
tokenizer fast enough. A chunk is split by, in order: exact special cases
("don't" -> "do", "n't"), a `token_match` for strings kept whole (emails, phone numbers),
repeatedly stripping one prefix and one suffix, a `url_match` on what remains, and finally infixes
("well-known" -> "well", "-", "known").

Whitespace: a single " " after a token is its trailing-space flag; any other whitespace (runs of
spaces, newlines, tabs) becomes a token of its own, so no character is ever lost or changed.
"""
from __future__ import annotations

import re
from array import array
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .doc import Doc
from .vocab import Vocab

Search = Callable[[str], "re.Match[str] | None"]
FindIter = Callable[[str], Iterator["re.Match[str]"]]

_WHITESPACE_SPLIT = re.compile(r"(\s+)")
_HAS_WHITESPACE = re.compile(r"\s").search
_FINAL_PERIOD = re.compile(r".*\w\.$", re.DOTALL)
# Cached string ids are bytes of C ints that numpy reads back as int32 (cheaper to build than arrays).
_ID_TYPECODE = "i"
_INT32 = np.dtype(np.int32)
_BOOL = np.dtype(np.bool_)
assert array(_ID_TYPECODE).itemsize == _INT32.itemsize


def _regex_of(fn: Callable | None, what: str) -> str | None:
    """The pattern behind a bound regex method (`re.compile(p).search`), for serialisation."""
    if fn is None:
        return None
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, re.Pattern):
        return owner.pattern
    raise ValueError(
        f"Tokenizer.to_dict: {what} is {fn!r}, not a method of a compiled regex; "
        "only regex-based rules can be serialised"
    )


class Tokenizer:
    """Split text into a `Doc` with data-driven rules (see the module docstring for the algorithm).

    `rules` maps exact strings to their tokens, which must concatenate back to the string.
    `prefix_search` is applied with match semantics at the start of a string, `suffix_search` must
    find a match ending at the end, `infix_finditer` yields the separators inside a string;
    `token_match` / `url_match` return a truthy value for strings to keep whole.
    `split_final_period`: a period ending the text is a token of its own even after an
    abbreviation ("in the U.S." -> "U.S", "."), the sentence period standing in for both.
    """

    max_cache_size = 1_000_000

    def __init__(
        self,
        vocab: Vocab,
        *,
        rules: Mapping[str, Sequence[str]] | None = None,
        prefix_search: Search | None = None,
        suffix_search: Search | None = None,
        infix_finditer: FindIter | None = None,
        token_match: Search | None = None,
        url_match: Search | None = None,
        split_final_period: bool = False,
    ) -> None:
        self.vocab = vocab
        self.prefix_search = prefix_search
        self.suffix_search = suffix_search
        self.infix_finditer = infix_finditer
        self.token_match = token_match
        self.url_match = url_match
        self.split_final_period = split_final_period
        self._space_id = vocab.strings.add(" ")
        self.rules: dict[str, list[str]] = {}
        for key, tokens in (rules or {}).items():
            self.add_special_case(key, tokens)
        self._reset_cache()

    # ----- rules ------------------------------------------------------------------------------
    def add_special_case(self, string: str, tokens: Sequence[str]) -> None:
        """Always split `string` into `tokens` (they must spell it exactly, without whitespace)."""
        tokens = list(tokens)
        if "".join(tokens) != string or not all(tokens) or any(t.isspace() for t in tokens):
            raise ValueError(
                f"Special case {string!r} -> {tokens!r}: the tokens must be non-empty, contain no "
                "whitespace-only token, and concatenate back to the string exactly"
            )
        self.rules[string] = tokens
        self._reset_cache()

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Any = None,
        rules: Mapping[str, Sequence[str]] | None = None,
        split_final_period: bool | None = None,
    ) -> None:
        """`[initialize.tokenizer]` settings (spaCy passes them to `tokenizer.initialize` too): special cases
        added to the rules, and the final-period rule; saved with the tokenizer, so a loaded pipeline keeps them."""
        for key, tokens in (rules or {}).items():
            self.add_special_case(key, tokens)
        if split_final_period is not None:
            self.split_final_period = bool(split_final_period)
            self._reset_cache()

    # ----- tokenizing -------------------------------------------------------------------------
    def __call__(self, text: str) -> Doc:
        """Tokenize `text` into a Doc whose `.text` is exactly `text`."""
        orths, spaces = self._tokenize(text)
        return Doc.from_orths(self.vocab, orths, spaces, copy=False)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Tokenize a stream of texts (`batch_size` is accepted for pipeline compatibility)."""
        tokenize, vocab = self._tokenize, self.vocab
        for text in texts:
            orths, spaces = tokenize(text)
            yield Doc.from_orths(vocab, orths, spaces, copy=False)

    def split(self, text: str) -> tuple[list[str], list[bool]]:
        """Words and trailing-space flags of `text`, without building a Doc."""
        orths, spaces = self._tokenize(text)
        return self.vocab.strings.lookup_many(orths.tolist()), spaces.tolist()

    def _reset_cache(self) -> None:
        """Empty the chunk caches, but for the empty chunk (between two spaces): a space token."""
        self._orth_cache: dict[str, bytes] = {"": array(_ID_TYPECODE, [self._space_id]).tobytes()}
        self._space_cache: dict[str, bytes] = {"": b"\x00"}

    def _tokenize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """String ids (int32) and trailing-space flags (bool), as fresh writable arrays.

        The hot path: the chunks' cached bytes are joined in C (`bytearray().join(map(...))`);
        only an unseen chunk (the KeyError) goes through the rules.
        """
        chunks = text.split(" ")
        try:
            orth_bytes = bytearray().join(map(self._orth_cache.__getitem__, chunks))
        except KeyError:
            self._cache_chunks(chunks)
            orth_bytes = bytearray().join(map(self._orth_cache.__getitem__, chunks))
        space_bytes = bytearray().join(map(self._space_cache.__getitem__, chunks))
        # The last chunk is followed by no separator: drop its flag, or the token of an empty chunk.
        if chunks[-1]:
            space_bytes[-1] = 0
        else:
            del orth_bytes[-_INT32.itemsize :], space_bytes[-1:]
        orths = np.frombuffer(orth_bytes, dtype=_INT32)
        spaces = np.frombuffer(space_bytes, dtype=_BOOL)
        if "  " in text or text.startswith(" "):  # an empty chunk inside the text: a space token
            orths, spaces = self._merge_space_runs(orths, spaces)
        if self.split_final_period and text.endswith("."):
            orths, spaces = self._split_final_period(orths, spaces)
        return orths, spaces

    def _merge_space_runs(self, orths: np.ndarray, spaces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Join adjacent whitespace tokens into one ("\\n", " " -> "\\n ")."""
        strings = self.vocab.strings
        orth_list, space_list = orths.tolist(), spaces.tolist()
        i = 1
        while i < len(orth_list):
            prev = strings[orth_list[i - 1]]
            if prev.isspace() and orth_list[i] == self._space_id:
                joined = prev + (" " if space_list[i - 1] else "") + " "
                orth_list[i - 1 : i + 1] = [strings.add(joined)]
                space_list[i - 1 : i + 1] = [space_list[i]]
            else:
                i += 1
        return np.array(orth_list, dtype=np.int32), np.array(space_list, dtype=np.bool_)

    def _split_final_period(self, orths: np.ndarray, spaces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        strings = self.vocab.strings
        last = strings.by_id[orths[-1]]
        if len(last) > 1 and _FINAL_PERIOD.match(last):
            tail = np.array([strings.add(last[:-1]), strings.add(".")], dtype=np.int32)
            return np.concatenate([orths[:-1], tail]), np.append(spaces, False)
        return orths, spaces

    def _cache_chunks(self, chunks: list[str]) -> None:
        """Tokenize the chunks not cached yet, in text order (so string ids are given in that order)."""
        if len(self._orth_cache) + len(chunks) > self.max_cache_size:
            self._reset_cache()
        orth_cache, space_cache = self._orth_cache, self._space_cache
        add = self.vocab.strings.add
        for chunk in chunks:
            if chunk not in orth_cache:
                words = self._tokenize_chunk(chunk)
                orth_cache[chunk] = array(_ID_TYPECODE, [add(w) for w in words]).tobytes()
                space_cache[chunk] = bytes(len(words) - 1) + b"\x01"

    def _tokenize_chunk(self, chunk: str) -> list[str]:
        """The tokens of one space-free chunk (other whitespace becomes tokens of its own)."""
        if chunk.isspace():
            return [chunk]
        if not _HAS_WHITESPACE(chunk):
            return self._split_word(chunk)
        words: list[str] = []
        for piece in _WHITESPACE_SPLIT.split(chunk):
            if piece:
                words.extend([piece] if piece.isspace() else self._split_word(piece))
        return words

    def _split_word(self, string: str) -> list[str]:
        """Tokens of a string without whitespace: special cases, affixes, url match, infixes."""
        rules = self.rules
        special = rules.get(string)
        if special is not None:
            return list(special)
        token_match = self.token_match
        prefix_search = self.prefix_search
        suffix_search = self.suffix_search
        prefixes: list[str] = []
        suffixes: list[str] = []
        while string:
            if string in rules or (token_match is not None and token_match(string)):
                break
            m = suffix_search(string) if suffix_search is not None else None
            if m is not None and 0 < m.start() < len(string):
                # What the suffix leaves is whole ("$$$." -> "$$$" "."): strip only the suffix.
                core, suffix = self._shift_period(string[: m.start()], string[m.start():])
                if core in rules or (token_match is not None and token_match(core)):
                    suffixes.append(suffix)
                    string = core
                    break
            changed = False
            if prefix_search is not None:
                mp = prefix_search(string)
                if mp is not None and mp.end() > 0:
                    prefixes.append(string[: mp.end()])
                    string = string[mp.end():]
                    changed = True
                    if not string or string in rules or (token_match is not None and token_match(string)):
                        break
                    m = suffix_search(string) if suffix_search is not None else None
            if m is not None and m.start() < len(string):
                core, suffix = self._shift_period(string[: m.start()], string[m.start():])
                suffixes.append(suffix)
                string = core
                changed = True
            if not changed:
                break
        tokens = prefixes
        if string:
            tokens.extend(self._split_core(string))
        tokens.extend(reversed(suffixes))
        return tokens

    def _shift_period(self, core: str, suffix: str) -> tuple[str, str]:
        """Give a suffix's first period back to an abbreviation: "U.S." + "?" not "U.S" + ".?"."""
        if len(suffix) > 1 and suffix[0] == "." and core:
            with_period = core + "."
            if with_period in self.rules or (self.token_match is not None and self.token_match(with_period)):
                return with_period, suffix[1:]
        return core, suffix

    def _split_core(self, string: str) -> list[str]:
        """What remains after affixes: a special case, a kept-whole match, or split on infixes."""
        special = self.rules.get(string)
        if special is not None:
            return list(special)
        if (self.token_match is not None and self.token_match(string)) or (
            self.url_match is not None and self.url_match(string)
        ):
            return [string]
        if self.infix_finditer is None:
            return [string]
        tokens: list[str] = []
        start = 0
        for m in self.infix_finditer(string):
            if m.start() == m.end() and m.start() in (0, len(string)):
                continue
            if m.start() > start:
                tokens.append(string[start : m.start()])
            if m.end() > m.start():
                tokens.append(string[m.start() : m.end()])
            start = m.end()
        if start < len(string):
            tokens.append(string[start:])
        if len(tokens) == 1:
            return tokens
        out: list[str] = []
        for tok in tokens:
            # Infix pieces get the full treatment again ("years...[because", "don't/can't");
            # each piece is shorter than the string, so this terminates.
            out.extend(self._split_word(tok) if not tok.isalnum() else (tok,))
        return out

    # ----- serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-able rules: special cases and the regex patterns (rules must be regex methods)."""
        return {
            "rules": {k: list(v) for k, v in self.rules.items()},
            "prefix_search": _regex_of(self.prefix_search, "prefix_search"),
            "suffix_search": _regex_of(self.suffix_search, "suffix_search"),
            "infix_finditer": _regex_of(self.infix_finditer, "infix_finditer"),
            "token_match": _regex_of(self.token_match, "token_match"),
            "url_match": _regex_of(self.url_match, "url_match"),
            "split_final_period": self.split_final_period,
        }

    @classmethod
    def from_dict(cls, vocab: Vocab, data: Mapping[str, Any]) -> "Tokenizer":
        """Rebuild a tokenizer saved with `to_dict`."""

        def method(key: str, name: str) -> Callable | None:
            pattern = data.get(key)
            return getattr(re.compile(pattern), name) if pattern is not None else None

        return cls(
            vocab,
            rules=data.get("rules") or {},
            prefix_search=method("prefix_search", "match"),
            suffix_search=method("suffix_search", "search"),
            infix_finditer=method("infix_finditer", "finditer"),
            token_match=method("token_match", "match"),
            url_match=method("url_match", "match"),
            split_final_period=bool(data.get("split_final_period", False)),
        )

    def to_bytes(self) -> bytes:
        import srsly

        return srsly.json_dumps(self.to_dict()).encode("utf8")

    def from_bytes(self, data: bytes) -> "Tokenizer":
        """Replace this tokenizer's rules with serialised ones (returns self)."""
        import srsly

        other = Tokenizer.from_dict(self.vocab, srsly.json_loads(data.decode("utf8")))
        self.__dict__.update(other.__dict__)
        return self


__all__ = ["Tokenizer"]
