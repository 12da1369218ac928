"""Examples in a form that crosses processes: the predicted and reference docs as `.nbnlp` frames (with the
strings they use, for the worker's vocab) and the alignments as arrays. A worker gets only its sub-batch."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..corpus.binary import docs_to_frame, frame_to_docs
from ..example import Example

if TYPE_CHECKING:
    from ..vocab import Vocab


def encode_examples(examples: Sequence[Example]) -> dict[str, Any]:
    return {
        "predicted": docs_to_frame([eg.predicted for eg in examples], level=1),
        "reference": docs_to_frame([eg.reference for eg in examples], level=1),
        "alignments": [eg.alignment for eg in examples],
    }


def decode_examples(payload: dict[str, Any], vocab: "Vocab") -> list[Example]:
    predicted = frame_to_docs(payload["predicted"], vocab)
    reference = frame_to_docs(payload["reference"], vocab)
    return [Example(p, r, a) for p, r, a in zip(predicted, reference, payload["alignments"])]
