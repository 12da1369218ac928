"""Check a sentence's entity tags (IOB1, IOB2, BILUO) before they reach a Doc.

Readers know file and line; this module knows the tag grammar. It raises `TagError` with the
token index and lets the reader turn that into a `CorpusError` naming the line.

Schemes:
- ``"iob2"``: strict; an ``I-X`` must continue a ``B-X``/``I-X``.
- ``"iob1"``: an ``I-X`` may open an entity (it is rewritten to ``B-X``); that is the convention.
- ``"biluo"``: strict; ``B`` ... ``L`` or a single ``U``. ``E``/``S`` (BIOES) are read as ``L``/``U``.
- ``"auto"``: BILUO (strict) for a sentence that uses ``L``/``U``/``E``/``S``, else IOB with IOB1
  repair; the reader reports the number of repairs.

"-" (or an empty tag) marks a token whose entity annotation is missing.
"""
from __future__ import annotations

from typing import Sequence

SCHEMES = ("auto", "iob1", "iob2", "biluo")
_BILUO_ONLY = frozenset("LUES")
_PREFIX_MAP = {"B": "B", "I": "I", "L": "L", "U": "U", "E": "L", "S": "U"}


class TagError(ValueError):
    """A bad entity tag at token `index` (0-based)."""

    def __init__(self, index: int, message: str, expected: str, got: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message
        self.expected = expected
        self.got = got


def check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    return scheme


def split_tag(tag: str, index: int) -> tuple[str, str]:
    """('O', '') / ('-', '') / (prefix, label) with prefix in B, I, L, U; TagError if malformed."""
    if tag == "O" or tag == "-" or tag == "":
        return (tag or "-"), ""
    prefix, sep, label = tag.partition("-")
    mapped = _PREFIX_MAP.get(prefix)
    if not sep or mapped is None or not label:
        raise TagError(index, f"token {index + 1}: {tag!r} is not an entity tag", "O, '-' or B-/I-/L-/U- followed by a label, e.g. B-PER", tag)
    return mapped, label


def normalize_tags(tags: Sequence[str], scheme: str = "auto") -> tuple[list[str], int]:
    """Validate one sentence's tags; return them in IOB2 or BILUO form and the number of IOB1 repairs."""
    parts = [split_tag(t, i) for i, t in enumerate(tags)]
    biluo = scheme == "biluo" or (scheme == "auto" and any(p in _BILUO_ONLY for p, _ in parts))
    if biluo:
        _check_biluo(tags, parts)
        return [f"{p}-{lab}" if lab else p for p, lab in parts], 0
    return _check_iob(tags, parts, strict=scheme == "iob2")


def _check_iob(tags: Sequence[str], parts: list[tuple[str, str]], strict: bool) -> tuple[list[str], int]:
    out: list[str] = []
    repairs = 0
    prev_label = ""  # label of the entity the previous token is in, "" if none
    for i, (prefix, label) in enumerate(parts):
        if prefix in ("L", "U"):
            raise TagError(i, f"token {i + 1}: BILUO tag {tags[i]!r} in an IOB sentence", "B-, I- or O", tags[i])
        if prefix == "I" and label != prev_label:
            if strict:
                before = repr(tags[i - 1]) if i else "the sentence start"
                raise TagError(
                    i, f"token {i + 1}: {tags[i]!r} continues no entity (it follows {before})",
                    f"B-{label} before I-{label} (IOB2)", tags[i],
                )
            repairs += 1
            prefix = "B"
        out.append(f"{prefix}-{label}" if label else prefix)
        prev_label = label
    return out, repairs


def _check_biluo(tags: Sequence[str], parts: list[tuple[str, str]]) -> None:
    open_label = ""  # label of the entity opened by B and not yet closed by L
    for i, (prefix, label) in enumerate(parts):
        if open_label:
            if prefix not in ("I", "L") or label != open_label:
                raise TagError(
                    i, f"token {i + 1}: {tags[i]!r} interrupts the {open_label} entity opened before it",
                    f"I-{open_label} or L-{open_label}", tags[i],
                )
            if prefix == "L":
                open_label = ""
        elif prefix in ("I", "L"):
            raise TagError(
                i, f"token {i + 1}: {tags[i]!r} continues no entity", f"B-{label} or U-{label} first (BILUO)", tags[i],
            )
        elif prefix == "B":
            open_label = label
    if open_label:
        last = len(parts) - 1
        raise TagError(last, f"token {last + 1}: the {open_label} entity is never closed", f"L-{open_label} at its end (BILUO)", tags[last])


def looks_like_tag(text: str) -> bool:
    """Cheap test for sniffing: O, '-' or X-LABEL with X a tag prefix."""
    if text in ("O", "-"):
        return True
    prefix, sep, label = text.partition("-")
    return bool(sep and label and prefix in _PREFIX_MAP)
