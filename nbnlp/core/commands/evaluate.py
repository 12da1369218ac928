"""Evaluate a trained pipeline on a corpus: the function behind `nbnlp evaluate` and `%nlp_evaluate`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..corpus.loader import load_docs
from ..doc import Doc
from ..example import Example
from ..language import Language, load


@dataclass
class EvaluationResult:
    """Scores (spaCy's key names, fractions 0-1) and the annotated docs they were computed from."""

    scores: dict[str, Any]
    examples: list[Example] = field(repr=False)
    n_words: int = 0

    @property
    def predicted(self) -> list[Doc]:
        return [eg.predicted for eg in self.examples]


def evaluate(
    model: str | Path | Language,
    data: str | Path,
    *,
    gold_preproc: bool = False,
    batch_size: int | None = None,
    gpu_id: int | None = None,
) -> EvaluationResult:
    """Annotate the texts of DATA with the pipeline and score the result against DATA's annotations.

    With `gold_preproc` the pipeline sees the corpus' own tokens; otherwise it tokenizes the text and
    scores go through the alignment.
    """
    if gpu_id is not None and gpu_id >= 0:
        from ...gpu.device import select_device

        select_device(gpu_id)
    nlp = model if isinstance(model, Language) else load(model)
    references = list(load_docs(data, vocab=nlp.vocab))
    if not references:
        raise ValueError(f"{data}: no documents to evaluate")
    examples = []
    for ref in references:
        if gold_preproc:
            predicted = Doc.from_orths(nlp.vocab, ref.arrays["ORTH"], ref.arrays["SPACY"])
        else:
            predicted = nlp.make_doc(ref.text)
        examples.append(Example(predicted, ref))
    scores, annotated = nlp.evaluate_examples(examples, batch_size=batch_size)
    return EvaluationResult(scores, annotated, sum(len(eg.predicted) for eg in annotated))
