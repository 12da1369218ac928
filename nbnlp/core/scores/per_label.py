"""Per-label precision/recall/F tables of an evaluation, as data (`LabelRow`s) for any view to draw.

The components' per-type scores (entities, dependency labels, classes) get a support column
counted from the gold annotation; tag and POS tables are computed from the annotated examples
through their alignment, so they agree with the scorer when the pipeline's tokenization differs
from the gold one.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..example import Example
from .display import PER_LABEL_KEYS

_IGNORED_DEPS = ("p", "punct")  # left out of dep_las_per_type, as in the scorer


@dataclass
class LabelRow:
    """One line of a per-label table (fractions 0-1; support = gold items, None when unknown)."""

    label: str
    p: float
    r: float
    f: float
    support: int | None = None


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def token_label_rows(examples: Sequence[Example], attr: str) -> list[LabelRow]:
    """Per-label P/R/F of a token annotation (TAG or POS), counted as `score_token_attr` does.

    Gold items are the reference tokens with a value; predictions are the predicted tokens with a
    value, except those aligned one-to-one to a reference token without one (not scored). A
    prediction is right where its token aligns one-to-one and the labels agree, so the recall over
    all labels equals the accuracy score.
    """
    column = attr.upper()
    tp: Counter = Counter()
    n_pred: Counter = Counter()
    n_gold: Counter = Counter()
    for eg in examples:
        x, y = eg.predicted, eg.reference
        gold_col = y.arrays[column]
        for label_id, n in zip(*np.unique(gold_col[gold_col != 0], return_counts=True)):
            n_gold[y.vocab.strings[int(label_id)]] += int(n)
        gold = eg.get_aligned_ids(column)
        pred = x.arrays[column].astype(np.int64)
        one = eg.alignment.x2y_one_to_one
        unscored = (one >= 0) & (gold < 0)
        is_space = x.vocab.attr("is_space")[x.arrays["ORTH"]]
        counted = (pred != 0) & ~unscored & ~is_space
        for label_id, n in zip(*np.unique(pred[counted], return_counts=True)):
            n_pred[x.vocab.strings[int(label_id)]] += int(n)
        right = counted & (gold >= 0) & (gold == pred)
        for label_id, n in zip(*np.unique(pred[right], return_counts=True)):
            tp[x.vocab.strings[int(label_id)]] += int(n)
    rows = [LabelRow(label, *_prf(tp[label], n_pred[label], n_gold[label]), support=n_gold[label]) for label in n_gold | n_pred]
    return sorted(rows, key=lambda r: (-(r.support or 0), r.label))


def predicts(examples: Sequence[Example], column: str) -> bool:
    """Whether the pipeline set `column` (on any predicted doc) and the gold has it (on any reference)."""
    return any(eg.predicted.arrays[column].any() for eg in examples) and any(eg.reference.arrays[column].any() for eg in examples)


def _supports(key: str, examples: Sequence[Example]) -> Counter:
    """Gold counts per label for a per-label score key (entities, arcs or docs)."""
    counts: Counter = Counter()
    for eg in examples:
        y = eg.reference
        if key == "ents_per_type":
            if y.arrays["ENT_IOB"].any():
                counts.update(ent.label_ for ent in y.ents)
        elif key == "dep_las_per_type":
            has_head = y.arrays["HEAD"] >= 0
            for label_id in y.arrays["DEP"][has_head].tolist():
                label = y.vocab.strings[int(label_id)]
                if label and label not in _IGNORED_DEPS:
                    counts[label] += 1
        elif key == "cats_f_per_type" and y.cats:
            counts.update(label for label, value in y.cats.items() if value >= 0.5)
    return counts


def per_label_tables(result: Any) -> dict[str, tuple[str, str, list[LabelRow]]]:
    """Every per-label table of the result: {key: (title, support description, rows)}.

    The component scores' per-type dicts come first, then per-tag tables computed from the
    examples ("tag_per_type", "pos_per_type") for the columns the pipeline predicts.
    """
    scores, examples = result.scores, list(result.examples)
    tables: dict[str, tuple[str, str, list[LabelRow]]] = {}
    for key, (title, support_name) in PER_LABEL_KEYS.items():
        per_type = scores.get(key)
        if not per_type:
            continue
        support = _supports(key, examples)
        rows = [LabelRow(label, v["p"], v["r"], v["f"], support.get(label, 0)) for label, v in per_type.items()]
        tables[key] = (title, support_name, sorted(rows, key=lambda r: (-(r.support or 0), r.label)))
    for column, title in (("TAG", "Fine-grained tags"), ("POS", "Universal POS")):
        if predicts(examples, column):
            tables[f"{column.lower()}_per_type"] = (title, "gold tokens", token_label_rows(examples, column))
    return tables


def score_tables(scores: dict[str, Any]) -> dict[str, list[LabelRow]]:
    """The per-type dicts of a scores dict (no support counts: the scores alone do not hold them)."""
    return {
        key: sorted((LabelRow(label, v.get("p", 0.0), v.get("r", 0.0), v.get("f", 0.0)) for label, v in table.items()), key=lambda r: r.label)
        for key, table in scores.items()
        if isinstance(table, dict) and table and all(isinstance(v, dict) for v in table.values())
    }


__all__ = ["LabelRow", "per_label_tables", "predicts", "score_tables", "token_label_rows"]
