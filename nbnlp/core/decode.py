"""Turning arc score matrices into dependency trees.

Score convention throughout: `scores[u, i, j]` is the score of token `j` being the head of token
`i` in unit (sentence or chunk) `u`, and the diagonal `scores[u, i, i]` is the score of `i` being
a root. Heads are unit-relative; a root points to itself; padding rows (i >= length) are ignored.

The parser first takes each token's best head; only units whose argmax is not a well-formed tree
are decoded again, either with Eisner's projective algorithm (vectorised over the units and the
span starts through `xp`, one loop step per span width) or with Chu-Liu-Edmonds (maximum spanning
arborescence, keeps non-projective arcs; a host-side loop per unit). Both give exactly one root.
"""
from typing import Any, List, Optional, Tuple

import numpy
from thinc.api import get_array_module

# Subtracted from every root score in Chu-Liu-Edmonds so that the best tree has a single root
# (any tree pays it once per root); larger than any spread of log-probabilities.
_ROOT_PENALTY = 1e4
DECODERS = ("eisner", "mst")


def _xp_of(array: Any) -> Any:
    return get_array_module(array)


def roots_of(heads: Any, lengths: Any) -> Any:
    """The token each token's head chain ends on (itself for a root), by pointer doubling.

    Chains that enter a cycle end on some cycle token, which is not self-headed.
    """
    xp = _xp_of(heads)
    n = heads.shape[1]
    valid = xp.arange(n)[None, :] < lengths[:, None]
    anc = xp.where(valid, heads, xp.arange(n)[None, :])
    for _ in range(max(1, int(n).bit_length()) + 1):
        anc = xp.take_along_axis(anc, anc, axis=1)
    return anc


def well_formed(heads: Any, lengths: Any, single_root: Any = True) -> Any:
    """Per unit: is `heads` a tree (no cycle) with one root, or, where `single_root` is False,
    a forest whose trees each cover a contiguous stretch of tokens (each tree a sentence)?"""
    xp = _xp_of(heads)
    n = heads.shape[1]
    idx = xp.arange(n)[None, :]
    valid = idx < lengths[:, None]
    in_range = ((heads >= 0) & (heads < lengths[:, None])) | ~valid
    heads = xp.where(valid & in_range, heads, idx)
    anc = roots_of(heads, lengths)
    acyclic = (~valid | (xp.take_along_axis(heads, anc, axis=1) == anc)).all(axis=1)
    n_roots = ((heads == idx) & valid).sum(axis=1)
    changes = xp.zeros_like(valid)
    changes[:, 1:] = (anc[:, 1:] != anc[:, :-1]) & valid[:, 1:]
    contiguous = changes.sum(axis=1) + 1 == n_roots
    single = xp.asarray(single_root, dtype=bool)
    ok_roots = xp.where(single, n_roots == 1, (n_roots >= 1) & contiguous)
    return in_range.all(axis=1) & acyclic & ok_roots


