"""Text classification architectures: docs -> one row of class probabilities per doc.

`nbnlp.TextCatBOW.v1` is a linear model over hashed n-grams: each n-gram (n = 1..ngram_size)
of a token attribute is hashed into one of `length` rows of a weight table, and a doc's logits
are the sum of its n-grams' rows. `nbnlp.TextCatEnsemble.v1` adds those logits to the logits of
a small network over pooled token vectors (mean and max of a tok2vec's output -> Maxout ->
linear). Both end in a softmax (exclusive classes) or a sigmoid (independent labels).

The output layer's backprop takes the gradient with respect to the *logits* (probabilities
minus truth, the exact gradient of cross-entropy through softmax or sigmoid), so the
components' `get_loss` returns that and never a gradient with respect to the probabilities.
"""
from typing import Callable, List, Optional, Tuple

import numpy
from thinc.api import Dropout, Linear, Maxout, Model, add, chain, zero_init
from thinc.types import Floats2d, Ints1d, Ints2d

from ..doc import Doc
from ..registry import registry
from .cpu import fast_cpu_ops
from .featurize import FeatureExtractor

# Odd 64-bit constant mixing the previous tokens' hash into an n-gram hash (then murmurhash).
_NGRAM_MULT = numpy.uint64(0x9E3779B97F4A7C15)
_BOW_SEED = 0x7463
# The refs whose output width is the number of labels; `init` sets their nO from the model's.
N_LABEL_REFS = "n_label_refs"

NgramKeys = Tuple[Ints1d, Ints1d, int, float]  # (table row per n-gram, its doc, number of docs, scale)


# ----- the BOW model ---------------------------------------------------------------------------
@registry.architectures("nbnlp.TextCatBOW.v1")
def TextCatBOW(
    exclusive_classes: bool,
    ngram_size: int = 1,
    length: int = 262144,
    attrs: List[str] = ["LOWER", "SHAPE"],
    nO: Optional[int] = None,
) -> Model[List[Doc], Floats2d]:
    """Sparse linear model over hashed 1..`ngram_size`-grams of each attribute in `attrs`.

    Each attribute's n-grams are hashed with their own seed into the same `length` weight rows.
    In training, n-grams are dropped at the dropout rate (kept ones scaled up to match), which
    keeps the model from resting a class on a few rare n-grams. `nO` (the number of labels) may be
    left unset: the component sets it from the data.
    """
    if ngram_size < 1 or length < 1:
        raise ValueError(f"TextCatBOW: ngram_size and length must be at least 1; got {ngram_size}, {length}")
    with fast_cpu_ops():
        logits = chain(FeatureExtractor(list(attrs)), NgramHasher(ngram_size, length), HashedLinear(nO, length))
        logits.name = "bow_logits"
        output = LogitsActivation(exclusive_classes)
        inner = chain(logits, output)
    return _with_n_labels(
        "textcat_bow", inner, {"logits": logits, "linear": logits.layers[-1]}, ["linear"], nO, exclusive_classes
    )


def NgramHasher(ngram_size: int, length: int, dropout: float = 0.0) -> Model[List[Ints2d], NgramKeys]:
    """Per-doc token hashes (n_tokens, n_attrs) -> the table row of every n-gram within a doc, and its doc."""
    return Model(
        "ngram_hasher", _hash_ngrams_forward,
        attrs={"ngram_size": ngram_size, "length": length, "dropout_rate": dropout},
    )


def _hash_ngrams_forward(model: Model, token_hashes: List[Ints2d], is_train: bool) -> Tuple[NgramKeys, Callable]:
    ops, xp = model.ops, model.ops.xp
    n_max: int = model.attrs["ngram_size"]
    length: int = model.attrs["length"]
    n_docs = len(token_hashes)
    if not sum(len(h) for h in token_hashes):
        return (ops.alloc1i(0), ops.alloc1i(0), n_docs, 1.0), _no_gradient
    lengths = ops.asarray1i([len(h) for h in token_hashes])
    table = xp.concatenate(token_hashes).astype(xp.uint64)
    doc_of = xp.repeat(xp.arange(n_docs, dtype="int32"), lengths)
    keys, docs = [], []
    for column in range(table.shape[1]):
        hashes = xp.ascontiguousarray(table[:, column])
        gram = hashes
        for n in range(1, n_max + 1):
            if n == 1:
                valid, valid_docs = gram, doc_of
            else:  # extend every (n-1)-gram by the next token; drop those that leave their doc
                gram = gram[:-1] * _NGRAM_MULT + hashes[n - 1 :]
                same_doc = doc_of[: len(gram)] == doc_of[n - 1 :]
                valid, valid_docs = gram[same_doc], doc_of[: len(gram)][same_doc]
            if not len(valid):
                break
            # murmurhash, seeded per attribute and n: the n-grams of each kind land on their own rows
            rows = ops.hash(xp.ascontiguousarray(valid), _BOW_SEED + 16 * column + n)[:, 0] % length
            keys.append(rows.astype("int32"))
            docs.append(valid_docs)
    rows, row_docs = xp.concatenate(keys), xp.concatenate(docs).astype("int32")
    scale = 1.0
    rate = model.attrs["dropout_rate"]
    if is_train and rate:
        keep = xp.random.uniform(0.0, 1.0, len(rows)) >= rate
        rows, row_docs, scale = rows[keep], row_docs[keep], 1.0 / (1.0 - rate)
    return (rows, row_docs, n_docs, scale), _no_gradient


