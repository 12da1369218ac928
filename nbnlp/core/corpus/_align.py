"""Recover token offsets and trailing whitespace by walking tokens through their raw text.

Column formats (UNER, pre-tokenized JSONL) give words but not the whitespace between them; when
the sentence text is known, matching the words against it restores `doc.text == text` and gives
the character offsets that span annotations refer to. The tokenizer benchmark uses the lenient
form of the same walk to place gold tokens whose text has typos.
"""
from __future__ import annotations

from typing import Sequence

Span = tuple[int, int]


def token_spans(text: str, tokens: Sequence[str], *, strict: bool = True) -> list[Span] | None:
    """Character spans of `tokens` in `text`, in order, skipping whitespace between them.

    strict: the tokens must spell `text` (only whitespace between and after them), else None.
    Lenient: a token not found where expected is searched for further on and one not found at
    all is dropped, so the result is never None but may hold fewer spans than tokens.
    """
    spans: list[Span] = []
    pos = 0
    n = len(text)
    for tok in tokens:
        while pos < n and text[pos].isspace():
            pos += 1
        if text.startswith(tok, pos):
            start = pos
        elif strict:
            return None
        else:
            start = text.find(tok, pos)
            if start < 0:
                continue
        pos = start + len(tok)
        spans.append((start, pos))
    if strict and text[pos:].strip():
        return None
    return spans


def align_tokens(words: Sequence[str], text: str) -> tuple[list[int], list[bool]] | None:
    """(start offset, followed-by-whitespace) per word, or None where the words do not spell `text`.

    Words must appear in order, separated only by whitespace; the last word never gets a space.
    """
    spans = token_spans(text, words)
    if spans is None:
        return None
    n = len(text)
    starts = [start for start, _ in spans]
    spaces = [end < n and text[end].isspace() for _, end in spans]
    if spaces:
        spaces[-1] = False
    return starts, spaces


def spaces_from_text(words: Sequence[str], text: str) -> list[bool] | None:
    """Space flag per word, or None where the words do not spell `text`."""
    aligned = align_tokens(words, text)
    return None if aligned is None else aligned[1]