# ----- Eisner ---------------------------------------------------------------------------------
def eisner(scores: Any, lengths: Any) -> Any:
    """Best projective single-root trees for a batch of units (scores (U, n, n); heads (U, n)).

    Chart cells [u, s, t] for s <= t: complete/incomplete spans headed at their left or right
    end. Each span width is one vectorised step over all units and all span starts; the
    backpointers are then followed per unit on the host (O(n) steps each).
    """
    xp = _xp_of(scores)
    U, n, _ = scores.shape
    if n == 0:
        return numpy.zeros((U, 0), dtype=numpy.int64)
    neg = -numpy.inf
    # inc_r: head s, dependent t; inc_l: head t, dependent s; comp_r: head s covers s..t; comp_l: head t.
    inc_r = xp.full((U, n, n), neg, dtype=scores.dtype)
    inc_l = xp.full((U, n, n), neg, dtype=scores.dtype)
    comp_r = xp.full((U, n, n), neg, dtype=scores.dtype)
    comp_l = xp.full((U, n, n), neg, dtype=scores.dtype)
    diag = xp.arange(n)
    comp_r[:, diag, diag] = 0.0
    comp_l[:, diag, diag] = 0.0
    back = {name: xp.zeros((U, n, n), dtype=xp.int32) for name in ("inc", "comp_r", "comp_l")}
    for w in range(1, n):
        s = xp.arange(n - w)
        t = s + w
        k = xp.arange(w)
        # Incomplete spans: split r in s..t-1 into comp_r[s, r] + comp_l[r+1, t].
        r = s[:, None] + k[None, :]
        split = comp_r[:, s[:, None], r] + comp_l[:, r + 1, t[:, None]]
        best_r = split.argmax(axis=2)
        best = xp.take_along_axis(split, best_r[:, :, None], axis=2)[:, :, 0]
        inc_r[:, s, t] = best + scores[:, t, s]
        inc_l[:, s, t] = best + scores[:, s, t]
        back["inc"][:, s, t] = (s[None, :] + best_r).astype(xp.int32)
        # Complete right: head s, r in s+1..t: inc_r[s, r] + comp_r[r, t].
        r = s[:, None] + 1 + k[None, :]
        cand = inc_r[:, s[:, None], r] + comp_r[:, r, t[:, None]]
        arg = cand.argmax(axis=2)
        comp_r[:, s, t] = xp.take_along_axis(cand, arg[:, :, None], axis=2)[:, :, 0]
        back["comp_r"][:, s, t] = (s[None, :] + 1 + arg).astype(xp.int32)
        # Complete left: head t, r in s..t-1: comp_l[s, r] + inc_l[r, t].
        r = s[:, None] + k[None, :]
        cand = comp_l[:, s[:, None], r] + inc_l[:, r, t[:, None]]
        arg = cand.argmax(axis=2)
        comp_l[:, s, t] = xp.take_along_axis(cand, arg[:, :, None], axis=2)[:, :, 0]
        back["comp_l"][:, s, t] = (s[None, :] + arg).astype(xp.int32)
    lengths_xp = xp.asarray(lengths)
    units = xp.arange(U)
    last = xp.maximum(lengths_xp - 1, 0)
    # The root h heads everything: comp_l[0, h] + comp_r[h, last] + its root score.
    total = comp_l[:, 0, :] + comp_r[units[:, None], diag[None, :], last[:, None]] + scores[:, diag, diag]
    total = xp.where(diag[None, :] < lengths_xp[:, None], total, neg)
    root = _to_host(total.argmax(axis=1))
    backs = {name: _to_host(b) for name, b in back.items()}
    heads = numpy.tile(numpy.arange(n), (U, 1))
    for u, length in enumerate(_to_host(lengths_xp).tolist()):
        if length > 0:
            _eisner_backtrack(backs, u, int(root[u]), int(length), heads[u])
    return heads


def _eisner_backtrack(back: dict, u: int, root: int, length: int, heads: numpy.ndarray) -> None:
    heads[root] = root
    # Stack of (kind, s, t): "cr"/"cl" complete spans, "ir"/"il" incomplete ones.
    stack: List[Tuple[str, int, int]] = [("cl", 0, root), ("cr", root, length - 1)]
    inc, comp_r, comp_l = back["inc"][u], back["comp_r"][u], back["comp_l"][u]
    while stack:
        kind, s, t = stack.pop()
        if s == t:
            continue
        if kind == "cr":
            r = int(comp_r[s, t])
            stack += [("ir", s, r), ("cr", r, t)]
        elif kind == "cl":
            r = int(comp_l[s, t])
            stack += [("cl", s, r), ("il", r, t)]
        else:
            r = int(inc[s, t])
            if kind == "ir":
                heads[t] = s
            else:
                heads[s] = t
            stack += [("cr", s, r), ("cl", r + 1, t)]


