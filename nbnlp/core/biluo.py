"""Entity tag schemes: IOB <-> BILUO, character offsets <-> BILUO, and validation.

Readers, the NER model and the scorer each meet entities in a different shape (IOB tags from
CoNLL files, character offsets from JSON, BILUO tags for the transition system). These helpers
convert between them in one place. The sequence logic works on arrays of prefixes and labels,
so a long document costs a few numpy operations rather than a state machine per token.

Tag conventions: "B-X"/"I-X"/"L-X"/"U-X" (begin/inside/last/unit of an entity of type X), "O"
(outside every entity) and "-" (unknown; None and "" read as "-").

Corpus readers check each sentence with `normalize_tags` under a scheme:
- "iob2": strict; an "I-X" must continue a "B-X"/"I-X".
- "iob1": an "I-X" may open an entity (it is rewritten to "B-X"); that is the convention.
- "biluo": strict; "B" ... "L" or a single "U". "E"/"S" (BIOES) are read as "L"/"U".
- "auto": BILUO (strict) for a sentence that uses L/U/E/S, else IOB with IOB1 repair; the reader
  reports the number of repairs.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Iterable, NamedTuple, Sequence

import numpy as np

from .span import Span

if TYPE_CHECKING:  # pragma: no cover
    from .doc import Doc

MISSING = "-"
TAG_SCHEMES = ("auto", "iob1", "iob2", "biluo")
_ENTITY_PREFIXES = ("B", "I", "L", "U")
_BIOES_ALIASES = {"E": "L", "S": "U"}


class MisalignedEntityWarning(UserWarning):
    """An entity's character offsets do not fall on token boundaries; its tokens became "-"."""


class TagProblem(NamedTuple):
    """One invalid position of a tag sequence: where, what was found and what would be valid there."""

    index: int
    tag: str
    expected: str

    def __str__(self) -> str:
        return f"token {self.index}: {self.tag!r} is invalid here; expected {self.expected}"


