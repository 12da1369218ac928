"""`.iob` reader: one sentence per line, tokens `word|TAG` or `word|POS|TAG` separated by spaces.

The last `|` field is the entity tag (IOB1, IOB2 or BILUO, see `biluo.normalize_tags`), a middle
field is the part-of-speech tag (stored as `tag`). The number of fields is fixed by the file's
first token, so a word may itself contain `|`. A line whose first word is `-DOCSTART-` starts a
new document: the next sentence gets `user_data["newdoc"] = True`. Blank lines are skipped. Every
token but the last is followed by a space (the format records no whitespace).

IOB1 `I-` tags that open an entity are read as `B-`; with `scheme="auto"` one CorpusWarning per
file reports how many (emitted when the file has been read to its end).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..doc import Doc
from ..vocab import Vocab
from ._lines import iter_lines
from ..biluo import TagError, check_scheme, looks_like_tag, normalize_tags
from .errors import CorpusError, warn_corpus


def sniff_iob(path: str | Path, head_lines: list[str]) -> bool:
    """True where the first non-blank lines are space-separated `word|...|TAG` tokens."""
    lines = [line for line in head_lines if line.strip()][:5]
    if not lines:
        return False
    for line in lines:
        for tok in line.split():
            parts = tok.rsplit("|", 2)
            if len(parts) < 2 or not parts[0] or not looks_like_tag(parts[-1]):
                return False
    return True


def read_iob(path: str | Path, vocab: Vocab, *, scheme: str = "auto") -> Iterator[Doc]:
    """Yield one Doc per non-blank line. `scheme`: "auto", "iob1", "iob2" (strict) or "biluo" (strict)."""
    check_scheme(scheme)
    n_fields = 0
    n_sents = 0
    repairs = 0
    first_repair = 0
    newdoc = False
    for line_no, line in iter_lines(path, kind="an IOB file (word|TAG tokens)"):
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0].split("|", 1)[0] == "-DOCSTART-":
            newdoc = True
            continue
        if not n_fields:
            n_fields = tokens[0].count("|") + 1
            if n_fields not in (2, 3):
                raise CorpusError(path, line_no, f"token 1 {tokens[0]!r} has {n_fields} '|'-separated field(s)", expected="word|TAG or word|POS|TAG")
        words, pos_tags, ner = [], [], []
        for k, tok in enumerate(tokens, 1):
            parts = tok.rsplit("|", n_fields - 1)
            if len(parts) != n_fields or not parts[0]:
                layout = "word|TAG" if n_fields == 2 else "word|POS|TAG"
                raise CorpusError(path, line_no, f"token {k} {tok!r} has {len(parts)} '|'-separated field(s)", expected=f"{layout}, as the file's first token")
            if not parts[-1]:
                raise CorpusError(path, line_no, f"token {k} {tok!r} has an empty entity tag", field="NER tag", expected="O, B-TYPE, I-TYPE... or '-' for unknown")
            if n_fields == 3 and not parts[1]:
                raise CorpusError(path, line_no, f"token {k} {tok!r} has an empty POS tag", field="POS tag", expected="word|POS|TAG with a part-of-speech tag")
            words.append(parts[0])
            ner.append(parts[-1])
            if n_fields == 3:
                pos_tags.append(parts[1])
        try:
            tags, n_fixed = normalize_tags(ner, scheme)
        except TagError as err:
            raise CorpusError(path, line_no, err.message, field="NER tag", expected=err.expected, got=err.got) from None
        if n_fixed and not repairs:
            first_repair = line_no
        repairs += n_fixed
        user_data = {"newdoc": True} if newdoc else {}
        newdoc = False
        spaces = [True] * len(words)
        spaces[-1] = False
        yield Doc(vocab, words, spaces, tags=pos_tags or None, ents=tags, user_data=user_data,
                  sent_starts=[True] + [False] * (len(words) - 1))
        n_sents += 1
    if n_sents == 0:
        raise CorpusError(path, None, "no sentences", expected="lines of space-separated word|TAG tokens")
    if repairs and scheme == "auto":
        warn_corpus(path, first_repair, f"{repairs} I- tag(s) open an entity (IOB1); read as B- (first on this line)")
