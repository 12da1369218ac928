"""Helpers the component tests share: gold-tokenized examples from the demo corpus and batches by word count."""
from typing import Iterator, Sequence

import nbnlp
from nbnlp import Doc, Example, Language
from nbnlp.data import demo_path


def load_refs(nlp: Language, name: str) -> list[Doc]:
    """The reference docs of a demo corpus (e.g. "ewt-train"), in `nlp`'s vocab."""
    return list(nbnlp.load_docs(demo_path(name), vocab=nlp.vocab))


def gold_examples(nlp: Language, refs: Sequence[Doc]) -> list[Example]:
    """Examples whose predicted side has the reference's own tokens."""
    return [Example(Doc.from_orths(nlp.vocab, ref.arrays["ORTH"], ref.arrays["SPACY"]), ref) for ref in refs]


def batches(examples: Sequence[Example], words: int) -> Iterator[list[Example]]:
    """Consecutive batches of at least `words` tokens (the last may be smaller)."""
    batch: list[Example] = []
    n = 0
    for eg in examples:
        batch.append(eg)
        n += len(eg)
        if n >= words:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch
