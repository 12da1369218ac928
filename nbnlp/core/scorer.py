"""Scores with the names spaCy users know (`token_acc`, `tag_acc`, `pos_acc`, ...), all fractions 0-1.

Predicted and reference may be tokenized differently: token scores compare character spans, and
attribute accuracy counts reference tokens, a prediction counting as right only where the
tokens align one-to-one and the labels agree.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from .example import Example


class PRFScore:
    """Precision / recall / F-score counts."""

    def __init__(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp, self.fp, self.fn = tp, fp, fn

    def add(self, predicted: set, gold: set) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        return {"p": self.precision, "r": self.recall, "f": self.fscore}


def _token_spans(doc) -> set[tuple[int, int]]:
    lengths = doc.vocab.strings.lengths[doc.arrays["ORTH"]]
    keep = ~doc.vocab.attr("is_space")[doc.arrays["ORTH"]]
    starts = doc.idx[keep]
    return set(zip(starts.tolist(), (starts + lengths[keep]).tolist()))


def score_tokenization(examples: Iterable[Example]) -> dict[str, float]:
    """token_acc (reference tokens predicted exactly) and token_p/r/f over character spans."""
    prf = PRFScore()
    for eg in examples:
        prf.add(_token_spans(eg.predicted), _token_spans(eg.reference))
    total_gold = prf.tp + prf.fn
    return {
        "token_acc": prf.tp / total_gold if total_gold else None,
        "token_p": prf.precision,
        "token_r": prf.recall,
        "token_f": prf.fscore,
    }


def score_token_attr(examples: Iterable[Example], attr: str, *, name: str | None = None) -> dict[str, float | None]:
    """Accuracy of a string column (TAG, POS, LEMMA, MORPH) over reference tokens that have a value."""
    correct = total = 0
    for eg in examples:
        gold_column = eg.reference.arrays[attr.upper()]
        total += int(np.count_nonzero(gold_column))
        gold = eg.get_aligned_ids(attr)
        pred = eg.predicted.arrays[attr.upper()]
        correct += int(np.count_nonzero((gold >= 0) & (gold == pred)))
    key = name or f"{attr.lower()}_acc"
    return {key: correct / total if total else None}


class Scorer:
    """Combines tokenization scores with each component's own `score`."""

    def score(self, examples: Sequence[Example], components: Sequence[Any] = ()) -> dict[str, Any]:
        scores: dict[str, Any] = dict(score_tokenization(examples))
        for component in components:
            scores.update(component.score(examples))
        return scores
