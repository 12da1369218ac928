"""`nbnlp.BiaffineParser.v2`: a graph-based dependency parser (biaffine scoring, Dozat & Manning 2017)
that also finds the sentences of running text.

Token vectors (the shared tok2vec, plus `depth` extra residual CNN layers of window `window_size`
that widen the context the parser sees; `depth = 0` for none) go through one ReLU layer that
yields five views per token: arc-dependent, arc-head, label-dependent, label-head and sentence.
Then

* sentence starts, where a doc does not bring its own: a logit per token from the sentence view
  (`sent_width`; 0 turns it off, which is `nbnlp.BiaffineParser.v1`: the trees of a whole doc
  then define its sentences). The predicted sentences are the units parsed below, so the cost
  per word does not grow with the length of a document, and each sentence is one tree;

* arc scores, per unit (a sentence or a chunk of a doc): s[i, j] = dep_i U head_j + u . head_j
  + a distance term (dep_i W_dist) picked by the bucketed signed distance j - i, which gives the
  CNN features the word-order information a BiLSTM would carry; the diagonal s[i, i] holds a
  separate root score (w_root . dep_i + b), so "root" is "headed by itself";
* label scores for a given head h(i): dep_i V_l headlab_h(i) + W [dep_i; headlab_h(i)] + b.

Units are grouped by length and each group padded to its longest unit, so a group's arc scores
are a few batched matmuls (U, n, n); sorting keeps padding small while bounding the n^2 memory.
In training the labels are scored for the gold heads; otherwise the forward pass decodes trees
(`nbnlp.core.decode.decode_heads`) and scores the labels for the decoded heads.
"""
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy
from thinc.api import Model, Relu, chain
from thinc.types import Floats2d

from ..decode import decode_heads
from ..doc import Doc
from ..registry import registry
from .cpu import fast_cpu_ops
from .tok2vec import MaxoutWindowEncoder, MaxoutWindowEncoderV2

MASK = -1e9  # added to the scores of padding heads
SENT_PRIOR_LOGIT = -2.6  # log odds of a sentence start in English prose (one token in ~15)
# Signed distance buckets (head minus dependent): exact up to 5, then widening bins.
_DIST_BINS = numpy.array([1, 2, 3, 4, 5, 6, 8, 12, 20, 36])
N_DIST = 2 * len(_DIST_BINS)
# Largest (units x n x n) score block computed at once; larger batches are split by length.
MAX_CELLS = 2_000_000


class ParserInput(NamedTuple):
    """A batch: docs; flat sentence starts over the concatenated docs and, per doc, whether they are
    given (else they are predicted, or without a sentence view the doc is one unit of free trees);
    gold heads (flat indices, -1 unknown) or None to decode; the decoder; the longest unit."""

    docs: List[Doc]
    sent_starts: numpy.ndarray  # (N,) bool, meaningful where the doc's sentences are given
    given: numpy.ndarray  # (D,) bool
    gold_heads: Optional[numpy.ndarray] = None  # (N,) int64 or None
    decoder: str = "eisner"
    max_length: int = 200
    sent_threshold: float = 0.5  # probability above which a token starts a predicted sentence


@dataclass
class ArcGroup:
    """Units of similar length padded together: tokens (U, n) flat indices (padding = N)."""

    units: numpy.ndarray
    tokens: numpy.ndarray
    lengths: numpy.ndarray
    scores: Any  # xp (U, n, n)


@dataclass
class ParserScores:
    groups: List[ArcGroup]
    labels: Any  # xp (N, n_labels): label scores for the head in `heads`
    heads: numpy.ndarray  # (N,) flat head index each token's label was scored for
    units: numpy.ndarray  # (K, 2) flat token ranges [start, end) parsed as units
    single_root: numpy.ndarray  # (K,) bool: whether each unit is one tree
    sent_logits: Any = None  # xp (N,) sentence-start logits, None without a sentence view
    given: Optional[numpy.ndarray] = None  # (D,) bool: whether each doc's sentences were given


@dataclass
class ParserGradients:
    arcs: List[Any]  # one (U, n, n) per group
    labels: Any  # (N, n_labels)
    sents: Any = None  # (N,) gradient of the sentence-start logits


@registry.architectures("nbnlp.BiaffineParser.v1")
def BiaffineParserV1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    arc_width: int = 128,
    label_width: int = 64,
    depth: int = 2,
    window_size: int = 2,
    nO: Optional[int] = None,
) -> Model[ParserInput, ParserScores]:
    """The parser without a sentence view: the trees of a doc without sentences define them."""
    return _biaffine_parser(tok2vec, arc_width, label_width, depth, window_size, 0, nO, MaxoutWindowEncoder)


