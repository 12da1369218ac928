"""Stream the lines of a corpus file with their line numbers, reporting bad bytes by line.

Every reader goes through here so that they all stream (one line in memory at a time) and all
report undecodable input the same way: the file, the line and the offending byte.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .errors import CorpusError


def iter_lines(path: str | Path, encoding: str = "utf-8", *, kind: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, line)` (1-based, newline stripped; a leading BOM is dropped).

    Decoding runs in text mode for speed; on a decoding error the file is rescanned in binary to
    name the line, since the text layer only knows a byte offset within its buffer. `kind` says
    what the file should be ("a CoNLL-U file"), for that error.
    """
    line_no = 0
    try:
        with open(path, encoding=encoding, newline="") as f:
            for line_no, line in enumerate(f, 1):
                if line_no == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield line_no, line.rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise decoding_error(path, encoding, line_no + 1, kind=kind) from err


def decoding_error(path: str | Path, encoding: str = "utf-8", fallback_line: int | None = None, *, kind: str | None = None) -> CorpusError:
    """The CorpusError for a file that does not decode: names the first bad line, column and byte, and says
    whether the file is binary data (the wrong file) or text in another encoding."""
    bad_line, column, byte, offset = _locate_bad_bytes(path, encoding)
    expected = f"{encoding.upper()} text" + (f": {kind}" if kind else "")
    where = f"byte {byte!r} at column {column} (offset {offset} in the file)"
    if looks_binary(path):
        return CorpusError(path, bad_line or fallback_line, f"binary data, not text: {where}; is it the right file?", expected=expected)
    return CorpusError(
        path, bad_line or fallback_line,
        f"not {encoding.upper()} text: cannot decode {where} as {encoding.upper()} (is the file in another encoding, e.g. latin-1?)",
        expected=expected,
    )


def looks_binary(path: str | Path, head: bytes | None = None) -> bool:
    """Whether a file is binary data rather than text: a NUL byte in its first 8 KiB (text in UTF-8 has none)."""
    if head is None:
        with open(path, "rb") as f:
            head = f.read(8192)
    return b"\x00" in head[:8192]


def _locate_bad_bytes(path: str | Path, encoding: str) -> tuple[int | None, int, bytes, int]:
    """(line, 1-based byte column, bytes, byte offset in the file) of the first undecodable line, scanning in binary."""
    offset = 0
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as err:
                return line_no, err.start + 1, raw[err.start : err.end], offset + err.start
            offset += len(raw)
    return None, 0, b"", offset


def head_lines(path: str | Path, n: int = 20) -> list[str]:
    """The first `n` lines of a file for format sniffing (undecodable bytes replaced, never raises on them)."""
    out: list[str] = []
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for line in f:
            out.append(line.rstrip("\r\n"))
            if len(out) >= n:
                break
    if out and out[0].startswith("\ufeff"):
        out[0] = out[0][1:]
    return out
