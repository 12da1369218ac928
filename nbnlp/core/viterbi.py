"""Constrained Viterbi decoding: the best tag sequence per doc under hard transition rules.

A per-token tagger scores every tag independently, so its argmax can produce sequences that
mean nothing (an "I-PER" after "O", an entity never closed). Decoding with a transition mask
(0 for allowed, -inf for forbidden) picks the highest-scoring sequence that is valid. The batch
is decoded at once: docs are padded to the longest one and the loop runs over time steps only,
with every array operation going through `ops.xp`, so the same code runs on numpy and cupy.
"""
from typing import Any, Tuple

import numpy
from thinc.api import Ops
from thinc.types import Floats2d, Floats3d, Ints1d, Ints2d

BILUO_PREFIXES = ("B", "I", "L", "U")
NEG_INF = -numpy.inf


def biluo_tag_names(labels: Any) -> list:
    """Tag order shared by the NER model and decoder: "O", then B/I/L/U for each label in turn."""
    return ["O"] + [f"{p}-{label}" for label in labels for p in BILUO_PREFIXES]


def biluo_constraints(n_labels: int) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Host-side (transitions (T, T), start (T,), end (T,)) masks: 0.0 allowed, -inf forbidden.

    After B-X or I-X only I-X or L-X may follow; after O, L-X or U-X anything that opens or stays
    outside (O, B-*, U-*). A sequence starts outside an entity and ends outside one.
    """
    n_tags = 1 + 4 * n_labels
    allowed = numpy.zeros((n_tags, n_tags), dtype=bool)
    outside_next = numpy.zeros(n_tags, dtype=bool)
    outside_next[0] = True
    base = 1 + 4 * numpy.arange(n_labels)
    outside_next[base + 0] = True  # B-*
    outside_next[base + 3] = True  # U-*
    closed = numpy.concatenate([[0], base + 2, base + 3])  # O, L-*, U-*
    allowed[closed] = outside_next
    for k in range(n_labels):  # a handful of labels: bookkeeping, not a hot path
        b = 1 + 4 * k
        allowed[b + 0, [b + 1, b + 2]] = True
        allowed[b + 1, [b + 1, b + 2]] = True
    end = numpy.zeros(n_tags, dtype=bool)
    end[closed] = True
    to_mask = lambda ok: numpy.where(ok, 0.0, NEG_INF).astype("float32")  # noqa: E731
    return to_mask(allowed), to_mask(outside_next), to_mask(end)


def viterbi_decode(
    ops: Ops,
    scores: Floats3d,
    lengths: Ints1d,
    transitions: Floats2d,
    start: Any,
    end: Any,
) -> Ints2d:
    """Best path per doc: `scores` (n_docs, max_len, n_tags) of per-token log-scores (log-probabilities,
    or logits: a per-token constant does not change the best path), padded past each doc's
    `lengths` (as `ops.pad` makes them). Returns (n_docs, max_len) tag indices, 0 in the padding.

    `transitions[i, j]`, `start[j]`, `end[i]` are added to a path's score (use -inf to forbid).
    """
    xp = ops.xp
    n_docs, max_len, n_tags = scores.shape
    path = xp.zeros((n_docs, max_len), dtype="int32")
    if n_docs == 0 or max_len == 0:
        return path
    scores = xp.asarray(scores, dtype="float32")
    lengths = xp.asarray(lengths).astype("int32")
    transitions = xp.asarray(transitions, dtype="float32")
    best = scores[:, 0, :] + xp.asarray(start, dtype="float32")[None, :]
    back = xp.zeros((max_len, n_docs, n_tags), dtype="int32")
    for t in range(1, max_len):
        candidates = best[:, :, None] + transitions[None, :, :]  # (docs, previous tag, tag)
        back[t] = candidates.argmax(axis=1)
        stepped = candidates.max(axis=1) + scores[:, t, :]
        # Docs that ended before t keep their final scores.
        best = xp.where((t < lengths)[:, None], stepped, best)
    current = (best + xp.asarray(end, dtype="float32")[None, :]).argmax(axis=1).astype("int32")
    rows = xp.arange(n_docs)
    for t in range(max_len - 1, -1, -1):
        active = t < lengths
        path[:, t] = xp.where(active, current, 0)
        if t:
            current = xp.where(active, back[t][rows, current], current)
    return path


__all__ = ["BILUO_PREFIXES", "biluo_tag_names", "biluo_constraints", "viterbi_decode"]
