"""Entity scores with spaCy's names: `ents_p`, `ents_r`, `ents_f` and `ents_per_type` (fractions 0-1).

Entities are compared as (start_char, end_char, label), so a prediction over another
tokenization of the same text scores right whenever its entity covers the same characters.

Missing annotation: an example whose reference has no entity annotation at all is skipped. A
predicted entity that overlaps a reference token with missing annotation ("-") is neither right
nor wrong and is not counted (nobody said what is there); every reference entity counts.
"""
from collections import defaultdict
from typing import Any, Dict, Iterable, Tuple

import numpy

from ..doc import Doc
from ..example import Example
from ..scorer import PRFScore


def entity_offsets(doc: Doc) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(start_chars, end_chars, label ids) of `doc.ents`, read straight from the ENT_IOB/ENT_TYPE columns."""
    iob, etype = doc.arrays["ENT_IOB"], doc.arrays["ENT_TYPE"]
    n = len(iob)
    in_ent = (iob == 1) | (iob == 3)
    cont = numpy.zeros(n, dtype=bool)
    cont[1:] = (iob[1:] == 1) & in_ent[:-1] & (etype[1:] == etype[:-1])
    starts = numpy.flatnonzero(in_ent & ~cont)
    ends = numpy.flatnonzero(in_ent & ~numpy.append(cont[1:], False))
    return doc.idx[starts].astype(numpy.int64), doc.token_ends[ends].astype(numpy.int64), etype[starts]


def _as_set(doc: Doc, starts: numpy.ndarray, ends: numpy.ndarray, labels: numpy.ndarray) -> set:
    strings = doc.vocab.strings
    return {(s, e, strings[int(lab)]) for s, e, lab in zip(starts.tolist(), ends.tolist(), labels.tolist())}


def _touches_missing(reference: Doc, starts: numpy.ndarray, ends: numpy.ndarray) -> numpy.ndarray:
    """Per character range [start, end): whether it overlaps a reference token without entity annotation."""
    missing = reference.arrays["ENT_IOB"] == 0
    if not missing.any() or not len(starts):
        return numpy.zeros(len(starts), dtype=bool)
    n_missing_before = numpy.concatenate([[0], numpy.cumsum(missing)])
    first = numpy.searchsorted(reference.token_ends, starts, side="right")  # first token ending after the start
    stop = numpy.searchsorted(reference.idx, ends, side="left")  # tokens starting before the end
    return n_missing_before[stop] > n_missing_before[numpy.minimum(first, stop)]


def score_ents(examples: Iterable[Example]) -> Dict[str, Any]:
    """ents_p/r/f over all labels and ents_per_type {label: {"p", "r", "f"}}; None where nothing was annotated."""
    per_type: Dict[str, PRFScore] = defaultdict(PRFScore)
    for eg in examples:
        ref = eg.reference
        if not ref.arrays["ENT_IOB"].any():
            continue
        gold = _as_set(ref, *entity_offsets(ref))
        p_starts, p_ends, p_labels = entity_offsets(eg.predicted)
        keep = ~_touches_missing(ref, p_starts, p_ends)
        predicted = _as_set(eg.predicted, p_starts[keep], p_ends[keep], p_labels[keep])
        for label in {ent[2] for ent in gold | predicted}:
            per_type[label].add({e for e in predicted if e[2] == label}, {e for e in gold if e[2] == label})
    total = PRFScore()
    for prf in per_type.values():
        total.tp, total.fp, total.fn = total.tp + prf.tp, total.fp + prf.fp, total.fn + prf.fn
    if not (total.tp + total.fp + total.fn):
        return {"ents_p": None, "ents_r": None, "ents_f": None, "ents_per_type": None}
    return {
        "ents_p": total.precision,
        "ents_r": total.recall,
        "ents_f": total.fscore,
        "ents_per_type": {label: per_type[label].to_dict() for label in sorted(per_type)},
    }


__all__ = ["score_ents", "entity_offsets"]