@registry.architectures("nbnlp.BiaffineParser.v2")
def BiaffineParser(
    tok2vec: Model[List[Doc], List[Floats2d]],
    arc_width: int = 128,
    label_width: int = 128,
    depth: int = 2,
    window_size: int = 2,
    sent_width: int = 64,
    nO: Optional[int] = None,
) -> Model[ParserInput, ParserScores]:
    """Biaffine arc and label scorer over `tok2vec` with a sentence-start view of `sent_width`
    (0 = none); `nO` (number of labels) may come from data."""
    return _biaffine_parser(tok2vec, arc_width, label_width, depth, window_size, sent_width, nO, MaxoutWindowEncoderV2)


def _biaffine_parser(
    tok2vec: Model, arc_width: int, label_width: int, depth: int, window_size: int, sent_width: int, nO: Optional[int], encoder_layer: Callable
) -> Model[ParserInput, ParserScores]:
    """The model both versions build; v1 has no sentence view and pads between docs in its CNN."""
    width = tok2vec.maybe_get_dim("nO")
    if arc_width < 1 or label_width < 1 or depth < 0 or sent_width < 0:
        raise ValueError(
            "BiaffineParser: arc_width and label_width must be >= 1, depth and sent_width >= 0; "
            f"got {arc_width}, {label_width}, {depth}, {sent_width}"
        )
    if depth and width is None:
        raise ValueError("BiaffineParser: the tok2vec must declare its width (nO) to add encoder layers")
    with fast_cpu_ops():
        encoder = tok2vec
        if depth:
            encoder = chain(tok2vec, encoder_layer(width, depth, window_size, 3))
        mlp = Relu(2 * arc_width + 2 * label_width + sent_width, width, dropout=0.0)
        model: Model[ParserInput, ParserScores] = Model(
            "biaffine_parser",
            forward,
            init=init,
            layers=[encoder, mlp],
            dims={"nI": width, "nO": nO, "arc": arc_width, "label": label_width, "sent": sent_width},
            params={
                "arc_U": None, "arc_u": None, "root_w": None, "root_b": None, "dist_W": None, "dist_b": None,
                "lab_V": None, "lab_W": None, "lab_b": None, **({"sent_w": None, "sent_b": None} if sent_width else {}),
            },
        )
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("mlp", mlp)
    return model


def init(model: Model, X: Optional[Any] = None, Y: Optional[Any] = None) -> None:
    encoder, mlp = model.layers
    docs = X.docs if isinstance(X, ParserInput) else X
    encoder.initialize(X=docs)
    if not model.has_dim("nI") or model.get_dim("nI") is None:
        model.set_dim("nI", encoder.get_dim("nO") if encoder.has_dim("nO") else model.get_ref("tok2vec").get_dim("nO"))
    mlp.initialize()
    da, dl, nO = model.get_dim("arc"), model.get_dim("label"), model.get_dim("nO")
    ops = model.ops
    model.set_param("arc_U", ops.alloc2f(da, da))
    model.set_param("arc_u", ops.alloc1f(da))
    model.set_param("root_w", ops.alloc1f(da))
    model.set_param("root_b", ops.alloc1f(1))
    model.set_param("dist_W", ops.alloc2f(da, N_DIST))
    model.set_param("dist_b", ops.alloc1f(N_DIST))
    model.set_param("lab_V", ops.alloc2f(dl, nO))
    model.set_param("lab_W", ops.alloc2f(2 * dl, nO))
    model.set_param("lab_b", ops.alloc1f(nO))
    if model.get_dim("sent"):
        model.set_param("sent_w", ops.alloc1f(model.get_dim("sent")))
        # Start at the prior odds of a sentence start (about one token in 15), not at even odds.
        model.set_param("sent_b", ops.asarray1f([SENT_PRIOR_LOGIT]))


