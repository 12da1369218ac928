"""`nbnlp.StaticVectors.v1`: each token's row of the vocab's vectors table, projected to `nO`.

The table (`vocab.vectors`, made by `nbnlp init-vectors` and copied in by `[initialize] vectors`)
is not a weight of the model: it is never trained and is saved once with the pipeline, not in
every component. Only the projection is learned. Words without a vector get a zero row, so their
output is the projection's bias. Rows for the whole batch are found with one sorted search over
the token hashes (host-side index arithmetic); the gather and the product run on `model.ops`.
"""
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy
from thinc.api import Model
from thinc.initializers import glorot_uniform_init
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry
from ..vectors import check_key_attr
from .cpu import fast_cpu_ops

NO_VECTORS = (
    "StaticVectors: the vocab has no vectors table. Make one with `nbnlp init-vectors LANG VECTORS_FILE DIR` and set "
    "[initialize] vectors = \"DIR\", or turn off include_static_vectors"
)


@registry.architectures("nbnlp.StaticVectors.v1")
def StaticVectors(nO: Optional[int] = None, key_attr: str = "ORTH") -> Model[List[Doc], List[Floats2d]]:
    """Docs -> (n_tokens, nO) per doc: the token's static vector (by `key_attr`: ORTH, LOWER or NORM) times a learned matrix."""
    attr = check_key_attr(key_attr)
    if nO is not None and nO < 1:
        raise ValueError(f"StaticVectors: nO must be at least 1, got {nO}")
    with fast_cpu_ops():
        model: Model[List[Doc], List[Floats2d]] = Model(
            "static_vectors", forward, init=init, dims={"nO": nO, "nV": None}, params={"W": None, "b": None},
            attrs={"key_attr": attr},
        )
    return model


def init(model: Model, X: Optional[List[Doc]] = None, Y: Any = None) -> Model:
    if not model.has_dim("nV"):
        vectors = _table(X) if X else None
        if vectors is None:
            raise ValueError(NO_VECTORS)
        model.set_dim("nV", vectors.width)
    if not model.has_dim("nO"):
        raise ValueError("StaticVectors: nO (the output width) is not set")
    nO, nV = model.get_dim("nO"), model.get_dim("nV")
    model.set_param("W", glorot_uniform_init(model.ops, (nO, nV)))
    model.set_param("b", model.ops.alloc1f(nO))
    return model


def forward(model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    W = model.get_param("W")
    b = model.get_param("b")
    vectors = _table(docs)
    if vectors is None:
        if not any(len(doc) for doc in docs):
            return [model.ops.alloc2f(0, model.get_dim("nO")) for _ in docs], _no_gradient
        raise ValueError(NO_VECTORS)
    if vectors.width != model.get_dim("nV"):
        raise ValueError(
            f"StaticVectors: the vocab's vectors have width {vectors.width}, but this model was built for width "
            f"{model.get_dim('nV')}; use the vectors table the pipeline was trained with"
        )
    rows, known, lengths = token_rows(docs, vectors, model.attrs["key_attr"])
    table = vectors.on_device(model.ops)
    V = table[model.ops.asarray(rows, dtype="int64")] * model.ops.asarray2f(known)  # unknown words: zero rows
    Y = model.ops.gemm(V, W, trans2=True)
    Y += b
    splits = model.ops.asarray1i(lengths)

    def backprop(dYs: List[Floats2d]) -> List[Doc]:
        dY = model.ops.flatten(dYs)
        model.inc_grad("W", model.ops.gemm(dY, V, trans1=True))
        model.inc_grad("b", dY.sum(axis=0))
        return []

    return model.ops.unflatten(Y, splits), backprop


def token_rows(docs: Sequence[Doc], vectors: Any, key_attr: str) -> Tuple[numpy.ndarray, numpy.ndarray, List[int]]:
    """Host-side lookup for a batch: (row per token, 0 where unknown), (n_tokens, 1) 1/0 known mask, doc lengths.

    Keys are string hashes, so docs of other vocabs are looked up in the same table through their own strings.
    """
    lengths = [len(doc) for doc in docs]
    if not sum(lengths):
        return numpy.zeros((0,), dtype="int64"), numpy.zeros((0, 1), dtype="float32"), lengths
    vocab = docs[0].vocab
    if all(doc.vocab is vocab for doc in docs):
        rows = vectors.rows_for(vocab, numpy.concatenate([doc.arrays["ORTH"] for doc in docs]), key_attr)
    else:
        rows = numpy.concatenate([vectors.rows_for(doc.vocab, doc.arrays["ORTH"], key_attr) for doc in docs])
    known = (rows >= 0).astype("float32")[:, None]
    return numpy.maximum(rows, 0), known, lengths


def _table(docs: Optional[Sequence[Doc]]) -> Any:
    """The vectors table of the docs' vocab, or None when it is empty."""
    for doc in docs or ():
        vectors = doc.vocab.vectors
        return vectors if vectors else None
    return None


def _no_gradient(dYs: List[Floats2d]) -> List[Doc]:
    return []


__all__ = ["StaticVectors", "token_rows"]
