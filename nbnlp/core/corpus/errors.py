"""Errors and warnings for bad corpus input: each names the file, the line and what was expected."""
from __future__ import annotations

import warnings
from pathlib import Path


class CorpusError(ValueError):
    """Malformed input data. The message reads `FILE:LINE: [field X] problem (expected ..., got ...)`."""

    def __init__(
        self,
        path: str | Path | None,
        line: int | None,
        message: str,
        *,
        field: str | None = None,
        expected: str | None = None,
        got: object = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        self.problem = message
        super().__init__(format_location(path, line, message, field=field, expected=expected, got=got))


class CorpusWarning(UserWarning):
    """Input that was repaired by convention (e.g. an IOB1 `I-` that opens an entity)."""


def format_location(
    path: str | Path | None,
    line: int | None,
    message: str,
    *,
    field: str | None = None,
    expected: str | None = None,
    got: object = None,
) -> str:
    where = str(path) if path is not None else "<input>"
    if line is not None:
        where += f":{line}"
    text = f"{where}: "
    if field:
        text += f"field {field}: "
    text += message
    details = []
    if expected is not None:
        details.append(f"expected {expected}")
    if got is not None:
        details.append(f"got {got!r}")
    if details:
        text += f" ({', '.join(details)})"
    return text


def warn_corpus(path: str | Path | None, line: int | None, message: str) -> None:
    """Emit a CorpusWarning that names the file and line."""
    warnings.warn(format_location(path, line, message), CorpusWarning, stacklevel=3)