# ----- Chu-Liu-Edmonds ------------------------------------------------------------------------
def chu_liu_edmonds(scores: numpy.ndarray) -> numpy.ndarray:
    """Best single-root tree (projective or not) of one unit: scores (n, n) -> heads (n,)."""
    n = scores.shape[0]
    if n == 0:
        return numpy.zeros(0, dtype=numpy.int64)
    # Node 0 is an artificial root; weights[d, h] scores head h for dependent d.
    weights = numpy.full((n + 1, n + 1), -numpy.inf)
    weights[1:, 1:] = scores
    weights[1:, 0] = numpy.diagonal(scores) - _ROOT_PENALTY
    idx = numpy.arange(1, n + 1)
    weights[idx, idx] = -numpy.inf
    heads = _cle(weights)
    out = heads[1:] - 1
    out[out < 0] = numpy.flatnonzero(out < 0)
    return out.astype(numpy.int64)


def _cle(weights: numpy.ndarray) -> numpy.ndarray:
    """Maximum arborescence rooted at node 0 (recursive cycle contraction)."""
    m = weights.shape[0]
    heads = weights.argmax(axis=1)
    heads[0] = -1
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    in_cycle = numpy.zeros(m, dtype=bool)
    in_cycle[cycle] = True
    rest = numpy.flatnonzero(~in_cycle)  # node 0 is always here
    c = len(rest)  # index of the contracted node in the smaller graph
    kept = weights[numpy.ix_(cycle, heads[cycle])].diagonal()
    small = numpy.full((c + 1, c + 1), -numpy.inf)
    small[:c, :c] = weights[numpy.ix_(rest, rest)]
    # Arcs out of the cycle: best cycle node as head for each outside dependent.
    out_w = weights[numpy.ix_(rest, cycle)]
    out_arg = out_w.argmax(axis=1)
    small[:c, c] = out_w.max(axis=1)
    # Arcs into the cycle: entering at d replaces d's cycle arc.
    in_w = weights[numpy.ix_(cycle, rest)] - kept[:, None]
    in_arg = in_w.argmax(axis=0)
    small[c, :c] = in_w.max(axis=0)
    small[0, :] = -numpy.inf
    small[c, c] = -numpy.inf
    sub = _cle(small)
    result = numpy.full(m, -1, dtype=numpy.int64)
    for k, node in enumerate(rest.tolist()):
        if k == 0:
            continue
        h = int(sub[k])
        result[node] = cycle[out_arg[k]] if h == c else rest[h]
    result[cycle] = heads[cycle]
    enter_from = int(sub[c])
    result[cycle[in_arg[enter_from]]] = rest[enter_from]
    return result


def _find_cycle(heads: numpy.ndarray) -> Optional[numpy.ndarray]:
    m = len(heads)
    state = numpy.zeros(m, dtype=numpy.int8)  # 0 unseen, 1 on the current path, 2 done
    state[0] = 2
    for start in range(1, m):
        path = []
        v = start
        while state[v] == 0:
            state[v] = 1
            path.append(v)
            v = int(heads[v])
        if state[v] == 1:
            return numpy.array(path[path.index(v):], dtype=numpy.int64)
        state[path] = 2
    return None


