"""Dependency and sentence scores with spaCy's names (`dep_uas`, `dep_las`, `dep_las_per_type`,
`sents_p/r/f`), as fractions 0-1.

Arcs are compared on reference token indices: a predicted arc can only be right when its
dependent and its head each align one-to-one to reference tokens, so differently tokenized
text is scored fairly. As in spaCy, arcs whose label is "punct" or "p" are left out (gold
arcs by their gold label, predicted arcs by their predicted label), and reference tokens
without a head, and the predicted tokens aligned to them, are not scored. UAS and LAS are the
F-scores of the unlabelled and labelled arc sets. Sentences are compared as character spans.
"""
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

import numpy

from ..example import Example
from ..scorer import PRFScore

IGNORE_LABELS = ("p", "punct")


def _label_names(doc: Any, ids: numpy.ndarray) -> numpy.ndarray:
    """String ids -> label strings (as an object array; one lookup per distinct label)."""
    uniq, inverse = numpy.unique(ids, return_inverse=True)
    names = numpy.array([doc.vocab.strings[int(i)] for i in uniq.tolist()], dtype=object)
    return names[inverse.reshape(ids.shape)] if len(ids) else numpy.zeros(0, dtype=object)


def _arcs(eg: Example, ignore: Sequence[str]) -> Tuple[Tuple[numpy.ndarray, ...], Tuple[numpy.ndarray, ...], int]:
    """Gold arcs (dep, head, label) and predicted arcs on reference indices; also the number of
    predicted arcs that cannot be mapped onto the reference (always wrong)."""
    x, y = eg.predicted, eg.reference
    y_heads = y.arrays["HEAD"].astype(numpy.int64)
    y_labels = _label_names(y, y.arrays["DEP"])
    ignored = numpy.isin(y_labels, list(ignore))
    gold_keep = (y_heads >= 0) & ~ignored
    gold_idx = numpy.flatnonzero(gold_keep)
    gold = (gold_idx, y_heads[gold_idx], y_labels[gold_idx])

    x_heads = x.arrays["HEAD"].astype(numpy.int64)
    x_labels = _label_names(x, x.arrays["DEP"])
    align = eg.alignment
    x2y, y2x = align.x2y_one_to_one, align.y2x_one_to_one
    is_space = x.vocab.attr("is_space")[x.arrays["ORTH"]]
    pred_keep = (x_heads >= 0) & ~numpy.isin(x_labels, list(ignore)) & ~is_space
    # Tokens aligned to a reference token without annotation are not scored (missing gold).
    missing = (x2y >= 0) & (y_heads[numpy.maximum(x2y, 0)] < 0)
    pred_keep &= ~missing
    dep_y = numpy.where(pred_keep, x2y, -1)
    head_y = numpy.where(x_heads >= 0, x2y[numpy.maximum(x_heads, 0)], -1)
    mapped = pred_keep & (dep_y >= 0) & (head_y >= 0)
    n_unmapped = int(numpy.count_nonzero(pred_keep & ~mapped))
    pred_idx = numpy.flatnonzero(mapped)
    pred = (dep_y[pred_idx], head_y[pred_idx], x_labels[pred_idx])
    return gold, pred, n_unmapped


def score_deps(examples: Iterable[Example], ignore_labels: Sequence[str] = IGNORE_LABELS) -> Dict[str, Any]:
    """dep_uas, dep_las (F-scores over arcs) and dep_las_per_type ({label: {p, r, f}})."""
    unlabelled, labelled = PRFScore(), PRFScore()
    pred_labels, correct, gold_labels = [], [], []
    any_gold = False
    for eg in examples:
        (g_dep, g_head, g_lab), (p_dep, p_head, p_lab), n_unmapped = _arcs(eg, ignore_labels)
        any_gold = any_gold or len(g_dep) > 0
        gold_head = numpy.full(len(eg.reference), -2, dtype=numpy.int64)
        gold_head[g_dep] = g_head
        gold_lab = numpy.full(len(eg.reference), None, dtype=object)
        gold_lab[g_dep] = g_lab
        head_ok = gold_head[p_dep] == p_head
        both_ok = head_ok & (gold_lab[p_dep] == p_lab)
        n_pred = len(p_dep) + n_unmapped
        tp_u, tp_l = int(head_ok.sum()), int(both_ok.sum())
        unlabelled.tp += tp_u
        unlabelled.fp += n_pred - tp_u
        unlabelled.fn += len(g_dep) - tp_u
        labelled.tp += tp_l
        labelled.fp += n_pred - tp_l
        labelled.fn += len(g_dep) - tp_l
        pred_labels.append(p_lab)
        correct.append(both_ok)
        gold_labels.append(g_lab)
    if not any_gold:
        return {"dep_uas": None, "dep_las": None, "dep_las_per_type": None}
    return {
        "dep_uas": unlabelled.fscore,
        "dep_las": labelled.fscore,
        "dep_las_per_type": _per_type(pred_labels, correct, gold_labels),
    }


def _per_type(pred_labels: list, correct: list, gold_labels: list) -> Dict[str, Dict[str, float]]:
    """Per label: a correct labelled arc is a tp of its label; other predictions fp, other gold fn."""
    p_lab = numpy.concatenate(pred_labels).astype(str) if pred_labels else numpy.zeros(0, str)
    ok = numpy.concatenate(correct).astype(bool) if correct else numpy.zeros(0, bool)
    g_lab = numpy.concatenate(gold_labels).astype(str) if gold_labels else numpy.zeros(0, str)
    labels, p_inv = numpy.unique(numpy.concatenate([p_lab, g_lab]), return_inverse=True)
    n_pred = numpy.bincount(p_inv[: len(p_lab)], minlength=len(labels))
    n_gold = numpy.bincount(p_inv[len(p_lab) :], minlength=len(labels))
    tp = numpy.bincount(p_inv[: len(p_lab)], weights=ok, minlength=len(labels)).astype(int)
    out = {}
    for k, label in enumerate(labels.tolist()):
        s = PRFScore(int(tp[k]), int(n_pred[k] - tp[k]), int(n_gold[k] - tp[k]))
        out[label] = s.to_dict()
    return out


def _sentence_spans(doc: Any) -> set:
    if len(doc) == 0 or not doc.has_annotation("SENT_START"):
        return set()
    starts = numpy.flatnonzero(doc.arrays["SENT_START"] == 1)
    starts = numpy.union1d([0], starts)
    ends = numpy.append(starts[1:], len(doc)) - 1
    return set(zip(doc.idx[starts].tolist(), doc.token_ends[ends].tolist()))


def score_sents(examples: Iterable[Example]) -> Dict[str, Optional[float]]:
    """sents_p/r/f: predicted sentences whose character span equals a reference sentence."""
    prf = PRFScore()
    any_gold = False
    for eg in examples:
        gold = _sentence_spans(eg.reference)
        if not gold:
            continue
        any_gold = True
        prf.add(_sentence_spans(eg.predicted), gold)
    if not any_gold:
        return {"sents_p": None, "sents_r": None, "sents_f": None}
    return {"sents_p": prf.precision, "sents_r": prf.recall, "sents_f": prf.fscore}


def score_parse(examples: Iterable[Example]) -> Dict[str, Any]:
    """All parser scores at once."""
    examples = list(examples)
    return {**score_deps(examples), **score_sents(examples)}


__all__ = ["IGNORE_LABELS", "score_deps", "score_parse", "score_sents"]
