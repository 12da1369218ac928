"""JSON-lines reader and writer (Prodigy-style records): one Doc per record, streamed.

Records (one JSON object per line; a `.json` file may instead hold a list of them):
- `{"text", "spans": [{"start", "end", "label"}]}`: entities by character offsets. Tokens come
  from `"tokens": [{"text", "start", "end", "id", "ws"}]` where present, else from tokenizing
  `text`. A span off token boundaries is an error unless `alignment_mode="contract"|"expand"`;
  overlapping spans are an error. With "spans" present, every other token is outside ("O");
  without it the entity annotation is missing. Spans given only by `token_start`/`token_end`
  (inclusive, as Prodigy) are accepted too.
- `{"text", "cats": {label: score}}`, `{"text", "label": "spam"}`, Prodigy choice records
  `{"text", "options": [{"id"}], "accept": [ids]}`: text classification, into `doc.cats`.
- `{"text"}` or `{"tokens": ["w1", "w2"]}`: raw text / pre-tokenized words (string tokens are
  aligned against `text` when both are given).
Records with `"answer": "reject"` or `"ignore"` are skipped; `"meta"` is kept in
`user_data["meta"]`; `"span_groups": {name: {"spans": [[start_token, end_token, label]], "attrs": {}}}`
(end exclusive, over the record's tokens) fills `doc.spans`; other keys (`_input_hash`, ...) are ignored.

Single labels and streaming: a `"label"` record only names its positive class, and a stream
cannot know the other classes before its end. So by default `cats = {label: 1.0}` and the
zeros are left to whoever knows the label set (the textcat component / training setup). Pass
`labels=[...]` to get a full one-hot `cats` over a known set (an unknown label is an error), or
`labels="scan"` to collect the set in a first, cheap pass over the file.
"""
from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..doc import Doc
from ..vocab import Vocab
from ._align import align_tokens
from ._lines import decoding_error, iter_lines
from .errors import CorpusError, warn_corpus

KNOWN_KEYS = ("text", "tokens", "spans", "cats", "label", "accept")
KIND = "a JSONL file (one JSON object per line)"
_SKIP_ANSWERS = ("reject", "ignore")
_CHUNK = 1 << 20

Tokenizer = Callable[[str], Doc]


def sniff_jsonl(path: str | Path, head_lines: list[str]) -> bool:
    """True where the first non-blank line is a JSON object with a known key, or opens a JSON list."""
    for line in head_lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("["):
            return line == "[" or line[1:].lstrip().startswith("{") or line[1:].strip() == ""
        if not line.startswith("{"):
            return False
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # maybe a cut-off long line
            return any(f'"{key}"' in line for key in KNOWN_KEYS)
        return isinstance(record, dict) and any(key in record for key in KNOWN_KEYS)
    return False


def read_jsonl(
    path: str | Path,
    vocab: Vocab,
    *,
    lang: str | None = None,
    tokenizer: Tokenizer | None = None,
    alignment_mode: str = "strict",
    labels: Sequence[str] | str | None = None,
) -> Iterator[Doc]:
    """Yield one Doc per record (see the module docstring for the record shapes).

    `tokenizer` (text -> Doc over `vocab`) is used for records without tokens; by default
    `nbnlp.core.lang.create_tokenizer(lang or vocab.lang, vocab)`, created on first need.
    """
    if alignment_mode not in ("strict", "contract", "expand"):
        raise ValueError(f"alignment_mode must be 'strict', 'contract' or 'expand', not {alignment_mode!r}")
    label_set: list[str] | None
    if labels == "scan":
        label_set = collect_labels(path)
    elif isinstance(labels, str):
        raise ValueError(f"labels must be a list of labels, 'scan' or None, not {labels!r}")
    else:
        label_set = list(labels) if labels is not None else None
    builder = _RecordReader(path, vocab, lang, tokenizer, alignment_mode, label_set)
    n_records = 0
    for line_no, record in iter_records(path):
        n_records += 1
        doc = builder.make_doc(line_no, record)
        if doc is not None:
            yield doc
    if n_records == 0:
        raise CorpusError(path, None, "no records", expected="JSON objects, one per line")


