"""`convert`: turn corpus files into `.nbnlp` (or JSONL, or spaCy's `.spacy`) files ready for training.

All outputs are written to a staging folder inside OUTPUT_DIR and moved into place only when
every input converted, so a bad file anywhere leaves no partial output behind.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..doc import Doc
from .loader import detect_format, iter_corpus_files, load_docs, resolve_format_name, save_docs

FILE_TYPES = ("nbnlp", "jsonl", "spacy")


@dataclass
class ConvertedFile:
    """What one input became."""

    source: Path
    output: Path
    format: str
    n_docs: int
    n_sents: int
    n_words: int

    def summary(self) -> str:
        return f"{self.source} ({self.format}) -> {self.output}: {self.n_docs} docs, {self.n_sents} sentences, {self.n_words} words"


def convert(
    input_path: str | Path,
    output_dir: str | Path,
    *,
    converter: str = "auto",
    n_sents: int = 1,
    file_type: str = "nbnlp",
    lang: str = "en",
) -> list[ConvertedFile]:
    """Convert a corpus file, or every corpus file of a folder, into OUTPUT_DIR/<name>.<file_type>."""
    if file_type not in FILE_TYPES:
        raise ValueError(f"file_type must be one of {', '.join(FILE_TYPES)}, got {file_type!r}")
    fmt_name = resolve_format_name(converter)
    sources = iter_corpus_files(input_path)
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"{output_dir}: is a file, but convert writes into a folder (one output file per input); give a folder's path")
    created = _missing_parents(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nbnlp-convert-", dir=output_dir))
    results: list[ConvertedFile] = []
    done = False
    try:
        for source in sources:
            fmt = detect_format(source).name if fmt_name == "auto" else fmt_name
            counter = _Counter()
            docs = load_docs(source, format=fmt, lang=lang, n_sents=n_sents)
            out_name = f"{source.stem}.{file_type}"
            if any(r.output.name == out_name for r in results):
                out_name = f"{source.stem}-{len(results)}.{file_type}"
            n_docs = save_docs(counter.count(docs), staging / out_name, format=file_type)
            results.append(
                ConvertedFile(source, output_dir / out_name, fmt, n_docs, counter.n_sents, counter.n_words)
            )
        for result in results:
            if result.output.is_dir():
                raise ValueError(f"{result.output}: is a folder, so {result.source} cannot be converted to it; move the folder away")
        for result in results:
            os.replace(staging / result.output.name, result.output)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:  # leave no folder behind that this call made
            for folder in created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return results


def _missing_parents(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, innermost first (what `mkdir(parents=True)` makes)."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


class _Counter:
    """Counts sentences and words of the docs streaming through it."""

    def __init__(self) -> None:
        self.n_sents = 0
        self.n_words = 0

    def count(self, docs: Iterator[Doc]) -> Iterator[Doc]:
        for doc in docs:
            self.n_words += len(doc)
            self.n_sents += int((doc.arrays["SENT_START"] == 1).sum()) or 1 if len(doc) else 0
            yield doc
