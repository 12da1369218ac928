"""Confusion matrices of an evaluation (gold rows, predicted columns) as labels and counts, for any view to draw.

Token kinds pair each predicted token aligned one-to-one to a reference token; entities pair by
character span and classes by each doc's top class. `top_labels` merges rare labels so a large
tag set stays readable.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..example import Example
from .ner import entity_offsets
from .per_label import predicts

NONE_LABEL = "(none)"  # missed or spurious entity in the entity confusion matrix
OTHER_LABEL = "(other)"  # labels beyond the top N, merged
CONFUSION_KINDS = ("tag", "pos", "dep", "ents", "cats")


def _order(pairs: Counter) -> list[str]:
    """Labels by how often they occur (gold or predicted), most frequent first; NONE_LABEL last."""
    freq: Counter = Counter()
    for (gold, pred), n in pairs.items():
        freq[gold] += n
        freq[pred] += n
    labels = sorted((lab for lab in freq if lab != NONE_LABEL), key=lambda lab: (-freq[lab], lab))
    return labels + ([NONE_LABEL] if NONE_LABEL in freq else [])


def _matrix(pairs: Counter) -> tuple[list[str], np.ndarray]:
    labels = _order(pairs)
    index = {lab: k for k, lab in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for (gold, pred), n in pairs.items():
        counts[index[gold], index[pred]] += n
    return labels, counts


def _token_pairs(examples: Iterable[Example], column: str) -> Counter:
    pairs: Counter = Counter()
    for eg in examples:
        gold = eg.get_aligned_ids(column)
        pred = eg.predicted.arrays[column]
        strings = eg.predicted.vocab.strings
        keep = gold >= 0
        for g, p in zip(gold[keep].tolist(), pred[keep].tolist()):
            pairs[(strings[g], strings[p] if p else NONE_LABEL)] += 1
    return pairs


def _entity_pairs(examples: Iterable[Example]) -> Counter:
    """(gold label, predicted label) per entity: same character span = aligned; unmatched ones pair with NONE_LABEL.

    As in the scorer, references without entity annotation are skipped and predicted entities
    overlapping a reference token without annotation are not counted.
    """
    pairs: Counter = Counter()
    for eg in examples:
        y, x = eg.reference, eg.predicted
        if not y.arrays["ENT_IOB"].any():
            continue
        gold = _entity_dict(y)
        pred = _entity_dict(x)
        missing = y.arrays["ENT_IOB"] == 0
        if missing.any():
            pred = {span: lab for span, lab in pred.items() if not _overlaps_tokens(y, span, missing)}
        for span, label in gold.items():
            pairs[(label, pred.get(span, NONE_LABEL))] += 1
        for span, label in pred.items():
            if span not in gold:
                pairs[(NONE_LABEL, label)] += 1
    return pairs


def _entity_dict(doc: Any) -> dict[tuple[int, int], str]:
    starts, ends, labels = entity_offsets(doc)
    strings = doc.vocab.strings
    return {(s, e): strings[int(lab)] for s, e, lab in zip(starts.tolist(), ends.tolist(), labels.tolist())}


def _overlaps_tokens(doc: Any, span: tuple[int, int], mask: np.ndarray) -> bool:
    """Whether the character range overlaps a token of `doc` selected by `mask`."""
    start, end = span
    hit = (doc.idx < end) & (doc.token_ends > start)
    return bool((hit & mask).any())


def _cat_pairs(examples: Iterable[Example]) -> Counter:
    pairs: Counter = Counter()
    for eg in examples:
        gold, pred = eg.reference.cats, eg.predicted.cats
        if not gold or not pred or max(gold.values()) <= 0:
            continue
        pairs[(_argmax(gold), _argmax(pred))] += 1
    return pairs


def _argmax(cats: Mapping[str, float]) -> str:
    return max(sorted(cats), key=lambda label: cats[label])


def confusion_matrix(result: Any, kind: str) -> tuple[list[str], np.ndarray]:
    """Labels and counts (rows gold, columns predicted) for kind "tag", "pos", "dep", "ents" or "cats".

    Token kinds count the predicted tokens aligned one-to-one to a reference token with a value,
    so the diagonal holds the correct predictions. "ents" pairs entities with the same character
    span, with NONE_LABEL for missed (row) or spurious (column) ones; "cats" pairs the top gold
    class with the top predicted class of each annotated doc. Labels are sorted by frequency.
    """
    examples = result.examples if hasattr(result, "examples") else result
    if kind in ("tag", "pos", "dep"):
        pairs = _token_pairs(examples, kind.upper())
    elif kind == "ents":
        pairs = _entity_pairs(examples)
    elif kind == "cats":
        pairs = _cat_pairs(examples)
    else:
        raise ValueError(f"confusion_matrix: unknown kind {kind!r}; expected one of {', '.join(CONFUSION_KINDS)}")
    return _matrix(pairs)


def available_kinds(result: Any) -> list[str]:
    """The confusion matrices that make sense for this result (what the pipeline predicts and the gold has)."""
    scores, examples = result.scores, list(result.examples)
    kinds = [kind for kind in ("tag", "pos") if predicts(examples, kind.upper())]
    if scores.get("dep_las_per_type") and predicts(examples, "DEP"):
        kinds.append("dep")
    if scores.get("ents_per_type"):
        kinds.append("ents")
    if scores.get("cats_f_per_type") and scores.get("cats_score_desc") == "macro F":  # exclusive classes
        kinds.append("cats")
    return kinds


def top_labels(labels: Sequence[str], counts: np.ndarray, top_n: int) -> tuple[list[str], np.ndarray]:
    """The `top_n` most frequent labels, the rest merged into OTHER_LABEL (NONE_LABEL is always kept)."""
    labels = list(labels)
    if len(labels) <= top_n + 1:
        return labels, counts
    freq = counts.sum(axis=0) + counts.sum(axis=1)
    candidates = [k for k, lab in enumerate(labels) if lab != NONE_LABEL]
    keep = sorted(candidates, key=lambda k: (-freq[k], labels[k]))[:top_n]
    keep = sorted(keep)
    none = [k for k, lab in enumerate(labels) if lab == NONE_LABEL]
    group = np.full(len(labels), len(keep), dtype=np.int64)  # OTHER by default
    group[keep] = np.arange(len(keep))
    out_labels = [labels[k] for k in keep] + [OTHER_LABEL]
    if none:
        group[none[0]] = len(out_labels)
        out_labels.append(NONE_LABEL)
    out = np.zeros((len(out_labels), len(out_labels)), dtype=counts.dtype)
    np.add.at(out, (group[:, None], group[None, :]), counts)
    return out_labels, out


__all__ = ["CONFUSION_KINDS", "NONE_LABEL", "OTHER_LABEL", "available_kinds", "confusion_matrix", "top_labels"]