def forward(model: Model, inputs: Any, is_train: bool) -> Tuple[ParserScores, Callable]:
    """`inputs` is a ParserInput, or a list of Docs (sentences predicted, heads decoded)."""
    if not isinstance(inputs, ParserInput):
        inputs = raw_docs(inputs)
    encoder, mlp = model.layers
    ops, xp = model.ops, model.ops.xp
    da, dl, ds = model.get_dim("arc"), model.get_dim("label"), model.get_dim("sent")
    vectors, bp_vectors = encoder(inputs.docs, is_train)
    sizes = [v.shape[0] for v in vectors]
    X = xp.concatenate(vectors) if len(vectors) != 1 else vectors[0]
    N = X.shape[0]
    H, bp_H = mlp(X, is_train)
    arc_dep, arc_head = H[:, :da], H[:, da : 2 * da]
    lab_dep, lab_head = H[:, 2 * da : 2 * da + dl], H[:, 2 * da + dl : 2 * da + 2 * dl]
    sent_view = H[:, 2 * da + 2 * dl :]
    sent_logits = sent_view @ model.get_param("sent_w") + model.get_param("sent_b")[0] if ds else None
    units, single_root = _units(inputs, sizes, sent_logits, ops)
    # Everything per token is computed on the flat (N, ...) arrays; only the pairwise part is padded.
    dep_proj, bp_dep_proj = _dep_projection(model, arc_dep)
    head_bias = arc_head @ model.get_param("arc_u")
    # One zero row at index N stands in for padding.
    dep_ext = xp.concatenate([dep_proj, xp.zeros((1, dep_proj.shape[1]), dtype=H.dtype)])
    head_ext = xp.concatenate([arc_head, xp.zeros((1, da), dtype=H.dtype)])
    bias_ext = xp.concatenate([head_bias, xp.zeros((1,), dtype=H.dtype)])

    groups: List[ArcGroup] = []
    arc_backprops = []
    for unit_ids in _group_units(units):
        tokens, lengths = _padded_tokens(units[unit_ids], N)
        idx = ops.asarray(tokens)
        S, bp_S = _arc_scores(model, dep_ext[idx], head_ext[idx], bias_ext[idx], lengths)
        groups.append(ArcGroup(unit_ids, tokens, lengths, S))
        arc_backprops.append((idx, bp_S))

    heads = _heads_for_labels(inputs, units, single_root, groups, N)
    labels, bp_labels = _label_scores(model, lab_dep, lab_head, ops.asarray(heads))

    def backprop(d_scores: ParserGradients) -> Any:
        d_dep_ext = xp.zeros(dep_ext.shape, dtype=H.dtype)
        d_head_ext = xp.zeros(head_ext.shape, dtype=H.dtype)
        d_bias_ext = xp.zeros(bias_ext.shape, dtype=H.dtype)
        for (idx, bp_S), dS in zip(arc_backprops, d_scores.arcs):
            d_dep, d_head, d_bias = bp_S(dS)
            # Each real token sits in exactly one unit, so plain assignment suffices (padding -> row N).
            d_dep_ext[idx] = d_dep
            d_head_ext[idx] = d_head
            d_bias_ext[idx] = d_bias
        dH = xp.zeros(H.shape, dtype=H.dtype)
        dH[:, :da] = bp_dep_proj(d_dep_ext[:N])
        u = model.get_param("arc_u")
        model.inc_grad("arc_u", d_bias_ext[:N] @ arc_head)
        dH[:, da : 2 * da] = d_head_ext[:N] + d_bias_ext[:N, None] * u
        d_lab_dep, d_lab_head = bp_labels(d_scores.labels)
        dH[:, 2 * da : 2 * da + dl] = d_lab_dep
        dH[:, 2 * da + dl : 2 * da + 2 * dl] = d_lab_head
        if ds and d_scores.sents is not None:
            d_sent = xp.asarray(d_scores.sents, dtype="float32")
            model.inc_grad("sent_w", d_sent @ sent_view)
            model.inc_grad("sent_b", d_sent.sum(keepdims=True))
            dH[:, 2 * da + 2 * dl :] = d_sent[:, None] * model.get_param("sent_w")
        dX = bp_H(dH)
        return bp_vectors(_split_rows(xp, dX, sizes))

    return ParserScores(groups, labels, heads, units, single_root, sent_logits, inputs.given), backprop


def raw_docs(docs: Sequence[Doc], decoder: str = "eisner", max_length: int = 200) -> ParserInput:
    """A ParserInput in which no doc's sentences are given."""
    n = sum(len(doc) for doc in docs)
    return ParserInput(list(docs), numpy.zeros(n, dtype=bool), numpy.zeros(len(docs), dtype=bool), None, decoder, max_length)


