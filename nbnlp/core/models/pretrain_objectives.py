"""Pretraining objectives: heads on top of the tok2vec output and their losses.

`nbnlp.PretrainCharacters.v1` predicts the first and last `n_characters` characters of each word
(one softmax over character classes per position), so it needs nothing but raw text.
`nbnlp.PretrainVectors.v1` predicts the word's static vector (L2 or cosine loss) and needs a
vectors table. The tok2vec sees each word's own features, which give its spelling away, so (as in
BERT) a `mask_probability` share of the words is hidden from the input (80% replaced by a mask
token, 10% by another word of the batch, 10% kept) and only those words are predicted: the tok2vec
must learn what fits a context. Each head maps token vectors to scores; `objective_loss` dispatches
on the head's `objective` attr. Targets and masks are made host-side (index arithmetic); the losses
run on `ops`.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
from thinc.api import Linear, Maxout, Model, chain, with_array
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry
from ..vectors import check_key_attr
from .cpu import fast_cpu_ops

# Character classes: 0 = no character (the word is shorter), 1..254 = that code point, 255 = any other.
N_CHAR_CLASSES = 256
LOSSES = ("cosine", "L2")
MASK_TOKEN = "<mask>"


@registry.architectures("nbnlp.PretrainCharacters.v1")
def PretrainCharacters(
    n_characters: int = 4, hidden_size: int = 300, maxout_pieces: int = 3, mask_probability: float = 0.15
) -> Model[List[Floats2d], List[Floats2d]]:
    """Token vectors -> scores for the first and last `n_characters` characters of each (masked) word."""
    if n_characters < 1 or hidden_size < 1 or maxout_pieces < 1:
        raise ValueError(f"PretrainCharacters: n_characters, hidden_size and maxout_pieces must be at least 1; got {n_characters}, {hidden_size}, {maxout_pieces}")
    model = _head(hidden_size, maxout_pieces, 2 * n_characters * N_CHAR_CLASSES)
    model.attrs.update({"objective": "characters", "n_characters": n_characters, "mask_probability": _check_mask(mask_probability)})
    return model


@registry.architectures("nbnlp.PretrainVectors.v1")
def PretrainVectors(
    loss: str = "cosine", hidden_size: int = 300, maxout_pieces: int = 3, key_attr: str = "ORTH", mask_probability: float = 0.15,
    nO: Optional[int] = None,
) -> Model[List[Floats2d], List[Floats2d]]:
    """Token vectors -> the (masked) word's static vector (width `nO`: the vectors table's, set by pretraining when null)."""
    if loss not in LOSSES:
        raise ValueError(f"PretrainVectors: loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    if hidden_size < 1 or maxout_pieces < 1:
        raise ValueError(f"PretrainVectors: hidden_size and maxout_pieces must be at least 1; got {hidden_size}, {maxout_pieces}")
    model = _head(hidden_size, maxout_pieces, nO)
    model.attrs.update({"objective": "vectors", "loss": loss, "key_attr": check_key_attr(key_attr), "mask_probability": _check_mask(mask_probability)})
    return model


def _check_mask(p: float) -> float:
    if not 0 <= p < 1:
        raise ValueError(f"mask_probability must be from 0 (no masking: predict every word) to below 1; got {p}")
    return float(p)


def _head(hidden_size: int, maxout_pieces: int, nO: Optional[int]) -> Model[List[Floats2d], List[Floats2d]]:
    with fast_cpu_ops():
        model: Model[List[Floats2d], List[Floats2d]] = with_array(
            chain(Maxout(hidden_size, nP=maxout_pieces, normalize=True, dropout=0.0), Linear(nO))
        )
    model.name = "pretrain_head"
    return model


def set_output_width(head: Model, width: int) -> None:
    """Size the vectors head's output to the table's width (a head built with another width is an error)."""
    output = head.layers[0].layers[-1]
    if output.has_dim("nO") and output.get_dim("nO") != width:
        raise ValueError(f"PretrainVectors: nO is {output.get_dim('nO')} but the vectors have width {width}")
    output.set_dim("nO", width)


# ----- losses -------------------------------------------------------------------------------------
def objective_loss(
    head: Model, docs: Sequence[Doc], scores: List[Floats2d], predict: Optional[numpy.ndarray] = None
) -> Tuple[float, List[Floats2d]]:
    """The loss summed over the predicted words (`predict`: a 1/0 per token of the original docs; None = all) and
    its gradient, averaged over them."""
    ops = head.ops
    lengths = [len(doc) for doc in docs]
    n_tokens = sum(lengths)
    if not n_tokens:
        return 0.0, [ops.alloc2f(*s.shape) for s in scores]
    weights = numpy.ones((n_tokens, 1), dtype="float32") if predict is None else numpy.asarray(predict, dtype="float32").reshape(-1, 1)
    Y = ops.flatten(scores)
    if head.attrs["objective"] == "characters":
        loss, dY = _character_loss(ops, Y, character_targets(docs, head.attrs["n_characters"]), ops.asarray2f(weights))
    else:
        rows, known = vector_targets(docs, head.attrs["key_attr"])
        table = docs[0].vocab.vectors.on_device(ops)
        target = table[ops.asarray(rows, dtype="int64")]
        loss, dY = _vector_loss(ops, Y, target, ops.asarray2f(known * weights), head.attrs["loss"])
    return loss, ops.unflatten(dY, ops.asarray1i(lengths))


def _character_loss(ops: Any, Y: Floats2d, targets: numpy.ndarray, weights: Optional[Floats2d] = None) -> Tuple[float, Floats2d]:
    """Softmax cross-entropy per character position of the weighted (1 = predicted) tokens; gradient averaged over them."""
    n_tokens, n_positions = targets.shape
    if weights is None:
        weights = ops.alloc2f(n_tokens, 1) + 1.0
    n_predicted = max(float(weights.sum()), 1.0)
    logits = Y.reshape((n_tokens * n_positions, N_CHAR_CLASSES))
    probs = ops.softmax(logits, axis=-1)
    gold = ops.asarray(targets.reshape(-1), dtype="int64")
    index = ops.xp.arange(len(gold))
    per_position = weights.repeat(n_positions, axis=0).reshape(-1)
    loss = float((-ops.xp.log(probs[index, gold] + 1e-8) * per_position).sum()) / n_positions
    d = probs
    d[index, gold] -= 1.0
    d *= per_position[:, None] / (n_predicted * n_positions)
    return loss, d.reshape((n_tokens, n_positions * N_CHAR_CLASSES))


def _vector_loss(ops: Any, Y: Floats2d, target: Floats2d, known: Floats2d, kind: str) -> Tuple[float, Floats2d]:
    """L2 or cosine loss against the static vectors, only on words that have one (`known` is a 0/1 column)."""
    n_known = max(float(known.sum()), 1.0)
    if kind == "L2":
        diff = (Y - target) * known
        return float((diff * diff).sum()) / 2.0, diff / n_known
    xp = ops.xp
    y_norm = xp.sqrt((Y * Y).sum(axis=1, keepdims=True)) + 1e-8
    t_norm = xp.sqrt((target * target).sum(axis=1, keepdims=True)) + 1e-8
    cosine = (Y * target).sum(axis=1, keepdims=True) / (y_norm * t_norm)
    loss = float(((1.0 - cosine) * known).sum())
    # d(1 - cos)/dY = -(target / (|y||t|) - cos * Y / |y|^2)
    d = -(target / (y_norm * t_norm) - cosine * Y / (y_norm * y_norm))
    return loss, d * known / n_known


# ----- targets (host-side) -------------------------------------------------------------------------
def character_targets(docs: Sequence[Doc], n_characters: int) -> numpy.ndarray:
    """(n_tokens, 2 * n_characters) class ids: the first n characters, then the last n (right-aligned)."""
    orth = _orths(docs)
    uniq, inverse = numpy.unique(orth, return_inverse=True)
    strings = docs[0].vocab.strings
    cache: Dict[int, numpy.ndarray] = {}
    rows = numpy.empty((len(uniq), 2 * n_characters), dtype="int64")
    for i, string_id in enumerate(uniq.tolist()):
        if string_id not in cache:
            cache[string_id] = _word_classes(strings[string_id], n_characters)
        rows[i] = cache[string_id]
    return rows[inverse.reshape(-1)]


def _word_classes(word: str, n: int) -> numpy.ndarray:
    codes = [min(ord(c), N_CHAR_CLASSES - 1) for c in word]
    codes = [c if c > 0 else N_CHAR_CLASSES - 1 for c in codes]
    first = (codes[:n] + [0] * n)[:n]
    last = ([0] * n + codes[-n:])[-n:]
    return numpy.asarray(first + last, dtype="int64")


def vector_targets(docs: Sequence[Doc], key_attr: str) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Row of each token in the vocab's vectors (0 where unknown) and a (n_tokens, 1) 1/0 known column."""
    vocab = docs[0].vocab
    rows = vocab.vectors.rows_for(vocab, _orths(docs), key_attr)
    return numpy.maximum(rows, 0), (rows >= 0).astype("float32")[:, None]