def HashedLinear(nO: Optional[int], length: int) -> Model[NgramKeys, Floats2d]:
    """Sum of the weight rows of each doc's n-grams, plus a bias: (n_docs, nO) logits."""
    return Model(
        "hashed_linear", _hashed_linear_forward, init=_hashed_linear_init,
        dims={"nO": nO, "length": length}, params={"W": None, "b": None},
    )


def _hashed_linear_init(model: Model, X: Optional[NgramKeys] = None, Y: Optional[Floats2d] = None) -> None:
    if Y is not None and not model.has_dim("nO"):
        model.set_dim("nO", Y.shape[1])
    nO = model.get_dim("nO")
    model.set_param("W", model.ops.alloc2f(model.get_dim("length"), nO))
    model.set_param("b", model.ops.alloc1f(nO))


def _hashed_linear_forward(model: Model, X: NgramKeys, is_train: bool) -> Tuple[Floats2d, Callable]:
    rows, doc_of, n_docs, scale = X
    W, b = model.get_param("W"), model.get_param("b")
    Y = model.ops.alloc2f(n_docs, W.shape[1])
    if len(rows):
        model.ops.scatter_add(Y, doc_of, W[rows])
        if scale != 1.0:
            Y *= scale
    Y += b

    def backprop(dY: Floats2d) -> NgramKeys:
        dW = model.ops.alloc2f(*W.shape)
        if len(rows):
            d_rows = dY[doc_of] * scale if scale != 1.0 else dY[doc_of]
            model.ops.scatter_add(dW, rows, model.ops.xp.ascontiguousarray(d_rows, dtype="float32"))
        model.inc_grad("W", dW)
        model.inc_grad("b", dY.sum(axis=0))
        return X

    return Y, backprop


def LogitsActivation(exclusive_classes: bool) -> Model[Floats2d, Floats2d]:
    """Softmax or sigmoid whose backprop expects, and passes on, the gradient w.r.t. the logits."""
    name = "softmax_output" if exclusive_classes else "sigmoid_output"
    return Model(name, _activation_forward, attrs={"exclusive_classes": exclusive_classes})


def _activation_forward(model: Model, X: Floats2d, is_train: bool) -> Tuple[Floats2d, Callable]:
    Y = model.ops.softmax(X) if model.attrs["exclusive_classes"] else model.ops.sigmoid(X)

    def backprop(d_logits: Floats2d) -> Floats2d:
        return d_logits

    return Y, backprop


# ----- the ensemble ----------------------------------------------------------------------------
@registry.architectures("nbnlp.TextCatEnsemble.v1")
def TextCatEnsemble(
    tok2vec: Model[List[Doc], List[Floats2d]],
    linear_model: Model[List[Doc], Floats2d],
    hidden_width: int = 64,
    dropout: float = 0.0,
    nO: Optional[int] = None,
) -> Model[List[Doc], Floats2d]:
    """`linear_model` (a TextCatBOW) plus a pooled tok2vec network; their logits are summed.

    The tok2vec network: mean and max of the token vectors -> Maxout(`hidden_width`) ->
    dropout -> a linear layer to the labels, zero-initialised so training starts from the BOW.
    The BOW model's `exclusive_classes` decides softmax or sigmoid.
    """
    if linear_model.name != "textcat_bow":
        raise ValueError(f"TextCatEnsemble: linear_model must be a nbnlp.TextCatBOW.v1 model, got {linear_model.name!r}")
    if hidden_width < 1:
        raise ValueError(f"TextCatEnsemble: hidden_width must be at least 1, got {hidden_width}")
    exclusive = linear_model.attrs["exclusive_classes"]
    width = tok2vec.maybe_get_dim("nO")
    with fast_cpu_ops():
        cnn_output = Linear(nO, hidden_width, init_W=zero_init)
        pooled = chain(
            tok2vec, MeanMaxPool(), Maxout(hidden_width, None if width is None else 2 * width, nP=2, normalize=True),
            Dropout(dropout), cnn_output,
        )
        logits = add(linear_model.get_ref("logits"), pooled)
        inner = chain(logits, LogitsActivation(exclusive))
    refs = {"tok2vec": tok2vec, "logits": linear_model.get_ref("logits"), "linear": linear_model.get_ref("linear"), "cnn_output": cnn_output}
    return _with_n_labels("textcat_ensemble", inner, refs, ["linear", "cnn_output"], nO, exclusive)