def _units(inputs: ParserInput, sizes: List[int], sent_logits: Any, ops: Any) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """The token ranges parsed as units and whether each is one tree.

    Given sentences are kept; the others are predicted where there is a sentence view (a start
    where its probability exceeds `sent_threshold`), and each sentence is one tree; without a sentence view such a
    doc is one unit whose trees define its sentences.
    """
    sizes_arr = numpy.asarray(sizes, dtype=numpy.int64)
    doc_starts = numpy.cumsum(sizes_arr) - sizes_arr
    starts = numpy.asarray(inputs.sent_starts, dtype=bool).copy()
    given_token = numpy.repeat(inputs.given, sizes_arr)
    if sent_logits is not None:
        threshold = float(numpy.log(inputs.sent_threshold / (1.0 - inputs.sent_threshold)))
        predicted = ops.to_numpy(sent_logits > threshold)
        starts = numpy.where(given_token, starts, predicted)
    else:
        starts &= given_token
    starts[doc_starts[sizes_arr > 0]] = True
    single = inputs.given | (sent_logits is not None)
    return sentence_units(starts, numpy.repeat(single, sizes_arr), inputs.max_length)


def sentence_units(starts: numpy.ndarray, single_token: numpy.ndarray, max_length: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Flat ranges [start, end) from sentence-start flags, sentences longer than `max_length`
    cut every `max_length` tokens; and per range the flag `single_token` has at its start."""
    first = numpy.flatnonzero(starts)
    if not len(first):
        return numpy.zeros((0, 2), numpy.int64), numpy.zeros(0, bool)
    last = numpy.append(first[1:], len(starts))
    n_chunks = -(-(last - first) // max_length)
    k = numpy.arange(n_chunks.sum()) - numpy.repeat(numpy.cumsum(n_chunks) - n_chunks, n_chunks)
    chunk_starts = numpy.repeat(first, n_chunks) + k * max_length
    chunk_ends = numpy.minimum(chunk_starts + max_length, numpy.repeat(last, n_chunks))
    units = numpy.stack([chunk_starts, chunk_ends], axis=1).astype(numpy.int64)
    return units, single_token[chunk_starts].astype(bool)


def _padded_tokens(units: numpy.ndarray, pad: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """(U, n) flat token indices of a group of units, `pad` past each unit's end; and the lengths."""
    lengths = units[:, 1] - units[:, 0]
    offsets = numpy.arange(int(lengths.max()))
    tokens = numpy.where(offsets[None, :] < lengths[:, None], units[:, :1] + offsets[None, :], pad)
    return tokens, lengths


def _heads_for_labels(
    inputs: ParserInput, units: numpy.ndarray, single_root: numpy.ndarray, groups: List[ArcGroup], N: int
) -> numpy.ndarray:
    """Flat head per token to score labels for: gold where given (self where unknown), else decoded."""
    if inputs.gold_heads is not None:
        return numpy.where(inputs.gold_heads >= 0, inputs.gold_heads, numpy.arange(N))
    heads = numpy.arange(N)
    for g in groups:
        rel = decode_heads(g.scores, g.lengths, single_root[g.units], inputs.decoder)
        valid = g.tokens < N
        heads[g.tokens[valid]] = (rel + units[g.units][:, :1])[valid]
    return heads


def _split_rows(xp: Any, X: Any, sizes: List[int]) -> List[Any]:
    if len(sizes) == 1:
        return [X]
    return list(xp.split(X, numpy.cumsum(sizes)[:-1].tolist()))


def _dep_projection(model: Model, dep: Any) -> Tuple[Any, Callable]:
    """Per dependent: [dep U | distance-bucket scores | root score] in one (N, da + N_DIST + 1) product."""
    xp = model.ops.xp
    da = model.get_dim("arc")
    W = xp.concatenate(
        [model.get_param("arc_U"), model.get_param("dist_W"), model.get_param("root_w")[:, None]], axis=1
    )
    b = xp.concatenate([xp.zeros((da,), dtype="float32"), model.get_param("dist_b"), model.get_param("root_b")])
    Y = dep @ W + b

    def backprop(dY: Any) -> Any:
        dW = dep.T @ dY
        model.inc_grad("arc_U", dW[:, :da])
        model.inc_grad("dist_W", dW[:, da : da + N_DIST])
        model.inc_grad("root_w", dW[:, -1])
        db = dY.sum(axis=0)
        model.inc_grad("dist_b", db[da : da + N_DIST])
        model.inc_grad("root_b", db[-1:])
        return dY @ W.T

    return Y, backprop


def _group_units(units: numpy.ndarray) -> List[numpy.ndarray]:
    """Unit indices sorted by length and cut into groups whose padded score block stays small."""
    lengths = units[:, 1] - units[:, 0]
    order = numpy.argsort(lengths, kind="stable")
    groups = []
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order):
            groups.append(order[start:k])
            break
        n = int(lengths[order[k]])
        if (k + 1 - start) * n * n > MAX_CELLS or n > 2 * max(int(lengths[order[start]]), 8):
            groups.append(order[start:k])
            start = k
    return [g for g in groups if len(g)]


