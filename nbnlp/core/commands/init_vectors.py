"""`init-vectors`: a word2vec/fastText text file -> a blank pipeline folder holding its vectors table.

The file's first line gives the number of rows and the width; each following line is a word and
that many numbers. Plain, `.gz`, `.zip` and `.tar.gz` files are read as a stream (a zip or tar
must hold exactly one file). Numbers are parsed a chunk of rows at a time; only when a chunk
fails is it re-read row by row, so an error names the exact line. `prune` keeps the first N rows
(these files list words most frequent first) and points every other word at the kept row whose
vector is nearest by cosine, computed as one matrix product per chunk of words.
"""
from __future__ import annotations

import gzip
import tarfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from ..corpus.errors import CorpusError
from ..vectors import Vectors

PARSE_CHUNK = 4096  # rows parsed together
PRUNE_CHUNK = 1024  # rows compared against the kept rows in one product


@dataclass
class VectorsFile:
    """The rows read from a vectors file (file order) and its declared size."""

    keys: list[str]
    data: np.ndarray
    declared_rows: int
    width: int


@dataclass
class InitVectorsResult:
    output_dir: Path
    vectors: Vectors
    n_read: int  # rows read from the file
    n_pruned: int  # words now pointing at another word's row
    mean_similarity: float | None  # mean cosine between pruned words and their replacement

    def summary(self) -> str:
        rows, width = self.vectors.shape
        text = f"{self.vectors.n_keys} words, {rows} vectors of width {width} (read {self.n_read} rows)"
        if self.n_pruned:
            text += f"; {self.n_pruned} words mapped to their nearest kept vector (mean cosine {self.mean_similarity:.3f})"
        return text


def init_vectors(
    lang: str,
    vectors_file: str | Path,
    output_dir: str | Path,
    *,
    truncate: int = 0,
    prune: int = 0,
    name: str | None = None,
) -> InitVectorsResult:
    """Read `vectors_file` and save a blank `lang` pipeline with its vectors to `output_dir` (loadable with `nbnlp.load`).

    `truncate` reads only the first N rows; `prune` keeps N rows and maps the other words to their
    nearest kept vector (0 = off for both). `name` names the table (default: the file's name).
    """
    from ..language import blank

    if truncate < 0 or prune < 0:
        raise ValueError(f"truncate and prune must be 0 (off) or more; got truncate={truncate}, prune={prune}")
    nlp = blank(lang)  # checks the language first: no need to read a large file to report a typo
    table = read_word2vec(vectors_file, truncate=truncate)
    vectors, similarity = prune_vectors(table.keys, table.data, prune)
    vectors.name = name or _stem(Path(vectors_file))
    nlp.vocab.vectors = vectors
    nlp.meta["name"] = "vectors"
    nlp.to_disk(output_dir)
    n_pruned = len(table.keys) - prune if 0 < prune < len(table.keys) else 0
    return InitVectorsResult(Path(output_dir), vectors, len(table.keys), n_pruned, similarity)


