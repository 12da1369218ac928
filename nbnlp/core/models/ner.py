"""`nbnlp.EntityTagger.v1`: token vectors -> scores over BILUO entity tags, per token.

With little NER data the shared tok2vec mostly learns what the other components need, so the
entity model gets a small head of its own: a maxout hidden layer, then the softmax over "O" and
B/I/L/U-LABEL. An extra window over the tok2vec output (`window_size` neighbours either side) is
available but off by default: on UNER English-EWT it did not beat the plain head (short runs).
Decoding into valid entity sequences happens in the component (`nbnlp.core.viterbi`), not here.
"""
from typing import List, Optional

from thinc.api import Maxout, Model, Softmax_v2, chain, expand_window, with_array
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry
from .cpu import fast_cpu_ops

OUTPUT_LAYER = "output_layer"


@registry.architectures("nbnlp.EntityTagger.v1")
def EntityTagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 128,
    window_size: int = 0,
    maxout_pieces: int = 2,
    nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """`tok2vec`, then (window_size > 0) a window over it, (hidden_width > 0) a maxout layer, then a softmax.

    `nO` (1 + 4 x the number of labels) may be set later from the data. Outside training the
    softmax is skipped: the decoder only needs scores up to a per-token constant.
    """
    if hidden_width < 0 or window_size < 0 or maxout_pieces < 1:
        raise ValueError(
            "EntityTagger: hidden_width and window_size must be >= 0 and maxout_pieces >= 1; got "
            f"{hidden_width}, {window_size}, {maxout_pieces}"
        )
    width = tok2vec.maybe_get_dim("nO")
    n_in = None if width is None else width * (2 * window_size + 1)
    with fast_cpu_ops():
        layers: List[Model] = []
        if window_size:
            layers.append(expand_window(window_size))
        if hidden_width:
            layers.append(Maxout(hidden_width, n_in, nP=maxout_pieces, normalize=True, dropout=0.0))
            n_in = hidden_width
        output = Softmax_v2(nO, n_in, normalize_outputs=False)
        head = chain(*layers, output) if layers else output
        # Zero rows between docs, so a token's window never reaches into another doc.
        model: Model[List[Doc], List[Floats2d]] = chain(tok2vec, with_array(head, pad=window_size))
    model.name = "entity_tagger"
    model.set_ref("tok2vec", tok2vec)
    model.set_ref(OUTPUT_LAYER, output)
    return model


__all__ = ["EntityTagger", "OUTPUT_LAYER"]
