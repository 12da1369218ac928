"""Damaged files: a file nbnlp reads back (weights, config, meta, tokenizer, checkpoint state) that is
missing, empty, cut short or not what nbnlp wrote becomes one `DamagedFileError` naming the file.

The decoders' own messages ("Unpack failed: incomplete input", "Expected object or value") do not
say which file, so every load path reads through these helpers instead of `srsly.read_*`.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import srsly

RESAVE = "Save the pipeline again, or load another copy of it"


class DamagedFileError(ValueError):
    """A file nbnlp wrote cannot be read back. The message reads `FILE: what is wrong (detail). What to do`."""

    def __init__(self, path: str | Path, problem: str, fix: str = RESAVE) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}. {fix}" if fix else f"{path}: {problem}")


def read_bytes_checked(path: Path, *, what: str, fix: str = RESAVE) -> bytes:
    """The bytes of `path`; a missing, unreadable or empty file is a DamagedFileError saying which `what` it held."""
    path = Path(path)
    if path.is_dir():
        raise DamagedFileError(path, f"is a folder, not {what}", fix)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DamagedFileError(path, f"{what} is missing", fix) from None
    except OSError as err:
        raise DamagedFileError(path, f"{what} cannot be read ({err.strerror or err})", fix) from None
    if not data:
        raise DamagedFileError(path, f"{what} is empty (0 bytes)", fix)
    return data


def decode_text(path: Path, data: bytes, *, what: str, fix: str = RESAVE) -> str:
    """`data` as UTF-8 text (a leading BOM dropped); binary data is a DamagedFileError naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        byte = data[err.start : err.start + 1]
        raise DamagedFileError(path, f"not UTF-8 text (byte {byte!r} at offset {err.start}), so not {what}", fix) from None


def read_text_checked(path: Path, *, what: str, fix: str = RESAVE) -> str:
    """The UTF-8 text of `path` (missing, empty and binary files are DamagedFileErrors)."""
    return decode_text(path, read_bytes_checked(path, what=what, fix=fix), what=what, fix=fix)


def read_json_file(path: Path, *, what: str, fix: str = RESAVE, expect: Optional[type] = None) -> Any:
    """Parsed JSON of `path`; missing, empty, cut-short or non-JSON content (or a value not of type `expect`) is a
    DamagedFileError naming the file and the line where the JSON broke."""
    text = read_text_checked(path, what=what, fix=fix)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        cut = "cut short" if err.pos >= len(text.rstrip()) else "not valid JSON"
        raise DamagedFileError(path, f"{what} is {cut} (JSON: {err.msg} at line {err.lineno}, column {err.colno})", fix) from None
    if expect is not None and not isinstance(value, expect):
        raise DamagedFileError(path, f"not {what}: it holds a JSON {_json_kind(value)}, not a JSON {_json_kind(expect())}", fix)
    return value


def read_msgpack_file(path: Path, *, what: str, fix: str = RESAVE, expect: Optional[type] = None) -> Any:
    """Decoded msgpack of `path`; missing, empty, cut-short or garbled content (or a value not of type `expect`) is a
    DamagedFileError naming the file, with the decoder's own words in brackets."""
    data = read_bytes_checked(path, what=what, fix=fix)
    value = decode_msgpack(path, data, what=what, fix=fix)
    if expect is not None and not isinstance(value, expect):
        raise DamagedFileError(path, f"{what} is not what nbnlp writes (it decodes to a {type(value).__name__})", fix)
    return value


def decode_msgpack(path: Path, data: bytes, *, what: str, fix: str = RESAVE) -> Any:
    """`data` (read from `path`) decoded as msgpack, or a DamagedFileError."""
    try:
        return srsly.msgpack_loads(data)
    except Exception as err:  # msgpack raises ValueError, ExtraData, FormatError, StackError... for bad input
        detail = str(err) or type(err).__name__
        cut = "cut short" if "incomplete" in detail or "OutOfData" in type(err).__name__ else "garbled"
        raise DamagedFileError(path, f"{what} is {cut} or not a file nbnlp wrote (msgpack: {detail})", fix) from None


@contextmanager
def damaged_if_fails(path: Path, problem: str, fix: str = RESAVE) -> Iterator[None]:
    """Turn any error while using the decoded content of `path` (wrong shapes, missing keys) into a DamagedFileError."""
    try:
        yield
    except (DamagedFileError, MemoryError):
        raise
    except Exception as err:  # whatever the consumer raises on content it does not expect (re.error included)
        raise DamagedFileError(path, f"{problem} ({type(err).__name__}: {_short(str(err))})", fix) from None


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


__all__ = [
    "RESAVE", "DamagedFileError", "damaged_if_fails", "decode_msgpack", "decode_text", "read_bytes_checked",
    "read_json_file", "read_msgpack_file", "read_text_checked",
]
