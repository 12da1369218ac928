"""Pseudo-projective transformation of dependency trees (Nivre & Nilsson 2005).

A transition-based parser can only build projective trees, so training trees are made projective
by lifting crossing arcs, and the lifted arcs' labels record where they came from so a parser's
output can be deprojectivized again. Kept apart from `Example` so that the parser can share it.
"""
from __future__ import annotations

import numpy as np

# Decorated labels of lifted arcs read "dep||head_dep", as pseudo-projective parsers expect.
PROJECTIVE_DELIMITER = "||"


def projectivize_heads(heads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make a dependency tree projective by lifting arcs (pseudo-projective transformation).

    Repeatedly takes the shortest non-projective arc and reattaches its dependent to its head's
    head. Returns the new heads and, per token, the original head of lifted tokens (-1 where not
    lifted). Unset heads (-1) stay unset and never count as crossing. The work is done on
    stretches of tokens that no arc crosses (sentences, in practice), so the ancestor matrices
    stay small.
    """
    heads = np.asarray(heads, dtype=np.int64).copy()
    n = len(heads)
    lifted_from = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return heads, lifted_from
    unset = heads < 0
    work = np.where(unset, np.arange(n), heads)
    # Cut into independent stretches: position p starts one when no arc spans the gap before p.
    lo, hi = np.minimum(work, np.arange(n)), np.maximum(work, np.arange(n))
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, lo + 1, 1)
    np.add.at(cover, hi + 1, -1)
    cuts = np.flatnonzero(np.cumsum(cover)[:n] == 0)
    for s, e in zip(cuts.tolist(), cuts[1:].tolist() + [n]):
        if e - s > 2:
            local = work[s:e] - s
            new, orig = _projectivize_stretch(local, unset[s:e])
            work[s:e] = new + s
            lifted = orig >= 0
            lifted_from[s:e][lifted] = orig[lifted] + s
    heads = np.where(unset, -1, work)
    return heads, lifted_from


def _projectivize_stretch(heads: np.ndarray, unset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = len(heads)
    heads = heads.copy()
    orig = np.full(m, -1, dtype=np.int64)
    idx = np.arange(m)
    for _ in range(m * m):
        # anc[k, a]: a is k or one of its ancestors.
        anc = np.zeros((m, m), dtype=bool)
        cur = idx.copy()
        anc[idx, cur] = True
        for _ in range(m):
            nxt = heads[cur]
            if np.array_equal(nxt, cur):
                break
            cur = nxt
            anc[idx, cur] = True
        wild = (anc & unset[None, :]).any(axis=1)  # chains through an unset head: unknown, not crossing
        lo, hi = np.minimum(heads, idx), np.maximum(heads, idx)
        between = (idx[None, :] > lo[:, None]) & (idx[None, :] < hi[:, None])
        crossing = (between & ~anc[:, heads].T & ~wild[None, :]).any(axis=1)
        liftable = crossing & (heads != idx) & (heads[heads] != heads) & ~unset
        if not liftable.any():
            break
        cand = np.flatnonzero(liftable)
        d = int(cand[np.argmin((hi - lo)[cand])])
        if orig[d] < 0:
            orig[d] = heads[d]
        heads[d] = heads[heads[d]]
    return heads, orig


__all__ = ["PROJECTIVE_DELIMITER", "projectivize_heads"]
