"""Column NER readers: CoNLL-2003 style files and UniversalNER `.iob2` files; one Doc per sentence.

CoNLL-2003 layout: whitespace-separated columns, the first is the word and the LAST the entity
tag; blank lines end sentences; a `-DOCSTART-` line starts a document (its first sentence gets
`user_data["newdoc"] = True`). With 3 or 4 columns (CoNLL-2002 `word POS NER`, CoNLL-2003
`word POS chunk NER`) column 2 is the part-of-speech tag, stored as `tag`. Tags are IOB1 or
IOB2 (or BILUO); under `scheme="auto"` an `I-` that opens an entity is read as `B-` and one
CorpusWarning per file counts them (emitted when the file has been read to its end). The
format records no whitespace: every token but the last is followed by a space.

UniversalNER layout (`.iob2`): CoNLL-U-like, 5 tab-separated columns (index, form, IOB2 tag,
`-`, annotator), `#` comments with `# text =`, `# sent_id =`, `# newdoc id =`. Tokens are UD
syntactic words ("do" "n't"), so whitespace is recovered by aligning them against `# text`, which
makes `doc.text` equal the `# text`; where the words do not spell the text, every token gets a
space and a CorpusWarning says so. `read_conll_ner` hands such files to `read_uner`.
user_data keys: "text", "sent_id", "newdoc" (True) and "doc_id", each where present.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..doc import Doc
from ..vocab import Vocab
from ._align import spaces_from_text
from ._lines import head_lines as read_head_lines
from ._lines import iter_lines
from ..biluo import TagError, check_scheme, looks_like_tag, normalize_tags
from .errors import CorpusError, warn_corpus

DOCSTART = "-DOCSTART-"
UNER_COLUMNS = 5
_UNER_LAYOUT = "5 tab-separated columns (index, form, IOB2 tag, '-', annotator)"


# ----- sniffing ---------------------------------------------------------------------------
def _data_lines(head_lines: list[str], limit: int = 8) -> list[str]:
    return [line for line in head_lines if line.strip() and not line.startswith("#")][:limit]


def sniff_uner(path: str | Path, head_lines: list[str]) -> bool:
    """True where token lines have 5 tab columns: an integer index, a form and an entity tag."""
    lines = _data_lines(head_lines)
    if not lines:
        return False
    for line in lines:
        cols = line.split("\t")
        if len(cols) != UNER_COLUMNS or not cols[0].isdigit() or not looks_like_tag(cols[2]):
            return False
    return True


def sniff_conll_ner(path: str | Path, head_lines: list[str]) -> bool:
    """True for CoNLL-2003-style columns (word ... TAG, or -DOCSTART-); not CoNLL-U, not UNER."""
    lines = _data_lines(head_lines)
    if not lines or sniff_uner(path, head_lines):
        return False
    if lines[0].split()[0] == DOCSTART:
        return True
    for line in lines:
        cols = line.split()
        if len(cols) < 2 or len(line.split("\t")) == 10 or not looks_like_tag(cols[-1]):
            return False
    return True


# ----- CoNLL-2003 -------------------------------------------------------------------------
def read_conll_ner(path: str | Path, vocab: Vocab, *, scheme: str = "auto") -> Iterator[Doc]:
    """Yield one Doc per sentence. `scheme`: "auto", "iob1", "iob2" (strict) or "biluo" (strict).

    A UniversalNER `.iob2` file (5 tab columns with an index) is read by `read_uner`.
    """
    check_scheme(scheme)
    if sniff_uner(path, read_head_lines(path, 50)):
        yield from read_uner(path, vocab, scheme="iob2" if scheme == "auto" else scheme)
        return
    state = _NerState(path, scheme)
    n_cols = 0
    cols_line = 0
    rows: list[list[str]] = []
    first_line = 0
    for line_no, line in iter_lines(path, kind="a CoNLL NER file (word ... TAG columns)"):
        cols = line.split()
        if not cols or cols[0] == DOCSTART:
            if rows:
                yield state.make_doc(vocab, rows, first_line, n_cols)
                rows = []
            if cols:
                state.newdoc = True
            continue
        if not n_cols:
            n_cols, cols_line = len(cols), line_no
            if n_cols < 2:
                raise CorpusError(path, line_no, "found 1 column", expected="at least 2 whitespace-separated columns: word ... NER tag", got=line)
        elif len(cols) != n_cols:
            raise CorpusError(path, line_no, f"found {len(cols)} column(s)", expected=f"{n_cols} columns, as on line {cols_line}", got=line)
        if not rows:
            first_line = line_no
        rows.append(cols)
    if rows:
        yield state.make_doc(vocab, rows, first_line, n_cols)
    state.finish()


class _NerState:
    """What a CoNLL-2003 read carries across sentences: document starts and IOB1 repairs."""

    def __init__(self, path: str | Path, scheme: str) -> None:
        self.path = path
        self.scheme = scheme
        self.newdoc = False
        self.n_sents = 0
        self.repairs = 0
        self.first_repair = 0

    def make_doc(self, vocab: Vocab, rows: list[list[str]], first_line: int, n_cols: int) -> Doc:
        words = [r[0] for r in rows]
        tags, n_fixed = _tags_or_error(self.path, first_line, [r[-1] for r in rows], self.scheme)
        if n_fixed and not self.repairs:
            self.first_repair = first_line
        self.repairs += n_fixed
        user_data = {"newdoc": True} if self.newdoc else {}
        self.newdoc = False
        self.n_sents += 1
        spaces = [True] * len(words)
        spaces[-1] = False
        pos_tags = [r[1] for r in rows] if n_cols in (3, 4) else None
        return Doc(vocab, words, spaces, tags=pos_tags, ents=tags, user_data=user_data,
                   sent_starts=[True] + [False] * (len(words) - 1))

    def finish(self) -> None:
        if self.n_sents == 0:
            raise CorpusError(self.path, None, "no sentences", expected="lines of whitespace-separated columns: word ... NER tag")
        if self.repairs and self.scheme == "auto":
            warn_corpus(self.path, self.first_repair, f"{self.repairs} I- tag(s) open an entity (IOB1); read as B- (first in the sentence starting on this line)")


def _tags_or_error(path: str | Path, first_line: int, tags: list[str], scheme: str) -> tuple[list[str], int]:
    try:
        return normalize_tags(tags, scheme)
    except TagError as err:
        raise CorpusError(path, first_line + err.index, err.message, field="NER tag", expected=err.expected, got=err.got) from None


# ----- UniversalNER -----------------------------------------------------------------------
def read_uner(path: str | Path, vocab: Vocab, *, scheme: str = "iob2", check_text: bool = True) -> Iterator[Doc]:
    """Yield one Doc per sentence of a UniversalNER `.iob2` file (IOB2 checked strictly by default)."""
    check_scheme(scheme)
    words: list[str] = []
    tags: list[str] = []
    user_data: dict = {}
    first_line = text_line = 0
    n_sents = 0
    for line_no, line in iter_lines(path, kind="a UniversalNER .iob2 file"):
        if not line.strip():
            if words:
                yield _uner_doc(path, vocab, words, tags, user_data, first_line, text_line, scheme, check_text)
                n_sents += 1
                words, tags, user_data = [], [], {}
            continue
        if line[0] == "#":
            key, eq, value = line[1:].partition("=")
            key = key.strip()
            if key in ("text", "sent_id") and eq:
                user_data[key] = value.strip()
                if key == "text":
                    text_line = line_no
            elif key in ("newdoc", "newdoc id"):
                user_data["newdoc"] = True
                if eq:
                    user_data["doc_id"] = value.strip()
            continue
        cols = line.split("\t")
        if len(cols) != UNER_COLUMNS:
            raise CorpusError(path, line_no, f"found {len(cols)} tab-separated column(s)", expected=_UNER_LAYOUT, got=line)
        if cols[0] != str(len(words) + 1):
            raise CorpusError(path, line_no, "token indices are not consecutive", field="index", expected=str(len(words) + 1), got=cols[0])
        if not cols[1]:
            raise CorpusError(path, line_no, "empty form", field="form", expected="the token's text")
        if not cols[2]:
            raise CorpusError(path, line_no, "empty entity tag", field="tag", expected="O, B-TYPE, I-TYPE or '-' for unknown")
        if not words:
            first_line = line_no
        words.append(cols[1])
        tags.append(cols[2])
    if words:
        yield _uner_doc(path, vocab, words, tags, user_data, first_line, text_line, scheme, check_text)
        n_sents += 1
    if n_sents == 0:
        raise CorpusError(path, None, "no sentences", expected=f"token lines of {_UNER_LAYOUT}")


def _uner_doc(
    path: str | Path, vocab: Vocab, words: list[str], tags: list[str], user_data: dict,
    first_line: int, text_line: int, scheme: str, check_text: bool,
) -> Doc:
    ents, n_fixed = _tags_or_error(path, first_line, tags, scheme)
    text = user_data.get("text")
    aligned = spaces_from_text(words, text) if text is not None else None
    if aligned is None and text is not None and check_text:
        warn_corpus(path, text_line, f"the tokens do not spell '# text' {text!r}; a space is put after every token")
    spaces = aligned or [True] * (len(words) - 1) + [False]
    doc = Doc(vocab, words, spaces, ents=ents, user_data=user_data, sent_starts=[True] + [False] * (len(words) - 1))
    if aligned is not None and check_text and doc.text != text:
        warn_corpus(path, text_line, f"'# text' {text!r} has whitespace other than single spaces; the Doc keeps one space per gap")
    return doc