def collect_labels(path: str | Path) -> list[str]:
    """Every class label used in a file ("label", "cats", "accept", "options"), sorted."""
    found: set[str] = set()
    for line_no, record in iter_records(path):
        if not isinstance(record, dict) or record.get("answer") in _SKIP_ANSWERS:
            continue
        if isinstance(record.get("label"), str) and not record.get("spans"):
            found.add(record["label"])
        if isinstance(record.get("cats"), dict):
            found.update(record["cats"])
        for option in record.get("options") or ():
            if isinstance(option, dict) and "id" in option:
                found.add(str(option["id"]))
        for choice in record.get("accept") or ():
            found.add(str(choice))
    return sorted(found)


# ----- records ----------------------------------------------------------------------------
def iter_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) per record: JSON lines, or the items of a top-level JSON list."""
    if _starts_with_bracket(path):
        yield from _iter_json_list(path)
        return
    for line_no, line in iter_lines(path, kind=KIND):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as err:
            raise CorpusError(path, line_no, f"invalid JSON: {err.msg} at column {err.colno}", expected="one JSON object per line") from None


def _starts_with_bracket(path: str | Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def _iter_json_list(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Items of a JSON list, decoded incrementally (chunks, not the whole file), with their start line."""
    decoder = json.JSONDecoder()
    try:
        with open(path, encoding="utf-8-sig") as f:
            reader = _Buffer(f)
            reader.skip_ws()
            reader.expect("[", "a JSON list of objects")
            first = True
            while True:
                reader.skip_ws()
                if reader.peek() == "]":
                    return
                if not first:
                    reader.expect(",", "',' or ']' between list items")
                    reader.skip_ws()
                first = False
                want = 0
                while True:
                    try:
                        obj, end = decoder.raw_decode(reader.buf, reader.pos)
                        break
                    except json.JSONDecodeError as err:
                        if reader.eof:
                            line = reader.line + reader.buf.count("\n", reader.pos, err.pos)
                            raise CorpusError(path, line, f"invalid JSON: {err.msg}", expected="a JSON list of objects") from None
                        want = max(want * 2, len(reader.buf) - reader.pos + _CHUNK)
                        reader.fill(want)
                yield reader.line, obj
                reader.advance(end)
    except UnicodeDecodeError as err:
        raise decoding_error(path, kind=KIND) from err


class _Buffer:
    """A growing window on a text file that tracks the line number of its read position."""

    def __init__(self, f) -> None:
        self.f = f
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def fill(self, min_ahead: int = 1) -> None:
        if self.pos > _CHUNK:
            self.buf, self.pos = self.buf[self.pos:], 0
        while not self.eof and len(self.buf) - self.pos < min_ahead:
            chunk = self.f.read(_CHUNK)
            if not chunk:
                self.eof = True
            self.buf += chunk

    def peek(self) -> str:
        if self.pos >= len(self.buf):
            self.fill()
        return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def skip_ws(self) -> None:
        while True:
            c = self.peek()
            if not c or not c.isspace():
                return
            self.advance(self.pos + 1)

    def expect(self, char: str, what: str) -> None:
        got = self.peek()
        if got != char:
            raise CorpusError(self.f.name, self.line, "unexpected character in a JSON list", expected=what, got=got or "end of file")
        self.advance(self.pos + 1)