def MeanMaxPool() -> Model[List[Floats2d], Floats2d]:
    """Per-doc token vectors -> [mean, max] per doc; an empty doc gives zeros."""
    return Model("mean_max_pool", _pool_forward)


def _pool_forward(model: Model, Xs: List[Floats2d], is_train: bool) -> Tuple[Floats2d, Callable]:
    ops, xp = model.ops, model.ops.xp
    width = Xs[0].shape[1] if Xs else 0
    X = xp.concatenate(Xs) if Xs else ops.alloc2f(0, width)
    lengths = ops.asarray1i([len(x) for x in Xs])
    means = ops.reduce_mean(X, lengths)
    maxes = ops.alloc2f(len(Xs), width)
    # reduce_max needs every length > 0: pool the non-empty docs, leave zeros for the empty ones
    nonempty = xp.flatnonzero(lengths > 0).astype("int32")
    nz_lengths = ops.asarray1i(lengths[nonempty])
    which = None
    if len(nonempty):
        nz_maxes, which = ops.reduce_max(X, nz_lengths)
        maxes[nonempty] = nz_maxes
    Y = xp.hstack([means, maxes])

    def backprop(dY: Floats2d) -> List[Floats2d]:
        dX = ops.backprop_reduce_mean(xp.ascontiguousarray(dY[:, :width]), lengths)
        if which is not None:
            dX += ops.backprop_reduce_max(xp.ascontiguousarray(dY[nonempty, width:]), which, nz_lengths)
        return ops.unflatten(dX, lengths)

    return Y, backprop


# ----- shared plumbing -------------------------------------------------------------------------
def _with_n_labels(
    name: str, inner: Model, refs: dict, n_label_refs: List[str], nO: Optional[int], exclusive: bool
) -> Model[List[Doc], Floats2d]:
    """Wrap `inner` so that setting the wrapper's nO (the number of labels) reaches every output layer."""
    model: Model[List[Doc], Floats2d] = Model(
        name, _wrapper_forward, init=_wrapper_init, layers=[inner], dims={"nO": nO},
        attrs={"exclusive_classes": exclusive, N_LABEL_REFS: list(n_label_refs)},
    )
    for ref_name, node in refs.items():
        model.set_ref(ref_name, node)
    if nO is not None:
        _push_n_labels(model)
    return model


def _push_n_labels(model: Model) -> None:
    n = model.get_dim("nO")
    for ref_name in model.attrs[N_LABEL_REFS]:
        layer = model.get_ref(ref_name)
        if not layer.has_dim("nO") or layer.get_dim("nO") != n:
            layer.set_dim("nO", n, force=True)


def _wrapper_init(model: Model, X: Optional[List[Doc]] = None, Y: Optional[Floats2d] = None) -> None:
    if Y is not None and not model.has_dim("nO"):
        model.set_dim("nO", Y.shape[1])
    if not model.has_dim("nO"):
        raise ValueError(f"{model.name}: the number of labels (nO) is unset; the component sets it from the data")
    _push_n_labels(model)
    model.layers[0].initialize(X=X)


def _wrapper_forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[Floats2d, Callable]:
    if not docs:
        return model.ops.alloc2f(0, model.get_dim("nO")), _no_gradient
    return model.layers[0](docs, is_train)


def _no_gradient(dY: object) -> List[Doc]:
    return []


__all__ = ["TextCatBOW", "TextCatEnsemble", "NgramHasher", "HashedLinear", "LogitsActivation", "MeanMaxPool"]