class TagError(ValueError):
    """The first bad tag of a sentence, for readers: token `index` (0-based; 1-based in `message`)."""

    def __init__(self, index: int, message: str, expected: str, got: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message
        self.expected = expected
        self.got = got


# ----- parsing ------------------------------------------------------------------------------
def _entity_prefix(tag: str, bioes: bool = False) -> tuple[str, str]:
    """(prefix, label) of an entity tag like "B-PER"; ("?", "") where malformed."""
    prefix, sep, label = tag.partition("-")
    if bioes:
        prefix = _BIOES_ALIASES.get(prefix, prefix)
    if sep and label and prefix in _ENTITY_PREFIXES:
        return prefix, label
    return "?", ""


def _split_tags(tags: Sequence[str | None], bioes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Prefix ("B", "I", "L", "U", "O", "-", or "?" for a malformed tag) and label arrays.

    `bioes`: read "E-X"/"S-X" as "L-X"/"U-X" (corpus files use both spellings).
    """
    prefixes: list[str] = []
    labels: list[str] = []
    for tag in tags:
        if tag is None or tag == "" or tag == MISSING:
            prefixes.append(MISSING)
            labels.append("")
        elif tag == "O":
            prefixes.append("O")
            labels.append("")
        else:
            prefix, label = _entity_prefix(tag, bioes)
            prefixes.append(prefix)
            labels.append(label)
    return np.array(prefixes, dtype="<U1"), np.array(labels, dtype=object)


def looks_like_tag(text: str) -> bool:
    """Cheap test for sniffing a file format: O, '-' or X-LABEL with X a tag prefix (BIOES too)."""
    return text in ("O", MISSING) or _entity_prefix(text, bioes=True)[0] != "?"


def _has(prefixes: np.ndarray, options: str) -> np.ndarray:
    """Per token: its prefix is one of `options` (np.isin's set-up costs more on sentence-sized arrays)."""
    found = prefixes == options[0]
    for option in options[1:]:
        found |= prefixes == option
    return found


def _require_wellformed(tags: Sequence[str | None], prefixes: np.ndarray, allowed: str) -> None:
    bad = np.flatnonzero(~_has(prefixes, allowed))
    if len(bad):
        i = int(bad[0])
        raise ValueError(
            f"Entity tag {tags[i]!r} at token {i} is not valid here; expected 'O', '-' or "
            f"one of {', '.join(p + '-LABEL' for p in allowed if p not in 'O-')}"
        )


def _join(prefixes: np.ndarray, labels: np.ndarray) -> list[str]:
    return [p if p in ("O", MISSING) else f"{p}-{lab}" for p, lab in zip(prefixes.tolist(), labels.tolist())]


def _open_entity(prefixes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per token: whether an entity is open before it (the previous tag is B or I), and the
    previous token's label (that entity's label where one is open).

    Every scheme rule is a test of a tag against these two, so conversions, validation and reader
    normalization all read "open" the same way.
    """
    is_open = np.zeros(len(prefixes), dtype=bool)
    is_open[1:] = _has(prefixes[:-1], "BI")
    prev_labels = np.full(len(labels), "", dtype=object)
    prev_labels[1:] = labels[:-1]
    return is_open, prev_labels


def _continues(prefixes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per token: its label is that of the entity open before it (whatever its own prefix)."""
    is_open, open_label = _open_entity(prefixes, labels)
    return is_open & (labels == open_label)


def _entity_bounds(prefixes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end flags of entities under IOB reading ("I" continues a same-label entity, else opens one)."""
    in_ent = _has(prefixes, "BILU")
    cont = _has(prefixes, "IL") & _continues(prefixes, labels)
    starts = in_ent & ~cont
    ends = in_ent & ~np.append(cont[1:], False)
    return starts, ends


# ----- scheme conversions -------------------------------------------------------------------
def iob_to_biluo(tags: Sequence[str | None]) -> list[str]:
    """IOB1 or IOB2 tags -> BILUO. An "I-X" that cannot continue an "X" entity opens one (IOB1 reading)."""
    prefixes, labels = _split_tags(tags)
    _require_wellformed(tags, prefixes, "BIO-")
    starts, ends = _entity_bounds(prefixes, labels)
    out = prefixes.copy()
    in_ent = _has(prefixes, "BI")
    out[in_ent] = "I"
    out[starts & ~ends] = "B"
    out[ends & ~starts] = "L"
    out[starts & ends] = "U"
    return _join(out, labels)


def biluo_to_iob(tags: Sequence[str | None]) -> list[str]:
    """BILUO tags -> IOB2 ("U" -> "B", "L" -> "I")."""
    prefixes, labels = _split_tags(tags)
    _require_wellformed(tags, prefixes, "BILUO-")
    out = prefixes.copy()
    out[prefixes == "U"] = "B"
    out[prefixes == "L"] = "I"
    return _join(out, labels)


# ----- validation ---------------------------------------------------------------------------
def _biluo_breaks(prefixes: np.ndarray, labels: np.ndarray) -> list[tuple[int, str, str]]:
    """(index, kind, label) of every token that breaks BILUO, each checked against its predecessor.

    kind: "malformed"; "interrupts" (an entity is open and the tag does not continue it; label is
    the open entity's); "orphan" (I/L with no entity open); "unclosed" (the sequence ends inside
    an entity). Callers word the problems for their audience.
    """
    if len(prefixes) == 0:
        return []
    is_open, open_label = _open_entity(prefixes, labels)
    inner = _has(prefixes, "IL")
    malformed = prefixes == "?"
    interrupts = is_open & ~(inner & (labels == open_label))
    orphan = ~is_open & inner
    bad = malformed | interrupts | orphan
    bad[-1] |= prefixes[-1] in ("B", "I")
    breaks: list[tuple[int, str, str]] = []
    for i in np.flatnonzero(bad).tolist():
        if malformed[i]:
            breaks.append((i, "malformed", ""))
        elif interrupts[i]:
            breaks.append((i, "interrupts", open_label[i]))
        else:
            breaks.append((i, "orphan" if orphan[i] else "unclosed", labels[i]))
    return breaks


def validate_biluo(tags: Sequence[str | None]) -> list[TagProblem]:
    """Problems of a BILUO sequence (empty list = valid); "-" is allowed outside entities.

    Each tag is checked against its predecessor only: after "B-X"/"I-X" comes "I-X" or "L-X";
    anywhere else "I"/"L" are invalid; the sequence cannot end inside an entity.
    """
    prefixes, labels = _split_tags(tags)
    problems = []
    for i, kind, label in _biluo_breaks(prefixes, labels):
        p = str(prefixes[i])
        if kind == "malformed":
            expected = "a tag like 'B-LABEL', 'I-LABEL', 'L-LABEL', 'U-LABEL', 'O' or '-'"
        elif kind == "interrupts":
            expected = f"'I-{label}' or 'L-{label}' to continue the {label} entity open at token {i - 1}"
        elif kind == "orphan":
            expected = f"'B-{label}' or 'U-{label}' ({p}-{label} must follow B-{label} or I-{label})"
        else:
            expected = f"'{'U' if p == 'B' else 'L'}-{label}', since the sequence ends here"
        problems.append(TagProblem(i, str(tags[i] or ""), expected))
    return problems


def validate_iob(tags: Sequence[str | None], scheme: str = "iob2") -> list[TagProblem]:
    """Problems of an IOB sequence (empty list = valid); "-" is allowed outside entities.

    iob2: every entity starts with "B-X"; "I-X" must follow "B-X" or "I-X".
    iob1: entities start with "I-X"; "B-X" is only for an entity right after another of type X.
    """
    if scheme not in ("iob1", "iob2"):
        raise ValueError(f"validate_iob: scheme must be 'iob1' or 'iob2', not {scheme!r}")
    if len(tags) == 0:
        return []
    prefixes, labels = _split_tags(tags)
    malformed = ~_has(prefixes, "BIO" + MISSING)
    wrong = (prefixes == ("I" if scheme == "iob2" else "B")) & ~_continues(prefixes, labels)
    problems = []
    for i in np.flatnonzero(malformed | wrong).tolist():
        lab = labels[i]
        if malformed[i]:
            expected = "an IOB tag like 'B-LABEL', 'I-LABEL', 'O' or '-'"
        elif scheme == "iob2":
            before = repr(tags[i - 1]) if i else "the start"
            expected = f"'B-{lab}' (in IOB2, I-{lab} cannot follow {before})"
        else:
            expected = f"'I-{lab}' (in IOB1, B-{lab} only separates two adjacent {lab} entities)"
        problems.append(TagProblem(i, str(tags[i] or ""), expected))
    return problems


def _raise_if_invalid_biluo(tags: Sequence[str | None]) -> None:
    problems = validate_biluo(tags)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ValueError(f"Invalid BILUO sequence: {shown}{more}")


# ----- corpus readers: one sentence's tags under a scheme -----------------------------------
def check_scheme(scheme: str) -> str:
    """`scheme` if it is one of TAG_SCHEMES, else ValueError (readers check before reading)."""
    if scheme not in TAG_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(TAG_SCHEMES)}, not {scheme!r}")
    return scheme


def normalize_tags(tags: Sequence[str], scheme: str = "auto") -> tuple[list[str], int]:
    """One sentence's tags checked under `scheme` (see the module docstring), in IOB2 or BILUO form,
    and the number of IOB1 repairs. TagError names the first bad token, 1-based, as readers report it.
    """
    if all(t == "O" for t in tags):  # most sentences of an NER corpus: nothing to check
        return list(tags), 0
    prefixes, labels = _split_tags(tags, bioes=True)
    malformed = np.flatnonzero(prefixes == "?")
    if len(malformed):
        i = int(malformed[0])
        raise TagError(i, f"token {i + 1}: {tags[i]!r} is not an entity tag",
                       "O, '-' or B-/I-/L-/U- followed by a label, e.g. B-PER", tags[i])
    biluo_only = _has(prefixes, "LU")
    if scheme == "biluo" or (scheme == "auto" and biluo_only.any()):
        breaks = _biluo_breaks(prefixes, labels)
        if breaks:
            raise _biluo_error(tags, *breaks[0])
        return _join(prefixes, labels), 0
    openers = (prefixes == "I") & ~_continues(prefixes, labels)  # IOB1 entity starts; IOB2 errors
    stops = np.flatnonzero(biluo_only | openers if scheme == "iob2" else biluo_only)
    if len(stops):
        raise _iob_error(tags, int(stops[0]), labels[stops[0]], bool(biluo_only[stops[0]]))
    return _join(np.where(openers, "B", prefixes), labels), int(np.count_nonzero(openers))


def _biluo_error(tags: Sequence[str], i: int, kind: str, label: str) -> TagError:
    if kind == "interrupts":
        return TagError(i, f"token {i + 1}: {tags[i]!r} interrupts the {label} entity opened before it",
                        f"I-{label} or L-{label}", tags[i])
    if kind == "orphan":
        return TagError(i, f"token {i + 1}: {tags[i]!r} continues no entity", f"B-{label} or U-{label} first (BILUO)", tags[i])
    return TagError(i, f"token {i + 1}: the {label} entity is never closed", f"L-{label} at its end (BILUO)", tags[i])


def _iob_error(tags: Sequence[str], i: int, label: str, biluo_tag: bool) -> TagError:
    if biluo_tag:
        return TagError(i, f"token {i + 1}: BILUO tag {tags[i]!r} in an IOB sentence", "B-, I- or O", tags[i])
    before = repr(tags[i - 1]) if i else "the sentence start"
    return TagError(i, f"token {i + 1}: {tags[i]!r} continues no entity (it follows {before})",
                    f"B-{label} before I-{label} (IOB2)", tags[i])


# ----- tags <-> spans / offsets ---------------------------------------------------------------
def biluo_token_spans(tags: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """(start_token, end_token, label) of each entity of a valid BILUO sequence."""
    _raise_if_invalid_biluo(tags)
    prefixes, labels = _split_tags(tags)
    starts = np.flatnonzero(_has(prefixes, "BU"))
    ends = np.flatnonzero(_has(prefixes, "LU")) + 1
    return [(s, e, labels[s]) for s, e in zip(starts.tolist(), ends.tolist())]


def biluo_tags_to_spans(doc: "Doc", tags: Sequence[str | None]) -> list[Span]:
    """Entity Spans of `doc` from one BILUO tag per token."""
    if len(tags) != len(doc):
        raise ValueError(f"Got {len(tags)} tags for a doc of {len(doc)} tokens")
    return [Span(doc, s, e, label) for s, e, label in biluo_token_spans(tags)]


def biluo_tags_to_offsets(doc: "Doc", tags: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """(start_char, end_char, label) of each entity encoded by BILUO tags over `doc`."""
    return [(s.start_char, s.end_char, s.label_) for s in biluo_tags_to_spans(doc, tags)]


def doc_to_biluo_tags(doc: "Doc", missing: str = MISSING) -> list[str]:
    """The doc's entity annotation as BILUO tags; tokens with no annotation get `missing`."""
    iob = doc.arrays["ENT_IOB"]
    etype = doc.arrays["ENT_TYPE"]
    n = len(iob)
    in_ent = (iob == 1) | (iob == 3)
    cont = np.zeros(n, dtype=bool)
    if n > 1:
        cont[1:] = (iob[1:] == 1) & in_ent[:-1] & (etype[1:] == etype[:-1])
    starts = in_ent & ~cont
    ends = in_ent & ~np.append(cont[1:], False)
    prefixes = np.full(n, MISSING, dtype="<U1")
    prefixes[iob == 2] = "O"
    prefixes[in_ent] = "I"
    prefixes[starts & ~ends] = "B"
    prefixes[ends & ~starts] = "L"
    prefixes[starts & ends] = "U"
    strings = doc.vocab.strings
    labels = np.array([strings[i] for i in etype.tolist()], dtype=object)
    out = _join(prefixes, labels)
    if missing != MISSING:
        out = [missing if t == MISSING else t for t in out]
    return out


def offsets_to_biluo_tags(
    doc: "Doc", entities: Iterable[tuple[int, int, str]], missing: str = "O"
) -> list[str]:
    """BILUO tags from (start_char, end_char, label) entities; tokens in no entity get `missing`.

    An entity whose offsets do not fall on token boundaries cannot be represented: the tokens it
    touches get "-" (unknown) and a MisalignedEntityWarning names it. Overlapping entities are an
    error, since a token holds one tag.
    """
    ents = [(int(s), int(e), str(label)) for s, e, label in entities]
    n = len(doc)
    tags = np.full(n, missing, dtype=object)
    if not ents:
        return tags.tolist()
    text = doc.text
    ents.sort(key=lambda ent: (ent[0], ent[1]))
    s_chars = np.array([ent[0] for ent in ents], dtype=np.int64)
    e_chars = np.array([ent[1] for ent in ents], dtype=np.int64)
    bad = np.flatnonzero((s_chars < 0) | (e_chars <= s_chars) | (e_chars > len(text)))
    if len(bad):
        s, e, label = ents[int(bad[0])]
        raise ValueError(f"Entity ({s}, {e}, {label!r}) is empty or outside the text (length {len(text)})")
    reach = np.maximum.accumulate(e_chars)
    clash = np.flatnonzero(s_chars[1:] < reach[:-1])
    if len(clash):
        k = int(clash[0]) + 1
        j = int(np.flatnonzero(e_chars[:k] == reach[k - 1])[0])
        a, b = ents[j], ents[k]
        raise ValueError(
            f"Overlapping entities {text[a[0]:a[1]]!r} {a} and {text[b[0]:b[1]]!r} {b}: a token can be in one entity only"
        )
    starts, ends = doc.idx.astype(np.int64), doc.token_ends.astype(np.int64)
    s_tok = np.minimum(np.searchsorted(starts, s_chars), max(n - 1, 0))
    e_tok = np.minimum(np.searchsorted(ends, e_chars), max(n - 1, 0))
    aligned = (starts[s_tok] == s_chars) & (ends[e_tok] == e_chars) if n else np.zeros(len(ents), bool)
    labels = [ent[2] for ent in ents]
    for k in np.flatnonzero(aligned).tolist():
        s, e, label = int(s_tok[k]), int(e_tok[k]), labels[k]
        if s == e:
            tags[s] = f"U-{label}"
        else:
            tags[s] = f"B-{label}"
            tags[s + 1 : e] = f"I-{label}"
            tags[e] = f"L-{label}"
    misaligned = np.flatnonzero(~aligned)
    if len(misaligned):
        first = np.searchsorted(ends, s_chars[misaligned], side="right")  # first token ending after the start
        stop = np.searchsorted(starts, e_chars[misaligned], side="left")  # tokens starting before the end
        for a, b in zip(first.tolist(), stop.tolist()):
            tags[a:b] = MISSING
        shown = ", ".join(f"{text[ents[k][0]:ents[k][1]]!r} {ents[k]}" for k in misaligned[:5].tolist())
        warnings.warn(
            f"{len(misaligned)} entit{'y does' if len(misaligned) == 1 else 'ies do'} not fall on token "
            f"boundaries and will be ignored (their tokens are tagged '-'): {shown}. Check the offsets, "
            "or the tokenization of the text.",
            MisalignedEntityWarning,
            stacklevel=2,
        )
    return tags.tolist()


__all__ = [
    "MISSING",
    "TAG_SCHEMES",
    "MisalignedEntityWarning",
    "TagError",
    "TagProblem",
    "biluo_tags_to_offsets",
    "biluo_tags_to_spans",
    "biluo_to_iob",
    "biluo_token_spans",
    "check_scheme",
    "doc_to_biluo_tags",
    "iob_to_biluo",
    "looks_like_tag",
    "normalize_tags",
    "offsets_to_biluo_tags",
    "validate_biluo",
    "validate_iob",
]