class _RecordReader:
    """Turns one parsed record into a Doc (or None for a skipped record)."""

    def __init__(self, path, vocab: Vocab, lang: str | None, tokenizer: Tokenizer | None, alignment_mode: str, labels: list[str] | None) -> None:
        self.path = path
        self.vocab = vocab
        self.lang = lang
        self.tokenizer = tokenizer
        self.alignment_mode = alignment_mode
        self.labels = labels
        self.label_index = set(labels) if labels is not None else None

    def error(self, line_no: int, message: str, **kwargs) -> CorpusError:
        return CorpusError(self.path, line_no, message, **kwargs)

    def make_doc(self, line_no: int, record: Any) -> Doc | None:
        if not isinstance(record, dict):
            raise self.error(line_no, f"record is a JSON {_json_type(record)}", expected="a JSON object with 'text' or 'tokens'")
        if record.get("answer") in _SKIP_ANSWERS:
            return None
        text = record.get("text")
        tokens = record.get("tokens")
        if text is None and tokens is None:
            raise self.error(
                line_no, "record has neither 'text' nor 'tokens'",
                expected=f"keys among {', '.join(KNOWN_KEYS)} with a 'text' string or a 'tokens' list", got=sorted(record),
            )
        if text is not None and not isinstance(text, str):
            raise self.error(line_no, "'text' is not a string", field="text", expected="a string", got=text)
        doc, starts, ends = self._tokens(line_no, text, tokens)
        if "spans" in record:
            self._set_spans(line_no, doc, text if text is not None else doc.text, starts, ends, record["spans"])
        doc.cats = self._cats(line_no, record)
        if record.get("span_groups"):  # {name: {"spans": [[start, end, label]], "attrs"}}, token indices, end exclusive
            try:
                doc.spans.from_plain(record["span_groups"])
            except (AttributeError, IndexError, TypeError, ValueError) as err:
                raise self.error(line_no, f"bad span_groups ({err})", field="span_groups",
                                 expected='{"name": {"spans": [[start_token, end_token, "LABEL"], ...]}}') from None
        if "meta" in record:
            doc.user_data["meta"] = record["meta"]
        return doc

    # tokens
    def _tokens(self, line_no: int, text: str | None, tokens: Any) -> tuple[Doc, list[int], list[int]]:
        """The Doc and each token's start and end offset in `text` (or in doc.text)."""
        if tokens is None:
            doc = self._tokenize(line_no, text or "")
            starts = doc.idx.tolist()
            if doc.text != text:  # a tokenizer that normalises whitespace: find the words in the text
                aligned = align_tokens(doc.words, text or "")
                if aligned is not None:
                    starts = aligned[0]
            ends = [s + len(w) for s, w in zip(starts, doc.words)]
            return doc, starts, ends
        if not isinstance(tokens, list):
            raise self.error(line_no, "'tokens' is not a list", field="tokens", expected="a list of strings or of {text, start, end, ws} objects", got=tokens)
        if all(isinstance(t, str) for t in tokens):
            return self._string_tokens(line_no, text, tokens)
        return self._dict_tokens(line_no, text, tokens)

    def _tokenize(self, line_no: int, text: str) -> Doc:
        if self.tokenizer is None:
            try:
                from ..lang import create_tokenizer
            except ImportError as err:
                raise RuntimeError(
                    f"{self.path}:{line_no}: the record has no 'tokens' and no tokenizer is available "
                    f"(nbnlp.core.lang.create_tokenizer: {err}); pass tokenizer=..."
                ) from err
            self.tokenizer = create_tokenizer(self.lang or self.vocab.lang, self.vocab)
        return self.tokenizer(text)

    def _string_tokens(self, line_no: int, text: str | None, words: list[str]) -> tuple[Doc, list[int], list[int]]:
        if any(not w for w in words):
            raise self.error(line_no, f"token {words.index('') + 1} is empty", field="tokens", expected="non-empty strings")
        if text is None:
            spaces = [True] * len(words)
            if spaces:
                spaces[-1] = False
            doc = Doc(self.vocab, words, spaces)
            starts = doc.idx.tolist()
        else:
            aligned = align_tokens(words, text)
            if aligned is None:
                raise self.error(line_no, "the tokens do not spell the text", field="tokens", expected=f"the words of {_short(text)!r} in order", got=" ".join(words)[:80])
            starts, spaces = aligned
            doc = Doc(self.vocab, words, spaces)
        return doc, starts, [s + len(w) for s, w in zip(starts, words)]

    def _dict_tokens(self, line_no: int, text: str | None, tokens: list) -> tuple[Doc, list[int], list[int]]:
        words: list[str] = []
        spaces: list[bool] = []
        starts: list[int] = []
        has_offsets = text is not None and all(isinstance(t, dict) and "start" in t and "end" in t for t in tokens)
        for k, tok in enumerate(tokens):
            if not isinstance(tok, dict) or not isinstance(tok.get("text"), str) or not tok["text"]:
                raise self.error(line_no, f"token {k + 1} is not an object with a non-empty 'text'", field="tokens", expected='{"text", "start", "end", "ws"} objects or strings', got=tok)
            words.append(tok["text"])
            if has_offsets:
                start, end = tok["start"], tok["end"]
                if text[start:end] != tok["text"]:
                    raise self.error(line_no, f"token {k + 1} {tok['text']!r} does not match the text at {start}:{end} ({text[start:end]!r})", field="tokens", expected="token offsets into 'text'")
                starts.append(start)
        if not has_offsets and text is not None:
            aligned = align_tokens(words, text)
            if aligned is None:
                raise self.error(line_no, "the tokens do not spell the text", field="tokens", expected=f"the words of {_short(text)!r} in order")
            starts = aligned[0]
        for k, tok in enumerate(tokens):
            if "ws" in tok:
                spaces.append(bool(tok["ws"]))
            elif starts and k + 1 < len(tokens):
                end = starts[k] + len(words[k])
                spaces.append(starts[k + 1] > end and text is not None and text[end].isspace())
            else:
                spaces.append(k + 1 < len(tokens))
        doc = Doc(self.vocab, words, spaces)
        if not starts:
            starts = doc.idx.tolist()
        return doc, starts, [s + len(w) for s, w in zip(starts, words)]

    # spans
    def _set_spans(self, line_no: int, doc: Doc, text: str, starts: list[int], ends: list[int], spans: Any) -> None:
        if not isinstance(spans, list):
            raise self.error(line_no, "'spans' is not a list", field="spans", expected='a list of {"start", "end", "label"} objects', got=spans)
        found: list[tuple[int, int, str, int]] = []  # (token start, token end, label, span number)
        for k, span in enumerate(spans):
            where = f"spans[{k}]"
            if not isinstance(span, dict) or not isinstance(span.get("label"), str) or not span["label"]:
                raise self.error(line_no, f"span {k + 1} has no label", field=where, expected='{"start", "end", "label"} with a non-empty label', got=span)
            label = span["label"]
            if "start" in span and "end" in span:
                s, e = span["start"], span["end"]
                if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
                    raise self.error(line_no, f"span {k + 1} ({label}) has bad offsets {s!r}:{e!r}", field=where, expected=f"integers 0 <= start < end <= {len(text)}")
                tokens = _token_range(starts, ends, s, e, self.alignment_mode)
                if tokens is None:
                    if self.alignment_mode == "strict":
                        raise self.error(
                            line_no, f"span {k + 1} [{s}:{e}] {label} {text[s:e]!r} does not fall on token boundaries"
                            f" (tokens there: {_tokens_near(doc, starts, ends, s, e)})",
                            field=where, expected="offsets at token starts and ends, or alignment_mode='contract'/'expand'",
                        )
                    warn_corpus(self.path, line_no, f"span {k + 1} [{s}:{e}] {label} {text[s:e]!r} covers no whole token; dropped (alignment_mode={self.alignment_mode!r})")
                    continue
            elif "token_start" in span and "token_end" in span:
                ts, te = span["token_start"], span["token_end"]
                if not (isinstance(ts, int) and isinstance(te, int) and 0 <= ts <= te < len(doc)):
                    raise self.error(line_no, f"span {k + 1} ({label}) has bad token ids {ts!r}..{te!r}", field=where, expected=f"0 <= token_start <= token_end < {len(doc)}")
                tokens = (ts, te + 1)
            else:
                raise self.error(line_no, f"span {k + 1} ({label}) has no offsets", field=where, expected="'start' and 'end' character offsets", got=sorted(span))
            found.append((tokens[0], tokens[1], label, k))
        found.sort()
        for a, b in zip(found, found[1:]):
            if b[0] < a[1]:
                span_a, span_b = doc[a[0]:a[1]], doc[b[0]:b[1]]
                raise self.error(
                    line_no, f"spans {a[3] + 1} ({a[2]} {span_a.text!r}) and {b[3] + 1} ({b[2]} {span_b.text!r}) overlap",
                    field="spans", expected="entity spans that share no token",
                )
        doc.set_ents([(label, s, e) for s, e, label, _ in found], default="outside")

    # cats
    def _cats(self, line_no: int, record: dict) -> dict[str, float]:
        cats: dict[str, float] = {}
        raw = record.get("cats")
        if raw is not None:
            if not isinstance(raw, dict):
                raise self.error(line_no, "'cats' is not an object", field="cats", expected="{label: score}", got=raw)
            for label, score in raw.items():
                if not label.strip():
                    raise self.error(line_no, "'cats' has an empty label", field="cats", expected="{label: score} with non-empty labels", got=raw)
                if not isinstance(score, (int, float)):
                    raise self.error(line_no, f"score of {label!r} is not a number", field="cats", expected="a number between 0 and 1", got=score)
                cats[label] = float(score)
        label = record.get("label")
        if "label" in record and "spans" not in record:
            if not isinstance(label, str) or not label.strip():
                raise self.error(line_no, "empty label" if label is None or isinstance(label, str) else "'label' is not a string",
                                 field="label", expected="the record's class as a non-empty string", got=label)
            cats[label] = 1.0
        if "accept" in record and isinstance(record["accept"], list):
            for option in record.get("options") or ():
                if isinstance(option, dict) and "id" in option:
                    cats.setdefault(str(option["id"]), 0.0)
            for choice in record["accept"]:
                cats[str(choice)] = 1.0
        if self.labels is not None and cats:
            unknown = [lab for lab in cats if lab not in self.label_index]
            if unknown:
                raise self.error(line_no, f"label {unknown[0]!r} is not in the label set", field="label", expected=f"one of {', '.join(self.labels)}")
            cats = {lab: cats.get(lab, 0.0) for lab in self.labels}
        return cats


