"""`nbnlp.Tagger.v1`: token vectors -> a distribution over the tag set, per token."""
from typing import List, Optional

from thinc.api import Model, Softmax_v2, chain, with_array
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry
from .cpu import fast_cpu_ops

OUTPUT_LAYER = "output_layer"


@registry.architectures("nbnlp.Tagger.v1")
def Tagger(tok2vec: Model[List[Doc], List[Floats2d]], nO: Optional[int] = None) -> Model[List[Doc], List[Floats2d]]:
    """`tok2vec` then a softmax layer; `nO` (the number of labels) may be set later from the data.

    Outside training the softmax is skipped (`normalize_outputs=False`): the argmax is the
    same and the tagger only needs the argmax.
    """
    width = tok2vec.maybe_get_dim("nO")
    with fast_cpu_ops():
        output = Softmax_v2(nO, width, normalize_outputs=False)
        model: Model[List[Doc], List[Floats2d]] = chain(tok2vec, with_array(output))
    model.name = "tagger"
    model.set_ref("tok2vec", tok2vec)
    model.set_ref(OUTPUT_LAYER, output)
    return model


__all__ = ["Tagger", "OUTPUT_LAYER"]