def mask_docs(docs: Sequence[Doc], probability: float, rng: numpy.random.Generator) -> Tuple[List[Doc], numpy.ndarray]:
    """Copies of the docs with a `probability` share of their words hidden, and a 1/0 per token marking those words.

    A hidden word becomes the mask token (80%), another word of the batch (10%) or stays (10%), so the
    model cannot tell which words it will be asked about. At least one word per batch is hidden.
    """
    orth = _orths(docs)
    if probability <= 0 or not len(orth):
        return list(docs), numpy.ones((len(orth),), dtype="float32")
    hidden = rng.random(len(orth)) < probability
    if not hidden.any():
        hidden[rng.integers(len(orth))] = True
    how = rng.random(len(orth))
    new = orth.copy()
    new[hidden & (how < 0.8)] = docs[0].vocab.strings.add(MASK_TOKEN)
    swap = hidden & (how >= 0.8) & (how < 0.9)
    new[swap] = orth[rng.integers(0, len(orth), size=int(swap.sum()))]
    masked, start = [], 0
    for doc in docs:
        end = start + len(doc)
        masked.append(Doc.from_orths(doc.vocab, new[start:end], doc.arrays["SPACY"]))
        start = end
    return masked, hidden.astype("float32")


def _orths(docs: Sequence[Doc]) -> numpy.ndarray:
    return numpy.concatenate([doc.arrays["ORTH"] for doc in docs]).astype("int64")


__all__ = [
    "MASK_TOKEN", "N_CHAR_CLASSES", "PretrainCharacters", "PretrainVectors", "character_targets", "mask_docs", "objective_loss",
    "set_output_width",
]