def _token_range(starts: list[int], ends: list[int], s: int, e: int, mode: str) -> tuple[int, int] | None:
    """Token indices [first, last) for characters [s, e) under an alignment mode; None if none fit."""
    if mode == "strict":
        i = bisect.bisect_left(starts, s)
        j = bisect.bisect_left(ends, e)
        if i < len(starts) and starts[i] == s and j < len(ends) and ends[j] == e and j >= i:
            return i, j + 1
        return None
    if mode == "contract":
        i = bisect.bisect_left(starts, s)
        j = bisect.bisect_right(ends, e)
    else:
        i = bisect.bisect_right(ends, s)
        j = bisect.bisect_left(starts, e)
    return (i, j) if j > i else None


def _tokens_near(doc: Doc, starts: list[int], ends: list[int], s: int, e: int) -> str:
    i = max(0, bisect.bisect_right(ends, s) - 1)
    j = min(len(doc), bisect.bisect_left(starts, e) + 1)
    return " | ".join(f"{doc[k].text}[{starts[k]}:{ends[k]}]" for k in range(i, j)) or "none"


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# ----- writing ----------------------------------------------------------------------------
def doc_to_record(doc: Doc) -> dict[str, Any]:
    """A Doc as a `{"text", "tokens", "spans", "cats"}` record; "spans" only where entities are annotated."""
    text = doc.text
    starts = doc.idx.tolist()
    words = doc.words
    spacy = doc.arrays["SPACY"].tolist()
    record: dict[str, Any] = {
        "text": text,
        "tokens": [
            {"text": w, "start": s, "end": s + len(w), "id": i, "ws": bool(sp)}
            for i, (w, s, sp) in enumerate(zip(words, starts, spacy))
        ],
    }
    if doc.has_annotation("ENT_IOB"):
        record["spans"] = [
            {"start": ent.start_char, "end": ent.end_char, "token_start": ent.start, "token_end": ent.end - 1, "label": ent.label_}
            for ent in doc.ents
        ]
    if doc.cats:
        record["cats"] = dict(doc.cats)
    if doc._spans:
        record["span_groups"] = doc.spans.to_plain()
    return record


def write_jsonl(docs: Iterable[Doc], path: str | Path) -> int:
    """Write one record per Doc (UTF-8, one JSON object per line); returns the number written."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc_to_record(doc), ensure_ascii=False))
            f.write("\n")
            n += 1
    return n
