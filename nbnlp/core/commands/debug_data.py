"""`debug-data`: check a config's training and dev corpora before spending hours training on them.

Problems found in the data (labels too rare to learn, tokenization that the pipeline cannot
reproduce, broken trees, contradictory text-classification labels) are much cheaper to fix
before training than to diagnose from poor scores after it. `debug_data` gathers the checks
into a `Report`; `format_report` renders it. Nothing here prints.
"""
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from ..components import DependencyParser, EntityRecognizer, Tagger, TextCategorizer
from ..config import ConfigError, ConfigProblem, dotted_items, load_config, naming_source, source_file
from ..corpus.errors import CorpusError
from ..doc import Doc
from ..example import Example
from ..language import Language
from ..lex_attrs import is_punct
from ..nonproj import projectivize_heads
from ..settings import TrainingSchema
from ..training.blocks import resolve_corpus
from ..training.validate import static_vectors_settings
from ..vectors import KEY_ATTRS, load_init_vectors

OK, WARNING, ERROR, INFO = "ok", "warning", "error", "info"
MIN_NER_EXAMPLES = 20  # fewer entities than this per label rarely train to useful accuracy
MIN_LABEL_EXAMPLES = 5  # tag / dependency labels rarer than this are effectively noise
N_EXAMPLES = 5  # examples kept per check
N_COMMON = 10

ConfigSource = Union[str, Path, Mapping[str, Any]]


