"""`load_docs` / `save_docs`: one entry point for every corpus format nbnlp reads and writes.

The format comes from the file extension where it is unambiguous, else from sniffing the first
lines; a folder is read file by file (sorted, recursively). Readers yield one doc per sentence;
`n_sents` groups consecutive sentences into documents as `convert` does.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..doc import Doc
from ..vocab import Vocab
from ._lines import looks_binary
from .errors import CorpusError


@dataclass(frozen=True)
class CorpusFormat:
    """A readable format: its reader and sniffer live in `module` as `read_<name>` / `sniff_<name>`."""

    name: str
    module: str
    extensions: tuple[str, ...]
    sentence_based: bool = True

    def _get(self, prefix: str) -> Callable:
        mod = importlib.import_module(f"{__package__}.{self.module}")
        return getattr(mod, f"{prefix}_{self.name}")

    @property
    def read(self) -> Callable[..., Iterator[Doc]]:
        return self._get("read")

    @property
    def sniff(self) -> Callable[[Path, list[str]], bool]:
        return self._get("sniff")


FORMATS: dict[str, CorpusFormat] = {
    f.name: f
    for f in (
        CorpusFormat("nbnlp", "binary", (".nbnlp",), sentence_based=False),
        CorpusFormat("conllu", "conllu", (".conllu",)),
        CorpusFormat("uner", "conll_ner", (".iob2",)),
        CorpusFormat("iob", "iob", (".iob",)),
        CorpusFormat("conll_ner", "conll_ner", (".conll", ".ner")),
        CorpusFormat("jsonl", "jsonl", (".jsonl", ".json"), sentence_based=False),
        CorpusFormat("spacy", "docbin", (".spacy",), sentence_based=False),
    )
}
# Names the CLI accepts for --converter, mapped to formats.
FORMAT_ALIASES = {"ner": "conll_ner", "conll": "conll_ner", "iob2": "uner", "json": "jsonl", "docbin": "spacy"}
SNIFF_ORDER = ("conllu", "uner", "conll_ner", "iob", "jsonl")


def resolve_format_name(name: str) -> str:
    key = FORMAT_ALIASES.get(name, name)
    if key not in FORMATS and key != "auto":
        known = sorted([*FORMATS, *FORMAT_ALIASES, "auto"])
        raise ValueError(f"Unknown corpus format {name!r}; expected one of {', '.join(known)}")
    return key


def detect_format(path: Path) -> CorpusFormat:
    """The format of one file: extension first, then the content of its first lines."""
    with path.open("rb") as f:
        head_bytes = f.read(64 * 1024)
    if head_bytes.startswith(importlib.import_module(f"{__package__}.binary").MAGIC):
        return FORMATS["nbnlp"]
    if not head_bytes.strip():
        raise CorpusError(path, 1, "the file is empty", expected="at least one sentence or record")
    suffix = path.suffix.lower()
    if suffix in FORMATS["spacy"].extensions or FORMATS["spacy"].sniff(path, head_bytes):
        return FORMATS["spacy"]  # zlib data: its reader says what is wrong with a damaged one
    if looks_binary(path, head_bytes):
        if suffix in FORMATS["nbnlp"].extensions:
            return FORMATS["nbnlp"]  # its reader checks the header and says how far a damaged file reads
        raise CorpusError(path, None, f"binary data, not a text corpus (a NUL byte at offset {head_bytes.index(0)}; is it the right file?)",
                          expected=f"{KINDS} in UTF-8")
    head_lines = head_bytes.decode("utf8", errors="replace").splitlines()[:200]
    by_ext = [f for f in FORMATS.values() if suffix in f.extensions]
    for fmt in by_ext:
        if fmt.sniff(path, head_lines):
            return fmt
    for name in SNIFF_ORDER:
        fmt = FORMATS[name]
        if fmt not in by_ext and fmt.sniff(path, head_lines):
            return fmt
    if by_ext:  # The extension is the best guess left; its reader reports what is wrong.
        return by_ext[0]
    raise CorpusError(
        path, None, "cannot tell the corpus format from the extension or the content",
        expected=f"{KINDS}; name one with format=... (--converter)",
    )


KINDS = "CoNLL-U, CoNLL NER columns, UniversalNER .iob2, word|TAG IOB lines, JSONL, .nbnlp or spaCy's .spacy"


def iter_corpus_files(path: str | Path) -> list[Path]:
    """The files a path stands for: itself, or every supported file below a folder (sorted)."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(path, None, "no such file or folder")
    if path.is_file():
        return [path]
    known = {ext for f in FORMATS.values() for ext in f.extensions}
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in known and not p.name.startswith("."))
    if not files:
        raise CorpusError(path, None, "the folder holds no corpus files", expected=f"files ending in {', '.join(sorted(known))}")
    return files


def load_docs(
    path: str | Path,
    *,
    format: str = "auto",
    vocab: Vocab | None = None,
    lang: str = "en",
    n_sents: int = 1,
    **options,
) -> Iterator[Doc]:
    """Yield the docs of any supported corpus file or folder.

    `format` names the reader (auto, conllu, uner, iob, conll_ner/ner, jsonl, nbnlp, spacy); `n_sents`
    groups that many sentences into one doc (a new document in the source also starts a new doc);
    other keyword options go to the reader.
    """
    if n_sents < 1:
        raise ValueError(f"n_sents must be at least 1, got {n_sents}")
    if vocab is None:
        from ..lang import create_vocab

        vocab = create_vocab(lang)
    name = resolve_format_name(format)
    for file in iter_corpus_files(path):
        fmt = detect_format(file) if name == "auto" else FORMATS[name]
        reader_options = dict(options)
        if fmt.name == "jsonl":
            reader_options.setdefault("lang", lang)
        docs = fmt.read(file, vocab, **reader_options)
        if fmt.sentence_based and n_sents > 1:
            docs = group_sentences(docs, n_sents)
        yield from docs


def group_sentences(docs: Iterable[Doc], n_sents: int) -> Iterator[Doc]:
    """Merge runs of `n_sents` sentence docs into one doc; a `newdoc` marker starts a new group."""
    group: list[Doc] = []
    for doc in docs:
        if group and (len(group) >= n_sents or doc.user_data.get("newdoc")):
            yield _merge_group(group)
            group = []
        group.append(doc)
    if group:
        yield _merge_group(group)


def _merge_group(group: list[Doc]) -> Doc:
    merged = Doc.from_docs(group)
    first = group[0].user_data
    merged.user_data = {k: v for k, v in first.items() if k in ("newdoc", "doc_id")}
    merged.user_data["sent_ids"] = [d.user_data.get("sent_id") for d in group]
    return merged


def save_docs(docs: Iterable[Doc], path: str | Path, *, format: str = "auto") -> int:
    """Write docs atomically as `.nbnlp`, JSONL or spaCy's `.spacy` (from the extension unless `format` says);
    returns the count."""
    path = Path(path)
    name = resolve_format_name(format)
    if name == "auto":
        suffix = path.suffix.lower()
        name = "jsonl" if suffix in (".jsonl", ".json") else "spacy" if suffix == ".spacy" else "nbnlp"
    if name == "nbnlp":
        from .binary import write_nbnlp

        return write_nbnlp(docs, path)
    if name == "jsonl":
        from .jsonl import write_jsonl

        return write_jsonl(docs, path)
    if name == "spacy":
        from .docbin_write import write_spacy

        return write_spacy(docs, path)
    raise ValueError(f"save_docs writes .nbnlp, .jsonl or .spacy, not {name!r}")
