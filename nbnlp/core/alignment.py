"""`Alignment` of two tokenizations of the same text.

Training compares a model's tokenization (predicted, "x") with the gold one (reference, "y"), and
they need not agree: "don't" may be one predicted token and two gold tokens. Two tokens are
aligned when they share at least one non-whitespace character; whitespace is ignored entirely,
so the texts may differ in spacing. The mapping is many-to-many and is stored as two ragged int
arrays (for each x token the y tokens it overlaps, and the reverse).

It is computed with array operations only: each text becomes an array of code points and an
array of owning token indices, whitespace is masked out, and the (x token, y token) pairs are read
off where either owner changes. Identical tokenizations skip all of this.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from thinc.types import Ragged

    from .doc import Doc

# Every code point Python's str.isspace() accepts (all lie below U+3001).
_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


@dataclass(frozen=True)
class AlignmentArray:
    """Ragged int array: `data[starts[i]:ends[i]]` are the tokens that token i maps to."""

    data: np.ndarray
    lengths: np.ndarray
    starts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = np.zeros(len(self.lengths), dtype=np.int64)
        if len(self.lengths) > 1:
            np.cumsum(self.lengths[:-1], out=starts[1:])
        object.__setattr__(self, "starts", starts)

    @property
    def ends(self) -> np.ndarray:
        return self.starts + self.lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        s = int(self.starts[i])
        return self.data[s : s + int(self.lengths[i])]

    def to_list(self) -> list[list[int]]:
        return [self[i].tolist() for i in range(len(self))]

    def to_ragged(self) -> "Ragged":
        """As a thinc `Ragged` (for model code that consumes one)."""
        from thinc.types import Ragged

        return Ragged(self.data, self.lengths)


def _identity(n: int) -> AlignmentArray:
    return AlignmentArray(np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int32))


def _chars(text: str, token_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-whitespace code points, the token owning each, and their positions in `text`.

    `token_lengths` covers the whole text (each token's characters plus its trailing whitespace).
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if int(token_lengths.sum()) != len(codes):
        raise ValueError("token lengths do not add up to the text length")
    owner = np.repeat(np.arange(len(token_lengths), dtype=np.int32), token_lengths)
    keep = np.flatnonzero(~np.isin(codes, _WHITESPACE))
    return codes[keep], owner[keep], keep


def _decode(codes: np.ndarray) -> str:
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")


def _mismatch_error(cx: np.ndarray, px: np.ndarray, cy: np.ndarray, py: np.ndarray) -> ValueError:
    n = min(len(cx), len(cy))
    diff = np.flatnonzero(cx[:n] != cy[:n])
    i = int(diff[0]) if len(diff) else n
    lo = max(0, i - 20)
    where_x = int(px[i]) if i < len(px) else "the end"
    where_y = int(py[i]) if i < len(py) else "the end"
    return ValueError(
        "Cannot align tokenizations of different texts (whitespace ignored): they first differ at "
        f"character {where_x} of the predicted text and {where_y} of the reference text: "
        f"predicted ...{_decode(cx[lo:i + 20])!r} vs reference ...{_decode(cy[lo:i + 20])!r}"
    )


@dataclass(frozen=True)
class Alignment:
    """Many-to-many token mapping: `x2y[i]` are the y tokens x token i overlaps; `y2x[j]` the reverse.

    Tokens made only of whitespace overlap nothing (empty rows), except when the two tokenizations
    are identical: then every token maps to itself.
    """

    x2y: AlignmentArray
    y2x: AlignmentArray

    # ----- construction ---------------------------------------------------------------------
    @classmethod
    def from_docs(cls, x: "Doc", y: "Doc") -> "Alignment":
        """Align two Docs (the predicted one first)."""
        same = len(x) == len(y) and (
            np.array_equal(x.arrays["ORTH"], y.arrays["ORTH"])
            if x.vocab.strings is y.vocab.strings
            else x.words == y.words
        )
        if same:
            return cls(_identity(len(x)), _identity(len(y)))
        x_lengths = x.vocab.strings.lengths[x.arrays["ORTH"]] + x.arrays["SPACY"]
        y_lengths = y.vocab.strings.lengths[y.arrays["ORTH"]] + y.arrays["SPACY"]
        return cls._from_chars(x.text, x_lengths, y.text, y_lengths)

    @classmethod
    def from_strings(cls, x_words: Sequence[str], y_words: Sequence[str]) -> "Alignment":
        """Align two lists of token texts (whitespace inside or between tokens is ignored)."""
        if list(x_words) == list(y_words):
            return cls(_identity(len(x_words)), _identity(len(y_words)))
        x_lengths = np.fromiter((len(w) for w in x_words), dtype=np.int64, count=len(x_words))
        y_lengths = np.fromiter((len(w) for w in y_words), dtype=np.int64, count=len(y_words))
        return cls._from_chars("".join(x_words), x_lengths, "".join(y_words), y_lengths)

    @classmethod
    def _from_chars(cls, x_text: str, x_lengths: np.ndarray, y_text: str, y_lengths: np.ndarray) -> "Alignment":
        cx, ox, px = _chars(x_text, x_lengths)
        cy, oy, py = _chars(y_text, y_lengths)
        if not np.array_equal(cx, cy):
            raise _mismatch_error(cx, px, cy, py)
        # Both owner arrays are non-decreasing, so each distinct (x, y) pair is one run of
        # characters, and the runs come out sorted by x and by y at once.
        change = np.ones(len(ox), dtype=bool)
        if len(ox) > 1:
            change[1:] = (ox[1:] != ox[:-1]) | (oy[1:] != oy[:-1])
        pair_x, pair_y = ox[change], oy[change]
        x2y = AlignmentArray(pair_y.astype(np.int32), np.bincount(pair_x, minlength=len(x_lengths)).astype(np.int32))
        y2x = AlignmentArray(pair_x.astype(np.int32), np.bincount(pair_y, minlength=len(y_lengths)).astype(np.int32))
        return cls(x2y, y2x)

    # ----- derived views ------------------------------------------------------------------
    @cached_property
    def x2y_one_to_one(self) -> np.ndarray:
        """For each x token, its y token where the two overlap only each other, else -1."""
        return _one_to_one(self.x2y, self.y2x)

    @cached_property
    def y2x_one_to_one(self) -> np.ndarray:
        """For each y token, its x token where the two overlap only each other, else -1."""
        return _one_to_one(self.y2x, self.x2y)

    @property
    def is_identity(self) -> bool:
        """Whether each token maps to the token at the same index and only to it."""
        n = len(self.x2y)
        return (
            n == len(self.y2x)
            and bool((self.x2y.lengths == 1).all())
            and np.array_equal(self.x2y.data, np.arange(n))
        )


def _one_to_one(a2b: AlignmentArray, b2a: AlignmentArray) -> np.ndarray:
    out = np.full(len(a2b), -1, dtype=np.int64)
    single = np.flatnonzero(a2b.lengths == 1)
    target = a2b.data[a2b.starts[single]].astype(np.int64)
    ok = b2a.lengths[target] == 1
    out[single[ok]] = target[ok]
    return out


__all__ = ["Alignment", "AlignmentArray"]