# ----- reading ------------------------------------------------------------------------------------
def read_word2vec(path: str | Path, *, truncate: int = 0) -> VectorsFile:
    """Keys and float32 rows of a word2vec text file (plain, .gz, .zip or .tar.gz)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such vectors file: {path}")
    with _open_lines(path) as (label, stream):
        return _parse(label, stream, truncate)


@contextmanager
def _open_lines(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """A binary line stream over the one text file in `path`, and the name errors should use for it."""
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(path, "r:*") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            _one_member(path, [m.name for m in members])
            stream = tar.extractfile(members[0])
            assert stream is not None
            yield f"{path}:{members[0].name}", stream
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _one_member(path, [m.filename for m in members])
            with archive.open(members[0]) as stream:
                yield f"{path}:{members[0].filename}", stream  # type: ignore[misc]
    elif name.endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield str(path), stream  # type: ignore[misc]
    else:
        with open(path, "rb") as stream:
            yield str(path), stream


def _one_member(path: Path, names: list[str]) -> None:
    if len(names) != 1:
        found = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "") if names else "no files"
        raise CorpusError(path, None, f"the archive must hold exactly one vectors file; it holds {found}")


def _parse(label: str, stream: IO[bytes], truncate: int) -> VectorsFile:
    lines = _decoded(label, stream)
    try:
        line_no, header = next(lines)
    except StopIteration:
        raise CorpusError(label, None, "the file is empty", expected="a first line 'n_rows width' (word2vec text format)") from None
    n_rows, width = _header(label, line_no, header)
    keys: list[str] = []
    blocks: list[np.ndarray] = []
    pending: list[tuple[int, str, list[str]]] = []
    limit = min(truncate, n_rows) if truncate else n_rows
    for line_no, line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if len(keys) + len(pending) >= limit:
            if truncate:
                break
            raise CorpusError(label, line_no, f"more rows than the {n_rows} the first line announces", expected=f"{n_rows} rows")
        fields = [f for f in text.rstrip().split(" ") if f]
        if len(fields) != width + 1:
            found = len(fields) - 1
            raise CorpusError(label, line_no, f"expected a word and {width} numbers, found {found} value{'s' if found != 1 else ''} after the word",
                              expected=f"{width} numbers (the width on line 1)", got=_cut(text))
        pending.append((line_no, fields[0], fields[1:]))
        if len(pending) >= PARSE_CHUNK:
            blocks.append(_floats(label, pending, width))
            keys.extend(word for _, word, _ in pending)
            pending = []
    if pending:
        blocks.append(_floats(label, pending, width))
        keys.extend(word for _, word, _ in pending)
    if len(keys) < limit:
        raise CorpusError(label, None, f"the first line announces {n_rows} rows but the file has {len(keys)} (cut off?)",
                          expected=f"{n_rows} rows, or --truncate {len(keys)}")
    data = np.concatenate(blocks) if blocks else np.zeros((0, width), dtype=np.float32)
    return VectorsFile(keys, data, n_rows, width)


def _decoded(label: str, stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    for line_no, raw in enumerate(stream, start=1):
        try:
            yield line_no, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CorpusError(label, line_no, "not UTF-8 text (binary word2vec files are not supported; save them in the text format)",
                              expected="UTF-8 text") from None


def _header(label: str, line_no: int, line: str) -> tuple[int, int]:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[1]) > 0:
        return int(parts[0]), int(parts[1])
    raise CorpusError(label, line_no, "the first line must give the number of rows and the width",
                      expected="'n_rows width' (word2vec text format)", got=_cut(line.rstrip("\r\n")))


def _floats(label: str, rows: list[tuple[int, str, list[str]]], width: int) -> np.ndarray:
    """The numbers of a chunk of rows as float32; a bad value is reported with its line and column."""
    try:
        block = np.array([v for _, _, values in rows for v in values], dtype=np.float32).reshape(len(rows), width)
        if np.isfinite(block).all():
            return block
    except ValueError:
        pass
    for line_no, word, values in rows:  # slow path: find the first bad value
        for column, value in enumerate(values, start=2):
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is None or not np.isfinite(number):
                raise CorpusError(label, line_no, f"value {column - 1} of {word!r} (column {column}) is not a finite number",
                                  expected="a number like 0.123 or -1.5e-3", got=value)
    raise AssertionError("unreachable: a chunk failed but every value parsed")  # pragma: no cover


def _cut(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".gz", ".zip", ".tar", ".txt", ".vec"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


# ----- pruning ------------------------------------------------------------------------------------
def prune_vectors(keys: list[str], data: np.ndarray, n_keep: int) -> tuple[Vectors, float | None]:
    """Keep the first `n_keep` rows; every later word points at its nearest kept row by cosine (0 = keep all).

    Returns the table and the mean cosine similarity of the pruned words to their replacement.
    """
    if not n_keep or n_keep >= len(data):
        return Vectors(data, keys), None
    kept = data[:n_keep]
    unit_kept = _unit(kept)
    rows = np.arange(len(data), dtype=np.int64)
    similarity = np.zeros((len(data) - n_keep,), dtype=np.float32)
    for start in range(n_keep, len(data), PRUNE_CHUNK):
        end = min(start + PRUNE_CHUNK, len(data))
        sims = _unit(data[start:end]) @ unit_kept.T
        best = sims.argmax(axis=1)
        rows[start:end] = best
        similarity[start - n_keep:end - n_keep] = sims[np.arange(end - start), best]
    return Vectors(kept.copy(), keys, rows), float(similarity.mean())


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


__all__ = ["InitVectorsResult", "VectorsFile", "init_vectors", "prune_vectors", "read_word2vec"]
