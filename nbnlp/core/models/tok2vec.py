"""Token-to-vector architectures: hashed embeddings of lexical features, then a windowed CNN.

`nbnlp.Tok2Vec.v1` chains an embedding block (Docs -> one vector per token) and an encoder
block (vectors -> context-sensitive vectors). Both work on the whole batch as one array, so a
batch costs a handful of large matrix products rather than one small product per doc.
"""
from typing import Any, Callable, List, Tuple

from thinc.api import HashEmbed as HashEmbedTable
from thinc.api import Maxout, Model, chain, clone, concatenate, expand_window, residual, with_array, with_ragged
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry
from .cpu import fast_cpu_ops
from .featurize import FeatureExtractor
from .static_vectors import StaticVectors

# Each attribute's table hashes with its own seed, so a collision in one table is not
# repeated in the others.
_SEED_BASE = 0x6E62


@registry.architectures("nbnlp.Tok2Vec.v1")
def Tok2Vec(
    embed: Model[List[Doc], List[Floats2d]], encode: Model[List[Floats2d], List[Floats2d]]
) -> Model[List[Doc], List[Floats2d]]:
    """Docs -> one (n_tokens, width) array per doc: `embed` then `encode`."""
    embed_width, encode_width = embed.maybe_get_dim("nO"), encode.maybe_get_dim("nI")
    if embed_width is not None and encode_width is not None and embed_width != encode_width:
        raise ValueError(f"Tok2Vec: the embedding width ({embed_width}) must equal the encoder width ({encode_width})")
    with fast_cpu_ops():
        model: Model[List[Doc], List[Floats2d]] = chain(embed, encode)
    model.name = "tok2vec"
    model.set_ref("embed", embed)
    model.set_ref("encode", encode)
    if encode.has_dim("nO"):
        model.set_dim("nO", encode.get_dim("nO"))
    return model


@registry.architectures("nbnlp.HashEmbed.v1")
def EmbedHashedFeatures(
    width: int,
    attrs: List[str],
    rows: List[int],
    include_static_vectors: bool = False,
    vectors_key_attr: str = "ORTH",
) -> Model[List[Doc], List[Floats2d]]:
    """One hash table per lexical attribute, concatenated and mixed down to `width` by a maxout layer.

    `include_static_vectors` adds the vocab's word vectors (`nbnlp.StaticVectors.v1`, looked up by
    `vectors_key_attr`, projected to `width`) to the concatenation before the mixing layer; the
    table comes from `[initialize] vectors`. Off, the model is exactly the one without the option,
    so configs and pipelines saved before it existed load unchanged.
    """
    if len(attrs) != len(rows):
        raise ValueError(f"HashEmbed: give one row count per attribute; got attrs={list(attrs)} and rows={list(rows)}")
    if len(set(a.upper() for a in attrs)) != len(attrs):
        raise ValueError(f"HashEmbed: an attribute is listed twice in {list(attrs)}")
    if width < 1 or any(r < 1 for r in rows):
        raise ValueError(f"HashEmbed: width and rows must be positive; got width={width}, rows={list(rows)}")
    with fast_cpu_ops():
        tables = [
            HashEmbedTable(width, n_rows, column=i, seed=_SEED_BASE + i, dropout=0.0)
            for i, n_rows in enumerate(rows)
        ]
        n_inputs = len(tables) + (1 if include_static_vectors else 0)
        mix = Maxout(width, width * n_inputs, nP=3, normalize=True, dropout=0.0)
        model: Model[List[Doc], List[Floats2d]]
        if include_static_vectors:
            hashed = chain(FeatureExtractor(attrs), with_array(concatenate(*tables)))
            model = chain(concatenate(hashed, StaticVectors(nO=width, key_attr=vectors_key_attr)), with_array(mix))
        else:
            model = chain(FeatureExtractor(attrs), with_array(chain(concatenate(*tables), mix)))
    model.name = "hash_embed"
    model.set_dim("nO", width)
    return model


@registry.architectures("nbnlp.MaxoutWindowEncoder.v1")
def MaxoutWindowEncoder(
    width: int, depth: int, window_size: int, maxout_pieces: int
) -> Model[List[Floats2d], List[Floats2d]]:
    """`depth` residual layers, each mixing a token with `window_size` neighbours either side.

    Docs are joined with `window_size * depth` zero rows between them (the receptive field), so
    no token ever sees a token of another doc. (v2 does the same without the padding rows.)
    """
    _check_encoder_sizes(width, depth, window_size, maxout_pieces)
    with fast_cpu_ops():
        layers = clone(residual(_window_block(width, window_size, maxout_pieces)), depth)
        model: Model[List[Floats2d], List[Floats2d]] = with_array(layers, pad=window_size * depth)
    model.name = "maxout_window_encoder"
    model.set_dim("nO", width)
    model.set_dim("nI", width)
    return model


@registry.architectures("nbnlp.MaxoutWindowEncoder.v2")
def MaxoutWindowEncoderV2(
    width: int, depth: int, window_size: int, maxout_pieces: int
) -> Model[List[Floats2d], List[Floats2d]]:
    """`depth` residual layers, each mixing a token with `window_size` neighbours either side.

    The batch is one ragged array and every layer's windows stop at the doc's edges (zeros
    beyond them), so no token sees another doc without the padding rows v1 puts between docs:
    on one-sentence texts those rows were a third of the rows the layers computed.
    """
    _check_encoder_sizes(width, depth, window_size, maxout_pieces)
    with fast_cpu_ops():
        block = chain(expand_window(window_size), with_array(_maxout(width, window_size, maxout_pieces)))
        layers = with_ragged(clone(residual(block), depth))
        # A named wrapper that declares the widths, which with_ragged does not.
        model: Model[List[Floats2d], List[Floats2d]] = Model(
            "maxout_window_encoder", _through_first_layer, init=_init_first_layer, layers=[layers], dims={"nO": width, "nI": width}
        )
    return model


def _through_first_layer(model: Model, X: Any, is_train: bool) -> Tuple[Any, Callable]:
    return model.layers[0](X, is_train)


def _init_first_layer(model: Model, X: Any = None, Y: Any = None) -> None:
    model.layers[0].initialize(X=X, Y=Y)


def _check_encoder_sizes(width: int, depth: int, window_size: int, maxout_pieces: int) -> None:
    if width < 1 or depth < 1 or window_size < 1 or maxout_pieces < 1:
        raise ValueError(
            "MaxoutWindowEncoder: width, depth, window_size and maxout_pieces must be at least 1; got "
            f"{width}, {depth}, {window_size}, {maxout_pieces}"
        )


def _window_block(width: int, window_size: int, maxout_pieces: int) -> Model:
    return chain(expand_window(window_size), _maxout(width, window_size, maxout_pieces))


def _maxout(width: int, window_size: int, maxout_pieces: int) -> Model:
    return Maxout(width, width * (2 * window_size + 1), nP=maxout_pieces, normalize=True, dropout=0.0)


__all__ = ["Tok2Vec", "EmbedHashedFeatures", "MaxoutWindowEncoder", "MaxoutWindowEncoderV2"]
