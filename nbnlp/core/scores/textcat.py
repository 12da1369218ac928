"""Text classification scores with spaCy's names (`cats_*`), all fractions 0-1.

Exclusive classes (`textcat`): the predicted class is the argmax of `doc.cats`, the gold class
the reference's highest-scoring label; `cats_score` is the macro F over the labels and
`cats_accuracy` the share of docs whose class is right. Independent labels
(`textcat_multilabel`): a label is predicted where its score is >= `threshold` and gold where
the reference's value is >= 0.5; `cats_score` is the macro ROC AUC, because it does not depend
on the threshold. Docs whose reference has no `cats` are unannotated and not counted.
"""
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy

from ..example import Example
from ..scorer import PRFScore


def roc_auc(scores: Sequence[float], truths: Sequence[bool]) -> Optional[float]:
    """Chance that a random positive outscores a random negative, ties counting half.

    Computed from average ranks (Mann-Whitney U), O(n log n). None when either class is absent:
    the area is undefined then.
    """
    s = numpy.asarray(scores, dtype=numpy.float64)
    y = numpy.asarray(truths, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = numpy.argsort(s, kind="mergesort")
    sorted_s = s[order]
    # Ranks 1..n, with every run of equal scores given the mean rank of the run.
    starts = numpy.flatnonzero(numpy.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = numpy.r_[starts[1:], len(s)]
    mean_rank = (starts + ends + 1) / 2.0
    ranks = numpy.empty(len(s))
    ranks[order] = numpy.repeat(mean_rank, ends - starts)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _gold_matrix(
    examples: Sequence[Example], labels: Sequence[str], absent_as_negative: bool
) -> Tuple[numpy.ndarray, numpy.ndarray, List[int]]:
    """(gold values, known mask, indices of annotated examples): one row per annotated doc."""
    rows, masks, kept = [], [], []
    for i, eg in enumerate(examples):
        cats = eg.reference.cats
        if not cats:
            continue
        default = 0.0 if absent_as_negative else numpy.nan
        row = [float(cats.get(label, default)) for label in labels]
        rows.append(row)
        masks.append([not numpy.isnan(v) for v in row])
        kept.append(i)
    shape = (len(rows), len(labels))
    gold = numpy.asarray(rows, dtype=numpy.float64).reshape(shape)
    known = numpy.asarray(masks, dtype=bool).reshape(shape)
    return numpy.nan_to_num(gold), known, kept


def _pred_matrix(examples: Sequence[Example], kept: Sequence[int], labels: Sequence[str]) -> numpy.ndarray:
    pred = [[float(examples[i].predicted.cats.get(label, 0.0)) for label in labels] for i in kept]
    return numpy.asarray(pred, dtype=numpy.float64).reshape((len(kept), len(labels)))


def score_cats(
    examples: Iterable[Example],
    labels: Sequence[str],
    *,
    multi_label: bool,
    threshold: float = 0.5,
    absent_as_negative: bool = True,
    prefix: str = "cats",
) -> Dict[str, Any]:
    """All `{prefix}_*` scores for one classifier's `labels` (see the module docstring).

    `absent_as_negative`: a label missing from an annotated reference counts as 0 (always so
    for exclusive classes); otherwise it is unknown for that doc and that label is not scored there.
    """
    examples = list(examples)
    labels = list(labels)
    gold, known, kept = _gold_matrix(examples, labels, absent_as_negative or not multi_label)
    pred = _pred_matrix(examples, kept, labels)
    if not multi_label and len(kept):
        has_gold = gold.max(axis=1) > 0  # an exclusive doc needs one positive label to be scored
        gold, known, pred = gold[has_gold], known[has_gold], pred[has_gold]
        gold_pos = numpy.zeros_like(known)
        gold_pos[numpy.arange(len(gold)), gold.argmax(axis=1)] = True
        pred_pos = numpy.zeros_like(known)
        pred_pos[numpy.arange(len(pred)), pred.argmax(axis=1)] = True
    else:
        gold_pos = gold >= 0.5
        pred_pos = pred >= threshold
    n_docs = len(gold)

    per_type: Dict[str, Dict[str, float]] = {}
    auc_per_type: Dict[str, Optional[float]] = {}
    micro = PRFScore()
    for j, label in enumerate(labels):
        k, g, p = known[:, j], gold_pos[:, j], pred_pos[:, j]
        prf = PRFScore(int((k & g & p).sum()), int((k & ~g & p).sum()), int((k & g & ~p).sum()))
        micro.tp, micro.fp, micro.fn = micro.tp + prf.tp, micro.fp + prf.fp, micro.fn + prf.fn
        per_type[label] = prf.to_dict()
        auc_per_type[label] = roc_auc(pred[k, j], g[k])

    key = prefix
    if n_docs == 0 or not labels:
        scores: Dict[str, Any] = {f"{key}_{name}": None for name in ("score", "micro_p", "micro_r", "micro_f", "macro_p", "macro_r", "macro_f", "macro_auc")}
    else:
        macro = {m: float(numpy.mean([per_type[label][m] for label in labels])) for m in ("p", "r", "f")}
        aucs = [a for a in auc_per_type.values() if a is not None]
        macro_auc = float(numpy.mean(aucs)) if aucs else None
        scores = {
            f"{key}_score": macro_auc if multi_label else macro["f"],
            f"{key}_micro_p": micro.precision,
            f"{key}_micro_r": micro.recall,
            f"{key}_micro_f": micro.fscore,
            f"{key}_macro_p": macro["p"],
            f"{key}_macro_r": macro["r"],
            f"{key}_macro_f": macro["f"],
            f"{key}_macro_auc": macro_auc,
        }
    scores[f"{key}_score_desc"] = "macro AUC" if multi_label else "macro F"
    if not multi_label:
        correct = int((gold_pos & pred_pos).any(axis=1).sum()) if n_docs else 0
        scores[f"{key}_accuracy"] = correct / n_docs if n_docs else None
    scores[f"{key}_f_per_type"] = per_type
    scores[f"{key}_auc_per_type"] = auc_per_type
    return scores


__all__ = ["roc_auc", "score_cats"]
