"""Token features for the embedding tables: stable hashes of lexical attributes, one row per token.

The vocabulary keeps each lexical attribute (NORM, PREFIX, ...) as an array indexed by string
id, and the string store keeps a stable 64-bit hash per id, so a batch's features are two array
lookups over all its tokens at once. Hashes, not local ids, go into the model: local ids depend
on the order strings were first seen and would not survive saving and loading.
"""
import itertools
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy
from thinc.api import Model
from thinc.types import Ints2d

from ..attrs import LEX_STRING, normalize_attr
from ..doc import Doc
from ..registry import registry

FEATURE_ATTRS = ("ORTH",) + LEX_STRING


@registry.architectures("nbnlp.FeatureExtractor.v1")
def FeatureExtractor(attrs: List[str]) -> Model[List[Doc], List[Ints2d]]:
    """Docs -> one (n_tokens, len(attrs)) uint64 array of attribute hashes per doc."""
    columns = [normalize_attr(a) for a in attrs]
    unknown = [a for a in columns if a not in FEATURE_ATTRS]
    if unknown or not columns:
        raise ValueError(f"FeatureExtractor: attrs must be some of {', '.join(FEATURE_ATTRS)}; got {list(attrs)}")
    return Model("extract_features", forward, attrs={"columns": columns})


def forward(model: Model[List[Doc], List[Ints2d]], docs: List[Doc], is_train: bool) -> Tuple[List[Ints2d], Callable]:
    columns: List[str] = model.attrs["columns"]
    if not docs:
        return [], _no_gradient
    # Gather host-side in one pass (docs of a batch share a vocab), move to the device once.
    vocab = docs[0].vocab
    if all(doc.vocab is vocab for doc in docs):
        host = _hash_features(vocab, [doc.arrays["ORTH"] for doc in docs], columns)
        device = model.ops.asarray(host, dtype="uint64")
        bounds = list(itertools.accumulate(len(doc) for doc in docs[:-1]))
        features = model.ops.xp.split(device, bounds)
    else:
        features = [model.ops.asarray(_hash_features(doc.vocab, [doc.arrays["ORTH"]], columns), dtype="uint64") for doc in docs]
    return list(features), _no_gradient


def _hash_features(vocab: Any, orths: Sequence[numpy.ndarray], columns: List[str]) -> numpy.ndarray:
    """(n_tokens, n_columns) hashes for the concatenated tokens (index arithmetic only, on the host)."""
    orth = numpy.concatenate(orths) if len(orths) != 1 else orths[0]
    tables: Dict[str, numpy.ndarray] = {name: vocab.attr(name.lower()) for name in columns if name != "ORTH"}
    hashes = vocab.strings.hashes  # read after attr(): computing attributes may add strings
    ids = numpy.empty((len(orth), len(columns)), dtype=numpy.int64)
    for j, name in enumerate(columns):
        ids[:, j] = orth if name == "ORTH" else tables[name][orth]
    return hashes[ids]


def _no_gradient(d_features: List[Ints2d]) -> List[Doc]:
    return []


__all__ = ["FeatureExtractor", "FEATURE_ATTRS"]
