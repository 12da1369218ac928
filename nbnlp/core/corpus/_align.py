"""Recover token offsets and trailing whitespace by walking tokens through their raw text.

Column formats (UNER, pre-tokenized JSONL) give words but not the whitespace between them; when
the sentence text is known, matching the words against it restores `doc.text == text` and gives
the character offsets that span annotations refer to.
"""
from __future__ import annotations

from typing import Sequence


def align_tokens(words: Sequence[str], text: str) -> tuple[list[int], list[bool]] | None:
    """(start offset, followed-by-whitespace) per word, or None where the words do not spell `text`.

    Words must appear in order, separated only by whitespace; the last word never gets a space.
    """
    starts: list[int] = []
    spaces: list[bool] = []
    pos = 0
    n = len(text)
    for word in words:
        while pos < n and text[pos].isspace():
            pos += 1
        if not text.startswith(word, pos):
            return None
        starts.append(pos)
        pos += len(word)
        spaces.append(pos < n and text[pos].isspace())
    if text[pos:].strip():
        return None
    if spaces:
        spaces[-1] = False
    return starts, spaces


def spaces_from_text(words: Sequence[str], text: str) -> list[bool] | None:
    """Space flag per word, or None where the words do not spell `text`."""
    aligned = align_tokens(words, text)
    return None if aligned is None else aligned[1]