@lru_cache(maxsize=64)
def _distance_onehot(n: int) -> numpy.ndarray:
    """(n, n, N_DIST) float32: 1 where the head j lies in distance bucket k of dependent i."""
    idx = numpy.arange(n)
    dist = idx[None, :] - idx[:, None]
    magnitude = numpy.searchsorted(_DIST_BINS, numpy.abs(dist), side="right") - 1
    bucket = numpy.where(dist < 0, magnitude, magnitude + len(_DIST_BINS))
    onehot = (bucket[:, :, None] == numpy.arange(N_DIST)[None, None, :]).astype("float32")
    onehot[idx, idx] = 0.0
    return onehot


def _arc_scores(model: Model, dep_proj: Any, head: Any, head_bias: Any, lengths: numpy.ndarray) -> Tuple[Any, Callable]:
    """Scores (U, n, n) for one group of padded units from the dependents' projections
    (dep U | distance scores | root score), the head vectors and the head biases."""
    ops, xp = model.ops, model.ops.xp
    U, n, da = head.shape
    onehot = ops.asarray(_distance_onehot(n))
    A, P, root = dep_proj[:, :, :da], dep_proj[:, :, da : da + N_DIST], dep_proj[:, :, -1]
    S = xp.matmul(A, head.transpose(0, 2, 1))
    S += head_bias[:, None, :]
    S += xp.matmul(P.transpose(1, 0, 2), onehot.transpose(0, 2, 1)).transpose(1, 0, 2)
    diag = xp.arange(n)
    S[:, diag, diag] = root
    pad_cols = ops.asarray(numpy.arange(n)[None, :] >= lengths[:, None])
    S = xp.where(pad_cols[:, None, :], xp.asarray(MASK, dtype=S.dtype), S)

    def backprop(dS: Any) -> Tuple[Any, Any, Any]:
        dS = xp.where(pad_cols[:, None, :], 0.0, dS).astype("float32")
        d_proj = xp.empty(dep_proj.shape, dtype="float32")
        d_proj[:, :, -1] = dS[:, diag, diag]
        dS[:, diag, diag] = 0.0
        d_proj[:, :, :da] = xp.matmul(dS, head)
        d_proj[:, :, da : da + N_DIST] = xp.matmul(dS.transpose(1, 0, 2), onehot).transpose(1, 0, 2)
        d_head = xp.matmul(dS.transpose(0, 2, 1), A)
        d_bias = dS.sum(axis=1)
        return d_proj, d_head, d_bias

    return S, backprop


def _label_scores(model: Model, dep: Any, head_all: Any, heads: Any) -> Tuple[Any, Callable]:
    """Label scores (N, L) for each token with its head `heads[i]`:
    (dep * head) V + dep W_dep + head W_head + b, a biaffine form whose per-label core is diagonal."""
    ops, xp = model.ops, model.ops.xp
    N, dl = dep.shape
    V, W, b = model.get_param("lab_V"), model.get_param("lab_W"), model.get_param("lab_b")
    head = head_all[heads]
    feats = xp.concatenate([dep * head, dep, head], axis=1)  # (N, 3 dl)
    VW = xp.concatenate([V, W])
    Z = feats @ VW + b

    def backprop(dZ: Any) -> Tuple[Any, Any]:
        dZ = dZ.astype("float32")
        model.inc_grad("lab_b", dZ.sum(axis=0))
        d_VW = feats.T @ dZ
        model.inc_grad("lab_V", d_VW[:dl])
        model.inc_grad("lab_W", d_VW[dl:])
        d_feats = dZ @ VW.T
        d_dep = d_feats[:, :dl] * head + d_feats[:, dl : 2 * dl]
        d_head = d_feats[:, :dl] * dep + d_feats[:, 2 * dl :]
        d_head_all = xp.zeros(head_all.shape, dtype="float32")
        ops.scatter_add(d_head_all, heads, d_head)
        return d_dep, d_head_all

    return Z, backprop


__all__ = ["BiaffineParser", "BiaffineParserV1", "raw_docs", "sentence_units", "ParserInput", "ParserScores", "ParserGradients", "ArcGroup", "N_DIST"]
