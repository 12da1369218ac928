"""Recover which tokens are followed by whitespace by walking the tokens through their raw text.

Column formats (UNER, pre-tokenized JSONL) give words but not the whitespace between them; when
the sentence text is known, matching the words against it restores `doc.text == text`.
"""
from __future__ import annotations

from typing import Sequence


def spaces_from_text(words: Sequence[str], text: str) -> list[bool] | None:
    """Space flag per word, or None where the words do not spell `text` (in order, whitespace aside)."""
    spaces: list[bool] = []
    pos = 0
    n = len(text)
    for word in words:
        while pos < n and text[pos].isspace():
            pos += 1
        if not text.startswith(word, pos):
            return None
        pos += len(word)
        spaces.append(pos < n and text[pos].isspace())
    if text[pos:].strip():
        return None
    if spaces:
        spaces[-1] = False
    return spaces