@dataclass
class Check:
    """One finding: `status` is ok / warning / error (or info: a figure, not a verdict)."""

    key: str
    status: str
    message: str
    counts: Dict[str, int] = field(default_factory=dict)
    examples: List[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    checks: List[Check] = field(default_factory=list)

    def add(self, key: str, status: str, message: str, counts: Optional[Mapping[str, int]] = None, examples: Sequence[str] = ()) -> Check:
        check = Check(key, status, message, dict(counts or {}), list(examples)[:N_EXAMPLES])
        self.checks.append(check)
        return check


@dataclass
class Report:
    sections: List[Section] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(c.status == status for s in self.sections for c in s.checks)

    @property
    def n_errors(self) -> int:
        return self._count(ERROR)

    @property
    def n_warnings(self) -> int:
        return self._count(WARNING)

    @property
    def n_passed(self) -> int:
        return self._count(OK)

    def check(self, key: str) -> Check:
        """The check with this key (e.g. "ner.few_examples"); KeyError if it was not run."""
        for section in self.sections:
            for c in section.checks:
                if c.key == key:
                    return c
        raise KeyError(key)

    def get(self, key: str) -> Optional[Check]:
        try:
            return self.check(key)
        except KeyError:
            return None


# ----- entry point ------------------------------------------------------------------------------
def debug_data(config: ConfigSource, overrides: Optional[Mapping[str, Any]] = None, verbose: bool = False) -> Report:
    """Build the pipeline from `config`, read its train and dev corpora, and check them.

    Config mistakes raise ConfigError (as `train` would); problems in the data are in the report.
    `verbose` keeps more examples per check.
    """
    with naming_source(source_file(config)):  # config problems found later name the file
        raw = load_config(config, overrides, interpolate=False)
        cfg = load_config(raw)
        nlp = Language.from_config(cfg)
        vectors_error = _load_init_vectors(nlp, cfg)
        problems: List[ConfigProblem] = []
        settings = TrainingSchema.check(cfg.get("training", {}) or {}, problems)
        readers = {split: resolve_corpus(cfg, raw, dotted, problems) for split, dotted in (("train", settings.train_corpus), ("dev", settings.dev_corpus))}
        if problems:
            raise ConfigError(problems)
    report = Report()
    fmt = Section("Data format")
    report.sections.append(fmt)
    data: Dict[str, List[Example]] = {}
    for split, reader in readers.items():
        try:
            data[split] = list(reader(nlp))
        except (CorpusError, ValueError, OSError) as err:
            fmt.add(f"data.{split}_loads", ERROR, f"{split} corpus does not load: {err}")
    if len(data) < 2:
        _add_summary(report)
        return report
    limit = 50 if verbose else N_EXAMPLES
    train = [eg.reference for eg in data["train"]]
    dev = [eg.reference for eg in data["dev"]]
    _check_format(fmt, train, dev)
    report.sections.append(_check_vocab(nlp, train, limit))
    _check_vectors(report.sections[-1], nlp, train, cfg, vectors_error, limit)
    for name, comp in nlp.pipeline:
        if isinstance(comp, EntityRecognizer):
            report.sections.append(_check_ner(name, comp, train, dev, limit))
        elif isinstance(comp, Tagger):
            report.sections.append(_check_tagger(name, comp, train, dev))
        elif isinstance(comp, DependencyParser):
            report.sections.append(_check_parser(name, train, dev, limit))
        elif isinstance(comp, TextCategorizer):
            report.sections.append(_check_textcat(name, comp, train, dev, limit))
    for section in report.sections:
        for c in section.checks:
            del c.examples[limit:]
    _add_summary(report)
    return report


def _add_summary(report: Report) -> None:
    summary = Section("Summary")
    summary.add("summary", ERROR if report.n_errors else OK,
                f"{report.n_passed} checks passed, {report.n_warnings} warnings, {report.n_errors} errors",
                {"passed": report.n_passed, "warnings": report.n_warnings, "errors": report.n_errors})
    report.sections.append(summary)


# ----- helpers ------------------------------------------------------------------------------------
def _concat(docs: Sequence[Doc], column: str) -> np.ndarray:
    arrays = [d.arrays[column] for d in docs]
    return np.concatenate(arrays) if arrays else np.zeros((0,), dtype=np.int64)


def _id_counts(docs: Sequence[Doc], column: str) -> Counter:
    """Counts of the string values of `column` (ids 0 = unset are skipped), keyed by string."""
    if not docs:
        return Counter()
    strings = docs[0].vocab.strings
    ids = _concat(docs, column)
    ids = ids[ids != 0]
    uniq, counts = np.unique(ids, return_counts=True)
    return Counter({strings[int(u)]: int(c) for u, c in zip(uniq.tolist(), counts.tolist())})


def _n_sents(doc: Doc) -> int:
    if len(doc) == 0:
        return 0
    return 1 + int((doc.arrays["SENT_START"][1:] == 1).sum())


def _label_table(counts: Counter) -> str:
    return ", ".join(f"{label} ({n})" for label, n in sorted(counts.items()))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ----- sections -----------------------------------------------------------------------------------
def _check_format(section: Section, train: List[Doc], dev: List[Doc]) -> None:
    for split, docs in (("train", train), ("dev", dev)):
        n_words = sum(len(d) for d in docs)
        n_sents = sum(_n_sents(d) for d in docs)
        counts = {"docs": len(docs), "sentences": n_sents, "words": n_words}
        if docs:
            section.add(f"data.{split}_loads", OK, f"{split} corpus: {len(docs)} docs, {n_sents} sentences, {n_words} words", counts)
        else:
            section.add(f"data.{split}_loads", ERROR, f"{split} corpus is empty", counts)
    # By sentence: corpora grouped into documents (n_sents) can share sentences in different groupings.
    dev_texts = {text for d in dev for text in _sentence_texts(d)}
    overlap = [text for d in train for text in _sentence_texts(d) if text in dev_texts]
    if overlap:
        section.add("data.overlap", WARNING, f"{_plural(len(overlap), 'training sentence')} also in the dev data: dev scores will be too optimistic",
                    {"overlap": len(overlap)}, overlap)
    else:
        section.add("data.overlap", OK, "no training sentences are in the dev data", {"overlap": 0})


def _sentence_texts(doc: Doc) -> List[str]:
    return [sent.text for sent in doc.sents] if doc.has_annotation("SENT_START") else [doc.text]


def _check_vocab(nlp: Language, train: List[Doc], limit: int) -> Section:
    section = Section("Vocab & tokenization")
    words = _id_counts(train, "ORTH")
    section.add("vocab.words", INFO, f"{sum(words.values())} words, {len(words)} unique",
                {"words": sum(words.values()), "unique": len(words)})
    common = words.most_common(N_COMMON)
    section.add("vocab.common", INFO, "most common words: " + ", ".join(f"{w!r} ({n})" for w, n in common), dict(common))
    n_bad, n_docs, examples = 0, 0, []
    for ref in train:
        pred = nlp.make_doc(ref.text)
        if pred.words == ref.words:
            continue
        # Reference tokens whose character span the tokenizer does not produce.
        width = len(ref.text) + 1
        ref_keys = ref.idx.astype(np.int64) * width + ref.token_ends
        pred_keys = pred.idx.astype(np.int64) * width + pred.token_ends
        bad = np.flatnonzero(~np.isin(ref_keys, pred_keys))
        if len(bad) == 0:
            continue
        n_bad += len(bad)
        n_docs += 1
        if len(examples) < limit:
            ref_words = ref.words
            i = int(bad[0])
            start, end = int(ref.idx[i]), int(ref.token_ends[i])
            got = [w for w, s, e in zip(pred.words, pred.idx.tolist(), pred.token_ends.tolist()) if e > start and s < end]
            examples.append(f"{ref_words[i]!r} -> tokenizer: {got!r}")
    if n_bad:
        section.add("vocab.misaligned", WARNING,
                    f"{_plural(n_bad, 'reference token')} in {_plural(n_docs, 'doc')} do not match the pipeline's tokenizer "
                    "(the model learns from the tokenizer's tokens; set gold_preproc = true to keep the corpus' own)",
                    {"tokens": n_bad, "docs": n_docs}, examples)
    else:
        section.add("vocab.misaligned", OK, "the tokenizer reproduces every reference token", {"tokens": 0, "docs": 0})
    return section


MIN_VECTOR_COVERAGE = 0.5  # below this share of training tokens, most words get the unknown (zero) vector


def _load_init_vectors(nlp: Language, cfg: Mapping[str, Any]) -> Optional[str]:
    """Copy the `[initialize] vectors` table into the vocab, as training would; the problem, if it cannot."""
    try:
        vectors = load_init_vectors(cfg)
    except ConfigError as err:
        return str(err.problems[0])
    if vectors is not None:
        nlp.vocab.vectors = vectors
    return None


def _check_vectors(section: Section, nlp: Language, train: List[Doc], cfg: Mapping[str, Any], error: Optional[str], limit: int) -> None:
    """Vectors present or not, their shape, and how many training words they cover (by the configured key)."""
    if error:
        section.add("vocab.vectors", ERROR, error)
        return
    vectors = nlp.vocab.vectors
    switches = static_vectors_settings(cfg)
    if not vectors:
        if switches:
            section.add("vocab.vectors", ERROR, f"no vectors, but {switches[0]} needs them: set [initialize] vectors to a folder made by nbnlp init-vectors")
        else:
            section.add("vocab.vectors", INFO, "no vectors ([initialize] vectors is not set; nbnlp init-vectors makes a table)")
        return
    key_attr = _vectors_key_attr(cfg)
    rows, width = vectors.shape
    orth = _concat(train, "ORTH").astype(np.int64)
    uniq, counts = np.unique(orth, return_counts=True)
    found = vectors.rows_for(nlp.vocab, uniq, key_attr) >= 0 if len(uniq) else np.zeros((0,), dtype=bool)
    n_tokens, n_unique = int(counts.sum()), len(uniq)
    covered_tokens, covered_unique = int(counts[found].sum()), int(found.sum())
    share = covered_tokens / n_tokens if n_tokens else 0.0
    missing = np.argsort(-np.where(found, 0, counts), kind="stable")[: limit]
    strings = nlp.vocab.strings
    examples = [f"{strings[int(uniq[i])]!r} ({int(counts[i])})" for i in missing.tolist() if not found[i]]
    message = (f"vectors: {vectors.n_keys} words, {rows} rows of width {width}; they cover {100 * share:.1f}% of the training tokens "
               f"and {100 * covered_unique / max(n_unique, 1):.1f}% of the unique words (looked up by {key_attr})")
    if not switches:
        message += "; no component uses them (set include_static_vectors = true in the tok2vec's embed block)"
    counts_out = {"keys": vectors.n_keys, "rows": rows, "width": width, "tokens": n_tokens, "tokens_covered": covered_tokens,
                  "unique": n_unique, "unique_covered": covered_unique}
    status = OK if share >= MIN_VECTOR_COVERAGE else WARNING
    if status == WARNING:
        message += f": under {100 * MIN_VECTOR_COVERAGE:.0f}%, most words get the zero vector of unknown words (most common shown)"
    section.add("vocab.vectors", status, message, counts_out, examples)


def _vectors_key_attr(cfg: Mapping[str, Any]) -> str:
    """The key the first static-vectors layer in the config looks words up by (ORTH by default)."""
    for loc, value in dotted_items(cfg.get("components", {}) or {}, "components"):
        if loc.endswith((".vectors_key_attr", ".key_attr")) and isinstance(value, str) and value.upper() in KEY_ATTRS:
            return value.upper()
    return "ORTH"


def _check_ner(name: str, comp: EntityRecognizer, train: List[Doc], dev: List[Doc], limit: int) -> Section:
    section = Section(f"Named entities ({name})")
    counts: Counter = Counter()
    docs_with: Counter = Counter()
    edge_examples: List[str] = []
    n_edge = 0
    for doc in train:
        ents = doc.ents
        labels = [e.label_ for e in ents]
        counts.update(labels)
        docs_with.update(set(labels))
        for ent in ents:
            first, last = ent[0].text, ent[-1].text
            if first.isspace() or last.isspace() or is_punct(first) or is_punct(last):
                n_edge += 1
                if len(edge_examples) < limit:
                    edge_examples.append(f"{ent.text!r} ({ent.label_})")
    section.add("ner.labels", INFO if counts else ERROR,
                f"{len(counts)} entity labels: {_label_table(counts)}" if counts else "no entities in the training data", dict(counts))
    existing = set(comp.labels)
    new = sorted(set(counts) - existing)
    section.add("ner.new_labels", INFO, f"{len(new)} new labels, {len(existing & set(counts))} existing labels"
                + (f": new {', '.join(new)}" if new else ""), {"new": len(new), "existing": len(existing & set(counts))})
    for split, docs in (("train", train), ("dev", dev)):
        iob = _concat(docs, "ENT_IOB")
        n_missing = int((iob == 0).sum())
        n_unannotated = sum(1 for d in docs if len(d) and not d.has_annotation("ENT_IOB"))
        if n_missing:
            section.add(f"ner.missing_{split}", WARNING,
                        f"{_plural(n_missing, 'token')} in {split} have no entity annotation ('-' / missing)"
                        + (f", {_plural(n_unannotated, 'doc')} none at all" if n_unannotated else ""),
                        {"tokens": n_missing, "docs": n_unannotated})
        else:
            section.add(f"ner.missing_{split}", OK, f"every {split} token has an entity annotation", {"tokens": 0, "docs": 0})
    if n_edge:
        section.add("ner.edges", WARNING, f"{_plural(n_edge, 'entity')} start or end with whitespace or punctuation", {"entities": n_edge}, edge_examples)
    else:
        section.add("ner.edges", OK, "no entities start or end with whitespace or punctuation", {"entities": 0})
    rare = {label: n for label, n in counts.items() if n < MIN_NER_EXAMPLES}
    if rare:
        section.add("ner.few_examples", WARNING, f"labels with fewer than {MIN_NER_EXAMPLES} examples: {_label_table(Counter(rare))}", rare)
    else:
        section.add("ner.few_examples", OK, f"every label has {MIN_NER_EXAMPLES} or more examples")
    always = sorted(label for label, n in docs_with.items() if n == len(train)) if len(train) > 1 else []
    if always:
        section.add("ner.never_absent", WARNING, f"labels in every training doc (the model never sees a doc without them): {', '.join(always)}",
                    {label: docs_with[label] for label in always})
    else:
        section.add("ner.never_absent", OK, "every label is absent from some training docs")
    return section


def _check_tagger(name: str, comp: Tagger, train: List[Doc], dev: List[Doc]) -> Section:
    section = Section(f"Tagging ({name}, {comp.label_attr})")
    counts = _id_counts(train, comp.column)
    section.add("tagger.labels", INFO if counts else ERROR,
                f"{len(counts)} labels: {_label_table(counts)}" if counts else f"no {comp.label_attr} annotation in the training data", dict(counts))
    _rare_and_unseen(section, "tagger", counts, _id_counts(dev, comp.column))
    return section


def _rare_and_unseen(section: Section, prefix: str, counts: Counter, dev_counts: Counter) -> None:
    rare = {label: n for label, n in counts.items() if n < MIN_LABEL_EXAMPLES}
    if rare:
        section.add(f"{prefix}.few_examples", WARNING, f"labels with fewer than {MIN_LABEL_EXAMPLES} examples: {_label_table(Counter(rare))}", rare)
    else:
        section.add(f"{prefix}.few_examples", OK, f"every label has {MIN_LABEL_EXAMPLES} or more examples")
    unseen = sorted(set(dev_counts) - set(counts))
    if unseen:
        section.add(f"{prefix}.dev_only", WARNING, f"dev labels never seen in training (always wrong): {', '.join(unseen)}",
                    {label: dev_counts[label] for label in unseen})


def _check_parser(name: str, train: List[Doc], dev: List[Doc], limit: int) -> Section:
    section = Section(f"Dependency parsing ({name})")
    n_sents = sum(_n_sents(d) for d in train)
    n_words = sum(len(d) for d in train)
    section.add("parser.sents", INFO, f"{n_sents} training sentences, {n_words / max(n_sents, 1):.1f} words on average",
                {"sentences": n_sents, "words": n_words})
    bad_examples: List[str] = []
    n_bad = 0
    for split, docs in (("train", train), ("dev", dev)):
        n_nonproj, n_split_sents = 0, 0
        for doc in docs:
            heads = doc.arrays["HEAD"].astype(np.int64)
            n = len(heads)
            invalid = (heads < -1) | (heads >= n)
            if invalid.any() or _has_cycle(np.where(invalid, -1, heads)):
                n_bad += 1
                if len(bad_examples) < limit:
                    bad_examples.append(f"{split}: {doc.text[:80]!r}")
                continue
            if not (heads >= 0).any():
                continue
            n_split_sents += _n_sents(doc)
            _, lifted = projectivize_heads(heads)
            if (lifted >= 0).any():
                sent_ids = np.cumsum(doc.arrays["SENT_START"] == 1)
                n_nonproj += len(np.unique(sent_ids[lifted >= 0]))
        section.add(f"parser.nonproj_{split}", INFO, f"{n_nonproj} non-projective of {n_split_sents} parsed {split} sentences",
                    {"nonprojective": n_nonproj, "sentences": n_split_sents})
    if n_bad:
        section.add("parser.invalid", ERROR, f"{_plural(n_bad, 'doc')} have cycles or heads outside the doc", {"docs": n_bad}, bad_examples)
    else:
        section.add("parser.invalid", OK, "every tree is free of cycles and invalid heads", {"docs": 0})
    counts = _id_counts(train, "DEP")
    section.add("parser.labels", INFO if counts else ERROR,
                f"{len(counts)} labels: {_label_table(counts)}" if counts else "no dependency labels in the training data", dict(counts))
    dev_counts = _id_counts(dev, "DEP")
    train_only = sorted(set(counts) - set(dev_counts))
    if train_only and dev_counts:
        section.add("parser.train_only", WARNING, f"labels in train but not in dev (not evaluated): {', '.join(train_only)}",
                    {label: counts[label] for label in train_only})
    _rare_and_unseen(section, "parser", counts, dev_counts)
    roots: Counter = Counter()
    strings = train[0].vocab.strings if train else None
    for doc in train:
        heads = doc.arrays["HEAD"]
        is_root = heads == np.arange(len(heads))
        ids, c = np.unique(doc.arrays["DEP"][is_root], return_counts=True)
        roots.update({strings[int(i)]: int(k) for i, k in zip(ids.tolist(), c.tolist()) if i != 0})
    if len(roots) > 1:
        section.add("parser.root_labels", WARNING, f"multiple root labels: {_label_table(roots)}", dict(roots))
    else:
        section.add("parser.root_labels", OK, f"one root label: {next(iter(roots), '-')}", dict(roots))
    return section


def _has_cycle(heads: np.ndarray) -> bool:
    """Whether following heads from some token never reaches a root (unset heads count as roots)."""
    n = len(heads)
    if n == 0:
        return False
    up = np.where(heads < 0, np.arange(n), heads)
    for _ in range(int(np.ceil(np.log2(n))) + 1):  # pointer doubling: 2^k steps up after k rounds
        up = up[up]
    top = up
    stops = (heads[top] == top) | (heads[top] < 0)
    return not bool(stops.all())


def _check_textcat(name: str, comp: TextCategorizer, train: List[Doc], dev: List[Doc], limit: int) -> Section:
    exclusive = bool(comp.exclusive)
    section = Section(f"Text classification ({name}, {'exclusive classes' if exclusive else 'multilabel'})")
    positives: Counter = Counter()
    labels: set = set()
    n_nocats = 0
    multi: List[str] = []
    for doc in train + dev:
        labels.update(doc.cats)
        pos = [label for label, v in doc.cats.items() if v >= 0.5]
        positives.update(pos)
        if not doc.cats:
            n_nocats += 1
        if len(pos) > 1:
            multi.append(f"{doc.text[:60]!r}: {', '.join(sorted(pos))}")
    counts = Counter({label: positives.get(label, 0) for label in labels})
    section.add("textcat.labels", INFO if labels else ERROR,
                f"{len(labels)} labels, positive docs per label: {_label_table(counts)}" if labels else "no doc has cats", dict(counts))
    if exclusive and len(labels) == 1:
        section.add("textcat.n_labels", ERROR, "exclusive classes need at least two labels; use textcat_multilabel for a yes/no label")
    if counts:
        most, least = max(counts.values()), min(counts.values())
        status = WARNING if least == 0 or most > 10 * least else OK
        section.add("textcat.balance", status, f"label balance: largest {most}, smallest {least} positive docs", dict(counts))
    if n_nocats:
        section.add("textcat.missing", WARNING, f"{_plural(n_nocats, 'doc')} have no cats", {"docs": n_nocats})
    if exclusive and multi:
        section.add("textcat.exclusive", ERROR, f"{_plural(len(multi), 'doc')} have more than one positive label, but {name} has exclusive classes "
                    "(use textcat_multilabel)", {"docs": len(multi)}, multi[:limit])
    elif exclusive:
        section.add("textcat.exclusive", OK, "every doc has at most one positive label, as exclusive classes need", {"docs": 0})
    else:
        section.add("textcat.exclusive", OK if multi else INFO,
                    f"{_plural(len(multi), 'doc')} have several positive labels" + ("" if multi else ": the data would also fit textcat (exclusive)"),
                    {"docs": len(multi)})
    return section


# ----- rendering ------------------------------------------------------------------------------------
_MARKS = {OK: "✔", WARNING: "⚠", ERROR: "✘", INFO: "ℹ"}
_WORDS = {OK: "OK", WARNING: "WARNING", ERROR: "ERROR", INFO: "INFO"}


def format_report(report: Report, fmt: str = "text") -> str:
    """The report as text: "text" with section rules and ✔/⚠/✘ marks, "plain" with words instead of symbols."""
    if fmt not in ("text", "plain"):
        raise ValueError(f"format_report: fmt must be 'text' or 'plain', got {fmt!r}")
    lines: List[str] = []
    for section in report.sections:
        if fmt == "text":
            lines += ["", f"{'=' * 10} {section.title} {'=' * max(3, 60 - len(section.title))}"]
        else:
            lines += ["", f"[{section.title}]"]
        for c in section.checks:
            mark = _MARKS[c.status] if fmt == "text" else _WORDS[c.status]
            lines.append(f"{mark} {c.message}")
            for example in c.examples:
                lines.append(f"    {example}")
    return "\n".join(lines).lstrip("\n")