# ----- batch decoding -------------------------------------------------------------------------
def decode_heads(scores: Any, lengths: numpy.ndarray, single_root: Any = True, method: str = "eisner") -> numpy.ndarray:
    """Heads (U, n) on the host for a batch of score matrices: the argmax where it is already a
    well-formed tree (or contiguous forest where `single_root` is False); where the argmax's only
    fault is several roots, the most confident root kept and the others given their best other
    head, if that is a tree; else the decoder's tree."""
    if method not in DECODERS:
        raise ValueError(f"decode_heads: method must be one of {DECODERS}, got {method!r}")
    xp = _xp_of(scores)
    U, n = scores.shape[0], scores.shape[1]
    lengths_xp = xp.asarray(lengths)
    single = xp.broadcast_to(xp.asarray(single_root, dtype=bool), (U,))
    heads = scores.argmax(axis=2)
    ok = _to_host(well_formed(heads, lengths_xp, single))
    repair = numpy.flatnonzero(~ok & _to_host(single))
    if len(repair):
        at = xp.asarray(repair)
        fixed = _keep_one_root(scores[at], heads[at], lengths_xp[at])
        heads[at] = fixed
        ok[repair] = _to_host(well_formed(fixed, lengths_xp[at], True))
    heads = _to_host(heads).astype(numpy.int64)
    bad = numpy.flatnonzero(~ok)
    lengths_host = numpy.asarray(_to_host(lengths_xp))
    for group in _length_bins(bad, lengths_host[bad]):
        lengths_bad = lengths_host[group]
        width = int(lengths_bad.max())
        sub = scores[xp.asarray(group)][:, :width, :width]
        if method == "eisner":
            fixed = eisner(sub, lengths_bad)
        else:
            host = _to_host(sub)
            fixed = numpy.tile(numpy.arange(width), (len(group), 1))
            for k, length in enumerate(lengths_bad.tolist()):
                fixed[k, :length] = chu_liu_edmonds(host[k, :length, :length].astype(numpy.float64))
        heads[group, :width] = fixed
    pad = numpy.arange(n)[None, :] >= lengths_host[:, None]
    heads[pad] = numpy.broadcast_to(numpy.arange(n), (U, n))[pad]
    return heads


def _keep_one_root(scores: Any, heads: Any, lengths: Any) -> Any:
    """Units with several roots keep the one whose root score beats its best other head by the
    most; the other roots take their best other head. (A unit may still hold a cycle.)"""
    xp = _xp_of(scores)
    U, n = heads.shape
    idx = xp.arange(n)
    valid = idx[None, :] < lengths[:, None]
    is_root = (heads == idx[None, :]) & valid
    off_diag = scores.copy()
    off_diag[:, idx, idx] = -numpy.inf
    best_other = off_diag.argmax(axis=2)
    margin = scores[:, idx, idx] - xp.take_along_axis(off_diag, best_other[:, :, None], axis=2)[:, :, 0]
    keep = xp.where(is_root, margin, -numpy.inf).argmax(axis=1)
    demote = is_root & (idx[None, :] != keep[:, None])
    return xp.where(demote, best_other, heads)


def _length_bins(units: numpy.ndarray, lengths: numpy.ndarray, ratio: float = 1.25) -> List[numpy.ndarray]:
    """Units sorted by length and cut where the longest would exceed `ratio` times the shortest
    (at least 8 tokens apart), so a batch's padding (Eisner costs n^3 per unit) stays small."""
    order = numpy.argsort(lengths, kind="stable")
    bins: List[numpy.ndarray] = []
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order) or lengths[order[k]] > max(ratio * lengths[order[start]], lengths[order[start]] + 8):
            bins.append(units[order[start:k]])
            start = k
    return bins


def _to_host(array: Any) -> numpy.ndarray:
    return array if isinstance(array, numpy.ndarray) else array.get()


def is_projective(heads: numpy.ndarray) -> bool:
    """Whether a single tree (root points to itself) has no crossing arcs."""
    n = len(heads)
    idx = numpy.arange(n)
    nonroot = heads != idx
    lo = numpy.minimum(heads, idx)[nonroot]
    hi = numpy.maximum(heads, idx)[nonroot]
    # Two arcs cross when one starts strictly inside the other and ends strictly outside.
    a_lo, b_lo = lo[:, None], lo[None, :]
    a_hi, b_hi = hi[:, None], hi[None, :]
    cross = (a_lo < b_lo) & (b_lo < a_hi) & (a_hi < b_hi)
    if cross.any():
        return False
    # A root inside an arc's span is also non-projective (the arc would cover an unconnected token).
    roots = idx[~nonroot]
    return not ((lo[:, None] < roots[None, :]) & (roots[None, :] < hi[:, None])).any()


__all__ = ["DECODERS", "chu_liu_edmonds", "decode_heads", "eisner", "is_projective", "roots_of", "well_formed"]
